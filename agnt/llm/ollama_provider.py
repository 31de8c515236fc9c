"""A local model through Ollama's /api/chat (tools supported), for offline development.

History is kept in Anthropic's content-block format everywhere; this module translates it to
Ollama's OpenAI-like messages on the way in and the reply back to blocks on the way out.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import httpx
from django.conf import settings

from agnt.llm.types import ToolContext

from .base import ModelResponse, ProviderError, system_text

log = logging.getLogger(__name__)

ATTEMPTS = 3  # Ollama may be loading the model (503) or restarting (connection refused)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_text_of(part.get("text", "") if isinstance(part, dict) else part) for part in content)
    return json.dumps(content, default=str, ensure_ascii=False)


def to_ollama_messages(*, system: list[dict] | str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Anthropic-format history → Ollama chat messages (system, user, assistant + tool_calls, tool)."""
    out: list[dict[str, Any]] = []
    prompt = system_text(system)
    if prompt:
        out.append({"role": "system", "content": prompt})
    tool_names: dict[str, str] = {}
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            out.append({"role": message["role"], "content": content})
            continue
        if message["role"] == "assistant":
            texts, calls = [], []
            for block in content or []:
                if block.get("type") == "text":
                    texts.append(block.get("text", ""))
                elif block.get("type") == "tool_use":
                    tool_names[block["id"]] = block["name"]
                    calls.append({"function": {"name": block["name"], "arguments": block.get("input") or {}}})
            entry: dict[str, Any] = {"role": "assistant", "content": "\n".join(texts)}
            if calls:
                entry["tool_calls"] = calls
            out.append(entry)
            continue
        texts, images = [], []
        for block in content or []:
            kind = block.get("type")
            if kind == "tool_result":
                result = _text_of(block.get("content", ""))
                if block.get("is_error"):
                    result = f"ERROR: {result}"
                out.append(
                    {"role": "tool", "content": result, "tool_name": tool_names.get(block.get("tool_use_id"), "")}
                )
            elif kind == "text":
                texts.append(block.get("text", ""))
            elif kind == "image" and (block.get("source") or {}).get("type") == "base64":
                images.append(block["source"]["data"])
        if texts or images:
            entry = {"role": "user", "content": "\n".join(texts)}
            if images:
                entry["images"] = images
            out.append(entry)
    return out


def to_ollama_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": tool["name"],
                "description": tool.get("description", ""),
                "parameters": tool.get("input_schema") or {"type": "object", "properties": {}},
            },
        }
        for tool in tools
    ]


def from_ollama_message(message: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """Ollama's assistant message → (Anthropic content blocks, stop_reason)."""
    blocks: list[dict[str, Any]] = []
    text = (message.get("content") or "").strip()
    if text:
        blocks.append({"type": "text", "text": text})
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        arguments = function.get("arguments") or {}
        if isinstance(arguments, str):  # some models/versions send a JSON string
            try:
                arguments = json.loads(arguments)
            except ValueError:
                arguments = {}
        if not isinstance(arguments, dict):
            arguments = {}
        if function.get("name"):
            blocks.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_{uuid.uuid4().hex[:24]}",
                    "name": function["name"],
                    "input": arguments,
                }
            )
    stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
    return blocks, stop


class OllamaProvider:
    name = "ollama"

    def complete(
        self,
        *,
        system: list[dict[str, Any]],
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        ctx: ToolContext,
    ) -> ModelResponse:
        body: dict[str, Any] = {
            "model": settings.OLLAMA_MODEL,
            "messages": to_ollama_messages(system=system, messages=messages),
            "stream": False,
            "options": {"num_predict": int(settings.LLM_MAX_TOKENS)},
        }
        if tools:
            body["tools"] = to_ollama_tools(tools)
        url = settings.OLLAMA_BASE_URL.rstrip("/") + "/api/chat"
        data = None
        for attempt in range(ATTEMPTS):
            try:
                response = httpx.post(
                    url, json=body, timeout=httpx.Timeout(float(settings.LLM_TIMEOUT_SECONDS), connect=5.0)
                )
            except httpx.HTTPError as exc:
                error: str = f"ollama unreachable: {type(exc).__name__}"
            else:
                if response.status_code < 300:
                    try:
                        data = response.json()
                    except ValueError:
                        raise ProviderError("ollama sent a non-JSON reply") from None
                    break
                error = f"ollama HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code < 500 and response.status_code != 429:
                    raise ProviderError(error)
            log.warning("%s (attempt %s/%s)", error, attempt + 1, ATTEMPTS)
            if attempt + 1 < ATTEMPTS:
                time.sleep(0.5 * 2**attempt)
        if data is None:
            raise ProviderError(error)
        if not isinstance(data, dict) or not isinstance(data.get("message"), dict):
            raise ProviderError("ollama reply has no message")
        blocks, stop = from_ollama_message(data["message"])
        if data.get("done_reason") == "length" and stop != "tool_use":
            stop = "max_tokens"
        return ModelResponse(
            content=blocks,
            stop_reason=stop,
            tokens_in=int(data.get("prompt_eval_count") or 0),
            tokens_out=int(data.get("eval_count") or 0),
        )
