"""Courier tools (Lalamove): get a quote, and book it — only after the user's explicit yes.

Safety rule #1: never book a courier without an explicit user confirmation. transport_book
places an order only when ``ctx.confirmed_action`` (set by the router from the user's own
affirmative reply) matches the pending action it created, and then only through
bookings.services.transport_confirm, which the database backs with a CHECK.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pydantic import Field

from bookings import lalamove
from bookings.models import ActorKind, TransportBooking, TransportServiceType
from bookings.services import TransportError, transport_confirm, transport_quote_record, transport_transition
from bookings.state import TransportStatus
from messaging.tools.base import Tool, ToolArgs, ToolFailure, ctx_now, money, resolve_venue
from messaging.tools.confirmation import (
    confirmed_action_for,
    pending_action_claim,
    pending_action_clear,
    pending_action_create,
)

_PIN = re.compile(r"(-?\d{1,2}\.\d{3,})\s*,\s*(-?\d{1,3}\.\d{3,})")


class TransportQuoteArgs(ToolArgs):
    pickup_address: str | None = Field(
        None, description="Pickup address with a map pin 'lat,lng' (or use pickup_venue)."
    )
    pickup_venue: str | None = Field(None, description="Pickup at this venue (name, slug or id).")
    dropoff_address: str | None = Field(
        None, description="Drop-off address with a map pin 'lat,lng' (or use dropoff_venue)."
    )
    dropoff_venue: str | None = Field(None, description="Drop-off at this venue (name, slug or id).")
    service_type: str | None = Field("MOTORCYCLE", description="MOTORCYCLE, CAR, MPV, VAN or TRUCK.")
    item_description: str | None = Field(None, description="What is being sent.")


def _place(address: str | None, venue_ref: str | None, *, which: str):
    if venue_ref:
        venue = resolve_venue(venue_ref)
        if venue.latitude is None or venue.longitude is None:
            raise ToolFailure(f"{venue.name} has no map location; ask the user for a map pin")
        return lalamove.Place(
            address=venue.address or venue.name, latitude=venue.latitude, longitude=venue.longitude
        ), venue
    if address:
        match = _PIN.search(address)
        if match:
            lat, lng = Decimal(match.group(1)), Decimal(match.group(2))
            if -90 <= lat <= 90 and -180 <= lng <= 180:
                label = _PIN.sub("", address).strip(" ,;()") or f"{lat},{lng}"
                return lalamove.Place(address=label[:300], latitude=lat, longitude=lng), None
        raise ToolFailure(
            f"the {which} address has no coordinates: ask the user for a venue name or to share a "
            "map pin (latitude, longitude)"
        )
    raise ToolFailure(f"where is the {which}? give a venue or an address with a map pin")


def _service_type(value: str | None) -> str:
    key = (value or "MOTORCYCLE").strip().lower()
    if key in ("bike", "motorbike", "scooter", "motor"):
        key = "motorcycle"
    if key not in TransportServiceType.values:
        raise ToolFailure(f"service_type must be one of {', '.join(v.upper() for v in TransportServiceType.values)}")
    return key


def run_transport_quote(args: TransportQuoteArgs, ctx) -> dict:
    if not lalamove.is_configured():
        raise ToolFailure("courier booking is not configured on this server, so no quote can be given")
    service = _service_type(args.service_type)
    pickup, pickup_venue = _place(args.pickup_address, args.pickup_venue, which="pickup")
    dropoff, dropoff_venue = _place(args.dropoff_address, args.dropoff_venue, which="drop-off")
    try:
        quote = lalamove.quotation_create(pickup=pickup, dropoff=dropoff, service_type=service)
    except lalamove.LalamoveError as exc:
        raise ToolFailure(str(exc)) from None
    transport = transport_quote_record(
        user=ctx.user,
        quote_id=quote.quotation_id,
        quote_expires_at=quote.expires_at,
        price_amount=quote.price,
        currency=quote.currency,
        service_type=service,
        pickup={"address": pickup.address, "latitude": pickup.latitude, "longitude": pickup.longitude},
        dropoff={"address": dropoff.address, "latitude": dropoff.latitude, "longitude": dropoff.longitude},
        item_description=(args.item_description or "")[:300],
        distance_m=quote.distance_m,
        venue=dropoff_venue or pickup_venue,
        quote_payload=quote.raw,
    )
    return {
        "quote_id": transport.quote_id,
        "price": money(transport.price_amount, transport.currency),
        "service_type": service.upper(),
        "distance_km": round(quote.distance_m / 1000, 1) if quote.distance_m else None,
        "pickup": pickup.address,
        "dropoff": dropoff.address,
        "expires_at": quote.expires_at.isoformat(),
        "note": "Nothing is booked. To book, call transport_book with this quote_id; the user must confirm.",
    }


class TransportBookArgs(ToolArgs):
    quote_id: str = Field(..., description="The quote_id from transport_quote.")
    confirmation_id: str | None = Field(
        None, description="Only after the user said yes: the confirmation_id from the needs_confirmation result."
    )


def _user_phone(user) -> str:
    phone = (getattr(user, "phone", "") or "").strip()
    if not phone:
        from messaging.models import ChannelPlatform, UserChannel

        # A WhatsApp wa_id is the user's phone number in international form without "+".
        phone = (
            UserChannel.objects.filter(user=user, platform=ChannelPlatform.WHATSAPP)
            .values_list("external_id", flat=True)
            .first()
            or ""
        )
    digits = re.sub(r"[^\d+]", "", phone)
    if not digits:
        return ""
    return digits if digits.startswith("+") else "+" + digits.lstrip("0")


def _transport_for(ctx, quote_id: str) -> TransportBooking:
    transport = TransportBooking.objects.filter(user=ctx.user, quote_id=quote_id.strip()).first()
    if transport is None:
        raise ToolFailure(f"no courier quote {quote_id!r} for this user; get a quote first")
    return transport


def run_transport_book(args: TransportBookArgs, ctx) -> dict:
    if not lalamove.is_configured():
        raise ToolFailure("courier booking is not configured on this server")
    action = confirmed_action_for(ctx, tool="transport_book", confirmation_id=args.confirmation_id)
    if action is None:
        transport = _transport_for(ctx, args.quote_id)
        if transport.quote_expires_at <= ctx_now(ctx):
            raise ToolFailure("this courier quote has expired; get a new quote")
        if not _user_phone(ctx.user):
            raise ToolFailure("the driver needs the user's phone number; ask for it first")
        if transport.status == TransportStatus.QUOTED:
            transport_transition(
                transport=transport,
                to_status=TransportStatus.AWAITING_CONFIRMATION,
                actor=ctx.user,
                actor_kind=ActorKind.CONSUMER_AGENT,
                reason="shown to the user for confirmation",
            )
        elif transport.status != TransportStatus.AWAITING_CONFIRMATION:
            raise ToolFailure(f"this courier booking is already {transport.get_status_display().lower()}")
        summary = (
            f"{transport.get_service_type_display()} courier from {transport.pickup_address} to "
            f"{transport.dropoff_address} for {money(transport.price_amount, transport.currency)}"
        )
        pending = pending_action_create(
            user=ctx.user, tool="transport_book", arguments={"quote_id": transport.quote_id}, summary=summary
        )
        return {
            "status": "needs_confirmation",
            "confirmation_id": pending["id"],
            "summary": summary,
            "instructions": "Ask the user to confirm (reply YES). No courier is booked until they do.",
        }

    # Confirmed by the user's own reply: act on the STORED quote, never on a new argument.
    transport = _transport_for(ctx, str(action["arguments"].get("quote_id", "")))
    if not pending_action_claim(action_id=action["id"]):
        raise ToolFailure("this confirmation was already used")
    pending_action_clear(user=ctx.user)
    phone = _user_phone(ctx.user)
    if not phone:
        raise ToolFailure("the driver needs the user's phone number; ask for it first")
    try:
        transport = transport_confirm(
            transport=transport, user=ctx.user, confirmation_ref=f"{ctx.platform}:{ctx.interaction_id or ''}"
        )
    except TransportError as exc:
        raise ToolFailure(str(exc)) from None
    try:
        transport = lalamove.transport_order_place(transport=transport, sender_phone=phone, recipient_phone=phone)
    except lalamove.LalamoveError as exc:
        transport_transition(transport=transport, to_status=TransportStatus.FAILED, reason=str(exc)[:300])
        raise ToolFailure(f"the courier could not be booked: {exc}") from None
    return {
        "status": "booked",
        "order_id": transport.lalamove_order_id,
        "tracking_url": transport.tracking_url or None,
        "price": money(transport.price_amount, transport.currency),
        "note": "A driver is being assigned; the user will get updates.",
    }


TOOLS = [
    Tool(
        "transport_quote",
        "Price a Lalamove courier between two places (venues or addresses with a map pin). Books nothing.",
        TransportQuoteArgs,
        run_transport_quote,
    ),
    Tool(
        "transport_book",
        "Book a quoted courier. The first call returns needs_confirmation: ask the user to reply YES; only then call "
        "again with the confirmation_id. Never book without the user's explicit yes.",
        TransportBookArgs,
        run_transport_book,
    ),
]
