"""Reading allergies out of what a guest wrote to a venue ("allergic to peanuts and shellfish").

Only text the guest sent to that venue (its bookings' special requests) is read, so a
venue's CRM never learns what the guest told another venue or the concierge.
"""

from __future__ import annotations

import re

_SPLIT = re.compile(r"\s*(?:,|/|&|\band\b|\bor\b|\+)\s*")
# "allergic to peanuts", "allergy: shellfish", "allergies - gluten, dairy"
_ALLERGIC_TO = re.compile(r"\ballerg(?:ic|y|ies)\s*(?:to|:|-|–)\s*(?P<items>[a-z][a-z ,&/+'-]{0,80})", re.IGNORECASE)
# "peanut allergy", "severe shellfish allergies", "gluten intolerant", "lactose intolerance"
_X_ALLERGY = re.compile(
    r"(?P<items>[a-z][a-z'-]*(?:\s+(?:and|or|&|/)\s+[a-z][a-z'-]*)?)[\s-]+(?:allerg(?:y|ies)|intoleran(?:t|ce))\b",
    re.IGNORECASE,
)
_NOT_AN_ALLERGEN = frozenset(
    {
        "a",
        "an",
        "the",
        "any",
        "some",
        "no",
        "has",
        "have",
        "with",
        "severe",
        "mild",
        "serious",
        "bad",
        "food",
        "foods",
        "known",
        "my",
        "his",
        "her",
        "their",
        "our",
        "is",
        "are",
        "am",
        "i",
        "we",
        "guest",
        "one",
        "kid",
        "child",
        "very",
        "slight",
        "strong",
        "life-threatening",
    }
)
_MAX_ALLERGENS = 12
# A list of allergens ends where the sentence moves on: "peanuts, thanks", "gluten, we will be 4".
_LIST_ENDS_AT = frozenset(
    {"thanks", "thank", "thx", "ty", "please", "pls", "cheers", "we", "i", "it", "he", "she", "they", "but", "so", "no"}
    | {"also", "table", "booking", "see", "will", "would", "can", "could", "for", "with", "at", "on", "in"}
)


def _clean(item: str) -> str:
    words = [w for w in re.split(r"\s+", item.strip().lower()) if w]
    while words and words[0] in _NOT_AN_ALLERGEN:
        words.pop(0)
    return " ".join(words)[:60]


def allergies_in(text: str) -> list[str]:
    """The allergens named in ``text``, lower-case, in order of first mention, without repeats."""
    if not text:
        return []
    found: dict[str, None] = {}
    text = text[:20_000]
    for match in _ALLERGIC_TO.finditer(text):
        for part in _SPLIT.split(match.group("items")):
            words = part.strip().lower().split()
            kept = next((i for i, word in enumerate(words) if word in _LIST_ENDS_AT), len(words))
            if allergen := _clean(" ".join(words[:kept])):
                found.setdefault(allergen, None)
            if kept < len(words):
                break
    for match in _X_ALLERGY.finditer(text):
        for part in _SPLIT.split(match.group("items")):
            allergen = _clean(part)
            if allergen and allergen not in {"allergic"}:
                found.setdefault(allergen, None)
    return list(found)[:_MAX_ALLERGENS]
