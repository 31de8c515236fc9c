"""The legacy MCP HTTP+SSE transport, made to work behind several worker processes.

In that transport a client opens ``GET /mcp/sse`` (a long-lived event stream) and POSTs
each message to ``/mcp/messages/?session_id=…``. The SDK's SseServerTransport keeps its
sessions in process memory, so with ``uvicorn --workers 2`` about half the POSTs would
land on a worker that has never heard of the session (404).

This subclass relays them through the Channels layer (Redis): the worker holding the
stream registers the session in Redis (owner and all) and listens on a channel-layer
group named after it; a POST that reaches another worker is checked against that
registration (same API key as the stream, or the same 404 as an unknown session) and
forwarded to the group. The worker holding the stream feeds it to the MCP server as if
it had been POSTed there, with the sender's ApiKey in the request scope, so tools see
the same key either way.
"""

from __future__ import annotations

import contextvars
import logging
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import anyio
import mcp_types as types
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.core.cache import cache
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser, authorization_context
from mcp.server.sse import SseServerTransport
from mcp.shared.message import ServerMessageMetadata, SessionMessage
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from agents.api.asgi_auth import API_KEY_SCOPE, run_orm

logger = logging.getLogger(__name__)

REGISTRY_TTL_SECONDS = 15 * 60  # refreshed while the stream is open
REFRESH_EVERY_SECONDS = 5 * 60
MESSAGE_TYPE = "mcp.sse.message"

# the session connect_sse just opened, read back by the same task right after
_opened: contextvars.ContextVar[tuple[UUID, Any] | None] = contextvars.ContextVar("mcp_sse_opened", default=None)


_opening_owner: contextvars.ContextVar[str] = contextvars.ContextVar("mcp_sse_opening_owner", default="")


class _Sessions(dict):
    """The SDK's session-id → stream-writer map, which also registers each new session.

    The registration must exist before the client learns the session id (the SDK sends
    the ``endpoint`` event right after this insert), or a fast first POST to another
    worker would be refused. So it is written here, synchronously: one SET on the local
    Redis, well under a millisecond, once per stream.
    """

    def __setitem__(self, session_id: UUID, writer: Any) -> None:
        cache.set(_registry_key(session_id.hex), _opening_owner.get(), REGISTRY_TTL_SECONDS)
        super().__setitem__(session_id, writer)
        _opened.set((session_id, writer))


def _registry_key(session_hex: str) -> str:
    return f"mcp:sse:session:{session_hex}"


def _group(session_hex: str) -> str:
    return f"mcp-sse.{session_hex}"


def _owner(scope: dict[str, Any]) -> str | None:
    user = scope.get("user")
    return authorization_context(user)["client_id"] if isinstance(user, AuthenticatedUser) else None


def _load_api_key(pk: int):
    from agents.models import ApiKey

    return ApiKey.objects.select_related("owner").filter(pk=pk).first()


class RelayingSseTransport(SseServerTransport):
    """SseServerTransport whose sessions are reachable from every worker process."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_stream_writers = _Sessions()

    @asynccontextmanager
    async def connect_sse(self, scope, receive, send):
        owner = _owner(scope)
        _opening_owner.set(owner or "")
        async with super().connect_sse(scope, receive, send) as streams:
            session_id, writer = _opened.get()
            session_hex = session_id.hex
            try:
                async with anyio.create_task_group() as relays:
                    relays.start_soon(self._relay_into, session_hex, writer)
                    relays.start_soon(self._keep_registered, session_hex, owner)
                    try:
                        yield streams
                    finally:
                        relays.cancel_scope.cancel()
            finally:
                with anyio.CancelScope(shield=True):
                    await sync_to_async(cache.delete)(_registry_key(session_hex))

    async def _keep_registered(self, session_hex: str, owner: str | None) -> None:
        while True:
            await anyio.sleep(REFRESH_EVERY_SECONDS)
            await sync_to_async(cache.set)(_registry_key(session_hex), owner or "", REGISTRY_TTL_SECONDS)

    async def _relay_into(self, session_hex: str, writer) -> None:
        """Feed messages POSTed to other workers into this worker's session."""
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(_group(session_hex), channel)
        try:
            while True:
                event = await layer.receive(channel)
                if event.get("type") != MESSAGE_TYPE:
                    continue
                try:
                    message = types.jsonrpc_message_adapter.validate_json(event["body"], by_name=False)
                except ValidationError:
                    continue  # the sending worker validated it; never let one bad event end the stream
                api_key = await run_orm(_load_api_key, event["api_key_id"])
                scope = {
                    "type": "http",
                    "method": "POST",
                    "path": self._endpoint,
                    "headers": [],
                    "query_string": b"",
                    API_KEY_SCOPE: api_key,
                }
                try:
                    await writer.send(
                        SessionMessage(message, metadata=ServerMessageMetadata(request_context=Request(scope)))
                    )
                except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                    return
        finally:
            with anyio.CancelScope(shield=True):
                await layer.group_discard(_group(session_hex), channel)

    async def _handle_post_message(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        session_param = request.query_params.get("session_id") or ""
        try:
            session_id = UUID(hex=session_param)
        except ValueError:
            session_id = None
        if session_id is None or session_id in self._read_stream_writers:
            # ours (or malformed: the SDK answers that with its own 400)
            await super()._handle_post_message(scope, receive, send)
            return
        registered = await sync_to_async(cache.get)(_registry_key(session_id.hex))
        if registered is None or registered != (_owner(scope) or ""):
            # unknown, ended, or another key's stream: the same answer for all three
            await Response("Could not find session", status_code=404)(scope, receive, send)
            return
        body = await request.body()
        try:
            types.jsonrpc_message_adapter.validate_json(body, by_name=False)
        except ValidationError:
            await Response("Could not parse message", status_code=400)(scope, receive, send)
            return
        api_key = scope.get(API_KEY_SCOPE)
        await get_channel_layer().group_send(
            _group(session_id.hex),
            {
                "type": MESSAGE_TYPE,
                "body": body.decode("utf-8", "replace"),
                "api_key_id": str(api_key.pk) if api_key else None,
            },
        )
        await Response("Accepted", status_code=202)(scope, receive, send)
