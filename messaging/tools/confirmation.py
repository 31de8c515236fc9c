"""Pending actions: what a booking or spending tool will do once the user says yes.

A tool that books or spends (create_booking, transport_book) never acts on the model's
word alone. Its first call stores the validated arguments here, per user, with a short
TTL, and returns ``needs_confirmation``. The router sets ``ToolContext.confirmed_action``
to the pending action only when the user's *next message* is affirmative
(:func:`is_affirmative`); the tool then acts with the STORED arguments — whatever the
model passes the second time — and clears the pending action.

One pending action per user: a new proposal replaces the old one, so "yes" always means
the last thing the user was asked.
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from typing import Any

from django.conf import settings
from django.utils import timezone

from agnt.scheduling import redis_client

PENDING_ACTION_TTL_SECONDS = getattr(settings, "PENDING_ACTION_TTL_SECONDS", 15 * 60)
_KEY = "agnt:concierge:pending-action:{user_id}"
# Marks a confirmation as spent so a replayed "yes" (a retried task, a duplicated turn)
# cannot book twice even if the router did not clear the pending action.
_USED_KEY = "agnt:concierge:pending-action-used:{action_id}"


def _key(user) -> str:
    return _KEY.format(user_id=user.pk)


def pending_action_create(*, user, tool: str, arguments: dict[str, Any], summary: str) -> dict[str, Any]:
    """Store what ``tool`` will do with ``arguments`` once the user confirms; returns the action (with ``id``)."""
    action = {
        "id": "cf_" + secrets.token_hex(6),
        "tool": tool,
        "arguments": arguments,
        "summary": summary,
        "created_at": timezone.now().isoformat(),
    }
    redis_client().set(_key(user), json.dumps(action, default=str), ex=PENDING_ACTION_TTL_SECONDS)
    return action


def pending_action_get(*, user) -> dict[str, Any] | None:
    """The user's pending action, or None (none proposed, or it expired)."""
    raw = redis_client().get(_key(user))
    if not raw:
        return None
    try:
        action = json.loads(raw)
    except ValueError:
        return None
    return action if isinstance(action, dict) and action.get("id") else None


def pending_action_clear(*, user) -> None:
    redis_client().delete(_key(user))


def pending_action_claim(*, action_id: str) -> bool:
    """Mark a confirmed action as executed; False when it already was (execute at most once)."""
    return bool(redis_client().set(_USED_KEY.format(action_id=action_id), "1", nx=True, ex=24 * 3600))


def confirmed_action_for(ctx, *, tool: str, confirmation_id: str | None) -> dict[str, Any] | None:
    """The confirmed pending action a tool may act on now, or None.

    All of these must hold: the user's latest message confirmed a pending action
    (``ctx.confirmed_action``), it is for this tool, and the model passed its id.
    """
    action = getattr(ctx, "confirmed_action", None)
    if not action or not confirmation_id:
        return None
    if action.get("id") != confirmation_id or action.get("tool") != tool:
        return None
    if not isinstance(action.get("arguments"), dict):
        return None
    return action


# --------------------------------------------------------------------------- yes / no

_AFFIRMATIVE_PHRASES = frozenset(
    {
        "yes",
        "y",
        "yeah",
        "yea",
        "yep",
        "yup",
        "ya",
        "yas",
        "yess",
        "yesss",
        "ok",
        "okay",
        "okey",
        "oke",
        "k",
        "kk",
        "sure",
        "confirm",
        "confirmed",
        "i confirm",
        "go",
        "go ahead",
        "go for it",
        "do it",
        "please do",
        "book it",
        "book",
        "absolutely",
        "definitely",
        "correct",
        "right",
        "affirmative",
        "sounds good",
        "perfect",
        "great",
        "super",
        "отлично",
        "супер",
        "prima",
        "perfekt",
        "bagus",
        "mantap",
        "alright",
        "all right",
        "lets do it",
        "let s do it",
        "let's do it",
        "yes please",
        "please",
        "deal",
        # Indonesian, common in Bali chats
        "iya",
        "iyaa",
        "ia",
        "betul",
        "boleh",
        "siap",
        "sip",
        "mau",
        "jadi",
        "gas",
        "lanjut",
        "lanjutkan",
        "oke deh",
        "ok deh",
        "да",
        "ага",
        "ок",
        "окей",
        "хорошо",
        "верно",
        "всё верно",
        "все верно",
        "конечно",
        "давай",
        "подтверждаю",
        "бронируй",
        "бронируйте",
        "забронируй",
        "забронируйте",
        "подтверди",
        "подтвердите",
        "оформляй",
        "оформляйте",
        "pesan",
        "pesankan",
        "ja",
        "jap",
        "jep",
        "jo",
        "jup",
        "jupp",
        "jawohl",
        "buchen",
        "bitte buchen",
        "reservieren",
        "bestätigen",
        "bestätige",
        "cool",
        "nice",
        "awesome",
        "lovely",
        "gerne",
        "klar",
        "ja bitte",
        "passt",
        "passt so",
        "genau",
        "stimmt",
        "einverstanden",
        "👍",
        "✅",
        "👌",
    }
)
_AFFIRMATIVE_FILLERS = frozenset(
    {
        "please",
        "pls",
        "plz",
        "thanks",
        "thank",
        "you",
        "thx",
        "ty",
        "mate",
        "go",
        "ahead",
        "it",
        "do",
        "book",
        "confirm",
        "that",
        "sure",
        "ok",
        "okay",
        "yes",
        "great",
        "perfect",
        "sounds",
        "good",
        "lah",
        "dong",
        "ya",
        "bitte",
        "пожалуйста",
        "sip",
        "its",
        "it's",
        "that's",
        "thats",
        "fine",
        "so",
        "gut",
        "is",
        "works",
        # a yes that also says what to do: "да, бронируйте", "iya, pesan aja", "ja, bitte buchen"
        "бронируй",
        "бронируйте",
        "забронируй",
        "забронируйте",
        "подтверждаю",
        "давайте",
        "давай",
        "отлично",
        "хорошо",
        "конечно",
        "pesan",
        "pesankan",
        "booking",
        "aja",
        "saja",
        "lanjut",
        "boleh",
        "oke",
        "buchen",
        "reservieren",
        "bestätigen",
        "gerne",
        "gern",
        "machen",
        "mach",
        "wir",
        "prima",
        "perfekt",
        "toll",
        "lock",
        "in",
        "cool",
        "nice",
        "awesome",
        "lovely",
        "absolutely",
        "cheers",
        # forms of address in a yes: "ok kak, lanjut", "siap mas", "yes bro"
        "kak",
        "ka",
        "mas",
        "mbak",
        "pak",
        "bu",
        "bro",
        "sis",
        "dann",
        "passt",  # "ja, passt", "ja, das passt"
        "das",
        "super",
        "genau",
        "klar",
        "тогда",
        "deh",
        "lanjutkan",
        "всё",
        "все",
        "верно",
    }
)
# Words that turn a "yes" into something else ("yes but at 8", "ok wait", "yes change it").
_HEDGES = frozenset(
    {
        "but",
        "wait",
        "hold",
        "change",
        "instead",
        "actually",
        "except",
        "not",
        "no",
        "don't",
        "dont",
        "cancel",
        "later",
        "maybe",
        "tomorrow",
        "if",
        "?",
        "hmm",
        "which",
        "what",
        "how",
        "when",
        "aber",
        "warte",
        "stattdessen",
        "morgen",
        "но",
        "подожди",
        "вместо",
        "завтра",
        "tapi",
        "tunggu",
        "ganti",
        "besok",
    }
)
_NEGATIVE_FIRST = frozenset(
    {
        "no",
        "n",
        "nope",
        "nah",
        "nay",
        "never",
        "cancel",
        "stop",
        "don't",
        "dont",
        "do not",
        "negative",
        "abort",
        "tidak",
        "gak",
        "nggak",
        "ngga",
        "enggak",
        "jangan",
        "batal",
        "нет",
        "не",
        "отмена",
        "nein",
        "abbrechen",
        "👎",
        "❌",
    }
)
_NEGATIVE_PHRASES = (
    "no thanks",
    "no thank you",
    "not now",
    "never mind",
    "nevermind",
    "forget it",
    "don't book",
    "dont book",
    "do not book",
    "cancel that",
    "changed my mind",
    "not anymore",
)
_A_CHANGE = re.compile(
    r"\d|\b(?:instead|rather|make it|how about|what about|let's (?:do|go|try|book)|lets (?:do|go|try|book)|switch|"
    r"лучше|вместо|lieber|stattdessen|ganti)\b"
)
_WORD = re.compile(r"[\w']+|[👍✅👌👎❌?]")


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text or "").lower().replace("’", "'")
    return _WORD.findall(text)


def is_affirmative(text: str) -> bool:
    """Does this short message clearly say yes? Hedged or questioning replies do not count."""
    words = _words(text)
    if not words or len(words) > 8:
        return False
    if any(word in _HEDGES for word in words) or is_negative(text):
        return False
    for size in (3, 2, 1):
        if " ".join(words[:size]) in _AFFIRMATIVE_PHRASES:
            rest = words[size:]  # "yes please", "да, подтверждаю": fillers or more yes
            return all(word in _AFFIRMATIVE_FILLERS or word in _AFFIRMATIVE_PHRASES for word in rest)
    return False


# Words before the no that don't change it ("actually cancel that", "oh never mind", "sorry, no").
_NEGATIVE_LEAD = frozenset({"actually", "oh", "ah", "hmm", "um", "umm", "uh", "sorry", "well", "ok", "okay", "wait"})
# A no wherever it stands in a short message ("sorry, changed my mind", "hmm let's cancel that").
_NEGATIVE_ANYWHERE = re.compile(
    r"\b(?:changed? (?:my|our) minds?|never ?mind|cancel (?:that|it|this)|forget (?:it|that|about it)|"
    r"don'?t (?:book|send) (?:it|that)|scrap (?:that|it)|(?:gak|nggak|ngga|enggak|tidak|ga|gk) jadi|"
    r"передумал\w*|не надо|doch nicht|vergiss es)\b"
)


def is_negative(text: str) -> bool:
    """Does this message decline the pending action ("no", "cancel", "never mind")?"""
    words = _words(text)
    while len(words) > 1 and words[0] in _NEGATIVE_LEAD:
        words = words[1:]
    if not words:
        return False
    joined = " ".join(words)
    if any(joined.startswith(phrase) for phrase in _NEGATIVE_PHRASES):
        return True
    if len(words) <= 10 and _NEGATIVE_ANYWHERE.search(joined) and not _A_CHANGE.search(joined):
        return True
    if len(words) > 2 and _A_CHANGE.search(" ".join(words[1:])):
        return False  # "no wait, make it 9pm", "нет, лучше в 21:00": a change to the request, not a no
    return words[0] in _NEGATIVE_FIRST or " ".join(words[:2]) in _NEGATIVE_FIRST
