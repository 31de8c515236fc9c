"""``call_llm`` for hosted agents, through the project's LLM gateway (agnt.llm).

The provider is the platform's (settings.LLM_PROVIDER) unless the agent's owner stored
their own key for it (ProviderKey), which is then used for that owner's runs only. The
offline provider answers deterministically without any key, so agents work in
development and tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from agnt.llm.base import ProviderError
from agnt.llm.types import ToolContext


@dataclass
class LlmAnswer:
    text: str
    provider: str
    model: str
    tokens_in: int
    tokens_out: int
    own_key: bool


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _split(messages: Any) -> tuple[str, list[dict[str, Any]]]:
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list of {role, content} or a string")
    system, out = [], []
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            raise ValueError("each message must be {'role': ..., 'content': '<text>'}")
        role = message.get("role")
        if role == "system":
            system.append(message["content"])
        elif role in ("user", "assistant"):
            out.append({"role": role, "content": message["content"]})
        else:
            raise ValueError(f"unknown role {role!r}")
    if not out or out[0]["role"] != "user":
        raise ValueError("the first non-system message must be from the user")
    return "\n\n".join(system), out


def offline_answer(system: str, messages: list[dict[str, Any]]) -> str:
    """The offline model: a deterministic, readable answer built from the last user message."""
    last = messages[-1]["content"].strip()
    first_line = last.splitlines()[0] if last else ""
    return f"(offline model) {first_line[:400]}"


def complete(*, owner, model: str, messages: Any, max_tokens: int, provider_key: str | None) -> LlmAnswer:
    system, chat = _split(messages)
    name = (settings.LLM_PROVIDER or "offline").lower()
    if provider_key:
        name = "anthropic"
    if name == "anthropic" and (provider_key or settings.ANTHROPIC_API_KEY):
        import anthropic

        from agnt.llm.anthropic_provider import AnthropicProvider, client

        sdk = (
            anthropic.Anthropic(
                api_key=provider_key,
                base_url=settings.ANTHROPIC_BASE_URL,
                timeout=float(settings.LLM_TIMEOUT_SECONDS),
                max_retries=1,
            )
            if provider_key
            else client()
        )
        response = AnthropicProvider(sdk=sdk).complete(
            system=[{"type": "text", "text": system}] if system else [],
            messages=chat,
            tools=[],
            ctx=ToolContext(user=owner, platform="hosted"),
        )
        return LlmAnswer(
            text=response.text,
            provider="anthropic",
            model=model or settings.ANTHROPIC_MODEL,
            tokens_in=response.tokens_in,
            tokens_out=min(response.tokens_out, max_tokens),
            own_key=bool(provider_key),
        )
    if name == "ollama":
        from agnt.llm.ollama_provider import OllamaProvider

        response = OllamaProvider().complete(
            system=system, messages=chat, tools=[], ctx=ToolContext(user=owner, platform="hosted")
        )
        return LlmAnswer(
            response.text, "ollama", model or settings.OLLAMA_MODEL, response.tokens_in, response.tokens_out, False
        )
    text = offline_answer(system, chat)
    return LlmAnswer(
        text=text,
        provider="offline",
        model=model or "offline",
        tokens_in=_tokens(system) + sum(_tokens(m["content"]) for m in chat),
        tokens_out=_tokens(text),
        own_key=False,
    )


__all__ = ["LlmAnswer", "ProviderError", "complete", "offline_answer"]
