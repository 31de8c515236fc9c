"""API-key auth, rate limits and ORM access for the open network's plain-ASGI apps.

The MCP server (/mcp, /mcp/sse) and the platform agent's A2A JSON-RPC endpoint are ASGI
apps built by their official SDKs, mounted in agnt/asgi.py ahead of Django. Django's
middleware never sees those requests, so this module gives them the same front door the
django-ninja API has: the Host header checked against ALLOWED_HOSTS, the key checked
(agents.platform.api_auth: ``Authorization: Bearer`` or ``X-API-Key``), the shared Redis limiter
(429 with Retry-After), RateLimit headers on every answer.

The authenticated ApiKey travels in the ASGI scope (``scope["agnt.api_key"]``): both SDKs
hand the HTTP request that carried a message to the code that handles it, so a tool or
an agent executor reads the key of *its own* request — also on the legacy SSE transport,
where the messages arrive on POSTs separate from the stream. ``scope["user"]`` is set to
the SDK's AuthenticatedUser as well, which makes the MCP SDK refuse a message POSTed to a
stream another key opened, and gives the A2A SDK a per-key task owner.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.http.request import split_domain_port, validate_host

from agents.models import ApiKey
from agents.platform.api_auth import AuthFailure, RateLimit, api_key_authenticate, rate_limit_hit
from agnt.jsonbody import json_too_deep

logger = logging.getLogger(__name__)

API_KEY_SCOPE = "agnt.api_key"
RATE_LIMIT_SCOPE = "agnt.rate_limit"

T = TypeVar("T")


def _with_fresh_connections(fn: Callable[..., T]) -> Callable[..., T]:
    # Django closes stale connections around each request it serves (request_started /
    # request_finished); these requests never pass through Django's handler, so the
    # ORM call does it itself. With CONN_MAX_AGE=0 and the psycopg pool this hands the
    # connection back to the pool after each call.
    @wraps(fn)
    def call(*args: Any, **kwargs: Any) -> T:
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return call


async def run_orm(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run sync Django code (ORM, services) from async code, on Django's thread-sensitive
    executor — the same thread Django itself uses for sync views under ASGI."""
    return await sync_to_async(_with_fresh_connections(fn), thread_sensitive=True)(*args, **kwargs)


def scope_api_key(scope: dict[str, Any] | None) -> ApiKey | None:
    """The key the ASGI request was authenticated with (None outside an authenticated request)."""
    return (scope or {}).get(API_KEY_SCOPE)


# Browser-based agents may call these endpoints: credentials travel in the Authorization
# header, never in cookies, so any origin may read the answers.
_CORS = [
    (b"access-control-allow-origin", b"*"),
    (
        b"access-control-expose-headers",
        b"Mcp-Session-Id, WWW-Authenticate, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset",
    ),
]


# JSON-RPC 2.0's answer to a body that cannot be parsed; the id is unknowable, so null
_PARSE_ERROR = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == name:
            return value.decode("latin-1")
    return None


async def _respond(send, status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None) -> None:
    payload = json.dumps(body).encode() if body is not None else b""  # a 204 has no body
    raw_headers = [(b"content-length", str(len(payload)).encode()), *_CORS]
    if body is not None:
        raw_headers.append((b"content-type", b"application/json"))
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


async def _drain(receive) -> None:
    # read (and drop) the request body before answering, so the client sees our status
    # instead of a reset connection
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return


async def _limited_body(scope, receive, send, limit: int):
    """(receive replaying the body, the body) with the body read up front (at most ``limit``
    bytes), or (None, b"") after answering 413 — whether the client declared the size or
    streamed it chunked."""
    declared = _header(scope, b"content-length")
    too_large = {"error": "payload_too_large", "message": f"request bodies are limited to {limit} bytes"}
    if declared and declared.isdigit() and int(declared) > limit:
        await _respond(send, 413, too_large)
        return None, b""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return receive, b""  # disconnected: let the app see it
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > limit:
            await _respond(send, 413, too_large)
            return None, b""
        if not message.get("more_body"):
            break
    body, sent = b"".join(chunks), False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay, body


def _authenticate_and_count(authorization: str | None, x_api_key: str | None) -> tuple[ApiKey, RateLimit]:
    api_key = api_key_authenticate(authorization=authorization, x_api_key=x_api_key)
    return api_key, rate_limit_hit(api_key=api_key)


class ApiKeyAuthMiddleware:
    """ASGI middleware: only requests with an active API key within its rate limit pass.

    ``realm`` names the surface in WWW-Authenticate (RFC 6750) so a client can tell which
    credential is wanted. ``max_body_bytes`` caps POST bodies (413) before the app reads
    them into memory. With ``parse_error_status`` set, a POST body nested deeper than
    JSON_MAX_DEPTH (agnt.jsonbody) is answered here with a JSON-RPC -32700 Parse error
    at that HTTP status (what the app answers for any other unparsable body), so the
    SDK's parser never meets it: a deep body made the A2A SDK leak a RecursionError's
    text as -32603.
    """

    def __init__(
        self, app, *, realm: str, max_body_bytes: int | None = None, parse_error_status: int | None = None
    ) -> None:
        self.app = app
        self.realm = realm
        self.max_body_bytes = max_body_bytes
        self.parse_error_status = parse_error_status

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host") or ""
        domain, _port = split_domain_port(host)
        if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
            await _drain(receive)
            await _respond(send, 400, {"error": "bad_host", "message": f"Host {host!r} is not served here"})
            return
        if scope.get("method") == "OPTIONS":
            # CORS preflight carries no credentials; answer it without asking for a key
            await _respond(
                send,
                204,
                None,
                {
                    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
                    "Access-Control-Allow-Headers": "Authorization, X-API-Key, Content-Type, Mcp-Session-Id, "
                    "Mcp-Protocol-Version, Last-Event-ID, A2A-Version, A2A-Extensions",
                    "Access-Control-Max-Age": "86400",
                },
            )
            return
        try:
            api_key, limit = await run_orm(
                _authenticate_and_count, _header(scope, b"authorization"), _header(scope, b"x-api-key")
            )
        except AuthFailure as failure:
            await _drain(receive)
            challenge = f'Bearer realm="{self.realm}"'
            if failure.code == "invalid_api_key":
                challenge += ', error="invalid_token", error_description="' + failure.detail.replace('"', "'") + '"'
            await _respond(
                send, 401, {"error": failure.code, "message": failure.detail}, {"WWW-Authenticate": challenge}
            )
            return
        if not limit.allowed:
            await _drain(receive)
            await _respond(
                send,
                429,
                {
                    "error": "rate_limited",
                    "message": f"rate limit of {limit.limit} requests per minute reached; "
                    f"retry in {limit.retry_after} s",
                },
                limit.headers(),
            )
            return

        from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
        from mcp.server.auth.provider import AccessToken

        scope = dict(scope)
        scope[API_KEY_SCOPE] = api_key
        scope[RATE_LIMIT_SCOPE] = limit
        # client_id identifies the principal: the SDKs compare it to keep one key's
        # sessions and tasks away from another's. Never the secret itself.
        scope["user"] = AuthenticatedUser(
            AccessToken(token=api_key.prefix, client_id=f"apikey:{api_key.pk}", scopes=[api_key.tier])
        )
        extra_headers = [(k.lower().encode(), v.encode()) for k, v in limit.headers().items()] + _CORS
        if self.max_body_bytes is not None and scope.get("method") == "POST":
            receive, body = await _limited_body(scope, receive, send, self.max_body_bytes)
            if receive is None:
                return
            if self.parse_error_status is not None and json_too_deep(body):
                await _respond(send, self.parse_error_status, _PARSE_ERROR, limit.headers())
                return

        async def send_with_limits(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra_headers]}
            await send(message)

        await self.app(scope, receive, send_with_limits)
