"""The venue agent: decides booking requests against the venue's diary and answers.

Every decision for one venue runs under a lock on the venue row (SELECT … FOR UPDATE),
so two requests for the last table are decided one after the other and the second one
sees the first one's confirmation: exactly one wins. The diary is bookings.availability;
only bookings the venue has already given a slot to (confirmed, pending owner approval)
count against a request, and never the request itself.

Outcomes:
- accept: the slot is free and within the agent's auto rules → confirmed, booking.accepted;
- counter-offer: that time is taken (or off the grid) but the same day has free slots
  → counter_offered with the nearest ones, booking.counter_offer;
- reject: a hard rule says no (party size, past, lead time, window, blackout, closed,
  fully booked day) → rejected with the reason and alternatives, booking.rejected;
- pending owner: the slot is free but the request is outside the auto rules (a large
  party, a flagged special request, auto-accept off) → pending_owner with a deadline and
  the owners are told; they approve or decline in the admin (owner_approve /
  owner_decline); past the deadline a job declines politely with alternatives.

Policies come from the venue Agent's ``policies`` JSON (see :class:`VenuePolicy`); the
hard rules come from the Venue row through the diary.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from agents.models import A2AEnvelope, Agent, AgentStatus, EnvelopeIntent
from agents.network.handlers import EnvelopeRejected
from bookings.availability import (
    DECISION_HOLDING_STATUSES,
    Unavailable,
    describe,
    free_slots,
    nearest_free_slots,
    slot_is_free,
)
from bookings.models import ActorKind, BookingSource, VenueBooking
from bookings.services import (
    BookingError,
    BookingTransitionError,
    booking_cancel,
    booking_confirm,
    booking_create,
    booking_reject,
    booking_transition,
)
from bookings.state import BookingStatus
from venues.models import Venue
from venues.selectors import venue_timezone

logger = logging.getLogger(__name__)

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
    """The venue agent's auto rules, read from its Agent.policies JSON (keys as validated
    by agents.network.registry.POLICY_TYPES):

    - ``auto_accept`` (default true): false sends every free request to the owner (so
      does a paused or retired agent);
    - ``owner_approval_above_party_size`` (default: the ``max_party_size`` policy when it
      is below the venue's own limit): larger parties the venue can seat go to the owner;
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


def _int_or_none(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def venue_policy(*, agent: Agent | None) -> VenuePolicy:
    """The agent's policy with defaults for anything missing or malformed."""
    policies = agent.policies if agent is not None and isinstance(agent.policies, dict) else {}
    paused = agent is not None and agent.status != AgentStatus.ACTIVE
    above = _int_or_none(policies.get("owner_approval_above_party_size"))
    if above is None:
        above = _int_or_none(policies.get("max_party_size"))
    return VenuePolicy(
        auto_accept=bool(policies.get("auto_accept", True)) and not paused,
        owner_approval_above_party_size=above,
        flag_special_requests=bool(policies.get("flag_special_requests", True)),
        owner_decision_minutes=max(
            5, _int_or_none(policies.get("owner_decision_minutes")) or DEFAULT_OWNER_DECISION_MINUTES
        ),
    )


@dataclass(frozen=True)
class Decision:
    outcome: str
    reason_code: str = ""
    reason: str = ""
    slots: list[datetime] = field(default_factory=list)


# --------------------------------------------------------------------------- the decision


def _hold(booking: VenueBooking) -> dict:
    return {"holding_statuses": DECISION_HOLDING_STATUSES, "exclude_booking_id": booking.pk}


def _alternatives(
    *, venue: Venue, booking: VenueBooking, now: datetime, count: int, from_next_day: bool = False
) -> list[datetime]:
    """Free slots to propose instead: the nearest on the requested day, else the first
    day of the next week that has any, nearest to the requested time of day."""
    hold = _hold(booking)
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


def _guest_needs_owner_approval(user) -> bool:
    # No-show strikes are the lifecycle's (bookings.selectors); absent, nobody is flagged.
    from bookings import selectors

    check = getattr(selectors, "guest_needs_owner_approval", None)
    return bool(check(user=user)) if check is not None else False


def _owner_review_reason(booking: VenueBooking, policy: VenuePolicy) -> str:
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


def booking_decide(*, booking: VenueBooking, venue: Venue, policy: VenuePolicy, now: datetime) -> Decision:
    """What the venue agent answers to ``booking`` (reads only; call it under the venue lock)."""
    tz = venue_timezone(venue)
    local = booking.slot_start.astimezone(tz)
    party = booking.party_size
    count = policy.alternatives

    def reject(code: str, *, alternatives: bool = True, next_day: bool = False) -> Decision:
        slots = (
            _alternatives(venue=venue, booking=booking, now=now, count=count, from_next_day=next_day)
            if alternatives
            else []
        )
        return Decision(Outcome.REJECT, code, describe(code, venue), slots)

    if party < venue.min_party_size:
        return reject(Unavailable.PARTY_TOO_SMALL, alternatives=False)
    if party > venue.max_party_size:
        return reject(Unavailable.PARTY_TOO_LARGE, alternatives=False)
    if booking.slot_start <= now:
        return reject(Unavailable.PAST, alternatives=False)
    if local.date() > now.astimezone(tz).date() + timedelta(days=venue.booking_window_days):
        return reject(Unavailable.OUTSIDE_WINDOW, alternatives=False)
    if booking.slot_start < now + timedelta(minutes=venue.booking_lead_minutes):
        return Decision(
            Outcome.REJECT,
            Unavailable.LEAD_TIME,
            f"{venue.name} needs bookings at least {venue.booking_lead_minutes} minutes ahead",
            _alternatives(venue=venue, booking=booking, now=now, count=count),
        )
    if local.date() in (venue.blackout_dates or ()):
        return reject(Unavailable.BLACKOUT, next_day=True)

    if slot_is_free(venue=venue, start=booking.slot_start, party_size=party, now=now, **_hold(booking)).slots:
        review = _owner_review_reason(booking, policy)
        if review:
            return Decision(Outcome.PENDING_OWNER, "owner_review", review)
        return Decision(Outcome.ACCEPT)

    day = free_slots(venue=venue, day=local.date(), party_size=party, now=now, **_hold(booking))
    nearby = nearest_free_slots(
        venue=venue, start=booking.slot_start, party_size=party, count=count, now=now, **_hold(booking)
    )
    if nearby:
        return Decision(
            Outcome.COUNTER_OFFER,
            Unavailable.FULLY_BOOKED,
            f"{venue.name} can't take {party} at {local:%H:%M} on {local:%a %d %b}",
            nearby,
        )
    code = Unavailable.CLOSED if day.reason == Unavailable.CLOSED else Unavailable.FULLY_BOOKED
    return reject(code, next_day=True)


# --------------------------------------------------------------------------- applying it


def _slot_label(slot: datetime, venue: Venue) -> str:
    return f"{slot.astimezone(venue_timezone(venue)):%a %d %b %H:%M}"


def _reason_with_alternatives(reason: str, slots: list[datetime], venue: Venue) -> str:
    if not slots:
        return reason[:300]
    return f"{reason}. Free instead: {', '.join(_slot_label(slot, venue) for slot in slots)}"[:300]


def _set_offered_slots(booking: VenueBooking, slots: list[datetime]) -> None:
    # Kept on the booking so the guest's message, the admin and the API show the same slots.
    booking.counter_offer_slots = [slot.isoformat() for slot in slots]
    booking.save(update_fields=["counter_offer_slots", "updated_at"])


def _venue_agent(venue: Venue) -> Agent:
    from agents.booking.flow import venue_agent_for

    return venue_agent_for(venue)


def _owner_deadline(booking: VenueBooking, policy: VenuePolicy, now: datetime) -> datetime:
    deadline = min(
        now + timedelta(minutes=policy.owner_decision_minutes), booking.slot_start - OWNER_DEADLINE_BEFORE_SLOT
    )
    return max(deadline, now + MIN_OWNER_DECISION_TIME)


def _reply(
    *, booking: VenueBooking, intent: str, payload: dict, to_agent_id: str = "", correlation_id: str = ""
) -> A2AEnvelope:
    """Answer the booking's consumer agent through the gateway (sent once we commit)."""
    from agents.booking.flow import booking_consumer_agent_id, booking_request_envelope
    from agents.network.outbox import envelope_dispatch

    if not correlation_id:
        request = booking_request_envelope(booking)
        correlation_id = request.envelope_id if request is not None else ""
    return envelope_dispatch(
        intent=intent,
        from_agent_id=_venue_agent(booking.venue).agent_id,
        to_agent_id=to_agent_id or booking_consumer_agent_id(booking),
        payload={"booking_ref": booking.external_ref, "status": booking.status, **payload},
        booking=booking,
        correlation_id=correlation_id,
        priority=3,
    )


def _answer(
    booking: VenueBooking, decision: Decision, *, to_agent_id: str = "", correlation_id: str = ""
) -> A2AEnvelope | None:
    slots = [slot.isoformat() for slot in decision.slots]
    if decision.outcome == Outcome.ACCEPT:
        return _reply(
            booking=booking,
            intent=EnvelopeIntent.BOOKING_ACCEPTED,
            to_agent_id=to_agent_id,
            correlation_id=correlation_id,
            payload={"slot_start": booking.slot_start.isoformat(), "party_size": booking.party_size},
        )
    if decision.outcome == Outcome.REJECT:
        return _reply(
            booking=booking,
            intent=EnvelopeIntent.BOOKING_REJECTED,
            to_agent_id=to_agent_id,
            correlation_id=correlation_id,
            payload={"reason": decision.reason, "reason_code": decision.reason_code, "alternatives": slots},
        )
    if decision.outcome == Outcome.COUNTER_OFFER:
        return _reply(
            booking=booking,
            intent=EnvelopeIntent.BOOKING_COUNTER_OFFER,
            to_agent_id=to_agent_id,
            correlation_id=correlation_id,
            payload={"reason": decision.reason, "slots": slots},
        )
    # pending owner: the protocol has no "wait" intent; the answer follows the owner's decision
    return None


def _apply(booking: VenueBooking, venue: Venue, decision: Decision, policy: VenuePolicy, now: datetime) -> None:
    data = {"reason_code": decision.reason_code, "slots": [slot.isoformat() for slot in decision.slots]}
    if decision.outcome == Outcome.ACCEPT:
        booking_confirm(booking=booking, actor_kind=ActorKind.VENUE_AGENT, reason="within the venue's rules")
    elif decision.outcome == Outcome.REJECT:
        _set_offered_slots(booking, decision.slots)
        booking_transition(
            booking=booking,
            to_status=BookingStatus.REJECTED,
            actor_kind=ActorKind.VENUE_AGENT,
            reason=_reason_with_alternatives(decision.reason, decision.slots, venue),
            data=data,
        )
    elif decision.outcome == Outcome.COUNTER_OFFER:
        _set_offered_slots(booking, decision.slots)
        booking_transition(
            booking=booking,
            to_status=BookingStatus.COUNTER_OFFERED,
            actor_kind=ActorKind.VENUE_AGENT,
            reason=decision.reason,
            data=data,
        )
    elif decision.outcome == Outcome.PENDING_OWNER:
        booking.owner_decision_deadline = _owner_deadline(booking, policy, now)
        booking.save(update_fields=["owner_decision_deadline", "updated_at"])
        booking_transition(
            booking=booking,
            to_status=BookingStatus.PENDING_OWNER,
            actor_kind=ActorKind.VENUE_AGENT,
            reason=decision.reason,
            data={**data, "deadline": booking.owner_decision_deadline.isoformat()},
        )
        booking_id = str(booking.pk)

        def notify_owners() -> None:
            from agents.booking.jobs import owner_notify_pending

            owner_notify_pending.delay(booking_id)

        transaction.on_commit(notify_owners)


def _lock(booking: VenueBooking) -> tuple[VenueBooking, Venue]:
    # Venue first, always: it is the lock that serialises one venue's decisions.
    venue = Venue.objects.select_for_update().select_related("city").get(pk=booking.venue_id)
    locked = VenueBooking.objects.select_for_update(of=("self",)).select_related("user").get(pk=booking.pk)
    locked.venue = venue
    return locked, venue


@transaction.atomic
def venue_agent_decide(*, booking: VenueBooking, now: datetime | None = None) -> Decision:
    """Decide a requested booking under the venue lock and apply it (no envelope is sent).

    A booking that is no longer ``requested`` was decided before: nothing happens.
    """
    now = now or timezone.now()
    booking, venue = _lock(booking)
    if booking.status != BookingStatus.REQUESTED:
        return Decision(Outcome.NONE, reason=f"already {booking.status}")
    agent = _venue_agent(venue)
    policy = venue_policy(agent=agent)
    decision = booking_decide(booking=booking, venue=venue, policy=policy, now=now)
    _apply(booking, venue, decision, policy, now)
    return decision


# --------------------------------------------------------------------------- inbound envelopes


def _parse_datetime(value, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise EnvelopeRejected(f"payload.{name} is not an ISO date-time") from None
    if parsed.tzinfo is None:
        raise EnvelopeRejected(f"payload.{name} needs a timezone")
    return parsed


def _recipient_venue(envelope: A2AEnvelope) -> Venue:
    agent = Agent.objects.select_related("venue").filter(agent_id=envelope.to_agent_id, venue__isnull=False).first()
    if agent is None:
        raise EnvelopeRejected(f"{envelope.to_agent_id} is not a venue agent hosted here")
    return agent.venue


def _booking_from(envelope: A2AEnvelope, venue: Venue) -> VenueBooking | None:
    payload = envelope.payload if isinstance(envelope.payload, dict) else {}
    ref = str(payload.get("booking_ref") or "").strip()
    booking = None
    if ref:
        booking = VenueBooking.objects.select_related("user", "venue").filter(external_ref=ref).first()
        if booking is None:
            raise EnvelopeRejected(f"unknown booking {ref}")
    elif envelope.booking_id is not None:
        booking = VenueBooking.objects.select_related("user", "venue").get(pk=envelope.booking_id)
    if booking is not None and booking.venue_id != venue.pk:
        raise EnvelopeRejected(f"booking {booking.external_ref} is not at {venue.name}")
    return booking


def _check_sender(envelope: A2AEnvelope, booking: VenueBooking) -> None:
    from agents.booking.flow import booking_consumer_agent_id

    expected = booking_consumer_agent_id(booking, exclude_envelope_pk=envelope.pk)
    if envelope.from_agent_id != expected:
        raise EnvelopeRejected(f"booking {booking.external_ref} belongs to another agent")


def _booking_from_payload(envelope: A2AEnvelope, venue: Venue) -> VenueBooking:
    """A request from a remote consumer agent: the booking starts here, from the payload."""
    payload = envelope.payload if isinstance(envelope.payload, dict) else {}
    try:
        party_size = int(payload.get("party_size"))
    except (TypeError, ValueError):
        raise EnvelopeRejected("payload.party_size must be a number") from None
    start = _parse_datetime(payload.get("slot_start"), "slot_start")
    end = _parse_datetime(payload["slot_end"], "slot_end") if payload.get("slot_end") else None
    try:
        booking = booking_create(
            venue=venue,
            party_size=party_size,
            slot_start=start,
            slot_end=end,
            source=BookingSource.A2A,
            contact_name=str(payload.get("contact_name") or "")[:120],
            contact_phone=str(payload.get("contact_phone") or "")[:32],
            special_requests=str(payload.get("special_requests") or "")[:2000],
        )
    except BookingError as exc:
        raise EnvelopeRejected(str(exc)) from None
    A2AEnvelope.objects.filter(pk=envelope.pk).update(booking=booking)
    envelope.booking = booking
    return booking


@transaction.atomic
def venue_agent_handle_request(*, envelope: A2AEnvelope, now: datetime | None = None) -> Decision:
    """HANDLERS["booking.request"]: decide the request and answer the agent that sent it."""
    venue = _recipient_venue(envelope)
    booking = _booking_from(envelope, venue)
    if booking is None:
        booking = _booking_from_payload(envelope, venue)
    else:
        _check_sender(envelope, booking)
    decision = venue_agent_decide(booking=booking, now=now)
    if decision.outcome == Outcome.NONE:
        return decision
    booking.refresh_from_db()
    _answer(booking, decision, to_agent_id=envelope.from_agent_id, correlation_id=envelope.envelope_id)
    return decision


@transaction.atomic
def venue_agent_handle_cancel(*, envelope: A2AEnvelope) -> VenueBooking:
    """HANDLERS["booking.cancel"]: the guest's agent cancels; answer booking.cancelled.

    Our own guests' bookings are already cancelled when this arrives (the concierge
    cancels first, then tells the venue): that is the idempotent case.
    """
    venue = _recipient_venue(envelope)
    booking = _booking_from(envelope, venue)
    if booking is None:
        raise EnvelopeRejected("payload.booking_ref is required")
    _check_sender(envelope, booking)
    if booking.status != BookingStatus.CANCELLED:
        reason = str((envelope.payload or {}).get("reason") or "cancelled by the guest's agent")
        try:
            booking_cancel(booking=booking, actor_kind=ActorKind.CONSUMER_AGENT, reason=reason)
        except BookingTransitionError as exc:
            raise EnvelopeRejected(str(exc)) from None
    booking.refresh_from_db()
    _reply(
        booking=booking,
        intent=EnvelopeIntent.BOOKING_CANCELLED,
        to_agent_id=envelope.from_agent_id,
        correlation_id=envelope.envelope_id,
        payload={"reason": booking.status_reason},
    )
    return booking


# --------------------------------------------------------------------------- owner decisions


class OwnerDecisionError(BookingError):
    """The owner's approve/decline cannot apply (not awaiting approval, slot gone)."""


def _awaiting_owner(booking: VenueBooking) -> None:
    if booking.status != BookingStatus.PENDING_OWNER:
        raise OwnerDecisionError(
            f"booking {booking.external_ref} is {booking.get_status_display().lower()}, not awaiting approval"
        )


@transaction.atomic
def owner_approve(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.OWNER, now: datetime | None = None
) -> VenueBooking:
    """The owner says yes: confirm (if the diary still has the room) and tell the guest's agent."""
    now = now or timezone.now()
    booking, venue = _lock(booking)
    _awaiting_owner(booking)
    if booking.slot_start <= now:
        raise OwnerDecisionError(f"booking {booking.external_ref}: the visit time has passed")
    # The pending booking held its slot, so this only fails if the diary changed by hand.
    # Lead time and window are judged as of the request (the guest asked in time; the
    # owner's answer may come later), capacity and pacing as of now.
    if not slot_is_free(
        venue=venue,
        start=booking.slot_start,
        party_size=booking.party_size,
        now=min(now, booking.created_at),
        **_hold(booking),
    ).slots:
        raise OwnerDecisionError(f"booking {booking.external_ref}: the slot is no longer free, decline it instead")
    booking_confirm(booking=booking, actor=actor, actor_kind=actor_kind, reason="approved by the venue")
    _answer(booking, Decision(Outcome.ACCEPT))
    return booking


def _decline(
    booking: VenueBooking, venue: Venue, *, reason: str, actor, actor_kind: str, now: datetime
) -> VenueBooking:
    policy = venue_policy(agent=_venue_agent(venue))
    slots = _alternatives(venue=venue, booking=booking, now=now, count=policy.alternatives)
    decision = Decision(Outcome.REJECT, "owner_declined", reason, slots)
    _set_offered_slots(booking, slots)
    booking_reject(
        booking=booking, actor=actor, actor_kind=actor_kind, reason=_reason_with_alternatives(reason, slots, venue)
    )
    _answer(booking, decision)
    return booking


@transaction.atomic
def owner_decline(
    *,
    booking: VenueBooking,
    actor=None,
    actor_kind: str = ActorKind.OWNER,
    reason: str = "",
    now: datetime | None = None,
) -> VenueBooking:
    """The owner says no: reject with alternatives from the diary and tell the guest's agent."""
    now = now or timezone.now()
    booking, venue = _lock(booking)
    _awaiting_owner(booking)
    return _decline(
        booking,
        venue,
        reason=reason or f"{venue.name} can't take this booking",
        actor=actor,
        actor_kind=actor_kind,
        now=now,
    )


@transaction.atomic
def owner_decision_lapse(*, booking_id, now: datetime | None = None) -> VenueBooking | None:
    """Past the owner's deadline with no answer: decline politely, with alternatives.

    Returns None when there is nothing to do (answered meanwhile, or not due yet).
    """
    now = now or timezone.now()
    booking = VenueBooking.objects.filter(pk=booking_id).first()
    if booking is None:
        return None
    booking, venue = _lock(booking)
    deadline = booking.owner_decision_deadline
    if booking.status != BookingStatus.PENDING_OWNER or deadline is None or deadline > now:
        return None
    return _decline(
        booking,
        venue,
        reason=f"{venue.name} couldn't confirm your request in time",
        actor=None,
        actor_kind=ActorKind.VENUE_AGENT,
        now=now,
    )


@transaction.atomic
def booking_request_lapse(*, booking_id, envelope_id: str = "", now: datetime | None = None) -> VenueBooking | None:
    """A booking request's envelope expired unanswered: the booking expires, with alternatives.

    Only a booking still ``requested`` expires; one the venue answered meanwhile stays.
    """
    now = now or timezone.now()
    booking = VenueBooking.objects.filter(pk=booking_id).first()
    if booking is None:
        return None
    booking, venue = _lock(booking)
    if booking.status != BookingStatus.REQUESTED:
        return None
    slots = _alternatives(venue=venue, booking=booking, now=now, count=3) if booking.slot_start > now else []
    _set_offered_slots(booking, slots)
    return booking_transition(
        booking=booking,
        to_status=BookingStatus.EXPIRED,
        actor_kind=ActorKind.SYSTEM,
        reason=_reason_with_alternatives(f"{venue.name}'s booking agent did not answer in time", slots, venue),
        data={"envelope_id": envelope_id, "slots": [slot.isoformat() for slot in slots]},
    )


@transaction.atomic
def venue_booking_cancel(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.OWNER, reason: str = ""
) -> VenueBooking:
    """The venue (owner or staff) cancels a booking and tells the guest's agent, if one asked for it."""
    from agents.booking.flow import booking_request_envelope

    booking, venue = _lock(booking)
    booking_cancel(booking=booking, actor=actor, actor_kind=actor_kind, reason=reason or f"cancelled by {venue.name}")
    booking.refresh_from_db()
    # Only a booking an agent asked for has an agent to tell (a booking taken by phone
    # has none); our own guests also hear of it through the booking notification.
    if booking_request_envelope(booking) is not None:
        _reply(booking=booking, intent=EnvelopeIntent.BOOKING_CANCELLED, payload={"reason": booking.status_reason})
    return booking


# --------------------------------------------------------------------------- telling the owners


def owner_review_text(booking: VenueBooking) -> str:
    from django.conf import settings
    from django.urls import NoReverseMatch, reverse

    venue = booking.venue
    tz = venue_timezone(venue)
    when = f"{booking.slot_start.astimezone(tz):%a %d %b at %H:%M}"
    deadline = booking.owner_decision_deadline
    try:
        path = reverse("admin:bookings_venuebooking_change", args=[booking.pk])
    except NoReverseMatch:
        path = "/admin/"
    lines = [
        f"New booking request for {venue.name} needs your approval: {booking.party_size} guests, {when} "
        f"({booking.external_ref}).",
    ]
    if booking.contact_name:
        lines.append(f"Guest: {booking.contact_name}.")
    if booking.special_requests:
        lines.append(f"Special requests: {booking.special_requests[:300]}")
    lines.append(
        f"Approve or decline in the back office{f' by {deadline.astimezone(tz):%H:%M}' if deadline else ''}: "
        f"{getattr(settings, 'PUBLIC_BASE_URL', '').rstrip('/')}{path}. Without an answer, the guest is "
        "declined politely with other times."
    )
    return "\n".join(lines)


@transaction.atomic
def owner_notify_pending(*, booking_id) -> int:
    """Tell the venue's owners (VenueClient with notify_on_booking) that a request awaits them.

    On their messaging channel when they have one, else by e-mail (after commit). Returns
    how many owners were told; a redelivered task tells nobody twice.
    """
    from django.core.mail import send_mail

    from messaging.models import Interaction, InteractionSource
    from messaging.outbound import reply_send
    from messaging.services import user_channel_preferred
    from venues.models import VenueClient

    booking = VenueBooking.objects.select_related("venue__city").filter(pk=booking_id).first()
    if booking is None or booking.status != BookingStatus.PENDING_OWNER:
        return 0
    text = owner_review_text(booking)
    told = 0
    clients = VenueClient.objects.filter(
        venue_id=booking.venue_id, is_active=True, notify_on_booking=True
    ).select_related("user")
    for client in clients:
        owner = client.user
        marker = f"owner:{booking.pk}:{owner.pk}:pending_owner"
        channel = user_channel_preferred(user=owner)
        if channel is not None:
            if Interaction.objects.filter(booking=booking, payload__notification=marker).exists():
                continue
            reply_send(
                channel=channel,
                text=text,
                booking=booking,
                source=InteractionSource.VENUE_AGENT,
                payload={"notification": marker},
            )
            told += 1
        elif owner.email:
            subject = f"Approve booking {booking.external_ref} at {booking.venue.name}?"
            transaction.on_commit(
                lambda email=owner.email, subject=subject: send_mail(subject, text, None, [email], fail_silently=True)
            )
            told += 1
        else:
            logger.warning(
                "owner %s of %s has no channel nor e-mail to approve %s", owner.pk, booking.venue_id, booking.pk
            )
    return told
