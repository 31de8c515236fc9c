"""The venue diary: which slot start times can still take a party on a given day.

This is the one availability function. The concierge's check_availability and
create_booking tools use it, and the venue agent (Issue 4) decides requests against it.

The rules, all read from the Venue row:
- opening hours per weekday in the venue's timezone (nights past midnight included);
  a slot may start from opening until ``booking_duration_minutes`` before closing (or
  at opening time if the whole interval is shorter than a booking);
- party size between ``min_party_size`` and ``max_party_size``;
- not a blackout date, not in the past, within ``booking_window_days``, at least
  ``booking_lead_minutes`` ahead of now;
- pacing: at most ``covers_per_slot`` guests may ARRIVE in one slot;
- capacity: at most ``capacity`` guests SEATED at once, where each booking holds its
  table from ``slot_start`` to ``slot_end``.
Bookings that hold a table: requested (in flight, counted conservatively for the
concierge's pre-check), pending owner approval and confirmed. A counter-offered booking
does not hold its original slot: the venue said no to that time.

The venue agent decides with ``holding_statuses=DECISION_HOLDING_STATUSES`` and
``exclude_booking_id`` (the request being decided): undecided requests do not hold a
slot against each other there, the venue row lock serialises the decisions instead.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.utils import timezone

from bookings.models import VenueBooking
from bookings.state import ACTIVE_STATUSES, BookingStatus
from venues.models import Venue
from venues.selectors import venue_opening_intervals, venue_timezone

HOLDING_STATUSES = frozenset(ACTIVE_STATUSES - {BookingStatus.COUNTER_OFFERED})
# What the venue agent counts when deciding: only bookings it has already given the slot to.
DECISION_HOLDING_STATUSES = frozenset({BookingStatus.CONFIRMED, BookingStatus.PENDING_OWNER})


class Unavailable:
    """Why a day has no free slot (stable codes; :func:`describe` turns them into words)."""

    CLOSED = "closed"
    BLACKOUT = "blackout"
    PARTY_TOO_SMALL = "party_too_small"
    PARTY_TOO_LARGE = "party_too_large"
    PAST = "past"
    OUTSIDE_WINDOW = "outside_booking_window"
    LEAD_TIME = "lead_time"
    FULLY_BOOKED = "fully_booked"
    # Why one requested time is not a free slot when the day has others (slot_is_free):
    TIME_PASSED = "time_passed"
    AFTER_LAST_SEATING = "after_last_seating"
    AFTER_CLOSING = "after_closing"
    BEFORE_FIRST_SEATING = "before_first_seating"
    OUTSIDE_HOURS = "outside_hours"
    NOT_A_SEATING = "not_a_seating"
    # The venue's guest policy (bookings.decision):
    KIDS_NOT_ALLOWED = "kids_not_allowed"
    MINIMUM_AGE = "minimum_age"


class FreeSlots(NamedTuple):
    """Free slot starts (aware, venue-local) and, when there are none, the reason code."""

    slots: list[datetime]
    reason: str = ""


REASON_TEXTS = {
    Unavailable.TIME_PASSED: "that time has already passed",
    Unavailable.AFTER_LAST_SEATING: "that is after the last seating{last}",
    Unavailable.AFTER_CLOSING: "{venue} closes at {closes} that day (last seating {last_time})",
    Unavailable.BEFORE_FIRST_SEATING: "that is before the first seating{first}",
    Unavailable.OUTSIDE_HOURS: "{venue} is not open at that time",
    Unavailable.NOT_A_SEATING: "{venue} seats guests every {step} minutes, on the grid{first}",
    Unavailable.KIDS_NOT_ALLOWED: "{venue} is adults only: children are not admitted",
    Unavailable.MINIMUM_AGE: "{venue} admits guests aged {min_age} and over only",
    Unavailable.CLOSED: "{venue} is closed that day",
    Unavailable.BLACKOUT: "{venue} does not take bookings that day",
    Unavailable.PARTY_TOO_SMALL: "{venue} takes parties of at least {min_party}",
    Unavailable.PARTY_TOO_LARGE: "{venue} takes parties of up to {max_party} through the concierge",
    Unavailable.PAST: "that date has passed",
    Unavailable.OUTSIDE_WINDOW: "{venue} takes bookings only up to {window_days} days ahead",
    Unavailable.LEAD_TIME: "{venue} needs bookings at least {lead} ahead",
    Unavailable.FULLY_BOOKED: "{venue} is fully booked that day for that party size",
}


def reason_values(venue: Venue, *, at: datetime | None = None) -> dict[str, object]:
    """The venue's figures a reason names (``first``/``last``: the day's first and last
    seating as " (HH:MM)", or "" when ``at`` is not given; ``last_time``/``closes``: the last
    seating and the day's closing time as "HH:MM"): the guest-facing templates, in any
    language, fill themselves from these."""
    day = at.astimezone(venue_timezone(venue)).date() if at is not None else None
    seatings = _seatings_on(venue, day) if day is not None else []
    closing = _closing_on(venue, day) if day is not None else None
    return {
        "venue": venue.name,
        "first": f" ({seatings[0]:%H:%M})" if seatings else "",
        "last": f" ({seatings[-1]:%H:%M})" if seatings else "",
        "last_time": f"{seatings[-1]:%H:%M}" if seatings else "",
        "closes": f"{closing:%H:%M}" if closing else "",
        "step": max(5, venue.slot_minutes or 30),
        "min_age": venue.min_guest_age,
        "min_party": venue.min_party_size,
        "max_party": venue.max_party_size,
        "window_days": venue.booking_window_days,
        "lead_minutes": venue.booking_lead_minutes,
        "lead": notice_words(venue.booking_lead_minutes),
    }


def notice_amount(minutes: int | None) -> tuple[int, str]:
    """A notice period in the unit a person would say it in: whole days from two days up,
    whole hours from one hour up, minutes otherwise (1440 → (24, "hours"), 2880 → (2, "days"),
    90 → (90, "minutes"))."""
    minutes = int(minutes or 0)
    if minutes >= 2 * 1440 and minutes % 1440 == 0:
        return minutes // 1440, "days"
    if minutes >= 60 and minutes % 60 == 0:
        return minutes // 60, "hours"
    return minutes, "minutes"


def notice_words(minutes: int | None) -> str:
    """A notice period in English, in natural units ("24 hours", "2 days", "90 minutes")."""
    amount, unit = notice_amount(minutes)
    return f"{amount} {unit[:-1] if amount == 1 else unit}"


def describe(reason: str, venue: Venue, *, at: datetime | None = None) -> str:
    """A sentence a guest can read for a reason code (``at``: the requested time, for the
    reasons that name the day's seatings)."""
    template = REASON_TEXTS.get(reason)
    return template.format(**reason_values(venue, at=at)) if template else reason


def _candidate_starts(venue: Venue, day: date) -> list[datetime]:
    step = timedelta(minutes=max(5, venue.slot_minutes or 30))
    duration = timedelta(minutes=venue.booking_duration_minutes)
    starts: list[datetime] = []
    for opens, closes in venue_opening_intervals(venue, day):
        last = max(opens, closes - duration)
        current = opens
        while current <= last and current < closes:
            starts.append(current)
            current += step
    return sorted(set(starts))


def _seatings_on(venue: Venue, day: date) -> list[datetime]:
    """Every seating (slot start) on the local ``day``, free or not: the day's own
    openings and the previous evening's opening where it runs past midnight."""
    starts = [start for start in _candidate_starts(venue, day - timedelta(days=1)) if start.date() == day]
    return sorted(set(starts + _candidate_starts(venue, day)))


def _closing_on(venue: Venue, day: date) -> datetime | None:
    """When the venue's last opening that starts on the local ``day`` closes (None: closed)."""
    intervals = venue_opening_intervals(venue, day)
    return max(closes for _, closes in intervals) if intervals else None


def time_unavailable_reason(*, venue: Venue, start: datetime, now: datetime) -> str:
    """Why the exact time ``start`` cannot be a booking, from the venue's rules alone
    (not its diary): "" when it is a seating the diary may still have room at."""
    tz = venue_timezone(venue)
    local = start.astimezone(tz)
    if local <= now:
        return Unavailable.PAST if local.date() < now.astimezone(tz).date() else Unavailable.TIME_PASSED
    seatings = _seatings_on(venue, local.date())
    if not seatings:
        return Unavailable.CLOSED
    if local in seatings:
        return Unavailable.LEAD_TIME if local < now + timedelta(minutes=venue.booking_lead_minutes) else ""
    if local > seatings[-1]:
        closing = _closing_on(venue, local.date())
        # Past the day's closing time the guest needs to hear when it closes, not only
        # that seatings ended (a 19:00 dinner at a place that closes at 15:00).
        return Unavailable.AFTER_CLOSING if closing is not None and local >= closing else Unavailable.AFTER_LAST_SEATING
    if local < seatings[0]:
        return Unavailable.BEFORE_FIRST_SEATING
    step = timedelta(minutes=max(5, venue.slot_minutes or 30))
    if not any(abs(local - seating) < step for seating in seatings):
        return Unavailable.OUTSIDE_HOURS
    return Unavailable.NOT_A_SEATING


def free_slots(
    *,
    venue: Venue,
    day: date,
    party_size: int,
    now: datetime | None = None,
    holding_statuses: frozenset[str] = HOLDING_STATUSES,
    exclude_booking_id=None,
) -> FreeSlots:
    """Slot start times on ``day`` (the venue's local date) that can take ``party_size`` more guests.

    Two queries at most: the venue's city if not loaded, and the day's holding bookings.
    """
    now = now or timezone.now()
    tz = venue_timezone(venue)
    today = now.astimezone(tz).date()
    if party_size < venue.min_party_size:
        return FreeSlots([], Unavailable.PARTY_TOO_SMALL)
    if party_size > venue.max_party_size:
        return FreeSlots([], Unavailable.PARTY_TOO_LARGE)
    # Yesterday still counts: its late opening can run past midnight into today.
    if day < today - timedelta(days=1):
        return FreeSlots([], Unavailable.PAST)
    if day > today + timedelta(days=venue.booking_window_days):
        return FreeSlots([], Unavailable.OUTSIDE_WINDOW)
    if day in (venue.blackout_dates or ()):
        return FreeSlots([], Unavailable.BLACKOUT)
    starts = _candidate_starts(venue, day)
    if not starts:
        return FreeSlots([], Unavailable.CLOSED)
    earliest = now + timedelta(minutes=venue.booking_lead_minutes)
    starts = [start for start in starts if start >= earliest]
    if not starts:
        return FreeSlots([], Unavailable.PAST if day < today else Unavailable.LEAD_TIME)

    slot = timedelta(minutes=max(5, venue.slot_minutes or 30))
    duration = timedelta(minutes=venue.booking_duration_minutes)
    window_start, window_end = starts[0], starts[-1] + max(slot, duration)
    holding = VenueBooking.objects.filter(
        venue=venue, status__in=holding_statuses, slot_start__lt=window_end, slot_end__gt=window_start
    )
    if exclude_booking_id is not None:
        holding = holding.exclude(pk=exclude_booking_id)
    bookings = list(holding.values_list("slot_start", "slot_end", "party_size"))
    free = [
        start
        for start in starts
        if _arrivals(bookings, start, start + slot) + party_size <= venue.covers_per_slot
        and _peak_seated(bookings, start, start + duration) + party_size <= venue.capacity
    ]
    return FreeSlots(free, "" if free else Unavailable.FULLY_BOOKED)


def _arrivals(bookings, start: datetime, end: datetime) -> int:
    return sum(size for b_start, _b_end, size in bookings if start <= b_start < end)


def _peak_seated(bookings, start: datetime, end: datetime) -> int:
    """Most guests seated at any moment in [start, end): the occupancy can only rise at
    the window's start or when another booking starts inside it."""
    overlapping = [(b_start, b_end, size) for b_start, b_end, size in bookings if b_start < end and b_end > start]
    moments = {start} | {b_start for b_start, _e, _s in overlapping if b_start > start}
    return max(
        (sum(size for b_start, b_end, size in overlapping if b_start <= moment < b_end) for moment in moments),
        default=0,
    )


def slot_is_free(
    *, venue: Venue, start: datetime, party_size: int, now: datetime | None = None, **holding
) -> FreeSlots:
    """Can the venue take ``party_size`` at exactly ``start``? ``slots`` is ``[start]`` when
    it can; otherwise empty with the reason that actually applies: a day-wide one (closed,
    blackout, party size…), one about the time (passed, after the last seating, before
    the first, outside hours, between seatings — :func:`time_unavailable_reason`), else
    ``fully_booked`` (the seating exists and is taken).

    A start after midnight may belong to the previous day's late opening, so both days'
    diaries are consulted.
    """
    local = start.astimezone(venue_timezone(venue))
    reason = ""
    for day in (local.date(), local.date() - timedelta(days=1)):
        result = free_slots(venue=venue, day=day, party_size=party_size, now=now, **holding)
        if local in result.slots:
            return FreeSlots([local])
        if day == local.date():
            reason = result.reason
    if reason in ("", Unavailable.FULLY_BOOKED, Unavailable.LEAD_TIME, Unavailable.PAST):
        reason = time_unavailable_reason(venue=venue, start=start, now=now or timezone.now()) or reason
    return FreeSlots([], reason or Unavailable.FULLY_BOOKED)


def nearest_free_slots(
    *, venue: Venue, start: datetime, party_size: int, count: int = 3, now: datetime | None = None, **holding
) -> list[datetime]:
    """The free slots closest to ``start`` (for "not then, but how about …"), from its local
    day and, for small hours, the evening before whose opening runs past midnight.

    ``holding`` passes ``holding_statuses`` / ``exclude_booking_id`` on to :func:`free_slots`."""
    local = start.astimezone(venue_timezone(venue))
    slots = free_slots(venue=venue, day=local.date(), party_size=party_size, now=now, **holding).slots
    slots += [
        slot
        for slot in free_slots(
            venue=venue, day=local.date() - timedelta(days=1), party_size=party_size, now=now, **holding
        ).slots
        if slot.date() == local.date() or abs((slot - local).total_seconds()) <= 6 * 3600
    ]
    return sorted(set(slots), key=lambda slot: (abs((slot - local).total_seconds()), slot))[:count]
