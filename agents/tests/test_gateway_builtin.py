"""The built-in gateway: its HTTP endpoints, push on arrival, drain, fallback and expiry."""

import json
from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone
from model_bakery import baker

from agents.models import A2AEnvelope, Agent, GatewayMessage
from agents.network import gateway, signing
from agents.network.gateway import gateway_agent_key_issue, gateway_message_accept
from agents.network.gateway_jobs import envelope_ttl_sweep, venue_inbox_drain
from agents.services import agent_register_for_venue
from agents.tests.fake_gateway import isolated_redis  # noqa: F401  (fixture)
from messaging.tests.fakes import FakeServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_redis")]

PLATFORM_KEY = "platform-key-for-tests"
MESSAGE_URL = "/gateway/api/agents/message"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.CLAWPULSE_API_KEY = PLATFORM_KEY
    settings.A2A_SIGNING_KEY = "signing-key"
    settings.A2A_SIGNING_KEY_PREVIOUS = ""
    settings.CLAWPULSE_GATEWAY = settings.PUBLIC_BASE_URL + "/gateway"


@pytest.fixture
def platform():
    return Agent.objects.create(kind="platform", agent_id="agnt-platform")


@pytest.fixture
def venue_agent():
    return agent_register_for_venue(venue=baker.make("venues.Venue", slug="la-brisa", name="La Brisa"))


@pytest.fixture
def pings(monkeypatch):
    """Records network.ping envelopes handed to the hosted agents' handler."""
    from agents.network import handlers

    seen: list[A2AEnvelope] = []
    monkeypatch.setitem(handlers.HANDLERS, "network.ping", seen.append)
    return seen


def _ping(to="agnt-platform", sender="remote-agent", **kwargs):
    return signing.sign_envelope(
        signing.build_envelope(
            intent="network.ping", from_agent_id=sender, to_agent_id=to, payload={"hello": 1}, **kwargs
        )
    )


def _post(client, body, *, key=PLATFORM_KEY, raw=None):
    headers = {"HTTP_X_API_KEY": key} if key is not None else {}
    data = raw if raw is not None else json.dumps(body)
    return client.post(MESSAGE_URL, data=data, content_type="application/json", **headers)


def test_health_answers_without_a_key(client):
    response = client.get("/gateway/api/health")
    assert response.status_code == 200 and response.json()["ok"] is True


def test_a_message_without_a_key_or_with_a_wrong_key_is_refused_with_401(client, platform):
    body = {"to": "agnt-platform", "from": "remote-agent", "payload": _ping(), "priority": 5}
    assert _post(client, body, key=None).status_code == 401
    assert _post(client, body, key="wrong").json()["error"] == "unauthorized"
    assert GatewayMessage.objects.count() == 0


def test_an_agents_own_key_may_send_only_as_that_agent(client, platform, venue_agent):
    key = gateway_agent_key_issue(agent=venue_agent)
    as_itself = {"to": "agnt-platform", "from": "venue-la-brisa", "payload": _ping(sender="venue-la-brisa")}
    assert _post(client, as_itself, key=key).status_code == 202
    impersonating = {"to": "agnt-platform", "from": "agnt-other", "payload": _ping(sender="agnt-other")}
    assert _post(client, impersonating, key=key).status_code == 401


def test_a_message_to_an_unknown_agent_is_404(client, platform):
    response = _post(client, {"to": "venue-nowhere", "from": "remote-agent", "payload": _ping(to="venue-nowhere")})
    assert response.status_code == 404 and response.json()["error"] == "unknown_agent"


@pytest.mark.parametrize(
    "raw, code",
    [
        ("{not json", "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        ("[1, 2]", "invalid_message"),
        (json.dumps({"to": "agnt-platform", "from": "remote-agent", "payload": "text"}), "invalid_message"),
        (
            json.dumps({"to": "agnt-platform", "from": "remote-agent", "payload": {}, "priority": "high"}),
            "invalid_message",
        ),
        (json.dumps({"to": "agnt-platform", "from": "remote-agent", "payload": {}, "priority": 12}), "invalid_message"),
        (json.dumps({"to": ["agnt-platform"], "from": "remote-agent", "payload": {}}), "invalid_message"),
    ],
)
def test_malformed_messages_are_400_never_500(client, platform, raw, code):
    response = _post(client, None, raw=raw)
    assert response.status_code == 400 and response.json()["error"] == code


def test_an_oversized_body_is_413(client, platform, settings):
    settings.GATEWAY_MAX_BODY_BYTES = 1024
    body = {"to": "agnt-platform", "from": "remote-agent", "payload": {"blob": "x" * 2000}}
    assert _post(client, body).status_code == 413


def test_a_wrong_method_is_405(client):
    assert client.put(MESSAGE_URL).status_code == 405
    assert client.post("/gateway/api/health").status_code == 405


def test_drain_returns_pending_messages_most_urgent_first_and_marks_them(client, platform):
    # inside the test transaction nothing commits, so no push runs: the messages wait
    low = gateway_message_accept(to_agent_id="agnt-platform", from_agent_id="a", payload={"n": 1}, priority=7)
    high = gateway_message_accept(to_agent_id="agnt-platform", from_agent_id="b", payload={"n": 2}, priority=1)
    url = "/gateway/api/agents/agnt-platform/queue/drain"

    assert client.post(url).status_code == 401
    assert client.post(url, HTTP_X_API_KEY="wrong").status_code == 401
    response = client.post(url, HTTP_X_API_KEY=PLATFORM_KEY)
    assert response.status_code == 200
    assert [m["payload"] for m in response.json()["messages"]] == [{"n": 2}, {"n": 1}]
    assert response.json()["messages"][0] | {"created_at": None} == {
        "message_id": str(high.pk),
        "from": "b",
        "to": "agnt-platform",
        "payload": {"n": 2},
        "priority": 1,
        "created_at": None,
    }
    assert set(GatewayMessage.objects.values_list("status", flat=True)) == {"drained"}
    low.refresh_from_db()
    assert low.delivered_at is not None
    assert client.get(url, HTTP_X_API_KEY=PLATFORM_KEY).json()["messages"] == []


def test_an_agent_drains_its_own_inbox_with_its_key_but_not_anothers(client, platform, venue_agent):
    key = gateway_agent_key_issue(agent=venue_agent)
    gateway_message_accept(to_agent_id="venue-la-brisa", from_agent_id="a", payload={"n": 1})
    assert client.post("/gateway/api/agents/agnt-platform/queue/drain", HTTP_X_API_KEY=key).status_code == 401
    response = client.post("/gateway/api/agents/venue-la-brisa/queue/drain?limit=10", HTTP_X_API_KEY=key)
    assert len(response.json()["messages"]) == 1
    assert client.post("/gateway/api/agents/venue-la-brisa/queue/drain?limit=0", HTTP_X_API_KEY=key).status_code == 400


def test_draining_an_unknown_agent_is_404(client):
    response = client.post("/gateway/api/agents/nobody/queue/drain", HTTP_X_API_KEY=PLATFORM_KEY)
    assert response.status_code == 404


def test_a_message_to_a_hosted_agent_is_pushed_to_its_inbox_on_arrival(
    client, platform, pings, django_capture_on_commit_callbacks
):
    envelope = _ping()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, {"to": "agnt-platform", "from": "remote-agent", "payload": envelope, "priority": 3})
    assert response.status_code == 202

    message = GatewayMessage.objects.get()
    assert (
        message.status == "delivered"
        and message.envelope_id == envelope["envelope_id"]
        and message.sent_with == "platform"
    )
    row = A2AEnvelope.objects.get(envelope_id=envelope["envelope_id"])
    assert [p.pk for p in pings] == [row.pk]
    assert row.direction == "inbound" and row.status == "processed" and row.from_agent_id == "remote-agent"


def test_the_same_envelope_pushed_twice_is_handled_once(client, platform, pings, django_capture_on_commit_callbacks):
    envelope = _ping()
    body = {"to": "agnt-platform", "from": "remote-agent", "payload": envelope}
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, body)
        _post(client, body)
    assert len(pings) == 1
    second = GatewayMessage.objects.order_by("created_at").last()
    # a refusal is the recipient's answer, so the message still left the inbox
    assert second.status == "delivered" and "replay" in second.last_error


def test_a_forged_envelope_is_delivered_to_the_inbox_which_rejects_it(
    client, platform, pings, django_capture_on_commit_callbacks
):
    forged = dict(_ping(), payload={"hello": "forged"})
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, {"to": "agnt-platform", "from": "remote-agent", "payload": forged})
    assert pings == []
    row = A2AEnvelope.objects.get(envelope_id=forged["envelope_id"])
    assert row.status == "rejected" and row.last_error.startswith("bad_signature")


def test_a_message_for_an_agent_with_an_endpoint_is_posted_there_signed(platform, django_capture_on_commit_callbacks):
    endpoint = FakeServer().start()
    try:
        endpoint.script(200, {"ok": True}, path_contains="/a2a/inbox")
        remote = Agent.objects.create(
            kind="platform", agent_id="agnt-remote", endpoint_url=endpoint.base_url + "/a2a/inbox"
        )
        envelope = _ping(to=remote.agent_id)
        with django_capture_on_commit_callbacks(execute=True):
            gateway_message_accept(to_agent_id=remote.agent_id, from_agent_id="agnt-platform", payload=envelope)
        [request] = endpoint.requests
        assert request.json == envelope
        timestamp = int(request.headers["x-agnt-timestamp"])
        assert request.headers["x-agnt-signature"] == signing.sign_bytes(request.body, timestamp=timestamp)
        assert GatewayMessage.objects.get().status == "delivered"
    finally:
        endpoint.stop()


def test_the_fallback_job_delivers_what_the_push_left_behind(platform, pings):
    message = gateway_message_accept(to_agent_id="agnt-platform", from_agent_id="remote-agent", payload=_ping())
    assert venue_inbox_drain() == 0  # too fresh: the push is still expected
    GatewayMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(seconds=31))
    assert venue_inbox_drain() == 1
    message.refresh_from_db()
    assert message.status == "delivered" and len(pings) == 1


def test_undelivered_gateway_messages_expire(platform):
    message = gateway_message_accept(
        to_agent_id="agnt-platform", from_agent_id="remote-agent", payload={"ttl_ms": 1000, "n": 1}
    )
    GatewayMessage.objects.filter(pk=message.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert envelope_ttl_sweep()["gateway_messages"] == 1
    message.refresh_from_db()
    assert message.status == "expired"


def test_a_message_that_left_the_inbox_never_moves_again(platform):
    message = gateway_message_accept(to_agent_id="agnt-platform", from_agent_id="remote-agent", payload={"n": 1})
    assert [m.pk for m in gateway.gateway_inbox_drain(agent=platform)] == [message.pk]
    with pytest.raises(ValueError, match="cannot move from drained to delivered"), transaction.atomic():
        gateway._mark(GatewayMessage.objects.select_for_update().get(pk=message.pk), "delivered")
    with pytest.raises(DatabaseError, match="cannot move from drained to pending"), transaction.atomic():
        GatewayMessage.objects.filter(pk=message.pk).update(status="pending")
    message.refresh_from_db()
    assert message.status == "drained"
