"""The MCP server: the AGNT venue network as tools and resources for coding agents.

Built on the official ``mcp`` SDK (v2's MCPServer). Every tool is a thin call into
agents.platform.external — the same functions behind /a2a/v1 — run on Django's thread-sensitive
executor (the ORM is sync). A NetworkError comes back as a tool error result
(``isError: true`` with its code and message) for the model to read and act on, never as
a protocol error.

Transports (mounted in agnt/asgi.py, behind agents.api.asgi_auth's API-key check):

- ``/mcp``: Streamable HTTP, *stateless* with JSON responses. No session lives in a
  process, so any worker answers any request (uvicorn --workers N, several hosts).
- ``/mcp/sse`` + ``/mcp/messages/``: the legacy HTTP+SSE transport for older clients.
  It is stateful by design (a stream plus POSTs that name it); see docs/mcp.md.

Bookings are made for the API key of the request that called the tool.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from datetime import date
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, Completion, PromptReference, ResourceTemplateReference, ToolAnnotations
from mcp_types import Resource as MCPResource
from mcp_types import Tool as MCPTool
from pydantic import Field

from agents.api.asgi_auth import ApiKeyAuthMiddleware, run_orm, scope_api_key
from agents.models import ApiKey
from agents.platform import external as network
from bookings.models import BookingSource

INSTRUCTIONS = """\
AGNT is a booking network of venues in Bali (restaurants, beach clubs, spas, cafés) in
Canggu, Seminyak, Ubud, Uluwatu and Sanur. Each venue has its own booking agent that
decides requests against its diary.

How to book a table:
1. search_venues to find venues (free text like "sunset beach club", plus city / area /
   category / party_size filters). Use the venue's slug in the other tools.
2. get_venue for details and the booking policy (deposit, cancellation window, dress code,
   opening hours); ask_venue answers questions from the venue's own knowledge, with sources.
3. check_availability for the free start times on a date for a party size.
4. create_booking with venue, date, time and party_size. Pass an idempotency_key (any
   unique string) and reuse it if you retry, so a retry never books twice. The booking
   starts as "requested"; the venue's agent confirms or declines it shortly (usually
   within a second or two). Call get_booking with the returned reference to see the
   decision ("confirmed", "rejected" with alternatives, or "counter_offered").
5. cancel_booking with the reference if plans change.

Times without an offset are venue-local (Asia/Makassar, UTC+8); a time with an offset
(12:00:00Z) is converted to venue time (20:00). Venue policy cards are also resources:
agnt://venues/{slug}/policy.
"""

VenueRef = Annotated[str, Field(description="The venue's slug from search_venues (e.g. 'la-brisa'), or its id.")]
Reference = Annotated[str, Field(description="The booking reference returned by create_booking, e.g. 'AG-7K3Q9D'.")]
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)


def _tool_error(exc: network.NetworkError) -> ToolError:
    message = f"{exc.code}: {exc.detail}"
    if exc.field:
        message += f" (field: {exc.field})"
    if exc.extra:
        message += f" {json.dumps(exc.extra, default=str)}"
    return ToolError(message)


async def _call(fn, /, **kwargs: Any) -> Any:
    from venues.selectors import VenueSearchError

    try:
        return await run_orm(fn, **kwargs)
    except network.NetworkError as exc:
        raise _tool_error(exc) from None
    except VenueSearchError as exc:  # a filter that cannot mean anything, e.g. an unknown category
        raise ToolError(f"invalid_request: {exc} (field: category)") from None


def _api_key(ctx: Context) -> ApiKey:
    request = ctx.request_context.request
    api_key = scope_api_key(getattr(request, "scope", None))
    if api_key is None:  # only reachable when the app is mounted without its auth middleware
        raise ToolError("unauthenticated: send your AGNT API key as 'Authorization: Bearer …'")
    return api_key


# --- the domain calls each tool makes (sync: ORM) -----------------------------------------


def _search(**filters: Any) -> dict[str, Any]:
    page = network.venue_list(**filters)
    return {"venues": page.items, "count": len(page.items), "next_cursor": page.next_cursor}


def _venue(*, venue: str) -> dict[str, Any]:
    return network.venue_detail(network.venue_get(ref=venue))


def _availability(*, venue: str, day: date, party_size: int) -> dict[str, Any]:
    return network.availability(venue=network.venue_get(ref=venue), day=day, party_size=party_size)


def _book(
    *,
    api_key: ApiKey,
    venue: str,
    day: date,
    at: str,
    party_size: int,
    contact_name: str,
    contact_phone: str,
    special_requests: str,
    idempotency_key: str | None,
    children: int = 0,
) -> dict[str, Any]:
    place = network.venue_get(ref=venue)
    slot_start = network.slot_start_at(venue=place, day=day, at=at)
    result = network.booking_create_for_key(
        api_key=api_key,
        venue=place,
        slot_start=slot_start,
        party_size=party_size,
        children=children,
        contact_name=contact_name,
        contact_phone=contact_phone,
        special_requests=special_requests,
        idempotency_key=idempotency_key,
        source=BookingSource.MCP,
    )
    booking = network.booking_public(result.booking)
    return {
        "booking": booking,
        "created": result.created,
        "next_step": (
            f"Booking {booking['reference']} is {booking['status']}. "
            + (
                "The venue's agent decides shortly (usually within a second or two); "
                f"call get_booking with reference {booking['reference']} to see whether it is confirmed."
                if booking["status"] == "requested"
                else ""
            )
        ).strip(),
    }


def _booking(*, api_key: ApiKey, reference: str) -> dict[str, Any]:
    return network.booking_public(network.booking_get_for_key(api_key=api_key, reference=reference))


def _cancel(*, api_key: ApiKey, reference: str, reason: str) -> dict[str, Any]:
    return network.booking_public(network.booking_cancel_for_key(api_key=api_key, reference=reference, reason=reason))


def _ask(*, question: str, venue: str | None, city: str | None) -> dict[str, Any]:
    place = network.venue_get(ref=venue) if venue else None
    return network.ask_venue(question=question, venue=place, city=city)


def _policy(*, slug: str) -> dict[str, Any]:
    return network.venue_policy_card(network.venue_get(ref=slug))


def _venue_index(limit: int = network.PAGE_MAX) -> list[dict[str, Any]]:
    page = network.venue_list(limit=limit)
    return [
        {
            "slug": v["slug"],
            "name": v["name"],
            "city": v["city"],
            "category": v["category"],
            "policy": f"agnt://venues/{v['slug']}/policy",
        }
        for v in page.items
    ]


# --- the server ---------------------------------------------------------------------------


class AgntMCPServer(MCPServer):
    """MCPServer whose resource list also names each venue's policy card (not only the template),
    and whose tool list adds the hosted agents the request's key may run (agent_<friendly_name>)."""

    async def _handle_list_tools(self, ctx, params):
        from mcp_types import ListToolsResult

        tools = await self.list_tools()
        api_key = scope_api_key(getattr(getattr(ctx, "request", None), "scope", None))
        if api_key is not None:
            from agents.hosted.publish import mcp_tools_for

            tools += [MCPTool(**tool) for tool in await run_orm(mcp_tools_for, owner_id=api_key.owner_id)]
        return ListToolsResult(tools=tools)

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context | None = None):
        from agents.hosted.publish import MCP_TOOL_PREFIX

        if not name.startswith(MCP_TOOL_PREFIX) or context is None:
            return await super().call_tool(name, arguments, context)
        return await _hosted_tool(name.removeprefix(MCP_TOOL_PREFIX), arguments, _api_key(context))

    async def list_resources(self) -> list[MCPResource]:
        listed = await super().list_resources()
        venues = await run_orm(_venue_index)
        listed += [
            MCPResource(
                uri=venue["policy"],
                name=f"{venue['slug']}-policy",
                title=f"{venue['name']} — booking policy",
                description=f"Booking rules of {venue['name']} ({venue['category']}, {venue['city']}).",
                mime_type="application/json",
            )
            for venue in venues
        ]
        return listed

    async def get_prompt(self, name: str, arguments: dict[str, Any] | None = None, context=None):
        # an unknown prompt or a bad argument is the caller's mistake: -32602, not a bare error
        if self._prompt_manager.get_prompt(name) is None:
            raise MCPError(INVALID_PARAMS, f"unknown prompt {name!r}; prompts/list names them")
        try:
            return await super().get_prompt(name, arguments, context)
        except ValueError as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from None


# --- prompts and completion ---------------------------------------------------------------------


def _prompt_day(value: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise ValueError(f"date must be YYYY-MM-DD, not {value!r}") from None


def _prompt_city(city: str) -> str:
    from venues.selectors import city_slugs_starting

    found = city_slugs_starting(prefix=city, limit=2)
    if city.strip().lower() in found or len(found) == 1:
        return city.strip().lower() if city.strip().lower() in found else found[0]
    raise ValueError(f"no city {city!r}; cities: {', '.join(city_slugs_starting(prefix='')) or 'none yet'}")


def _prompt_venue(venue: str) -> dict[str, Any]:
    try:
        return network.venue_detail(network.venue_get(ref=venue))
    except network.NotFound:
        raise ValueError(f"no venue {venue!r}; search_venues finds venues and their slugs") from None


def _completion_values(ref, argument, context) -> list[str]:
    from venues.selectors import city_slugs_starting, venue_slugs_starting

    known = dict(getattr(context, "arguments", None) or {})
    if argument.name == "city":
        return city_slugs_starting(prefix=argument.value)
    if argument.name in ("venue", "slug"):
        return venue_slugs_starting(prefix=argument.value, city=known.get("city"))
    return []


# --- log notifications and logging/setLevel ---------------------------------------------------------

LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
# /mcp is stateless (no session to hold a level), so the level a client sets is kept for its
# API key, in Redis, and applies to that key's later requests until it is set again.
LOG_LEVEL_TTL_SECONDS = 24 * 3600


def _log_level_key(api_key_id) -> str:
    return f"agnt:mcp:log-level:{api_key_id}"


def _log_level_store(api_key_id, level: str) -> None:
    from agents.platform.api_auth import _client

    _client().set(_log_level_key(api_key_id), level, ex=LOG_LEVEL_TTL_SECONDS)


def _log_level_read(api_key_id) -> str:
    from agents.platform.api_auth import _client

    try:
        stored = _client().get(_log_level_key(api_key_id))
    except Exception:  # noqa: BLE001 - without Redis the client gets every notice, as before setLevel
        return LOG_LEVELS[0]
    level = stored.decode() if isinstance(stored, bytes) else stored
    return level if level in LOG_LEVELS else LOG_LEVELS[0]


async def _set_logging_level(ctx, params):
    """logging/setLevel: notices below ``params.level`` are no longer sent to this API key."""
    from mcp_types import EmptyResult

    api_key = scope_api_key(getattr(getattr(ctx, "request", None), "scope", None))
    if api_key is None:
        raise MCPError(INVALID_PARAMS, "send your AGNT API key as 'Authorization: Bearer …'")
    await run_orm(_log_level_store, api_key.pk, params.level)
    return EmptyResult()


async def _client_log(ctx: Context, api_key: ApiKey):
    """A function sending a log notification to the client, at or above the level it asked for."""
    threshold = LOG_LEVELS.index(await run_orm(_log_level_read, api_key.pk))

    async def log(level: str, text: str) -> None:
        if LOG_LEVELS.index(level) >= threshold:
            await ctx.log(level, text)

    return log


DECISION_WAIT_SECONDS = 3.0
DECISION_POLL_SECONDS = 0.25


async def _await_decision(ctx: Context, api_key: ApiKey, reference: str) -> dict[str, Any]:
    """Follow a requested booking for a few seconds, telling the client as it goes (log
    notifications); returns the booking as it stands (still "requested" if undecided)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DECISION_WAIT_SECONDS
    booking = await run_orm(_booking, api_key=api_key, reference=reference)
    while booking["status"] == "requested" and loop.time() < deadline:
        await asyncio.sleep(DECISION_POLL_SECONDS)
        booking = await run_orm(_booking, api_key=api_key, reference=reference)
    return booking


def _decision_line(booking: dict[str, Any]) -> str:
    ref, status = booking["reference"], booking["status"]
    reason = f" ({booking['status_reason']})" if booking.get("status_reason") else ""
    if status == "requested":
        return f"Booking {ref}: the venue's agent has not decided yet; call get_booking with {ref} in a moment."
    if status == "counter_offered":
        return f"Booking {ref}: the venue offers other times: {', '.join(booking.get('counter_offer_slots') or [])}."
    if status == "pending_owner":
        return f"Booking {ref}: the venue's owner decides this one{reason}."
    return f"Booking {ref} is {status}{reason}."


async def _hosted_tool(friendly_name: str, arguments: dict[str, Any], api_key: ApiKey):
    """A hosted agent as an MCP tool: structuredContent is its output; a failed run is a tool error."""
    from mcp_types import CallToolResult, TextContent

    from agents.hosted.publish import run_for_key_async, run_summary

    try:
        run = await run_for_key_async(api_key=api_key, friendly_name=friendly_name, payload=arguments)
    except network.NetworkError as exc:
        raise _tool_error(exc) from None
    summary = run_summary(run)
    if run.status != "succeeded":
        error = summary["error"] or {"code": run.status, "message": run.status}
        return CallToolResult(
            content=[TextContent(type="text", text=f"{error['code']}: {error['message']} (run {run.pk})")],
            is_error=True,
        )
    output = run.output
    structured = output if isinstance(output, dict) else None
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(output, ensure_ascii=False))],
        structured_content=structured,
        is_error=False,
    )


def build_server() -> AgntMCPServer:
    from django.conf import settings

    server = AgntMCPServer(
        name="agnt",
        title="AGNT venue network",
        description="Search, ask about and book venues in Bali through their booking agents.",
        instructions=INSTRUCTIONS,
        website_url=settings.PUBLIC_BASE_URL,
        version=str(getattr(settings, "AGNT_AGENT_VERSION", "1.0.0")),
        log_level="WARNING",
    )

    @server.tool(annotations=READ_ONLY)
    async def search_venues(
        query: Annotated[str, Field(description="Free text: a name, cuisine or vibe, e.g. 'sunset beach club'.")] = "",
        city: Annotated[str | None, Field(description="City slug: canggu, seminyak, ubud, uluwatu or sanur.")] = None,
        area: Annotated[str | None, Field(description="Neighbourhood within the city, e.g. 'Berawa'.")] = None,
        category: Annotated[
            str | None, Field(description="restaurant, beach_club, cafe, bar, spa, … (as in a venue's 'category').")
        ] = None,
        tags: Annotated[
            list[str], Field(description="Venues carrying all of these tags, e.g. ['sunset', 'vegan'].")
        ] = [],  # noqa: B006 - pydantic copies defaults
        price_level_max: Annotated[
            int | None, Field(ge=1, le=4, description="Most expensive price level, 1–4.")
        ] = None,
        party_size: Annotated[int | None, Field(ge=1, le=200, description="Only venues that seat this many.")] = None,
        limit: Annotated[int, Field(ge=1, le=network.PAGE_MAX, description="Venues per page.")] = 10,
        cursor: Annotated[str | None, Field(description="next_cursor of the previous page, same filters.")] = None,
    ) -> dict[str, Any]:
        """Search the network's venues, best match first. Returns venues (slug, name, category, city,
        area, price level, rating, tags, party sizes) and next_cursor when there are more."""
        return await _call(
            _search,
            query=query,
            city=city,
            area=area,
            category=category,
            tags=tags,
            price_level_max=price_level_max,
            party_size=party_size,
            limit=limit,
            cursor=cursor,
        )

    @server.tool(annotations=READ_ONLY)
    async def get_venue(venue: VenueRef) -> dict[str, Any]:
        """Everything public about one venue: description, address, location, average spend, and its
        booking policy (party sizes, deposit, cancellation window, dress code, opening hours)."""
        return await _call(_venue, venue=venue)

    @server.tool(annotations=READ_ONLY)
    async def check_availability(
        venue: VenueRef,
        date: Annotated[date, Field(description="The day, YYYY-MM-DD (venue-local).")],
        party_size: Annotated[int, Field(ge=1, le=200, description="Number of guests.")],
    ) -> dict[str, Any]:
        """Free start times at a venue on a date for a party size (venue-local ISO times), or the reason
        there are none (closed, fully booked, party too large, too far ahead…)."""
        return await _call(_availability, venue=venue, day=date, party_size=party_size)

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True))
    async def create_booking(
        ctx: Context,
        venue: VenueRef,
        date: Annotated[date, Field(description="The day, YYYY-MM-DD (venue-local).")],
        time: Annotated[str, Field(pattern=network.TIME_PATTERN, description=network.TIME_DESCRIPTION)],
        party_size: Annotated[int, Field(ge=1, le=200, description="Number of guests.")],
        children: Annotated[
            int,
            Field(ge=0, le=200, description="How many of the guests are children (under 18); venues may refuse them."),
        ] = 0,
        contact_name: Annotated[str, Field(max_length=120, description="Guest name for the venue.")] = "",
        contact_phone: Annotated[str, Field(max_length=32, description="Guest phone, international format.")] = "",
        special_requests: Annotated[str, Field(max_length=1000, description="Notes for the venue.")] = "",
        idempotency_key: Annotated[
            str | None,
            Field(
                min_length=1,
                max_length=128,
                description="Any unique string for this booking; send the same one again on a retry and the first "
                "booking is returned instead of a second one being made.",
            ),
        ] = None,
    ) -> dict[str, Any]:
        """Request a table. The venue's agent decides against its diary and usually confirms within a
        second or two: the booking comes back as 'requested' with a reference — call get_booking with
        it to see 'confirmed' (or 'rejected' / 'counter_offered' with alternatives). An impossible
        slot is refused at once with the nearest free alternatives."""
        api_key = _api_key(ctx)
        log = await _client_log(ctx, api_key)
        await log("info", f"Asking the booking agent of {venue} for a table for {party_size} on {date} at {time}.")
        result = await _call(
            _book,
            api_key=api_key,
            venue=venue,
            day=date,
            at=time,
            party_size=party_size,
            children=children,
            contact_name=contact_name,
            contact_phone=contact_phone,
            special_requests=special_requests,
            idempotency_key=idempotency_key,
        )
        booking = result["booking"]
        if booking["status"] == "requested":
            await log("info", f"Booking {booking['reference']} requested; the venue's agent is deciding.")
            booking = await _await_decision(ctx, api_key, booking["reference"])
            if booking["status"] != "requested":
                result = {**result, "booking": booking, "next_step": _decision_line(booking)}
        await log("info", _decision_line(booking))
        return result

    @server.tool(annotations=READ_ONLY)
    async def get_booking(ctx: Context, reference: Reference) -> dict[str, Any]:
        """One of your bookings by reference: its status (requested, confirmed, rejected,
        counter_offered, cancelled, …), time, party size, and the venue's reason or alternatives."""
        return await _call(_booking, api_key=_api_key(ctx), reference=reference)

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True))
    async def cancel_booking(
        ctx: Context,
        reference: Reference,
        reason: Annotated[str, Field(max_length=300, description="Why, for the venue (optional).")] = "",
    ) -> dict[str, Any]:
        """Cancel one of your bookings and tell the venue's agent. Cancelling twice is harmless."""
        return await _call(_cancel, api_key=_api_key(ctx), reference=reference, reason=reason)

    @server.tool(annotations=READ_ONLY)
    async def ask_venue(
        question: Annotated[
            str,
            Field(
                min_length=1, max_length=1000, description="The question, e.g. 'is there parking?' or 'vegan options?'."
            ),
        ],
        venue: Annotated[
            str | None, Field(description="Ask one venue (slug); leave empty to ask across venues.")
        ] = None,
        city: Annotated[str | None, Field(description="Limit a cross-venue question to one city (slug).")] = None,
    ) -> dict[str, Any]:
        """Answers from the venues' own knowledge (menus, FAQs, websites): matching passages, each with
        its citation (venue, source, URL). 'found' is false when the knowledge has no answer."""
        return await _call(_ask, question=question, venue=venue, city=city)

    @server.resource(
        "agnt://venues",
        name="venues",
        title="Venues on the network",
        description="The venues (slug, name, city, category) with the URI of each one's policy card.",
        mime_type="application/json",
    )
    async def venues_resource() -> str:
        return json.dumps({"venues": await run_orm(_venue_index)}, ensure_ascii=False)

    @server.resource(
        "agnt://venues/{slug}/policy",
        name="venue-policy",
        title="Venue booking policy",
        description="A venue's booking rules: party sizes, deposit, cancellation window, minimum spend, kids, "
        "dress code, opening hours (venue-local), lead time, booking window, blackout dates.",
        mime_type="application/json",
    )
    async def venue_policy_resource(slug: str) -> str:
        try:
            card = await run_orm(_policy, slug=slug)
        except network.NotFound as exc:
            raise ResourceNotFoundError(exc.detail) from None
        return json.dumps(card, ensure_ascii=False)

    @server.prompt(
        name="plan_date_night",
        title="Plan a date night",
        description="Find a romantic spot in a city for an evening and book a table for two.",
    )
    async def plan_date_night(
        city: Annotated[str, Field(description="City slug, e.g. 'canggu' (completion lists them).")],
        date: Annotated[str, Field(description="The evening, YYYY-MM-DD (venue-local).")],
    ) -> list[dict[str, Any]]:
        city_slug = await run_orm(_prompt_city, city)
        day = _prompt_day(date)
        return [
            {
                "role": "user",
                "content": (
                    f"Plan a date night for two in {city_slug} on {day:%A %d %B %Y} ({day.isoformat()}).\n"
                    f"1. Call search_venues with city='{city_slug}', party_size=2 and a query such as "
                    "'romantic sunset dinner'; pick two or three candidates.\n"
                    "2. For each, call get_venue (dress code, deposit, opening hours) and, if useful, ask_venue "
                    "('is there a quiet table?', 'vegetarian options?').\n"
                    f"3. Call check_availability with date='{day.isoformat()}' and party_size=2; prefer a start "
                    "between 18:00 and 20:00 (venue time).\n"
                    "4. Show me the options with times and policies and wait for my choice.\n"
                    "5. Then call create_booking with an idempotency_key, and get_booking until it is "
                    "confirmed. If the venue counter-offers, tell me the offered times."
                ),
            }
        ]

    @server.prompt(
        name="book_for_group",
        title="Book for a group",
        description="Book a table at one venue for a group: checks the venue's group rules first.",
    )
    async def book_for_group(
        venue: Annotated[str, Field(description="Venue slug (completion lists them).")],
        party_size: Annotated[str, Field(description="Number of guests, e.g. '8'.")],
    ) -> list[dict[str, Any]]:
        try:
            size = int(str(party_size).strip())
        except ValueError:
            raise ValueError(f"party_size must be a whole number, not {party_size!r}") from None
        if not 1 <= size <= 200:
            raise ValueError("party_size must be between 1 and 200")
        detail = await run_orm(_prompt_venue, venue)
        policy = detail.get("policy") or {}
        limits = f"this venue takes parties of {policy.get('min_party_size', 1)} to {policy.get('max_party_size', '?')}"
        return [
            {
                "role": "user",
                "content": (
                    f"Book a table for a group of {size} at {detail['name']} (slug '{detail['slug']}'); {limits}.\n"
                    f"1. Read the policy card (resource agnt://venues/{detail['slug']}/policy): deposit, minimum "
                    "spend, cancellation window, kids, dress code. Tell me what applies to a group of "
                    f"{size}.\n"
                    "2. Ask me for the date and a preferred time if I have not given them, then call "
                    f"check_availability with party_size={size}.\n"
                    "3. Call create_booking with the chosen time, my name as contact_name, and an "
                    "idempotency_key. Large groups may wait for the owner's approval: say so, and check "
                    "get_booking later. If it is counter-offered, show me the times offered.\n"
                    "If the group is too large for the venue, suggest splitting it or search_venues with "
                    f"party_size={size} for alternatives."
                ),
            }
        ]

    @server.completion()
    async def complete(ref, argument, context) -> Completion | None:
        """Venue slugs and cities for prompt arguments and the policy resource template."""
        if isinstance(ref, PromptReference) and ref.name not in ("plan_date_night", "book_for_group"):
            return None
        if isinstance(ref, ResourceTemplateReference) and ref.uri != "agnt://venues/{slug}/policy":
            return None
        values = await run_orm(_completion_values, ref, argument, context)
        return Completion(values=values, total=len(values), has_more=False)

    from mcp_types import SetLevelRequestParams

    # the server sends log notifications (create_booking), so it declares the logging
    # capability and honours logging/setLevel (MCP 2025-06-18 / 2025-11-25, server/utilities/logging)
    server._lowlevel_server.add_request_handler("logging/setLevel", SetLevelRequestParams, _set_logging_level)
    return server


# --- ASGI apps ------------------------------------------------------------------------------

# Host checks happen in ApiKeyAuthMiddleware against Django's ALLOWED_HOSTS; the SDK's
# own DNS-rebinding guard would only know localhost.
_TRANSPORT_SECURITY = TransportSecuritySettings(enable_dns_rebinding_protection=False)
MCP_PATH = "/mcp"
SSE_PATH = "/mcp/sse"
MESSAGES_PATH = "/mcp/messages/"

_server: AgntMCPServer | None = None


def mcp_server() -> AgntMCPServer:
    global _server
    if _server is None:
        _server = build_server()
    return _server


class StatelessStreamableHTTP:
    """ASGI app for /mcp: the SDK's Streamable HTTP session manager in stateless mode.

    The manager needs a running task group (``manager.run()``), normally entered from a
    Starlette lifespan. The project's ASGI app is Channels' router, which has no lifespan,
    so each event loop starts its own manager on first use and keeps it running until the
    loop ends (uvicorn cancels it on shutdown). One manager per loop also keeps tests that
    start several servers in one process apart.
    """

    def __init__(self) -> None:
        self._managers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Future] = (
            weakref.WeakKeyDictionary()
        )
        self._tasks: set[asyncio.Task] = set()

    async def _manager(self) -> StreamableHTTPSessionManager:
        loop = asyncio.get_running_loop()
        ready = self._managers.get(loop)
        if ready is None:
            ready = loop.create_future()
            self._managers[loop] = ready  # set before any await: concurrent first requests share it
            manager = StreamableHTTPSessionManager(
                app=mcp_server()._lowlevel_server,
                stateless=True,
                # SSE answers, so a tool's log notifications reach the client before its result
                json_response=False,
                security_settings=_TRANSPORT_SECURITY,
            )

            async def keep_running() -> None:
                try:
                    async with manager.run():
                        ready.set_result(manager)
                        await asyncio.Event().wait()
                except BaseException as exc:
                    if not ready.done():
                        ready.set_exception(exc)
                        self._managers.pop(loop, None)  # the next request starts a new one
                    raise

            task = loop.create_task(keep_running(), name="mcp-streamable-http")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(ready)

    async def __call__(self, scope, receive, send) -> None:
        manager = await self._manager()
        await manager.handle_request(scope, receive, send)


class LegacySse:
    """ASGI app for GET /mcp/sse and POST /mcp/messages/ (agents.api.mcp_sse relays POSTs
    between worker processes). One transport per event loop: its streams belong to it."""

    def __init__(self) -> None:
        self._transports: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()

    def _transport(self):
        from agents.api.mcp_sse import RelayingSseTransport

        loop = asyncio.get_running_loop()
        transport = self._transports.get(loop)
        if transport is None:
            transport = self._transports[loop] = RelayingSseTransport(
                MESSAGES_PATH, security_settings=_TRANSPORT_SECURITY
            )
        return transport

    async def __call__(self, scope, receive, send) -> None:
        transport = self._transport()
        if scope["path"].rstrip("/") == SSE_PATH:
            if scope["method"] != "GET":
                await _plain(send, 405, "use GET to open the event stream", {"Allow": "GET"})
                return
            lowlevel = mcp_server()._lowlevel_server
            try:
                async with transport.connect_sse(scope, receive, send) as (read, write):
                    await lowlevel.run(read, write, lowlevel.create_initialization_options())
            except ValueError:
                return  # refused by the transport, which has answered already
            return
        if scope["path"].startswith(MESSAGES_PATH):
            await transport.handle_post_message(scope, receive, send)
            return
        await _plain(send, 404, "not found")


async def _plain(send, status: int, text: str, headers: dict[str, str] | None = None) -> None:
    raw = [(b"content-type", b"text/plain; charset=utf-8")] + [
        (k.lower().encode(), v.encode()) for k, v in (headers or {}).items()
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": text.encode()})


def build_asgi_apps() -> tuple[Any, Any]:
    """(the /mcp app, the /mcp/sse + /mcp/messages/ app), both behind API-key auth."""
    from django.conf import settings

    # bodies are read here first (capped like Django's own) so a deeply nested one is
    # refused with the Parse error the SDK gives any other unparsable body (400)
    limits = {"max_body_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "parse_error_status": 400}
    # OAuth discovery in the 401 (agents.api.oauth) and the Origin allow-list
    mcp_front = {"oauth": True, "allowed_origins_setting": "MCP_ALLOWED_ORIGINS"}
    return (
        ApiKeyAuthMiddleware(StatelessStreamableHTTP(), realm="agnt-mcp", **limits, **mcp_front),
        ApiKeyAuthMiddleware(LegacySse(), realm="agnt-mcp", **limits, **mcp_front),
    )
