"""The diary decision: what a venue answers to a booking request, and to a new time.

A pure function of the venue's policy (:class:`VenuePolicy`), its diary
(bookings.availability, read only) and the request: nothing here writes, sends or
locks. Callers hold the venue lock (SELECT … FOR UPDATE on the venue row) while they
decide and apply, so two requests for the last table are decided one after the other.
The negotiation around it — applying the outcome, answering the guest's agent — is
agents.booking's.

Outcomes:
- accept: the slot is free and within the venue's auto rules;
- counter-offer: that time is taken (or off the grid) but the same day has free slots;
- reject: a hard rule says no (party size, the venue's kids / minimum-age policy, past,
  lead time, window, blackout, closed, after the last seating, fully booked day), with
  alternatives where they help; the reason names the rule that applied;
- pending owner: the slot is free but the request is outside the auto rules (a large
  party, a flagged special request, auto-accept off, a guest with recent no-shows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bookings.availability import (
    DECISION_HOLDING_STATUSES,
    Unavailable,
    describe,
    free_slots,
    nearest_free_slots,
    slot_is_free,
    time_unavailable_reason,
)
from bookings.models import VenueBooking
from venues.models import Venue
from venues.selectors import venue_timezone

# Special requests with these words need a person at the venue to say yes.
REVIEW_KEYWORDS = (
    "buyout",
    "buy-out",
    "private event",
    "private room",
    "exclusive",
    "wedding",
    "corporate",
    "photo shoot",
    "photoshoot",
    "film",
    "live music",
    "dj",
    "fireworks",
)
DEFAULT_OWNER_DECISION_MINUTES = 120
# The owner must answer a while before the visit, or the guest cannot plan.
OWNER_DEADLINE_BEFORE_SLOT = timedelta(minutes=30)
MIN_OWNER_DECISION_TIME = timedelta(minutes=5)
ALTERNATIVE_SEARCH_DAYS = 7


class Outcome:
    ACCEPT = "accept"
    REJECT = "reject"
    COUNTER_OFFER = "counter_offer"
    PENDING_OWNER = "pending_owner"
    NONE = "none"  # the request was decided before (a redelivery): nothing to do


@dataclass(frozen=True)
class VenuePolicy:
    """The venue's auto rules (the venue agent reads them from its Agent.policies JSON):

    - ``auto_accept`` (default true): false sends every free request to the owner;
    - ``owner_approval_above_party_size``: larger parties the venue can seat go to the owner;
    - ``flag_special_requests`` (default true): special requests naming an event, buyout,
      private room… (REVIEW_KEYWORDS) go to the owner;
    - always: a guest with too many recent no-shows
      (bookings.selectors.guest_needs_owner_approval) goes to the owner;
    - ``owner_decision_minutes`` (default 120): how long the owner has to answer.
    """

    auto_accept: bool = True
    owner_approval_above_party_size: int | None = None
    flag_special_requests: bool = True
    owner_decision_minutes: int = DEFAULT_OWNER_DECISION_MINUTES
    alternatives: int = 3


@dataclass(frozen=True)
class Decision:
    outcome: str
    reason_code: str = ""
    reason: str = ""
    slots: list[datetime] = field(default_factory=list)


def decision_hold(booking: VenueBooking) -> dict:
    """The diary arguments for deciding ``booking``: only bookings the venue gave a slot
    to count against it, never the booking itself."""
    return {"holding_statuses": DECISION_HOLDING_STATUSES, "exclude_booking_id": booking.pk}


def booking_alternatives(
    *, venue: Venue, booking: VenueBooking, now: datetime, count: int, from_next_day: bool = False
) -> list[datetime]:
    """Free slots to propose instead: the nearest on the requested day, else the first
    day of the next week that has any, nearest to the requested time of day."""
    hold = decision_hold(booking)
    tz = venue_timezone(venue)
    local = booking.slot_start.astimezone(tz)
    if not from_next_day:
        nearby = nearest_free_slots(
            venue=venue, start=booking.slot_start, party_size=booking.party_size, count=count, now=now, **hold
        )
        if nearby:
            return nearby
    for offset in range(1, ALTERNATIVE_SEARCH_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        slots = free_slots(venue=venue, day=day, party_size=booking.party_size, now=now, **hold).slots
        if slots:
            wanted = local.replace(year=day.year, month=day.month, day=day.day)
            return sorted(slots, key=lambda slot: (abs((slot - wanted).total_seconds()), slot))[:count]
    return []


def guest_policy_refusal(*, venue: Venue, party_size: int, children: int = 0) -> str:
    """The venue's guest rules a request breaks, as a reason code ("" when none):
    the party size, then the kids policy (``kids_allowed``) and the minimum age
    (``min_guest_age`` of 18 or more excludes every child; a lower limit cannot be
    checked from a count, so it is only said in the confirmation — see :func:`booking_notes`).
    A venue that takes no children but has an age limit under 18 ("children under 10 are not
    admitted") refuses them by that limit, and says so, rather than as adults only."""
    if party_size < venue.min_party_size:
        return Unavailable.PARTY_TOO_SMALL
    if party_size > venue.max_party_size:
        return Unavailable.PARTY_TOO_LARGE
    if children > 0 and not venue.kids_allowed:
        if 0 < (venue.min_guest_age or 0) < 18:
            return Unavailable.MINIMUM_AGE
        return Unavailable.KIDS_NOT_ALLOWED
    if children > 0 and (venue.min_guest_age or 0) >= 18:
        return Unavailable.MINIMUM_AGE
    return ""


def booking_notes(*, venue: Venue, children: int = 0) -> list[str]:
    """What the guest should know with a confirmation (informational, never a refusal):
    the dress code, and an age limit below 18 when children come."""
    notes = []
    if venue.dress_code:
        notes.append(f"Dress code: {venue.dress_code}")
    if children > 0 and venue.min_guest_age and venue.min_guest_age < 18:
        notes.append(f"Children must be {venue.min_guest_age} or older")
    elif venue.min_guest_age and children == 0:
        notes.append(f"Guests must be {venue.min_guest_age} or older")
    return notes


def request_refusal(*, venue: Venue, party_size: int, children: int = 0, slot_start: datetime, now: datetime) -> str:
    """The rule that refuses a request outright, before the diary is read ("" when none),
    in the order a guest would want to hear them: who may come, then when."""
    refusal = guest_policy_refusal(venue=venue, party_size=party_size, children=children)
    if refusal:
        return refusal
    tz = venue_timezone(venue)
    local = slot_start.astimezone(tz)
    if slot_start <= now:
        return Unavailable.PAST if local.date() < now.astimezone(tz).date() else Unavailable.TIME_PASSED
    if local.date() > now.astimezone(tz).date() + timedelta(days=venue.booking_window_days):
        return Unavailable.OUTSIDE_WINDOW
    if local.date() in (venue.blackout_dates or ()):
        return Unavailable.BLACKOUT
    return ""


def _guest_needs_owner_approval(user) -> bool:
    from bookings.selectors import guest_needs_owner_approval

    return bool(guest_needs_owner_approval(user=user))


def owner_review_reason(booking: VenueBooking, policy: VenuePolicy) -> str:
    """Why a free request still needs a person at the venue ("" when it does not)."""
    if not policy.auto_accept:
        return "the venue approves every booking personally"
    above = policy.owner_approval_above_party_size
    if above is not None and booking.party_size > above:
        return f"parties above {above} are approved by the venue"
    if booking.user_id is not None and _guest_needs_owner_approval(booking.user):
        return "the guest has missed recent bookings, so the venue approves this one"
    text = (booking.special_requests or "").lower()
    flagged = (
        [word for word in REVIEW_KEYWORDS if re.search(rf"\b{re.escape(word)}\b", text)]
        if policy.flag_special_requests
        else []
    )
    if flagged:
        return f"the special request ({flagged[0]}) needs the venue's approval"
    return ""


def diary_decide(*, booking: VenueBooking, venue: Venue, now: datetime, alternatives: int = 3) -> Decision:
    """The diary's answer to ``booking`` at its slot: accept, counter-offer or reject (no
    owner review). Reads only; call it under the venue lock. Every reason names the rule
    that actually applied (the kids policy, a passed date, the last seating, a closed day…)."""
    tz = venue_timezone(venue)
    local = booking.slot_start.astimezone(tz)
    party = booking.party_size
    count = alternatives

    def reject(code: str, *, with_alternatives: bool = True, next_day: bool = False) -> Decision:
        slots = (
            booking_alternatives(venue=venue, booking=booking, now=now, count=count, from_next_day=next_day)
            if with_alternatives
            else []
        )
        return Decision(Outcome.REJECT, code, describe(code, venue, at=local), slots)

    code = request_refusal(
        venue=venue, party_size=party, children=booking.children or 0, slot_start=booking.slot_start, now=now
    )
    if code == Unavailable.BLACKOUT:
        return reject(code, next_day=True)
    if code:
        return reject(code, with_alternatives=False)
    if booking.slot_start < now + timedelta(minutes=venue.booking_lead_minutes):
        return Decision(
            Outcome.REJECT,
            Unavailable.LEAD_TIME,
            describe(Unavailable.LEAD_TIME, venue),
            booking_alternatives(venue=venue, booking=booking, now=now, count=count),
        )

    hold = decision_hold(booking)
    free = slot_is_free(venue=venue, start=booking.slot_start, party_size=party, now=now, **hold)
    if free.slots:
        return Decision(Outcome.ACCEPT)

    day = free_slots(venue=venue, day=local.date(), party_size=party, now=now, **hold)
    why = time_unavailable_reason(venue=venue, start=booking.slot_start, now=now) or Unavailable.FULLY_BOOKED
    if why == Unavailable.CLOSED or day.reason == Unavailable.CLOSED and why == Unavailable.FULLY_BOOKED:
        return reject(Unavailable.CLOSED, next_day=True)
    nearby = nearest_free_slots(venue=venue, start=booking.slot_start, party_size=party, count=count, now=now, **hold)
    if nearby:
        because = "that time is taken" if why == Unavailable.FULLY_BOOKED else describe(why, venue, at=local)
        return Decision(
            Outcome.COUNTER_OFFER,
            why,
            f"{venue.name} can't take {party} at {local:%H:%M} on {local:%a %d %b}: {because}",
            nearby,
        )
    return reject(why, next_day=True)


def booking_decide(*, booking: VenueBooking, venue: Venue, policy: VenuePolicy, now: datetime) -> Decision:
    """What the venue answers to the request ``booking`` (reads only; call it under the venue lock)."""
    decision = diary_decide(booking=booking, venue=venue, now=now, alternatives=policy.alternatives)
    if decision.outcome == Outcome.ACCEPT:
        review = owner_review_reason(booking, policy)
        if review:
            return Decision(Outcome.PENDING_OWNER, "owner_review", review)
    return decision


def booking_move_decide(
    *, booking: VenueBooking, venue: Venue, slot_start: datetime, slot_end: datetime | None = None, now: datetime
) -> Decision:
    """May ``booking`` move to ``slot_start``? The diary decides the new time as it would a
    request (the booking's own table does not count against it); only ACCEPT allows it."""
    duration = booking.slot_end - booking.slot_start if booking.slot_end and booking.slot_start else None
    moved = replace_times(
        booking, slot_start=slot_start, slot_end=slot_end or (slot_start + duration if duration else None)
    )
    return diary_decide(booking=moved, venue=venue, now=now)


def replace_times(booking: VenueBooking, *, slot_start: datetime, slot_end: datetime | None) -> VenueBooking:
    """A detached copy of ``booking`` at another time (same pk, so it never counts against itself)."""
    copy = VenueBooking(
        pk=booking.pk,
        venue_id=booking.venue_id,
        user_id=booking.user_id,
        party_size=booking.party_size,
        children=booking.children,
        slot_start=slot_start,
        slot_end=slot_end,
        special_requests=booking.special_requests,
        status=booking.status,
    )
    return copy


def slot_label(slot: datetime, venue: Venue) -> str:
    return f"{slot.astimezone(venue_timezone(venue)):%a %d %b %H:%M}"


def reason_with_alternatives(reason: str, slots: list[datetime], venue: Venue) -> str:
    if not slots:
        return reason[:300]
    return f"{reason}. Free instead: {', '.join(slot_label(slot, venue) for slot in slots)}"[:300]


def owner_deadline(booking: VenueBooking, policy: VenuePolicy, now: datetime) -> datetime:
    """When the owner must have answered: within their decision time, and well before the visit."""
    deadline = min(
        now + timedelta(minutes=policy.owner_decision_minutes), booking.slot_start - OWNER_DEADLINE_BEFORE_SLOT
    )
    return max(deadline, now + MIN_OWNER_DECISION_TIME)


__all__ = [
    "Decision",
    "Outcome",
    "VenuePolicy",
    "booking_alternatives",
    "booking_decide",
    "booking_move_decide",
    "booking_notes",
    "diary_decide",
    "guest_policy_refusal",
    "owner_deadline",
    "owner_review_reason",
    "reason_with_alternatives",
    "request_refusal",
]
