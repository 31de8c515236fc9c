"""Deployed hosted agents on the network: MCP tools on /mcp and A2A agents with their own
cards and JSON-RPC endpoints (/agents/hosted/<friendly_name>/…).

Both transports run an agent through the same services as POST /a2a/v1/agents/{name}/run
(the request's API key is the caller and its owner pays), so visibility, allowance,
schemas and the trace are the same everywhere."""

from __future__ import annotations

import time
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from agents.hosted import selectors, services
from agents.hosted.models import CallerKind, Deployment
from agents.hosted.state import RunStatus

MCP_TOOL_PREFIX = "agent_"


def mcp_tool_name(friendly_name: str) -> str:
    return MCP_TOOL_PREFIX + friendly_name


def mcp_tools_for(*, owner_id) -> list[dict[str, Any]]:
    """The MCP tool definitions of every deployment this key may run."""
    tools = []
    for deployment in selectors.deployments_runnable_by(owner_id=owner_id):
        version = deployment.version
        input_schema = version.input_schema or {"type": "object"}
        if input_schema.get("type") != "object":
            input_schema = {"type": "object"}
        output_schema = version.output_schema if (version.output_schema or {}).get("type") == "object" else None
        tools.append(
            {
                "name": mcp_tool_name(deployment.friendly_name),
                "title": version.name,
                "description": (version.description or f"The hosted agent {deployment.friendly_name}.")[:1000],
                "input_schema": input_schema,
                "output_schema": output_schema,
            }
        )
    return tools


def run_for_key(*, api_key, friendly_name: str, payload: Any, idempotency_key: str = "", wait: bool = True):
    """Run a deployment for an API key (sync: to the end, bounded by HOSTED_SYNC_WAIT_SECONDS)."""
    from agents.hosted.runner import execute

    deployment: Deployment = services.deployment_for_caller(friendly_name=friendly_name, owner_id=api_key.owner_id)
    run, created = services.run_create(
        deployment=deployment,
        input=payload if payload is not None else {},
        caller_kind=CallerKind.API_KEY,
        caller_ref=f"apikey:{api_key.pk}",
        payer=api_key.owner,
        api_key=api_key,
        is_async=not wait,
        idempotency_key=idempotency_key,
    )
    if created and wait:
        run = execute(run_id=run.pk, deadline=time.monotonic() + float(settings.HOSTED_SYNC_WAIT_SECONDS))
    # loaded with what run_public reads, so async callers touch no lazy relation
    return type(run).objects.select_related("version").get(pk=run.pk)


def _fresh(fn):
    def call(*args, **kwargs):
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return call


async def run_for_key_async(**kwargs):
    """run_for_key off the event loop on a thread of its own: a run may take seconds, and the
    thread-sensitive executor is shared by every ORM call of the process."""
    return await sync_to_async(_fresh(run_for_key), thread_sensitive=False)(**kwargs)


def run_summary(run) -> dict[str, Any]:
    return selectors.run_public(run)


def is_ok(run) -> bool:
    return run.status == RunStatus.SUCCEEDED
