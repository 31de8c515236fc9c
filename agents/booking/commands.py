"""The command layer for negotiated bookings: the only code that changes one.

Every entry point calls these: the concierge's tools, the guest's reminder buttons and
replies, the first-party DRF API, /a2a/v1, MCP, A2A JSON-RPC, and the admin's actions
and forms. Each command is one durable transaction (``transaction.atomic(durable=True)``:
nobody can nest it by accident and lose the guarantee): the booking change and the
envelope that tells the other agent commit together or not at all, and the envelope
leaves only after the commit (agents.network.outbox).

Underneath, bookings decides (bookings.decision, a pure diary decision) and records
(bookings.services); agents.booking.venue_agent applies a venue's answer under the venue
lock and replies; agents.booking.flow sends the guest side's envelopes. Two kinds of
caller use those pieces directly, because they already run inside a transaction of
their own: the inbound envelope handlers (a remote agent's request or cancel, a remote
venue's answer — agents.booking.consumer_agent) inside the inbox's, and the deadline
jobs (an owner who did not answer, a request nobody answered) one booking per
transaction.

| command | who | what is sent |
|---|---|---|
| booking_request | guest, API client | booking.request to the venue's agent |
| booking_guest_cancel | guest, API client | booking.cancel to the venue's agent |
| booking_venue_approve / _decline / _counter / _cancel | owner, staff | the answer to the guest's agent |
| booking_venue_confirm | owner, staff (by hand) | booking.accepted if an agent asked |
| booking_move | owner, staff | booking.accepted at the new time; the guest is notified |
| booking_phone_take | owner, staff (phone, walk-in) | nothing: no agent asked |
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from agents.booking import venue_agent
from agents.booking.flow import booking_cancel_send, booking_request_send
from bookings.decision import diary_decide
from bookings.models import ActorKind, BookingSource, VenueBooking
from bookings.services import BookingError, booking_cancel, booking_confirm, booking_create
from venues.models import Venue

GUEST_CANCEL_REASON = "cancelled by the guest"


@transaction.atomic(durable=True)
def booking_request(
    *,
    venue: Venue,
    party_size: int,
    slot_start: datetime,
    source: str,
    children: int = 0,
    user=None,
    slot_end: datetime | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    special_requests: str = "",
    api_key=None,
    idempotency_key: str | None = None,
    actor=None,
    actor_kind: str = ActorKind.CONSUMER_AGENT,
    within: Callable[[VenueBooking], None] | None = None,
) -> VenueBooking:
    """Record a guest's request and send it to the venue's agent, in one transaction.

    ``within(booking)`` runs inside the same transaction (the API meters the request
    there), so a failure anywhere leaves neither a booking nor an envelope behind.
    """
    booking = booking_create(
        venue=venue,
        user=user,
        party_size=party_size,
        children=children,
        slot_start=slot_start,
        slot_end=slot_end,
        source=source,
        contact_name=contact_name,
        contact_phone=contact_phone,
        special_requests=special_requests,
        api_key=api_key,
        idempotency_key=idempotency_key,
        actor=actor,
        actor_kind=actor_kind,
    )
    if within is not None:
        within(booking)
    booking_request_send(booking=booking)
    return booking


@transaction.atomic(durable=True)
def booking_guest_cancel(
    *, booking: VenueBooking, user=None, api_key=None, actor_kind: str = ActorKind.CONSUMER, reason: str = ""
) -> VenueBooking:
    """The guest (or the API client that booked) cancels: cancel here, tell the venue's agent.

    The guest's word is final, so the booking is cancelled at once; the venue's agent hears
    booking.cancel after the commit and frees its table. Raises BookingError when the
    booking is not theirs or its status does not allow it.
    """
    if api_key is not None:
        if booking.api_key_id != api_key.pk:
            raise BookingError("a booking can only be cancelled by the API key that made it")
    elif user is None or booking.user_id != user.pk:
        raise BookingError("a booking can only be cancelled by its guest")
    reason = (reason or "").strip()[:300] or GUEST_CANCEL_REASON
    booking = booking_cancel(booking=booking, actor=user, actor_kind=actor_kind, reason=reason)
    booking_cancel_send(booking=booking, reason=reason)
    return booking


@transaction.atomic(durable=True)
def booking_venue_approve(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.OWNER, now: datetime | None = None
) -> VenueBooking:
    """The venue approves a request awaiting it (see venue_agent.owner_approve)."""
    return venue_agent.owner_approve(booking=booking, actor=actor, actor_kind=actor_kind, now=now)


@transaction.atomic(durable=True)
def booking_venue_decline(
    *,
    booking: VenueBooking,
    actor=None,
    actor_kind: str = ActorKind.OWNER,
    reason: str = "",
    now: datetime | None = None,
) -> VenueBooking:
    """The venue declines a request awaiting it; the guest gets other times."""
    return venue_agent.owner_decline(booking=booking, actor=actor, actor_kind=actor_kind, reason=reason, now=now)


@transaction.atomic(durable=True)
def booking_venue_counter(
    *,
    booking: VenueBooking,
    slots: list[datetime],
    actor=None,
    actor_kind: str = ActorKind.OWNER,
    reason: str = "",
    now: datetime | None = None,
) -> VenueBooking:
    """The venue proposes other (free) times for a request."""
    return venue_agent.venue_booking_counter(
        booking=booking, slots=slots, actor=actor, actor_kind=actor_kind, reason=reason, now=now
    )


@transaction.atomic(durable=True)
def booking_venue_cancel(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.OWNER, reason: str = ""
) -> VenueBooking:
    """The venue cancels a booking; the guest's agent is told, if one asked for it."""
    return venue_agent.venue_booking_cancel(booking=booking, actor=actor, actor_kind=actor_kind, reason=reason)


@transaction.atomic(durable=True)
def booking_venue_confirm(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.STAFF, now: datetime | None = None
) -> VenueBooking:
    """Staff or the owner confirm a request by hand: against the diary, under the venue
    lock, and the guest's agent hears booking.accepted."""
    return venue_agent.venue_booking_confirm(booking=booking, actor=actor, actor_kind=actor_kind, now=now)


@transaction.atomic(durable=True)
def booking_move(
    *,
    booking: VenueBooking,
    slot_start: datetime,
    slot_end: datetime | None = None,
    actor=None,
    actor_kind: str = ActorKind.STAFF,
    now: datetime | None = None,
) -> VenueBooking:
    """Move a booking to a new time the diary allows; the guest (and their agent) are told."""
    return venue_agent.venue_booking_move(
        booking=booking, slot_start=slot_start, slot_end=slot_end, actor=actor, actor_kind=actor_kind, now=now
    )


@transaction.atomic(durable=True)
def booking_phone_take(
    *,
    venue: Venue,
    party_size: int,
    slot_start: datetime,
    contact_name: str,
    contact_phone: str = "",
    special_requests: str = "",
    slot_end: datetime | None = None,
    user=None,
    spend_estimate: Decimal | None = None,
    actor=None,
    actor_kind: str = ActorKind.STAFF,
    now: datetime | None = None,
) -> VenueBooking:
    """A booking the venue takes itself (phone, walk-in): recorded and confirmed at once if
    the diary allows it under the venue lock, else refused (BookingError) and nothing is kept.
    No agent asked for it, so no envelope is sent."""
    now = now or timezone.now()
    # Venue first, always: it is the lock that serialises one venue's decisions.
    Venue.objects.select_for_update().filter(pk=venue.pk).first()
    booking = booking_create(
        venue=venue,
        user=user,
        party_size=party_size,
        slot_start=slot_start,
        slot_end=slot_end,
        source=BookingSource.ADMIN,
        contact_name=contact_name,
        contact_phone=contact_phone,
        special_requests=special_requests,
        spend_estimate=spend_estimate,
        actor=actor,
        actor_kind=actor_kind,
    )
    booking, venue = venue_agent.lock_booking_and_venue(booking)
    decision = diary_decide(booking=booking, venue=venue, now=now)
    if decision.outcome != venue_agent.Outcome.ACCEPT:
        raise BookingError(venue_agent.reason_with_alternatives(decision.reason, decision.slots, venue))
    return booking_confirm(booking=booking, actor=actor, actor_kind=actor_kind, reason="taken by the venue")
