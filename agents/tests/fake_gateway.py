"""A fake ClawPulse gateway (a local HTTP server) for the gateway client's tests.

Speaks the wire format agents.network.gateway_client documents: POST /api/agents/message,
POST|GET /api/agents/<id>/queue/drain, GET /api/health, X-API-Key auth. It keeps an
inbox per recipient and can fail on demand:

    fake.fail_with(503)        # every request answers 503 until fake.recover()
    fake.script(429, {...})    # FakeServer scripting: the next matching request(s)
    fake.delay = 2.0           # answer slowly (timeouts)

Use the ``fake_gateway`` fixture: it points CLAWPULSE_GATEWAY / CLAWPULSE_API_KEY at it.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from messaging.tests.fakes import FakeServer, Recorded


class FakeGateway(FakeServer):
    api_key = "cp-test-key"

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)
        self.inboxes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.failing_status: int | None = None
        self.delay = 0.0

    def fail_with(self, status: int = 503) -> None:
        self.failing_status = status

    def recover(self) -> None:
        self.failing_status = None

    def sent(self) -> list[dict[str, Any]]:
        """Bodies of the message posts the gateway accepted or refused, in order."""
        return [r.json for r in self.requests if r.method == "POST" and urlsplit(r.path).path == "/api/agents/message"]

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if self.delay:
            time.sleep(self.delay)
        if self.failing_status is not None:
            return self.failing_status, {"ok": False, "error": "unavailable", "detail": "failing on demand"}, {}
        url = urlsplit(request.path)
        path = url.path
        if path == "/api/health" and request.method == "GET":
            return 200, {"ok": True, "status": "ok"}, {}
        if request.headers.get("x-api-key") != self.api_key:
            return 401, {"ok": False, "error": "unauthorized"}, {}
        if path == "/api/agents/message" and request.method == "POST":
            body = request.json
            if not isinstance(body, dict) or not isinstance(body.get("payload"), dict) or not body.get("to"):
                return 400, {"ok": False, "error": "invalid_message"}, {}
            message_id = f"msg-{next(self._ids)}"
            self.inboxes[body["to"]].append(
                {
                    "message_id": message_id,
                    "from": body.get("from"),
                    "to": body["to"],
                    "payload": body["payload"],
                    "priority": body.get("priority", 5),
                    "created_at": "2026-01-01T00:00:00+00:00",
                }
            )
            return 202, {"ok": True, "message_id": message_id, "status": "queued"}, {}
        parts = path.strip("/").split("/")
        if len(parts) == 5 and parts[:2] == ["api", "agents"] and parts[3:] == ["queue", "drain"]:
            limit = int((parse_qs(url.query).get("limit") or ["50"])[0])
            inbox = self.inboxes[parts[2]]
            taken, self.inboxes[parts[2]] = inbox[:limit], inbox[limit:]
            return 200, {"ok": True, "agent_id": parts[2], "messages": taken}, {}
        return 404, {"ok": False, "error": "not_found"}, {}


@pytest.fixture
def fake_gateway(settings):
    server = FakeGateway().start()
    settings.CLAWPULSE_GATEWAY = server.base_url
    settings.CLAWPULSE_API_KEY = FakeGateway.api_key
    yield server
    server.stop()


@pytest.fixture
def isolated_redis(settings):
    """A Redis logical database of the gateway tests' own.

    Breaker and seen-id state must survive a whole test; other test sessions running at
    the same time flush the shared test database between their tests.
    """
    import redis

    from agnt.settings import _redis_db_url

    settings.REDIS_APP_URL = _redis_db_url(12)
    client = redis.Redis.from_url(settings.REDIS_APP_URL)
    client.flushdb()
    yield client
    client.flushdb()
