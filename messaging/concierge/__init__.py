"""The concierge's own parts of a model turn, plugged into the shared LLM gateway
(agnt.llm.gateway) by messaging's AppConfig.ready:

- ``offline.py``: the deterministic planner that plays the model when no model is
  configured (the default for ``make run`` and the tests);
- ``soul.py``: the system prompt (persona + what is true for this user right now);
- the tools are ``messaging.tools.registry``.

The factories import lazily so a process that never runs a turn does not load them.
"""

from __future__ import annotations

from typing import Any


def offline_provider():
    from messaging.concierge.offline import OfflinePlanner

    return OfflinePlanner()


def system_prompt(ctx, *, query: str | None = None) -> list[dict[str, Any]]:
    from messaging.concierge.soul import build_system_prompt

    return build_system_prompt(ctx, query=query)


def tool_registry():
    from messaging.tools import registry

    return registry
