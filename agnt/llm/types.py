"""The shapes of one tool-using model turn: who the tools act for (ToolContext), what a
tool returns (ToolResult), and what a turn produced (TurnResult).

Conversation history uses the Anthropic Messages format everywhere (every provider reads
and writes it, the offline planner included):

    {"role": "user", "content": [{"type": "text", "text": "..."}]}
    {"role": "assistant", "content": [{"type": "text", "text": "..."},
                                      {"type": "tool_use", "id": "toolu_…", "name": "venue_search", "input": {...}}]}
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_…", "content": "…json…", "is_error": false}]}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ToolContext:
    """Who a tool call acts for. Identity comes from the channel binding, never from the model."""

    user: Any  # agnt.User
    platform: str
    channel: Any = None  # messaging.UserChannel, None for API/MCP callers
    interaction_id: Any = None  # the inbound Interaction being answered
    now: datetime | None = None
    # The pending action (messaging.tools.confirmation) the user's *latest message*
    # explicitly confirmed, or None. Tools that book or spend act only when this matches.
    confirmed_action: dict[str, Any] | None = None
    # The conversation's dialogue state (messaging.concierge.dialogue), loaded with the
    # session and saved after the turn: what "it", "the second one" and "book it" refer to.
    dialogue: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolResult:
    """What a tool returns to the model: JSON-able content, or an error the model can read."""

    content: Any
    is_error: bool = False

    def as_text(self) -> str:
        import json

        if isinstance(self.content, str):
            return self.content
        return json.dumps(self.content, default=str, ensure_ascii=False)


@dataclass
class ToolCallRecord:
    name: str
    input: dict[str, Any]
    is_error: bool
    result: Any = None


@dataclass
class TurnResult:
    """The outcome of one concierge turn."""

    reply_text: str
    new_messages: list[dict[str, Any]]  # user message + assistant/tool_result messages, to append to history
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    tokens_in: int = 0
    tokens_out: int = 0
    provider: str = ""
    refused: str = ""  # non-empty when the gateway declined to run (budget, concurrency): the reason
