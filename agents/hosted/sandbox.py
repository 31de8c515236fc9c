"""Agent code runs here: pydantic-monty, a Python interpreter written in Rust for code
written by models, in a bounded pool of ``monty`` worker subprocesses.

Why it holds: the interpreter has no ``os.environ``, no file system (no mount is given),
no ``socket``/``subprocess``/``ctypes`` modules and no ``__import__``; memory, recursion
and execution time are limited inside the worker, and the pool kills a worker that
overruns (``request_timeout``) and replaces one that crashes — our process never runs the
code. The only way out is the host functions a run passes in (agents.hosted.runner).

Host functions may raise to refuse a call; the sandboxed code can catch that exception,
so the runner also remembers the refusal (a *sticky abort*) and fails the run whatever
the code returns afterwards.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from pydantic_monty import Monty, MontyCrashedError, MontyError, MontyRuntimeError, MontySyntaxError

log = logging.getLogger(__name__)

HOST_FUNCTIONS = ("call_llm", "call_tool", "call_agent", "kv_get", "kv_set", "log")
PRINT_LIMIT_BYTES = 64 * 1024
_ENTRY = "\n\nhandler(event)\n"


@dataclass(frozen=True)
class Limits:
    """What one run may use (per plan, agents.hosted.plans)."""

    wall_seconds: float  # the whole run, host calls included (the runner enforces it)
    cpu_seconds: float  # sandboxed execution time (the worker enforces it)
    memory_bytes: int
    recursion_depth: int = 200
    max_host_calls: int = 200


@dataclass
class Outcome:
    ok: bool
    output: Any = None
    error_code: str = ""
    error: str = ""
    printed: str = ""
    printed_bytes: int = 0
    print_overflow: bool = False


@dataclass
class _Printer:
    parts: list[str] = field(default_factory=list)
    size: int = 0
    overflow: bool = False

    def __call__(self, stream: str, text: str) -> None:
        if self.overflow:
            return
        self.size += len(text.encode("utf-8", "replace"))
        if self.size > PRINT_LIMIT_BYTES:
            self.overflow = True
            return
        self.parts.append(text)


# One pool per call depth: a run at depth d waits only for a worker at depth d + 1, never
# for one of its own level, so nested call_agent runs cannot starve each other.
_pools: dict[int, Monty] = {}
_pool_pid: int | None = None
_pool_lock = threading.Lock()


def pool(depth: int = 0) -> Monty:
    """This process's worker pool for runs at ``depth`` (a forked Celery worker builds its own)."""
    global _pool_pid
    with _pool_lock:
        if _pool_pid != os.getpid():
            _pools.clear()
            _pool_pid = os.getpid()
        instance = _pools.get(depth)
        if instance is None:
            instance = Monty(
                min_processes=1,
                max_processes=int(settings.HOSTED_SANDBOX_WORKERS),
                checkout_timeout=float(settings.HOSTED_SANDBOX_CHECKOUT_TIMEOUT),
                request_timeout=float(settings.HOSTED_SANDBOX_REQUEST_TIMEOUT),
                max_checkouts_per_worker=500,
            )
            instance.__enter__()
            _pools[depth] = instance
        return instance


def shutdown() -> None:
    """Stop this process's workers (tests, benchmarks)."""
    global _pool_pid
    with _pool_lock:
        if _pool_pid == os.getpid():
            for instance in _pools.values():
                instance.__exit__(None, None, None)
        _pools.clear()
        _pool_pid = None


def _classify(exc: MontyError) -> tuple[str, str]:
    if isinstance(exc, MontySyntaxError):
        return "syntax_error", exc.display("type-msg")
    if isinstance(exc, MontyCrashedError):
        if getattr(exc, "timed_out", False):
            return "timed_out", "the sandbox stopped answering and was killed"
        return "sandbox_crashed", "the sandbox worker crashed running this code; it was replaced"
    if isinstance(exc, MontyRuntimeError):
        message = exc.display("type-msg")
        kind = message.split(":", 1)[0]
        if kind == "TimeoutError":
            return "timed_out", f"the code ran past its CPU time limit ({message})"
        if kind == "MemoryError":
            return "memory_limit", f"the code used more memory than its plan allows ({message})"
        if kind == "RecursionError":
            return "recursion_limit", f"the code recursed too deeply ({message})"
        if kind in ("ModuleNotFoundError", "ImportError"):
            return "forbidden", f"{message} (the sandbox has no os, socket, subprocess or ctypes)"
        if message == "NameError: name 'handler' is not defined":
            return "no_handler", "the code must define handler(event)"
        return "code_error", exc.display("traceback")[-2000:]
    return "sandbox_error", str(exc)[:500]


def execute(
    *,
    code: str,
    event: Any,
    host: dict[str, Callable[..., Any]],
    limits: Limits,
    depth: int = 0,
) -> Outcome:
    """Run ``handler(event)`` from ``code`` with ``host`` as its only way out."""
    printer = _Printer()
    worker_limits = {
        "max_feed_duration_secs": limits.cpu_seconds,
        "max_memory": limits.memory_bytes,
        "max_recursion_depth": limits.recursion_depth,
        "max_suspensions": limits.max_host_calls,
    }
    try:
        with pool(depth).checkout(limits=worker_limits, script_name="agent.py") as session:
            output = session.feed_run(
                code + _ENTRY,
                inputs={"event": event},
                external_lookup=dict(host),
                print_callback=printer,
            )
    except MontyError as exc:
        code_, message = _classify(exc)
        return Outcome(
            ok=False,
            error_code=code_,
            error=message,
            printed="".join(printer.parts),
            printed_bytes=printer.size,
            print_overflow=printer.overflow,
        )
    except TimeoutError:
        return Outcome(ok=False, error_code="sandbox_busy", error="every sandbox worker is busy; try again shortly")
    return Outcome(
        ok=True,
        output=output,
        printed="".join(printer.parts),
        printed_bytes=printer.size,
        print_overflow=printer.overflow,
    )
