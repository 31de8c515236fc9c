"""The platform agent's A2A JSON-RPC endpoint, driven by the a2a-sdk client against a real uvicorn.

The client discovers the endpoint the way any A2A agent does: it fetches the platform card
from /.well-known/agent-card.json and picks the JSONRPC interface.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from a2a.client import A2AClientError, ClientConfig, create_client
from a2a.helpers import get_data_parts, get_text_parts, new_data_part, new_message, new_text_part
from a2a.types import Role, SendMessageRequest, TaskState

from agents.api.a2a_jsonrpc import read_request
from agents.network import cards
from agents.services import api_key_create
from agents.tests.live_asgi import asgi_server  # noqa: F401 - fixture
from agents.tests.test_venue_agent import at, days_ahead, held, make_test_venue
from bookings.models import VenueBooking

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def venue():
    return make_test_venue(category="beach_club", area="Echo Beach", tags=["sunset"])


@pytest.fixture
def key_pair(django_user_model):
    developer = django_user_model.objects.create_user(username="a2a-dev", password="x")
    return api_key_create(owner=developer, name="Partner agent", tier="pro")


@pytest.fixture
def server(asgi_server, settings):
    # the card names the endpoint under PUBLIC_BASE_URL; here that is the test server
    settings.PUBLIC_BASE_URL = asgi_server
    settings.CLAWPULSE_GATEWAY = f"{asgi_server}/gateway"  # still the built-in gateway
    return asgi_server


def _run(coroutine, timeout: float = 60):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


def _user_message(*parts):
    return new_message(list(parts), role=Role.ROLE_USER, context_id=str(uuid.uuid4()))


async def _send(base_url: str, token: str | None, *messages) -> tuple[object, list[dict]]:
    """Resolve the card, build the SDK client from it, send each message; (card, answers)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        client = await create_client(base_url, client_config=ClientConfig(httpx_client=http, streaming=False))
        answers = []
        for message in messages:
            async for response in client.send_message(SendMessageRequest(message=message)):
                assert response.HasField("task"), response
                answers.append(_answer(response.task))
        return client._card, answers


def _answer(task) -> dict:
    """What the task says: its artifact when it completed, else its status message."""
    parts = task.artifacts[-1].parts if task.artifacts else task.status.message.parts
    return {
        "state": TaskState.Name(task.status.state),
        "text": " ".join(get_text_parts(parts)),
        "data": get_data_parts(parts)[0],
        "task": task,
    }


def test_the_card_advertises_the_jsonrpc_interface_first_with_its_skills(settings):
    settings.PUBLIC_BASE_URL = "https://agnt.example"
    parsed = cards.validate_card(cards.build_platform_card())

    first = parsed.supported_interfaces[0]
    assert first.url == "https://agnt.example/a2a/jsonrpc" and first.protocol_binding == "JSONRPC"
    assert first.protocol_version == "1.0" and not first.tenant
    assert {"venue.search", "booking.request", "booking.status", "booking.cancel"} <= {s.id for s in parsed.skills}
    assert parsed.security_schemes["apiKeyBearer"].http_auth_security_scheme.scheme == "bearer"


def test_an_a2a_client_finds_the_endpoint_searches_and_books(server, venue, key_pair):
    api_key, token = key_pair
    day = days_ahead(3)
    structured_search = _user_message(
        new_data_part({"skill": "venue.search", "category": "beach_club", "city": venue.city.slug})
    )
    text_search = _user_message(new_text_part(f"beach clubs in {venue.city.name}"))
    booking = _user_message(
        new_data_part(
            {
                "skill": "booking.request",
                "venue": venue.slug,
                "date": day.isoformat(),
                "time": "19:00",
                "party_size": 2,
                "idempotency_key": "a2a-1",
                "contact_name": "Ana",
            }
        )
    )

    card, (by_data, by_text, booked) = _run(_send(server, token, structured_search, text_search, booking))

    assert card.supported_interfaces[0].url == f"{server}/a2a/jsonrpc"
    for answer in (by_data, by_text):
        assert answer["data"]["skill"] == "venue.search"
        assert [v["slug"] for v in answer["data"]["result"]["venues"]] == [venue.slug]
        assert "Tanah Ember" in answer["text"]
    assert by_text["data"]["result"]["filters"]["category"] == "beach_club"

    result = booked["data"]["result"]["booking"]
    assert booked["data"]["skill"] == "booking.request" and result["status"] == "confirmed"
    stored = VenueBooking.objects.get(external_ref=result["reference"])
    assert stored.api_key_id == api_key.pk and stored.source == "a2a" and stored.party_size == 2
    assert result["reference"] in booked["text"]


def test_a_text_booking_request_is_understood_and_status_and_cancel_follow(server, venue, key_pair):
    day = days_ahead(4)
    text = _user_message(new_text_part(f"book Tanah Ember for 3 people on {day.isoformat()} at 20:00"))

    _, (booked,) = _run(_send(server, key_pair[1], text))
    reference = booked["data"]["result"]["booking"]["reference"]
    status = _user_message(new_data_part({"skill": "booking.status", "reference": reference}))
    cancel = _user_message(new_data_part({"skill": "booking.cancel", "reference": reference, "reason": "rain"}))
    _, (seen, cancelled) = _run(_send(server, key_pair[1], status, cancel))

    assert booked["data"]["result"]["booking"]["party_size"] == 3
    assert booked["data"]["result"]["booking"]["slot_start"].startswith(f"{day.isoformat()}T20:00")
    assert seen["data"]["result"]["booking"]["status"] == "confirmed"
    assert cancelled["data"]["result"]["booking"]["status"] == "cancelled"


def test_refusals_come_back_as_error_data_not_failures(server, venue, key_pair):
    day = days_ahead(3)
    held(venue, at(day, "19:00"), 10)
    full = _user_message(
        new_data_part(
            {"skill": "booking.request", "venue": venue.slug, "date": day.isoformat(), "time": "19:00", "party_size": 2}
        )
    )
    unknown_skill = _user_message(new_data_part({"skill": "weather.get"}))
    vague = _user_message(new_text_part("book Tanah Ember please"))
    bad_date = _user_message(
        new_data_part(
            {"skill": "booking.request", "venue": venue.slug, "date": "soon", "time": "19:00", "party_size": 2}
        )
    )

    _, answers = _run(_send(server, key_pair[1], full, unknown_skill, vague, bad_date))
    errors = [answer["data"]["error"] for answer in answers]

    assert errors[0]["code"] == "slot_unavailable" and errors[0]["extra"]["alternatives"]
    assert errors[1]["code"] == "unsupported_skill"
    assert errors[2]["code"] == "invalid_request" and "date" in errors[2]["message"]
    assert errors[3]["field"] == "date"
    assert not VenueBooking.objects.filter(api_key=key_pair[0]).exists()


@pytest.mark.parametrize("token", [None, "agnt_live_not-a-key"])
def test_a_bad_key_is_refused_before_the_agent_runs(server, venue, token):
    search = _user_message(new_text_part("beach clubs"))
    with pytest.raises(A2AClientError) as refused:
        _run(_send(server, token, search))
    assert "401" in str(refused.value)

    raw = httpx.post(
        f"{server}/a2a/jsonrpc",
        json={"jsonrpc": "2.0", "id": 1, "method": "SendMessage"},
        headers={"Authorization": f"Bearer {token}"} if token else {},
        timeout=10,
    )
    assert raw.status_code == 401 and raw.headers["WWW-Authenticate"].startswith('Bearer realm="agnt-a2a"')


def test_malformed_json_rpc_gets_a_json_rpc_error_not_a_500(server, key_pair):
    headers = {"Authorization": f"Bearer {key_pair[1]}", "Content-Type": "application/json", "A2A-Version": "1.0"}
    broken = httpx.post(f"{server}/a2a/jsonrpc", content=b"{not json", headers=headers, timeout=10)
    unknown = httpx.post(
        f"{server}/a2a/jsonrpc", json={"jsonrpc": "2.0", "id": 7, "method": "NoSuchMethod"}, headers=headers, timeout=10
    )

    assert broken.status_code < 500 and broken.json()["error"]["code"] == -32700
    assert unknown.status_code < 500 and unknown.json()["error"]["code"] == -32601


def test_plain_text_is_read_as_a_search_unless_it_asks_to_book():
    assert read_request([new_text_part("sunset cocktails in Uluwatu")])[0] == "venue.search"
    assert read_request([new_text_part("Book a table for 2 at La Brisa tomorrow 7pm")])[0] == "booking.request"
    skill, args = read_request([new_data_part({"skill": "booking.status", "reference": "AG-1"})])
    assert skill == "booking.status" and args == {"reference": "AG-1"}


def test_a_platform_card_stored_before_the_endpoint_existed_is_rebuilt_on_fetch(client):
    from agents.models import AgentCard
    from agents.network.registry import platform_agent

    stored, _ = cards.card_publish(agent=platform_agent())
    old = dict(stored.card)
    old["supportedInterfaces"] = [i for i in old["supportedInterfaces"] if i["protocolBinding"] != "JSONRPC"]
    AgentCard.objects.filter(pk=stored.pk).update(card=old, etag="card-from-before-the-endpoint")

    served = client.get("/.well-known/agent-card.json").json()

    assert served["supportedInterfaces"][0]["protocolBinding"] == "JSONRPC"


def test_an_oversized_body_is_refused_with_413_before_the_sdk_reads_it(server, key_pair, settings):
    headers = {"Authorization": f"Bearer {key_pair[1]}", "Content-Type": "application/json"}
    huge = (
        b'{"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"pad": "' + b"x" * (4 * 1024 * 1024) + b'"}}'
    )

    declared = httpx.post(f"{server}/a2a/jsonrpc", content=huge, headers=headers, timeout=30)
    chunked = httpx.post(f"{server}/a2a/jsonrpc", content=iter([huge[: 1024 * 1024]] * 4), headers=headers, timeout=30)

    assert declared.status_code == 413 and declared.json()["error"] == "payload_too_large"
    assert chunked.status_code == 413
