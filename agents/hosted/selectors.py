"""Reads for hosted agents, and the public JSON shapes the API, MCP, A2A and demos share."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from agents.hosted.errors import NotFound
from agents.hosted.models import (
    AgentRun,
    DemoApp,
    Deployment,
    HostedAgent,
    ProviderKey,
    RunEvent,
    UsageEntry,
    Visibility,
)


def _uuid_ok(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def agents_of(*, owner) -> list[HostedAgent]:
    return list(
        HostedAgent.objects.filter(owner=owner, deleted_at__isnull=True)
        .select_related("deployment")
        .order_by("-created_at")
    )


def agent_of(*, owner, agent_id: str) -> HostedAgent:
    agent = (
        HostedAgent.objects.filter(pk=agent_id, owner=owner, deleted_at__isnull=True).first()
        if _uuid_ok(agent_id)
        else None
    )
    if agent is None:
        raise NotFound(f"no hosted agent {agent_id}")
    return agent


def deployment_public(deployment: Deployment | None) -> dict[str, Any] | None:
    if deployment is None:
        return None
    return {
        "friendly_name": deployment.friendly_name,
        "version": deployment.version.number,
        "visibility": deployment.visibility,
        "run_url": f"/a2a/v1/agents/{deployment.friendly_name}/run",
        "created_at": deployment.created_at,
        "updated_at": deployment.updated_at,
    }


def agent_public(agent: HostedAgent) -> dict[str, Any]:
    deployment = Deployment.objects.filter(agent=agent).select_related("version").first()
    return {
        "id": str(agent.pk),
        "name": agent.name,
        "description": agent.description,
        "code": agent.code,
        "input_schema": agent.input_schema,
        "output_schema": agent.output_schema,
        "tools": list(agent.tools),
        "mcp_servers": list(agent.mcp_servers),
        "dependencies": list(agent.dependencies),
        "allowed_models": list(agent.allowed_models),
        "interaction": agent.interaction,
        "version": agent.current_version,
        "deployment": deployment_public(deployment),
        "created_at": agent.created_at,
        "updated_at": agent.updated_at,
    }


def version_public(version) -> dict[str, Any]:
    return {
        "number": version.number,
        "name": version.name,
        "description": version.description,
        "code": version.code,
        "input_schema": version.input_schema,
        "output_schema": version.output_schema,
        "tools": list(version.tools),
        "dependencies": list(version.dependencies),
        "allowed_models": list(version.allowed_models),
        "created_at": version.created_at,
    }


def run_public(run: AgentRun) -> dict[str, Any]:
    return {
        "id": str(run.pk),
        "agent": run.friendly_name,
        "version": run.version.number if run.version_id else None,
        "status": run.status,
        "input": run.input,
        "output": run.output,
        "error": {"code": run.error_code, "message": run.error} if run.error_code else None,
        "cost_micros": run.cost_micros,
        "cost_usd": f"{run.cost_micros / 1_000_000:.6f}",
        "tokens": {"in": run.tokens_in, "out": run.tokens_out},
        "parent": str(run.parent_id) if run.parent_id else None,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_ms": run.duration_ms,
        "events_url": f"/a2a/v1/runs/{run.pk}/events",
    }


def run_for_user(*, user_id, run_id: str) -> AgentRun:
    """A run the user may see: one they asked for or paid, or a run of one of their agents."""
    run = (
        AgentRun.objects.select_related("version")
        .filter(Q(payer_id=user_id) | Q(agent__owner_id=user_id) | Q(user_id=user_id), pk=run_id)
        .first()
        if _uuid_ok(run_id)
        else None
    )
    if run is None:
        raise NotFound(f"no run {run_id}")
    return run


def event_public(event: RunEvent) -> dict[str, Any]:
    return {"seq": event.seq, "kind": event.kind, "data": event.data, "at": event.created_at.isoformat()}


def run_events_after(*, run_id, after: int = 0, limit: int = 500) -> list[RunEvent]:
    return list(RunEvent.objects.filter(run_id=run_id, seq__gt=after).order_by("seq")[:limit])


def usage_of(*, user, limit: int = 50) -> dict[str, Any]:
    from agents.hosted.allowance import allowance_snapshot
    from agents.hosted.models import Allowance

    allowance_snapshot(user=user)
    allowance = Allowance.objects.get(user=user)
    entries = UsageEntry.objects.filter(user=user).order_by("-created_at")[:limit]
    return {
        "plan": allowance.plan,
        "period": {"start": allowance.period_start, "end": allowance.period_end},
        "allowance_micros": allowance.allowance_micros,
        "spent_micros": allowance.spent_micros,
        "reserved_micros": allowance.reserved_micros,
        "remaining_micros": allowance.remaining_micros,
        "overage_micros": allowance.overage_micros,
        "remaining_usd": f"{allowance.remaining_micros / 1_000_000:.6f}",
        "entries": [
            {
                "kind": e.kind,
                "amount_micros": e.amount_micros,
                "overage_micros": e.overage_micros,
                "balance_after_micros": e.balance_after_micros,
                "run": str(e.run_id) if e.run_id else None,
                "description": e.description,
                "at": e.created_at,
            }
            for e in entries
        ],
    }


def provider_keys_of(*, owner) -> list[dict[str, Any]]:
    return [
        {
            "provider": k.provider,
            "last_four": k.last_four,
            "created_at": k.created_at,
            "updated_at": k.updated_at,
            "last_used_at": k.last_used_at,
        }
        for k in ProviderKey.objects.filter(owner=owner).order_by("provider")
    ]


def deployments_runnable_by(*, owner_id) -> list[Deployment]:
    """Deployments a key of ``owner_id`` may run: its own and every public one (MCP tools)."""
    return list(
        Deployment.objects.select_related("agent", "version")
        .filter(agent__deleted_at__isnull=True)
        .filter(Q(agent__owner_id=owner_id) | Q(visibility=Visibility.PUBLIC))
        .order_by("friendly_name")[:200]
    )


def demos_of(*, agent: HostedAgent) -> list[DemoApp]:
    return list(DemoApp.objects.filter(agent=agent).order_by("-created_at"))


def demo_of(*, agent: HostedAgent, slug: str) -> DemoApp:
    """One of the agent's demos by slug (404 for any other, whoever's it is)."""
    demo = DemoApp.objects.filter(agent=agent, slug=(slug or "")[:64]).first()
    if demo is None:
        raise NotFound(f"no demo {slug!r} on this agent")
    return demo


def demo_public(demo: DemoApp) -> dict[str, Any]:
    from django.conf import settings

    return {
        "id": str(demo.pk),
        "agent_id": str(demo.agent_id),
        "slug": demo.slug,
        "url": f"{settings.PUBLIC_BASE_URL.rstrip('/')}/demos/{demo.slug}",
        "title": demo.title,
        "description": demo.description,
        "visibility": "public" if demo.is_public else "private",
        "active": demo.is_active,
        "rate_limit_per_minute": demo.rate_limit_per_minute,
        "spend_cap_micros": demo.spend_cap_micros,
        "spent_micros": demo.spent_micros,
        "created_at": demo.created_at,
        "updated_at": demo.updated_at,
    }
