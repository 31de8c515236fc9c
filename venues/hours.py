"""Opening hours: the one validator both the owner's hours editor and the admin's raw field use.

The stored shape is ``{"mon": [["HH:MM", "HH:MM"], ...], ...}`` (venues.models.Venue). A
day missing or mapped to ``[]`` is closed. Anything else (``{"sun": "12-20"}``, a range
that ends before it starts, two ranges that overlap) is refused with a message that says
which day and why, instead of being read silently as "closed".
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

WEEKDAYS: tuple[tuple[str, str], ...] = (
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
)
DAY_NAMES = dict(WEEKDAYS)
# A range may run past midnight only into the small hours ("17:00"–"02:00"); a closing
# time later than this before the opening time is a typo, not a night shift.
LATEST_PAST_MIDNIGHT = 6 * 60
_HHMM = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


def minutes_of(value: Any) -> int | None:
    """Minutes after midnight for "HH:MM" (24:00 is midnight at the end of the day), else None."""
    match = _HHMM.match(str(value).strip()) if isinstance(value, str) else None
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours == 24 and minutes:
        return None
    return hours * 60 + minutes


def range_span(opens: int, closes: int) -> tuple[int, int] | None:
    """(start, end) in minutes with end > start, or None when the range ends before it starts.

    "00:00" as a closing time means midnight; a closing time before the opening time runs
    past midnight if it is in the small hours (at or before 06:00).
    """
    if closes == 0:
        closes = 24 * 60
    if closes > opens:
        return opens, closes
    if closes <= LATEST_PAST_MIDNIGHT and closes != opens:
        return opens, closes + 24 * 60
    return None


def day_errors(day: str, ranges: Any) -> list[str]:
    """What is wrong with one day's ranges (empty when nothing is)."""
    name = DAY_NAMES.get(day, day)
    if not isinstance(ranges, list):
        return [f'{name}: write the hours as a list of [opens, closes] pairs, e.g. [["12:00", "20:00"]]']
    spans: list[tuple[int, int, str]] = []
    errors: list[str] = []
    for entry in ranges:
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            errors.append(f"{name}: {entry!r} is not an [opens, closes] pair")
            continue
        opens, closes = minutes_of(entry[0]), minutes_of(entry[1])
        if opens is None or closes is None:
            errors.append(f"{name}: {entry[0]!r}–{entry[1]!r} is not a time range in HH:MM")
            continue
        span = range_span(opens, closes)
        label = f"{entry[0]}–{entry[1]}"
        if span is None:
            errors.append(f"{name}: {label} ends before it starts")
            continue
        spans.append((*span, label))
    spans.sort()
    for (_, end_a, label_a), (start_b, _, label_b) in zip(spans, spans[1:], strict=False):
        if start_b < end_a:
            errors.append(f"{name}: {label_a} and {label_b} overlap")
    return errors


def validate_opening_hours(value: Any) -> None:
    """Django validator for Venue.opening_hours (the admin's raw field and every service)."""
    if value in (None, ""):
        return
    if not isinstance(value, dict):
        raise ValidationError('Opening hours must map days ("mon"…"sun") to lists of ["HH:MM", "HH:MM"] ranges.')
    errors: list[str] = []
    for day, ranges in value.items():
        if day not in DAY_NAMES:
            errors.append(f"{day!r} is not a day; use mon, tue, wed, thu, fri, sat, sun")
            continue
        errors.extend(day_errors(day, ranges))
    if errors:
        raise ValidationError(errors)


def normalise(value: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    """Days in week order, ranges sorted, times zero-padded; closed days kept as []."""
    result: dict[str, list[list[str]]] = {}
    for day, _ in WEEKDAYS:
        ranges = []
        for opens, closes in value.get(day) or []:
            o, c = minutes_of(opens), minutes_of(closes)
            ranges.append([f"{o // 60:02d}:{o % 60:02d}", f"{(c // 60) % 24 if c != 1440 else 0:02d}:{c % 60:02d}"])
        result[day] = sorted(ranges)
    return result
