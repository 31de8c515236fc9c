"""Messaging's contribution to hosted agents' tools: ``weather`` (the concierge's weather
client), registered with agents.hosted.tools at start-up (imports flow one way)."""

from __future__ import annotations

from typing import Any


def weather(args: dict[str, Any]) -> dict[str, Any]:
    from django.db.models import Q

    from agents.hosted.tools import ToolFailed
    from messaging.clients import weather as client
    from venues.models import City

    name = args.get("city")
    if not isinstance(name, str) or not name.strip():
        raise ToolFailed("city is required (a city slug such as 'canggu')")
    city = City.objects.filter(Q(slug__iexact=name.strip()) | Q(name__iexact=name.strip())).first()
    if city is None:
        raise ToolFailed(f"no city {name!r}")
    now = client.current_weather(city=city)
    if now is None:
        raise ToolFailed(f"the weather for {city.name} is not available right now")
    return now


def register() -> None:
    from agents.hosted import tools

    tools.register("weather", weather, "Current weather in a city: city (slug or name).")
