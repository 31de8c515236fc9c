"""The tools a hosted agent may declare and call with ``call_tool(name, args)``.

AGNT's own tools run through agents.platform.external, the same domain layer the
/a2a/v1 API, MCP server and A2A endpoint use. A tool that lives in an app above agents
(the weather client is messaging's) is *registered* here by that app at start-up
(:func:`register`), so imports keep flowing one way.

Declared MCP servers are named ``mcp:<server>/<tool>``; agents.hosted.mcp_client calls
them through the SSRF guard with a timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from agents.platform import external as network


class ToolFailed(Exception):
    """A tool refused or failed; the message is for the agent's code to read."""


def _str(args: dict, name: str, *, required: bool = False) -> str | None:
    value = args.get(name)
    if value in (None, ""):
        if required:
            raise ToolFailed(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise ToolFailed(f"{name} must be a string")
    return value


def _int(args: dict, name: str, default: int | None = None) -> int | None:
    value = args.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ToolFailed(f"{name} must be a whole number")
    return int(value)


def venue_search(args: dict[str, Any]) -> dict[str, Any]:
    tags = args.get("tags") or []
    if not isinstance(tags, list):
        raise ToolFailed("tags must be a list of strings")
    page = network.venue_list(
        query=_str(args, "query") or "",
        city=_str(args, "city"),
        area=_str(args, "area"),
        category=_str(args, "category"),
        tags=[str(t) for t in tags][:10],
        party_size=_int(args, "party_size"),
        price_level_max=_int(args, "price_level_max"),
        limit=max(1, min(_int(args, "limit", 5) or 5, 20)),
    )
    return {"venues": page.items, "count": len(page.items)}


def venue_details(args: dict[str, Any]) -> dict[str, Any]:
    return network.venue_detail(network.venue_get(ref=_str(args, "venue", required=True)))


def check_availability(args: dict[str, Any]) -> dict[str, Any]:
    raw = _str(args, "date", required=True)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ToolFailed("date must be YYYY-MM-DD") from None
    party_size = _int(args, "party_size", 2)
    return network.availability(
        venue=network.venue_get(ref=_str(args, "venue", required=True)), day=day, party_size=party_size
    )


def ask_venue(args: dict[str, Any]) -> dict[str, Any]:
    venue = _str(args, "venue")
    return network.ask_venue(
        question=_str(args, "question", required=True),
        venue=network.venue_get(ref=venue) if venue else None,
        city=_str(args, "city"),
    )


TOOLS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "venue_search": venue_search,
    "venue_details": venue_details,
    "check_availability": check_availability,
    "ask_venue": ask_venue,
}
DESCRIPTIONS: dict[str, str] = {
    "venue_search": "Search venues: query, city, area, category, tags, party_size, price_level_max, limit.",
    "venue_details": "One venue's details and booking policy: venue (slug).",
    "check_availability": "Free start times: venue (slug), date (YYYY-MM-DD), party_size.",
    "ask_venue": "Answers from venue knowledge with citations: question, venue (slug, optional), city.",
}


def register(name: str, fn: Callable[[dict[str, Any]], Any], description: str) -> None:
    """Add a tool from an app above agents (called from its AppConfig.ready)."""
    TOOLS[name] = fn
    DESCRIPTIONS[name] = description


def is_known(name: str) -> bool:
    return name in TOOLS or name.startswith("mcp:")


def run_builtin(name: str, args: dict[str, Any]) -> Any:
    fn = TOOLS.get(name)
    if fn is None:
        raise ToolFailed(f"unknown tool {name!r}")
    try:
        return fn(args)
    except network.NetworkError as exc:
        raise ToolFailed(f"{exc.code}: {exc.detail}") from None
    except (ValueError, TypeError) as exc:
        raise ToolFailed(str(exc)[:300]) from None
