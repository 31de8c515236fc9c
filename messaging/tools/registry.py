"""The concierge's tools, registered once, and the executor every LLM provider calls.

``tool_schemas()`` gives the Anthropic tool definitions (name, description, input_schema
from each tool's pydantic model). ``execute_tool()`` never raises: whatever happens —
unknown tool, bad arguments, a provider down, a bug, a timeout — the model gets a
``ToolResult`` it can read (``is_error=True`` with a safe message), and the turn goes on.

Identity never comes from the model: keys like ``user_id`` or ``confirmed`` are stripped
before validation, and tools act for ``ctx.user`` only.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from pydantic import ValidationError

from agnt.llm.types import ToolContext, ToolResult
from messaging.tools import bookings as booking_tools
from messaging.tools import commerce as commerce_tools
from messaging.tools import memory as memory_tools
from messaging.tools import social as social_tools
from messaging.tools import transport as transport_tools
from messaging.tools import venues as venue_tools
from messaging.tools import wellbeing as wellbeing_tools
from messaging.tools.base import Tool, ToolFailure

logger = logging.getLogger(__name__)

MAX_STRING_CHARS = 500
MAX_LIST_ITEMS = 20
RESERVED_KEYS = frozenset(
    {
        "user_id",
        "user",
        "userid",
        "platform",
        "channel",
        "channel_id",
        "api_key",
        "apikey",
        "confirmed",
        "confirmed_action",
        "ctx",
        "context",
        "is_admin",
        "is_staff",
        "interaction_id",
    }
)

# The one place tools are registered. Order is the order the model sees them.
_ALL: list[Tool] = [
    *venue_tools.TOOLS,  # venue_search, venue_details, check_availability, ask_venue
    *booking_tools.TOOLS,  # create_booking, cancel_booking, list_my_bookings, set_reminder
    *memory_tools.TOOLS,  # remember_preference, recall_memories
    *wellbeing_tools.TOOLS,  # get_weather, food_diary_log
    *transport_tools.TOOLS,  # transport_quote, transport_book
    *commerce_tools.TOOLS,  # dupe_search, price_watch
    *social_tools.TOOLS,  # make_card, follow_taste, taste_picks
]
TOOLS: dict[str, Tool] = {tool.name: tool for tool in _ALL}
assert len(TOOLS) == len(_ALL), "two tools share a name"


# --------------------------------------------------------------------------- schemas


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Pydantic puts nested models under $defs; some providers (and small local models)
    handle a flat schema better, so nested definitions are inlined and titles dropped."""
    defs = schema.pop("$defs", {})

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                merged = {**copy.deepcopy(defs[name]), **{k: v for k, v in node.items() if k != "$ref"}}
                return walk(merged)
            node = _drop_null_option(node)
            return {key: walk(value) for key, value in node.items() if key != "title"}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(schema)


def _drop_null_option(node: dict[str, Any]) -> dict[str, Any]:
    """``str | None = None`` becomes plain ``{"type": "string"}``: optional is already said by
    not being in ``required``, and a flat type is easier on small models."""
    options = node.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        kept = next(option for option in options if option != {"type": "null"})
        node = {**{k: v for k, v in node.items() if k != "anyOf"}, **kept}
        if node.get("default", 0) is None:
            node.pop("default")
    return node


def _input_schema(tool: Tool) -> dict[str, Any]:
    schema = _inline_refs(tool.args.model_json_schema())
    schema.setdefault("properties", {})
    schema["type"] = "object"
    return schema


_SCHEMAS: list[dict[str, Any]] = [
    {"name": tool.name, "description": tool.description, "input_schema": _input_schema(tool)} for tool in _ALL
]


def tool_schemas() -> list[dict[str, Any]]:
    """The tool definitions in Anthropic format: a fresh list of fresh top-level dicts (a
    caller may add ``cache_control`` to one); the nested ``input_schema`` is shared and
    read-only — a deep copy of every schema cost a few ms of CPU per message."""
    return [dict(schema) for schema in _SCHEMAS]


# --------------------------------------------------------------------------- execution


def _clean(value: Any, *, depth: int = 0) -> Any:
    """Strip reserved and private keys, clamp strings and lists, at every level."""
    if depth > 6:
        return None
    if isinstance(value, dict):
        return {
            str(key): _clean(item, depth=depth + 1)
            for key, item in value.items()
            if not str(key).startswith("_") and str(key).lower() not in RESERVED_KEYS
        }
    if isinstance(value, list):
        return [_clean(item, depth=depth + 1) for item in value[:MAX_LIST_ITEMS]]
    if isinstance(value, str):
        return value[:MAX_STRING_CHARS]
    return value


def _validation_message(tool_name: str, exc: ValidationError) -> dict[str, Any]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False)[:8]:
        field = ".".join(str(part) for part in error.get("loc", ())) or "arguments"
        message = error.get("msg", "is invalid")
        if error.get("type") == "extra_forbidden":
            message = "is not an argument of this tool"
        problems.append(f"{field}: {message}")
    return {"error": f"invalid arguments for {tool_name}: " + "; ".join(problems), "fields": problems}


def timeout_seconds() -> float:
    return float(getattr(settings, "TOOL_TIMEOUT_SECONDS", 5) or 5)


class _ToolTimeout(Exception):
    pass


def _run_with_timeout(fn, *, timeout: float):
    """Run ``fn`` in a worker thread and wait at most ``timeout`` seconds.

    The worker opens its own database connection and closes it when done (in ``finally``),
    so a hung tool cannot leak connections, and a tool left running after its timeout
    touches nothing the caller still uses.

    One exception: a caller inside a transaction (a test, or a service that runs the
    concierge atomically). A worker could not see that transaction's uncommitted rows,
    and two threads cannot share one connection's transaction safely, so the tool runs
    right here in a savepoint (a failed tool cannot poison the caller's transaction)
    and the timeout is not enforced. Call the gateway outside a transaction in production:
    the booking commands are durable and refuse to run inside another transaction.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.in_atomic_block:
        failure = None
        savepoint = transaction.atomic()
        if getattr(connection.atomic_blocks[-1], "_from_testcase", False):
            # A test's own transaction stands in for autocommit: the booking commands the
            # tool calls may still open their durable transaction inside this savepoint.
            savepoint._from_testcase = True
        with savepoint:
            try:
                return fn()
            except ToolFailure as exc:
                # A refusal is an answer, not a crash: keep what the tool wrote before it
                # (e.g. a courier booking marked failed), exactly as in autocommit mode.
                failure = exc
        raise failure

    outcome: dict[str, Any] = {}
    done = threading.Event()

    def worker() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, which reports it
            outcome["error"] = exc
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=worker, name="concierge-tool", daemon=True)
    thread.start()
    if not done.wait(timeout):
        raise _ToolTimeout
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def execute_tool(name: str, arguments: dict[str, Any] | None, ctx: ToolContext) -> ToolResult:
    """Validate and run one tool call for ``ctx.user``. Never raises."""
    tool = TOOLS.get(name)
    if tool is None:
        return ToolResult({"error": f"unknown tool {name!r}", "available_tools": sorted(TOOLS)}, is_error=True)
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return ToolResult({"error": f"arguments for {name} must be a JSON object"}, is_error=True)
    if getattr(ctx, "user", None) is None:
        return ToolResult({"error": "no user is attached to this conversation"}, is_error=True)
    try:
        args = tool.args.model_validate(_clean(arguments))
    except ValidationError as exc:
        return ToolResult(_validation_message(name, exc), is_error=True)

    limit = timeout_seconds()
    started = time.monotonic()
    try:
        content = _run_with_timeout(lambda: tool.run(args, ctx), timeout=limit)
    except ToolFailure as exc:
        return ToolResult(exc.as_content(), is_error=True)
    except _ToolTimeout:
        logger.warning("tool %s timed out after %.1fs", name, limit, extra={"tool": name})
        return ToolResult(
            {
                "error": f"{name} did not answer within {limit:g} seconds; it may still finish in the background, "
                "so check before trying again"
            },
            is_error=True,
        )
    except Exception:
        logger.exception("tool %s failed", name, extra={"tool": name})
        return ToolResult(
            {
                "error": f"{name} failed because of an internal error; try again later or "
                "tell the user it is not available right now"
            },
            is_error=True,
        )
    logger.debug("tool %s ran in %.3fs", name, time.monotonic() - started)
    return ToolResult(content)
