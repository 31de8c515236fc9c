"""Dates and times the hand-written rules in venues.textparse do not read, read with
``dateparser``: relative expressions ("in 2 weeks", "a week from now", "через 2 часа",
"in 2 Stunden", "2 jam lagi"), weekday and month names in English, Indonesian, Russian
and German ("15 апреля в 19:00", "übermorgen", "tanggal 15 april").

dateparser is slow to import and to warm (its per-language data loads on first use), so
this module imports it at load and :func:`warm_up` runs one parse per language; Celery
workers call it when their process starts (messaging.apps), so no guest waits for it.

Only phrases with a calendar word count ("for 2" or "jam 7" are never a date), and
results far away or in the past are dropped: a wrong date is worse than asking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateparser.search import search_dates

LANGUAGES = ("en", "id", "ru", "de")
MAX_AHEAD = timedelta(days=400)
# A word that makes a phrase a date (not just a number).
CALENDAR_WORD = re.compile(
    r"week|month|fortnight|days?\b|hours?|minutes?|tomorrow|today|tonight|from now|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"january|february|march|april|may\b|june|july|august|september|october|november|december|"
    r"\b(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b|"
    r"недел|месяц|дн|час|минут|через|завтра|сегодня|понедельник|вторник|сред|четверг|пятниц|суббот|воскресен|"
    r"январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|декабр|"
    r"woche|monat|tag|stunde|minute|morgen|heute|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|"
    r"januar|februar|märz|mai\b|juni|juli|oktober|dezember|"
    r"minggu|bulan|hari|menit|besok|lusa|senin|selasa|rabu|kamis|jumat|sabtu|"
    r"januari|februari|maret|mei\b|juni|juli|agustus|oktober|desember|tanggal",
    re.IGNORECASE,
)
# Words that are a date on their own (a lone month name or "week" is not).
ONE_WORD_DATE = re.compile(
    r"tomorrow|today|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"завтра|сегодня|понедельник|вторник|сред|четверг|пятниц|суббот|воскресен|"
    r"morgen|heute|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|"
    r"besok|lusa|senin|selasa|rabu|kamis|jumat|sabtu",
    re.IGNORECASE,
)
# A clock time inside the phrase: then the parsed time counts, else only the day does.
CLOCK = re.compile(r"\d{1,2}[:.]\d{2}|\d\s*(?:am|pm|uhr|час|ч\b)|\b(?:jam|pukul)\s+\d", re.IGNORECASE)
# "in 2 hours" and its kin: a moment, not a day.
RELATIVE_MOMENT = re.compile(r"\d+\s*(?:hours?|minutes?|mins?|час\w*|минут\w*|stunden?|minuten?|jam|menit)", re.I)


@dataclass(frozen=True)
class FoundDate:
    phrase: str
    day: date
    at: time | None = None
    moment: datetime | None = None


def find_date(text: str, now: datetime, language: str = "en") -> FoundDate | None:
    """The first date phrase in ``text`` resolved against ``now`` (aware, the venue's or the
    guest's local time), future dates preferred; None when there is none worth trusting."""
    if not text or not CALENDAR_WORD.search(text):
        return None  # the common case (a search, a name): no call into dateparser at all
    lang = language if language in LANGUAGES else "en"
    base = now.replace(tzinfo=None)
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False}
    try:
        found = search_dates(text, languages=[lang] if lang == "en" else [lang, "en"], settings=settings) or []
    except Exception:  # noqa: BLE001 - a parser failure means "no date", never a broken reply
        return None
    for phrase, value in found:
        if not CALENDAR_WORD.search(phrase):
            continue
        if len(phrase.split()) == 1 and not ONE_WORD_DATE.search(phrase):
            continue  # a lone month name ("may I…") or unit is not a date
        if value.date() < base.date() or value - base > MAX_AHEAD:
            continue
        moment = None
        if RELATIVE_MOMENT.search(phrase) and (
            re.search(r"\b(?:in|через)\b", phrase, re.I) or re.search(rf"{re.escape(phrase)}\s+lagi", text, re.I)
        ):
            moment = value.replace(tzinfo=now.tzinfo)
        at = value.time() if CLOCK.search(phrase) else None
        return FoundDate(phrase=phrase, day=value.date(), at=at, moment=moment)
    return None


def warm_up() -> None:
    """Load dateparser's data for every language the concierge speaks (a few hundred ms)."""
    now = datetime(2026, 1, 1, 12, 0)
    for language, text in (
        ("en", "in 2 weeks"),
        ("id", "minggu depan"),
        ("ru", "через неделю"),
        ("de", "in zwei Wochen"),
    ):
        try:
            search_dates(text, languages=[language], settings={"RELATIVE_BASE": now})
        except Exception:  # noqa: BLE001 - a cold parser is slower, not broken
            pass
