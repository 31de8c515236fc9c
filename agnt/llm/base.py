"""What every provider returns to the gateway's tool loop, and the one error it may raise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from agnt.llm.types import ToolContext


class ProviderError(Exception):
    """The model could not be reached or refused the request (after the client's own retries)."""


@dataclass
class ModelResponse:
    """One assistant message in Anthropic content-block form."""

    content: list[dict[str, Any]]
    stop_reason: str  # "tool_use" continues the loop; anything else ends the turn
    tokens_in: int = 0  # input + cache creation + cache read
    tokens_out: int = 0
    raw_usage: dict[str, Any] = field(default_factory=dict)

    @property
    def tool_uses(self) -> list[dict[str, Any]]:
        return [block for block in self.content if block.get("type") == "tool_use"]

    @property
    def text(self) -> str:
        return "\n\n".join(
            b["text"].strip() for b in self.content if b.get("type") == "text" and b.get("text", "").strip()
        )


@dataclass
class StructuredResult:
    """The arguments a model gave a forced tool call (schema-checked by the API when strict),
    with what the call cost. Callers still validate ``data``: it came from a model."""

    data: dict[str, Any]
    tokens_in: int = 0
    tokens_out: int = 0


class Provider(Protocol):
    name: str

    def complete(
        self,
        *,
        system: list[dict[str, Any]],
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        ctx: ToolContext,
    ) -> ModelResponse: ...


def system_text(system: list[dict[str, Any]] | str) -> str:
    """The system prompt as one string, for providers without content blocks."""
    if isinstance(system, str):
        return system
    return "\n\n".join(block.get("text", "") for block in system if block.get("text"))
