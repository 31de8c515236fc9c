"""One tool-using model turn: limits → system prompt → the provider's tool-use loop → TurnResult.

The loop is the same for every provider (Anthropic, Ollama, the offline planner): the model
answers with content blocks; while it asks for tools (stop_reason "tool_use") the tools run
through the tool registry's execute_tool and their results go back as a user message of
tool_result blocks.

The gateway is shared infrastructure: it knows no app above agnt. The app that owns a
conversation plugs in its parts with :func:`configure` (messaging does so in its
AppConfig.ready): the offline provider (a deterministic planner that plays the model when
no model is configured), the system-prompt builder, and the default tool registry. A caller
with its own tools and prompt (a hosted agent, a test) passes ``provider=`` / ``registry=``. A failing tool becomes an `is_error` result the model can read and work
around; it never ends the turn. The number of tool rounds is bounded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from agnt.llm.types import ToolCallRecord, ToolContext, ToolResult, TurnResult

from . import limits
from .base import ModelResponse, Provider, ProviderError, StructuredResult

log = logging.getLogger(__name__)

REPLY_BUDGET = (
    "I've reached today's conversation limit for your account, so I can't look anything up right now. "
    "It resets at midnight UTC — talk soon!"
)
REPLY_BUSY = "I'm still working on your previous message — give me a moment and I'll answer that first."
REPLY_PROVIDER_DOWN = (
    "Sorry, I can't think straight right now (my language service isn't answering). Please try again in a minute."
)
REPLY_TOO_MANY_STEPS = (
    "Sorry — that took more steps than I'm allowed in one go, so I stopped before finishing. "
    "Could you ask again more specifically (for example one venue or one date)?"
)
REPLY_EMPTY = "Sorry, I couldn't put an answer together for that. Could you say it another way?"


class ToolRegistry(Protocol):
    """What the gateway needs from a set of tools (messaging.tools.registry is the concierge's)."""

    def tool_schemas(self) -> list[dict[str, Any]]: ...

    def execute_tool(self, name: str, arguments: dict, ctx: ToolContext) -> ToolResult: ...


@dataclass
class Plugins:
    """The parts an app above agnt contributes (see :func:`configure`)."""

    offline_provider: Callable[[], Provider] | None = None
    system_prompt: Callable[..., list[dict[str, Any]]] | None = None
    tool_registry: Callable[[], ToolRegistry] | None = None


_plugins = Plugins()


def configure(
    *,
    offline_provider: Callable[[], Provider] | None = None,
    system_prompt: Callable[..., list[dict[str, Any]]] | None = None,
    tool_registry: Callable[[], ToolRegistry] | None = None,
) -> None:
    """Plug in the offline provider factory, the system-prompt builder
    (``builder(ctx, *, query) -> content blocks``) and the default tool registry factory.
    Arguments left None keep what was configured before."""
    if offline_provider is not None:
        _plugins.offline_provider = offline_provider
    if system_prompt is not None:
        _plugins.system_prompt = system_prompt
    if tool_registry is not None:
        _plugins.tool_registry = tool_registry


def default_registry() -> ToolRegistry:
    if _plugins.tool_registry is None:
        raise ImproperlyConfigured("no tool registry: pass registry= or call agnt.llm.gateway.configure()")
    return _plugins.tool_registry()


def _offline_provider() -> Provider:
    if _plugins.offline_provider is None:
        raise ImproperlyConfigured("no offline LLM provider: call agnt.llm.gateway.configure(offline_provider=...)")
    return _plugins.offline_provider()


def system_prompt(ctx: ToolContext, *, query: str | None = None) -> list[dict[str, Any]]:
    """The configured system prompt for ``ctx`` (empty when no builder is configured)."""
    if _plugins.system_prompt is None:
        return []
    return _plugins.system_prompt(ctx, query=query)


def provider_for(name: str | None = None) -> Provider:
    """The provider named by settings.LLM_PROVIDER (offline | anthropic | ollama); "offline"
    is the configured offline provider."""
    name = (name or settings.LLM_PROVIDER or "offline").lower()
    if name == "anthropic":
        if not settings.ANTHROPIC_API_KEY:
            # Misconfiguration: say so in the log and keep the product answering truthfully.
            log.error("LLM_PROVIDER=anthropic but ANTHROPIC_API_KEY is empty; using the offline planner")
        else:
            from .anthropic_provider import AnthropicProvider

            return AnthropicProvider()
    if name == "ollama":
        from .ollama_provider import OllamaProvider

        return OllamaProvider()
    return _offline_provider()


def supports_images(provider: Provider | None = None) -> bool:
    """Whether the configured model can look at a picture (the offline planner and Ollama cannot)."""
    return bool(getattr(provider or provider_for(), "supports_images", False))


def extract_structured(
    *,
    instructions: str,
    text: str,
    tool: dict[str, Any],
    user=None,
    model: str = "",
    provider: Provider | None = None,
    images: list[dict[str, Any]] | None = None,
) -> StructuredResult | None:
    """Ask the configured model to fill ``tool``'s input schema from ``text`` (one forced call).

    None when the provider cannot (the offline planner and Ollama have no forced, schema-
    checked tool call): the caller uses its own non-LLM path. Raises ProviderError when the
    model fails or the user's daily token budget is spent; the tokens count against it.
    """
    provider = provider or provider_for()
    extract = getattr(provider, "extract", None)
    if extract is None:
        return None
    if user is not None and limits.token_budget_exhausted(user=user):
        raise ProviderError("the user's daily token budget is spent")
    if images and not getattr(provider, "supports_images", False):
        return None
    extra = {"images": images} if images else {}
    result = extract(
        instructions=instructions,
        text=text,
        tool=tool,
        user_id=str(getattr(user, "pk", "") or ""),
        model=model,
        **extra,
    )
    if user is not None:
        limits.token_usage_add(user=user, tokens=result.tokens_in + result.tokens_out)
    return result


def sanitize_history(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """History the Messages API accepts: starts with a real user message and every tool_use
    has its tool_result. A store trimmed to N messages can cut a tool round in half."""
    messages = [
        m for m in history if isinstance(m, dict) and m.get("role") in ("user", "assistant") and m.get("content")
    ]
    start = 0
    while start < len(messages) and not _is_plain_user(messages[start]):
        start += 1
    messages = messages[start:]
    # An assistant tool_use not answered by the next message (turn cut short): drop that round.
    clean: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        if message["role"] == "assistant" and _tool_use_ids(message):
            nxt = messages[i + 1] if i + 1 < len(messages) else None
            answered = (
                {b.get("tool_use_id") for b in (nxt or {}).get("content", []) if isinstance(b, dict)}
                if nxt and isinstance(nxt.get("content"), list)
                else set()
            )
            if not _tool_use_ids(message) <= answered:
                text = [b for b in message["content"] if isinstance(b, dict) and b.get("type") == "text"]
                if text:
                    clean.append({"role": "assistant", "content": text})
                continue
        if message["role"] == "user" and isinstance(message["content"], list):
            results = [b for b in message["content"] if isinstance(b, dict) and b.get("type") == "tool_result"]
            if results:
                prev = clean[-1] if clean else None
                if not prev or prev["role"] != "assistant" or not _tool_use_ids(prev):
                    continue  # orphaned results: their tool_use round was dropped
        clean.append(message)
    # The new user message follows: history must not end on a user message of its own.
    while clean and clean[-1]["role"] == "user":
        clean.pop()
    return clean


def _is_plain_user(message: dict[str, Any]) -> bool:
    if message.get("role") != "user":
        return False
    content = message.get("content")
    if isinstance(content, str):
        return True
    return any(isinstance(b, dict) and b.get("type") != "tool_result" for b in content or [])


def _tool_use_ids(message: dict[str, Any]) -> set[str]:
    content = message.get("content")
    if not isinstance(content, list):
        return set()
    return {b.get("id") for b in content if isinstance(b, dict) and b.get("type") == "tool_use"}


def _user_text(user_content: list[dict[str, Any]]) -> str:
    return " ".join(b.get("text", "") for b in user_content if isinstance(b, dict) and b.get("type") == "text").strip()


def _run_tool(registry: ToolRegistry, name: str, arguments: dict, ctx: ToolContext) -> ToolResult:
    try:
        result = registry.execute_tool(name, arguments if isinstance(arguments, dict) else {}, ctx)
    except Exception:  # the registry promises not to raise; a turn must survive if it ever does
        log.exception("tool %s raised through the registry", name)
        return ToolResult(content=f"The tool {name} failed unexpectedly.", is_error=True)
    if not isinstance(result, ToolResult):
        return ToolResult(content=result)
    return result


def _refusal(reason: str, text: str, user_message: dict, provider: str) -> TurnResult:
    return TurnResult(
        reply_text=text,
        new_messages=[user_message, {"role": "assistant", "content": [{"type": "text", "text": text}]}],
        provider=provider,
        refused=reason,
    )


def run_turn(
    *,
    ctx: ToolContext,
    history: list[dict[str, Any]],
    user_content: list[dict[str, Any]],
    provider: Provider | None = None,
    registry: ToolRegistry | None = None,
) -> TurnResult:
    """Answer one user message. Never raises for provider or tool failures: the reply says what happened.

    ``provider`` and ``registry`` default to settings.LLM_PROVIDER and the configured registry;
    they are parameters so a test can drive the loop with its own tools.
    """
    provider = provider or provider_for()
    registry = registry or default_registry()
    user_message = {"role": "user", "content": list(user_content)}
    if limits.token_budget_exhausted(user=ctx.user):
        return _refusal("budget", REPLY_BUDGET, user_message, provider.name)
    slot = limits.user_slot_acquire(user=ctx.user)
    if slot is None:
        return _refusal("concurrency", REPLY_BUSY, user_message, provider.name)
    with slot:
        return _tool_loop(
            ctx=ctx, history=history, user_message=user_message, provider=provider, registry=registry, slot=slot
        )


def _tool_loop(
    *, ctx: ToolContext, history: list[dict], user_message: dict, provider: Provider, registry: ToolRegistry, slot
) -> TurnResult:
    system = (
        system_prompt(ctx, query=_user_text(user_message["content"]) or None)
        if getattr(provider, "uses_system_prompt", True)
        else []
    )
    schemas = registry.tool_schemas()
    messages = sanitize_history(history) + [user_message]
    new_messages = [user_message]
    result = TurnResult(reply_text="", new_messages=new_messages, provider=provider.name)
    max_rounds = max(0, int(settings.LLM_MAX_TOOL_ITERATIONS))
    rounds = 0
    while True:
        slot.refresh_if_due()
        try:
            response: ModelResponse = provider.complete(system=system, messages=messages, tools=schemas, ctx=ctx)
        except ProviderError as exc:
            log.warning("llm turn for user %s stopped: %s", getattr(ctx.user, "pk", None), exc)
            return _finish(result, messages, REPLY_PROVIDER_DOWN)
        result.tokens_in += response.tokens_in
        result.tokens_out += response.tokens_out
        if response.tokens_in + response.tokens_out > 0:  # the offline planner spends none: no Redis call
            limits.token_usage_add(user=ctx.user, tokens=response.tokens_in + response.tokens_out)
        assistant = {"role": "assistant", "content": response.content or [{"type": "text", "text": REPLY_EMPTY}]}
        messages.append(assistant)
        new_messages.append(assistant)
        tool_uses = response.tool_uses
        if response.stop_reason != "tool_use" or not tool_uses:
            result.reply_text = response.text or REPLY_EMPTY
            return result
        if rounds >= max_rounds:
            # Out of rounds: answer the pending tool_use blocks (the API rejects a history
            # with unanswered ones) without running them, then reply.
            results = [
                {
                    "type": "tool_result",
                    "tool_use_id": use["id"],
                    "content": "Not run: the step limit for this message was reached.",
                    "is_error": True,
                }
                for use in tool_uses
            ]
            tool_message = {"role": "user", "content": results}
            messages.append(tool_message)
            new_messages.append(tool_message)
            return _finish(result, messages, REPLY_TOO_MANY_STEPS)
        rounds += 1
        results = []
        for use in tool_uses:
            outcome = _run_tool(registry, use["name"], use.get("input") or {}, ctx)
            result.tool_calls.append(
                ToolCallRecord(
                    name=use["name"], input=use.get("input") or {}, is_error=outcome.is_error, result=outcome.content
                )
            )
            results.append(
                {
                    "type": "tool_result",
                    "tool_use_id": use["id"],
                    "content": outcome.as_text(),
                    "is_error": bool(outcome.is_error),
                }
            )
        tool_message = {"role": "user", "content": results}
        messages.append(tool_message)
        new_messages.append(tool_message)


def _finish(result: TurnResult, messages: list[dict], text: str) -> TurnResult:
    """End the turn with our own assistant text (history stays user/assistant alternating)."""
    if messages and messages[-1]["role"] == "assistant":
        # The model already spoke last; nothing to append but our explanation in the reply.
        result.reply_text = text
        return result
    closing = {"role": "assistant", "content": [{"type": "text", "text": text}]}
    messages.append(closing)
    result.new_messages.append(closing)
    result.reply_text = text
    return result
