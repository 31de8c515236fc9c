"""A2A v1.0 AgentCards for the platform agent and every venue agent.

A card is built as the official a2a-sdk protobuf type (a2a.types.AgentCard), checked
with the SDK's REQUIRED-field validation, and serialised the way the SDK's own card
endpoint does (``agent_card_to_dict``), so what external A2A clients fetch is exactly
what the reference implementation would serve and parse.

Agents on this network are reached through the ClawPulse gateway with signed envelopes
(the ``agnt-a2a/1.0`` wire format), not through A2A JSON-RPC. The card says so honestly:
its one interface is the gateway's message endpoint with a custom protocol binding, the
``tenant`` is the agent id to address envelopes to, and a *required* envelope extension
describes the wire format. A venue's booking rules travel as a second extension, the
machine-readable venue policy (party sizes, deposit, cancellation window, minimum spend,
kids, dress code, opening hours, lead time and booking window).

Extension params are protobuf Structs, in which every number is a double; the served
JSON keeps the policy exactly as built (integers stay integers) after the Struct copy
has validated it.
"""

from __future__ import annotations

import copy
import logging
from datetime import date
from decimal import Decimal
from typing import Any

from a2a.client.card_resolver import parse_agent_card
from a2a.server.request_handlers.response_helpers import agent_card_to_dict
from a2a.types import (
    AgentCapabilities,
    AgentExtension,
    AgentInterface,
    AgentProvider,
    AgentSkill,
    APIKeySecurityScheme,
    HTTPAuthSecurityScheme,
    SecurityRequirement,
    SecurityScheme,
)
from a2a.types import AgentCard as A2AAgentCard
from a2a.utils.errors import InvalidParamsError
from a2a.utils.proto_utils import validate_proto_required_fields
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from google.protobuf.json_format import ParseError

from agents import services
from agents.models import Agent, AgentCard, AgentKind, AgentStatus
from venues.models import Venue, VenueStatus
from venues.selectors import WEEKDAY_KEYS, _parse_hhmm, venue_timezone

logger = logging.getLogger(__name__)

A2A_PROTOCOL_VERSION = "1.0"
ENVELOPE_PROTOCOL = "agnt-a2a/1.0"
# The protocol binding of the gateway interface: signed envelopes through the gateway.
ENVELOPE_BINDING = "AGNT-ENVELOPE"
# The platform agent also speaks standard A2A JSON-RPC (agents.api.a2a_jsonrpc).
JSONRPC_BINDING = "JSONRPC"
JSONRPC_PATH = "/a2a/jsonrpc"
# Extension URIs are identifiers, not links: a URN stays the same on every deployment,
# so clients can match on it whatever host served the card.
ENVELOPE_EXTENSION_URI = "urn:agnt:a2a:ext:envelope:1.0"
VENUE_POLICY_EXTENSION_URI = "urn:agnt:a2a:ext:venue-policy:1.0"
MODES = ["application/json"]
# Venues whose agents are public: listed (staff confirm by phone) and active (claimed).
PUBLISHED_VENUE_STATUSES = frozenset({VenueStatus.LISTED, VenueStatus.ACTIVE})

# id → (name, description, tags, examples). Skills are the envelope intents an agent handles.
SKILL_CATALOGUE: dict[str, tuple[str, str, list[str], list[str]]] = {
    "booking.request": (
        "Request a booking",
        "Ask for a table or slot: party size, start time, contact. Answered with booking.accepted, "
        "booking.rejected (with a reason and alternatives) or booking.counter_offer (nearest free slots); "
        "requests outside the venue's automatic rules go to the owner first.",
        ["booking", "reservation"],
        ['{"party_size": 2, "slot_start": "2026-03-01T19:00:00+08:00", "contact_name": "Ana"}'],
    ),
    "booking.cancel": (
        "Cancel a booking",
        "Cancel a booking by its reference; answered with booking.cancelled.",
        ["booking", "cancellation"],
        ['{"booking_ref": "AG-7K3Q9D", "reason": "plans changed"}'],
    ),
    "booking.search": (
        "Search availability",
        "Free slot start times for a party size on a day, from the venue's own diary.",
        ["booking", "availability"],
        ['{"party_size": 4, "date": "2026-03-01"}'],
    ),
    "booking.confirm": (
        "Confirm a counter-offer",
        "Accept one of the slots a counter-offer proposed.",
        ["booking"],
        ['{"booking_ref": "AG-7K3Q9D", "slot_start": "2026-03-01T19:30:00+08:00"}'],
    ),
    "booking.accepted": ("Booking accepted", "A venue agent confirmed a requested booking.", ["booking", "reply"], []),
    "booking.rejected": (
        "Booking rejected",
        "A venue agent declined a request, with a reason.",
        ["booking", "reply"],
        [],
    ),
    "booking.counter_offer": (
        "Booking counter-offer",
        "A venue agent proposed other slots for a request.",
        ["booking", "reply"],
        [],
    ),
    "booking.cancelled": (
        "Booking cancelled",
        "A booking was cancelled by the venue or the guest.",
        ["booking", "reply"],
        [],
    ),
    "venue.list": (
        "List venues",
        "Venues on the network (restaurants, beach clubs, spas…) with their venue agent ids and card URLs.",
        ["discovery", "venues"],
        ['{"city": "canggu", "category": "restaurant"}'],
    ),
    "network.ping": ("Ping", "Liveness check; answered with the agent's status.", ["health"], []),
}

# The platform agent's skills on its A2A JSON-RPC interface (agents.api.a2a_jsonrpc): sent
# as a DataPart {"skill": id, ...} or as plain text, answered with a DataPart result.
JSONRPC_SKILL_CATALOGUE: dict[str, tuple[str, str, list[str], list[str]]] = {
    "venue.search": (
        "Search venues",
        "Find venues on the network (restaurants, beach clubs, spas, cafés in Bali) by free text or filters: "
        "query, city, area, category, tags, price_level_max, party_size, limit, cursor. Plain text works too.",
        ["discovery", "venues", "search"],
        ["beach clubs in Canggu", '{"skill": "venue.search", "city": "canggu", "category": "beach_club"}'],
    ),
    "booking.request": (
        "Request a booking",
        "Book a table for your API key: venue (slug; implied on a venue's own endpoint), date (YYYY-MM-DD), time "
        "(HH:MM or HH:MM:SS; without an offset venue-local, with one such as Z or +08:00 converted to venue time) "
        "or slot_start (ISO 8601 date-time, the same rule), party_size, idempotency_key (reuse it on retries), "
        "contact_name, contact_phone, special_requests. The answer is a Task that follows the booking: working "
        "while the venue's agent decides, input-required on a counter-offer or while the owner decides, then "
        "completed (the booking as an artifact), rejected, canceled or failed.",
        ["booking", "reservation"],
        [
            '{"skill": "booking.request", "venue": "la-brisa", "date": "2026-03-01", "time": "19:00", '
            '"party_size": 2, "idempotency_key": "order-42"}',
            "book La Brisa for 2 tomorrow at 19:00",
        ],
    ),
    "booking.status": (
        "Booking status",
        "One of your bookings by reference: status (requested, confirmed, rejected, counter_offered, cancelled).",
        ["booking"],
        ['{"skill": "booking.status", "reference": "AG-7K3Q9D"}'],
    ),
    "booking.cancel": (
        "Cancel a booking",
        "Cancel one of your bookings by reference; the venue's agent is told.",
        ["booking", "cancellation"],
        ['{"skill": "booking.cancel", "reference": "AG-7K3Q9D", "reason": "plans changed"}'],
    ),
}


class CardError(ValueError):
    """A card that cannot be built or does not validate against the A2A v1.0 types."""


# --- URLs --------------------------------------------------------------------------------


def _base_url() -> str:
    return str(getattr(settings, "PUBLIC_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")


def _gateway_url() -> str:
    return str(getattr(settings, "CLAWPULSE_GATEWAY", "") or f"{_base_url()}/gateway").rstrip("/")


def platform_card_url() -> str:
    return f"{_base_url()}/.well-known/agent-card.json"


def venue_card_url(venue: Venue) -> str:
    return f"{_base_url()}/agents/{venue.slug}/.well-known/agent-card.json"


# --- the venue policy extension ------------------------------------------------------------


def _money(amount: Decimal | None) -> str | None:
    # strings, not floats: 150000.00 IDR must not come back as 149999.99999
    return None if amount is None else str(Decimal(amount).quantize(Decimal("0.01")))


def _opening_hours(venue: Venue) -> dict[str, list[list[str]]]:
    """Every weekday with its ["HH:MM", "HH:MM"] intervals (empty = closed); malformed entries dropped.

    The same parsing as the diary (venues.selectors), so the card never promises hours
    the venue agent would refuse.
    """
    raw = venue.opening_hours if isinstance(venue.opening_hours, dict) else {}
    hours: dict[str, list[list[str]]] = {}
    for key in WEEKDAY_KEYS:
        intervals = []
        for entry in raw.get(key) or []:
            if not isinstance(entry, (list, tuple)) or len(entry) != 2:
                continue
            opens, closes = _parse_hhmm(entry[0]), _parse_hhmm(entry[1])
            if opens is None or closes is None:
                continue
            intervals.append([opens.strftime("%H:%M"), closes.strftime("%H:%M")])
        hours[key] = sorted(intervals)
    return hours


def venue_policy(venue: Venue, agent: Agent | None = None, *, today: date | None = None) -> dict[str, Any]:
    """The venue's booking rules as plain JSON (the params of the venue-policy extension).

    Read from the Venue row, which is what the venue agent decides against; the agent's
    own auto-accept rules are added from its DNA.
    """
    today = today or timezone.localdate()
    policies = agent.policies if agent is not None and isinstance(agent.policies, dict) else {}
    policy: dict[str, Any] = {
        "min_party_size": venue.min_party_size,
        "max_party_size": venue.max_party_size,
        "deposit": {
            "required": bool(venue.deposit_required),
            "amount": _money(venue.deposit_amount) if venue.deposit_required else None,
            "currency": venue.currency,
        },
        "cancellation_window_hours": venue.cancellation_window_hours,
        "minimum_spend": {"amount": _money(venue.minimum_spend), "currency": venue.currency},
        "kids_allowed": bool(venue.kids_allowed),
        "dress_code": venue.dress_code or None,
        "timezone": str(venue_timezone(venue)),
        "opening_hours": _opening_hours(venue),
        "slot_minutes": venue.slot_minutes,
        "booking_duration_minutes": venue.booking_duration_minutes,
        "booking_lead_minutes": venue.booking_lead_minutes,
        "booking_window_days": venue.booking_window_days,
        # only dates still ahead matter to a client planning a booking
        "blackout_dates": sorted({d.isoformat() for d in (venue.blackout_dates or []) if d >= today}),
        "auto_accept": bool(policies.get("auto_accept", True)),
    }
    if isinstance(policies.get("owner_approval_above_party_size"), int):
        policy["owner_approval_above_party_size"] = policies["owner_approval_above_party_size"]
    return policy


# --- building -------------------------------------------------------------------------------


def jsonrpc_url(venue: Venue | None = None) -> str:
    """The platform agent's JSON-RPC endpoint, or a venue agent's own (same protocol, bound to it)."""
    if venue is not None:
        return f"{_base_url()}/agents/{venue.slug}{JSONRPC_PATH}"
    return f"{_base_url()}{JSONRPC_PATH}"


def _skills(skill_ids: list[str], *, jsonrpc: bool = False) -> list[AgentSkill]:
    skills = []
    # on the platform card, skills it answers over JSON-RPC are described as such
    catalogue = {**SKILL_CATALOGUE, **JSONRPC_SKILL_CATALOGUE} if jsonrpc else SKILL_CATALOGUE
    for skill_id in dict.fromkeys(skill_ids or []):
        name, description, tags, examples = catalogue.get(
            skill_id, (skill_id, f"Handles {skill_id} envelopes.", ["agnt"], [])
        )
        skills.append(
            AgentSkill(
                id=skill_id,
                name=name,
                description=description,
                tags=tags,
                examples=examples,
                input_modes=MODES,
                output_modes=MODES,
            )
        )
    return skills


def _envelope_extension(agent: Agent, *, required: bool = True) -> tuple[AgentExtension, dict[str, Any]]:
    params = {
        "protocol": ENVELOPE_PROTOCOL,
        "agent_id": agent.agent_id,
        "gateway": _gateway_url(),
        "send": "POST {gateway}/api/agents/message {to, from, payload, priority} with X-API-Key",
        "signature": "hex HMAC-SHA256 over '{timestamp}.' + canonical JSON of the envelope without 'signature'",
        "replay_window_seconds": 300,
        "intents": list(dict.fromkeys(agent.skills or [])),
    }
    extension = AgentExtension(
        uri=ENVELOPE_EXTENSION_URI,
        description=(
            "Messages to this agent are signed agnt-a2a/1.0 envelopes sent through the gateway."
            if required
            else "Messages sent to the gateway interface are signed agnt-a2a/1.0 envelopes (the JSON-RPC interface "
            "takes plain A2A messages)."
        ),
        required=required,
        params=params,
    )
    return extension, params


def _policy_extension(venue: Venue, agent: Agent) -> tuple[AgentExtension, dict[str, Any]]:
    params = venue_policy(venue, agent)
    extension = AgentExtension(
        uri=VENUE_POLICY_EXTENSION_URI,
        description=(
            "The venue's booking rules: party sizes, deposit, cancellation window, minimum spend, kids and "
            "dress policy, opening hours (venue-local), lead time and booking window."
        ),
        required=False,
        params=params,
    )
    return extension, params


def _card(
    *,
    agent: Agent,
    name: str,
    description: str,
    extensions: list[tuple[AgentExtension, dict]],
    documentation_url: str = "",
    icon_url: str = "",
    jsonrpc: str = "",
    extra_skills: list[str] | None = None,
) -> dict[str, Any]:
    interfaces = []
    if jsonrpc:
        # first: the interface any standard A2A client can use (clients prefer the first)
        interfaces.append(
            AgentInterface(url=jsonrpc, protocol_binding=JSONRPC_BINDING, protocol_version=A2A_PROTOCOL_VERSION)
        )
    interfaces += [
        AgentInterface(
            url=f"{_gateway_url()}/api/agents/message",
            protocol_binding=ENVELOPE_BINDING,
            protocol_version=A2A_PROTOCOL_VERSION,
            tenant=agent.agent_id,
        )
    ]
    if agent.endpoint_url:
        # an agent hosted elsewhere also takes envelopes pushed straight to it
        interfaces.append(
            AgentInterface(
                url=agent.endpoint_url,
                protocol_binding=ENVELOPE_BINDING,
                protocol_version=A2A_PROTOCOL_VERSION,
                tenant=agent.agent_id,
            )
        )
    card = A2AAgentCard(
        name=name,
        description=description,
        supported_interfaces=interfaces,
        provider=AgentProvider(organization="AGNT", url=_base_url()),
        version=str(getattr(settings, "AGNT_AGENT_VERSION", "1.0.0")),
        documentation_url=documentation_url,
        icon_url=icon_url,
        capabilities=AgentCapabilities(
            # the JSON-RPC interface streams task updates (SendStreamingMessage, SubscribeToTask)
            # and pushes them to a task's push notification configs; the envelope binding
            # pushes answers back to the sender's inbox
            streaming=bool(jsonrpc),
            push_notifications=True,
            extended_agent_card=False,
            extensions=[extension for extension, _ in extensions],
        ),
        security_schemes={
            "gatewayKey": SecurityScheme(
                api_key_security_scheme=APIKeySecurityScheme(
                    location="header",
                    name="X-API-Key",
                    description="Gateway key: the agent's inbox key, or an AGNT API key for external agents.",
                )
            )
        },
        security_requirements=[SecurityRequirement(schemes={"gatewayKey": {"list": []}})],
        default_input_modes=MODES,
        default_output_modes=MODES,
        skills=_skills(list(extra_skills or []) + list(agent.skills or []), jsonrpc=bool(jsonrpc)),
    )
    if jsonrpc:
        # the JSON-RPC endpoint takes the same AGNT API key as a bearer token (or X-API-Key)
        card.security_schemes["apiKeyBearer"].CopyFrom(
            SecurityScheme(
                http_auth_security_scheme=HTTPAuthSecurityScheme(
                    scheme="bearer",
                    description="An AGNT API key (agnt_live_…), as Authorization: Bearer.",
                )
            )
        )
        card.security_requirements.append(SecurityRequirement(schemes={"apiKeyBearer": {"list": []}}))
    try:
        validate_proto_required_fields(card)
    except InvalidParamsError as exc:
        raise CardError(f"card for {agent.agent_id} is not a valid A2A v1.0 AgentCard: {exc.data}") from exc
    result = agent_card_to_dict(card)
    # keep the params as built (ints stay ints; the Struct made them doubles)
    for served, (_, params) in zip(result["capabilities"].get("extensions", []), extensions):
        served["params"] = copy.deepcopy(params)
    return result


def build_platform_card() -> dict[str, Any]:
    """The platform agent's AgentCard JSON (registers the platform agent if needed)."""
    from agents.network.registry import platform_agent

    agent = platform_agent()
    return _card(
        agent=agent,
        name=agent.display_name or "AGNT",
        description=agent.persona or "The AGNT platform agent.",
        extensions=[_envelope_extension(agent, required=False)],
        documentation_url=f"{_base_url()}/api/docs/",
        jsonrpc=jsonrpc_url(),
        extra_skills=list(JSONRPC_SKILL_CATALOGUE),
    )


def build_venue_card(venue: Venue, agent: Agent | None = None) -> dict[str, Any]:
    """A venue agent's AgentCard JSON with the venue policy extension.

    ``agent`` defaults to the venue's agent (registered on first use).
    """
    if agent is None:
        from agents.network.registry import venue_agent

        agent = venue_agent(venue)
    where = ", ".join(part for part in (venue.area, getattr(venue.city, "name", "")) if part)
    summary = f"{venue.get_category_display()} in {where}" if where else venue.get_category_display()
    description = f"Booking agent of {venue.name} ({summary})."
    if venue.description:
        description = f"{description} {venue.description.strip()}"[:1000]
    return _card(
        agent=agent,
        name=venue.name,
        description=description,
        extensions=[_envelope_extension(agent, required=False), _policy_extension(venue, agent)],
        documentation_url=venue.website or "",
        jsonrpc=jsonrpc_url(venue),
        extra_skills=[skill for skill in JSONRPC_SKILL_CATALOGUE if skill != "venue.search"],
    )


def build_card(agent: Agent) -> dict[str, Any]:
    """The card of a platform or venue agent. Consumer agents have no public card (privacy)."""
    if agent.kind == AgentKind.PLATFORM:
        return build_platform_card()
    if agent.kind == AgentKind.VENUE:
        return build_venue_card(agent.venue, agent)
    raise CardError(f"{agent.agent_id} is a {agent.kind} agent: only platform and venue agents publish cards")


def card_is_public(agent: Agent) -> bool:
    """Served at its well-known URL: not retired, and (venue agents) the venue is listed or active."""
    if agent.status == AgentStatus.RETIRED:
        return False
    if agent.kind == AgentKind.PLATFORM:
        return True
    return agent.kind == AgentKind.VENUE and agent.venue is not None and agent.venue.status in PUBLISHED_VENUE_STATUSES


def validate_card(data: dict[str, Any]) -> A2AAgentCard:
    """Parse card JSON the way an A2A client does (a2a-sdk's resolver) and check REQUIRED fields.

    Returns the parsed a2a.types.AgentCard; raises CardError when a client would not accept it.
    """
    try:
        parsed = parse_agent_card(copy.deepcopy(data))
        validate_proto_required_fields(parsed)
    except (ParseError, InvalidParamsError, TypeError, ValueError) as exc:
        raise CardError(str(getattr(exc, "data", None) or exc)) from exc
    return parsed


# --- publishing -----------------------------------------------------------------------------


def card_sources_changed_at(agent: Agent):
    """When the data a card is built from last changed: the agent's DNA, its venue, the city."""
    moments = [agent.updated_at]
    if agent.kind == AgentKind.VENUE and agent.venue is not None:
        moments.append(agent.venue.updated_at)
        if agent.venue.city_id:
            moments.append(agent.venue.city.updated_at)
    return max(moments)


def card_is_stale(agent: Agent, stored: AgentCard | None) -> bool:
    """Missing, built by an older card format, or its agent/venue/city changed after it was
    last checked (see card_publish)."""
    if stored is None or "supportedInterfaces" not in (stored.card or {}):
        return True  # a card from before the A2A v1.0 builder (e.g. older demo data)
    if not any(interface.get("protocolBinding") == JSONRPC_BINDING for interface in stored.card["supportedInterfaces"]):
        return True  # a card from before the JSON-RPC endpoints
    return card_sources_changed_at(agent) > stored.updated_at


@transaction.atomic
def card_publish(*, agent: Agent) -> tuple[AgentCard, bool]:
    """Build the agent's card and publish it; returns (card, changed).

    agent_card_publish leaves an identical card untouched; we still stamp its
    ``updated_at`` so it reads as "last checked against its sources" — card_is_stale then
    skips it until the venue or the agent changes again (``published_at`` stays the time
    the content last changed).
    """
    card = build_card(agent)
    try:
        stored, changed = services.agent_card_publish(agent=agent, card=card)
    except IntegrityError:
        # Two first fetches raced to create the card row (agent is unique); the loser's
        # savepoint rolled back, and now the row exists to compare against.
        stored, changed = services.agent_card_publish(agent=agent, card=card)
    if not changed:
        now = timezone.now()
        AgentCard.objects.filter(pk=stored.pk).update(updated_at=now)
        stored.updated_at = now
    return stored, changed


def cards_refresh(*, full: bool = False, batch: int = 500) -> dict[str, int]:
    """Republish the cards whose sources changed; returns counts (checked, changed, failed).

    The platform card is rebuilt every run (one card); if it changed, the base URLs in
    settings changed too, so every card is rebuilt (``full``). Venues on the network
    without an agent yet get one and a card, so every public venue is discoverable. Each
    card is its own transaction: one venue with bad data must not hold back the rest.
    """
    from django.db.models import F, Q

    from agents.network.registry import platform_agent, venue_agent

    counts = {"checked": 0, "changed": 0, "failed": 0, "registered": 0}
    _, platform_changed = card_publish(agent=platform_agent())
    counts["checked"] += 1
    counts["changed"] += int(platform_changed)
    full = full or platform_changed

    for venue in Venue.objects.filter(status__in=PUBLISHED_VENUE_STATUSES, agent__isnull=True).select_related("city")[
        :batch
    ]:
        try:
            venue_agent(venue)
            counts["registered"] += 1
        except Exception:  # one venue's bad row must not stop the sweep
            logger.exception("agent_card_refresh: could not register the agent of venue %s", venue.pk)
            counts["failed"] += 1

    agents = (
        Agent.objects.filter(kind=AgentKind.VENUE, venue__status__in=PUBLISHED_VENUE_STATUSES)
        .exclude(status=AgentStatus.RETIRED)
        .select_related("venue__city", "card")
    )
    if not full:
        agents = agents.filter(
            Q(card__isnull=True)
            | Q(updated_at__gt=F("card__updated_at"))
            | Q(venue__updated_at__gt=F("card__updated_at"))
            | Q(venue__city__updated_at__gt=F("card__updated_at"))
        )
    for agent in agents.order_by("pk")[: batch if not full else None]:
        counts["checked"] += 1
        try:
            _, changed = card_publish(agent=agent)
        except Exception:
            logger.exception("agent_card_refresh: could not publish the card of %s", agent.agent_id)
            counts["failed"] += 1
            continue
        counts["changed"] += int(changed)
    return counts
