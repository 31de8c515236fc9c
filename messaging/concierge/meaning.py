"""Intents by meaning: when the planner's rules find no intent, the local MiniLM embeddings
(knowledge.embeddings, offline, no API key) rank a small labelled set of example phrases,
so a paraphrase ("am I booked anywhere this week?", "should I bring an umbrella?") lands on
the intent its words never name.

The example embeddings are computed once per process (a few hundred ms with the model
load); a message then costs one embedding (a few ms). Only intents that need nothing more
than the message itself are offered, and only above a similarity threshold with a margin
over the runner-up: a wrong intent is worse than the help text.
"""

from __future__ import annotations

import threading

import numpy as np

EXAMPLES: dict[str, tuple[str, ...]] = {
    "list_bookings": (
        "am I booked anywhere this week",
        "which tables have you reserved for me",
        "what reservations are under my name",
        "where am I eating, what did you book for me",
        "show me what I have coming up",
        "remind me what plans I've got",
    ),
    "recall": (
        "what have you got on me",
        "tell me what you've learned about my tastes",
        "which of my preferences do you keep",
        "what info do you store about me",
    ),
    "weather": (
        "should I bring an umbrella",
        "is it going to pour later",
        "will it be wet this afternoon",
        "how warm will it be tomorrow",
        "is it a good day for the beach, sky wise",
    ),
    "help": (
        "what can you do",
        "how does this work",
        "who are you",
        "hello there",
        "what's up",
    ),
}
THRESHOLD = 0.6
MARGIN = 0.05

_lock = threading.Lock()
_cache: tuple[list[str], np.ndarray] | None = None


def _examples() -> tuple[list[str], np.ndarray]:
    global _cache
    if _cache is None:
        with _lock:
            if _cache is None:
                from knowledge.embeddings import LocalMiniLMProvider

                labels = [intent for intent, phrases in EXAMPLES.items() for _ in phrases]
                texts = [phrase for phrases in EXAMPLES.values() for phrase in phrases]
                _cache = labels, LocalMiniLMProvider().embed(texts)
    return _cache


def intent_by_meaning(text: str) -> str | None:
    """The intent whose examples ``text`` is closest to, or None (help included: the caller
    then answers with its own help text)."""
    text = (text or "").strip()
    if not text or len(text) > 300:
        return None
    try:
        from knowledge.embeddings import LocalMiniLMProvider

        labels, examples = _examples()
        scores = examples @ LocalMiniLMProvider().embed([text])[0]
    except Exception:  # noqa: BLE001 - no model means no guess, never a broken reply
        return None
    best: dict[str, float] = {}
    for label, score in zip(labels, scores, strict=True):
        best[label] = max(best.get(label, -1.0), float(score))
    ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)
    (intent, score), runner_up = ranked[0], ranked[1][1]
    if intent == "help" or score < THRESHOLD or score - runner_up < MARGIN:
        return None
    return intent
