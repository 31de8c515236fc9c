"""Courier bookings (Lalamove): quotes, the user's confirmation, status moves."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from agnt.transitions import transition
from bookings.models import (
    ActorKind,
    TransportBooking,
    TransportEvent,
)
from bookings.services.errors import TransportConfirmationError, TransportError
from bookings.state import (
    TRANSPORT_TRANSITIONS,
    TransportStatus,
)
from venues.models import Venue

# --------------------------------------------------------------------------- courier (Lalamove)

_PLACE_KEYS = frozenset({"address", "latitude", "longitude", "contact_name", "contact_phone"})
_TRANSPORT_TIMESTAMPS = {TransportStatus.COMPLETED: "completed_at", TransportStatus.CANCELLED: "cancelled_at"}


@transaction.atomic
def transport_quote_record(
    *,
    user,
    quote_id: str,
    quote_expires_at: datetime,
    price_amount: Decimal,
    currency: str,
    service_type: str,
    pickup: dict[str, Any],
    dropoff: dict[str, Any],
    item_description: str = "",
    distance_m: int | None = None,
    scheduled_at: datetime | None = None,
    venue: Venue | None = None,
    quote_payload: dict[str, Any] | None = None,
) -> TransportBooking:
    """Store a Lalamove quotation shown to the user (status ``quoted``). Nothing is booked yet.

    ``pickup``/``dropoff`` hold ``address``, ``latitude``, ``longitude`` and optionally
    ``contact_name``/``contact_phone``.
    """
    places = {}
    for prefix, place in (("pickup", pickup), ("dropoff", dropoff)):
        unknown = set(place) - _PLACE_KEYS
        if unknown or not {"address", "latitude", "longitude"} <= set(place):
            raise TransportError(f"{prefix} needs address, latitude and longitude (got {sorted(place)})")
        places.update({f"{prefix}_{key}": value for key, value in place.items()})
    if price_amount < 0:
        raise TransportError("a quote cannot have a negative price")
    transport = TransportBooking.objects.create(
        user=user,
        venue=venue,
        quote_id=quote_id,
        quote_expires_at=quote_expires_at,
        price_amount=price_amount,
        currency=currency,
        service_type=service_type,
        item_description=item_description,
        distance_m=distance_m,
        scheduled_at=scheduled_at,
        quote_payload=quote_payload or {},
        **places,
    )
    TransportEvent.objects.create(
        transport=transport,
        from_status="",
        to_status=TransportStatus.QUOTED,
        actor=user,
        actor_kind=ActorKind.CONSUMER_AGENT,
        data={"price": str(price_amount), "currency": currency},
    )
    return transport


def _transport_move(
    transport: TransportBooking,
    *,
    to_status: str,
    actor,
    actor_kind: str,
    reason: str,
    data: dict | None,
    extra: dict[str, Any] | None = None,
) -> TransportBooking:
    def changes(locked: TransportBooking, from_status: str) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if stamp := _TRANSPORT_TIMESTAMPS.get(to_status):
            fields[stamp] = timezone.now()
        if reason:
            fields["status_reason"] = reason[:300]
        fields.update(extra or {})
        return fields

    locked, _ = transition(
        transport,
        to_status=to_status,
        table=TRANSPORT_TRANSITIONS,
        changes=changes,
        refuse=lambda locked, from_status: TransportError(
            f"courier booking cannot move from {from_status} to {to_status}"
        ),
        event=lambda locked, from_status: TransportEvent.objects.create(
            transport=locked,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            actor_kind=actor_kind,
            reason=reason[:300],
            data=data or {},
        ),
    )
    return locked


@transaction.atomic
def transport_confirm(*, transport: TransportBooking, user, confirmation_ref: str = "") -> TransportBooking:
    """The user said yes to this quote: the ONLY way a courier booking reaches ``confirmed``.

    Refuses a different user than the one quoted, a quote past its expiry, and a booking
    that was not put to the user for confirmation. ``confirmation_ref`` names the message
    in which the user confirmed (kept for disputes). Placing the Lalamove order happens
    after commit, from the confirmed row.
    """
    locked = TransportBooking.objects.select_for_update().get(pk=transport.pk)
    if user is None or locked.user_id != user.pk:
        raise TransportConfirmationError("only the user who asked for this courier can confirm it")
    if locked.status != TransportStatus.AWAITING_CONFIRMATION:
        raise TransportConfirmationError(f"courier booking is {locked.status}, not awaiting the user's confirmation")
    now = timezone.now()
    if locked.quote_expires_at <= now:
        raise TransportConfirmationError("the courier quote has expired; ask for a new quote")
    return _transport_move(
        transport,
        to_status=TransportStatus.CONFIRMED,
        actor=user,
        actor_kind=ActorKind.CONSUMER,
        reason="",
        data={"confirmation_ref": confirmation_ref[:200]},
        extra={"user_confirmed_at": now, "confirmation_ref": confirmation_ref[:200]},
    )


@transaction.atomic
def transport_transition(
    *,
    transport: TransportBooking,
    to_status: str,
    actor=None,
    actor_kind: str = ActorKind.SYSTEM,
    reason: str = "",
    data: dict[str, Any] | None = None,
    lalamove_order_id: str | None = None,
    driver: dict[str, str] | None = None,
) -> TransportBooking:
    """Every courier status change except the user's confirmation (see transport_confirm)."""
    if to_status == TransportStatus.CONFIRMED:
        raise TransportConfirmationError("a courier is confirmed only by the user, through transport_confirm")
    extra: dict[str, Any] = {}
    if lalamove_order_id:
        extra["lalamove_order_id"] = lalamove_order_id
    for key in ("name", "phone", "plate"):
        if driver and driver.get(key):
            extra[f"driver_{key}"] = driver[key]
    return _transport_move(
        transport, to_status=to_status, actor=actor, actor_kind=actor_kind, reason=reason, data=data, extra=extra
    )


def transport_cancel(
    *, transport: TransportBooking, actor=None, actor_kind: str = ActorKind.CONSUMER, reason: str = ""
) -> TransportBooking:
    return transport_transition(
        transport=transport, to_status=TransportStatus.CANCELLED, actor=actor, actor_kind=actor_kind, reason=reason
    )
