"""A deployed agent on the network: MCP tool (official client), A2A agent (stock a2a-sdk
client), live SSE events — all against a real uvicorn."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import httpx2
import pytest
from a2a.client import ClientConfig, create_client
from a2a.helpers import get_data_parts, new_data_part, new_message
from a2a.types import Role, SendMessageRequest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from agents.hosted.tests.conftest import make_agent
from agents.services import api_key_create
from agents.tests.live_asgi import asgi_server  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "def handler(event):\n    log('greeting', event['name'])\n    return {'greeting': 'Hello ' + event['name']}\n"
SCHEMAS = {"input_schema": {"name": "string"}, "output_schema": {"greeting": "string"}}


@pytest.fixture
def server(asgi_server, settings):
    settings.PUBLIC_BASE_URL = asgi_server
    return asgi_server


@pytest.fixture
def keys(django_user_model):
    owner = django_user_model.objects.create_user(username="publisher", password="x")
    stranger = django_user_model.objects.create_user(username="outsider", password="x")
    return owner, api_key_create(owner=owner, name="own", tier="free"), api_key_create(owner=stranger, name="x")


def _run(coroutine, timeout: float = 60):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


async def _mcp(base_url: str, token: str, call: tuple[str, dict] | None = None):
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        async with streamable_http_client(f"{base_url}/mcp", http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = (await session.list_tools()).tools
                result = await session.call_tool(*call) if call else None
                return tools, result


def test_a_deployed_agent_is_an_mcp_tool_for_keys_allowed_to_run_it(server, keys):
    owner, (_, token), (_, stranger_token) = keys
    make_agent(owner, code=CODE, name="Greeter", friendly_name="greeter", **SCHEMAS)

    tools, result = _run(_mcp(server, token, ("agent_greeter", {"name": "Ana"})))
    tool = next(t for t in tools if t.name == "agent_greeter")
    assert tool.input_schema["properties"] == {"name": {"type": "string"}}
    assert tool.output_schema["properties"] == {"greeting": {"type": "string"}}
    assert not result.is_error and result.structured_content == {"greeting": "Hello Ana"}

    stranger_tools, refused = _run(_mcp(server, stranger_token, ("agent_greeter", {"name": "x"})))
    assert "agent_greeter" not in {t.name for t in stranger_tools}
    assert refused.is_error and "not_found" in refused.content[0].text


def test_a_public_agent_answers_a_stock_a2a_client_from_its_own_card(server, keys):
    owner, _, (_, stranger_token) = keys
    make_agent(owner, code=CODE, name="Greeter", friendly_name="greeter", visibility="public", **SCHEMAS)
    card_url = f"{server}/agents/hosted/greeter"

    async def scenario():
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stranger_token}"}, timeout=30) as http:
            client = await create_client(card_url, client_config=ClientConfig(httpx_client=http, streaming=False))
            message = new_message([new_data_part({"name": "Budi"})], role=Role.ROLE_USER, context_id=str(uuid.uuid4()))
            responses = [r async for r in client.send_message(SendMessageRequest(message=message))]
            return client._card, responses

    card, responses = _run(scenario())
    assert card.supported_interfaces[0].url == f"{server}/agents/hosted/greeter/a2a/jsonrpc"
    task = responses[-1].task
    assert task.status.state == 3  # TASK_STATE_COMPLETED
    assert get_data_parts(task.artifacts[0].parts)[0] == {"greeting": "Hello Budi"}


def test_a_private_agents_card_and_endpoint_are_not_found_for_others(server, keys):
    owner, _, (_, stranger_token) = keys
    make_agent(owner, code=CODE, name="Greeter", friendly_name="secret-agent", **SCHEMAS)
    assert httpx.get(f"{server}/agents/hosted/secret-agent/.well-known/agent-card.json").status_code == 404
    refused = httpx.post(
        f"{server}/agents/hosted/secret-agent/a2a/jsonrpc",
        headers={"Authorization": f"Bearer {stranger_token}"},
        json={"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {}},
    )
    assert refused.status_code == 404


def test_run_events_stream_live_over_the_asgi_side(server, keys):
    owner, (_, token), _ = keys
    make_agent(owner, code=CODE, name="Greeter", friendly_name="greeter", **SCHEMAS)
    headers = {"Authorization": f"Bearer {token}"}
    run = httpx.post(f"{server}/a2a/v1/agents/greeter/run", headers=headers, json={"name": "Ana"}, timeout=30).json()

    frames = []
    with httpx.stream("GET", f"{server}/a2a/v1/runs/{run['id']}/events", headers=headers, timeout=30) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event:"):
                frames.append(line.split(":", 1)[1].strip())
            if line.startswith("data:") and frames[-1] == "log":
                assert json.loads(line[5:])["data"]["message"] == "greeting Ana"
    assert frames[0] == "status" and "log" in frames and "output" in frames and frames[-1] == "end"
    resumed = httpx.get(
        f"{server}/a2a/v1/runs/{run['id']}/events", headers={**headers, "Last-Event-ID": "3"}, timeout=30
    ).text
    assert "id: 1\n" not in resumed and "event: end" in resumed
