"""Each deployed hosted agent as an A2A agent: its own AgentCard at
/agents/hosted/<friendly_name>/.well-known/agent-card.json and a JSON-RPC endpoint at
/agents/hosted/<friendly_name>/a2a/jsonrpc that stock a2a-sdk clients call.

A message's first DataPart is the agent's input (a text part that is a JSON object works
too; other text becomes ``{"text": …}``). ``SendMessage`` starts an async run on the
``hosted`` queue and answers with its A2A Task, kept in PostgreSQL like the platform
agent's (agents.platform.a2a_tasks): completed with the output as an artifact when the
run ends within HOSTED_A2A_WAIT_SECONDS, else submitted or working. The task follows the
run — pending → submitted, running → working, succeeded → completed, failed and timed_out
→ failed, cancelled → canceled — for ``GetTask``, ``SendStreamingMessage`` /
``SubscribeToTask`` streams and push notification configs; ``CancelTask`` cancels the
run. Public deployments publish their card to anyone; the JSON-RPC endpoint takes an AGNT
API key like the rest of the network, and a private deployment answers only its owner's
keys.
"""

from __future__ import annotations

import json
from typing import Any

from a2a.helpers import get_data_parts, get_text_parts
from a2a.server.request_handlers.response_helpers import agent_card_to_dict
from a2a.types import (
    AgentCapabilities,
    AgentInterface,
    AgentProvider,
    AgentSkill,
    HTTPAuthSecurityScheme,
    SecurityRequirement,
    SecurityScheme,
)
from a2a.types import AgentCard as A2AAgentCard
from django.conf import settings
from django.http import HttpRequest, JsonResponse

from agents.api.a2a_jsonrpc import HOSTED_SCOPE, PlatformAgentJsonRpc
from agents.api.asgi_auth import ApiKeyAuthMiddleware, run_orm
from agents.hosted import services
from agents.hosted.models import Deployment, Visibility
from agents.platform import external as network

MODES = ["application/json", "text/plain"]


def _base() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/")


def jsonrpc_path(friendly_name: str) -> str:
    return f"/agents/hosted/{friendly_name}/a2a/jsonrpc"


def build_card(deployment: Deployment) -> dict[str, Any]:
    version = deployment.version
    card = A2AAgentCard(
        name=version.name,
        description=(version.description or f"The hosted agent {deployment.friendly_name} on AGNT.")[:1000],
        supported_interfaces=[
            AgentInterface(
                url=_base() + jsonrpc_path(deployment.friendly_name), protocol_binding="JSONRPC", protocol_version="1.0"
            )
        ],
        provider=AgentProvider(organization="AGNT", url=_base()),
        version=str(version.number),
        documentation_url=f"{_base()}/a2a/v1/docs",
        capabilities=AgentCapabilities(streaming=True, push_notifications=True, extended_agent_card=False),
        security_schemes={
            "apiKeyBearer": SecurityScheme(
                http_auth_security_scheme=HTTPAuthSecurityScheme(
                    scheme="bearer", description="An AGNT API key (agnt_live_…), as Authorization: Bearer."
                )
            )
        },
        security_requirements=[SecurityRequirement(schemes={"apiKeyBearer": {"list": []}})],
        default_input_modes=MODES,
        default_output_modes=MODES,
        skills=[
            AgentSkill(
                id=deployment.friendly_name,
                name=version.name,
                description=(
                    "Send the input as a DataPart matching this JSON Schema: " + json.dumps(version.input_schema)
                )[:2000],
                tags=["hosted-agent"],
                input_modes=MODES,
                output_modes=MODES,
            )
        ],
    )
    return agent_card_to_dict(card)


def card_view(request: HttpRequest, friendly_name: str) -> JsonResponse:
    deployment = (
        Deployment.objects.select_related("version")
        .filter(friendly_name=friendly_name, visibility=Visibility.PUBLIC, agent__deleted_at__isnull=True)
        .first()
    )
    if deployment is None:
        response = JsonResponse(
            {"error": "not_found", "message": f"no public hosted agent {friendly_name!r}"}, status=404
        )
    else:
        response = JsonResponse(build_card(deployment))
        response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def read_input(parts) -> Any:
    for data in get_data_parts(parts):
        if isinstance(data, dict):
            return _ints(data)
    text = " ".join(get_text_parts(parts)).strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
            if isinstance(value, dict):
                return value
        except ValueError:
            pass
    return {"text": text}


def _ints(value: Any) -> Any:
    # DataPart numbers arrive as doubles (protobuf Value): 2.0 means 2
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


class HostedJsonRpc:
    """ASGI app for POST /agents/hosted/<friendly_name>/a2a/jsonrpc: the platform's JSON-RPC
    handler (PostgreSQL task store, streams, push configs), with tasks bound to this agent."""

    def __init__(self) -> None:
        self._rpc = PlatformAgentJsonRpc()

    async def __call__(self, scope, receive, send) -> None:
        from agents.api.asgi_auth import _respond, scope_api_key

        friendly_name = scope["url_route"]["kwargs"]["friendly_name"]
        api_key = scope_api_key(scope)
        try:
            await run_orm(services.deployment_for_caller, friendly_name=friendly_name, owner_id=api_key.owner_id)
        except network.NotFound:
            await _respond(send, 404, {"error": "not_found", "message": f"no agent {friendly_name!r}"})
            return
        await self._rpc({**scope, HOSTED_SCOPE: friendly_name}, receive, send)


def build_asgi_app():
    return ApiKeyAuthMiddleware(
        HostedJsonRpc(),
        realm="agnt-a2a",
        max_body_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        parse_error_status=200,
    )
