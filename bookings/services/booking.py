"""Table bookings: request, the state machine and its named transitions."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from agnt.services import analytics_event_record
from agnt.transitions import transition
from bookings import signals
from bookings.models import (
    ActorKind,
    BookingEvent,
    BookingSource,
    VenueBooking,
)
from bookings.services.errors import BookingError, BookingTransitionError
from bookings.services.reliability import guest_reliability_recompute
from bookings.state import (
    ACTIVE_STATUSES,
    BOOKING_TRANSITIONS,
    BookingStatus,
)
from venues.models import Venue, VenueStatus

# --------------------------------------------------------------------------- bookings

# Unambiguous alphabet for references read out over the phone: no 0/O, 1/I/L, U/V.
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
REF_LENGTH = 6
# Listed (unclaimed) venues still take booking requests: staff confirm them by phone.
BOOKABLE_VENUE_STATUSES = frozenset({VenueStatus.LISTED, VenueStatus.ACTIVE})


def booking_generate_external_ref() -> str:
    """A short reference like ``AG-7K3Q9D`` (29^6 ≈ 600M values; uniqueness is checked on insert)."""
    return "AG-" + "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))


_TIMESTAMP_FOR_STATUS = {
    BookingStatus.CONFIRMED: "confirmed_at",
    BookingStatus.CANCELLED: "cancelled_at",
    BookingStatus.COMPLETED: "completed_at",
}
# Statuses whose reason the guest (or partner) should see on the booking itself.
_REASON_STATUSES = frozenset(
    {BookingStatus.REJECTED, BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.NO_SHOW}
)


def booking_check_request(
    *, venue: Venue, party_size: int, slot_start: datetime, slot_end: datetime | None = None
) -> datetime:
    """Refuse a request the venue's rules exclude outright; return the slot's end.

    Only hard rules live here (venue open for bookings, party size). Whether the slot is
    free is the venue agent's decision against its diary, after the request exists.
    """
    if venue.status not in BOOKABLE_VENUE_STATUSES:
        raise BookingError(f"{venue} is {venue.get_status_display().lower()} and does not take bookings")
    if not venue.min_party_size <= party_size <= venue.max_party_size:
        raise BookingError(f"{venue} takes parties of {venue.min_party_size}–{venue.max_party_size}, not {party_size}")
    slot_end = slot_end or slot_start + timedelta(minutes=venue.booking_duration_minutes)
    if slot_end <= slot_start:
        raise BookingError("a booking must end after it starts")
    return slot_end


@transaction.atomic
def booking_create(
    *,
    venue: Venue,
    user=None,
    party_size: int,
    slot_start: datetime,
    source: str,
    children: int = 0,
    slot_end: datetime | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    special_requests: str = "",
    api_key=None,
    idempotency_key: str | None = None,
    spend_estimate: Decimal | None = None,
    actor=None,
    actor_kind: str = ActorKind.CONSUMER_AGENT,
) -> VenueBooking:
    """Record a booking request (status ``requested``) with a fresh external reference.

    With ``api_key`` + ``idempotency_key``, a retried request returns the booking the
    first attempt created instead of a duplicate.
    """
    if api_key is not None and idempotency_key:
        existing = VenueBooking.objects.filter(api_key=api_key, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    slot_end = booking_check_request(venue=venue, party_size=party_size, slot_start=slot_start, slot_end=slot_end)
    if not 0 <= children <= party_size:
        raise BookingError(f"children ({children}) must be between 0 and the party size ({party_size})")
    if source not in BookingSource.values:
        raise BookingError(f"unknown booking source {source!r}")

    booking = VenueBooking(
        venue=venue,
        user=user,
        api_key=api_key,
        idempotency_key=idempotency_key or None,
        status=BookingStatus.REQUESTED,
        source=source,
        party_size=party_size,
        children=children,
        slot_start=slot_start,
        slot_end=slot_end,
        contact_name=contact_name,
        contact_phone=contact_phone,
        special_requests=special_requests,
        currency=venue.currency,
        spend_estimate=spend_estimate,
        deposit_amount=venue.deposit_amount if venue.deposit_required else None,
    )
    # A collision on the reference is astronomically rare; retry inside a savepoint so the
    # outer transaction survives the IntegrityError.
    for attempt in range(5):
        booking.external_ref = booking_generate_external_ref()
        try:
            with transaction.atomic():
                booking.save(force_insert=True)
            break
        except IntegrityError:
            # Anything but a reference collision (or five in a row) is a real error.
            if attempt == 4 or not VenueBooking.objects.filter(external_ref=booking.external_ref).exists():
                raise
    BookingEvent.objects.create(
        booking=booking,
        from_status="",
        to_status=BookingStatus.REQUESTED,
        actor=actor,
        actor_kind=actor_kind,
        data={"source": source, "party_size": party_size, "children": children},
    )
    analytics_event_record(name="booking.created", user=user, source=source, properties={"venue_id": str(venue.pk)})
    _announce_on_commit(booking, from_status="", to_status=BookingStatus.REQUESTED)
    return booking


@transaction.atomic
def booking_transition(
    *,
    booking: VenueBooking,
    to_status: str,
    actor=None,
    actor_kind: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> VenueBooking:
    """Move a booking along the state machine, stamp the time, and record a BookingEvent.

    The row is locked first, so two agents racing to confirm and cancel the same
    booking are serialised and the loser gets a BookingTransitionError.
    """
    now = timezone.now()

    def changes(locked: VenueBooking, from_status: str) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if stamp := _TIMESTAMP_FOR_STATUS.get(to_status):
            fields[stamp] = now
        if reason and to_status in _REASON_STATUSES:
            fields["status_reason"] = reason[:300]
        return fields

    locked, from_status = transition(
        booking,
        to_status=to_status,
        table=BOOKING_TRANSITIONS,
        changes=changes,
        refuse=lambda locked, from_status: BookingTransitionError(
            f"booking {locked.external_ref or locked.pk} cannot move from {from_status} to {to_status}"
        ),
        event=lambda locked, from_status: BookingEvent.objects.create(
            booking=locked,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            actor_kind=actor_kind,
            reason=reason[:300],
            data=data or {},
        ),
    )
    analytics_event_record(
        name=f"booking.{to_status}",
        user=locked.user if locked.user_id else None,
        source=actor_kind,
        properties={"booking_id": str(locked.pk), "venue_id": str(locked.venue_id)},
    )
    _announce_on_commit(locked, from_status=from_status, to_status=to_status)
    return locked


def _announce_on_commit(booking: VenueBooking, *, from_status: str, to_status: str) -> None:
    # Notifications, fees and webhooks react to this signal; sending it only after
    # commit means nobody is told about a change that was rolled back.
    if signals.is_silenced():
        return
    booking_id = booking.pk
    transaction.on_commit(
        lambda: signals.booking_status_changed.send(
            sender=VenueBooking, booking_id=booking_id, from_status=from_status, to_status=to_status
        )
    )


def booking_confirm(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.VENUE_AGENT, reason: str = ""
) -> VenueBooking:
    return booking_transition(
        booking=booking, to_status=BookingStatus.CONFIRMED, actor=actor, actor_kind=actor_kind, reason=reason
    )


def booking_reject(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.VENUE_AGENT, reason: str = ""
) -> VenueBooking:
    return booking_transition(
        booking=booking, to_status=BookingStatus.REJECTED, actor=actor, actor_kind=actor_kind, reason=reason
    )


def booking_cancel(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.CONSUMER, reason: str = ""
) -> VenueBooking:
    return booking_transition(
        booking=booking, to_status=BookingStatus.CANCELLED, actor=actor, actor_kind=actor_kind, reason=reason
    )


def booking_complete(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.SYSTEM, reason: str = ""
) -> VenueBooking:
    return booking_transition(
        booking=booking, to_status=BookingStatus.COMPLETED, actor=actor, actor_kind=actor_kind, reason=reason
    )


def booking_mark_no_show(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.OWNER, reason: str = ""
) -> VenueBooking:
    if booking.slot_start > timezone.now():
        # Refuse before locking: a guest cannot miss a table that has not started yet.
        raise BookingTransitionError(f"booking {booking.external_ref or booking.pk} has not started yet")
    with transaction.atomic():
        booking = booking_transition(
            booking=booking, to_status=BookingStatus.NO_SHOW, actor=actor, actor_kind=actor_kind, reason=reason
        )
        if booking.user_id:
            # the strike counts from now, not from the next hourly recount
            guest_reliability_recompute(user=booking.user)
    return booking


BOOKING_MOVED = "moved"


@transaction.atomic
def booking_reschedule(
    *, booking: VenueBooking, slot_start: datetime, slot_end: datetime | None = None, actor=None, actor_kind: str
) -> VenueBooking:
    """Give ``booking`` a new time and record it (no status change, a BookingEvent with
    ``data.kind == "moved"``); the guest is told through ``signals.booking_moved`` on commit.

    Deciding whether the diary allows the new time is the caller's (the command layer does
    it under the venue lock, bookings.decision.booking_move_decide).
    """
    locked = VenueBooking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
    if locked.status not in ACTIVE_STATUSES:
        raise BookingTransitionError(f"booking {locked.external_ref} is {locked.status} and cannot be moved")
    duration = locked.slot_end - locked.slot_start
    slot_end = slot_end or slot_start + duration
    if slot_end <= slot_start:
        raise BookingError("a booking must end after it starts")
    before = locked.slot_start
    if slot_start == before and slot_end == locked.slot_end:
        return locked
    locked.slot_start, locked.slot_end = slot_start, slot_end
    locked.save(update_fields=["slot_start", "slot_end", "updated_at"])
    event = BookingEvent.objects.create(
        booking=locked,
        from_status=locked.status,
        to_status=locked.status,
        actor=actor,
        actor_kind=actor_kind,
        reason=f"moved from {before.isoformat()} to {slot_start.isoformat()}",
        data={"kind": BOOKING_MOVED, "from": before.isoformat(), "to": slot_start.isoformat()},
    )
    if not signals.is_silenced():
        booking_id, event_id = locked.pk, event.pk
        transaction.on_commit(
            lambda: signals.booking_moved.send(
                sender=VenueBooking,
                booking_id=booking_id,
                event_id=event_id,
                from_start=before.isoformat(),
                to_start=slot_start.isoformat(),
            )
        )
    for name in ("slot_start", "slot_end", "updated_at"):
        setattr(booking, name, getattr(locked, name))
    return locked
