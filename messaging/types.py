"""The shapes that pass between the concierge's parts: webhooks → router (the tool-loop
shapes — ToolContext, ToolResult, TurnResult — are agnt.llm.types).

Conversation history uses the Anthropic Messages format everywhere (the session store
keeps it, every LLM provider reads and writes it, the offline planner included):

    {"role": "user", "content": [{"type": "text", "text": "..."}]}
    {"role": "assistant", "content": [{"type": "text", "text": "..."},
                                      {"type": "tool_use", "id": "toolu_…", "name": "venue_search", "input": {...}}]}
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_…", "content": "…json…", "is_error": false}]}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MediaRef:
    """An attachment as the provider describes it; bytes are fetched only when needed."""

    type: str  # "image" (the only kind the concierge reads today), "audio", "video", "file"
    provider_id: str = ""  # Telegram file_id, WhatsApp media id
    url: str = ""  # Instagram attachment URL
    mime_type: str = ""
    caption: str = ""


@dataclass(frozen=True)
class InboundMessage:
    """One user message, normalised from any channel's webhook payload."""

    platform: str  # messaging.models.ChannelPlatform value
    external_id: str  # chat id / wa_id / IGSID / web user id: the UserChannel.external_id
    provider_message_id: str | None  # the dedupe key: Telegram update_id, wamid, mid
    kind: str  # messaging.models.InteractionKind: text | image | command | interactive
    text: str = ""  # message text, photo caption, interactive reply title, "/start CODE"
    username: str = ""
    display_name: str = ""
    language_code: str = ""
    referral_code: str = ""  # from "/start <code>"
    media: tuple[MediaRef, ...] = ()
    payload: dict[str, Any] = field(default_factory=dict)  # the provider's raw message object
