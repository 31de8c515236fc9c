"""The conversation set: realistic multi-turn guest conversations (conversations.yaml), each run
through the real Telegram webhook → router → offline planner → send queue → a local fake of
the Telegram Bot API, on a frozen clock, with its outcome checked in the database and every
reply checked for false claims.

Data format (one list entry per conversation):

    - id: book-edit-time                      # unique, shown in the test id
      at: "2026-03-10 10:00"                  # optional; Bali local time the clock is frozen at
      lang: en                                # the Telegram client's language_code (optional)
      turns:
        - say: book Maison Frangipani tomorrow at 7pm for 2
          expect: ["Maison Frangipani", "19:00"]   # regexes (case-insensitive), all must match
          reject: ["Sorry, I didn't catch"]        # regexes none may match
        - press: "yes"                              # an inline-button tap (callback_query)
      outcome:
        bookings: [{venue: maison-frangipani-seminyak, day: 1, time: "20:00", party: 2, status: confirmed}]
                                               # optional: children: 1 (how many of the party)
        no_booking: true                       # no booking row at all
        reminders: [{text: "call mum", day: 0, time: "18:00"}]
        memory_has: ["vegan"]                  # substrings of the user's remembered facts
        memory_lacks: ["pescatarian"]
        memory_empty: true
      known_failure: "why it still fails"       # documented: xfail(strict=True)

Falsehood checks after every turn (any conversation): a reply claiming a booking was made or
confirmed needs a booking row, and every reference it names must exist; a reply saying it
deleted memories needs fewer memories than before the turn; every quoted passage ("• …
— Venue, source") must be a real piece of that venue's knowledge.

The pass rate of the set is printed at the end of the run (messaging/tests/conftest.py).
"""

from __future__ import annotations

import json
import re
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml

from bookings.models import Reminder, VenueBooking
from knowledge.models import UserMemory
from messaging.models import Interaction
from messaging.tests.fake_weather import fake_weather  # noqa: F401 (fixture)
from messaging.tests.fakes import fake_telegram  # noqa: F401 (fixture)
from messaging.tests.test_llm_offline import bali  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

BALI = ZoneInfo("Asia/Makassar")
DEFAULT_AT = "2026-03-10 10:00"  # a Tuesday morning
SECRET = "tg-secret-conversations"
# The tuned set first, then sets written from the guest's side to measure the planner on
# messages it was not built against: "holdout" was written before the planner work it then
# guided; "unseen" was written blind afterwards and never tuned against. The summary at the end
# of a run reports each set's pass rate (messaging/tests/conftest.py).
SETS = {
    "tuned": "conversations.yaml",
    "holdout": "conversations_holdout.yaml",
    "unseen": "conversations_unseen.yaml",
    "unseen2": "conversations_unseen2.yaml",
    "unseen3": "conversations_unseen3.yaml",
    "unseen4": "conversations_unseen4.yaml",
    "unseen5": "conversations_unseen5.yaml",
    "unseen6": "conversations_unseen6.yaml",
}
SET_ITEMS = {
    name: yaml.safe_load(Path(__file__).with_name(file).read_text(encoding="utf-8")) for name, file in SETS.items()
}
CONVERSATIONS = [item for items in SET_ITEMS.values() for item in items]
SET_OF = {item["id"]: name for name, items in SET_ITEMS.items() for item in items}
REPLY_SECONDS: list[float] = []  # every turn's reply time in this run (reported by conftest)

BOOKING_CLAIM = re.compile(
    r"✅|(?<!n't )(?<!not )(?<!not yet )\b(?:booked|confirmed|reserved|dikonfirmasi|dipesan|подтвержден\w*|забронирован\w*|bestätigt|gebucht)\b",
    re.IGNORECASE,
)
BOOKING_DISCLAIMER = re.compile(
    r"isn't confirmed yet|not (?:yet )?confirmed|nothing is booked|nothing booked|belum dikonfirmasi|"
    r"ещё не подтвержден|noch nicht bestätigt|shall i|should i|reply yes|balas ya|ответьте да|antworten sie ja|confirm\?|cancelled|dibatalkan|отменен|storniert",
    re.IGNORECASE,
)
DELETE_CLAIM = re.compile(r"\b(?:deleted|forgotten|erased|dihapus|удалил\w*|gelöscht)\b", re.IGNORECASE)
REFERENCE = re.compile(r"\bAG-(?!X+\b)[A-Z0-9]{4,12}\b")
QUOTE = re.compile(r"^• (?P<text>.+)\n\s+— (?P<venue>[^,\n]+)", re.MULTILINE)


def _params(conversations: list[dict]):
    for item in conversations:
        marks = []
        if item.get("known_failure"):
            marks.append(pytest.mark.xfail(reason=item["known_failure"], strict=True))
        yield pytest.param(item, id=item["id"], marks=marks)


def test_the_conversation_set_is_well_formed():
    ids = [item["id"] for item in CONVERSATIONS]
    assert len(ids) == len(set(ids)), "conversation ids must be unique across all sets"
    assert len(SET_ITEMS["tuned"]) >= 100
    assert len(SET_ITEMS["holdout"]) >= 80
    assert len(SET_ITEMS["unseen"]) >= 70
    assert len(SET_ITEMS["unseen2"]) >= 100
    assert len(SET_ITEMS["unseen3"]) >= 80
    assert len(SET_ITEMS["unseen4"]) >= 90
    assert len(SET_ITEMS["unseen5"]) >= 90
    assert len(SET_ITEMS["unseen6"]) >= 100
    for name in ("unseen", "unseen2", "unseen3"):  # later sets may check a search by its replies alone
        assert all(item.get("outcome") for item in SET_ITEMS[name]), "every held-out conversation checks an outcome"
    for item in CONVERSATIONS:
        assert item.get("turns"), item["id"]
        assert all(("say" in turn) != ("press" in turn) for turn in item["turns"]), item["id"]
        assert item.get("outcome") or any(turn.get("expect") or turn.get("reject") for turn in item["turns"]), (
            f"{item['id']} checks nothing"
        )


@pytest.fixture(autouse=True)
def _config(settings):
    settings.LLM_PROVIDER = "offline"
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET


class Guest:
    def __init__(self, client, fake, capture, *, chat_id: int, lang: str):
        self.client, self.fake, self.capture = client, fake, capture
        self.chat_id, self.lang = chat_id, lang
        self.update_id = chat_id * 100

    def _post(self, update: dict) -> None:
        with self.capture(execute=True):
            response = self.client.post(
                "/webhooks/telegram",
                data=json.dumps(update),
                content_type="application/json",
                HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
            )
        assert response.status_code == 200

    def _sender(self) -> dict:
        return {
            "id": self.chat_id,
            "is_bot": False,
            "first_name": "Sari",
            "username": "sari",
            "language_code": self.lang,
        }

    def say(self, text: str) -> None:
        self.update_id += 1
        self._post(
            {
                "update_id": self.update_id,
                "message": {
                    "message_id": self.update_id,
                    "date": int(time.time()),
                    "text": text,
                    "from": self._sender(),
                    "chat": {"id": self.chat_id, "first_name": "Sari", "type": "private"},
                },
            }
        )

    def press(self, data: str) -> None:
        """Tap an inline button of the last message that carried buttons."""
        buttons = [
            button
            for sent in self.fake.sent()
            for row in ((sent.get("reply_markup") or {}).get("inline_keyboard") or [])
            for button in row
        ]
        assert any(button.get("callback_data") == data for button in buttons), f"no button {data!r} was offered"
        self.update_id += 1
        self._post(
            {
                "update_id": self.update_id,
                "callback_query": {
                    "id": f"cb{self.update_id}",
                    "from": self._sender(),
                    "message": {"message_id": self.update_id - 1, "chat": {"id": self.chat_id, "type": "private"}},
                    "data": data,
                },
            }
        )


def _day(now: datetime, spec) -> str:
    return (now.date() + timedelta(days=int(spec))).isoformat()


def _memories(user) -> list[str]:
    return list(UserMemory.objects.filter(user=user).values_list("content", flat=True)) if user else []


def _knowledge_texts(venue_name: str) -> list[str]:
    from knowledge.models import VenueChunk
    from venues.models import Venue

    venue = Venue.objects.filter(name=venue_name.strip()).first()
    if venue is None:
        return []
    texts = [venue.knowledge_text or "", venue.description or ""]
    texts += list(VenueChunk.objects.filter(venue=venue).values_list("content", flat=True))
    return [" ".join(t.split()) for t in texts]


def _check_reply_is_true(reply: str, *, user, memories_before: int) -> None:
    bookings = VenueBooking.objects.filter(user=user) if user else VenueBooking.objects.none()
    own_words = re.sub(r"“[^”]*”", " ", QUOTE.sub(" ", reply))  # quoted venue texts are not our claims
    if BOOKING_CLAIM.search(own_words) and not BOOKING_DISCLAIMER.search(own_words):
        assert bookings.exists(), f"claims a booking with no booking row: {reply!r}"
    for reference in REFERENCE.findall(reply):
        assert VenueBooking.objects.filter(external_ref=reference).exists(), f"unknown reference {reference}"
    if DELETE_CLAIM.search(reply):
        assert len(_memories(user)) < memories_before, f"claims a deletion but nothing was deleted: {reply!r}"
    for quote in QUOTE.finditer(reply):
        text = " ".join(quote.group("text").split()).rstrip("…").strip()
        venue = quote.group("venue").strip()
        if not re.search(r"[.!?]$|…$", quote.group("text").strip()) and len(text) < 12:
            continue
        sources = _knowledge_texts(venue)
        for piece in (p.strip() for p in text.split("…")):
            if sources and piece:
                assert any(piece in source for source in sources), f"quote not in {venue}'s knowledge: {piece!r}"


def _check_outcome(outcome: dict, *, user, now: datetime) -> None:
    bookings = list(VenueBooking.objects.filter(user=user).select_related("venue")) if user else []
    if outcome.get("no_booking"):
        assert not bookings, f"expected no booking, found {[(b.venue.slug, b.status) for b in bookings]}"
    for want in outcome.get("bookings") or []:
        found = [
            b
            for b in bookings
            if ("venue" not in want or b.venue.slug == want["venue"])
            and ("day" not in want or b.slot_start.astimezone(BALI).date().isoformat() == _day(now, want["day"]))
            and ("time" not in want or b.slot_start.astimezone(BALI).strftime("%H:%M") == want["time"])
            and ("party" not in want or b.party_size == want["party"])
            and ("children" not in want or b.children == want["children"])
            and ("status" not in want or b.status == want["status"])
        ]
        assert found, f"no booking like {want}; have " + repr(
            [(b.venue.slug, b.slot_start.astimezone(BALI).isoformat(), b.party_size, b.status) for b in bookings]
        )
    for want in outcome.get("reminders") or []:
        reminders = list(Reminder.objects.filter(user=user)) if user else []
        found = [
            r
            for r in reminders
            if want["text"].lower() in r.text.lower()
            and ("day" not in want or r.due_at.astimezone(BALI).date().isoformat() == _day(now, want["day"]))
            and ("time" not in want or r.due_at.astimezone(BALI).strftime("%H:%M") == want["time"])
        ]
        assert found, f"no reminder like {want}; have {[(r.text, r.due_at.astimezone(BALI)) for r in reminders]}"
    memories = " | ".join(_memories(user)).lower()
    for word in outcome.get("memory_has") or []:
        assert word.lower() in memories, f"memory lacks {word!r}: {memories!r}"
    for word in outcome.get("memory_lacks") or []:
        assert word.lower() not in memories, f"memory still has {word!r}: {memories!r}"
    if outcome.get("memory_empty"):
        assert not memories, f"memories remain: {memories!r}"


@pytest.mark.parametrize("conversation", list(_params(CONVERSATIONS)))
def test_conversation(conversation, client, bali, fake_telegram, fake_weather, django_capture_on_commit_callbacks):  # noqa: F811
    _run(
        conversation,
        700000 + CONVERSATIONS.index(conversation),
        client,
        fake_telegram,
        django_capture_on_commit_callbacks,
    )


def _run(conversation: dict, chat_id: int, client, fake_telegram, django_capture_on_commit_callbacks) -> None:  # noqa: F811
    from messaging.models import UserChannel

    at = datetime.strptime(conversation.get("at", DEFAULT_AT), "%Y-%m-%d %H:%M").replace(tzinfo=BALI)
    with time_machine.travel(at, tick=False):
        guest = Guest(
            client,
            fake_telegram,
            django_capture_on_commit_callbacks,
            chat_id=chat_id,
            lang=conversation.get("lang", "en"),
        )
        for index, turn in enumerate(conversation["turns"]):
            channel = UserChannel.objects.filter(external_id=str(chat_id)).select_related("user").first()
            user = channel.user if channel else None
            before = len(_memories(user))
            seen = len(fake_telegram.texts())
            started = time.perf_counter()
            if "say" in turn:
                guest.say(turn["say"])
            else:
                guest.press(turn["press"])
            REPLY_SECONDS.append(time.perf_counter() - started)
            user = UserChannel.objects.select_related("user").get(external_id=str(chat_id)).user
            replies = fake_telegram.texts()[seen:]
            assert replies, f"turn {index + 1} got no reply"
            reply = "\n".join(replies)
            where = f"turn {index + 1} ({turn.get('say') or turn.get('press')!r}) → {reply!r}"
            for pattern in turn.get("expect") or []:
                assert re.search(pattern, reply, re.IGNORECASE), f"{where} lacks /{pattern}/"
            for pattern in turn.get("reject") or []:
                assert not re.search(pattern, reply, re.IGNORECASE), f"{where} has /{pattern}/"
            if turn.get("buttons"):
                markup = (fake_telegram.sent()[-1].get("reply_markup") or {}).get("inline_keyboard")
                assert markup, f"{where} carries no buttons"
            _check_reply_is_true(reply, user=user, memories_before=before)
            assert not Interaction.objects.filter(direction="inbound", status="failed").exists(), where
        _check_outcome(conversation.get("outcome") or {}, user=user, now=at)


def conversation_set(nodeid: str) -> str:
    """The set ("tuned", "holdout", "unseen") a test_conversation node id belongs to."""
    return SET_OF.get(nodeid.partition("test_conversation[")[2].rstrip("]"), "tuned")


def reply_time_summary() -> str:
    if not REPLY_SECONDS:
        return ""
    return f"median reply {statistics.median(REPLY_SECONDS) * 1000:.0f} ms over {len(REPLY_SECONDS)} turns"
