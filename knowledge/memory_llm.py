"""An LLM-backed memory extractor, next to the rule-based one in knowledge.memory.

With ``LLM_PROVIDER=anthropic`` (and ``MEMORY_EXTRACTOR=auto``) a message is sent to
Claude through the LLM gateway (agnt.llm.gateway.extract_structured) with one tool,
``record_user_facts``, whose strict input schema is the only way to answer: allergies,
dietary rules, favourite areas, usual party size, budget, dislikes. The answer is then
validated here (lengths, ranges, known diets) — the API checks the shape, not the sense —
and turned into the same MemoryCandidate texts the rules produce ("Allergic to peanuts",
"Usually books for 4"), so a fact learned either way folds into one memory.

What the rules find in the same message is kept next to the model's facts (the rules are
precise on the shapes they know; the model adds what they miss — "my daughter can't have
anything with nuts in it"). Any failure (provider down, budget spent, an answer that does
not validate) falls back to the rules alone, and so do the providers without a forced,
schema-checked tool call (offline, Ollama).
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from knowledge.memory import (
    _DIETS,
    MemoryCandidate,
    _format_amount,
    _known_places,
    extract_memories,
    normalise_memory_text,
)
from knowledge.models import MemoryKind

logger = logging.getLogger(__name__)

TOOL_NAME = "record_user_facts"
MAX_MESSAGE_CHARS = 2_000
# Shorter messages ("ok", "yes please") state nothing durable: not worth a model call.
MIN_MESSAGE_WORDS = 3

DIETS = (
    "vegan",
    "vegetarian",
    "pescatarian",
    "gluten-free",
    "dairy-free",
    "halal",
    "kosher",
    "keto",
    "lactose intolerant",
    "no pork",
    "no alcohol",
)
_DIET_CONTENT = {
    **{diet: _DIETS[diet] for diet in DIETS if diet in _DIETS},
    "lactose intolerant": "Lactose intolerant",
    "no pork": "Avoids pork",
    "no alcohol": "Avoids alcohol",
}
_BUDGET_LEVEL_CONTENT = {
    "cheap": "Budget: cheap eats, budget-friendly",
    "mid-range": "Budget: mid-range",
    "splurge": "Budget: happy to splurge",
}

INSTRUCTIONS = """You read one chat message a user sent to a restaurant and venue concierge in Bali and record \
durable facts it states about the user (or the people they usually go out with), by calling record_user_facts.

Record only what the message states as true about the author, not what they ask about, wish for \
this one time, or say about other people in general:
- "Is there a vegan menu?" states nothing. "We're vegan" states dietary: vegan.
- "A table for 6 tonight" is not a usual party size; "we're usually four" or "there are 4 of us in the family" is.
- allergies: foods, in a few words ("peanuts", "shellfish"). "My son can't have nuts" is an allergy to nuts.
- favourite_areas: neighbourhoods or towns in Bali the user says they love, prefer or stay in.
- budget: per person in Indonesian rupiah when a number is given (convert "500k" to 500000, "1.5jt" to 1500000); \
otherwise a level when the user says so (cheap / mid-range / splurge).
- dislikes: things the user says they dislike or avoid that are not allergies or diets (a few words each).
Use empty lists and nulls for everything the message does not state. Never invent."""

FACTS_TOOL = {
    "name": TOOL_NAME,
    "description": "Record the durable facts the message states about its author. Empty lists / nulls when none.",
    "input_schema": {
        "type": "object",
        "properties": {
            "allergies": {"type": "array", "items": {"type": "string"}, "description": "Foods they are allergic to."},
            "dietary": {"type": "array", "items": {"type": "string", "enum": list(DIETS)}},
            "favourite_areas": {"type": "array", "items": {"type": "string"}, "description": "Bali areas or towns."},
            "usual_party_size": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "budget": {
                "anyOf": [
                    {
                        "type": "object",
                        "properties": {
                            "per_person_idr": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                            "bound": {"type": "string", "enum": ["under", "around"]},
                            "level": {
                                "anyOf": [{"type": "string", "enum": list(_BUDGET_LEVEL_CONTENT)}, {"type": "null"}]
                            },
                        },
                        "required": ["per_person_idr", "bound", "level"],
                        "additionalProperties": False,
                    },
                    {"type": "null"},
                ]
            },
            "dislikes": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["allergies", "dietary", "favourite_areas", "usual_party_size", "budget", "dislikes"],
        "additionalProperties": False,
    },
}

_Phrase = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60, pattern=r"^[^\n\r<>{}]+$")
]


class _Budget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_person_idr: int | None = Field(None, ge=10_000, le=100_000_000)
    bound: Literal["under", "around"] = "around"
    level: Literal["cheap", "mid-range", "splurge"] | None = None


class ExtractedFacts(BaseModel):
    """What the model recorded, re-checked: the schema says "a string", this says "a short phrase"."""

    model_config = ConfigDict(extra="forbid")

    allergies: list[_Phrase] = Field(default_factory=list, max_length=8)
    dietary: list[Literal[DIETS]] = Field(default_factory=list, max_length=8)  # type: ignore[valid-type]
    favourite_areas: list[_Phrase] = Field(default_factory=list, max_length=5)
    usual_party_size: int | None = Field(None, ge=1, le=30)
    budget: _Budget | None = None
    dislikes: list[_Phrase] = Field(default_factory=list, max_length=8)


def facts_to_candidates(facts: ExtractedFacts, *, places: dict[str, str] | None = None) -> list[MemoryCandidate]:
    """The validated facts as memory candidates, worded as the rule-based extractor words them."""
    places = places if places is not None else _known_places()
    found: dict[tuple[str, str], MemoryCandidate] = {}

    def add(kind: str, content: str, confidence: float) -> None:
        found.setdefault(
            (kind, normalise_memory_text(content)), MemoryCandidate(kind=kind, content=content, confidence=confidence)
        )

    for item in facts.allergies:
        add(MemoryKind.ALLERGY, f"Allergic to {item.lower()}", 0.9)
    for diet in facts.dietary:
        add(MemoryKind.ALLERGY, _DIET_CONTENT[diet], 0.9)
    for area in facts.favourite_areas:
        known = places.get(area.lower())
        # A place we know is written our way; an unknown one is kept, less sure (a model may mishear).
        add(MemoryKind.AREA, f"Favourite area: {known or area}", 0.85 if known else 0.7)
    if facts.usual_party_size is not None:
        add(MemoryKind.PARTY_SIZE, f"Usually books for {facts.usual_party_size}", 0.8)
    if facts.budget is not None:
        amount = _format_amount(str(facts.budget.per_person_idr), None) if facts.budget.per_person_idr else None
        if amount:
            add(MemoryKind.BUDGET, f"Budget: {facts.budget.bound} {amount} per person", 0.8)
        elif facts.budget.level:
            add(MemoryKind.BUDGET, _BUDGET_LEVEL_CONTENT[facts.budget.level], 0.75)
    for item in facts.dislikes:
        add(MemoryKind.PREFERENCE, f"Dislikes {item}", 0.75)
    return list(found.values())


def llm_extraction_enabled() -> bool:
    """Whether messages go to the model first: MEMORY_EXTRACTOR=auto and a provider that can."""
    return (
        settings.MEMORY_EXTRACTOR == "auto"
        and settings.LLM_PROVIDER == "anthropic"
        and bool(settings.ANTHROPIC_API_KEY)
    )


def extract_memories_with_llm(text: str, *, user=None) -> list[MemoryCandidate]:
    """Facts from the model when it is configured and answers validly; the rules otherwise."""
    text = (text or "").strip()
    if not llm_extraction_enabled() or len(text.split()) < MIN_MESSAGE_WORDS:
        return extract_memories(text)
    from agnt.llm.base import ProviderError
    from agnt.llm.gateway import extract_structured

    try:
        result = extract_structured(
            instructions=INSTRUCTIONS,
            text=f"<message>\n{text[:MAX_MESSAGE_CHARS]}\n</message>",
            tool=FACTS_TOOL,
            user=user,
            model=settings.MEMORY_EXTRACTOR_MODEL,
        )
        if result is None:  # the provider has no forced tool call
            return extract_memories(text)
        return _merged(facts_to_candidates(ExtractedFacts.model_validate(result.data)), extract_memories(text))
    except ValidationError as exc:
        logger.warning("memory extraction: the model's facts did not validate (%s); using the rules", exc.error_count())
    except ProviderError as exc:
        logger.info("memory extraction: %s; using the rules", exc)
    except Exception:  # noqa: BLE001 — memory is best effort; the rules still run
        logger.exception("memory extraction: unexpected error; using the rules")
    return extract_memories(text)


def _merged(from_model: list[MemoryCandidate], from_rules: list[MemoryCandidate]) -> list[MemoryCandidate]:
    """The model's facts plus what the rules found that the model did not say. For a kind that
    holds one value (party size, budget) the model's reading wins: it saw the whole sentence."""
    from knowledge.memory import SINGLE_VALUED_KINDS

    merged = {(c.kind, normalise_memory_text(c.content)): c for c in from_model}
    single = {c.kind for c in from_model if c.kind in SINGLE_VALUED_KINDS}
    for candidate in from_rules:
        if candidate.kind in single:
            continue
        merged.setdefault((candidate.kind, normalise_memory_text(candidate.content)), candidate)
    return list(merged.values())
