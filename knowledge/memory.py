"""User memory: what the concierge learns about a user, recalls into its prompt, and forgets.

Facts come from the user's own messages (allergies, favourite areas, usual party size,
budget, tastes). ``extract_memories`` is a deterministic, offline extractor built from
careful patterns; knowledge.memory_llm asks Claude for the same facts through a strict
tool schema when the concierge runs on Anthropic, and falls back to the rules. Everything it
finds goes through ``user_memory_remember``, which embeds the text and folds repeats into
the memory already held instead of inserting a second row.

Forgetting is a real DELETE: a memory is the user's data, so "forget that" leaves nothing
behind (archiving is only for memories that faded by themselves, see knowledge.maintenance).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone

from knowledge.models import MemoryKind, UserMemory

logger = logging.getLogger(__name__)

DUPLICATE_COSINE = 0.92
# Kinds that hold one value: a newer statement replaces the old one instead of piling up
# ("usually 4 of us" after "usually 2 of us" means the usual party size changed).
SINGLE_VALUED_KINDS = frozenset({MemoryKind.PARTY_SIZE, MemoryKind.BUDGET})
# How much a kind matters when first learned; allergies are a safety matter.
KIND_IMPORTANCE = {
    MemoryKind.ALLERGY: 0.9,
    MemoryKind.PARTY_SIZE: 0.6,
    MemoryKind.AREA: 0.6,
    MemoryKind.BUDGET: 0.6,
    MemoryKind.PREFERENCE: 0.5,
    MemoryKind.FACT: 0.5,
    MemoryKind.OTHER: 0.4,
}
RECALL_IMPORTANCE_BOOST = 0.02
RECALL_SIMILARITY_WEIGHT = 0.75  # the rest of the score is importance
PROMPT_MEMORY_LIMIT = 8


@dataclass(frozen=True)
class MemoryCandidate:
    """Something a message says about its author, not yet stored."""

    kind: str
    content: str
    confidence: float


# --- normalising ------------------------------------------------------------------------

_PUNCTUATION = re.compile(r"[^\w\s]+", re.UNICODE)


def normalise_memory_text(text: str) -> str:
    """Lower case, punctuation gone, single spaces: the key exact duplicates share."""
    return " ".join(_PUNCTUATION.sub(" ", text.lower()).split())


_STOPWORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "to",
        "of",
        "and",
        "or",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "about",
        "my",
        "me",
        "i",
        "im",
        "we",
        "our",
        "us",
        "you",
        "your",
        "it",
        "its",
        "that",
        "this",
        "is",
        "are",
        "am",
        "be",
        "please",
        "where",
        "what",
        "how",
    }
)


def _tokens(text: str) -> set[str]:
    words = normalise_memory_text(text.replace("'", "")).split()
    return {_stem(w) for w in words if w not in _STOPWORDS}


def _stem(word: str) -> str:
    # Just enough to let "peanut" find "peanuts" and "my allergy" find "Allergic to…".
    if word.startswith("allerg"):
        return "allergy"
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


# --- extraction -------------------------------------------------------------------------

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a couple": 2,
    "couple": 2,
}
_NUM = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"

_QUESTION_START = re.compile(
    r"^(?:is|are|was|were|do|does|did|can|could|would|will|should|shall|may|might|have|has|had|"
    r"what|what's|whats|where|which|who|whom|whose|how|when|why|any|anything|anyone|isn't|aren't|"
    r"don't|doesn't|is there|are there)\b",
    re.IGNORECASE,
)
# "remember that I'm vegan" is a statement wrapped in a request; unwrap it before the
# question check so "can you remember that…" still teaches us something.
_REMEMBER_PREFIX = re.compile(
    r"^(?:please\s+)?(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?)?(?:remember|note|keep in mind|fyi)"
    r"(?:\s+that)?[:,]?\s+",
    re.IGNORECASE,
)
# A full stop between digits is a thousands/decimal separator ("500.000", "1.5"), not a sentence end.
_SENTENCE = re.compile(r"(?:[^.!?;\n]|(?<=\d)\.(?=\d))+[.!?;]*")
# A comma or "but" followed by a question word starts a new clause: "We're vegan, what do
# you recommend?" holds a statement and a question.
_CLAUSE_BREAK = re.compile(
    r",\s*(?=(?:but\s+)?(?:is|are|do|does|can|could|would|what|where|which|how|any|anything|should)\b)|\s+but\s+",
    re.IGNORECASE,
)

_SUBJECT = r"(?:i\s*'?\s*m|i\s+am|we\s*'?\s*re|we\s+are|we\s+both\s+are|my\s+(?:wife|husband|partner|son|daughter|kid|child|friend|girlfriend|boyfriend)\s+is)"
_FOODS = (
    r"tree\s+nuts?|peanuts?|nuts?|shellfish|seafood|fish|prawns?|shrimps?|crabs?|lobsters?|dairy|milk|cheese|eggs?|"
    r"gluten|wheat|soy|soya|sesame|pork|beef|red\s+meat|meat|chicken|lamb|alcohol|mushrooms?|"
    r"chill?i(?:es)?|spicy\s+food|coriander|cilantro|garlic|onions?|msg|sugar|refined\s+sugar"
)
_ALLERGIC = re.compile(
    rf"\b(?:{_SUBJECT}\s+(?:(?:very|severely|highly|quite|really|deathly)\s+)?allergic\s+to|allergic\s+to)\s+"
    r"(?P<what>[a-z][a-z\s,\-]*?)(?=$|[.!?;]|\s+(?:so|but|please|which|if|when|too|as\s+well)\b)",
    re.IGNORECASE,
)
_ALLERGY_NOUN = re.compile(
    rf"\b(?:i|we|my\s+\w+)\s+(?:have|has|got)\s+(?:an?\s+)?(?:(?:severe|serious|bad|mild)\s+)?(?P<what>{_FOODS})\s+allerg(?:y|ies)\b",
    re.IGNORECASE,
)
_AVOIDS = re.compile(
    rf"(?:\b(?:i|we|my\s+\w+)\s+(?:don'?t|do\s+not|doesn'?t|does\s+not|can'?t|cannot|can\s+not|never)\s+(?:eat|have|drink|take)|"
    rf"\b(?:i|we)\s+avoid|^\s*no|\bwithout|\bno)\s+(?:any\s+)?(?P<what>(?:{_FOODS})(?:\s*(?:,|and|or)\s*(?:{_FOODS}))*)\b",
    re.IGNORECASE,
)
_DIETS = {
    "vegan": "Vegan",
    "vegetarian": "Vegetarian",
    "pescatarian": "Pescatarian",
    "pescetarian": "Pescatarian",
    "gluten free": "Gluten-free",
    "gluten-free": "Gluten-free",
    "dairy free": "Dairy-free",
    "dairy-free": "Dairy-free",
    "halal": "Eats halal only",
    "kosher": "Eats kosher only",
    "keto": "Keto diet",
    "coeliac": "Coeliac (no gluten)",
    "celiac": "Coeliac (no gluten)",
    "lactose intolerant": "Lactose intolerant",
    "lactose-intolerant": "Lactose intolerant",
    "diabetic": "Diabetic (watch the sugar)",
}
_DIET_WORDS = "|".join(re.escape(k) for k in sorted(_DIETS, key=len, reverse=True))
_DIET = re.compile(
    rf"\b(?:{_SUBJECT}\s+(?:(?:a|an|strictly|strict|fully|mostly|also|both|all)\s+)*|"
    rf"(?:i|we)\s+(?:eat|only\s+eat|eat\s+only|follow\s+a|am\s+on\s+a|'m\s+on\s+a|are\s+on\s+a|keep)\s+(?:a\s+|an\s+|strictly\s+)?)"
    rf"(?P<diet>{_DIET_WORDS})\b",
    re.IGNORECASE,
)
_INTOLERANT = re.compile(rf"\b{_SUBJECT}\s+(?P<diet>lactose[ -]intolerant)\b", re.IGNORECASE)

_PARTY_PATTERNS: list[tuple[re.Pattern, float]] = [
    (
        re.compile(
            rf"\busually\s+(?:(?:we\s*'?\s*re|we\s+are|it\s*'?\s*s|there\s+are)\s+)?(?:a\s+group\s+of\s+)?{_NUM}\s+(?:of\s+us|people|pax|guests|persons|adults)\b",
            re.IGNORECASE,
        ),
        0.9,
    ),
    (re.compile(rf"\b(?:we\s*'?\s*re|we\s+are)\s+usually\s+{_NUM}\b", re.IGNORECASE), 0.9),
    (re.compile(rf"\busually\s+(?:book|books|booking|reserve)\s+(?:a\s+table\s+)?for\s+{_NUM}\b", re.IGNORECASE), 0.9),
    (re.compile(rf"\b(?:always|usually)\s+(?:a\s+)?table\s+for\s+{_NUM}\b", re.IGNORECASE), 0.9),
    (re.compile(rf"\b(?:we\s*'?\s*re|we\s+are)\s+a\s+family\s+of\s+{_NUM}\b", re.IGNORECASE), 0.85),
    (re.compile(rf"\b(?:we\s*'?\s*re|we\s+are)\s+a\s+(?:group|party)\s+of\s+{_NUM}\b", re.IGNORECASE), 0.6),
    (re.compile(rf"\bthere\s+(?:are|will\s+be)\s+{_NUM}\s+of\s+us\b", re.IGNORECASE), 0.55),
    (re.compile(rf"\bjust\s+the\s+{_NUM}\s+of\s+us\b", re.IGNORECASE), 0.55),
    (re.compile(rf"\btable\s+for\s+{_NUM}\b", re.IGNORECASE), 0.5),
]

_AMOUNT = r"(?:(?:idr|rp\.?)\s*)?(?P<amount>\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d+)?)\s*(?:(?P<unit>k|rb|ribu|thousand|million|mio|m|juta|jt)\b)?(?:\s*(?:idr|rupiah))?"
_BUDGET_AMOUNT = re.compile(
    rf"\b(?P<bound>under|below|less\s+than|max(?:imum)?|up\s+to|no\s+more\s+than|around|about|roughly|approx(?:imately)?|"
    rf"budget\s+(?:is|of)(?:\s+(?:around|about|under))?)\s+{_AMOUNT}(?P<per>\s*(?:per|a|/)\s*(?:person|head|pax))?",
    re.IGNORECASE,
)
_BUDGET_WORDS: list[tuple[re.Pattern, str]] = [
    (
        re.compile(r"\b(?:mid[- ]?range|moderately\s+priced|nothing\s+too\s+(?:fancy|expensive))\b", re.IGNORECASE),
        "Budget: mid-range",
    ),
    (
        re.compile(
            r"\b(?:cheap\s+eats|on\s+a\s+(?:tight\s+)?budget|budget[- ]friendly|(?:something|somewhere|places?)\s+(?:cheap|affordable|inexpensive)|keep\s+it\s+cheap)\b",
            re.IGNORECASE,
        ),
        "Budget: cheap eats, budget-friendly",
    ),
    (
        re.compile(
            r"\b(?:splurge|splash\s+out|treat\s+ourselves|money\s+is\s+no\s+object|price\s+(?:doesn'?t|does\s+not)\s+matter|high[- ]end|fine\s+dining)\b",
            re.IGNORECASE,
        ),
        "Budget: happy to splurge",
    ),
]

_LIKE_VERB = r"(?:really\s+|absolutely\s+|just\s+|do\s+|also\s+|both\s+)?(?P<verb>love|loves|like|likes|enjoy|enjoys|adore|prefer|prefers|(?:am|'m|are|'re)\s+into|(?:am|'m|are|'re)\s+a\s+(?:big\s+)?fan\s+of)"
_LIKE = re.compile(rf"\b(?:i|we)\s*{_LIKE_VERB}\s+(?P<what>[^,.!?;]+)", re.IGNORECASE)
_DISLIKE = re.compile(
    r"\b(?:i|we)\s+(?:really\s+)?(?:hate|dislike|can'?t\s+stand|don'?t\s+(?:like|love|enjoy)|do\s+not\s+(?:like|enjoy)|"
    r"(?:am|'m|are|'re)\s+not\s+(?:a\s+)?(?:big\s+)?fans?\s+of)\s+(?P<what>[^,.!?;]+)",
    re.IGNORECASE,
)
_FAVOURITE = re.compile(
    r"\b(?:my|our)\s+favou?rite\s+(?P<thing>[a-z ]{2,30}?)\s+(?:is|are)\s+(?P<what>[^,.!?;]+)", re.IGNORECASE
)
_VIBE_WORDS = (
    r"quiet|calm|romantic|lively|cosy|cozy|kid[- ]friendly|family[- ]friendly|dog[- ]friendly|pet[- ]friendly|"
    r"vegan[- ]friendly|beachfront|rooftop|outdoor|late[- ]night|laid[- ]back|healthy|local|authentic"
)
_VIBE = re.compile(
    rf"\b(?:(?:i|we)\s+(?:usually\s+|always\s+)?(?:like|love|prefer|want|look\s+for|go\s+for)\s+)?(?P<vibe>{_VIBE_WORDS})\s+"
    r"(?P<noun>places|spots|restaurants|venues|bars|cafes|cafés|tables|settings|atmospheres?)\b",
    re.IGNORECASE,
)
_STAYING = re.compile(
    r"\b(?:(?:i|we)\s*(?:'?\s*m|'?\s*re|am|are)?\s*(?:staying|based|living)|(?:i|we)\s+live|our\s+(?:villa|hotel|house|place)\s+is)\s+(?:in|at|near)\s+(?P<what>[^,.!?;]+)",
    re.IGNORECASE,
)
_JUNK_OBJECT = re.compile(
    r"^(?:it|this|that|them|you|him|her|these|those|to\s+(?:book|know|ask|reserve|make|have|get|go\s+to\s+a)|the\s+idea|so)\b",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    r"\s+(?:too|as\s+well|a\s+lot|very\s+much|so\s+much|please|though|also|lol|haha)$", re.IGNORECASE
)
_GENERIC_PLACE_WORDS = frozenset(
    {
        "the",
        "area",
        "vibe",
        "vibes",
        "around",
        "there",
        "neighbourhood",
        "neighborhood",
        "side",
        "of",
        "in",
        "near",
        "scene",
        "best",
        "beach",
        "beaches",
        "town",
        "village",
        "whole",
    }
)


def _known_places() -> dict[str, str]:
    """Lower-cased area and city names → how to write them ("berawa" → "Berawa (Canggu)")."""
    from venues.demo import load

    network = load()
    city_names = {c["slug"]: c["name"] for c in network["cities"]}
    places = {name.lower(): name for name in city_names.values()}
    for slug, areas in network["areas"].items():
        for area in areas:
            places[area.lower()] = f"{area} ({city_names.get(slug, slug.title())})"
    return places


def _place_pattern(places: dict[str, str]) -> re.Pattern:
    names = sorted(places, key=len, reverse=True)  # "batu bolong" before "batu"
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", re.IGNORECASE)


def _clauses(text: str) -> Iterable[tuple[str, bool]]:
    """(clause, is_question) for every clause of ``text``."""
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0).strip()
        if not sentence:
            continue
        ends_with_question = sentence.rstrip().endswith("?")
        parts = [p.strip() for p in _CLAUSE_BREAK.split(sentence) if p and p.strip()]
        for index, part in enumerate(parts):
            unwrapped = _REMEMBER_PREFIX.sub("", part, count=1)
            question = bool(_QUESTION_START.match(unwrapped)) or (
                unwrapped == part and ends_with_question and index == len(parts) - 1
            )
            part = unwrapped
            yield part.strip(" ,.!?;"), question


def _number(word: str) -> int | None:
    word = word.lower()
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word)


def _clean_object(what: str) -> str:
    what = " ".join(what.split()).strip(" -")
    previous = None
    while previous != what:
        previous = what
        what = _TRAILING.sub("", what)
    return what


# Sign-offs that end a listing clause ("allergic to shellfish, thanks"): not list items.
_PLEASANTRIES = frozenset({"thanks", "thank you", "thx", "ty", "cheers", "please", "pls", "ok", "okay", "lol", "haha"})


def _split_list(what: str) -> list[str]:
    items = re.split(r"\s*(?:,|\band\b|\bor\b|&)\s*", what)
    return [i.strip(" -") for i in items if i.strip(" -") and i.strip(" -").lower() not in _PLEASANTRIES]


def _format_amount(amount: str, unit: str | None) -> str | None:
    unit = (unit or "").lower()
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", amount):
        value = float(re.sub(r"[.,]", "", amount))
    else:
        value = float(amount.replace(",", "."))
    if unit in {"k", "rb", "ribu", "thousand"}:
        value *= 1_000
    elif unit in {"m", "mio", "million", "jt", "juta"}:
        value *= 1_000_000
    if value < 10_000:  # "under 30" is minutes or dollars, not a rupiah budget
        return None
    if value >= 1_000_000:
        return f"IDR {value / 1_000_000:g}M"
    return f"IDR {value / 1_000:g}k"


def extract_memories(text: str, *, places: dict[str, str] | None = None) -> list[MemoryCandidate]:
    """Durable facts a message states about its author (offline, deterministic).

    Questions ("is there a vegan menu?") teach nothing about the asker and are skipped
    clause by clause, so "We're vegan, what do you recommend?" still yields "Vegan".
    ``places`` maps lower-cased place names to their display form; by default the launch
    cities and their areas.
    """
    places = places if places is not None else _known_places()
    place_re = _place_pattern(places) if places else None
    found: dict[tuple[str, str], MemoryCandidate] = {}

    def add(kind: str, content: str, confidence: float) -> None:
        key = (kind, normalise_memory_text(content))
        if key not in found or found[key].confidence < confidence:
            found[key] = MemoryCandidate(kind=kind, content=content, confidence=confidence)

    for clause, is_question in _clauses(text or ""):
        if is_question or not clause:
            continue
        _extract_dietary(clause, add)
        _extract_party_size(clause, add)
        _extract_budget(clause, add)
        _extract_likes(clause, add, places, place_re)
    return list(found.values())


def _extract_dietary(clause: str, add) -> None:
    for match in _ALLERGIC.finditer(clause):
        for item in _split_list(_clean_object(match.group("what"))):
            if 0 < len(item.split()) <= 3 and item.lower() not in {"nothing", "anything", "none"}:
                add(MemoryKind.ALLERGY, f"Allergic to {item.lower()}", 0.95)
    for match in _ALLERGY_NOUN.finditer(clause):
        what = " ".join(match.group("what").lower().split())
        add(MemoryKind.ALLERGY, f"Allergic to {what}s" if what.endswith("nut") else f"Allergic to {what}", 0.9)
    for match in _DIET.finditer(clause):
        add(MemoryKind.ALLERGY, _DIETS[match.group("diet").lower()], 0.9)
    for match in _INTOLERANT.finditer(clause):
        add(MemoryKind.ALLERGY, "Lactose intolerant", 0.9)
    for match in _AVOIDS.finditer(clause):
        for item in _split_list(match.group("what")):
            add(MemoryKind.ALLERGY, f"Avoids {' '.join(item.lower().split())}", 0.75)


def _extract_party_size(clause: str, add) -> None:
    for pattern, confidence in _PARTY_PATTERNS:
        match = pattern.search(clause)
        if match:
            size = _number(match.group(1))
            if size and 1 <= size <= 30:
                add(MemoryKind.PARTY_SIZE, f"Usually books for {size}", confidence)
            return  # the first (most specific) pattern wins


def _extract_budget(clause: str, add) -> None:
    for match in _BUDGET_AMOUNT.finditer(clause):
        amount = _format_amount(match.group("amount"), match.group("unit"))
        if amount is None:
            continue
        bound = match.group("bound").lower()
        if bound.startswith(("under", "below", "less", "max", "up to", "no more")) or "under" in bound:
            word = "under"
        else:
            word = "around"
        add(MemoryKind.BUDGET, f"Budget: {word} {amount} per person", 0.8)
        return
    for pattern, content in _BUDGET_WORDS:
        if pattern.search(clause):
            add(MemoryKind.BUDGET, content, 0.75)
            return


def _extract_likes(clause: str, add, places: dict[str, str], place_re: re.Pattern | None) -> None:
    for match in _STAYING.finditer(clause):
        for name in _places_in(match.group("what"), place_re):
            add(MemoryKind.AREA, f"Staying in {places[name]}", 0.8)
    for match in _FAVOURITE.finditer(clause):
        what = _clean_object(match.group("what"))
        named = _places_in(what, place_re)
        for name in named:
            add(MemoryKind.AREA, f"Favourite area: {places[name]}", 0.9)
        if not named and not _JUNK_OBJECT.match(what):
            add(MemoryKind.PREFERENCE, f"Favourite {match.group('thing').strip().lower()}: {what}", 0.85)
    disliked_spans = []
    for match in _DISLIKE.finditer(clause):
        disliked_spans.append(match.span())
        what = _clean_object(match.group("what"))
        if what and not _JUNK_OBJECT.match(what) and len(what.split()) <= 6:
            add(MemoryKind.PREFERENCE, f"Dislikes {what}", 0.75)
    for match in _LIKE.finditer(clause):
        if any(start <= match.start() < end for start, end in disliked_spans):
            continue
        what = _clean_object(match.group("what"))
        if not what or _JUNK_OBJECT.match(what) or len(what.split()) > 8:
            continue
        named = _places_in(what, place_re)
        for name in named:
            add(MemoryKind.AREA, f"Likes {places[name]}", 0.85)
        rest = place_re.sub(" ", what) if (place_re and named) else what
        if named and not (set(normalise_memory_text(rest).split()) - _GENERIC_PLACE_WORDS):
            continue  # "we love Berawa": the area says it all
        verb = match.group("verb").lower()
        if verb.startswith("prefer"):
            add(MemoryKind.PREFERENCE, f"Prefers {what}", 0.8)
        elif verb.startswith(("love", "adore")):
            add(MemoryKind.PREFERENCE, f"Loves {what}", 0.8)
        elif verb.startswith("enjoy"):
            add(MemoryKind.PREFERENCE, f"Enjoys {what}", 0.75)
        else:
            add(MemoryKind.PREFERENCE, f"Likes {what}", 0.75)
    for match in _VIBE.finditer(clause):
        vibe = match.group("vibe").lower().replace(" ", "-")
        add(MemoryKind.PREFERENCE, f"Prefers {vibe} {match.group('noun').lower()}", 0.7)


def _places_in(text: str, place_re: re.Pattern | None) -> list[str]:
    if place_re is None:
        return []
    return list(dict.fromkeys(m.group(1).lower() for m in place_re.finditer(text)))


# --- embeddings -------------------------------------------------------------------------


def _embed(texts: Sequence[str]) -> tuple[np.ndarray | None, str]:
    """Vectors and model name, or (None, "") when the provider is unavailable.

    A memory without a vector still works for describe/forget/prompt (by importance);
    the dreaming job embeds it later.
    """
    from knowledge import embeddings  # imported late so tests can patch the provider

    try:
        vectors = embeddings.embed_texts(list(texts))
        return np.asarray(vectors, dtype=np.float32), embeddings.get_provider().name
    except Exception:  # a provider outage must not lose the memory itself
        logger.warning("embedding provider failed; storing memories without vectors", exc_info=True)
        return None, ""


def current_embedding_model() -> str:
    from knowledge import embeddings

    return embeddings.get_provider().name


def _cosine(a, b) -> float:
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b / denominator) if denominator else 0.0


def memories_are_duplicates(a_text: str, a_vec, a_model: str, b_text: str, b_vec, b_model: str, *, kind: str) -> bool:
    """The duplicate rule shared by remember and the nightly consolidation.

    Allergies are merged on exact (normalised) text only: "Allergic to peanuts" and
    "Allergic to tree nuts" embed close together, and merging them would lose a safety fact.
    Single-valued kinds too: MiniLM puts "Usually books for 4" and "…for 2" at cosine 0.92,
    and a changed value must replace the old one, not reinforce it.
    """
    if normalise_memory_text(a_text) == normalise_memory_text(b_text):
        return True
    if kind == MemoryKind.ALLERGY or kind in SINGLE_VALUED_KINDS:
        return False
    if a_vec is None or b_vec is None or not a_model or a_model != b_model:
        return False
    return _cosine(a_vec, b_vec) >= DUPLICATE_COSINE


# --- services ---------------------------------------------------------------------------


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, float(value)))


def user_memory_remember(
    *,
    user,
    kind: str,
    content: str,
    confidence: float = 0.8,
    importance: float = 0.5,
    source_interaction_id=None,
) -> tuple[UserMemory, bool]:
    """Store what we learned, or reinforce the live memory that already says it.

    Returns ``(memory, created)``. A repeat (same normalised text, or cosine ≥ 0.92 with
    a memory of the same kind) raises confidence and importance to the higher of the two
    instead of inserting; for single-valued kinds (party size, budget) a statement at
    least as confident as the held one replaces its content.
    """
    if kind not in MemoryKind.values:
        raise ValidationError(f"unknown memory kind {kind!r}")
    content = " ".join((content or "").split())
    if not content:
        raise ValidationError("a memory needs content")
    confidence, importance = _clamp(confidence), _clamp(importance)
    # Embed before taking any lock: a remote provider can take seconds.
    vectors, model = _embed([content])
    vector = vectors[0] if vectors is not None else None
    return _remember(
        user=user,
        kind=kind,
        content=content,
        confidence=confidence,
        importance=importance,
        source_interaction_id=source_interaction_id,
        vector=vector,
        model=model,
    )


@transaction.atomic
def _remember(
    *, user, kind: str, content: str, confidence: float, importance: float, source_interaction_id, vector, model: str
) -> tuple[UserMemory, bool]:
    # One writer per user at a time, so two messages processed together cannot both insert.
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
    live = list(UserMemory.objects.filter(user=user, kind=kind, archived_at__isnull=True).order_by("-created_at"))

    for memory in live:
        if memories_are_duplicates(
            content, vector, model, memory.content, memory.embedding, memory.embedding_model, kind=kind
        ):
            memory.confidence = max(memory.confidence, confidence)
            memory.importance = max(memory.importance, importance)
            fields = ["confidence", "importance", "updated_at"]
            if memory.embedding is None and vector is not None:
                memory.embedding, memory.embedding_model = vector.tolist(), model
                fields += ["embedding", "embedding_model"]
            memory.save(update_fields=fields)
            return memory, False

    if kind in SINGLE_VALUED_KINDS and live:
        current = live[0]
        if confidence >= current.confidence:
            current.content = content
            current.confidence = confidence
            current.importance = max(current.importance, importance)
            current.embedding = vector.tolist() if vector is not None else None
            current.embedding_model = model
            current.source_interaction_id = source_interaction_id or current.source_interaction_id
            current.save(
                update_fields=[
                    "content",
                    "confidence",
                    "importance",
                    "embedding",
                    "embedding_model",
                    "source_interaction_id",
                    "updated_at",
                ]
            )
        return current, False

    memory = UserMemory.objects.create(
        user=user,
        kind=kind,
        content=content,
        confidence=confidence,
        importance=importance,
        embedding=vector.tolist() if vector is not None else None,
        embedding_model=model,
        source_interaction_id=source_interaction_id,
    )
    return memory, True


def user_memory_learn_from_message(*, user, text: str, interaction_id=None) -> list[UserMemory]:
    """Extract what an inbound message says about its author and remember it.

    The extractor is the rules, or Claude plus the rules when LLM_PROVIDER=anthropic and
    MEMORY_EXTRACTOR=auto (knowledge.memory_llm; it falls back to the rules on any error).
    """
    from knowledge.memory_llm import extract_memories_with_llm

    remembered = []
    for candidate in extract_memories_with_llm(text, user=user):
        memory, _created = user_memory_remember(
            user=user,
            kind=candidate.kind,
            content=candidate.content,
            confidence=candidate.confidence,
            importance=KIND_IMPORTANCE.get(candidate.kind, 0.5),
            source_interaction_id=interaction_id,
        )
        remembered.append(memory)
    return remembered


def _ranked(*, user, query: str | None, limit: int, exclude: Iterable = ()) -> list[UserMemory]:
    live = UserMemory.objects.filter(user=user, archived_at__isnull=True).exclude(pk__in=list(exclude))
    if limit <= 0:
        return []
    if not query or not query.strip():
        return list(live.order_by("-importance", F("last_recalled_at").desc(nulls_last=True), "-created_at")[:limit])
    vectors, model = _embed([query])
    memories = list(live)
    if vectors is None:
        return sorted(memories, key=lambda m: (-m.importance, -m.created_at.timestamp()))[:limit]
    query_vector = vectors[0]

    def score(memory: UserMemory) -> float:
        similarity = 0.0
        if memory.embedding is not None and memory.embedding_model == model:
            similarity = max(0.0, _cosine(memory.embedding, query_vector))
        return RECALL_SIMILARITY_WEIGHT * similarity + (1 - RECALL_SIMILARITY_WEIGHT) * memory.importance

    scored = sorted(memories, key=lambda m: (-score(m), -m.created_at.timestamp()))
    return scored[:limit]


def _mark_recalled(memories: Sequence[UserMemory]) -> None:
    if not memories:
        return
    now = timezone.now()
    UserMemory.objects.filter(pk__in=[m.pk for m in memories]).update(
        last_recalled_at=now,
        recall_count=F("recall_count") + 1,
        importance=Least(F("importance") + Value(RECALL_IMPORTANCE_BOOST), Value(1.0)),
    )
    for memory in memories:
        memory.last_recalled_at = now
        memory.recall_count += 1
        memory.importance = min(1.0, memory.importance + RECALL_IMPORTANCE_BOOST)


def user_memory_recall(*, user, query: str | None = None, limit: int = 8) -> list[UserMemory]:
    """The user's live memories most useful now, best first, marked as recalled.

    With a query: cosine similarity to it blended with importance. Without one:
    importance, then recency. Recall bumps importance a little (used memories fade slower).
    """
    memories = _ranked(user=user, query=query, limit=limit)
    _mark_recalled(memories)
    return memories


_DESCRIBE_SECTIONS = [
    (MemoryKind.ALLERGY, "Allergies & diet"),
    (MemoryKind.AREA, "Places you like"),
    (MemoryKind.PARTY_SIZE, "Party size"),
    (MemoryKind.BUDGET, "Budget"),
    (MemoryKind.PREFERENCE, "Tastes & preferences"),
    (MemoryKind.FACT, "Other things you told me"),
    (MemoryKind.OTHER, "Other"),
]


def user_memory_describe(*, user) -> str:
    """The answer to "what do you remember about me?": every stored memory, faded ones too."""
    memories = list(UserMemory.objects.filter(user=user).order_by("-importance", "created_at"))
    if not memories:
        return "I don't remember anything about you yet."
    lines = ["Here is what I remember about you:"]
    live = [m for m in memories if m.archived_at is None]
    for kind, heading in _DESCRIBE_SECTIONS:
        items = [m for m in live if m.kind == kind]
        if items:
            lines.append("")
            lines.append(f"{heading}:")
            lines.extend(f"- {m.content}" for m in items)
    faded = [m for m in memories if m.archived_at is not None]
    if faded:
        lines.append("")
        lines.append("Older things I no longer use (still stored until you ask me to forget them):")
        lines.extend(f"- {m.content}" for m in faded)
    lines.append("")
    lines.append('Say "forget …" with any of these to delete it, or "forget everything" to delete all of it.')
    return "\n".join(lines)


_FORGET_PREFIX = re.compile(
    r"^(?:please\s+)?(?:(?:can|could|would)\s+you\s+(?:please\s+)?)?(?:forget|delete|remove|erase)\s+"
    r"(?:about\s+)?(?:the\s+(?:fact|memory)\s+)?(?:that\s+)?(?:i\s*'?\s*m\s+|i\s+am\s+|i\s+|we\s*'?\s*re\s+|we\s+)?",
    re.IGNORECASE,
)
_EVERYTHING = frozenset(
    {
        "everything",
        "everything about me",
        "all",
        "all of it",
        "it all",
        "all my data",
        "all of my data",
        "all memories",
        "all my memories",
        "everything you know",
        "everything you know about me",
        "everything you remember",
        "everything you remember about me",
        "all you know about me",
    }
)


@transaction.atomic
def user_memory_forget_matching(*, user, text: str) -> int:
    """Really delete the memories a phrase points at; returns how many rows went.

    "forget everything" deletes every memory the user has (faded ones included). Otherwise
    a memory goes when it contains every significant word of the phrase ("forget peanuts"
    → "Allergic to peanuts"). Matching is on words, not embeddings: deleting the wrong
    memory because it was semantically near would be worse than asking again.
    """
    phrase = _FORGET_PREFIX.sub("", " ".join((text or "").split()), count=1).strip(" .!?")
    normalised = normalise_memory_text(phrase)
    memories = UserMemory.objects.filter(user=user)
    if normalised in _EVERYTHING:
        _deleted, per_model = memories.delete()
        return per_model.get(UserMemory._meta.label, 0)
    wanted = _tokens(phrase)
    if not wanted:
        return 0
    ids = [pk for pk, content in memories.values_list("pk", "content") if wanted <= _tokens(content)]
    if not ids:
        return 0
    _deleted, per_model = UserMemory.objects.filter(user=user, pk__in=ids).delete()
    return per_model.get(UserMemory._meta.label, 0)


def soul_prompt_memory_block(*, user, query: str | None, limit: int = PROMPT_MEMORY_LIMIT) -> str:
    """What the system prompt says about the user: a bullet list, allergies always in.

    Allergies and dietary needs are included whatever the query (and even beyond
    ``limit``): a forgotten allergy is the one recall failure we cannot afford.
    """
    allergies = list(
        UserMemory.objects.filter(user=user, kind=MemoryKind.ALLERGY, archived_at__isnull=True).order_by("created_at")
    )
    others = _ranked(user=user, query=query, limit=limit - len(allergies), exclude=[m.pk for m in allergies])
    chosen = allergies + others
    if not chosen:
        return ""
    _mark_recalled(chosen)
    labels = dict(MemoryKind.choices)
    lines = ["What you remember about this user (use it naturally; never read the list back):"]
    for memory in chosen:
        hedge = "" if memory.confidence >= 0.7 else " (not sure)"
        lines.append(f"- {labels.get(memory.kind, memory.kind)}: {memory.content}{hedge}")
    return "\n".join(lines)
