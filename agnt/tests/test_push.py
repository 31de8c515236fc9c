"""Web Push subscriptions through /api/push: key discovery, validation, subscribe and unsubscribe."""

from __future__ import annotations

import base64

import pytest
from model_bakery import baker

from agnt.models import PushSubscription
from agnt.tests.api import bearer_client
from agnt.tests.fake_push import fake_push  # noqa: F401 - fixture
from agnt.webpush import generate_vapid_keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest():
    return baker.make("agnt.User", username="putu")


def test_the_app_reads_the_vapid_public_key_and_gets_503_while_push_is_not_configured(client, settings):
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = generate_vapid_keys()
    answer = client.get("/api/push/vapid-public-key")
    assert answer.status_code == 200 and answer.json() == {"public_key": settings.VAPID_PUBLIC_KEY}
    assert len(base64.urlsafe_b64decode(settings.VAPID_PUBLIC_KEY + "=")) == 65
    settings.VAPID_PRIVATE_KEY = ""
    assert client.get("/api/push/vapid-public-key").status_code == 503


def test_a_browser_subscribes_and_unsubscribes(guest, fake_push):
    api = bearer_client(guest)
    browser = fake_push.subscribe()
    answer = api.post("/api/push/subscriptions", browser, format="json", HTTP_USER_AGENT="Firefox/140")
    assert answer.status_code == 201, answer.json()
    subscription = PushSubscription.objects.get()
    assert subscription.user == guest and subscription.endpoint == browser["endpoint"]
    assert subscription.user_agent == "Firefox/140" and subscription.status == "active"
    # the same browser subscribing again (new keys) updates its one row
    renewed = dict(browser, keys=fake_push.subscribe()["keys"])
    assert api.post("/api/push/subscriptions", renewed, format="json").status_code == 201
    assert PushSubscription.objects.get().p256dh == renewed["keys"]["p256dh"]

    assert api.delete("/api/push/subscriptions", {"endpoint": browser["endpoint"]}, format="json").status_code == 204
    assert not PushSubscription.objects.exists()
    assert api.delete("/api/push/subscriptions", {"endpoint": browser["endpoint"]}, format="json").status_code == 404


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("not a url", "no host"),
        ("http://push.example.com/x", "https URL of a push service"),
        ("https://127.0.0.1/push/abc", "loopback"),
        ("https://10.1.2.3/push/abc", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://user:pw@fcm.googleapis.com/fcm/send/x", "credentials"),
    ],
)
def test_a_malformed_or_private_endpoint_is_refused_with_a_field_message(guest, fake_push, endpoint, message):
    browser = fake_push.subscribe()
    answer = bearer_client(guest).post("/api/push/subscriptions", dict(browser, endpoint=endpoint), format="json")
    assert answer.status_code == 400
    assert message in answer.json()["endpoint"][0]
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    ("keys", "field", "message"),
    [
        ({"p256dh": "not base64 !", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}, "p256dh", "base64url"),
        ({"p256dh": base64.urlsafe_b64encode(b"\x04" + b"\x01" * 32).decode(), "auth": "x"}, "p256dh", "65-byte"),
        (
            {"p256dh": base64.urlsafe_b64encode(b"\x04" + b"\x01" * 64).decode().rstrip("="), "auth": "x"},
            "p256dh",
            "curve",
        ),
    ],
)
def test_malformed_keys_are_refused_with_a_field_message(guest, fake_push, keys, field, message):
    browser = fake_push.subscribe()
    answer = bearer_client(guest).post("/api/push/subscriptions", dict(browser, keys=keys), format="json")
    assert answer.status_code == 400
    assert message in answer.json()["keys"][field][0]


def test_an_auth_secret_of_the_wrong_length_is_refused(guest, fake_push):
    browser = fake_push.subscribe()
    keys = dict(browser["keys"], auth=base64.urlsafe_b64encode(b"short").decode())
    answer = bearer_client(guest).post("/api/push/subscriptions", dict(browser, keys=keys), format="json")
    assert answer.status_code == 400 and "16 bytes" in answer.json()["keys"]["auth"][0]


def test_subscribing_needs_a_bearer_token(client, fake_push):
    answer = client.post("/api/push/subscriptions", fake_push.subscribe(), content_type="application/json")
    assert answer.status_code == 401


def test_make_run_writes_development_vapid_keys_once(tmp_path, monkeypatch):
    from agnt import devrun

    dotenv = tmp_path / ".env"
    monkeypatch.setattr(devrun, "DOTENV_PATH", dotenv)
    for name in ("VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY", *devrun.DEV_WEBHOOK_SECRETS):
        monkeypatch.delenv(name, raising=False)
    devrun.ensure_dotenv()
    first = dotenv.read_text()
    values = dict(line.split("=", 1) for line in first.splitlines() if "=" in line and not line.startswith("#"))
    assert len(base64.urlsafe_b64decode(values["VAPID_PRIVATE_KEY"] + "=")) == 32
    assert len(base64.urlsafe_b64decode(values["VAPID_PUBLIC_KEY"] + "=")) == 65
    devrun.ensure_dotenv()
    assert dotenv.read_text() == first  # kept: browsers subscribed with this key keep working
