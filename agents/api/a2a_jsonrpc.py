"""The platform agent's A2A JSON-RPC endpoint (a2a-sdk 1.3.0, protocol 1.0): POST /a2a/jsonrpc.

An external A2A agent fetches /.well-known/agent-card.json, finds the JSONRPC interface,
and sends ``SendMessage`` with either

- a structured DataPart ``{"skill": "venue.search" | "booking.request" | "booking.status"
  | "booking.cancel", ...}`` (fields below), or
- plain text: "beach clubs in Canggu" searches; "book La Brisa for 2 tomorrow at 19:00"
  requests a booking, read with the offline concierge's own parsers.

The answer is one Message (the SDK's "immediate response" flow) carrying the result as a
DataPart ``{"skill", "result"}`` (or ``{"skill", "error": {code, message, field, extra}}``)
plus a one-line text summary. Nothing is kept between requests, so any worker answers
any request. Everything runs through agents.platform.external with the request's API key (checked
by agents.api.asgi_auth in front of the SDK's Starlette route).

DataPart fields:
    venue.search     query, city, area, category, tags, price_level_max, party_size, limit, cursor
    booking.request  venue, date (YYYY-MM-DD), time (HH:MM) or slot_start (ISO 8601), party_size,
                     idempotency_key, contact_name, contact_phone, special_requests
    booking.status   reference
    booking.cancel   reference, reason
"""

from __future__ import annotations

import asyncio
import re
import time as monotonic_time
import weakref
from datetime import date, datetime, time
from typing import Any

from a2a.helpers import get_data_parts, get_text_parts, new_data_part, new_message, new_text_part
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.context import ServerCallContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import DefaultServerCallContextBuilder, create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore
from a2a.utils.errors import UnsupportedOperationError
from starlette.applications import Starlette
from starlette.requests import Request

from agents.api.asgi_auth import ApiKeyAuthMiddleware, run_orm, scope_api_key
from agents.models import ApiKey
from agents.platform import external as network
from bookings.models import BookingSource

JSONRPC_PATH = "/a2a/jsonrpc"
SKILLS = ("venue.search", "booking.request", "booking.status", "booking.cancel")
# How long a booking.request waits for the venue agent's decision before answering with
# the booking as it stands ("requested"; booking.status tells the rest).
DECISION_WAIT_SECONDS = 3.0
SEARCH_DEFAULT_LIMIT = 10
_BOOKING_WORDS = re.compile(r"\b(book|booking|reserve|reservation|table for)\b")


class SkillError(Exception):
    """A message the agent cannot act on (unknown skill, missing field); ``code`` as in NetworkError."""

    def __init__(self, detail: str, *, field: str | None = None, code: str = "invalid_request"):
        super().__init__(detail)
        self.detail, self.field, self.code = detail, field, code


# --- reading the request ---------------------------------------------------------------------


def _as_int(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    # DataPart numbers arrive as doubles (protobuf Value): 2.0 is 2, 2.5 is a mistake
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise SkillError(f"{field} must be a whole number", field=field)


def _as_str(value: Any, field: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise SkillError(f"{field} is required", field=field)
        return None
    if not isinstance(value, str):
        raise SkillError(f"{field} must be a string", field=field)
    return value.strip()


def read_request(parts) -> tuple[str, dict[str, Any]]:
    """(skill, arguments) from a message's parts: the first DataPart naming a skill wins,
    otherwise the text is read as a search or a booking request."""
    for data in get_data_parts(parts):
        if isinstance(data, dict) and data.get("skill"):
            skill = str(data["skill"])
            if skill not in SKILLS:
                raise SkillError(
                    f"unknown skill {skill!r}; this agent does {', '.join(SKILLS)}",
                    field="skill",
                    code="unsupported_skill",
                )
            return skill, {k: v for k, v in data.items() if k != "skill"}
    text = " ".join(get_text_parts(parts)).strip()
    if not text:
        raise SkillError('send text ("beach clubs in Canggu") or a DataPart {"skill": "venue.search", …}')
    if len(text) > 1000:
        raise SkillError("the message text must be at most 1000 characters", field="text")
    return ("booking.request" if _BOOKING_WORDS.search(text.lower()) else "venue.search"), {"text": text}


def _search_filters_from_text(text: str) -> dict[str, Any]:
    from venues.textparse import find_category, find_place, find_price_cap, normalize, places, query_words

    rest = normalize(text)
    place, rest = find_place(rest, places())
    category, rest = find_category(rest)
    price_cap, rest = find_price_cap(rest)
    filters: dict[str, Any] = {"query": query_words(rest), "category": category, "price_level_max": price_cap}
    if place is not None:
        filters["city" if place.kind == "city" else "area"] = place.name
    return filters


def _booking_from_text(text: str) -> dict[str, Any]:
    from django.utils import timezone

    from venues.textparse import find_venue, normalize, parse_party_size, parse_when, venue_aliases

    norm = normalize(text)
    ref, rest = find_venue(norm, venue_aliases())
    if ref is None:
        raise SkillError(
            "which venue? name it as listed by venue.search, or send a booking.request DataPart", field="venue"
        )
    bali_now = timezone.now().astimezone(network.venue_timezone(network.venue_get(ref=ref.slug)))
    when, _ = parse_when(rest, bali_now, prefer_evening=True)
    party_size = parse_party_size(rest)
    if when.moment is not None:
        day, at = when.moment.date(), when.moment.time().replace(second=0, microsecond=0)
    else:
        day, at = when.day, when.at
    missing = [name for name, value in (("date", day), ("time", at), ("party_size", party_size)) if value is None]
    if missing:
        raise SkillError(f"to book {ref.name} I also need: {', '.join(missing)}", field=missing[0])
    return {"venue": ref.slug, "date": day.isoformat(), "time": at.strftime("%H:%M"), "party_size": party_size}


# --- the skills (sync: ORM) -------------------------------------------------------------------


def _search(args: dict[str, Any]) -> dict[str, Any]:
    from venues.selectors import VenueSearchError

    filters = (
        _search_filters_from_text(args["text"])
        if "text" in args
        else {
            "query": _as_str(args.get("query"), "query") or "",
            "city": _as_str(args.get("city"), "city"),
            "area": _as_str(args.get("area"), "area"),
            "category": _as_str(args.get("category"), "category"),
            "tags": [str(t) for t in args.get("tags") or []],
            "price_level_max": _as_int(args.get("price_level_max"), "price_level_max"),
            "party_size": _as_int(args.get("party_size"), "party_size"),
            "cursor": _as_str(args.get("cursor"), "cursor"),
        }
    )
    limit = _as_int(args.get("limit"), "limit") or SEARCH_DEFAULT_LIMIT
    try:
        page = network.venue_list(**filters, limit=limit)
    except VenueSearchError as exc:
        raise SkillError(str(exc), field="category") from None
    return {
        "venues": page.items,
        "count": len(page.items),
        "next_cursor": page.next_cursor,
        "filters": {k: v for k, v in page.filters.items() if v},
    }


def _slot_start(args: dict[str, Any], venue) -> datetime:
    if args.get("slot_start"):
        try:
            start = datetime.fromisoformat(str(args["slot_start"]))
        except ValueError:
            raise SkillError("slot_start must be an ISO 8601 date-time", field="slot_start") from None
        return start if start.tzinfo else start.replace(tzinfo=network.venue_timezone(venue))
    raw_day, raw_time = (
        _as_str(args.get("date"), "date", required=True),
        _as_str(args.get("time"), "time", required=True),
    )
    try:
        day = date.fromisoformat(raw_day)
    except ValueError:
        raise SkillError("date must be YYYY-MM-DD", field="date") from None
    try:
        at = time.fromisoformat(raw_time)
    except ValueError:
        raise SkillError("time must be HH:MM (24-hour)", field="time") from None
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=network.venue_timezone(venue))


def _book(args: dict[str, Any], api_key: ApiKey) -> dict[str, Any]:
    if "text" in args:
        args = _booking_from_text(args["text"])
    venue = network.venue_get(ref=_as_str(args.get("venue"), "venue", required=True))
    party_size = _as_int(args.get("party_size"), "party_size")
    if party_size is None:
        raise SkillError("party_size is required", field="party_size")
    result = network.booking_create_for_key(
        api_key=api_key,
        venue=venue,
        slot_start=_slot_start(args, venue),
        party_size=party_size,
        contact_name=_as_str(args.get("contact_name"), "contact_name") or "",
        contact_phone=_as_str(args.get("contact_phone"), "contact_phone") or "",
        special_requests=_as_str(args.get("special_requests"), "special_requests") or "",
        idempotency_key=_as_str(args.get("idempotency_key"), "idempotency_key"),
        source=BookingSource.A2A,
    )
    return {"booking": network.booking_public(result.booking), "created": result.created}


def _status(args: dict[str, Any], api_key: ApiKey) -> dict[str, Any]:
    reference = _as_str(args.get("reference"), "reference", required=True)
    return {"booking": network.booking_public(network.booking_get_for_key(api_key=api_key, reference=reference))}


def _cancel(args: dict[str, Any], api_key: ApiKey) -> dict[str, Any]:
    reference = _as_str(args.get("reference"), "reference", required=True)
    booking = network.booking_cancel_for_key(
        api_key=api_key, reference=reference, reason=_as_str(args.get("reason"), "reason") or ""
    )
    return {"booking": network.booking_public(booking)}


def _summary(skill: str, result: dict[str, Any]) -> str:
    if skill == "venue.search":
        names = ", ".join(f"{v['name']} ({v['slug']})" for v in result["venues"][:5])
        return f"{result['count']} venue(s): {names}" if result["count"] else "No venue matches that search."
    booking = result["booking"]
    text = (
        f"Booking {booking['reference']} at {booking['venue_name']} for {booking['party_size']} "
        f"on {booking['slot_start']}: {booking['status']}."
    )
    if booking["status"] == "requested":
        text += (
            ' The venue agent decides shortly; ask with {"skill": "booking.status", "reference": "'
            + booking["reference"]
            + '"}.'
        )
    elif booking.get("status_reason"):
        text += f" {booking['status_reason']}"
    return text


# --- the executor -----------------------------------------------------------------------------


class PlatformAgentExecutor(AgentExecutor):
    """Answers each message once, with the result of one agents.platform.external call."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        api_key: ApiKey | None = context.call_context.state.get("api_key") if context.call_context else None
        skill = "unknown"
        try:
            if api_key is None:
                raise SkillError("send your AGNT API key as 'Authorization: Bearer …'", code="unauthenticated")
            skill, args = read_request(context.message.parts if context.message else [])
            if skill == "venue.search":
                result = await run_orm(_search, args)
            elif skill == "booking.request":
                result = await run_orm(_book, args, api_key)
                result = await self._await_decision(result, api_key)
            elif skill == "booking.status":
                result = await run_orm(_status, args, api_key)
            else:
                result = await run_orm(_cancel, args, api_key)
            parts = [new_text_part(_summary(skill, result)), new_data_part({"skill": skill, "result": result})]
        except (SkillError, network.NetworkError) as exc:
            error = {
                "code": exc.code,
                "message": exc.detail,
                "field": exc.field,
                "extra": getattr(exc, "extra", None) or {},
            }
            parts = [new_text_part(f"{exc.code}: {exc.detail}"), new_data_part({"skill": skill, "error": error})]
        await event_queue.enqueue_event(new_message(parts, context_id=context.context_id))

    async def _await_decision(self, result: dict[str, Any], api_key: ApiKey) -> dict[str, Any]:
        deadline = monotonic_time.monotonic() + DECISION_WAIT_SECONDS
        while result["booking"]["status"] == "requested" and monotonic_time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            result = {**result, **await run_orm(_status, {"reference": result["booking"]["reference"]}, api_key)}
        return result

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        raise UnsupportedOperationError(message="answers are immediate; there is no running task to cancel")


class ApiKeyCallContextBuilder(DefaultServerCallContextBuilder):
    """The SDK's call context plus the request's ApiKey (set by ApiKeyAuthMiddleware)."""

    def build(self, request: Request) -> ServerCallContext:
        context = super().build(request)
        context.state["api_key"] = scope_api_key(request.scope)
        return context


def _build_starlette() -> Starlette:
    from agents.network.cards import build_platform_card, validate_card

    card = validate_card(build_platform_card())
    handler = DefaultRequestHandler(
        agent_executor=PlatformAgentExecutor(), task_store=InMemoryTaskStore(), agent_card=card
    )
    routes = create_jsonrpc_routes(handler, rpc_url=JSONRPC_PATH, context_builder=ApiKeyCallContextBuilder())
    return Starlette(routes=routes)


class PlatformAgentJsonRpc:
    """ASGI app for POST /a2a/jsonrpc. The SDK's handler needs the platform card, which is
    built from the database, so it is built on the first request of each event loop."""

    def __init__(self) -> None:
        self._apps: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Future] = weakref.WeakKeyDictionary()

    async def _app(self) -> Starlette:
        loop = asyncio.get_running_loop()
        ready = self._apps.get(loop)
        if ready is None:
            ready = loop.create_future()
            self._apps[loop] = ready
            try:
                ready.set_result(await run_orm(_build_starlette))
            except BaseException as exc:
                del self._apps[loop]  # the next request tries again
                ready.set_exception(exc)
                raise
        return await asyncio.shield(ready)

    async def __call__(self, scope, receive, send) -> None:
        app = await self._app()
        await app(scope, receive, send)


def build_asgi_app():
    from django.conf import settings

    # the SDK reads the whole body into memory: cap it like Django caps its own requests
    return ApiKeyAuthMiddleware(
        PlatformAgentJsonRpc(), realm="agnt-a2a", max_body_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    )
