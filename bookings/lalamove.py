"""Lalamove API v3 client (quotations, orders) and placing the order of a confirmed courier booking.

Wire format (developers.lalamove.com, v3): JSON bodies wrapped in ``{"data": {...}}``;
every request carries ``Authorization: hmac <API_KEY>:<timestamp_ms>:<signature>`` where
signature = hex HMAC-SHA256, keyed with the API secret, of
``"{timestamp}\\r\\n{METHOD}\\r\\n{path}\\r\\n\\r\\n{body}"`` (body empty for GET), plus
``Market`` (e.g. ``ID``) and a ``Request-ID`` nonce. Errors come back as
``{"errors": [{"id", "message", "detail"}]}``.

Safety rule: a courier is never booked without the user's explicit confirmation.
:func:`transport_order_place` refuses any TransportBooking that
bookings.services.transport_confirm has not stamped, and the database refuses a
Lalamove order id on a row without ``user_confirmed_at`` as well.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from bookings.models import TransportBooking, TransportEvent
from bookings.state import TransportStatus

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 15.0
SERVICE_TYPES = {"motorcycle": "MOTORCYCLE", "car": "CAR", "mpv": "MPV", "van": "VAN", "truck": "TRUCK"}


class LalamoveError(Exception):
    """Base of everything this client raises; the message is safe to show a user."""


class LalamoveNotConfigured(LalamoveError):
    pass


class LalamoveRequestError(LalamoveError):
    """Lalamove refused the request (4xx): bad address, unsupported area, quote expired…"""

    def __init__(self, message: str, *, status: int, error_id: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.error_id = error_id


class LalamoveAuthError(LalamoveRequestError):
    """401/403: the key or signature was refused (a configuration problem, not the user's)."""


class LalamoveUnavailable(LalamoveError):
    """Network failure, timeout, 429 or 5xx: worth retrying later."""


@dataclass(frozen=True)
class Place:
    address: str
    latitude: Decimal
    longitude: Decimal


@dataclass(frozen=True)
class Quote:
    quotation_id: str
    expires_at: datetime
    price: Decimal
    currency: str
    distance_m: int | None
    service_type: str
    stop_ids: list[str]
    raw: dict[str, Any]


def is_configured() -> bool:
    return bool(getattr(settings, "LALAMOVE_API_KEY", "") and getattr(settings, "LALAMOVE_API_SECRET", ""))


def sign(*, secret: str, timestamp: str, method: str, path: str, body: str) -> str:
    raw = f"{timestamp}\r\n{method.upper()}\r\n{path}\r\n\r\n{body}"
    return hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()


def _request(method: str, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    if not is_configured():
        raise LalamoveNotConfigured("courier booking is not configured on this server")
    key, secret = settings.LALAMOVE_API_KEY, settings.LALAMOVE_API_SECRET
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False) if payload is not None else ""
    timestamp = str(int(time.time() * 1000))
    headers = {
        "Authorization": f"hmac {key}:{timestamp}:{sign(secret=secret, timestamp=timestamp, method=method, path=path, body=body)}",
        "Market": getattr(settings, "LALAMOVE_MARKET", "ID"),
        "Request-ID": str(uuid.uuid4()),
        "Accept": "application/json",
    }
    if payload is not None:
        headers["Content-Type"] = "application/json"
    url = settings.LALAMOVE_BASE_URL.rstrip("/") + path
    try:
        response = httpx.request(
            method, url, content=body.encode() if body else None, headers=headers, timeout=TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        raise LalamoveUnavailable(f"the courier service could not be reached ({type(exc).__name__})") from exc
    try:
        data = response.json() if response.content else {}
    except ValueError:
        data = {}
    if response.status_code >= 500 or response.status_code == 429:
        raise LalamoveUnavailable(f"the courier service is unavailable right now (HTTP {response.status_code})")
    if response.status_code >= 400:
        errors = data.get("errors") if isinstance(data, dict) else None
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
        message = str(first.get("message") or first.get("id") or f"HTTP {response.status_code}")[:200]
        cls = LalamoveAuthError if response.status_code in (401, 403) else LalamoveRequestError
        raise cls(
            f"the courier service refused the request: {message}",
            status=response.status_code,
            error_id=str(first.get("id", ""))[:64],
        )
    if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
        raise LalamoveUnavailable("the courier service sent an unreadable answer")
    return data["data"]


def _decimal(value: Any, *, field: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise LalamoveUnavailable(f"the courier service sent an unreadable {field}") from None


def quotation_create(
    *,
    pickup: Place,
    dropoff: Place,
    service_type: str = "MOTORCYCLE",
    language: str = "en_ID",
    schedule_at: datetime | None = None,
) -> Quote:
    """POST /v3/quotations: the price of taking something from ``pickup`` to ``dropoff``."""
    service = SERVICE_TYPES.get(service_type.lower(), service_type.upper())
    payload: dict[str, Any] = {
        "serviceType": service,
        "language": language,
        "stops": [
            {"coordinates": {"lat": str(place.latitude), "lng": str(place.longitude)}, "address": place.address}
            for place in (pickup, dropoff)
        ],
    }
    if schedule_at is not None:
        payload["scheduleAt"] = schedule_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.00Z")
    data = _request("POST", "/v3/quotations", {"data": payload})
    price = data.get("priceBreakdown") or {}
    distance = data.get("distance") or {}
    expires = parse_datetime(str(data.get("expiresAt", ""))) if data.get("expiresAt") else None
    if not data.get("quotationId") or "total" not in price:
        raise LalamoveUnavailable("the courier service sent a quotation without an id or price")
    try:
        distance_m = int(Decimal(str(distance.get("value")))) if distance.get("value") is not None else None
        if distance_m is not None and str(distance.get("unit", "m")).lower() == "km":
            distance_m *= 1000
    except (InvalidOperation, ValueError):
        distance_m = None
    return Quote(
        quotation_id=str(data["quotationId"]),
        # Lalamove holds a quotation for about five minutes; assume that if it says nothing.
        expires_at=expires or timezone.now() + timedelta(minutes=5),
        price=_decimal(price["total"], field="price"),
        currency=str(price.get("currency") or "IDR")[:3],
        distance_m=distance_m,
        service_type=str(data.get("serviceType") or service),
        stop_ids=[str(stop.get("stopId")) for stop in data.get("stops") or [] if isinstance(stop, dict)],
        raw=data,
    )


def order_create(
    *,
    quotation_id: str,
    sender_stop_id: str,
    sender_name: str,
    sender_phone: str,
    recipient_stop_id: str,
    recipient_name: str,
    recipient_phone: str,
    remarks: str = "",
) -> dict[str, Any]:
    """POST /v3/orders: book the driver for a quotation. Only :func:`transport_order_place` calls this."""
    payload = {
        "quotationId": quotation_id,
        "sender": {"stopId": sender_stop_id, "name": sender_name, "phone": sender_phone},
        "recipients": [
            {"stopId": recipient_stop_id, "name": recipient_name, "phone": recipient_phone, "remarks": remarks}
        ],
        "isPODEnabled": False,
    }
    return _request("POST", "/v3/orders", {"data": payload})


def order_get(*, order_id: str) -> dict[str, Any]:
    """GET /v3/orders/{id}: status, driver, share link."""
    return _request("GET", f"/v3/orders/{order_id}")


def transport_order_place(
    *,
    transport: TransportBooking,
    sender_phone: str,
    recipient_phone: str,
    sender_name: str = "",
    recipient_name: str = "",
) -> TransportBooking:
    """Place the Lalamove order for a booking the user has confirmed, and record the order id.

    Refuses (LalamoveError, nothing sent) unless the row was confirmed by the user through
    bookings.services.transport_confirm and has no order yet — the courier safety rule.
    """
    transport.refresh_from_db()
    if transport.user_confirmed_at is None or transport.status != TransportStatus.CONFIRMED:
        raise LalamoveError("this courier booking has not been confirmed by the user")
    if transport.lalamove_order_id:
        raise LalamoveError("this courier booking already has an order")
    stops = (transport.quote_payload or {}).get("stops") or []
    stop_ids = [str(s.get("stopId")) for s in stops if isinstance(s, dict) and s.get("stopId")]
    if len(stop_ids) < 2:
        raise LalamoveError("the stored quotation has no stop ids; ask for a new quote")
    data = order_create(
        quotation_id=transport.quote_id,
        sender_stop_id=stop_ids[0],
        sender_name=sender_name or transport.pickup_contact_name or "AGNT guest",
        sender_phone=sender_phone,
        recipient_stop_id=stop_ids[-1],
        recipient_name=recipient_name or transport.dropoff_contact_name or "AGNT guest",
        recipient_phone=recipient_phone,
        remarks=transport.item_description,
    )
    order_id = str(data.get("orderId") or "")
    if not order_id:
        raise LalamoveUnavailable("the courier service accepted the order but sent no order id")
    with transaction.atomic():
        locked = TransportBooking.objects.select_for_update().get(pk=transport.pk)
        locked.lalamove_order_id = order_id[:64]
        locked.tracking_url = str(data.get("shareLink") or "")[:500]
        locked.save(update_fields=["lalamove_order_id", "tracking_url", "updated_at"])
        TransportEvent.objects.create(
            transport=locked,
            from_status=locked.status,
            to_status=locked.status,
            reason="Lalamove order placed",
            data={"order_id": order_id, "lalamove_status": data.get("status", "")},
        )
    return locked


# Lalamove v3 order statuses → our courier statuses (the path a courier takes, in order).
_LALAMOVE_STATUS = {
    "ASSIGNING_DRIVER": None,  # still looking: nothing to record
    "ON_GOING": TransportStatus.DRIVER_ASSIGNED,
    "PICKED_UP": TransportStatus.PICKED_UP,
    "COMPLETED": TransportStatus.COMPLETED,
    "CANCELED": TransportStatus.CANCELLED,
    "REJECTED": TransportStatus.FAILED,
    "EXPIRED": TransportStatus.FAILED,
}
_ROAD = [
    TransportStatus.CONFIRMED,
    TransportStatus.DRIVER_ASSIGNED,
    TransportStatus.PICKED_UP,
    TransportStatus.COMPLETED,
]


def transport_status_sync(*, transport: TransportBooking) -> TransportBooking:
    """Bring one courier booking up to date with Lalamove's order status.

    A poll can miss steps (driver assigned and picked up between two polls); the booking
    then walks through each of them, so its event log reads like the trip did.
    """
    from bookings.services import transport_transition

    if not transport.lalamove_order_id:
        return transport
    data = order_get(order_id=transport.lalamove_order_id)
    order = data.get("data") if isinstance(data.get("data"), dict) else data
    remote = str(order.get("status") or "").upper()
    target = _LALAMOVE_STATUS.get(remote)
    TransportBooking.objects.filter(pk=transport.pk).update(last_polled_at=timezone.now())
    if target is None or target == transport.status:
        return transport
    info = {"lalamove_status": remote}
    if target in _ROAD and transport.status in _ROAD:
        for step in _ROAD[_ROAD.index(transport.status) + 1 : _ROAD.index(target) + 1]:
            transport = transport_transition(
                transport=transport, to_status=step, reason=f"Lalamove: {remote}", data=info
            )
        return transport
    return transport_transition(transport=transport, to_status=target, reason=f"Lalamove: {remote}", data=info)
