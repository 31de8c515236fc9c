"""The venue agent: decides booking requests against the venue's diary and answers.

Every decision for one venue runs under a lock on the venue row (SELECT … FOR UPDATE),
so two requests for the last table are decided one after the other and the second one
sees the first one's confirmation: exactly one wins. The diary is bookings.availability;
only bookings the venue has already given a slot to (confirmed, pending owner approval)
count against a request, and never the request itself.

The decision itself is bookings.decision (pure: policy, diary, request); this module
applies it and answers. Outcomes:
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
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from agents.models import A2AEnvelope, Agent, AgentStatus, EnvelopeIntent
from agents.network.handlers import EnvelopeRejected
from bookings.availability import reason_values, slot_is_free
from bookings.decision import (
    DEFAULT_OWNER_DECISION_MINUTES,
    Decision,
    Outcome,
    VenuePolicy,
    booking_alternatives,
    booking_decide,
    decision_hold,
    owner_deadline,
    reason_with_alternatives,
)
from bookings.models import ActorKind, BookingSource, VenueBooking
from bookings.selectors import booking_by_reference
from bookings.services import (
    BookingError,
    BookingTransitionError,
    booking_cancel,
    booking_confirm,
    booking_create,
    booking_reject,
    booking_reschedule,
    booking_transition,
)
from bookings.state import BookingStatus
from venues.models import Venue
from venues.selectors import venue_timezone

logger = logging.getLogger(__name__)


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


# --------------------------------------------------------------------------- applying it


def _set_offered_slots(booking: VenueBooking, slots: list[datetime]) -> None:
    # Kept on the booking so the guest's message, the admin and the API show the same slots.
    booking.counter_offer_slots = [slot.isoformat() for slot in slots]
    booking.save(update_fields=["counter_offer_slots", "updated_at"])


def _venue_agent(venue: Venue) -> Agent:
    from agents.booking.flow import venue_agent_for

    return venue_agent_for(venue)


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
    if decision.reason_code:
        # the venue's figures the reason names, as they were when it decided: the guest's
        # message words the reason from these in their own language
        data["reason_values"] = reason_values(venue, at=booking.slot_start)
    if decision.outcome == Outcome.ACCEPT:
        booking_confirm(booking=booking, actor_kind=ActorKind.VENUE_AGENT, reason="within the venue's rules")
    elif decision.outcome == Outcome.REJECT:
        _set_offered_slots(booking, decision.slots)
        booking_transition(
            booking=booking,
            to_status=BookingStatus.REJECTED,
            actor_kind=ActorKind.VENUE_AGENT,
            reason=reason_with_alternatives(decision.reason, decision.slots, venue),
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
        booking.owner_decision_deadline = owner_deadline(booking, policy, now)
        booking.save(update_fields=["owner_decision_deadline", "updated_at"])
        booking_transition(
            booking=booking,
            to_status=BookingStatus.PENDING_OWNER,
            actor_kind=ActorKind.VENUE_AGENT,
            reason=decision.reason,
            data={**data, "deadline": booking.owner_decision_deadline.isoformat()},
        )
        booking_id = str(booking.pk)

        def announce() -> None:
            from agents.signals import booking_awaits_owner

            # messaging tells the venue's owners (messaging.notifications.owner_notify_pending)
            booking_awaits_owner.send(sender=VenueBooking, booking_id=booking_id)

        transaction.on_commit(announce)


def lock_booking_and_venue(booking: VenueBooking) -> tuple[VenueBooking, Venue]:
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
    booking, venue = lock_booking_and_venue(booking)
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
        booking = booking_by_reference(reference=ref)
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


def _confirm_against_diary(booking: VenueBooking, venue: Venue, *, now: datetime) -> None:
    if booking.slot_start <= now:
        raise OwnerDecisionError(f"booking {booking.external_ref}: the visit time has passed")
    # A held (pending) booking kept its slot, so this only fails if the diary changed by
    # hand; a request never decided is checked here for the first time. Lead time and
    # window are judged as of the request (the guest asked in time; the venue's answer may
    # come later), capacity, pacing and opening hours as of now.
    free = slot_is_free(
        venue=venue,
        start=booking.slot_start,
        party_size=booking.party_size,
        now=min(now, booking.created_at),
        **decision_hold(booking),
    )
    if not free.slots:
        from bookings.availability import describe

        raise OwnerDecisionError(
            f"booking {booking.external_ref}: the slot is no longer free ({describe(free.reason, venue)}), "
            "decline it instead"
        )


@transaction.atomic
def owner_approve(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.OWNER, now: datetime | None = None
) -> VenueBooking:
    """The owner says yes: confirm (if the diary still has the room) and tell the guest's agent."""
    now = now or timezone.now()
    booking, venue = lock_booking_and_venue(booking)
    _awaiting_owner(booking)
    _confirm_against_diary(booking, venue, now=now)
    booking_confirm(booking=booking, actor=actor, actor_kind=actor_kind, reason="approved by the venue")
    _answer(booking, Decision(Outcome.ACCEPT))
    return booking


CONFIRMABLE_STATUSES = frozenset({BookingStatus.REQUESTED, BookingStatus.PENDING_OWNER})


@transaction.atomic
def venue_booking_confirm(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.STAFF, now: datetime | None = None
) -> VenueBooking:
    """Staff or the owner confirm a request by hand (a phone call, the back office): under
    the venue lock, only if the diary allows it, and the guest's agent is told
    (booking.accepted) when an agent asked for it."""
    now = now or timezone.now()
    booking, venue = lock_booking_and_venue(booking)
    if booking.status not in CONFIRMABLE_STATUSES:
        raise OwnerDecisionError(
            f"booking {booking.external_ref} is {booking.get_status_display().lower()}, not awaiting an answer"
        )
    _confirm_against_diary(booking, venue, now=now)
    booking_confirm(booking=booking, actor=actor, actor_kind=actor_kind, reason="confirmed by the venue")
    _answer_if_asked(booking, Decision(Outcome.ACCEPT))
    return booking


@transaction.atomic
def venue_booking_counter(
    *,
    booking: VenueBooking,
    slots: list[datetime],
    actor=None,
    actor_kind: str = ActorKind.OWNER,
    reason: str = "",
    now: datetime | None = None,
) -> VenueBooking:
    """The venue proposes other times for a request: each slot must be free in the diary."""
    now = now or timezone.now()
    booking, venue = lock_booking_and_venue(booking)
    if booking.status not in CONFIRMABLE_STATUSES:
        raise OwnerDecisionError(
            f"booking {booking.external_ref} is {booking.get_status_display().lower()}, not awaiting an answer"
        )
    if not slots:
        raise OwnerDecisionError("a counter-offer needs at least one time")
    for slot in slots:
        if not slot_is_free(
            venue=venue, start=slot, party_size=booking.party_size, now=now, **decision_hold(booking)
        ).slots:
            raise OwnerDecisionError(f"{slot.astimezone(venue_timezone(venue)):%a %d %b %H:%M} is not free")
    reason = reason or f"{venue.name} proposes other times"
    _set_offered_slots(booking, slots)
    booking_transition(
        booking=booking,
        to_status=BookingStatus.COUNTER_OFFERED,
        actor=actor,
        actor_kind=actor_kind,
        reason=reason,
        data={"slots": [slot.isoformat() for slot in slots]},
    )
    _answer_if_asked(booking, Decision(Outcome.COUNTER_OFFER, "owner_counter", reason, slots))
    return booking


@transaction.atomic
def venue_booking_move(
    *,
    booking: VenueBooking,
    slot_start: datetime,
    slot_end: datetime | None = None,
    actor=None,
    actor_kind: str = ActorKind.STAFF,
    now: datetime | None = None,
) -> VenueBooking:
    """Move a booking to a new time: the diary decides the new time under the venue lock
    (refused: OwnerDecisionError with the diary's reason and other times); the guest's agent
    hears booking.accepted at the new time, our own guest a notification (booking_moved)."""
    from bookings.decision import booking_move_decide

    now = now or timezone.now()
    booking, venue = lock_booking_and_venue(booking)
    decision = booking_move_decide(booking=booking, venue=venue, slot_start=slot_start, slot_end=slot_end, now=now)
    if decision.outcome != Outcome.ACCEPT:
        raise OwnerDecisionError(
            reason_with_alternatives(decision.reason or "the diary does not allow that time", decision.slots, venue)
        )
    booking_reschedule(booking=booking, slot_start=slot_start, slot_end=slot_end, actor=actor, actor_kind=actor_kind)
    booking.refresh_from_db()
    if booking.status == BookingStatus.CONFIRMED:
        _answer_if_asked(booking, Decision(Outcome.ACCEPT))
    return booking


@transaction.atomic
def venue_booking_counter_accept(
    *,
    booking: VenueBooking,
    slot_start: datetime,
    actor=None,
    actor_kind: str = ActorKind.CONSUMER,
    now: datetime | None = None,
) -> VenueBooking:
    """The guest takes one of the times the venue offered: under the venue lock the diary
    decides that time again (it may have gone since the offer); if it is still free the
    booking moves there and is confirmed, and the guest's agent hears booking.accepted.
    Refused (OwnerDecisionError, the booking stays counter-offered): not counter-offered,
    a time the venue did not offer, or a time no longer free (with other times)."""
    from bookings.decision import booking_move_decide

    now = now or timezone.now()
    booking, venue = lock_booking_and_venue(booking)
    if booking.status != BookingStatus.COUNTER_OFFERED:
        raise OwnerDecisionError(
            f"booking {booking.external_ref} is {booking.get_status_display().lower()}, not counter-offered"
        )
    offered = []
    for raw in booking.counter_offer_slots or []:
        try:
            offered.append(datetime.fromisoformat(str(raw)))
        except ValueError:
            continue
    if slot_start not in offered:
        labels = ", ".join(f"{s.astimezone(venue_timezone(venue)):%a %d %b %H:%M}" for s in offered)
        raise OwnerDecisionError(f"{venue.name} did not offer that time; it offered: {labels or 'nothing'}")
    decision = booking_move_decide(booking=booking, venue=venue, slot_start=slot_start, now=now)
    if decision.outcome != Outcome.ACCEPT:
        raise OwnerDecisionError(
            reason_with_alternatives(decision.reason or "that time is no longer free", decision.slots, venue)
        )
    booking_reschedule(booking=booking, slot_start=slot_start, actor=actor, actor_kind=actor_kind)
    booking.refresh_from_db()
    booking_confirm(booking=booking, actor=actor, actor_kind=actor_kind, reason="the guest took the offered time")
    _answer_if_asked(booking, Decision(Outcome.ACCEPT))
    return booking


def _answer_if_asked(booking: VenueBooking, decision: Decision) -> A2AEnvelope | None:
    # Only a booking an agent asked for has an agent to answer (a booking taken by phone
    # has none); our own guests also hear of it through their notifications.
    from agents.booking.flow import booking_request_envelope

    if booking_request_envelope(booking) is None:
        return None
    return _answer(booking, decision)


def _decline(
    booking: VenueBooking, venue: Venue, *, reason: str, actor, actor_kind: str, now: datetime
) -> VenueBooking:
    policy = venue_policy(agent=_venue_agent(venue))
    slots = booking_alternatives(venue=venue, booking=booking, now=now, count=policy.alternatives)
    decision = Decision(Outcome.REJECT, "owner_declined", reason, slots)
    _set_offered_slots(booking, slots)
    booking_reject(
        booking=booking, actor=actor, actor_kind=actor_kind, reason=reason_with_alternatives(reason, slots, venue)
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
    booking, venue = lock_booking_and_venue(booking)
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
    booking, venue = lock_booking_and_venue(booking)
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
    booking, venue = lock_booking_and_venue(booking)
    if booking.status != BookingStatus.REQUESTED:
        return None
    slots = booking_alternatives(venue=venue, booking=booking, now=now, count=3) if booking.slot_start > now else []
    _set_offered_slots(booking, slots)
    return booking_transition(
        booking=booking,
        to_status=BookingStatus.EXPIRED,
        actor_kind=ActorKind.SYSTEM,
        reason=reason_with_alternatives(f"{venue.name}'s booking agent did not answer in time", slots, venue),
        data={"envelope_id": envelope_id, "slots": [slot.isoformat() for slot in slots]},
    )


@transaction.atomic
def venue_booking_cancel(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.OWNER, reason: str = ""
) -> VenueBooking:
    """The venue (owner or staff) cancels a booking and tells the guest's agent, if one asked for it."""
    from agents.booking.flow import booking_request_envelope

    booking, venue = lock_booking_and_venue(booking)
    booking_cancel(booking=booking, actor=actor, actor_kind=actor_kind, reason=reason or f"cancelled by {venue.name}")
    booking.refresh_from_db()
    # Only a booking an agent asked for has an agent to tell (a booking taken by phone
    # has none); our own guests also hear of it through the booking notification.
    if booking_request_envelope(booking) is not None:
        _reply(booking=booking, intent=EnvelopeIntent.BOOKING_CANCELLED, payload={"reason": booking.status_reason})
    return booking
