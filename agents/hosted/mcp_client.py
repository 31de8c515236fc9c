"""``call_tool("mcp:<server>/<tool>", args)``: a declared MCP server, over Streamable HTTP.

One JSON-RPC ``tools/call`` POST (the MCP "stateless" servers answer it without a prior
session; servers that insist on ``initialize`` get one first). The URL is checked by the
SSRF guard (agnt.netguard): it must resolve only to public addresses, and the connection
goes to the vetted address (the name is kept for the Host header and TLS SNI). Every
request has HOSTED_MCP_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings

from agents.hosted.tools import ToolFailed
from agnt.netguard import UnresolvableHost, UnsafeAddress, resolve_public

PROTOCOL_VERSION = "2025-06-18"
MAX_RESPONSE_BYTES = 256 * 1024


def _vetted(url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ToolFailed("MCP server URLs are http(s)://host/…")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = resolve_public(parts.hostname, port, allow_private=bool(settings.HOSTED_MCP_ALLOW_PRIVATE))
    except (UnsafeAddress, UnresolvableHost) as exc:
        raise ToolFailed(f"refused MCP server: {exc}") from None
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{port}"
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    headers = {"Host": parts.netloc}
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    return target, headers, extensions


def _rpc(client: httpx.Client, target: str, headers: dict, extensions: dict, payload: dict) -> dict[str, Any]:
    response = client.post(
        target,
        json=payload,
        headers={**headers, "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": PROTOCOL_VERSION},
        extensions=extensions,
    )
    body = response.content[:MAX_RESPONSE_BYTES]
    if response.status_code >= 400:
        raise ToolFailed(f"the MCP server answered HTTP {response.status_code}")
    text = body.decode("utf-8", "replace")
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        data = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
        text = data[-1] if data else "{}"
    try:
        message = json.loads(text)
    except ValueError:
        raise ToolFailed("the MCP server did not answer JSON") from None
    if session := response.headers.get("mcp-session-id"):
        headers["Mcp-Session-Id"] = session
    return message


def call_declared(*, servers: list[dict[str, Any]], name: str, arguments: dict[str, Any]) -> Any:
    server_name, _, tool = name[4:].partition("/")
    server = next((s for s in servers if s.get("name") == server_name), None)
    if server is None or not tool:
        raise ToolFailed(f"{name!r}: name it mcp:<declared server>/<tool>")
    target, headers, extensions = _vetted(str(server["url"]))
    timeout = float(settings.HOSTED_MCP_TIMEOUT_SECONDS)
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            message = _rpc(client, target, headers, extensions, call)
            if "error" in message and "initialize" in json.dumps(message["error"]).lower():
                init = {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {
                        "protocolVersion": PROTOCOL_VERSION,
                        "capabilities": {},
                        "clientInfo": {"name": "agnt-hosted", "version": "1.0"},
                    },
                }
                _rpc(client, target, headers, extensions, init)
                message = _rpc(client, target, headers, extensions, call)
    except httpx.HTTPError as exc:
        raise ToolFailed(f"the MCP server did not answer ({type(exc).__name__})") from None
    if "error" in message:
        raise ToolFailed(f"MCP error: {str(message['error'].get('message', ''))[:300]}")
    result = message.get("result") or {}
    if result.get("isError"):
        texts = [c.get("text", "") for c in result.get("content", []) if isinstance(c, dict)]
        raise ToolFailed(f"the MCP tool failed: {' '.join(texts)[:300]}")
    if result.get("structuredContent") is not None:
        return result["structuredContent"]
    texts = [c.get("text", "") for c in result.get("content", []) if isinstance(c, dict) and c.get("type") == "text"]
    return {"text": "\n".join(texts)}
