"""What an agent hosted here does with each envelope intent, and with envelopes that never arrive.

agents.network.inbox.inbox_receive verifies an inbound envelope, records it and calls
``HANDLERS[intent](envelope_row)``. A handler raises :class:`EnvelopeRejected` when the
envelope's content is wrong (unknown booking, wrong venue, a transition the booking
state machine refuses): the inbox records the envelope as rejected with that reason and
never raises to the gateway. Any other exception is a failure on our side.

The outbox calls :func:`on_envelope_undeliverable` once per envelope it could not hand
to the gateway (breaker open, gateway down) and the TTL sweep calls
:func:`on_envelope_expired` when an envelope's time ran out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from agents.models import A2AEnvelope, EnvelopeDirection, EnvelopeIntent

logger = logging.getLogger(__name__)


class EnvelopeRejected(ValueError):
    """The envelope is well signed but its content cannot be acted on; the message says why."""


def handle_booking_request(envelope: A2AEnvelope) -> None:
    from agents.booking.venue_agent import venue_agent_handle_request

    venue_agent_handle_request(envelope=envelope)


def handle_booking_cancel(envelope: A2AEnvelope) -> None:
    from agents.booking.venue_agent import venue_agent_handle_cancel

    venue_agent_handle_cancel(envelope=envelope)


def handle_booking_response(envelope: A2AEnvelope) -> None:
    from agents.booking.consumer_agent import consumer_apply_response

    consumer_apply_response(envelope=envelope)


HANDLERS: dict[str, Callable[[A2AEnvelope], None]] = {
    # to venue agents
    EnvelopeIntent.BOOKING_REQUEST: handle_booking_request,
    EnvelopeIntent.BOOKING_CANCEL: handle_booking_cancel,
    # to consumer agents (and the platform agent, for API bookings)
    EnvelopeIntent.BOOKING_ACCEPTED: handle_booking_response,
    EnvelopeIntent.BOOKING_REJECTED: handle_booking_response,
    EnvelopeIntent.BOOKING_COUNTER_OFFER: handle_booking_response,
    EnvelopeIntent.BOOKING_CANCELLED: handle_booking_response,
}


@transaction.atomic
def on_envelope_undeliverable(envelope: A2AEnvelope) -> None:
    """The gateway could not take a booking request now (breaker open, gateway down).

    The outbox retries later; the guest is told once that the venue can't be reached yet,
    so a slow answer is not mistaken for silence. Other intents need no message: a
    guest's cancellation is already final on our side, and answers to other agents are
    retried without a person waiting on them.
    """
    if envelope.intent != EnvelopeIntent.BOOKING_REQUEST or envelope.direction != EnvelopeDirection.OUTBOUND:
        return
    if envelope.booking_id is None:
        return
    from agents.signals import booking_request_undeliverable

    # messaging tells the guest, once per envelope (messaging.notifications)
    booking_request_undeliverable.send(
        sender=A2AEnvelope, booking_id=envelope.booking_id, envelope_id=envelope.envelope_id
    )


def on_envelope_expired(envelope: A2AEnvelope) -> None:
    """An envelope's TTL passed before it was processed.

    For an unanswered booking request, the booking lapses (expired, with alternatives
    from the diary) and the guest is told through the booking notification. Expired
    answers or cancellations change nothing: the booking's state here is already right.
    """
    if envelope.intent != EnvelopeIntent.BOOKING_REQUEST or envelope.booking_id is None:
        logger.info("envelope %s (%s) expired; nothing to do", envelope.envelope_id, envelope.intent)
        return
    from agents.booking.venue_agent import booking_request_lapse

    booking_request_lapse(booking_id=envelope.booking_id, envelope_id=envelope.envelope_id)
