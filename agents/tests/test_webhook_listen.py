"""manage.py webhook_listen: the developer's local receiver verifies what AGNT signs."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from agents.management.commands.webhook_listen import make_handler
from agents.services import api_key_create, webhook_subscription_create, webhook_test_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    lines: list[str] = []
    state: dict = {}

    def start(secret: str):
        server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(Webhook(secret), lines.append))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        state["server"] = server
        return f"http://127.0.0.1:{server.server_address[1]}/hooks"

    yield start, lines
    if "server" in state:
        state["server"].shutdown()
        state["server"].server_close()


def test_it_verifies_a_signed_agnt_webhook_and_answers_200(listener, django_user_model):
    start, lines = listener
    owner = django_user_model.objects.create_user(username="dev", password="x")
    api_key, _ = api_key_create(owner=owner, name="dev")
    # the subscription needs its URL before the listener knows the secret: subscribe, then listen
    subscription, secret = webhook_subscription_create(api_key=api_key, url="http://127.0.0.1:9/hooks")
    url = start(secret)
    subscription.url = url
    subscription.save(update_fields=["url"])
    delivery = webhook_test_send(subscription=subscription)
    assert delivery.status == "succeeded" and delivery.response_status == 200
    assert lines and lines[0].startswith("✓ verified") and "webhook.ping" in lines[0]


def test_it_refuses_a_body_whose_signature_does_not_match(listener):
    start, lines = listener
    url = start("whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    response = httpx.post(
        url,
        content=b'{"type": "booking.confirmed"}',
        headers={
            "webhook-id": "msg_1",
            "webhook-timestamp": "1700000000",
            "webhook-signature": "v1,AAAA",
        },
    )
    assert response.status_code == 400 and lines[0].startswith("✗ refused msg_1")
