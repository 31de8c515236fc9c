"""Public A2A discovery: the platform's and each venue's AgentCard at their well-known URLs.

GET /.well-known/agent-card.json                         the platform agent
GET /agents/<venue-slug>/.well-known/agent-card.json     a listed or active venue's agent

Anyone may fetch a card (CORS ``*``: browser-based agents discover too). Responses carry
a weak ETag (the stored card's SHA-256) and Cache-Control, and ``If-None-Match`` gets a
304, so polling clients cost one indexed read. A card that is missing or older than its
agent / venue is built and published on the spot; the agent_card_refresh job keeps the
rest current.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from agents.models import Agent, AgentCard
from agents.network.cards import PUBLISHED_VENUE_STATUSES, card_is_public, card_is_stale, card_publish
from agents.network.registry import platform_agent, venue_agent
from venues.models import Venue

ALLOWED_METHODS = "GET, HEAD, OPTIONS"


def _cache_control() -> str:
    seconds = int(getattr(settings, "AGENT_CARD_CACHE_SECONDS", 300))
    return f"public, max-age={seconds}"


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    response["Access-Control-Allow-Headers"] = "If-None-Match, Content-Type"
    response["Access-Control-Expose-Headers"] = "ETag"
    return response


def _not_found(message: str) -> HttpResponse:
    response = JsonResponse({"error": "not_found", "message": message}, status=404)
    response["Cache-Control"] = "no-store"
    return _cors(response)


def _if_none_match_hits(header: str, etag: str) -> bool:
    """RFC 9110 weak comparison: W/"x" and "x" name the same entity; * matches anything."""
    candidates = [candidate.strip() for candidate in header.split(",")]
    return "*" in candidates or any(candidate.removeprefix("W/") == etag.removeprefix("W/") for candidate in candidates)


def _preflight_or_refuse(request: HttpRequest) -> HttpResponse | None:
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Access-Control-Max-Age"] = "86400"
        return _cors(response)
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse({"error": "method_not_allowed", "message": "use GET"}, status=405)
        response["Allow"] = ALLOWED_METHODS
        return _cors(response)
    return None


def _serve(request: HttpRequest, agent: Agent) -> HttpResponse:
    stored = AgentCard.objects.filter(agent=agent).first()
    if card_is_stale(agent, stored):
        stored, _ = card_publish(agent=agent)
    # Weak: the body is re-serialised from jsonb, so it is the same card, not the same bytes.
    etag = f'W/"{stored.etag}"'
    headers = {"ETag": etag, "Cache-Control": _cache_control()}
    if_none_match = request.headers.get("If-None-Match", "")
    if if_none_match and _if_none_match_hits(if_none_match, etag):
        response = HttpResponse(status=304)
    else:
        response = JsonResponse(stored.card, json_dumps_params={"ensure_ascii": False})
    if stored.published_at:
        response["Last-Modified"] = http_date(stored.published_at.timestamp())
    for name, value in headers.items():
        response[name] = value
    return _cors(response)


# csrf_exempt: these views never act on a request body; without it a POST would get the
# CSRF page instead of a plain 405.
@csrf_exempt
def platform_card(request: HttpRequest) -> HttpResponse:
    refused = _preflight_or_refuse(request)
    if refused is not None:
        return refused
    agent = platform_agent()
    if not card_is_public(agent):
        return _not_found("the platform agent is retired")
    return _serve(request, agent)


@csrf_exempt
def venue_card(request: HttpRequest, slug: str) -> HttpResponse:
    refused = _preflight_or_refuse(request)
    if refused is not None:
        return refused
    # Drafts, paused and closed venues are not on the network; say nothing more than 404.
    venue = Venue.objects.select_related("city").filter(slug=slug[:180], status__in=PUBLISHED_VENUE_STATUSES).first()
    if venue is None:
        return _not_found("no venue agent with that name")
    agent = Agent.objects.filter(venue=venue).first() or venue_agent(venue)
    agent.venue = venue  # already loaded with its city; card building reads both
    if not card_is_public(agent):
        return _not_found("no venue agent with that name")
    return _serve(request, agent)
