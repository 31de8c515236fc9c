"""The agent registry: the platform agent, and the "DNA" every kind of agent starts with.

An agent's DNA is what shapes its behaviour on the network: a persona (the voice it
speaks with), the languages it answers in, its policies (the rules it applies on its
own, e.g. auto-accepting bookings inside the venue's limits) and its skills (the A2A
intents it handles). The DNA is stored on the Agent row; this module says what a new
agent of each kind gets, and offers one service to change it with validation.

agents.services.agent_register_for_venue / agent_register_for_user stay the way venue
and consumer agents are created (callers across the project use them); the functions
here wrap them under registry names and add the platform agent, which is registered once
under settings.CLAWPULSE_PLATFORM_AGENT_ID.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from agents import services
from agents.models import Agent, AgentKind, EnvelopeIntent

DEFAULT_PLATFORM_AGENT_ID = "agnt-platform"

# What each kind of agent answers on the network (the intents of envelopes sent TO it).
VENUE_AGENT_SKILLS = list(services.VENUE_AGENT_SKILLS)
CONSUMER_AGENT_SKILLS = list(services.CONSUMER_AGENT_SKILLS)
# The platform agent speaks for external developer agents (the /a2a API and MCP): it lists
# venues, searches availability, and receives the venue agents' answers to the bookings it
# requested on a developer's behalf.
PLATFORM_AGENT_SKILLS = [
    EnvelopeIntent.VENUE_LIST.value,
    EnvelopeIntent.BOOKING_SEARCH.value,
    EnvelopeIntent.BOOKING_ACCEPTED.value,
    EnvelopeIntent.BOOKING_REJECTED.value,
    EnvelopeIntent.BOOKING_COUNTER_OFFER.value,
    EnvelopeIntent.BOOKING_CANCELLED.value,
    EnvelopeIntent.NETWORK_PING.value,
]

PLATFORM_PERSONA = (
    "The AGNT platform agent for Bali. It speaks for external developer agents: finds venues, "
    "checks availability and routes booking requests to each venue's own agent."
)

# Policy keys an agent understands, with the type each must have. Unknown keys are refused
# so a typo in the admin ("max_pary_size") does not silently do nothing.
POLICY_TYPES: dict[str, tuple[type, ...]] = {
    "auto_accept": (bool,),
    "min_party_size": (int,),
    "max_party_size": (int,),
    # above this party size the venue agent asks the owner instead of deciding alone
    "owner_approval_above_party_size": (int,),
    "owner_decision_minutes": (int,),
    "booking_lead_minutes": (int,),
    "booking_window_days": (int,),
    "deposit_required": (bool,),
    "flag_special_requests": (bool,),
    "confirm_before_paid_actions": (bool,),
}
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")


class AgentDnaError(ValueError):
    """A DNA change the registry refuses; the message is safe to show an operator."""


def platform_agent_id() -> str:
    return getattr(settings, "CLAWPULSE_PLATFORM_AGENT_ID", "") or DEFAULT_PLATFORM_AGENT_ID


def platform_dna() -> dict[str, Any]:
    return {
        "display_name": "AGNT",
        "persona": PLATFORM_PERSONA,
        "languages": ["en", "id"],
        "skills": list(PLATFORM_AGENT_SKILLS),
        "policies": {"confirm_before_paid_actions": True},
    }


def venue_dna(venue) -> dict[str, Any]:
    """The DNA a new venue agent gets: limits copied from the venue, auto-accept on."""
    return {
        "display_name": venue.name,
        "persona": f"The booking agent of {venue.name}. Polite, precise, never overbooks.",
        "languages": ["en", "id"],
        "skills": list(VENUE_AGENT_SKILLS),
        "policies": {
            "min_party_size": venue.min_party_size,
            "max_party_size": venue.max_party_size,
            "booking_lead_minutes": venue.booking_lead_minutes,
            "booking_window_days": venue.booking_window_days,
            "deposit_required": venue.deposit_required,
            "auto_accept": True,
        },
    }


def consumer_dna(user) -> dict[str, Any]:
    return {
        "display_name": f"Concierge of {user}"[:160],
        "persona": "A warm, concise local concierge for Bali who remembers what the user likes.",
        "languages": [user.language] if getattr(user, "language", "") else ["en"],
        "skills": list(CONSUMER_AGENT_SKILLS),
        "policies": {"confirm_before_paid_actions": True},
    }


def platform_agent() -> Agent:
    """The platform agent (registered on first call, then always the same row).

    A plain read on the hot path; the create runs once per database. get_or_create
    retries the read after a unique-violation, so two processes starting together end
    up with the same row.
    """
    agent_id = platform_agent_id()
    agent = Agent.objects.filter(agent_id=agent_id).first()
    if agent is None:
        agent = _platform_agent_register(agent_id)
    if agent.kind != AgentKind.PLATFORM:
        raise ImproperlyConfigured(
            f"CLAWPULSE_PLATFORM_AGENT_ID={agent_id!r} names a {agent.kind} agent, not the platform agent"
        )
    return agent


@transaction.atomic
def _platform_agent_register(agent_id: str) -> Agent:
    dna = platform_dna()
    agent, _ = Agent.objects.get_or_create(agent_id=agent_id, defaults={"kind": AgentKind.PLATFORM, **dna})
    return agent


def venue_agent(venue) -> Agent:
    """The venue's agent (agents.services.agent_register_for_venue, under its registry name)."""
    return services.agent_register_for_venue(venue=venue)


def consumer_agent(user) -> Agent:
    """The user's concierge agent (agents.services.agent_register_for_user)."""
    return services.agent_register_for_user(user=user)


def _clean_policies(policies: Any) -> dict[str, Any]:
    if not isinstance(policies, dict):
        raise AgentDnaError("policies must be an object")
    unknown = sorted(set(policies) - set(POLICY_TYPES))
    if unknown:
        raise AgentDnaError(f"unknown policy keys: {', '.join(unknown)}")
    for key, value in policies.items():
        types = POLICY_TYPES[key]
        # bool is an int subclass: an int policy must not accept True
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise AgentDnaError(f"policy {key} must be {' or '.join(t.__name__ for t in types)}")
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise AgentDnaError(f"policy {key} must not be negative")
    low, high = policies.get("min_party_size"), policies.get("max_party_size")
    if low is not None and high is not None and low > high:
        raise AgentDnaError("min_party_size must not exceed max_party_size")
    return dict(policies)


@transaction.atomic
def agent_dna_update(
    *,
    agent: Agent,
    persona: str | None = None,
    languages: list[str] | None = None,
    policies: dict[str, Any] | None = None,
    skills: list[str] | None = None,
) -> Agent:
    """Change an agent's DNA (only the parts given), validated; its card follows on refresh.

    ``policies`` replaces the whole policy object (the admin edits it as one JSON value).
    """
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    fields = ["updated_at"]
    if persona is not None:
        locked.persona = persona.strip()
        fields.append("persona")
    if languages is not None:
        cleaned = [str(code).strip() for code in languages if str(code).strip()]
        bad = [code for code in cleaned if not LANGUAGE_RE.match(code)]
        if bad or not cleaned:
            raise AgentDnaError(f"languages must be language codes like 'en' or 'id' (got {bad or 'none'})")
        locked.languages = list(dict.fromkeys(cleaned))
        fields.append("languages")
    if skills is not None:
        unknown = sorted(set(skills) - set(EnvelopeIntent.values))
        if unknown:
            raise AgentDnaError(f"unknown skills (A2A intents): {', '.join(unknown)}")
        locked.skills = list(dict.fromkeys(skills))
        fields.append("skills")
    if policies is not None:
        locked.policies = _clean_policies(policies)
        fields.append("policies")
    locked.save(update_fields=fields)
    for field in fields:
        setattr(agent, field, getattr(locked, field))
    return locked
