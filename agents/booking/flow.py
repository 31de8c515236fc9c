"""The consumer side's outbound half of a booking negotiation: request and cancel envelopes.

A booking is always negotiated agent to agent, even when both agents live in this
process: the consumer agent (the guest's, or the platform agent for API bookings) sends
a signed ``booking.request`` through the gateway to the venue agent, which decides
against the diary and answers (agents.booking.venue_agent). The envelope goes out through
agents.network.outbox.envelope_dispatch, which records it and sends it once the caller commits,
so a rolled-back booking never reaches a venue. The commands that change a booking and
send these (agents.booking.commands) are the only callers outside this package.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from agents.models import A2AEnvelope, Agent, EnvelopeIntent
from agents.network.registry import platform_agent
from agents.selectors import booking_request_envelope
from agents.services import agent_register_for_user, agent_register_for_venue
from bookings.models import VenueBooking

__all__ = [
    "booking_cancel_send",
    "booking_consumer_agent_id",
    "booking_request_envelope",
    "booking_request_send",
    "consumer_agent_for",
    "venue_agent_for",
]

# A request nobody answered within this time expires (agents.network.handlers.on_envelope_expired
# then lets the guest know). The original design listened for 10 minutes.
DEFAULT_REQUEST_TTL_MS = 600_000
# Bookings jump the queue ahead of bulk traffic (0 is highest).
BOOKING_PRIORITY = 3


def consumer_agent_for(booking: VenueBooking) -> Agent:
    """The agent that speaks for the guest of ``booking`` (registered on first use)."""
    if booking.user_id is not None:
        return agent_register_for_user(user=booking.user)
    # bookings without a user (external API, MCP, remote agents) speak through the platform agent
    return platform_agent()


def venue_agent_for(venue) -> Agent:
    return agent_register_for_venue(venue=venue)


def booking_consumer_agent_id(booking: VenueBooking, *, exclude_envelope_pk=None) -> str:
    """Who the venue answers about ``booking``: the agent that asked for it.

    A remote consumer agent is known only from its first request envelope; for our own
    guests it is their registered concierge agent (or the platform agent for API
    bookings). ``exclude_envelope_pk`` leaves out the envelope being checked, so an
    envelope cannot vouch for itself.
    """
    request = booking_request_envelope(booking, first=True, exclude_pk=exclude_envelope_pk)
    if request is not None:
        return request.from_agent_id
    if booking.user_id is not None and getattr(booking.user, "cp_agent_id", ""):
        return booking.user.cp_agent_id
    return consumer_agent_for(booking).agent_id


def booking_payload(booking: VenueBooking) -> dict:
    """What the venue agent needs to decide (and to call the guest); no internal ids."""
    return {
        "booking_ref": booking.external_ref,
        "venue": booking.venue.slug,
        "party_size": booking.party_size,
        "slot_start": booking.slot_start.isoformat(),
        "slot_end": booking.slot_end.isoformat(),
        "special_requests": booking.special_requests,
        "contact_name": booking.contact_name,
        "contact_phone": booking.contact_phone,
        "source": booking.source,
    }


def _dispatch(**kwargs) -> A2AEnvelope:
    # Imported late: the outbox (gateway side) imports models and jobs that need apps ready.
    from agents.network.outbox import envelope_dispatch

    return envelope_dispatch(**kwargs)


@transaction.atomic
def booking_request_send(*, booking: VenueBooking) -> A2AEnvelope:
    """Send the guest's request for ``booking`` to the venue's agent; returns the envelope.

    Delivery, retries, breakers and the TTL are the outbox's; the answer comes back as a
    booking.accepted / rejected / counter_offer envelope (agents.booking.consumer_agent).
    """
    consumer = consumer_agent_for(booking)
    venue_agent = venue_agent_for(booking.venue)
    return _dispatch(
        intent=EnvelopeIntent.BOOKING_REQUEST,
        from_agent_id=consumer.agent_id,
        to_agent_id=venue_agent.agent_id,
        payload=booking_payload(booking),
        booking=booking,
        ttl_ms=int(getattr(settings, "A2A_BOOKING_REQUEST_TTL_MS", DEFAULT_REQUEST_TTL_MS)),
        priority=BOOKING_PRIORITY,
    )


@transaction.atomic
def booking_cancel_send(*, booking: VenueBooking, reason: str = "") -> A2AEnvelope:
    """Tell the venue's agent the guest cancelled ``booking`` (already cancelled on our side)."""
    consumer = consumer_agent_for(booking)
    venue_agent = venue_agent_for(booking.venue)
    request = booking_request_envelope(booking)
    return _dispatch(
        intent=EnvelopeIntent.BOOKING_CANCEL,
        from_agent_id=consumer.agent_id,
        to_agent_id=venue_agent.agent_id,
        payload={"booking_ref": booking.external_ref, "reason": (reason or "")[:300]},
        booking=booking,
        correlation_id=request.envelope_id if request is not None else "",
        priority=BOOKING_PRIORITY,
    )
