"""Hosted agents on the external API (/a2a/v1, django-ninja): definitions, deployments,
demo pages, runs, usage and provider keys. Same keys, limits and problem+json as the rest of the API
(agents/api/ninja.py adds this router). Each route validates, calls a service or
selector, serializes."""

from __future__ import annotations

import json
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Header, Router, Schema, Status
from pydantic import ConfigDict, Field

from agents.api.schemas import Problem
from agents.hosted import selectors, services
from agents.hosted.errors import AllowanceExhaustedError, InvalidRequest
from agents.hosted.models import CallerKind
from agents.hosted.state import RunStatus

router = Router(tags=["hosted agents"])
# dict bodies (the selectors' shapes); 204s have none
# Every route's answers: its successes (JSON objects) and the problem+json errors the /a2a/v1
# API gives (auth, limits, validation, allowance, unknown ids) — declared, so the OpenAPI
# schema says what a client can get.
_PROBLEMS = {code: Problem for code in (400, 401, 402, 403, 404, 409, 413, 415, 422, 429, 503)}
ANY = {200: dict, 201: dict, 202: dict, 204: None, **_PROBLEMS}

IDEMPOTENCY = Header(
    None,
    alias="Idempotency-Key",
    max_length=128,
    pattern=r"^[\x21-\x7e]+$",
    description="Your unique id for this run: a retry with the same key returns the first run.",
)


class AgentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=4000)
    code: str = Field(min_length=1, max_length=100_000, description="Python defining handler(event).")
    input_schema: dict[str, Any] = Field(
        default_factory=dict, description='JSON Schema, or a flat {"field": "string"} map.'
    )
    output_schema: dict[str, Any] = Field(default_factory=dict)
    tools: list[str] = Field(default_factory=list, max_length=30)
    mcp_servers: list[dict[str, str]] = Field(default_factory=list, max_length=10)
    dependencies: list[str] = Field(default_factory=list, max_length=20, description="Friendly names it may call.")
    allowed_models: list[str] = Field(default_factory=list, max_length=20)
    interaction: Literal["form", "chat"] = "form"


class AgentPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=4000)
    code: str | None = Field(None, min_length=1, max_length=100_000)
    input_schema: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    tools: list[str] | None = Field(None, max_length=30)
    mcp_servers: list[dict[str, str]] | None = Field(None, max_length=10)
    dependencies: list[str] | None = Field(None, max_length=20)
    allowed_models: list[str] | None = Field(None, max_length=20)
    interaction: Literal["form", "chat"] | None = None


class DeploymentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    friendly_name: str = Field(max_length=64, description="URL-safe: lowercase letters, digits, inner hyphens.")
    visibility: Literal["private", "public"] = "private"
    version: int | None = Field(None, ge=1, description="Pin this version (default: the latest).")


class GenerateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=4000)
    input_schema: dict[str, Any] = Field(default_factory=dict)
    output_schema: dict[str, Any] = Field(default_factory=dict)
    tools: list[str] = Field(default_factory=list, max_length=30)


class ProviderKeyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=8, max_length=500)


SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"


class DemoIn(Schema):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(
        max_length=64, pattern=SLUG, description="The page's address, /demos/<slug>: lowercase, digits, hyphens."
    )
    title: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=4000)
    visibility: Literal["public", "private"] = Field(
        "private", description="public: anyone with the link; private: only you, signed in."
    )
    rate_limit_per_minute: int = Field(10, ge=1, le=600, description="Runs per visitor (IP address) per minute.")
    spend_cap_micros: int = Field(
        100_000, ge=0, le=10**12, description="Micro-dollars the demo may spend in total (charged to you)."
    )
    active: bool = True


class DemoPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    slug: str | None = Field(None, max_length=64, pattern=SLUG)
    title: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=4000)
    visibility: Literal["public", "private"] | None = None
    rate_limit_per_minute: int | None = Field(None, ge=1, le=600)
    spend_cap_micros: int | None = Field(None, ge=0, le=10**12)
    active: bool | None = None


def _demo_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in data.items() if v is not None}
    if "visibility" in fields:
        fields["is_public"] = fields.pop("visibility") == "public"
    if "active" in fields:
        fields["is_active"] = fields.pop("active")
    return fields


def _owner(request: HttpRequest):
    return request.auth.owner


@router.get("/hosted-agents", response=ANY, summary="Your hosted agents")
def agent_list(request: HttpRequest):
    return {"items": [selectors.agent_public(a) for a in selectors.agents_of(owner=_owner(request))]}


@router.post("/hosted-agents", response=ANY, summary="Create a hosted agent (version 1)")
def agent_create(request: HttpRequest, data: AgentIn):
    agent = services.hosted_agent_create(owner=_owner(request), **data.model_dump())
    return Status(201, selectors.agent_public(agent))


@router.post("/hosted-agents/generate", response=ANY, summary="Write agent code from a description, schemas and tools")
def agent_generate(request: HttpRequest, data: GenerateIn):
    from agents.hosted.generate import generate
    from agents.hosted.schemas import SchemaProblem

    try:
        return generate(owner=_owner(request), **data.model_dump())
    except SchemaProblem as exc:
        raise InvalidRequest(exc.detail, field=exc.field) from None


@router.get("/hosted-agents/{agent_id}", response=ANY, summary="One of your hosted agents")
def agent_get(request: HttpRequest, agent_id: str):
    return selectors.agent_public(selectors.agent_of(owner=_owner(request), agent_id=agent_id))


@router.patch("/hosted-agents/{agent_id}", response=ANY, summary="Change an agent (a new version)")
def agent_update(request: HttpRequest, agent_id: str, data: AgentPatch):
    agent = selectors.agent_of(owner=_owner(request), agent_id=agent_id)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    agent = services.hosted_agent_update(agent=agent, actor=_owner(request), **changes)
    return selectors.agent_public(agent)


@router.delete("/hosted-agents/{agent_id}", response=ANY, summary="Delete an agent (it is undeployed)")
def agent_delete(request: HttpRequest, agent_id: str):
    services.hosted_agent_delete(agent=selectors.agent_of(owner=_owner(request), agent_id=agent_id))
    return Status(204, None)


@router.get("/hosted-agents/{agent_id}/versions", response=ANY, summary="The agent's immutable versions, newest first")
def agent_versions(request: HttpRequest, agent_id: str):
    agent = selectors.agent_of(owner=_owner(request), agent_id=agent_id)
    return {"items": [selectors.version_public(v) for v in agent.versions.order_by("-number")]}


@router.post("/hosted-agents/{agent_id}/deployment", response=ANY, summary="Deploy (or re-pin) at a friendly name")
def deployment_create(request: HttpRequest, agent_id: str, data: DeploymentIn):
    agent = selectors.agent_of(owner=_owner(request), agent_id=agent_id)
    existed = hasattr(agent, "deployment") and agent.deployment is not None
    deployment = services.deployment_create(
        agent=agent, friendly_name=data.friendly_name, visibility=data.visibility, version_number=data.version
    )
    return Status(200 if existed else 201, selectors.deployment_public(deployment))


@router.delete("/hosted-agents/{agent_id}/deployment", response=ANY, summary="Undeploy")
def deployment_delete(request: HttpRequest, agent_id: str):
    services.deployment_delete(agent=selectors.agent_of(owner=_owner(request), agent_id=agent_id))
    return Status(204, None)


@router.get("/hosted-agents/{agent_id}/demos", response=ANY, summary="The agent's demo pages")
def demo_list(request: HttpRequest, agent_id: str):
    agent = selectors.agent_of(owner=_owner(request), agent_id=agent_id)
    return {"items": [selectors.demo_public(d) for d in selectors.demos_of(agent=agent)]}


@router.post(
    "/hosted-agents/{agent_id}/demos", response=ANY, summary="Give the deployed agent a demo page at /demos/{slug}"
)
def demo_create(request: HttpRequest, agent_id: str, data: DemoIn):
    agent = selectors.agent_of(owner=_owner(request), agent_id=agent_id)
    demo = services.demo_app_create(agent=agent, **_demo_fields(data.model_dump()))
    return Status(201, selectors.demo_public(demo))


@router.get("/hosted-agents/{agent_id}/demos/{slug}", response=ANY, summary="One of the agent's demo pages")
def demo_get(request: HttpRequest, agent_id: str, slug: str):
    agent = selectors.agent_of(owner=_owner(request), agent_id=agent_id)
    return selectors.demo_public(selectors.demo_of(agent=agent, slug=slug))


@router.patch(
    "/hosted-agents/{agent_id}/demos/{slug}",
    response=ANY,
    summary="Change a demo page (slug, title, visibility, rate limit, spend cap, active)",
)
def demo_update(request: HttpRequest, agent_id: str, slug: str, data: DemoPatch):
    agent = selectors.agent_of(owner=_owner(request), agent_id=agent_id)
    demo = selectors.demo_of(agent=agent, slug=slug)
    demo = services.demo_app_update(demo=demo, **_demo_fields(data.model_dump(exclude_unset=True)))
    return selectors.demo_public(demo)


@router.delete("/hosted-agents/{agent_id}/demos/{slug}", response=ANY, summary="Delete a demo page")
def demo_delete(request: HttpRequest, agent_id: str, slug: str):
    agent = selectors.agent_of(owner=_owner(request), agent_id=agent_id)
    services.demo_app_delete(demo=selectors.demo_of(agent=agent, slug=slug))
    return Status(204, None)


def _body(request: HttpRequest) -> Any:
    from agents.api.ninja import _nul_field

    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"the body is not valid JSON ({exc})", field="body") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the body (the agent's input) must be a JSON object", field="body")
    field = _nul_field(data)
    if field:
        raise InvalidRequest("NUL characters are not allowed", field=field)
    return data


def _start(request: HttpRequest, friendly_name: str, *, is_async: bool, idempotency_key: str | None):
    api_key = request.auth
    deployment = services.deployment_for_caller(friendly_name=friendly_name, owner_id=api_key.owner_id)
    return services.run_create(
        deployment=deployment,
        input=_body(request),
        caller_kind=CallerKind.API_KEY,
        caller_ref=f"apikey:{api_key.pk}",
        payer=api_key.owner,
        api_key=api_key,
        is_async=is_async,
        idempotency_key=idempotency_key or "",
    )


@router.post(
    "/agents/{friendly_name}/run", response=ANY, summary="Run a deployed agent and wait for its output (bounded)"
)
def agent_run(request: HttpRequest, friendly_name: str, idempotency_key: str | None = IDEMPOTENCY):
    import time

    from agents.hosted.runner import execute

    run, created = _start(request, friendly_name, is_async=False, idempotency_key=idempotency_key)
    if created:
        run = execute(run_id=run.pk, deadline=time.monotonic() + float(settings.HOSTED_SYNC_WAIT_SECONDS))
    if run.error_code == "allowance_exhausted":
        raise AllowanceExhaustedError(run.error, extra={"run": selectors.run_public(run)})
    return selectors.run_public(run)


@router.post("/agents/{friendly_name}/runs", response=ANY, summary="Start an async run (202); follow it at /runs/{id}")
def agent_run_async(request: HttpRequest, friendly_name: str, idempotency_key: str | None = IDEMPOTENCY):
    run, created = _start(request, friendly_name, is_async=True, idempotency_key=idempotency_key)
    run.refresh_from_db()
    response = Status(202 if created else 200, selectors.run_public(run))
    return response


@router.get("/runs/{run_id}", response=ANY, summary="A run: status, output or error, cost")
def run_get(request: HttpRequest, run_id: str):
    return selectors.run_public(selectors.run_for_user(user_id=request.auth.owner_id, run_id=run_id))


@router.post("/runs/{run_id}/cancel", response=ANY, summary="Cancel a pending or running run")
def run_cancel(request: HttpRequest, run_id: str):
    run = selectors.run_for_user(user_id=request.auth.owner_id, run_id=run_id)
    return selectors.run_public(services.run_cancel(run=run))


@router.get(
    "/runs/{run_id}/events",
    response={200: None, **_PROBLEMS},
    summary="The run's trace as server-sent events (streams live over ASGI)",
    openapi_extra={"responses": {"200": {"description": "text/event-stream: one event per trace entry, then `end`"}}},
)
def run_events(request: HttpRequest, run_id: str):
    run = selectors.run_for_user(user_id=request.auth.owner_id, run_id=run_id)
    after = _last_event_id(request.headers.get("Last-Event-ID"))
    body = "".join(sse_frame(selectors.event_public(e)) for e in selectors.run_events_after(run_id=run.pk, after=after))
    if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.TIMED_OUT):
        body += "event: end\ndata: {}\n\n"
    return HttpResponse(body, content_type="text/event-stream")


def _last_event_id(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def sse_frame(event: dict[str, Any]) -> str:
    return f"id: {event['seq']}\nevent: {event['kind']}\ndata: {json.dumps(event, default=str)}\n\n"


@router.get("/usage", response=ANY, summary="Your allowance this month and its ledger")
def usage(request: HttpRequest):
    return selectors.usage_of(user=_owner(request))


@router.get("/provider-keys", response=ANY, summary="Your LLM provider keys (provider, last four characters, dates)")
def provider_key_list(request: HttpRequest):
    return {"items": selectors.provider_keys_of(owner=_owner(request))}


@router.put(
    "/provider-keys/{provider}", response=ANY, summary="Store your key for a provider (encrypted; never shown again)"
)
def provider_key_put(request: HttpRequest, provider: str, data: ProviderKeyIn):
    row = services.provider_key_set(owner=_owner(request), provider=provider, key=data.key)
    return {
        "provider": row.provider,
        "last_four": row.last_four,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


@router.delete("/provider-keys/{provider}", response=ANY, summary="Forget your key for a provider")
def provider_key_delete(request: HttpRequest, provider: str):
    services.provider_key_delete(owner=_owner(request), provider=provider)
    return Status(204, None)
