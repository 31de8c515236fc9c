"""Reading a venue request out of free text: when, how many, which venue, where, what
kind of place, what price.

Used by the concierge's offline planner (messaging) and by the A2A JSON-RPC endpoint
(agents), so it lives below both. The functions are pure over the text except
``venue_aliases()`` and ``places()``, which read the searchable venues and cities, and
``catalogue()``, both of them cached per process until a venue or city changes.
Every ``find_*`` returns what it found and the text without it, so a caller peels one
fact after another off the same sentence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    text = text.lower().replace("&", " and ").replace("’", "'")
    return " ".join(text.split())


NUMBER_WORDS = {
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
    "an": 1,
    "a": 1,
}
NUM_PATTERN = r"(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"


def _to_int(word: str) -> int | None:
    word = word.strip().lower()
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
SOFT_TIMES = {
    "breakfast": time(8, 30),
    "brunch": time(10, 30),
    "lunch": time(12, 30),
    "afternoon": time(15, 0),
    "sunset": time(18, 0),
    "evening": time(19, 0),
    "dinner": time(19, 30),
    "tonight": time(19, 30),
    "morning": time(9, 0),
}


# A word for the part of the day binds a bare hour to it: the hour nearest these times
DAYPART_TIMES = {**SOFT_TIMES, "afternoon": time(15, 0), "evening": time(19, 0), "night": time(20, 0)}
_GREETING = re.compile(r"\bgood\s+(?:morning|afternoon|evening|night)\b|^\W*(?:morning|evening)\b(?=\s*[!,.])")


def _without_greeting(text: str) -> str:
    return _GREETING.sub(" ", text)


@dataclass
class When:
    day: date | None = None
    at: time | None = None
    soft: bool = False  # the time came from a word like "dinner", not a clock time
    moment: datetime | None = None  # "in 2 hours"


def parse_when(
    text: str, now: datetime, *, prefer_evening: bool, language: str = "en", original: str | None = None
) -> tuple[When, str]:
    """Dates and times in free text, resolved against the user's local ``now``.

    The hand-written rules below run first (fast, and exact for the everyday phrases);
    what they leave without a day, dateparser reads (venues.dateparse) from ``original``
    (the guest's own words, for other languages) or ``text``, in ``language``.

    Returns the parse and the text with those phrases removed (for queries and reminder text).
    """
    t = text
    when = When()
    evening = False  # "tonight at 6", "tomorrow night at 8": a bare hour is in the evening
    # "brunch around 10", "lunch at 1": a bare hour is the one nearest that meal
    # and "this morning at 8", "saturday evening at 8", "sore jam 4" bind it the same way (a
    # greeting, "good morning!", says nothing of the time)
    daytime_word = re.search(r"\b(breakfast|brunch|morning|lunch|afternoon|evening|night)\b", _without_greeting(t))
    daytime = DAYPART_TIMES[daytime_word.group(1)] if daytime_word else None

    def hour_of(hour: int, suffix: str | None, evening_first: bool) -> int:
        if daytime is not None and not (suffix or "").strip() and 1 <= hour <= 11 and not evening:
            return min((hour, hour + 12), key=lambda h: abs(h * 60 - (daytime.hour * 60 + daytime.minute)))
        return _hour12(hour, suffix, evening_first)

    def cut(match: re.Match) -> None:
        nonlocal t
        t = t[: match.start()] + " " + t[match.end() :]

    m = re.search(
        rf"\bin\s+(?:about\s+)?{NUM_PATTERN}\s*(minutes?|mins?|hours?|hrs?|h|days?)\b|\bin\s+(an?|half an)\s+(hour|minute|day)\b",
        t,
    )
    if m:
        if m.group(1):
            amount, unit = _to_int(m.group(1)) or 0, m.group(2)
        else:
            amount, unit = (0.5 if m.group(3) == "half an" else 1), m.group(4)
        if unit.startswith("d"):  # "in 3 days": a day, its time said apart ("in 3 days at 12:30")
            when.day = now.date() + timedelta(days=int(amount))
        else:
            when.moment = now + (timedelta(minutes=amount) if unit.startswith("m") else timedelta(hours=amount))
        cut(m)

    m = re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", t)
    if m:
        try:
            when.day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
        cut(m)
    if when.day is None:
        m = re.search(
            rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b|\b({_MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b",
            t,
        )
        if m:
            day_num = int(m.group(1) or m.group(4))
            month = MONTHS[m.group(2) or m.group(3)]
            when.day = _future_date(now.date(), month, day_num)
            cut(m)
    if when.day is None:
        m = re.search(
            r"\b(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:one|option|place|venue|restaurant|cafe|club|bar|spa|choice)\b)"
            r"|\bon\s+(\d{1,2})(?:st|nd|rd|th)\b",
            t,
        )  # "the 2nd one" picks from a list, it is not a day
        if m:  # "on the 9th": this month's 9th, or next month's once it has passed
            day_num = int(m.group(1) or m.group(2))
            today = now.date()
            for months_ahead in range(0, 3):
                month = (today.month - 1 + months_ahead) % 12 + 1
                year = today.year + (today.month - 1 + months_ahead) // 12
                try:
                    candidate = date(year, month, day_num)
                except ValueError:
                    continue
                if candidate >= today:
                    when.day = candidate
                    break
            cut(m)
    if when.day is None:
        m = re.search(r"\b(\d{1,2})/(\d{1,2})\b", t)
        if m:  # day/month, as written in Indonesia and Europe
            when.day = _future_date(now.date(), int(m.group(2)), int(m.group(1)))
            cut(m)
    if when.day is None:
        for pattern, offset in (
            (r"\b(?:the )?day after (?:tomorrow|tmrw|tmr|tomorow|tommorow|tommorrow)\b|\bovermorrow\b", 2),
            (r"\b(tomorrow|tmrw|tmr|tomorow)(?:\s+(?:night|evening))?\b", 1),
            (r"\b(today|tonight|this evening|this morning|this afternoon|(?<!from )now)\b", 0),
        ):
            m = re.search(pattern, t)
            if m:
                when.day = now.date() + timedelta(days=offset)
                if re.search(r"night|evening", m.group(0)):
                    when.at, when.soft = SOFT_TIMES["tonight"], True
                    evening = True
                if m.group(0) != "now":
                    cut(m)
                break
    if when.day is None:
        m = re.search(rf"\b(?:(next|this|on)\s+)?({_WEEKDAY_RE})\b", t)
        if m:
            wanted = WEEKDAYS[m.group(2)]
            ahead = (wanted - now.weekday()) % 7
            if m.group(1) == "next" and ahead == 0:
                ahead = 7
            when.day = now.date() + timedelta(days=ahead)
            cut(m)
    if when.day is None:
        m = re.search(r"\b(?:this\s+)?weekend\b", t)
        if m:
            when.day = now.date() + timedelta(days=(5 - now.weekday()) % 7)
            cut(m)
    if when.day is None:
        # last of all: "we got here yesterday … on saturday night" books saturday
        m = re.search(r"\byesterday\b", t)
        if m:
            when.day = now.date() - timedelta(days=1)
            cut(m)

    # "7ish", "7:30-ish": about then, read as the time itself
    t = re.sub(r"\b(\d{1,2}(?:[:.]\d{2})?)\s*-?\s*ish\b", r"around \1", t)
    m = re.search(rf"\b(half|quarter) (past|to) {NUM_PATTERN}\b", t)
    if m:  # "half past seven" → 7:30 (the evening for a booking)
        hour = _to_int(m.group(3)) or 0
        minute = 30 if m.group(1) == "half" else 15
        if m.group(2) == "to":
            hour, minute = hour - 1, 60 - minute
        t = t[: m.start()] + f" at {hour}:{minute:02d} " + t[m.end() :]
    m = re.search(r"\b(?:at\s+|@\s*|around\s+|by\s+)?(\d{1,2})[:.](\d{2})\s*(am|pm|a\.m\.|p\.m\.)?(?!\d)", t)
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
        # "10:00" / "09:30" read as the 24-hour clock they look like; "7:30" for a dinner
        # booking still means the evening
        hour = hour_of(int(m.group(1)), m.group(3), (prefer_evening or evening) and len(m.group(1)) == 1)
        when.at, when.soft = time(hour, int(m.group(2))), False
        cut(m)
    else:
        m = re.search(r"\b(?:at\s+|@\s*|around\s+|by\s+)?(\d{1,2})\s*(am|pm|a\.m\.|p\.m\.|o'?clock)\b", t) or re.search(
            r"\b(?:at|around|about|by)\s+(\d{1,2})\b(?!\s*(?:people|persons|pax|guests|ppl|of us|minutes?|mins?|hours?))()",
            t,
        )
        if m and 0 < int(m.group(1)) <= 24:
            suffix = m.group(2) if m.group(2) and "clock" not in m.group(2) else None
            when.at, when.soft = time(hour_of(int(m.group(1)), suffix, prefer_evening or evening) % 24, 0), False
            cut(m)
        else:
            for word, value in (("noon", time(12, 0)), ("midday", time(12, 0)), ("midnight", time(0, 0))):
                m = re.search(rf"\b(?:at\s+)?{word}\b", t)
                if m:
                    when.at, when.soft = value, False
                    cut(m)
                    break
    if when.day is None and when.moment is None:
        from venues.dateparse import find_date

        found = find_date(original or t, now, language)
        if found is not None:
            if found.moment is not None:
                when.moment = found.moment
            else:
                when.day = found.day
                if found.at is not None and (when.at is None or when.soft):
                    when.at, when.soft = found.at, False
            phrase = normalize(found.phrase)
            if phrase and phrase in t:
                t = t.replace(phrase, " ", 1)
    if when.at is None:
        m = re.search(
            r"\b(?:for\s+|at\s+|in the\s+)?(breakfast|brunch|lunch|afternoon|sunset|evening|dinner|morning)\b", t
        )
        if m:
            when.at, when.soft = SOFT_TIMES[m.group(1)], True
    return when, " ".join(t.split())


def _hour12(hour: int, suffix: str | None, prefer_evening: bool) -> int:
    suffix = (suffix or "").replace(".", "")
    if suffix == "pm" and hour < 12:
        return hour + 12
    if suffix == "am":
        return 0 if hour == 12 else hour
    if not suffix and prefer_evening and 1 <= hour <= 11:
        return hour + 12  # "book at 8" means the evening
    return hour


def _future_date(today: date, month: int, day_num: int) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day_num)
        except ValueError:
            return None
        if candidate >= today - timedelta(days=1):
            return candidate
    return None


def parse_party_size(text: str) -> int | None:
    m = re.search(
        rf"\b(?:for|party of|family of|table for|group of|we are|we're|were|us)\s+(?:a\s+)?{NUM_PATTERN}\b(?!\s*(?::|\.\d|am\b|pm\b|o'?clock|h\b|hours?|hrs?|mins?|minutes?|days?|nights?))",
        text,
    )
    if m:
        return _to_int(m.group(1))
    m = re.search(
        rf"\b{NUM_PATTERN}\s*(?:people|persons|person|pax|guests|adults|of us|ppl|friends|mates|pals|guys|girls|ladies|"
        rf"lads|gals|dudes|men|women)\b",
        text,
    )
    if m:
        return _to_int(m.group(1))
    if re.search(r"\bfor (?:a )?couple\b|\bfor (?:the )?two of us\b|\bdate night\b", text):
        return 2
    return None


def party_size(text: str) -> int | None:
    """Party size from the phrases guests use: "for 2", "me and my wife", "2 adults and 2 kids",
    "me, my husband and our 2 kids", "just me" (adults and children together)."""
    return party(text)[0]


def children_count(text: str) -> int:
    """How many children a party phrase names ("2 adults and 2 kids" → 2; none → 0)."""
    return party(text)[1]


# The people a guest names instead of a number ("me and my gf", "my wife and I", "me, my
# husband and our 2 kids", "with my mum"): each counts one, a number before a word counts
# that many, a couple of words for two count two; a plural without a number ("my kids")
# leaves the size unknown (asking beats guessing).
_ONE = (
    r"wife|husband|hubby|partner|girlfriend|gf|boyfriend|bf|fiance|fiancee|fiancé|fiancée|friend|mate|buddy|bestie|"
    r"mum|mom|mother|mama|dad|father|papa|son|daughter|sister|brother|sis|bro|colleague|date|plus[- ]one|"
    r"kid|child|toddler|baby|boy|girl|nanny|grandma|grandpa|granny|grandmother|grandfather|aunt|uncle|cousin"
)
_MANY = (
    r"friends|mates|buddies|colleagues|kids|children|toddlers|babies|boys|girls|sons|daughters|sisters|brothers|"
    r"cousins|guests|parents|grandparents|in-laws|inlaws"
)
_CHILD = re.compile(r"^(?:kids?|child|children|toddlers?|bab(?:y|ies)|infants?|little ones?|littles|kiddos?)$")
_OFFSPRING = re.compile(r"^(?:sons?|daughters?|boys?|girls?)$")
_AGE = re.compile(
    r"\b(?:he|she)(?:'s|\s+is)\s+(?:only\s+|just\s+)?(\d{1,2})\b(?!\s*(?::|\.\d|am\b|pm\b|o'?clock|h\b))"
    r"|\b(\d{1,2})[- ]?(?:yo|y/o|years?[- ]old|yrs? old)\b|\baged?\s+(\d{1,2})\b"
)
CHILD_AGE = 13  # under this a guest's son or daughter books as a child
_PAIRS = {"parents", "grandparents", "in-laws", "inlaws"}
_MEMBER = (
    rf"(?:(?:my|our|the|his|her|a)\s+)?(?:(?:little|young|small|two|\d{{1,2}})\s+|\d{{1,2}}[- ]?(?:years?|yrs?)[- ]old\s+)*"
    rf"(?:{_MANY}|{_ONE})\b"
)
_JOIN = r"(?:\s*[,&+]\s*|\s+)(?:(?:and|plus|with|n|&)\s+)?"
_SPEAKER = r"(?:me|myself|i)"
_GROUPS = (
    re.compile(rf"\b{_SPEAKER}(?:{_JOIN}{_MEMBER})+"),  # me and my wife (and our 2 kids)
    re.compile(rf"\b{_MEMBER}(?:{_JOIN}{_MEMBER})*{_JOIN}{_SPEAKER}\b"),  # my wife and i
    re.compile(rf"(?:\bwith|\bw/|\bw)\s+{_MEMBER}(?:{_JOIN}{_MEMBER})*"),  # (me) with my mum
)
_SOLO = re.compile(
    r"\b(?:just|only)\s+(?:me|myself|for me|1 person|one person)\b|\bme alone\b|\bby myself\b|\bon my own\b|"
    r"\bjust myself\b|\bsolo\b|\bparty of one\b|\bfor one person\b|\btable for one\b"
)


def _named_people(text: str) -> tuple[int | None, int, tuple[int, int]] | None:
    """(people, children, span) of the first group of people named in ``text``; people is
    None when a plural without a number leaves the count open."""
    for pattern in _GROUPS:
        m = pattern.search(text)
        if not m:
            continue
        words = re.finditer(rf"\b(?:(\d{{1,2}}|two)\s+)?(?:(?:little|young|small)\s+)*({_MANY}|{_ONE})\b", m.group(0))
        people, children, young = 1, 0, 0  # the speaker, named or not ("with my mum" is the speaker and mum)
        for word in words:
            count = int(word.group(1)) if word.group(1) and word.group(1).isdigit() else 2 if word.group(1) else None
            noun = word.group(2)
            if count is None:
                if re.fullmatch(_MANY, noun) and noun not in _PAIRS:
                    return None, 0, m.span()  # "me and my kids": how many?
                count = 2 if noun in _PAIRS else 1
            people += count
            if _CHILD.match(noun):
                children += count
            elif _OFFSPRING.match(noun):
                young += count
        if young:
            # "me and my son, he's 10": a son or daughter whose age says child counts as one
            children += min(young, sum(1 for age in _ages(text) if age < CHILD_AGE))
        return people, children, m.span()
    return None


def party(text: str) -> tuple[int | None, int]:
    """(party size, children among them) of a booking phrase; (None, 0) when it names none.

    Children said apart from the size count among it: "family of 4, the kids are 6 and 9",
    "the 4 of us (2 are kids)" are four with two children."""
    text = digits_from_words(text)
    size, children = _party(text)
    if size and not children:
        aside = _children_aside(text)
        if aside and aside < size:
            children = aside
    return size, children


_CHILD_WORDS = r"(?:kids?|children|child|toddlers?|bab(?:y|ies)|infants?|little ones?|littles|kiddos?)"
_AGE_LIST = re.compile(
    r"(?:\(\s*(?:aged?\s+|ages\s+)?|\b(?:are|aged?|ages)\s+)(\d{1,2}(?:\s*(?:,|&|and)\s*\d{1,2})*)\b"
    r"(?!\s*(?::|\.\d|am\b|pm\b|o'?clock|h\b|people|persons|pax|guests|ppl|of us|adults))"
)


def _ages(text: str) -> list[int]:
    """The ages a guest gives: "he's 10", "6 yo", "aged 6 and 9", "my daughters (6 and 9)"."""
    ages, spans = [], []
    for m in _AGE_LIST.finditer(text):
        ages += [int(n) for n in re.findall(r"\d{1,2}", m.group(1))]
        spans.append(m.span())
    for m in _AGE.finditer(text):
        if not any(start <= m.start() < end for start, end in spans):
            ages.append(int(next(g for g in m.groups() if g)))
    return ages


def _children_aside(text: str) -> int:
    """Children named apart from the party's size: "2 are kids", "2 of them are toddlers",
    "the kids are 6 and 9", "our daughters (6 and 9)"."""
    m = re.search(
        rf"\b{NUM_PATTERN}\s+(?:of\s+(?:us|them|whom|which)\s+)?(?:are|r|being)\s+(?:(?:little|young|small)\s+)?"
        rf"(?:{_CHILD_WORDS}|minors|under[- ]?\d+s?)\b",
        text,
    )
    if m:
        return _to_int(m.group(1)) or 0
    m = re.search(rf"\b({_CHILD_WORDS}|sons|daughters|boys|girls)\s*(?=\(|\b(?:are|aged?|ages)\b)", text)
    if m:
        ages = _AGE_LIST.match(text, m.end())
        if ages:
            found = [int(n) for n in re.findall(r"\d{1,2}", ages.group(1))]
            return len(found) if _CHILD.match(m.group(1)) else sum(1 for age in found if age < CHILD_AGE)
    return 0


def _party(text: str) -> tuple[int | None, int]:
    adults, children = adults_and_children(text)
    if adults:
        return adults + (children or 0), children or 0
    named = _named_people(text)
    if named is not None:
        people, kids, (start, end) = named
        outside = text[:start] + " , " + text[end:]
        stated = parse_party_size(outside)  # "for 4: me, my wife and 2 kids" says the size itself
        if not kids and children:
            kids = children  # "me and my wife, plus 2 kids" named apart
            people = people + children if people else None
        if stated and stated >= kids:
            return stated, kids
        return people, kids if people else 0
    stated = parse_party_size(text)
    if children:
        # "for 4 with 2 kids" is four; "2 kids" alone is the two of them
        return (stated if stated and stated >= children else children), children
    if stated:
        return stated, 0
    if re.search(r"\bjust the two of us\b|\bthe two of us\b|\bfor us two\b|\bus two\b", text):
        return 2, 0
    m = re.search(rf"\bthe {NUM_PATTERN} of us\b", text)
    if m:
        return _to_int(m.group(1)), 0
    if _SOLO.search(text):
        return 1, 0
    return None, 0


def adults_and_children(text: str) -> tuple[int | None, int | None]:
    adults = re.search(rf"\b{NUM_PATTERN}\s+(?:adults?|grown[- ]?ups?)\b", text)
    kids = re.search(rf"\b{NUM_PATTERN}\s+(?:(?:little|young|small)\s+)?{_CHILD_WORDS}\b", text)
    if adults and not kids:
        # "2 adults and a toddler", "2 adults + baby": one child
        kids = re.search(
            r"\b(?:adults?|grown[- ]?ups?)\s*(?:,|&|\+|and|with|plus)\s*(a|an|one|1)?\s*(?:(?:our|my|little|young|small)\s+)*"
            r"(?:kid|child|toddler|baby|infant|little one|kiddo|(?:1[0-7]|[1-9])\s*(?:yo|y/o|years?[- ]old|yrs? old)(?!\s*(?:and|&|,)\s*\d))\b",
            text,
        )
        if kids:
            return _to_int(adults.group(1)), 1
    if not adults and not kids:
        return None, None
    return (_to_int(adults.group(1)) if adults else None), (_to_int(kids.group(1)) if kids else None)


def digits_from_words(text: str) -> str:
    """Numbers written in words as digits ("fourteen people" → "14 people"), by number-parser."""
    if not re.search(
        r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|thirty)\b", text
    ):
        return text
    from number_parser import parse as parse_numbers

    try:
        return parse_numbers(text, language="en")
    except Exception:  # noqa: BLE001 - an odd phrase stays as written
        return text


# --------------------------------------------------------------------------- venues and places


GENERIC_SUFFIXES = (
    "beach club",
    "club",
    "cafe",
    "bar",
    "spa",
    "kitchen",
    "restaurant",
    "house",
    "studio",
    "bakery",
    "school",
    "dining",
    "bali",
    "canggu",
    "seminyak",
    "ubud",
    "uluwatu",
    "sanur",
    "shack",
    "grill",
    "social",
    "roastery",
)
GENERIC_WORDS = {
    "the",
    "club",
    "cafe",
    "bar",
    "spa",
    "beach",
    "kitchen",
    "house",
    "yoga",
    "surf",
    "studio",
    "bali",
    "coffee",
    "sound",
    "tide",
}


@dataclass(frozen=True)
class VenueRef:
    name: str
    slug: str
    alias: str


def venue_aliases() -> list[VenueRef]:
    """Every searchable venue under its full name and a shorter everyday name
    ("Tidehouse Beach Club" → "tidehouse"), longest first."""
    from venues.models import Venue
    from venues.selectors import SEARCHABLE_STATUSES

    refs: list[VenueRef] = []
    rows = list(Venue.objects.filter(status__in=SEARCHABLE_STATUSES).values_list("name", "slug"))
    heads: dict[str, set[str]] = {}
    for name, slug in rows:
        words = normalize(name).removeprefix("the ").split()
        if len(words) >= 2:
            heads.setdefault(" ".join(words[:2]), set()).add(slug)
    for name, slug in rows:
        full = normalize(name)
        aliases = {full, slug.replace("-", " ")}
        if full.startswith("the "):
            aliases.add(full[4:])
        short = full
        for suffix in GENERIC_SUFFIXES:
            if short.endswith(" " + suffix):
                short = short[: -len(suffix) - 1].strip()
        if short != full and len(short) >= 5 and short not in GENERIC_WORDS:
            aliases.add(short)
        # "rumah laut" for Rumah Laut Seafood: the first two words of a longer name, when no
        # other venue's name starts with them and they are more than ordinary words
        head = " ".join(full.removeprefix("the ").split()[:2])
        if (
            len(full.removeprefix("the ").split()) >= 3
            and heads.get(head) == {slug}
            and not set(head.split()) <= (GENERIC_WORDS | STOPWORDS)
        ):
            if head.split()[-1] not in STOPWORDS and len(head) >= 8:
                aliases.add(head)
        refs.extend(VenueRef(name=name, slug=slug, alias=alias) for alias in aliases if alias)
    return sorted(refs, key=alias_order)


def alias_order(ref: VenueRef) -> tuple[int, int]:
    """Names of several words before single words, longer before shorter: "sunrise breakfast at
    rumah laut" names Rumah Laut, not the café whose short name is the ordinary word "sunrise"."""
    return (-min(len(ref.alias.split()), 2), -len(ref.alias))


def find_venue(text: str, refs: list[VenueRef]) -> tuple[VenueRef | None, str]:
    """The venue named in ``text`` (longest alias wins) and the text without it."""
    for ref in refs:
        m = re.search(rf"(?<![a-z0-9]){re.escape(ref.alias)}(?![a-z0-9])", text)
        if m:
            return ref, " ".join((text[: m.start()] + " " + text[m.end() :]).split())
    return None, text


@dataclass(frozen=True)
class Place:
    name: str
    kind: str  # "city" | "area"
    city: str


def places() -> list[Place]:
    from venues.models import City, Venue
    from venues.selectors import SEARCHABLE_STATUSES

    found: dict[str, Place] = {}
    for name in City.objects.filter(is_active=True).values_list("name", flat=True):
        found[normalize(name)] = Place(name=name, kind="city", city=name)
    for area, city in (
        Venue.objects.filter(status__in=SEARCHABLE_STATUSES)
        .exclude(area="")
        .values_list("area", "city__name")
        .distinct()
    ):
        found.setdefault(normalize(area), Place(name=area, kind="area", city=city))
    return sorted(found.values(), key=lambda p: len(p.name), reverse=True)


@dataclass(frozen=True)
class Catalogue:
    """The venue aliases and places at one catalogue version (read-only; shared by every caller)."""

    aliases: list[VenueRef]
    places: list[Place]


_CATALOGUE: tuple[tuple | None, Catalogue | None] = (None, None)


def catalogue_version() -> tuple:
    """Changes whenever a venue or city is added, deleted or saved: for both tables the row
    count, the latest ``updated_at`` and the newest id (a row replaced within one clock tick
    still moves it), in one indexed statement without ORM compilation — it runs every turn."""
    from django.db import connection

    from venues.models import City, Venue

    parts = []
    for table in (Venue._meta.db_table, City._meta.db_table):
        parts += [
            f'(SELECT count(*) FROM "{table}")',
            f'(SELECT max(updated_at) FROM "{table}")',
            f'(SELECT id FROM "{table}" ORDER BY id DESC LIMIT 1)',
        ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))  # table names come from the models
        return tuple(cursor.fetchone())


def catalogue() -> Catalogue:
    """``venue_aliases()`` and ``places()``, rebuilt only when ``catalogue_version()`` moved.

    One cheap statement per call instead of three queries and the alias building: the
    concierge asks for both several times a turn, on every message. Every worker process
    keeps its own copy, so a venue edited in the admin is seen at the next call anywhere.
    """
    global _CATALOGUE
    version = catalogue_version()
    cached_version, cached = _CATALOGUE
    if cached is None or cached_version != version:
        cached = Catalogue(aliases=venue_aliases(), places=places())
        _CATALOGUE = (version, cached)
    return cached


def catalogue_forget(**_kwargs) -> None:
    """Drop this process's cached catalogue (a venue or city was saved or deleted here)."""
    global _CATALOGUE
    _CATALOGUE = (None, None)


def find_place(text: str, known: list[Place]) -> tuple[Place | None, str]:
    for place in known:
        m = re.search(
            rf"(?:\b(?:in|at|near|around|from|to)\s+)?(?<![a-z0-9]){re.escape(normalize(place.name))}(?![a-z0-9])", text
        )
        if m:
            return place, " ".join((text[: m.start()] + " " + text[m.end() :]).split())
    return None, text


CATEGORY_PATTERNS = [
    ("beach_club", r"beach\s*clubs?"),
    ("nightclub", r"night\s*clubs?|clubbing|\bclubs?\b|\bparty\b|dancing|\bdj\b"),
    ("cafe", r"\bcaf[e]s?\b|coffee(?:\s*shops?)?|\bbrunch\b"),
    ("bar", r"\bbars?\b|cocktails?|\bdrinks?\b|\bpubs?\b|\bbeers?\b|\bwine\b"),
    ("spa", r"\bspas?\b|massages?|facials?|reflexology"),
    ("wellness", r"\byoga\b|wellness|meditation|sound (?:healing|bath)|breathwork|retreats?|pilates"),
    ("fitness", r"\bgyms?\b|fitness|work ?outs?|crossfit|\bpadel\b|muay thai|boxing|\bcycling class"),
    (
        "activity",
        r"surf(?:ing)? (?:lessons?|school|guides?|class(?:es)?)|\blearn to surf\b|snorkel(?:l?ing)?|diving|\btours?\b|activit(?:y|ies)|things to do|(?:fun|something) to do|what to do|pottery|ceramics|kite ?surf(?:ing)?",
    ),
    ("restaurant", r"\brestaurants?\b|\bdining\b|\bwarungs?\b"),
]
CATEGORY_LABELS = {
    "restaurant": "restaurants",
    "cafe": "cafés",
    "beach_club": "beach clubs",
    "bar": "bars",
    "spa": "spas",
    "wellness": "wellness & yoga spots",
    "nightclub": "nightclubs",
    "fitness": "fitness places",
    "activity": "activities",
}
PRICE_WORDS = [
    (
        r"\b(cheap|cheaper|cheapest|budget|affordable|less expensive|inexpensive|not (?:too )?expensive|low[- ]cost|no[- ]frills|"
        r"(?:nothing|not|none) (?:too |that |very |overly |super )?(?:fancy|posh|upscale|pricey|high[- ]end))\b",
        2,
    ),
    (r"\b(mid[- ]?range|moderate(?:ly priced)?|reasonabl[ey](?: priced)?)\b", 3),
]
STOPWORDS = set(
    """a an the some any me my we us our i i'm im you your please pls can could would will should find show give get
    recommend recommendation recommendations suggest suggestion suggestions looking look for search searching want wanna
    need know is are there where what which who whats good best nice great top cool place places spot spots somewhere
    in at near around of to on with and or that this it do does have has open now tonight today tomorrow go going
    eat eating food dinner lunch breakfast meal something anything like options option also just really very
    people person pax guests one two three four five six seven eight nine ten table hi hey hello tell about
    book reserve available availability free right let lets let's new try fun bitte tolong dong eats studio
    booking bookings reservation reservations make i'd we'd""".split()
)


def find_category(text: str) -> tuple[str | None, str]:
    for value, pattern in CATEGORY_PATTERNS:
        m = re.search(pattern, text)
        if m:
            return value, " ".join((text[: m.start()] + " " + text[m.end() :]).split())
    return None, text


# A search for places that welcome children: "kid-friendly", "family friendly", "with the kids",
# "with 2 toddlers", "good for children" (the words as read in English)
KIDS_WORDS = re.compile(
    r"\b(?:kids?|child|children|family|families)[- ]?friendly\b|"
    r"\b(?:with|bring(?:ing)?|for|good for|suitable for|ok for) (?:the |our |my |\d+ |two |three |four |small |little |young )*"
    r"(?:kids|kid|children|child|toddlers?|bab(?:y|ies)|little ones|teens|teenagers|families|family)\b"
)


def find_kids(text: str) -> tuple[bool, str]:
    """Whether a search asks for places that welcome children, and the text without those words."""
    m = KIDS_WORDS.search(text)
    if not m:
        return False, text
    return True, " ".join((text[: m.start()] + " " + text[m.end() :]).split())


def find_price_cap(text: str) -> tuple[int | None, str]:
    for pattern, cap in PRICE_WORDS:
        m = re.search(pattern, text)
        if m:
            return cap, " ".join((text[: m.start()] + " " + text[m.end() :]).split())
    return None, text


def query_words(text: str) -> str:
    words = [w for w in re.findall(r"[a-z][a-z'\-]+", text) if w not in STOPWORDS and len(w) > 2]
    return " ".join(words[:6])
