"""Claude through the official `anthropic` SDK, pointed at settings.ANTHROPIC_BASE_URL.

Retries (429, 5xx, 529 overloaded, connection errors) are the SDK's own, with exponential
backoff and `retry-after` honoured — but capped: the SDK would sleep for whatever a server
asks, and an hour-long `retry-after` must not freeze a Celery worker.

Prompt caching: breakpoints on the last tool schema (tools are rendered first), on the
stable persona block of the system prompt, and on the newest message, so every round of
a tool loop — and the next turn — re-reads the conversation prefix from the cache.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import anthropic
from django.conf import settings

from agnt.llm.types import ToolContext

from .base import ModelResponse, ProviderError, StructuredResult

log = logging.getLogger(__name__)

EPHEMERAL = {"type": "ephemeral"}
_clients: dict[tuple, anthropic.Anthropic] = {}


def _retry_after_cap() -> float:
    return float(getattr(settings, "LLM_RETRY_AFTER_MAX_SECONDS", 20))


def _clamp_retry_after(response) -> None:
    """Event hook: shorten a server's retry-after to our cap before the SDK reads it."""
    cap = _retry_after_cap()
    for header in ("retry-after", "retry-after-ms"):
        value = response.headers.get(header)
        if value is None:
            continue
        try:
            seconds = float(value) / (1000 if header == "retry-after-ms" else 1)
        except ValueError:  # an HTTP date: drop it, the SDK falls back to its own backoff
            del response.headers[header]
            continue
        if seconds > cap:
            response.headers[header] = str(int(cap * 1000)) if header == "retry-after-ms" else str(cap)


def client() -> anthropic.Anthropic:
    """One SDK client (and connection pool) per configuration, reused across turns."""
    key = (
        settings.ANTHROPIC_API_KEY,
        settings.ANTHROPIC_BASE_URL,
        settings.LLM_TIMEOUT_SECONDS,
        int(getattr(settings, "LLM_MAX_RETRIES", 3)),
        _retry_after_cap(),
    )
    sdk = _clients.get(key)
    if sdk is None:
        timeout = anthropic.Timeout(float(settings.LLM_TIMEOUT_SECONDS), connect=5.0)
        sdk = anthropic.Anthropic(
            api_key=settings.ANTHROPIC_API_KEY,
            base_url=settings.ANTHROPIC_BASE_URL,
            timeout=timeout,
            max_retries=key[3],
            http_client=anthropic.DefaultHttpxClient(timeout=timeout, event_hooks={"response": [_clamp_retry_after]}),
        )
        _clients[key] = sdk
    return sdk


def with_cache_breakpoints(
    *, system: list[dict[str, Any]], messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> tuple[list[dict], list[dict], list[dict]]:
    """Copies of the request parts with cache_control set (the caller's lists stay clean,
    so breakpoints never pile up in the stored history — the API allows four)."""
    system = [dict(block) for block in system]
    if system:
        system[0]["cache_control"] = EPHEMERAL  # the persona: identical for every user and turn
    tools = [dict(tool) for tool in tools]
    if tools:
        tools[-1]["cache_control"] = EPHEMERAL
    messages = copy.deepcopy(messages)
    if messages and isinstance(messages[-1].get("content"), list) and messages[-1]["content"]:
        messages[-1]["content"][-1]["cache_control"] = EPHEMERAL
    return system, messages, tools


def _block_param(block) -> dict[str, Any] | None:
    """A response content block as a request param (what history stores); other kinds dropped."""
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": dict(block.input or {})}
    return None


class AnthropicProvider:
    name = "anthropic"
    supports_images = True  # image content blocks (base64 JPEG/PNG/GIF/WebP) in user messages

    def __init__(self, sdk: anthropic.Anthropic | None = None):
        self.sdk = sdk

    def complete(
        self,
        *,
        system: list[dict[str, Any]],
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        ctx: ToolContext,
    ) -> ModelResponse:
        if not settings.ANTHROPIC_API_KEY:
            raise ProviderError("ANTHROPIC_API_KEY is not set")
        system, messages, tools = with_cache_breakpoints(system=system, messages=messages, tools=tools)
        kwargs: dict[str, Any] = {
            "model": settings.ANTHROPIC_MODEL,
            "max_tokens": int(settings.LLM_MAX_TOKENS),
            "system": system,
            "messages": messages,
            "metadata": {"user_id": str(getattr(ctx.user, "pk", ""))[:64]},
        }
        if tools:
            kwargs["tools"] = tools
        try:
            message = (self.sdk or client()).messages.create(**kwargs)
        except anthropic.APIStatusError as exc:
            log.warning("anthropic: HTTP %s after retries: %s", exc.status_code, str(exc)[:300])
            raise ProviderError(f"anthropic HTTP {exc.status_code}") from exc
        except anthropic.APIError as exc:  # connection errors and timeouts, after retries
            log.warning("anthropic: %s", exc)
            raise ProviderError(f"anthropic unreachable: {type(exc).__name__}") from exc
        usage = message.usage
        cache_write = int(getattr(usage, "cache_creation_input_tokens", 0) or 0)
        cache_read = int(getattr(usage, "cache_read_input_tokens", 0) or 0)
        content = [param for param in (_block_param(block) for block in message.content) if param]
        return ModelResponse(
            content=content,
            stop_reason=message.stop_reason or "end_turn",
            tokens_in=int(usage.input_tokens or 0) + cache_write + cache_read,
            tokens_out=int(usage.output_tokens or 0),
            raw_usage={
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "cache_creation_input_tokens": cache_write,
                "cache_read_input_tokens": cache_read,
            },
        )

    def extract(
        self,
        *,
        instructions: str,
        text: str,
        tool: dict[str, Any],
        user_id: str = "",
        model: str = "",
        max_tokens: int = 512,
        timeout: float = 15.0,
        images: list[dict[str, Any]] | None = None,
    ) -> StructuredResult:
        """One forced call of ``tool`` with a strict input schema: the model can only answer by
        filling the schema, and the API checks its output against it.

        Short timeout and one retry: a caller of this (memory extraction) has a fallback and
        runs next to a user waiting for a reply, so it must not sit out the turn's backoff.
        ``images`` (image content blocks) go before the text: the vision path of a meal photo.
        """
        if not settings.ANTHROPIC_API_KEY:
            raise ProviderError("ANTHROPIC_API_KEY is not set")
        sdk = (self.sdk or client()).with_options(timeout=anthropic.Timeout(timeout, connect=5.0), max_retries=1)
        try:
            message = sdk.messages.create(
                model=model or settings.ANTHROPIC_MODEL,
                max_tokens=max_tokens,
                system=[{"type": "text", "text": instructions}],
                messages=[{"role": "user", "content": [*(images or []), {"type": "text", "text": text}]}],
                tools=[{**tool, "strict": True}],
                tool_choice={"type": "tool", "name": tool["name"]},
                metadata={"user_id": user_id[:64]},
            )
        except anthropic.APIStatusError as exc:
            log.warning("anthropic extract: HTTP %s: %s", exc.status_code, str(exc)[:300])
            raise ProviderError(f"anthropic HTTP {exc.status_code}") from exc
        except anthropic.APIError as exc:
            log.warning("anthropic extract: %s", exc)
            raise ProviderError(f"anthropic unreachable: {type(exc).__name__}") from exc
        calls = [b for b in message.content if b.type == "tool_use" and b.name == tool["name"]]
        if not calls or not isinstance(calls[0].input, dict):
            raise ProviderError(
                f"anthropic extract: no {tool['name']} call in the answer (stop_reason {message.stop_reason})"
            )
        usage = message.usage
        tokens_in = (
            int(usage.input_tokens or 0)
            + int(getattr(usage, "cache_creation_input_tokens", 0) or 0)
            + int(getattr(usage, "cache_read_input_tokens", 0) or 0)
        )
        return StructuredResult(
            data=dict(calls[0].input), tokens_in=tokens_in, tokens_out=int(usage.output_tokens or 0)
        )
