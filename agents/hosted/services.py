"""Writes for hosted agents: definitions and their versions, deployments, runs and their
state machine, provider keys. Allowance writes are in agents.hosted.allowance."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from agents.hosted import allowance as allowances
from agents.hosted import tools
from agents.hosted.errors import (
    AllowanceExhaustedError,
    Conflict,
    InvalidRequest,
    NetworkError,
    NotFound,
    RunNotCancellable,
)
from agents.hosted.models import (
    FRIENDLY_NAME_PATTERN,
    AgentRun,
    CallerKind,
    DemoApp,
    Deployment,
    HostedAgent,
    HostedAgentVersion,
    Interaction,
    LlmProvider,
    ProviderKey,
    RunEvent,
    RunEventKind,
    Visibility,
)
from agents.hosted.schemas import SchemaProblem, normalize_schema, validate
from agents.hosted.state import TERMINAL_RUN_STATUSES, RunStatus, can_transition_run

__all__ = ["NetworkError"]

CODE_MAX_CHARS = 100_000
VERSIONED_FIELDS = (
    "name",
    "description",
    "code",
    "input_schema",
    "output_schema",
    "tools",
    "mcp_servers",
    "dependencies",
    "allowed_models",
    "interaction",
)
_FRIENDLY = re.compile(FRIENDLY_NAME_PATTERN)


# --- definitions ---------------------------------------------------------------------------


def _clean_definition(data: dict[str, Any]) -> dict[str, Any]:
    clean = dict(data)
    if "name" in clean:
        clean["name"] = (clean["name"] or "").strip()
        if not clean["name"] or len(clean["name"]) > 120:
            raise InvalidRequest("name must be 1 to 120 characters", field="name")
    if "code" in clean:
        code = clean["code"] or ""
        if not code.strip():
            raise InvalidRequest("code is required", field="code")
        if len(code) > CODE_MAX_CHARS:
            raise InvalidRequest(f"code may be at most {CODE_MAX_CHARS} characters", field="code")
        if "def handler(" not in code:
            raise InvalidRequest("code must define handler(event)", field="code")
    for which in ("input_schema", "output_schema"):
        if which in clean:
            try:
                clean[which] = normalize_schema(clean[which], which=which)
            except SchemaProblem as exc:
                raise InvalidRequest(exc.detail, field=exc.field) from None
    if "tools" in clean:
        names = list(dict.fromkeys(clean["tools"] or []))
        unknown = [n for n in names if not tools.is_known(n)]
        if unknown:
            raise InvalidRequest(
                f"unknown tool {unknown[0]!r}; available: {', '.join(sorted(tools.TOOLS))}", field="tools"
            )
        clean["tools"] = names
    if "mcp_servers" in clean:
        servers = clean["mcp_servers"] or []
        for index, server in enumerate(servers):
            if not isinstance(server, dict) or not isinstance(server.get("name"), str) or not server.get("url"):
                raise InvalidRequest("each MCP server is {name, url}", field=f"mcp_servers.{index}")
            if not str(server["url"]).startswith(("https://", "http://")):
                raise InvalidRequest("MCP server URLs are http(s)", field=f"mcp_servers.{index}.url")
        clean["mcp_servers"] = [{"name": s["name"], "url": str(s["url"])} for s in servers]
    if "dependencies" in clean:
        deps = list(dict.fromkeys(clean["dependencies"] or []))
        bad = [d for d in deps if not _FRIENDLY.match(d)]
        if bad:
            raise InvalidRequest(f"{bad[0]!r} is not a friendly name", field="dependencies")
        clean["dependencies"] = deps
    if "allowed_models" in clean:
        clean["allowed_models"] = list(dict.fromkeys(clean["allowed_models"] or []))
    if "interaction" in clean and clean["interaction"] not in Interaction.values:
        raise InvalidRequest("interaction is form or chat", field="interaction")
    return clean


def _version_save(agent: HostedAgent, actor) -> HostedAgentVersion:
    agent.current_version += 1
    agent.save(update_fields=["current_version", "updated_at"])
    return HostedAgentVersion.objects.create(
        agent=agent,
        number=agent.current_version,
        created_by=actor,
        **{name: getattr(agent, name) for name in VERSIONED_FIELDS},
    )


@transaction.atomic
def hosted_agent_create(*, owner, name: str, code: str, **fields: Any) -> HostedAgent:
    """A new agent at version 1; its owner gets the hosted-agent back office (scoped to them)."""
    data = _clean_definition({"name": name, "code": code, **fields})
    data.setdefault("input_schema", {"type": "object"})
    data.setdefault("output_schema", {"type": "object"})
    agent = HostedAgent.objects.create(owner=owner, **data)
    _version_save(agent, owner)
    _owner_back_office_grant(owner)
    return agent


def _owner_back_office_grant(user) -> None:
    """A user who writes an agent manages it in the back office: ``is_staff`` (admin login)
    and the "Hosted agent owners" group, whose admins show them only their own rows."""
    from django.contrib.auth.models import Group

    from agnt.roles import HOSTED_AGENT_OWNERS

    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    group, _ = Group.objects.get_or_create(name=HOSTED_AGENT_OWNERS)
    user.groups.add(group)


@transaction.atomic
def hosted_agent_update(*, agent: HostedAgent, actor, **changes: Any) -> HostedAgent:
    """Change an agent; every change that touches the definition writes a new version."""
    agent = HostedAgent.objects.select_for_update().get(pk=agent.pk)
    data = _clean_definition({k: v for k, v in changes.items() if k in VERSIONED_FIELDS})
    changed = [k for k, v in data.items() if getattr(agent, k) != v]
    for key in changed:
        setattr(agent, key, data[key])
    if changed:
        agent.save(update_fields=[*changed, "updated_at"])
        _version_save(agent, actor)
    return agent


@transaction.atomic
def hosted_agent_delete(*, agent: HostedAgent) -> None:
    """Delete an agent: it is undeployed and hidden; its runs and usage keep their history."""
    Deployment.objects.filter(agent=agent).delete()
    agent.demos.update(is_active=False)
    HostedAgent.objects.filter(pk=agent.pk).update(deleted_at=timezone.now())


# --- deployments ---------------------------------------------------------------------------


@transaction.atomic
def deployment_create(
    *, agent: HostedAgent, friendly_name: str, visibility: str = Visibility.PRIVATE, version_number: int | None = None
) -> Deployment:
    """Deploy (or re-pin) ``agent`` at ``friendly_name``; the latest version unless told."""
    friendly_name = (friendly_name or "").strip()
    if not _FRIENDLY.match(friendly_name):
        raise InvalidRequest(
            "friendly_name must be 1–64 lowercase letters, digits and inner hyphens (URL-safe)", field="friendly_name"
        )
    if visibility not in Visibility.values:
        raise InvalidRequest("visibility is private or public", field="visibility")
    number = version_number or agent.current_version
    version = HostedAgentVersion.objects.filter(agent=agent, number=number).first()
    if version is None:
        raise NotFound(f"agent has no version {number}", field="version")
    taken = Deployment.objects.filter(friendly_name=friendly_name).exclude(agent=agent).exists()
    if taken:
        raise Conflict(f"the friendly name {friendly_name!r} is taken", field="friendly_name")
    try:
        with transaction.atomic():
            deployment, _ = Deployment.objects.update_or_create(
                agent=agent, defaults={"friendly_name": friendly_name, "version": version, "visibility": visibility}
            )
    except IntegrityError:
        raise Conflict(f"the friendly name {friendly_name!r} is taken", field="friendly_name") from None
    return deployment


@transaction.atomic
def deployment_delete(*, agent: HostedAgent) -> bool:
    deleted, _ = Deployment.objects.filter(agent=agent).delete()
    return bool(deleted)


# --- runs ----------------------------------------------------------------------------------


def run_event_add(*, run: AgentRun, kind: str, data: dict[str, Any]) -> RunEvent:
    """Append one trace event (numbered per run; a row lock on the run orders concurrent writers)."""
    for _ in range(3):
        try:
            with transaction.atomic():
                last = RunEvent.objects.filter(run=run).order_by("-seq").values_list("seq", flat=True).first() or 0
                return RunEvent.objects.create(run=run, seq=last + 1, kind=kind, data=data)
        except IntegrityError:
            continue
    raise RuntimeError("could not number a run event")


def run_hold(*, run: AgentRun, delta: int) -> None:
    """Track what the run holds on its payer's allowance (released by the sweeper if it dies)."""
    AgentRun.objects.filter(pk=run.pk).update(held_micros=F("held_micros") + delta)


def run_root_id(run: AgentRun):
    current = run
    while current.parent_id is not None:
        current = AgentRun.objects.only("id", "parent_id").get(pk=current.parent_id)
    return current.pk


def _transition(run: AgentRun, to: str, **fields: Any) -> AgentRun:
    """Lock, check the state machine, save with update_fields, write a status event."""
    locked = AgentRun.objects.select_for_update().get(pk=run.pk)
    if not can_transition_run(locked.status, to):
        raise RunNotCancellable(f"run {run.pk} is {locked.status}; it cannot become {to}")
    previous = locked.status
    locked.status = to
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "updated_at", *fields])
    run_event_add(run=locked, kind=RunEventKind.STATUS, data={"from": previous, "to": to})
    _announce_on_commit(locked.pk, previous, to)
    return locked


def _announce_on_commit(run_id, previous: str, to: str) -> None:
    from agents.hosted.signals import run_status_changed

    transaction.on_commit(
        lambda: run_status_changed.send(sender=AgentRun, run_id=run_id, from_status=previous, to_status=to)
    )


@transaction.atomic
def run_transition(*, run: AgentRun, to: str, **fields: Any) -> AgentRun:
    return _transition(run, to, **fields)


def deployment_for_caller(*, friendly_name: str, owner_id=None) -> Deployment:
    """The deployment a caller may run: public ones, and private ones of ``owner_id``. Anything
    else is 404 — a private agent's existence is not revealed."""
    deployment = (
        Deployment.objects.select_related("agent", "version")
        .filter(friendly_name=friendly_name, agent__deleted_at__isnull=True)
        .first()
    )
    if deployment is None or (deployment.visibility != Visibility.PUBLIC and deployment.agent.owner_id != owner_id):
        raise NotFound(f"no agent {friendly_name!r}")
    return deployment


def _validate_input(deployment: Deployment, value: Any) -> None:
    try:
        validate(value, deployment.version.input_schema or {"type": "object"}, which="input")
    except SchemaProblem as exc:
        raise InvalidRequest(exc.detail, field=exc.field) from None


def run_create(
    *,
    deployment: Deployment,
    input: Any,  # noqa: A002 - the run's input
    caller_kind: str,
    caller_ref: str,
    payer,
    api_key=None,
    user=None,
    demo=None,
    session=None,
    is_async: bool = False,
    idempotency_key: str = "",
) -> tuple[AgentRun, bool]:
    """A pending run of ``deployment`` (and True), or the caller's earlier run with the same
    Idempotency-Key (and False). Async runs are queued on commit."""
    idempotency_key = (idempotency_key or "")[:128]
    if idempotency_key:
        existing = AgentRun.objects.filter(caller_ref=caller_ref, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    _validate_input(deployment, input)
    # a run that cannot even pay its own fee is refused before it is created (402)
    allowance = allowances.allowance_snapshot(user=payer)
    if allowance.available_micros < _run_fee() and not allowance.overage_ok:
        raise AllowanceExhaustedError(
            f"the allowance is used up for this month; it renews on {allowance.period_end.date().isoformat()}",
            extra={"available_micros": allowance.available_micros},
        )
    try:
        with transaction.atomic():
            run = AgentRun.objects.create(
                agent=deployment.agent,
                version=deployment.version,
                friendly_name=deployment.friendly_name,
                input=input,
                is_async=is_async,
                caller_kind=caller_kind,
                caller_ref=caller_ref,
                api_key=api_key,
                user=user,
                demo=demo,
                session=session,
                payer=payer,
                idempotency_key=idempotency_key,
            )
            run_event_add(run=run, kind=RunEventKind.STATUS, data={"to": RunStatus.PENDING})
    except IntegrityError:
        existing = AgentRun.objects.filter(caller_ref=caller_ref, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing, False
    if is_async:
        from agents.hosted.jobs import hosted_run_execute

        transaction.on_commit(lambda: hosted_run_execute.delay(str(run.pk)))
    return run, True


def _run_fee() -> int:
    from agents.hosted.plans import RUN_FEE_MICROS

    return RUN_FEE_MICROS


def run_create_child(*, parent: AgentRun, friendly_name: str, input: Any) -> AgentRun:  # noqa: A002
    """A sub-run for call_agent: the callee must be the caller's own or public; the same payer."""
    deployment = deployment_for_caller(friendly_name=friendly_name, owner_id=parent.agent.owner_id)
    _validate_input(deployment, input)
    with transaction.atomic():
        run = AgentRun.objects.create(
            agent=deployment.agent,
            version=deployment.version,
            friendly_name=deployment.friendly_name,
            input=input,
            caller_kind=CallerKind.AGENT,
            caller_ref=f"run:{parent.pk}",
            api_key=parent.api_key,
            user=parent.user,
            demo=parent.demo,
            payer=parent.payer,
            parent=parent,
            depth=parent.depth + 1,
        )
        run_event_add(run=run, kind=RunEventKind.STATUS, data={"to": RunStatus.PENDING})
    return run


def run_start(*, run_id, now: datetime | None = None) -> AgentRun | None:
    """pending → running; None when the run is no longer pending (cancelled, or already taken)."""
    now = now or timezone.now()
    with transaction.atomic():
        # lock the run row only: FOR UPDATE on the joined payer row would block every insert
        # that references that user (runs, ledger rows) and deadlock concurrent runs
        run = AgentRun.objects.select_for_update(of=("self",)).get(pk=run_id)
        if run.status != RunStatus.PENDING:
            return None
        run = _transition(run, RunStatus.RUNNING, started_at=now, heartbeat_at=now, attempts=run.attempts + 1)
    return AgentRun.objects.select_related("version", "agent", "agent__owner", "payer", "api_key").get(pk=run.pk)


def run_finish(
    *,
    run: AgentRun,
    status: str,
    output: Any,
    error_code: str,
    error: str,
    warnings: list,
    cost: int,
    tokens_in: int,
    tokens_out: int,
    now: datetime | None = None,
) -> AgentRun:
    """running → its end. A run cancelled meanwhile stays cancelled (its cost is still recorded)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = AgentRun.objects.select_for_update().get(pk=run.pk)
        common = {"cost_micros": cost, "tokens_in": tokens_in, "tokens_out": tokens_out}
        if locked.status != RunStatus.RUNNING:
            for name, value in common.items():
                setattr(locked, name, value)
            locked.save(update_fields=[*common, "updated_at"])
            return locked
        started = locked.started_at or now
        if status == RunStatus.SUCCEEDED:
            run_event_add(run=locked, kind=RunEventKind.OUTPUT, data={"output": output})
        locked = _transition(
            locked,
            status,
            output=output,
            error_code=error_code[:40],
            error=error[:5000],
            warnings=warnings,
            finished_at=now,
            duration_ms=max(0, int((now - started).total_seconds() * 1000)),
            **common,
        )
    return locked


@transaction.atomic
def run_cancel(*, run: AgentRun, now: datetime | None = None) -> AgentRun:
    """Cancel a pending or running run. A running run stops at its next host call (or when
    the sandbox returns); its output is discarded either way."""
    locked = AgentRun.objects.select_for_update().get(pk=run.pk)
    if locked.status in TERMINAL_RUN_STATUSES:
        if locked.status == RunStatus.CANCELLED:
            return locked
        raise RunNotCancellable(f"run {locked.pk} already {locked.status}")
    return _transition(
        locked, RunStatus.CANCELLED, finished_at=now or timezone.now(), error_code="cancelled", error="cancelled"
    )


def runs_sweep_stuck(*, now: datetime | None = None) -> dict[str, int]:
    """The hosted_ticket_sweeper rule (docs/hosted-agents.md):

    - a *running* run whose heartbeat is older than HOSTED_STUCK_AFTER_SECONDS lost its
      worker: it fails with ``worker_lost`` and what it held on the allowance is released.
      It is not retried — its host calls (tools, kv writes, sub-runs) may have had effects;
    - an async *pending* run older than that whose task never started (a lost queue
      message) is queued again, up to 3 times, then failed.
    """
    from agents.hosted.allowance import Reservation, allowance_settle
    from agents.hosted.jobs import hosted_run_execute

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=int(settings.HOSTED_STUCK_AFTER_SECONDS))
    failed = requeued = 0
    stuck = AgentRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff, parent__isnull=True)
    for run_id in stuck.values_list("pk", flat=True):
        with transaction.atomic():
            run = AgentRun.objects.select_for_update().get(pk=run_id)
            if run.status != RunStatus.RUNNING or run.heartbeat_at >= cutoff:
                continue
            held = run.held_micros
            _transition(
                run,
                RunStatus.FAILED,
                error_code="worker_lost",
                error="the worker running this run stopped; it was not retried (its calls may have had effects)",
                finished_at=now,
                held_micros=0,
            )
            if held:
                allowance_settle(reservation=Reservation(user_id=run.payer_id, amount=held, overage_ok=False), cost=0)
            # sub-runs of a lost run die with it
            for child in AgentRun.objects.filter(parent=run, status=RunStatus.RUNNING):
                _transition(child, RunStatus.FAILED, error_code="worker_lost", error="parent run lost", finished_at=now)
            failed += 1
    lost = AgentRun.objects.filter(status=RunStatus.PENDING, is_async=True, created_at__lt=cutoff)
    for run in lost:
        if run.attempts >= 3:
            run_transition(run=run, to=RunStatus.FAILED, error_code="never_started", error="the run never started")
            failed += 1
            continue
        AgentRun.objects.filter(pk=run.pk).update(attempts=F("attempts") + 1, created_at=now)
        hosted_run_execute.delay(str(run.pk))
        requeued += 1
    return {"failed": failed, "requeued": requeued}


# --- demo apps -----------------------------------------------------------------------------

DEMO_FIELDS = ("slug", "title", "description", "is_public", "rate_limit_per_minute", "spend_cap_micros", "is_active")


def _clean_demo(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(DEMO_FIELDS)
    if unknown:
        raise InvalidRequest(f"unknown demo field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    if "slug" in changes:
        slug = str(changes["slug"] or "")
        if not re.fullmatch(FRIENDLY_NAME_PATTERN, slug):
            raise InvalidRequest(
                "slug: lowercase letters, digits and inner hyphens, at most 64 characters", field="slug"
            )
    if "title" in changes and not str(changes["title"] or "").strip():
        raise InvalidRequest("title: required", field="title")
    if "rate_limit_per_minute" in changes and not 1 <= int(changes["rate_limit_per_minute"]) <= 600:
        raise InvalidRequest("rate_limit_per_minute: from 1 to 600", field="rate_limit_per_minute")
    if "spend_cap_micros" in changes and int(changes["spend_cap_micros"]) < 0:
        raise InvalidRequest("spend_cap_micros: not negative", field="spend_cap_micros")
    return changes


def _demo_save(demo: DemoApp, fields: list[str] | None = None) -> DemoApp:
    # a slug taken by any demo (anyone's) is a conflict on that field, not a 500
    if DemoApp.objects.filter(slug=demo.slug).exclude(pk=demo.pk).exists():
        raise Conflict(f"the demo slug {demo.slug!r} is taken", field="slug")
    try:
        with transaction.atomic():
            if fields is None:
                demo.save()
            else:
                demo.save(update_fields=[*fields, "updated_at"])
    except IntegrityError:
        raise Conflict(f"the demo slug {demo.slug!r} is taken", field="slug") from None
    return demo


@transaction.atomic
def demo_app_create(*, agent: HostedAgent, slug: str, title: str, **fields: Any) -> DemoApp:
    """A demo page /demos/<slug> for a deployed agent (its owner pays, up to the spend cap)."""
    if agent.deleted_at is not None or not Deployment.objects.filter(agent=agent).exists():
        raise Conflict("deploy the agent before giving it a demo page", field="agent")
    data = _clean_demo({"slug": slug, "title": title, **fields})
    return _demo_save(DemoApp(agent=agent, **data))


@transaction.atomic
def demo_app_update(*, demo: DemoApp, **changes: Any) -> DemoApp:
    """Change a demo's slug, title, description, visibility, rate limit, spend cap or activity."""
    changes = _clean_demo(changes)
    demo = DemoApp.objects.select_for_update().get(pk=demo.pk)
    for name, value in changes.items():
        setattr(demo, name, value)
    return _demo_save(demo, list(changes)) if changes else demo


@transaction.atomic
def demo_app_delete(*, demo: DemoApp) -> None:
    """Delete a demo page (its runs stay, unlinked; its chat sessions go with it)."""
    DemoApp.objects.filter(pk=demo.pk).delete()


# --- provider keys -------------------------------------------------------------------------


@transaction.atomic
def provider_key_set(*, owner, provider: str, key: str) -> ProviderKey:
    from agnt.crypto import encrypt_text

    if provider not in LlmProvider.values:
        raise InvalidRequest(
            f"unknown provider {provider!r}; supported: {', '.join(LlmProvider.values)}", field="provider"
        )
    key = (key or "").strip()
    if not 8 <= len(key) <= 500 or any(c.isspace() for c in key):
        raise InvalidRequest("the key must be 8 to 500 characters without spaces", field="key")
    row, _ = ProviderKey.objects.update_or_create(
        owner=owner, provider=provider, defaults={"key_encrypted": encrypt_text(key), "last_four": key[-4:]}
    )
    return row


@transaction.atomic
def provider_key_delete(*, owner, provider: str) -> bool:
    if provider not in LlmProvider.values:
        raise InvalidRequest(f"unknown provider {provider!r}", field="provider")
    deleted, _ = ProviderKey.objects.filter(owner=owner, provider=provider).delete()
    return bool(deleted)


def provider_keys_rotate() -> int:
    """Re-encrypt every provider key under the first FERNET_KEYS key (after a rotation)."""
    from agnt.crypto import rotate

    count = 0
    for row in ProviderKey.objects.all():
        ProviderKey.objects.filter(pk=row.pk).update(key_encrypted=rotate(row.key_encrypted))
        count += 1
    return count
