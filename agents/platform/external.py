"""The open network's one domain layer: what external developer agents can do.

The django-ninja API (/a2a/v1), the MCP server (/mcp) and the platform agent's A2A
JSON-RPC endpoint are three transports over these functions; none of them holds logic of
its own. Reads return plain JSON-able dicts in one documented shape; failures raise
:class:`NetworkError` subclasses carrying a stable ``code`` (the problem+json ``type``
suffix, the MCP tool error, the A2A task failure) and the HTTP status the REST API uses.

Bookings made here belong to the API key: a key sees and cancels only its own bookings,
a retried create with the same ``Idempotency-Key`` returns the first booking, and the
request travels to the venue's agent as a signed envelope exactly like a chat booking
(agents.booking.flow), so the venue decides against its diary and the answer comes back
through the gateway — usually within a second.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F, Q
from django.utils import timezone

from agents.models import ApiKey
from agnt.jsonbody import json_parse
from agnt.models import ApiTier
from bookings.models import BookingSource, VenueBooking
from bookings.state import BookingStatus
from venues.models import Venue
from venues.selectors import (
    SEARCHABLE_STATUSES,
    venue_is_open_at,
    venue_search_queryset,
    venue_search_rows,
    venue_timezone,
)

PAGE_MAX = 100  # venue.list / GET /venues return at most this many per page
PAGE_DEFAULT = 20
# Which tiers may use which paid intents; intents not listed are open to every tier.
TIER_INTENTS: dict[str, frozenset[str]] = {
    "booking.confirm": frozenset({ApiTier.PRO, ApiTier.ENTERPRISE}),
}
# Tiers whose paid calls are metered (ApiKeyUsageEvent → Stripe meter events). Free keys
# have no subscription to bill; their calls are limited by the rate limiter instead.
METERED_TIERS = frozenset({ApiTier.PRO, ApiTier.ENTERPRISE})


# --- errors -----------------------------------------------------------------------------------


class NetworkError(Exception):
    """A request the network refuses, with a stable machine-readable code."""

    code = "invalid_request"
    status = 400
    title = "Invalid request"

    def __init__(self, detail: str, *, field: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra or {}


class InvalidRequest(NetworkError):
    code, status, title = "invalid_request", 422, "Invalid request"


class NotFound(NetworkError):
    code, status, title = "not_found", 404, "Not found"


class TierRequired(NetworkError):
    code, status, title = "tier_required", 403, "Your API tier does not include this"


class IdempotencyConflict(NetworkError):
    code, status, title = "idempotency_conflict", 409, "Idempotency key reused with different parameters"


class SlotUnavailable(NetworkError):
    code, status, title = "slot_unavailable", 409, "The venue cannot take this booking"


class BookingNotCancellable(NetworkError):
    code, status, title = "booking_not_cancellable", 409, "This booking cannot be cancelled"


# --- venues -----------------------------------------------------------------------------------


def _money(amount) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def venue_card_url(venue: Venue) -> str:
    from agents.network.cards import venue_card_url as card_url

    return card_url(venue)


# What venue_summary (and the open_at check) reads: search pages load only these columns.
VENUE_SUMMARY_COLUMNS = (
    "slug",
    "name",
    "category",
    "area",
    "price_level",
    "rating_average",
    "rating_count",
    "cuisines",
    "tags",
    "min_party_size",
    "max_party_size",
    "opening_hours",
    "city__slug",
    "city__name",
    "city__timezone",
)


# The columns of a search result row (venue_summary_row): values() rows, not Venue instances.
VENUE_ROW_FIELDS = tuple(name for name in VENUE_SUMMARY_COLUMNS if name not in {"opening_hours", "city__timezone"})


def venue_summary_row(row: dict[str, Any]) -> dict[str, Any]:
    """:func:`venue_summary` from a ``values(*VENUE_ROW_FIELDS)`` row.

    A search page is the hottest read of the API: building ``Venue`` instances (and their
    cities) for it cost more than the query itself, so the page reads plain rows.
    """
    rating = row["rating_average"]
    return {
        "slug": row["slug"],
        "name": row["name"],
        "category": row["category"],
        "city": row["city__slug"],
        "city_name": row["city__name"],
        "area": row["area"] or None,
        "price_level": row["price_level"],
        "rating": float(rating) if rating is not None else None,
        "rating_count": row["rating_count"],
        "cuisines": list(row["cuisines"] or []),
        "tags": list(row["tags"] or []),
        "party_size": {"min": row["min_party_size"], "max": row["max_party_size"]},
    }


def venue_summary(venue: Venue) -> dict[str, Any]:
    """The list shape of a venue (search results)."""
    return {
        "slug": venue.slug,
        "name": venue.name,
        "category": venue.category,
        "city": venue.city.slug,
        "city_name": venue.city.name,
        "area": venue.area or None,
        "price_level": venue.price_level,
        "rating": float(venue.rating_average) if venue.rating_average is not None else None,
        "rating_count": venue.rating_count,
        "cuisines": list(venue.cuisines or []),
        "tags": list(venue.tags or []),
        "party_size": {"min": venue.min_party_size, "max": venue.max_party_size},
    }


def venue_detail(venue: Venue) -> dict[str, Any]:
    """Everything public about one venue, with its booking policy and AgentCard address."""
    from agents.network.cards import venue_policy

    return {
        **venue_summary(venue),
        "description": venue.description,
        "address": venue.address or None,
        "location": (
            {"lat": float(venue.latitude), "lng": float(venue.longitude)}
            if venue.latitude is not None and venue.longitude is not None
            else None
        ),
        "average_spend": _money(venue.average_spend),
        "currency": venue.currency,
        "website": venue.website or None,
        "instagram": venue.instagram or None,
        "policy": venue_policy(venue),
        "agent_card_url": venue_card_url(venue),
    }


def venue_policy_card(venue: Venue) -> dict[str, Any]:
    """The venue's booking rules (the venue-policy extension of its AgentCard)."""
    from agents.network.cards import venue_policy

    return {"venue": venue.slug, "name": venue.name, "agent_card_url": venue_card_url(venue), **venue_policy(venue)}


def venue_get(*, ref: str) -> Venue:
    """A guest-visible venue by slug (or id); NotFound otherwise."""
    ref = (ref or "").strip()
    condition = Q(slug=ref.lower())
    if _is_uuid(ref):
        condition |= Q(pk=ref)
    venue = Venue.objects.select_related("city").filter(condition, status__in=SEARCHABLE_STATUSES).first()
    if venue is None:
        raise NotFound(f"no venue {ref!r}", field="venue")
    return venue


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@dataclass
class VenuePage:
    items: list[dict[str, Any]]
    next_cursor: str | None
    filters: dict[str, Any] = field(default_factory=dict)


def _filters_digest(filters: dict[str, Any]) -> str:
    canonical = json.dumps(filters, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def _encode_cursor(offset: int, digest: str) -> str:
    raw = json.dumps({"o": offset, "f": digest}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, digest: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json_parse(base64.urlsafe_b64decode(padded.encode()))  # a client sends it: depth-limited
        offset = int(data["o"])
        same_filters = data["f"] == digest
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
        raise InvalidRequest("the cursor is not one this API handed out", field="cursor") from None
    if not same_filters:
        raise InvalidRequest("the cursor belongs to a search with other filters", field="cursor")
    if offset < 0:
        raise InvalidRequest("the cursor is not one this API handed out", field="cursor")
    return offset


def venue_list(
    *,
    query: str = "",
    city: str | None = None,
    area: str | None = None,
    category: str | None = None,
    tags: list[str] | tuple[str, ...] = (),
    price_level_max: int | None = None,
    party_size: int | None = None,
    open_at: datetime | None = None,
    limit: int = PAGE_DEFAULT,
    cursor: str | None = None,
) -> VenuePage:
    """Guest-visible venues matching the filters, best first, one page at a time.

    The cursor is opaque: an offset bound to the filters it was made for, so a cursor
    can't be replayed against another search. ``open_at`` is checked per venue in its own
    timezone on the page's candidates.
    """
    if not 1 <= int(limit) <= PAGE_MAX:
        raise InvalidRequest(f"limit must be between 1 and {PAGE_MAX}", field="limit")
    if price_level_max is not None and not 1 <= price_level_max <= 4:
        raise InvalidRequest("price_level_max must be between 1 and 4", field="price_level_max")
    if party_size is not None and not 1 <= party_size <= 200:
        raise InvalidRequest("party_size must be between 1 and 200", field="party_size")
    filters = {
        "query": query or "",
        "city": city or None,
        "area": area or None,
        "category": category or None,
        "tags": sorted(t for t in tags if t),
        "price_level_max": price_level_max,
        "party_size": party_size,
        "open_at": open_at.isoformat() if open_at else None,
    }
    digest = _filters_digest(filters)
    offset = _decode_cursor(cursor, digest) if cursor else 0
    from venues.selectors import VenueSearchError

    search = {
        "query": query,
        "city": city,
        "area": area,
        "category": category,
        "tags": tuple(tags or ()),
        "price_level_max": price_level_max,
        "party_size": party_size,
    }
    try:
        if open_at is None:
            # a page needs the summary's columns as plain rows, not Venue instances
            batch = venue_search_rows(fields=VENUE_ROW_FIELDS, offset=offset, limit=limit + 1, **search)
            rows, more = batch[:limit], len(batch) > limit
            return VenuePage(
                items=[venue_summary_row(row) for row in rows],
                next_cursor=_encode_cursor(offset + len(rows), digest) if more else None,
                filters=filters,
            )
        qs = venue_search_queryset(**search)
    except VenueSearchError as exc:  # the only filter it refuses is an unknown category
        raise InvalidRequest(str(exc), field="category") from None
    position = offset
    # a page needs the summary's columns, not descriptions, knowledge text or menus
    qs = qs.only(*VENUE_SUMMARY_COLUMNS)
    items: list[Venue] = []
    # open_at needs each venue's timezone: walk candidates until the page is full
    more = False
    while len(items) < limit:
        batch = list(qs[position : position + 100])
        if not batch:
            break
        for venue in batch:
            position += 1
            if venue_is_open_at(venue, open_at):
                items.append(venue)
                if len(items) == limit:
                    break
    more = len(items) == limit and qs[position : position + 1].exists()
    return VenuePage(
        items=[venue_summary(v) for v in items],
        next_cursor=_encode_cursor(position, digest) if more else None,
        filters=filters,
    )


# --- times ------------------------------------------------------------------------------------

# What every transport accepts for a start time given as date + time (MCP create_booking,
# the A2A booking.request DataPart): 24-hour HH:MM or HH:MM:SS, optionally with an offset.
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
TIME_DESCRIPTION = (
    "Start time, 24-hour HH:MM or HH:MM:SS. Without an offset it is venue-local time; with one "
    "(Z, +08:00, -05:00) it is converted to the venue's time: 12:00:00Z is 20:00 in Bali (UTC+8)."
)
SLOT_START_DESCRIPTION = (
    "ISO 8601 date-time. Without an offset it is read in the venue's timezone (2026-12-24T19:00); "
    "with one (2026-12-24T11:00:00Z, +08:00) it is converted to the venue's time."
)
_TIME_RE = re.compile(TIME_PATTERN)


def slot_start_at(*, venue: Venue, day: date, at: str | time) -> datetime:
    """The start instant of a booking asked for as ``day`` + ``at``, in the venue's timezone.

    A bare time is venue-local; a time with an offset names an instant, converted to
    venue time (the venue-local date may then differ from ``day``, e.g. 20:00Z on the 24th
    is 04:00 on the 25th in Bali).
    """
    if isinstance(at, str):
        raw = at.strip()
        if not _TIME_RE.match(raw):
            raise InvalidRequest(
                "time must be HH:MM or HH:MM:SS (24-hour), optionally with an offset such as Z or +08:00",
                field="time",
            )
        at = time.fromisoformat(raw)
    tz = venue_timezone(venue)
    if at.tzinfo is None:
        return datetime.combine(day, at, tzinfo=tz)
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=at.tzinfo).astimezone(tz)


def slot_start_in_venue_time(*, venue: Venue, start: datetime) -> datetime:
    """An ISO date-time as the venue's local time: a bare one is venue-local, an offset is converted."""
    tz = venue_timezone(venue)
    return start.replace(tzinfo=tz) if start.tzinfo is None else start.astimezone(tz)


# --- availability -----------------------------------------------------------------------------


def availability(*, venue: Venue, day: date, party_size: int, now: datetime | None = None) -> dict[str, Any]:
    """Free slot starts on ``day`` (venue-local) for ``party_size``, or why there are none."""
    from bookings.availability import describe, free_slots

    if not 1 <= party_size <= 200:
        raise InvalidRequest("party_size must be between 1 and 200", field="party_size")
    result = free_slots(venue=venue, day=day, party_size=party_size, now=now)
    return {
        "venue": venue.slug,
        "date": day.isoformat(),
        "party_size": party_size,
        "timezone": str(venue_timezone(venue)),
        "slots": [slot.isoformat() for slot in result.slots],
        "available": bool(result.slots),
        "reason": result.reason or None,
        "reason_text": describe(result.reason, venue) if result.reason else None,
    }


# --- bookings ---------------------------------------------------------------------------------


def booking_public(booking: VenueBooking) -> dict[str, Any]:
    """The shape of a booking for external agents (no internal ids, no venue notes)."""
    tz = venue_timezone(booking.venue)
    return {
        "reference": booking.external_ref,
        "status": booking.status,
        "venue": booking.venue.slug,
        "venue_name": booking.venue.name,
        "slot_start": booking.slot_start.astimezone(tz).isoformat(),
        "slot_end": booking.slot_end.astimezone(tz).isoformat(),
        "party_size": booking.party_size,
        "children": booking.children,
        "contact_name": booking.contact_name,
        "special_requests": booking.special_requests,
        "status_reason": booking.status_reason or None,
        "counter_offer_slots": list(booking.counter_offer_slots or []),
        "deposit": (
            {"amount": _money(booking.deposit_amount), "currency": booking.currency} if booking.deposit_amount else None
        ),
        "created_at": booking.created_at.isoformat(),
        "confirmed_at": booking.confirmed_at.isoformat() if booking.confirmed_at else None,
        "cancelled_at": booking.cancelled_at.isoformat() if booking.cancelled_at else None,
    }


def _same_request(booking: VenueBooking, *, venue: Venue, slot_start: datetime, party_size: int) -> bool:
    return booking.venue_id == venue.pk and booking.slot_start == slot_start and booking.party_size == party_size


def tier_check(*, api_key: ApiKey, intent: str) -> None:
    """Refuse an intent the key's tier does not include (TierRequired)."""
    allowed = TIER_INTENTS.get(intent)
    if allowed is not None and api_key.tier not in allowed:
        tiers = " and ".join(sorted(allowed))
        raise TierRequired(f"{intent} needs the {tiers} tier; this key is {api_key.tier}", extra={"intent": intent})


def usage_meter(*, api_key: ApiKey, intent: str, request_id: str, booking: VenueBooking | None = None) -> None:
    """Meter a paid call for keys on a metered tier (once per ``request_id``)."""
    from billing.services.commerce import USAGE_PRICES_CENTS, api_usage_record

    if api_key.tier not in METERED_TIERS or intent not in USAGE_PRICES_CENTS or not request_id:
        return
    api_usage_record(api_key=api_key, intent=intent, request_id=request_id[:64], booking=booking)


@dataclass
class BookingResult:
    booking: VenueBooking
    created: bool


def booking_create_for_key(
    *,
    api_key: ApiKey,
    venue: Venue,
    slot_start: datetime,
    party_size: int,
    children: int = 0,
    contact_name: str = "",
    contact_phone: str = "",
    special_requests: str = "",
    idempotency_key: str | None = None,
    source: str = BookingSource.API,
    intent: str = "booking.create",
    request_id: str = "",
    now: datetime | None = None,
) -> BookingResult:
    """Request a table for an external agent; the venue's agent decides.

    With an ``idempotency_key``, a retry returns the booking the first call created
    (``created=False``) and changes nothing; the same key with a different venue, time or
    party size is an IdempotencyConflict. The slot is pre-checked so an impossible request
    fails at once with alternatives instead of a round trip to the venue.
    """
    from agents.booking.commands import booking_request
    from bookings.availability import describe, nearest_free_slots, slot_is_free
    from bookings.decision import request_refusal
    from bookings.services import BookingError

    tier_check(api_key=api_key, intent=intent)
    slot_start = slot_start_in_venue_time(venue=venue, start=slot_start)
    if not 1 <= party_size <= 200:
        raise InvalidRequest("party_size must be between 1 and 200", field="party_size")
    if not 0 <= children <= party_size:
        raise InvalidRequest("children must be between 0 and party_size", field="children")
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()
        if not 1 <= len(idempotency_key) <= 128:
            raise InvalidRequest("Idempotency-Key must be 1–128 characters", field="Idempotency-Key")
        existing = (
            VenueBooking.objects.select_related("venue", "venue__city")
            .filter(api_key=api_key, idempotency_key=idempotency_key)
            .first()
        )
        if existing is not None:
            if not _same_request(existing, venue=venue, slot_start=slot_start, party_size=party_size):
                raise IdempotencyConflict(
                    f"Idempotency-Key {idempotency_key!r} was used for booking {existing.external_ref} "
                    "with another venue, time or party size",
                    field="Idempotency-Key",
                )
            return BookingResult(existing, created=False)

    when = slot_start.astimezone(venue_timezone(venue))
    refusal = request_refusal(
        venue=venue, party_size=party_size, children=children, slot_start=slot_start, now=now or timezone.now()
    )
    if refusal:
        raise SlotUnavailable(
            f"{venue.name} cannot take this booking: {describe(refusal, venue, at=when)}",
            extra={"reason": refusal, "alternatives": []},
        )
    free = slot_is_free(venue=venue, start=slot_start, party_size=party_size, now=now)
    if not free.slots:
        alternatives = nearest_free_slots(venue=venue, start=slot_start, party_size=party_size, now=now)
        raise SlotUnavailable(
            f"{venue.name} cannot take {party_size} at {when:%Y-%m-%d %H:%M}: {describe(free.reason, venue, at=when)}",
            extra={"reason": free.reason, "alternatives": [slot.isoformat() for slot in alternatives]},
        )

    def meter(booking: VenueBooking) -> None:
        ApiKey.objects.filter(pk=api_key.pk).update(bookings_total=F("bookings_total") + 1)
        usage_meter(api_key=api_key, intent=intent, request_id=request_id or f"booking:{booking.pk}", booking=booking)

    try:
        booking = booking_request(
            venue=venue,
            user=None,
            api_key=api_key,
            idempotency_key=idempotency_key or None,
            party_size=party_size,
            children=children,
            slot_start=slot_start,
            source=source,
            contact_name=(contact_name or api_key.name)[:120],
            contact_phone=(contact_phone or "")[:32],
            special_requests=special_requests or "",
            actor_kind="api",
            within=meter,
        )
    except IntegrityError:
        # two concurrent retries with one key: the loser returns the winner's booking
        if idempotency_key:
            existing = VenueBooking.objects.filter(api_key=api_key, idempotency_key=idempotency_key).first()
            if existing is not None:
                return BookingResult(existing, created=False)
        raise
    except BookingError as exc:
        raise SlotUnavailable(str(exc)) from None
    booking.refresh_from_db()
    return BookingResult(booking, created=True)


def booking_get_for_key(*, api_key: ApiKey, reference: str) -> VenueBooking:
    """One of the key's own bookings by its reference (NotFound for anyone else's)."""
    ref = (reference or "").strip().upper()
    booking = (
        VenueBooking.objects.select_related("venue", "venue__city").filter(api_key=api_key, external_ref=ref).first()
    )
    if booking is None:
        raise NotFound(f"no booking {ref!r} for this API key", field="reference")
    return booking


def booking_list_for_key(*, api_key: ApiKey, limit: int = PAGE_DEFAULT, cursor: str | None = None) -> BookingPage:
    """The key's own bookings, newest first, one keyset page at a time (stable while new ones arrive)."""
    if not 1 <= int(limit) <= PAGE_MAX:
        raise InvalidRequest(f"limit must be between 1 and {PAGE_MAX}", field="limit")
    qs = VenueBooking.objects.select_related("venue", "venue__city").filter(api_key=api_key)
    if cursor:
        created_at, pk = _decode_booking_cursor(cursor)
        qs = qs.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk))
    batch = list(qs.order_by("-created_at", "-pk")[: limit + 1])
    items, more = batch[:limit], len(batch) > limit
    next_cursor = _encode_booking_cursor(items[-1]) if more else None
    return BookingPage(items=[booking_public(b) for b in items], next_cursor=next_cursor)


@dataclass
class BookingPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


def _encode_booking_cursor(booking: VenueBooking) -> str:
    raw = json.dumps({"c": booking.created_at.isoformat(), "i": str(booking.pk)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_booking_cursor(cursor: str) -> tuple[datetime, str]:
    import uuid

    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json_parse(base64.urlsafe_b64decode(padded.encode()))  # a client sends it: depth-limited
        created_at = datetime.fromisoformat(data["c"])
        pk = str(uuid.UUID(data["i"]))
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
        raise InvalidRequest("the cursor is not one this API handed out", field="cursor") from None
    if created_at.tzinfo is None:
        raise InvalidRequest("the cursor is not one this API handed out", field="cursor")
    return created_at, pk


def booking_cancel_for_key(*, api_key: ApiKey, reference: str, reason: str = "") -> VenueBooking:
    """Cancel one of the key's bookings and tell the venue's agent; cancelling twice is a no-op."""
    from agents.booking.commands import booking_guest_cancel
    from bookings.services import BookingError

    booking = booking_get_for_key(api_key=api_key, reference=reference)
    if booking.status == BookingStatus.CANCELLED:
        return booking
    reason = (reason or "cancelled by the API client")[:300]
    try:
        booking = booking_guest_cancel(booking=booking, api_key=api_key, actor_kind="api", reason=reason)
    except BookingError as exc:
        raise BookingNotCancellable(
            f"booking {booking.external_ref} is {booking.status} and cannot be cancelled",
            extra={"status": booking.status},
        ) from exc
    return booking


def booking_accept_counter_for_key(
    *, api_key: ApiKey, reference: str, slot_start: datetime | None = None, now: datetime | None = None
) -> VenueBooking:
    """Take one of the venue's counter-offered times for one of the key's bookings (the
    first offered when ``slot_start`` is None): confirmed there if the venue still has it.
    Accepting twice is a no-op."""
    from agents.booking.commands import booking_guest_accept_counter
    from bookings.services import BookingError

    booking = booking_get_for_key(api_key=api_key, reference=reference)
    if booking.status == BookingStatus.CONFIRMED and (slot_start is None or booking.slot_start == slot_start):
        return booking
    if booking.status != BookingStatus.COUNTER_OFFERED:
        raise SlotUnavailable(
            f"booking {booking.external_ref} is {booking.status}, not counter-offered", extra={"status": booking.status}
        )
    offered = list(booking.counter_offer_slots or [])
    if slot_start is None:
        if not offered:
            raise SlotUnavailable(f"booking {booking.external_ref} has no offered times")
        slot_start = datetime.fromisoformat(str(offered[0]))
    try:
        return booking_guest_accept_counter(
            booking=booking, slot_start=slot_start, api_key=api_key, actor_kind="api", now=now
        )
    except BookingError as exc:
        raise SlotUnavailable(str(exc), field="slot", extra={"counter_offer_slots": offered}) from exc


# --- knowledge --------------------------------------------------------------------------------


def ask_venue(*, question: str, venue: Venue | None = None, city: str | None = None, limit: int = 4) -> dict[str, Any]:
    """Passages from venue knowledge that answer ``question``, each with its citation."""
    from knowledge.selectors import venue_knowledge_passages
    from venues.models import City

    question = (question or "").strip()
    if not question:
        raise InvalidRequest("question is required", field="question")
    if len(question) > 1000:
        raise InvalidRequest("question must be at most 1000 characters", field="question")
    city_obj = None
    if city and venue is None:
        city_obj = City.objects.filter(Q(slug__iexact=city) | Q(name__iexact=city)).first()
        if city_obj is None:
            raise NotFound(f"no city {city!r}", field="city")
    passages = [
        {"venue": p["venue_slug"], "venue_name": p["venue_name"], "text": p["text"], "citation": p["citation"]}
        for p in venue_knowledge_passages(
            question=question,
            venue=venue,
            city=city_obj,
            limit=max(1, min(limit, 10)),
            text_chars=1200,
        )
    ]
    return {"question": question, "found": bool(passages), "passages": passages}


# --- webhook subscriptions (scoped to the calling key) ---------------------------------------

WEBHOOKS_PER_KEY_MAX = 20


def webhook_public(subscription) -> dict[str, Any]:
    """A subscription as its owner sees it (never the secret, which is shown once at creation)."""
    return {
        "id": str(subscription.pk),
        "url": subscription.url,
        "events": list(subscription.events or []),
        "description": subscription.description,
        "is_active": subscription.is_active,
        "consecutive_failures": subscription.consecutive_failures,
        "last_success_at": subscription.last_success_at,
        "last_failure_at": subscription.last_failure_at,
        "disabled_reason": subscription.disabled_reason,
        "created_at": subscription.created_at,
    }


def webhook_list_for_key(*, api_key: ApiKey) -> list:
    from agents.models import WebhookSubscription

    # A2A push configs deliver through subscriptions of their own, listed on their task
    return list(
        WebhookSubscription.objects.filter(api_key=api_key, a2a_push_config__isnull=True).order_by("created_at")
    )


def webhook_get_for_key(*, api_key: ApiKey, webhook_id: str):
    """One of the key's own subscriptions (NotFound for an unknown id or anyone else's)."""
    from agents.models import WebhookSubscription

    subscription = None
    if _is_uuid(webhook_id or ""):
        subscription = WebhookSubscription.objects.filter(
            api_key=api_key, pk=webhook_id, a2a_push_config__isnull=True
        ).first()
    if subscription is None:
        raise NotFound(f"no webhook subscription {webhook_id!r} for this API key", field="webhook_id")
    return subscription


def webhook_create_for_key(*, api_key: ApiKey, url: str, events: list[str], description: str = ""):
    """Subscribe ``url`` to events of the key's bookings; returns (subscription, secret shown once)."""
    from agents import services
    from agents.models import WebhookSubscription

    if (
        WebhookSubscription.objects.filter(api_key=api_key, a2a_push_config__isnull=True).count()
        >= WEBHOOKS_PER_KEY_MAX
    ):
        raise InvalidRequest(f"a key can have at most {WEBHOOKS_PER_KEY_MAX} webhook subscriptions; delete one first")
    try:
        return services.webhook_subscription_create(api_key=api_key, url=url, events=events, description=description)
    except services.WebhookUrlRejected as exc:
        raise InvalidRequest(str(exc), field="url") from None
    except ValueError as exc:
        raise InvalidRequest(str(exc), field=getattr(exc, "field", None) or "events") from None


def webhook_update_for_key(*, api_key: ApiKey, webhook_id: str, **changes):
    from agents import services

    subscription = webhook_get_for_key(api_key=api_key, webhook_id=webhook_id)
    try:
        return services.webhook_subscription_update(subscription=subscription, **changes)
    except services.WebhookUrlRejected as exc:
        raise InvalidRequest(str(exc), field="url") from None
    except ValueError as exc:
        raise InvalidRequest(str(exc), field=getattr(exc, "field", None)) from None


def webhook_delete_for_key(*, api_key: ApiKey, webhook_id: str) -> None:
    from agents import services

    services.webhook_subscription_delete(subscription=webhook_get_for_key(api_key=api_key, webhook_id=webhook_id))


def webhook_test_for_key(*, api_key: ApiKey, webhook_id: str):
    from agents import services

    subscription = webhook_get_for_key(api_key=api_key, webhook_id=webhook_id)
    if not subscription.is_active:
        raise WebhookDisabled(
            f"subscription {subscription.pk} is disabled ({subscription.disabled_reason or 'no reason'}); "
            "PATCH is_active=true first",
            field="webhook_id",
        )
    return services.webhook_test_send(subscription=subscription)


class WebhookDisabled(NetworkError):
    code, status, title = "webhook_disabled", 409, "The webhook subscription is disabled"


# --- rate-limit and usage bookkeeping shared by the transports -------------------------------


LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_touch(*, api_key: ApiKey, now: datetime | None = None) -> None:
    """Keep ``last_used_at`` current to the minute without a write on every request."""
    now = now or timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    api_key.last_used_at = now


def tier_rate_limit(api_key: ApiKey) -> int:
    """Requests per minute for ``api_key``: its own override, else its tier's default."""
    if api_key.rate_limit_per_minute:
        return api_key.rate_limit_per_minute
    return int(settings.API_RATE_LIMITS_PER_MINUTE.get(api_key.tier, 60))
