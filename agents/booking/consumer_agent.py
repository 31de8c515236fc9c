"""The consumer side: apply a venue agent's answer to the guest's booking.

Each answer is checked before anything changes: the booking must exist, the answer must
come from that booking's venue agent and be addressed to the booking's consumer agent,
and the move must be one bookings.state.BOOKING_TRANSITIONS allows from where the
booking is now. When the venue agent lives here it has already moved the booking (one
database), so an answer that matches the current status is a no-op; a remote venue
agent's answer is applied here. The guest hears about it from
messaging.notifications (the booking signal), never from this module.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from agents.models import A2AEnvelope, Agent, EnvelopeIntent
from agents.network.handlers import EnvelopeRejected
from bookings.models import ActorKind, VenueBooking
from bookings.services import booking_transition
from bookings.state import BookingStatus, can_transition

RESPONSE_STATUS: dict[str, str] = {
    EnvelopeIntent.BOOKING_ACCEPTED: BookingStatus.CONFIRMED,
    EnvelopeIntent.BOOKING_REJECTED: BookingStatus.REJECTED,
    EnvelopeIntent.BOOKING_COUNTER_OFFER: BookingStatus.COUNTER_OFFERED,
    EnvelopeIntent.BOOKING_CANCELLED: BookingStatus.CANCELLED,
}
MAX_OFFERED_SLOTS = 6


def _venue_agent_id(booking: VenueBooking) -> str:
    agent_id = Agent.objects.filter(venue_id=booking.venue_id).values_list("agent_id", flat=True).first()
    return agent_id or booking.venue.cp_agent_id


def _slots(payload: dict, key: str) -> list[str]:
    raw = payload.get(key) or []
    if not isinstance(raw, list):
        raise EnvelopeRejected(f"payload.{key} must be a list of ISO date-times")
    slots = []
    for value in raw[:MAX_OFFERED_SLOTS]:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise EnvelopeRejected(f"payload.{key} holds {str(value)[:40]!r}, not an ISO date-time") from None
        if parsed.tzinfo is None:
            raise EnvelopeRejected(f"payload.{key} date-times need a timezone")
        slots.append(parsed.isoformat())
    return slots


@transaction.atomic
def consumer_apply_response(*, envelope: A2AEnvelope) -> VenueBooking:
    """Validate a booking.accepted / rejected / counter_offer / cancelled envelope and apply it.

    Raises EnvelopeRejected (the inbox records the envelope as rejected) for an unknown
    booking, a sender that is not the booking's venue agent, a recipient that is not the
    booking's consumer agent, or a transition the state machine refuses.
    """
    from agents.booking.flow import booking_consumer_agent_id

    target = RESPONSE_STATUS.get(envelope.intent)
    if target is None:
        raise EnvelopeRejected(f"{envelope.intent} is not a booking response")
    payload = envelope.payload if isinstance(envelope.payload, dict) else {}
    ref = str(payload.get("booking_ref") or "").strip()
    booking = None
    if ref:
        booking = VenueBooking.objects.filter(external_ref=ref).first()
    elif envelope.booking_id is not None:
        booking = VenueBooking.objects.filter(pk=envelope.booking_id).first()
    if booking is None:
        raise EnvelopeRejected(f"unknown booking {ref or '(no booking_ref)'}")
    booking = VenueBooking.objects.select_for_update(of=("self",)).select_related("venue", "user").get(pk=booking.pk)

    if envelope.from_agent_id != _venue_agent_id(booking):
        raise EnvelopeRejected(f"{envelope.from_agent_id} is not the agent of the venue of booking {ref}")
    if envelope.to_agent_id != booking_consumer_agent_id(booking):
        raise EnvelopeRejected(f"booking {ref} does not belong to {envelope.to_agent_id}")
    if booking.status == target:
        return booking  # the venue agent here already moved it: nothing more to do
    if not can_transition(booking.status, target):
        raise EnvelopeRejected(f"booking {ref} cannot move from {booking.status} to {target}")

    slots = _slots(payload, "slots" if target == BookingStatus.COUNTER_OFFERED else "alternatives")
    if target == BookingStatus.COUNTER_OFFERED and not slots:
        raise EnvelopeRejected("a counter-offer needs at least one slot")
    if slots:
        booking.counter_offer_slots = slots
        booking.save(update_fields=["counter_offer_slots", "updated_at"])
    reason = str(payload.get("reason") or "")[:300]
    return booking_transition(
        booking=booking,
        to_status=target,
        actor_kind=ActorKind.VENUE_AGENT,
        reason=reason,
        data={"envelope_id": envelope.envelope_id, "from_agent_id": envelope.from_agent_id},
    )
