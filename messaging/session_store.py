"""Chat history per (platform, user) in Redis, encrypted at rest with Fernet.

The history is the Anthropic Messages list the LLM gateway reads and extends; beside it
sits the conversation's dialogue state (the last results, the venue in focus, the pending
booking…, see messaging.concierge.dialogue). It is one encrypted blob per conversation (read whole, written whole): the router holds the
per-channel lock while it reads, runs the turn and writes, so there are no lost updates.

Bounded two ways: at most ``CHAT_HISTORY_MAX_MESSAGES`` messages (oldest dropped, always
cut at a real user message so a tool_result never loses its tool_use), and a TTL of
``CHAT_HISTORY_TTL_HOURS`` refreshed on every write. Keys rotate with FERNET_KEYS: any
configured key decrypts, and the next write re-encrypts under the first key. A blob no
key can read (keys removed) is treated as an empty history, not an error.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.utils import timezone

from agnt import crypto
from agnt.scheduling import redis_client

logger = logging.getLogger(__name__)

KEY_PREFIX = "agnt:chat:history"


def _key(platform: str, user_id) -> str:
    return f"{KEY_PREFIX}:{platform}:{user_id}"


def _is_plain_user_turn(message: dict[str, Any]) -> bool:
    """A user message that starts a turn (text/image), not one that carries tool results."""
    if message.get("role") != "user":
        return False
    content = message.get("content")
    if isinstance(content, str):
        return True
    return isinstance(content, list) and not any(
        isinstance(block, dict) and block.get("type") == "tool_result" for block in content
    )


def trim_history(messages: list[dict[str, Any]], *, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` messages, starting at a plain user turn (the API requires it)."""
    if len(messages) > limit:
        messages = messages[-limit:]
    for index, message in enumerate(messages):
        if _is_plain_user_turn(message):
            return messages[index:]
    return []


def _read(platform: str, user_id) -> dict[str, Any]:
    raw = redis_client().get(_key(platform, user_id))
    if not raw:
        return {}
    try:
        data = crypto.decrypt_json(raw.decode("ascii"))
    except (crypto.InvalidToken, ValueError, UnicodeDecodeError):
        logger.warning(
            "chat history for %s:%s is unreadable with the current FERNET_KEYS; starting afresh", platform, user_id
        )
        return {}
    return data if isinstance(data, dict) else {}


def session_load(*, platform: str, user_id) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The conversation's history and its dialogue state (messaging.concierge.dialogue), both from one blob."""
    data = _read(platform, user_id)
    messages = data.get("messages")
    dialogue = data.get("dialogue")
    return (messages if isinstance(messages, list) else []), (dialogue if isinstance(dialogue, dict) else {})


def history_load(*, platform: str, user_id) -> list[dict[str, Any]]:
    return session_load(platform=platform, user_id=user_id)[0]


def history_save(
    *, platform: str, user_id, messages: list[dict[str, Any]], dialogue: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Store ``messages`` (trimmed) and the dialogue state; returns the messages stored.

    Without ``dialogue`` the stored dialogue state is kept as it was.
    """
    kept = trim_history(messages, limit=settings.CHAT_HISTORY_MAX_MESSAGES)
    if dialogue is None:
        dialogue = session_load(platform=platform, user_id=user_id)[1]
    blob = crypto.encrypt_json({"messages": kept, "dialogue": dialogue, "updated_at": timezone.now().isoformat()})
    redis_client().set(_key(platform, user_id), blob, ex=settings.CHAT_HISTORY_TTL_HOURS * 3600)
    return kept


def history_append(*, platform: str, user_id, new_messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return history_save(
        platform=platform, user_id=user_id, messages=history_load(platform=platform, user_id=user_id) + new_messages
    )


def history_clear(*, platform: str, user_id) -> None:
    redis_client().delete(_key(platform, user_id))


def history_raw(*, platform: str, user_id) -> bytes | None:
    """The stored ciphertext (for tests and key-rotation checks)."""
    return redis_client().get(_key(platform, user_id))
