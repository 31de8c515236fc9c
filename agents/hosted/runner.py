"""Executes one AgentRun: the host functions agent code may call, the sandbox, the trace,
the allowance, and the run's final state.

Host functions (globals of the agent's code):

- ``call_llm(model, messages, max_tokens=512)`` → the answer's text
- ``call_tool(name, args=None, **kwargs)`` → the tool's JSON result (declared tools only)
- ``call_agent(friendly_name, input)`` → the other agent's output (declared dependencies only)
- ``kv_get(key, default=None)`` / ``kv_set(key, value)`` → the *owner's* key-value store
- ``log(*values)`` → a line in the run's trace

A refused call (undeclared tool, cycle, allowance used up, deadline passed, run
cancelled) raises inside the code *and* is remembered: the run fails with that reason
whatever the code does next (a ``try/except`` cannot launder it).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from agents.hosted import allowance as allowances
from agents.hosted import llm, plans, sandbox, tools
from agents.hosted.models import AgentRun, KvEntry, ProviderKey, RunEventKind
from agents.hosted.state import RunStatus

KV_MAX_KEYS = 1000
KV_MAX_VALUE_BYTES = 64 * 1024
LOG_MAX_CHARS = 2000


class Refused(Exception):
    """Raised into the sandbox when a host call is refused."""


@dataclass
class Abort:
    code: str
    message: str
    status: str = RunStatus.FAILED


@dataclass
class RunHost:
    run: AgentRun
    limits: sandbox.Limits
    chain: tuple[str, ...]
    deadline: float
    root_id: Any = None
    abort: Abort | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost: int = 0
    events: list[tuple[str, dict]] = field(default_factory=list)

    # --- plumbing -------------------------------------------------------------------------

    def _event(self, kind: str, data: dict[str, Any]) -> None:
        from agents.hosted.services import run_event_add

        run_event_add(run=self.run, kind=kind, data=data)

    def _refuse(self, code: str, message: str, status: str = RunStatus.FAILED) -> Refused:
        if self.abort is None:
            self.abort = Abort(code, message, status)
            self._event(RunEventKind.ERROR, {"code": code, "message": message})
        return Refused(f"{code}: {message}")

    def _check(self) -> None:
        if self.abort is not None:
            raise Refused(f"{self.abort.code}: {self.abort.message}")
        # a cancel is the caller's word and wins over a limit passed meanwhile
        if AgentRun.objects.filter(pk=self.root_id or self.run.pk, status=RunStatus.CANCELLED).exists():
            raise self._refuse("cancelled", "the run was cancelled", RunStatus.CANCELLED)
        if time.monotonic() > self.deadline:
            raise self._refuse(
                "timed_out", f"the run passed its {self.limits.wall_seconds:g} s limit", RunStatus.TIMED_OUT
            )

    def _charge(self, *, estimate: int, description: str, work):
        """Reserve ``estimate``, do the work, settle its real cost (work returns (result, cost))."""
        from agents.hosted.services import run_hold

        try:
            reservation = allowances.allowance_reserve(user=self.run.payer, amount=estimate)
        except allowances.AllowanceExhausted as exc:
            raise self._refuse("allowance_exhausted", exc.detail) from None
        run_hold(run=self.run, delta=reservation.amount)
        cost = 0
        try:
            result, cost = work()
            return result
        finally:
            charged = allowances.allowance_settle(
                reservation=reservation, cost=cost, run=self.run, description=description, api_key=self.run.api_key
            )
            run_hold(run=self.run, delta=-reservation.amount)
            self.cost += cost
            del charged

    # --- host functions -------------------------------------------------------------------

    def call_llm(self, model: str = "", messages: Any = None, max_tokens: int = 512, **params: Any) -> str:
        self._check()
        version = self.run.version
        model = model or ""
        if not isinstance(model, str):
            raise Refused("model must be a string")
        if model and version.allowed_models and model not in version.allowed_models:
            raise self._refuse("model_not_allowed", f"model {model!r} is not among the agent's allowed models")
        if not isinstance(max_tokens, int) or not 1 <= max_tokens <= 4096:
            raise Refused("max_tokens must be a whole number from 1 to 4096")
        key_row = ProviderKey.objects.filter(owner_id=self.run.agent.owner_id, provider="anthropic").first()
        provider_key = None
        if key_row is not None:
            from agnt.crypto import decrypt_text

            provider_key = decrypt_text(key_row.key_encrypted)
        price_in, price_out = plans.TOKEN_PRICES.get((settings.LLM_PROVIDER or "offline").lower(), (1, 2))
        if provider_key:
            price_in = price_out = 0
        estimate = plans.LLM_RESERVE_TOKENS * price_in + max_tokens * price_out

        def work():
            try:
                answer = llm.complete(
                    owner=self.run.agent.owner,
                    model=model,
                    messages=messages,
                    max_tokens=max_tokens,
                    provider_key=provider_key,
                )
            except ValueError as exc:
                raise Refused(str(exc)) from None
            except llm.ProviderError as exc:
                raise Refused(f"the model is not answering: {exc}") from None
            self.tokens_in += answer.tokens_in
            self.tokens_out += answer.tokens_out
            cost = 0 if answer.own_key else answer.tokens_in * price_in + answer.tokens_out * price_out
            self._event(
                RunEventKind.LLM,
                {
                    "provider": answer.provider,
                    "model": answer.model,
                    "tokens_in": answer.tokens_in,
                    "tokens_out": answer.tokens_out,
                    "own_key": answer.own_key,
                    "cost_micros": cost,
                },
            )
            return answer.text, cost

        result = self._charge(estimate=estimate, description=f"call_llm {model or 'default'}", work=work)
        if key_row is not None:
            ProviderKey.objects.filter(pk=key_row.pk).update(last_used_at=timezone.now())
        return result

    def call_tool(self, name: str = "", args: Any = None, **kwargs: Any) -> Any:
        self._check()
        if not isinstance(name, str) or not name:
            raise Refused("call_tool needs the tool's name")
        version = self.run.version
        arguments = dict(args or {}) if isinstance(args, dict) or args is None else None
        if arguments is None:
            raise Refused("args must be a dict")
        arguments.update(kwargs)
        if name.startswith("mcp:"):
            server = name[4:].split("/", 1)[0]
            declared = {s.get("name") for s in version.mcp_servers if isinstance(s, dict)}
            if server not in declared:
                raise self._refuse("undeclared_tool", f"MCP server {server!r} is not declared by this agent")
        elif name not in version.tools:
            raise self._refuse("undeclared_tool", f"tool {name!r} is not declared by this agent")

        def work():
            started = time.monotonic()
            try:
                if name.startswith("mcp:"):
                    from agents.hosted.mcp_client import call_declared

                    result = call_declared(servers=version.mcp_servers, name=name, arguments=arguments)
                else:
                    result = tools.run_builtin(name, arguments)
            except tools.ToolFailed as exc:
                self._event(RunEventKind.TOOL, {"tool": name, "args": arguments, "error": str(exc)})
                raise Refused(f"{name}: {exc}") from None
            self._event(
                RunEventKind.TOOL,
                {"tool": name, "args": arguments, "ms": int((time.monotonic() - started) * 1000), "ok": True},
            )
            return result, plans.TOOL_FEE_MICROS

        return self._charge(estimate=plans.TOOL_FEE_MICROS, description=f"call_tool {name}", work=work)

    def call_agent(self, friendly_name: str = "", input: Any = None) -> Any:  # noqa: A002 - the contract's name
        self._check()
        from agents.hosted import services

        version = self.run.version
        if friendly_name not in version.dependencies:
            raise self._refuse("undeclared_agent", f"agent {friendly_name!r} is not a declared dependency")
        if friendly_name in self.chain:
            path = " → ".join((*self.chain, friendly_name))
            raise self._refuse("agent_cycle", f"calling {friendly_name!r} would make a cycle ({path})")
        if self.run.depth + 1 > plans.MAX_CALL_DEPTH:
            raise self._refuse("depth_limit", f"agents may nest at most {plans.MAX_CALL_DEPTH} calls deep")
        try:
            child = services.run_create_child(parent=self.run, friendly_name=friendly_name, input=input)
        except services.NetworkError as exc:
            raise Refused(f"{exc.code}: {exc.detail}") from None
        child = execute(run_id=child.pk, chain=(*self.chain, friendly_name), deadline=self.deadline)
        self.cost += child.cost_micros
        self.tokens_in += child.tokens_in
        self.tokens_out += child.tokens_out
        self._event(
            RunEventKind.AGENT,
            {"agent": friendly_name, "run": str(child.pk), "status": child.status, "cost_micros": child.cost_micros},
        )
        if child.status != RunStatus.SUCCEEDED:
            if child.error_code in ("agent_cycle", "depth_limit", "allowance_exhausted", "cancelled", "timed_out"):
                raise self._refuse(child.error_code, f"{friendly_name}: {child.error}")
            raise Refused(f"{friendly_name} failed: {child.error_code}: {child.error[:500]}")
        return child.output

    def kv_get(self, key: str = "", default: Any = None) -> Any:
        self._check()
        if not isinstance(key, str) or not 0 < len(key) <= 200:
            raise Refused("keys are strings of 1 to 200 characters")
        row = KvEntry.objects.filter(owner_id=self.run.agent.owner_id, key=key).first()
        return default if row is None else row.value

    def kv_set(self, key: str = "", value: Any = None) -> None:
        self._check()
        if not isinstance(key, str) or not 0 < len(key) <= 200:
            raise Refused("keys are strings of 1 to 200 characters")
        try:
            size = len(json.dumps(value))
        except (TypeError, ValueError):
            raise Refused("values must be JSON (dict, list, str, number, bool, None)") from None
        if size > KV_MAX_VALUE_BYTES:
            raise Refused(f"values may be at most {KV_MAX_VALUE_BYTES} bytes of JSON")
        owner_id = self.run.agent.owner_id
        exists = KvEntry.objects.filter(owner_id=owner_id, key=key).exists()
        if not exists and KvEntry.objects.filter(owner_id=owner_id).count() >= KV_MAX_KEYS:
            raise Refused(f"the store holds at most {KV_MAX_KEYS} keys")
        KvEntry.objects.update_or_create(owner_id=owner_id, key=key, defaults={"value": value})

    def log(self, *values: Any) -> None:
        if self.abort is not None:
            return
        self._check()  # a host call like the others: a cancelled or overdue run stops here
        text = " ".join(v if isinstance(v, str) else json.dumps(v, default=str) for v in values)
        self._event(RunEventKind.LOG, {"message": text[:LOG_MAX_CHARS]})

    def functions(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in sandbox.HOST_FUNCTIONS}


class _Heartbeat:
    """Touches run.heartbeat_at every few seconds while a run executes, from its own thread
    and connection: a worker that dies stops the heartbeat, and the sweeper notices."""

    INTERVAL = 5.0

    def __init__(self, run_id) -> None:
        self.run_id = run_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"hosted-heartbeat-{run_id}")

    def _beat(self) -> None:
        try:
            while not self.stop.wait(self.INTERVAL):
                AgentRun.objects.filter(pk=self.run_id, status=RunStatus.RUNNING).update(heartbeat_at=timezone.now())
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=2)


def _json_output(value: Any) -> tuple[bool, Any]:
    try:
        return True, json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        return False, None


def execute(*, run_id, chain: tuple[str, ...] = (), deadline: float | None = None) -> AgentRun:
    """Run a pending run to its end (succeeded, failed, cancelled or timed_out); returns it.

    Does nothing to a run that is no longer pending (a redelivered task, a cancelled run)."""
    from agents.hosted import services
    from agents.hosted.schemas import SchemaProblem, validate

    run = services.run_start(run_id=run_id)
    if run is None:
        return AgentRun.objects.get(pk=run_id)
    plan = plans.plan_for(allowances.user_plan(run.payer))
    limits = plan.limits
    own_deadline = time.monotonic() + limits.wall_seconds
    host = RunHost(
        run=run,
        limits=limits,
        chain=chain or (run.friendly_name,),
        deadline=min(deadline, own_deadline) if deadline else own_deadline,
        root_id=services.run_root_id(run),
    )
    outcome = None
    try:
        with _Heartbeat(run.pk) if run.depth == 0 else _NoBeat():
            # the run's own fee, reserved and charged like any costed call
            host._charge(estimate=plans.RUN_FEE_MICROS, description="run", work=lambda: (None, plans.RUN_FEE_MICROS))
            outcome = sandbox.execute(
                code=run.version.code, event=run.input, host=host.functions(), limits=limits, depth=run.depth
            )
    except Refused:
        pass
    close_old_connections() if not connection.in_atomic_block else None
    status, output, error_code, error, warnings = RunStatus.SUCCEEDED, None, "", "", []
    if host.abort is not None:
        status, error_code, error = host.abort.status, host.abort.code, host.abort.message
    elif outcome is None or not outcome.ok:
        status = RunStatus.TIMED_OUT if outcome and outcome.error_code == "timed_out" else RunStatus.FAILED
        error_code = outcome.error_code if outcome else "sandbox_error"
        error = outcome.error if outcome else "the sandbox did not run"
    elif outcome.print_overflow:
        status, error_code = RunStatus.FAILED, "output_limit"
        error = f"the code printed more than {sandbox.PRINT_LIMIT_BYTES // 1024} KiB"
    else:
        ok, output = _json_output(outcome.output)
        if not ok:
            status, error_code, error = RunStatus.FAILED, "output_not_json", "handler(event) must return a JSON value"
        else:
            try:
                validate(output, run.version.output_schema or {"type": "object"}, which="output")
            except SchemaProblem as exc:
                # documented choice: an output that breaks the agent's own schema fails the run
                status, error_code, error, output = RunStatus.FAILED, "output_schema", exc.detail, None
    if outcome is not None and outcome.printed:
        services.run_event_add(run=run, kind=RunEventKind.LOG, data={"stdout": outcome.printed[-LOG_MAX_CHARS:]})
    return services.run_finish(
        run=run,
        status=status,
        output=output,
        error_code=error_code,
        error=error,
        warnings=warnings,
        cost=host.cost,
        tokens_in=host.tokens_in,
        tokens_out=host.tokens_out,
    )


class _NoBeat:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None
