"""Each deployed hosted agent as an A2A agent: its own AgentCard at
/agents/hosted/<friendly_name>/.well-known/agent-card.json and a JSON-RPC endpoint at
/agents/hosted/<friendly_name>/a2a/jsonrpc that stock a2a-sdk clients call.

A message's first DataPart is the agent's input (a text part that is a JSON object works
too; other text becomes ``{"text": …}``). The run is an A2A Task: the SDK's task store
sees it submitted → working → completed (the output as a DataPart artifact) or failed;
``CancelTask`` cancels the run. Public deployments publish their card to anyone; the
JSON-RPC endpoint takes an AGNT API key like the rest of the network, and a private
deployment answers only its owner's keys.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any

from a2a.helpers import get_data_parts, get_text_parts, new_data_part, new_text_part
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.request_handlers.response_helpers import agent_card_to_dict
from a2a.server.routes import create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
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
from starlette.applications import Starlette

from agents.api.a2a_jsonrpc import ApiKeyCallContextBuilder
from agents.api.asgi_auth import ApiKeyAuthMiddleware, run_orm
from agents.hosted import services
from agents.hosted.errors import NetworkError, NotFound
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
        capabilities=AgentCapabilities(streaming=False, push_notifications=False, extended_agent_card=False),
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


class HostedAgentExecutor(AgentExecutor):
    def __init__(self, friendly_name: str) -> None:
        self.friendly_name = friendly_name

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        from a2a.helpers import new_task
        from a2a.types import TaskState

        from agents.hosted.publish import run_for_key_async, run_summary

        history = [context.message] if context.message else []
        await event_queue.enqueue_event(
            new_task(context.task_id, context.context_id, TaskState.TASK_STATE_SUBMITTED, history=history)
        )
        updater = TaskUpdater(event_queue, context.task_id, context.context_id)
        api_key = context.call_context.state.get("api_key") if context.call_context else None
        payload = read_input(context.message.parts if context.message else [])
        await updater.start_work()
        try:
            # the A2A task id is the run's Idempotency-Key: a resent task returns the same run,
            # and CancelTask finds the run by it
            run = await run_for_key_async(
                api_key=api_key, friendly_name=self.friendly_name, payload=payload, idempotency_key=context.task_id
            )
        except NetworkError as exc:
            await updater.failed(
                updater.new_agent_message(
                    [
                        new_text_part(f"{exc.code}: {exc.detail}"),
                        new_data_part({"error": {"code": exc.code, "message": exc.detail, "field": exc.field}}),
                    ]
                )
            )
            return
        summary = run_summary(run)
        if run.status == "succeeded":
            await updater.add_artifact(
                [new_data_part(run.output if isinstance(run.output, dict) else {"output": run.output})], name="output"
            )
            await updater.complete(
                updater.new_agent_message(
                    [
                        new_text_part(json.dumps(run.output)),
                        new_data_part({"run": summary["id"], "cost_micros": run.cost_micros}),
                    ]
                )
            )
        else:
            error = summary["error"] or {"code": run.status, "message": run.status}
            await updater.failed(
                updater.new_agent_message(
                    [
                        new_text_part(f"{error['code']}: {error['message']}"),
                        new_data_part({"run": summary["id"], "error": error}),
                    ]
                )
            )

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        from agents.hosted.models import AgentRun
        from agents.hosted.state import RunStatus

        api_key = context.call_context.state.get("api_key") if context.call_context else None

        def cancel_task_run():
            run = AgentRun.objects.filter(
                caller_ref=f"apikey:{getattr(api_key, 'pk', None)}",
                idempotency_key=context.task_id,
                status__in=[RunStatus.PENDING, RunStatus.RUNNING],
            ).first()
            if run is not None:
                services.run_cancel(run=run)

        await run_orm(cancel_task_run)
        updater = TaskUpdater(event_queue, context.task_id, context.context_id)
        await updater.cancel()


def _build(friendly_name: str) -> Starlette:
    deployment = (
        Deployment.objects.select_related("version")
        .filter(friendly_name=friendly_name, agent__deleted_at__isnull=True)
        .first()
    )
    if deployment is None:
        raise NotFound(f"no hosted agent {friendly_name!r}")
    from agents.network.cards import validate_card

    card = validate_card(build_card(deployment))
    handler = DefaultRequestHandler(
        agent_executor=HostedAgentExecutor(friendly_name), task_store=InMemoryTaskStore(), agent_card=card
    )
    routes = create_jsonrpc_routes(
        handler, rpc_url=jsonrpc_path(friendly_name), context_builder=ApiKeyCallContextBuilder()
    )
    return Starlette(routes=routes)


class HostedJsonRpc:
    """ASGI app for POST /agents/hosted/<friendly_name>/a2a/jsonrpc (one SDK app per agent and loop)."""

    def __init__(self) -> None:
        self._apps: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Starlette]] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope, receive, send) -> None:
        from agents.api.asgi_auth import _respond, scope_api_key

        friendly_name = scope["url_route"]["kwargs"]["friendly_name"]
        api_key = scope_api_key(scope)
        try:
            await run_orm(services.deployment_for_caller, friendly_name=friendly_name, owner_id=api_key.owner_id)
        except network.NotFound:
            await _respond(send, 404, {"error": "not_found", "message": f"no agent {friendly_name!r}"})
            return
        apps = self._apps.setdefault(asyncio.get_running_loop(), {})
        app = apps.get(friendly_name)
        if app is None:
            app = apps[friendly_name] = await run_orm(_build, friendly_name)
        await app(scope, receive, send)


def build_asgi_app():
    return ApiKeyAuthMiddleware(HostedJsonRpc(), realm="agnt-a2a", max_body_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
