"""The MCP server over both transports, driven by the official MCP client against a real uvicorn.

/mcp (Streamable HTTP, stateless) and /mcp/sse (legacy HTTP+SSE) answer the same tools and
resources with the same API keys; bookings belong to the key that made them.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager

import httpx
import httpx2
import pytest
from mcp.client.session import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from agents.models import A2AEnvelope
from agents.services import api_key_create, api_key_revoke
from agents.tests.live_asgi import asgi_server, second_asgi_server  # noqa: F401 - fixtures
from agents.tests.test_venue_agent import at, days_ahead, held, make_test_venue
from bookings.models import VenueBooking

pytestmark = pytest.mark.django_db(transaction=True)

TOOLS = {
    "search_venues",
    "get_venue",
    "check_availability",
    "create_booking",
    "get_booking",
    "cancel_booking",
    "ask_venue",
}


@pytest.fixture
def venue():
    return make_test_venue(
        category="beach_club",
        area="Echo Beach",
        tags=["sunset"],
        knowledge_text="Free scooter parking behind the venue; car parking at the beach lot next door.",
    )


@pytest.fixture
def key_pair(django_user_model):
    developer = django_user_model.objects.create_user(username="dev", password="x")
    return api_key_create(owner=developer, name="Claude Code", tier="pro")


@asynccontextmanager
async def mcp_session(base_url: str, transport: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if transport == "http":
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            async with streamable_http_client(f"{base_url}/mcp", http_client=http) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    yield session
    else:
        async with sse_client(f"{base_url}/mcp/sse", headers=headers, timeout=30) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


def run(coroutine, timeout: float = 60):
    """Run a client scenario; a server that stops answering fails the test instead of hanging it."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


def error_text(result) -> str:
    """The tool error's message without the SDK's 'Error executing tool <name>: ' prefix."""
    assert result.is_error, result
    return result.content[0].text.split(": ", 1)[1]


def structured(result) -> dict:
    assert not result.is_error, result.content
    return result.structured_content if result.structured_content is not None else json.loads(result.content[0].text)


@pytest.mark.parametrize("transport", ["http", "sse"])
def test_a_client_searches_books_reads_and_cancels_through_mcp(asgi_server, transport, venue, key_pair):
    api_key, token = key_pair
    day = days_ahead(3)

    async def scenario() -> dict:
        async with mcp_session(asgi_server, transport, token) as session:
            seen: dict = {
                "instructions": session.initialize_result.instructions
                if hasattr(session, "initialize_result")
                else None
            }
            seen["tools"] = {tool.name: tool for tool in (await session.list_tools()).tools}
            seen["search"] = structured(
                await session.call_tool("search_venues", {"query": "tanah", "category": "beach_club"})
            )
            seen["venue"] = structured(await session.call_tool("get_venue", {"venue": venue.slug}))
            seen["availability"] = structured(
                await session.call_tool(
                    "check_availability", {"venue": venue.slug, "date": day.isoformat(), "party_size": 2}
                )
            )
            seen["booked"] = structured(
                await session.call_tool(
                    "create_booking",
                    {
                        "venue": venue.slug,
                        "date": day.isoformat(),
                        "time": "19:00",
                        "party_size": 2,
                        "contact_name": "Ana",
                        "idempotency_key": f"mcp-{transport}-1",
                    },
                )
            )
            seen["retry"] = structured(
                await session.call_tool(
                    "create_booking",
                    {
                        "venue": venue.slug,
                        "date": day.isoformat(),
                        "time": "19:00",
                        "party_size": 2,
                        "idempotency_key": f"mcp-{transport}-1",
                    },
                )
            )
            reference = seen["booked"]["booking"]["reference"]
            seen["got"] = structured(await session.call_tool("get_booking", {"reference": reference}))
            seen["answer"] = structured(
                await session.call_tool("ask_venue", {"question": "is there parking?", "venue": venue.slug})
            )
            seen["cancelled"] = structured(
                await session.call_tool("cancel_booking", {"reference": reference, "reason": "plans changed"})
            )
            return seen

    seen = run(scenario())

    assert set(seen["tools"]) == TOOLS
    booking_schema = seen["tools"]["create_booking"].input_schema
    assert set(booking_schema["required"]) == {"venue", "date", "time", "party_size"}
    assert "idempotency_key" in booking_schema["properties"]
    assert all(prop.get("description") for prop in booking_schema["properties"].values())
    assert "get_booking" in seen["tools"]["create_booking"].description

    assert [v["slug"] for v in seen["search"]["venues"]] == [venue.slug]
    assert seen["venue"]["policy"]["max_party_size"] == 8
    assert "19:00" in " ".join(seen["availability"]["slots"])

    booked = seen["booked"]["booking"]
    assert seen["booked"]["created"] and not seen["retry"]["created"]
    assert seen["retry"]["booking"]["reference"] == booked["reference"]
    # the venue agent decided through the gateway before get_booking asked
    assert seen["got"]["status"] == "confirmed"
    assert seen["answer"]["found"] and "scooter parking" in seen["answer"]["passages"][0]["text"]
    assert seen["cancelled"]["status"] == "cancelled"

    booking = VenueBooking.objects.get(external_ref=booked["reference"])
    assert booking.api_key_id == api_key.pk and booking.source == "mcp" and booking.contact_name == "Ana"
    assert VenueBooking.objects.filter(api_key=api_key).count() == 1
    assert set(A2AEnvelope.objects.filter(booking=booking).values_list("intent", flat=True)) >= {
        "booking.request",
        "booking.cancel",
    }


@pytest.mark.parametrize("transport", ["http", "sse"])
def test_policy_cards_are_resources(asgi_server, transport, venue, key_pair):
    async def scenario():
        async with mcp_session(asgi_server, transport, key_pair[1]) as session:
            templates = (await session.list_resource_templates()).resource_templates
            listed = (await session.list_resources()).resources
            policy = await session.read_resource(f"agnt://venues/{venue.slug}/policy")
            with pytest.raises(MCPError) as missing:
                await session.read_resource("agnt://venues/no-such-venue/policy")
            return templates, listed, policy, missing.value

    templates, listed, policy, missing = run(scenario())

    assert [t.uri_template for t in templates] == ["agnt://venues/{slug}/policy"]
    assert {str(r.uri) for r in listed} >= {"agnt://venues", f"agnt://venues/{venue.slug}/policy"}
    card = json.loads(policy.contents[0].text)
    assert (
        card["venue"] == venue.slug
        and card["max_party_size"] == 8
        and card["opening_hours"]["mon"] == [["18:00", "22:00"]]
    )
    assert "no-such-venue" in str(missing)


@pytest.mark.parametrize("transport", ["http", "sse"])
def test_network_errors_come_back_as_tool_errors(asgi_server, transport, venue, key_pair):
    day = days_ahead(3)
    held(venue, at(day, "19:00"), 10)  # the 19:00 slot is full

    async def scenario():
        async with mcp_session(asgi_server, transport, key_pair[1]) as session:
            full = await session.call_tool(
                "create_booking", {"venue": venue.slug, "date": day.isoformat(), "time": "19:00", "party_size": 2}
            )
            unknown = await session.call_tool("get_venue", {"venue": "no-such-venue"})
            bad_date = await session.call_tool(
                "check_availability", {"venue": venue.slug, "date": "next week", "party_size": 2}
            )
            foreign = await session.call_tool("get_booking", {"reference": "AG-NOPE00"})
            bad_category = await session.call_tool("search_venues", {"category": "submarine"})
            return full, unknown, bad_date, foreign, bad_category

    full, unknown, bad_date, foreign, bad_category = run(scenario())

    assert error_text(full).startswith("slot_unavailable:") and '"alternatives": ["' in error_text(full)
    assert error_text(unknown).startswith("not_found:")
    assert "date" in error_text(bad_date)
    assert error_text(foreign).startswith("not_found:")
    assert error_text(bad_category).startswith("invalid_request: unknown category 'submarine'")
    assert not VenueBooking.objects.filter(api_key=key_pair[0]).exists()


def test_a_key_cannot_read_another_keys_booking(asgi_server, venue, key_pair, django_user_model):
    other, other_token = api_key_create(
        owner=django_user_model.objects.create_user(username="other", password="x"), name="Codex", tier="free"
    )
    day = days_ahead(3)

    async def scenario():
        async with mcp_session(asgi_server, "http", key_pair[1]) as mine:
            booked = structured(
                await mine.call_tool(
                    "create_booking", {"venue": venue.slug, "date": day.isoformat(), "time": "20:00", "party_size": 2}
                )
            )
        async with mcp_session(asgi_server, "http", other_token) as theirs:
            return await theirs.call_tool("get_booking", {"reference": booked["booking"]["reference"]})

    result = run(scenario())
    assert error_text(result).startswith("not_found:")


@pytest.mark.parametrize(
    "path,method", [("/mcp", "POST"), ("/mcp/sse", "GET"), ("/mcp/messages/?session_id=00", "POST")]
)
def test_missing_and_invalid_keys_get_401_with_a_bearer_challenge(asgi_server, key_pair, path, method, settings):
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    missing = httpx.request(method, f"{asgi_server}{path}", json=body, timeout=10)
    invalid = httpx.request(
        method, f"{asgi_server}{path}", json=body, timeout=10, headers={"Authorization": f"Bearer {key_pair[1]}x"}
    )
    api_key_revoke(api_key=key_pair[0], reason="leaked")
    revoked = httpx.request(
        method, f"{asgi_server}{path}", json=body, timeout=10, headers={"Authorization": f"Bearer {key_pair[1]}"}
    )

    assert missing.status_code == 401 and missing.json()["error"] == "missing_api_key"
    assert missing.headers["WWW-Authenticate"] == (
        f'Bearer realm="agnt-mcp", resource_metadata="{settings.PUBLIC_BASE_URL}/.well-known/oauth-protected-resource/mcp"'
    )
    for response in (invalid, revoked):
        assert response.status_code == 401 and response.json()["error"] == "invalid_api_key"
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_the_official_client_is_refused_without_a_key(asgi_server):
    async def scenario():
        async with mcp_session(asgi_server, "http", None):
            pass

    with pytest.raises(BaseExceptionGroup) as refused:
        run(scenario())
    # the SDK reports the 401 as a failed initialize
    assert refused.group_contains(MCPError)


def test_the_rate_limit_is_shared_with_the_other_transports(asgi_server, key_pair):
    api_key, token = key_pair
    api_key.rate_limit_per_minute = 3
    api_key.save(update_fields=["rate_limit_per_minute"])
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}

    mcp = httpx.post(f"{asgi_server}/mcp", json=body, headers=headers, timeout=10)
    a2a = httpx.post(f"{asgi_server}/a2a/jsonrpc", json=body, headers=headers, timeout=10)
    sse = httpx.post(f"{asgi_server}/mcp/messages/?session_id={'0' * 32}", json=body, headers=headers, timeout=10)
    spent = httpx.post(f"{asgi_server}/mcp", json=body, headers=headers, timeout=10)

    assert mcp.status_code == 200 and mcp.headers["RateLimit-Limit"] == "3"
    assert a2a.status_code != 429 and sse.status_code == 404  # both counted against the same budget
    assert [mcp, a2a, sse][2].headers["RateLimit-Remaining"] == "0"
    assert spent.status_code == 429 and int(spent.headers["Retry-After"]) >= 1
    assert spent.json()["error"] == "rate_limited"


def test_a_host_outside_allowed_hosts_is_refused(asgi_server, key_pair):
    response = httpx.post(
        f"{asgi_server}/mcp",
        json={},
        timeout=10,
        headers={"Host": "evil.example", "Authorization": f"Bearer {key_pair[1]}"},
    )
    assert response.status_code == 400 and response.json()["error"] == "bad_host"


def test_other_paths_still_reach_django(asgi_server):
    response = httpx.get(f"{asgi_server}/.well-known/agent-card.json", timeout=10)
    assert response.status_code == 200 and response.json()["name"]


def test_legacy_sse_messages_posted_to_another_worker_reach_the_stream(
    asgi_server, second_asgi_server, venue, key_pair, django_user_model
):
    """uvicorn --workers N: the stream is held by one worker, POSTs land on any; Channels relays them."""
    other_port = second_asgi_server.rsplit(":", 1)[1]

    def client_posting_elsewhere(headers=None, timeout=None, auth=None):
        async def to_the_other_worker(request):
            if request.method == "POST":
                request.url = request.url.copy_with(port=int(other_port))

        return httpx2.AsyncClient(
            headers=headers,
            timeout=timeout,
            auth=auth,
            follow_redirects=False,
            event_hooks={"request": [to_the_other_worker]},
        )

    async def scenario():
        async with sse_client(
            f"{asgi_server}/mcp/sse",
            headers={"Authorization": f"Bearer {key_pair[1]}"},
            httpx_client_factory=client_posting_elsewhere,
        ) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                search = structured(await session.call_tool("search_venues", {"query": "tanah"}))
                booked = structured(
                    await session.call_tool(
                        "create_booking",
                        {"venue": venue.slug, "date": days_ahead(3).isoformat(), "time": "19:30", "party_size": 2},
                    )
                )
                return search, booked

    search, booked = run(scenario())

    assert [v["slug"] for v in search["venues"]] == [venue.slug]
    assert VenueBooking.objects.get(external_ref=booked["booking"]["reference"]).api_key_id == key_pair[0].pk


def test_a_legacy_sse_session_refuses_messages_from_another_key_on_any_worker(
    asgi_server, second_asgi_server, key_pair, django_user_model
):
    _, other_token = api_key_create(
        owner=django_user_model.objects.create_user(username="intruder", password="x"), name="Other", tier="free"
    )
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}

    async def scenario():
        async with httpx.AsyncClient(timeout=10) as http:
            async with http.stream(
                "GET", f"{asgi_server}/mcp/sse", headers={"Authorization": f"Bearer {key_pair[1]}"}
            ) as stream:
                # read up to the endpoint event without leaving the iterator (which would close the stream)
                lines = stream.aiter_lines()
                line = ""
                while not line.startswith("data: "):
                    line = await lines.__anext__()
                endpoint = line[len("data: ") :]
                answers = {}
                for name, base, token in (
                    ("same worker, other key", asgi_server, other_token),
                    ("other worker, other key", second_asgi_server, other_token),
                    ("other worker, own key", second_asgi_server, key_pair[1]),
                    ("unknown session", second_asgi_server, key_pair[1]),
                ):
                    url = (
                        f"{base}{endpoint}"
                        if name != "unknown session"
                        else f"{base}/mcp/messages/?session_id={'0' * 32}"
                    )
                    answers[name] = (
                        await http.post(url, json=ping, headers={"Authorization": f"Bearer {token}"})
                    ).status_code
                return answers

    answers = run(scenario())
    assert answers == {
        "same worker, other key": 404,
        "other worker, other key": 404,
        "other worker, own key": 202,
        "unknown session": 404,
    }


def test_malformed_and_oversized_mcp_requests_get_4xx_not_500(asgi_server, key_pair):
    headers = {
        "Authorization": f"Bearer {key_pair[1]}",
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
    }
    broken = httpx.post(f"{asgi_server}/mcp", content=b"{not json", headers=headers, timeout=10)
    huge = httpx.post(f"{asgi_server}/mcp", content=b"[" + b" " * (5 * 1024 * 1024) + b"]", headers=headers, timeout=30)

    assert broken.status_code == 400 and broken.json()["error"]["code"] == -32700
    assert huge.status_code == 413


def test_a_cors_preflight_is_answered_without_a_key(asgi_server, settings):
    settings.MCP_ALLOWED_ORIGINS = ["http://localhost:5173"]
    preflight = httpx.options(
        f"{asgi_server}/mcp",
        timeout=10,
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )

    assert preflight.status_code == 204 and preflight.content == b""
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    refused = httpx.post(f"{asgi_server}/mcp", json={}, timeout=10, headers={"Origin": "http://localhost:5173"})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == "*"
    assert "WWW-Authenticate" in refused.headers["Access-Control-Expose-Headers"]


def test_a_foreign_origin_is_refused_and_no_origin_or_an_allowed_one_passes(asgi_server, key_pair, settings):
    settings.MCP_ALLOWED_ORIGINS = ["https://app.example"]
    headers = {"Authorization": f"Bearer {key_pair[1]}", "Accept": "application/json, text/event-stream"}
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}

    foreign = httpx.post(f"{asgi_server}/mcp", json=body, headers={**headers, "Origin": "https://evil.example"})
    foreign_sse = httpx.get(f"{asgi_server}/mcp/sse", headers={**headers, "Origin": "https://evil.example"})
    allowed = httpx.post(f"{asgi_server}/mcp", json=body, headers={**headers, "Origin": "https://app.example"})
    no_origin = httpx.post(f"{asgi_server}/mcp", json=body, headers=headers)

    assert foreign.status_code == 403 and foreign.json()["error"] == "origin_not_allowed"
    assert foreign_sse.status_code == 403
    assert allowed.status_code == 200 and no_origin.status_code == 200


# --- prompts, completion, log notifications -------------------------------------------------


def test_prompts_guide_the_tool_use_and_a_bad_prompt_is_invalid_params(asgi_server, venue, key_pair):
    day = days_ahead(5)

    async def scenario():
        async with mcp_session(asgi_server, "http", key_pair[1]) as session:
            listed = {p.name: p for p in (await session.list_prompts()).prompts}
            date_night = await session.get_prompt("plan_date_night", {"city": venue.city.slug, "date": day.isoformat()})
            group = await session.get_prompt("book_for_group", {"venue": venue.slug, "party_size": "8"})
            errors = []
            for name, args in [
                ("no_such_prompt", {}),
                ("plan_date_night", {"city": venue.city.slug, "date": "next friday"}),
                ("plan_date_night", {"city": "atlantis", "date": day.isoformat()}),
                ("book_for_group", {"venue": "nowhere", "party_size": "4"}),
            ]:
                with pytest.raises(MCPError) as refused:
                    await session.get_prompt(name, args)
                errors.append(refused.value.error.code)
            return listed, date_night, group, errors

    listed, date_night, group, errors = run(scenario())

    assert set(listed) == {"plan_date_night", "book_for_group"}
    assert {a.name for a in listed["plan_date_night"].arguments} == {"city", "date"}
    assert {a.name for a in listed["book_for_group"].arguments} == {"venue", "party_size"}
    text = date_night.messages[0].content.text
    assert f"city='{venue.city.slug}'" in text and day.isoformat() in text and "check_availability" in text
    text = group.messages[0].content.text
    assert venue.name in text and f"agnt://venues/{venue.slug}/policy" in text and "party_size=8" in text
    assert errors == [-32602] * 4


def test_completion_offers_venue_slugs_and_cities(asgi_server, venue, key_pair):
    from mcp_types import PromptReference, ResourceTemplateReference

    other = make_test_venue(name="Tanjung Sari", slug="tanjung-sari", city_name="Sanur")

    async def scenario():
        async with mcp_session(asgi_server, "http", key_pair[1]) as session:
            slugs = await session.complete(PromptReference(name="book_for_group"), {"name": "venue", "value": "tan"})
            in_city = await session.complete(
                PromptReference(name="book_for_group"),
                {"name": "venue", "value": "tan"},
                context_arguments={"city": other.city.slug},
            )
            cities = await session.complete(
                PromptReference(name="plan_date_night"), {"name": "city", "value": venue.city.slug[:8]}
            )
            policy = await session.complete(
                ResourceTemplateReference(uri="agnt://venues/{slug}/policy"), {"name": "slug", "value": "tanah"}
            )
            return slugs, in_city, cities, policy

    slugs, in_city, cities, policy = run(scenario())

    assert slugs.completion.values == sorted([venue.slug, other.slug])
    assert in_city.completion.values == [other.slug]
    assert cities.completion.values == [venue.city.slug]
    assert policy.completion.values == [venue.slug]


def test_create_booking_sends_log_notifications_while_the_venue_decides(asgi_server, venue, key_pair):
    day = days_ahead(3)
    logged: list[str] = []

    async def on_log(params) -> None:
        logged.append(str(params.data))

    async def scenario():
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key_pair[1]}"}, timeout=30) as http:
            async with streamable_http_client(f"{asgi_server}/mcp", http_client=http) as (read, write):
                async with ClientSession(read, write, logging_callback=on_log) as session:
                    await session.initialize()
                    return structured(
                        await session.call_tool(
                            "create_booking",
                            {"venue": venue.slug, "date": day.isoformat(), "time": "19:00", "party_size": 2},
                        )
                    )

    booked = run(scenario())

    reference = booked["booking"]["reference"]
    assert booked["booking"]["status"] == "confirmed"
    assert logged[0].startswith(f"Asking the booking agent of {venue.slug} for a table for 2")
    assert logged[-1] == f"Booking {reference} is confirmed."


def test_logging_is_declared_and_set_level_filters_the_keys_later_notifications(asgi_server, venue, key_pair):
    day = days_ahead(3)
    logged: list[tuple[str, str]] = []

    async def on_log(params) -> None:
        logged.append((params.level, str(params.data)))

    async def book(session, at_time: str):
        return structured(
            await session.call_tool(
                "create_booking", {"venue": venue.slug, "date": day.isoformat(), "time": at_time, "party_size": 2}
            )
        )

    async def scenario():
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key_pair[1]}"}, timeout=30) as http:
            async with streamable_http_client(f"{asgi_server}/mcp", http_client=http) as (read, write):
                async with ClientSession(read, write, logging_callback=on_log) as session:
                    initialized = await session.initialize()
                    assert await session.set_logging_level("warning") is not None
                    await book(session, "19:00")
                    quiet = list(logged)
                    await session.set_logging_level("info")
                    await book(session, "20:00")
                    return initialized.capabilities, quiet

    capabilities, quiet = run(scenario())

    assert capabilities.logging is not None
    assert quiet == []  # info notices are below "warning"
    assert logged and {level for level, _ in logged} == {"info"}
    assert logged[-1][1].endswith("is confirmed.")
