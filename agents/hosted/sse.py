"""GET /a2a/v1/runs/{id}/events as a live server-sent event stream, on the ASGI side.

Mounted in agnt/routing.py ahead of Django (like /mcp and /a2a/jsonrpc), behind the same
API-key middleware and rate limit. It sends the run's trace events as they are written
(``id:`` is the event's number, so a client reconnecting with ``Last-Event-ID`` resumes),
a comment every 15 s to keep proxies from closing the stream, and ``event: end`` once the
run has finished and every event is out. Under WSGI the ninja route of the same path
answers with the events so far."""

from __future__ import annotations

import asyncio
import json
import time

from agents.api.asgi_auth import ApiKeyAuthMiddleware, run_orm, scope_api_key
from agents.hosted import selectors
from agents.hosted.api import sse_frame
from agents.hosted.errors import NotFound
from agents.hosted.state import TERMINAL_RUN_STATUSES

POLL_SECONDS = 0.25
KEEPALIVE_SECONDS = 15.0
MAX_STREAM_SECONDS = 15 * 60


def _poll(user_id, run_id: str, after: int) -> tuple[str, list[dict]]:
    run = selectors.run_for_user(user_id=user_id, run_id=run_id)
    return run.status, [selectors.event_public(e) for e in selectors.run_events_after(run_id=run.pk, after=after)]


async def _json(send, status: int, body: dict) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class RunEventStream:
    async def __call__(self, scope, receive, send) -> None:
        if scope.get("method") != "GET":
            await _json(send, 405, {"status": 405, "code": "method_not_allowed", "detail": "use GET"})
            return
        api_key = scope_api_key(scope)
        run_id = scope["url_route"]["kwargs"]["run_id"]
        last = dict(scope.get("headers") or []).get(b"last-event-id", b"").decode("latin-1")
        after = int(last) if last.isdigit() else 0
        try:
            status, events = await run_orm(_poll, api_key.owner_id, run_id, after)
        except NotFound as exc:
            await _json(send, 404, {"status": 404, "code": "not_found", "title": "Not found", "detail": exc.detail})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream"),
                    (b"cache-control", b"no-cache"),
                    (b"x-accel-buffering", b"no"),
                ],
            }
        )
        started = last_sent = time.monotonic()
        disconnected = asyncio.Event()

        async def watch() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    disconnected.set()
                    return

        watcher = asyncio.ensure_future(watch())
        try:
            while not disconnected.is_set():
                for event in events:
                    await send({"type": "http.response.body", "body": sse_frame(event).encode(), "more_body": True})
                    after, last_sent = event["seq"], time.monotonic()
                if status in TERMINAL_RUN_STATUSES and not events:
                    break
                if time.monotonic() - started > MAX_STREAM_SECONDS:
                    break
                if time.monotonic() - last_sent > KEEPALIVE_SECONDS:
                    await send({"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True})
                    last_sent = time.monotonic()
                await asyncio.sleep(POLL_SECONDS)
                status, events = await run_orm(_poll, api_key.owner_id, run_id, after)
            await send({"type": "http.response.body", "body": b"event: end\ndata: {}\n\n", "more_body": False})
        finally:
            watcher.cancel()


def build_asgi_app():
    return ApiKeyAuthMiddleware(RunEventStream(), realm="agnt")
