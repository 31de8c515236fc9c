"""A developer's webhook endpoint, for tests: a threaded local HTTP server that records
every request (method, path, headers, raw body) and answers 200 unless told otherwise.

    def test_x(webhook_receiver):            # WEBHOOKS_ALLOW_PRIVATE_TARGETS is on
        webhook_receiver.script(500, {"error": "down"}, times=2)   # two failures, then 200
        webhook_receiver.delay_seconds = 2                           # answer slowly (timeouts)
        ...
        request = webhook_receiver.requests[0]
        Webhook(secret).verify(request.body, request.headers)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from messaging.tests.fakes import FakeServer, Recorded


class WebhookReceiver(FakeServer):
    """Answers ``{"received": true}`` with 200 (after ``delay_seconds``) to any POST."""

    def __init__(self) -> None:
        super().__init__()
        self.delay_seconds = 0.0

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        return 200, {"received": True}, {}

    def url(self, path: str = "/hooks/agnt") -> str:
        return f"{self.base_url}{path}"


@pytest.fixture
def webhook_receiver(settings) -> Iterator[WebhookReceiver]:
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    receiver = WebhookReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()
