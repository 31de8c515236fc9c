"""Sending (outbox) and receiving (inbox) envelopes, through the built-in gateway and a fake remote one."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from model_bakery import baker

from agents.models import A2AEnvelope, Agent, ApiKey
from agents.network import handlers, signing
from agents.network.breakers import global_breaker
from agents.network.gateway_jobs import envelope_retry, envelope_send, envelope_ttl_sweep, venue_inbox_drain
from agents.network.inbox import InboxRejected, inbox_receive
from agents.network.outbox import envelope_dispatch, envelope_send_now, envelope_wire
from agents.services import agent_register_for_user, agent_register_for_venue, envelope_record
from agents.tests.fake_gateway import fake_gateway, isolated_redis  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_redis")]


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.A2A_SIGNING_KEY = "signing-key"
    settings.A2A_SIGNING_KEY_PREVIOUS = ""
    settings.CLAWPULSE_GATEWAY = settings.PUBLIC_BASE_URL + "/gateway"


@pytest.fixture
def consumer():
    return agent_register_for_user(user=baker.make("agnt.User"))


@pytest.fixture
def venue_agent():
    return agent_register_for_venue(venue=baker.make("venues.Venue", slug="la-brisa", name="La Brisa"))


@pytest.fixture
def received(monkeypatch):
    """Replaces the venue agent's booking.request handler with a recorder (the decision is V's, tested there)."""
    seen: list[A2AEnvelope] = []
    monkeypatch.setitem(handlers.HANDLERS, "booking.request", seen.append)
    return seen


@pytest.fixture
def told(monkeypatch):
    calls = {"undeliverable": [], "expired": []}
    monkeypatch.setattr(handlers, "on_envelope_undeliverable", lambda e: calls["undeliverable"].append(e.envelope_id))
    monkeypatch.setattr(handlers, "on_envelope_expired", lambda e: calls["expired"].append(e.envelope_id))
    return calls


def _dispatch(consumer, venue_agent, **kwargs):
    return envelope_dispatch(
        intent="booking.request",
        from_agent_id=consumer.agent_id,
        to_agent_id=venue_agent.agent_id,
        payload={"party_size": 2},
        **kwargs,
    )


def _steps(envelope):
    return list(envelope.events.order_by("created_at").values_list("to_status", flat=True))


# --- the whole network on one machine -----------------------------------------------------


def test_an_envelope_between_two_hosted_agents_travels_through_the_built_in_gateway_as_one_row(
    consumer, venue_agent, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        envelope = _dispatch(consumer, venue_agent)

    assert [e.pk for e in received] == [envelope.pk]
    envelope.refresh_from_db()
    assert envelope.status == "processed" and A2AEnvelope.objects.count() == 1
    assert _steps(envelope) == ["created", "sent", "delivered", "processed"]
    # one wire form: its timestamp and remaining TTL are taken now, so a second call may differ
    assert signing.verify_signature(envelope_wire(envelope)) is None
    assert envelope.signature and envelope.signed_at


def test_a_delivery_that_overtakes_the_senders_bookkeeping_still_walks_the_row_in_order(
    consumer, venue_agent, received
):
    envelope = envelope_record(
        envelope_id=signing.new_envelope_id(),
        intent="booking.request",
        direction="outbound",
        from_agent_id=consumer.agent_id,
        to_agent_id=venue_agent.agent_id,
        payload={"party_size": 2},
    )[0]
    inbox_receive(envelope=envelope_wire(envelope))  # the push ran before the sender marked it sent

    envelope.refresh_from_db()
    assert _steps(envelope) == ["created", "sent", "delivered", "processed"]
    assert envelope_send_now(envelope=envelope) == "skipped"  # and the sender does not send it again


def test_an_envelope_from_elsewhere_is_recorded_inbound_and_tied_to_the_booking_it_answers(
    consumer, venue_agent, monkeypatch
):
    seen = []
    monkeypatch.setitem(handlers.HANDLERS, "booking.accepted", seen.append)
    booking = baker.make("bookings.VenueBooking", venue=venue_agent.venue)
    request = envelope_record(
        envelope_id="req-1",
        intent="booking.request",
        direction="outbound",
        from_agent_id=consumer.agent_id,
        to_agent_id="venue-remote",
        payload={},
        booking=booking,
    )[0]
    answer = signing.sign_envelope(
        signing.build_envelope(
            intent="booking.accepted",
            from_agent_id="venue-remote",
            to_agent_id=consumer.agent_id,
            payload={"ref": "x"},
            correlation_id=request.envelope_id,
        )
    )
    row = inbox_receive(envelope=answer)
    assert row.direction == "inbound" and row.status == "processed" and row.booking_id == booking.pk
    assert seen == [row]
    with pytest.raises(InboxRejected) as replay:
        inbox_receive(envelope=answer)
    assert replay.value.reason == "replay" and replay.value.envelope.pk == row.pk


def test_a_handler_rejection_and_a_handler_crash_are_recorded_not_raised(consumer, monkeypatch):
    def refuse(envelope):
        raise handlers.EnvelopeRejected("unknown booking ref")

    def crash(envelope):
        ApiKey.objects.create(owner=baker.make("agnt.User"), name="written then rolled back", prefix="p", key_hash="h")
        raise RuntimeError("boom")

    monkeypatch.setitem(handlers.HANDLERS, "booking.accepted", refuse)
    monkeypatch.setitem(handlers.HANDLERS, "booking.rejected", crash)
    make = lambda intent: signing.sign_envelope(
        signing.build_envelope(  # noqa: E731
            intent=intent, from_agent_id="venue-remote", to_agent_id=consumer.agent_id, payload={}
        )
    )

    rejected = inbox_receive(envelope=make("booking.accepted"))
    assert rejected.status == "rejected" and rejected.last_error == "unknown booking ref"
    failed = inbox_receive(envelope=make("booking.rejected"))
    assert failed.status == "failed" and "RuntimeError: boom" in failed.last_error
    assert not ApiKey.objects.exists()


def test_an_envelope_for_an_agent_not_hosted_here_or_without_a_handler_is_rejected(consumer):
    stray = signing.sign_envelope(
        signing.build_envelope(intent="booking.request", from_agent_id="x", to_agent_id="venue-elsewhere", payload={})
    )
    with pytest.raises(InboxRejected) as refused:
        inbox_receive(envelope=stray)
    assert refused.value.reason == "unknown_recipient" and refused.value.envelope.status == "rejected"

    unhandled = signing.sign_envelope(
        signing.build_envelope(intent="venue.list", from_agent_id="x", to_agent_id=consumer.agent_id, payload={})
    )
    row = inbox_receive(envelope=unhandled, handlers={})
    assert row.status == "rejected" and "no handler" in row.last_error


def test_a_stale_envelope_is_refused_and_recorded(consumer):
    stale = signing.sign_envelope(
        signing.build_envelope(intent="booking.accepted", from_agent_id="x", to_agent_id=consumer.agent_id, payload={}),
        timestamp=int(time.time()) - 600,
    )
    with pytest.raises(InboxRejected) as refused:
        inbox_receive(envelope=stale)
    assert refused.value.reason == "stale_timestamp"
    assert A2AEnvelope.objects.get(envelope_id=stale["envelope_id"]).status == "rejected"


# --- through a remote gateway (the fake), breakers in the way ---------------------------------


def test_sending_while_the_breaker_is_open_queues_the_envelope_and_tells_the_user_once(
    consumer, venue_agent, fake_gateway, told, isolated_redis
):
    breaker = global_breaker()
    for _ in range(5):
        breaker.record_failure(breaker.allow())
    envelope = _dispatch(consumer, venue_agent)

    assert envelope_send(str(envelope.pk)) == "queued"
    envelope.refresh_from_db()
    assert envelope.status == "queued" and envelope.next_attempt_at > timezone.now() + timedelta(minutes=4)
    assert told["undeliverable"] == [envelope.envelope_id]
    assert fake_gateway.requests == []

    A2AEnvelope.objects.filter(pk=envelope.pk).update(next_attempt_at=timezone.now())
    assert envelope_retry() == 0  # still open: stays queued, nobody is told twice
    envelope.refresh_from_db()
    assert envelope.status == "queued" and told["undeliverable"] == [envelope.envelope_id]

    # five minutes later the breaker lets one trial through, and the gateway is back
    isolated_redis.hset(breaker.key, "opened_at", repr(time.time() - 301))
    A2AEnvelope.objects.filter(pk=envelope.pk).update(next_attempt_at=timezone.now())
    assert envelope_retry() == 1
    envelope.refresh_from_db()
    assert envelope.status == "sent" and breaker.state() == "closed"
    [posted] = fake_gateway.sent()
    assert posted["to"] == venue_agent.agent_id and posted["from"] == consumer.agent_id
    signing.verify_envelope(posted["payload"])
    assert posted["payload"]["envelope_id"] == envelope.envelope_id


def test_a_gateway_failure_queues_with_backoff_and_five_of_them_open_the_breaker(
    consumer, venue_agent, fake_gateway, told
):
    fake_gateway.fail_with(503)
    started = timezone.now()  # the backoff counts from the failure, which is after this
    envelopes = [_dispatch(consumer, venue_agent) for _ in range(6)]
    outcomes = [envelope_send_now(envelope=e) for e in envelopes]
    assert outcomes == ["queued"] * 6
    assert len(fake_gateway.requests) == 5  # the sixth met the open breaker
    assert sorted(told["undeliverable"]) == sorted(e.envelope_id for e in envelopes)
    first = A2AEnvelope.objects.get(pk=envelopes[0].pk)
    assert "503" in first.last_error and first.next_attempt_at >= started + timedelta(seconds=14)


def test_a_permanent_refusal_fails_the_envelope_without_retrying(consumer, fake_gateway, told):
    fake_gateway.script(404, {"ok": False, "error": "unknown_agent"}, path_contains="/api/agents/message")
    envelope = envelope_dispatch(
        intent="booking.request", from_agent_id=consumer.agent_id, to_agent_id="venue-gone", payload={}
    )
    assert envelope_send_now(envelope=envelope) == "failed"
    envelope.refresh_from_db()
    assert envelope.status == "failed" and envelope.next_attempt_at is None and told["undeliverable"] == []
    assert envelope_send_now(envelope=envelope) == "skipped"


def test_the_fallback_drains_a_remote_gateway_for_hosted_agents(venue_agent, fake_gateway, received):
    envelope = signing.sign_envelope(
        signing.build_envelope(
            intent="booking.request",
            from_agent_id="consumer-remote",
            to_agent_id=venue_agent.agent_id,
            payload={"party_size": 4},
        )
    )
    fake_gateway.inboxes[venue_agent.agent_id].append(
        {
            "message_id": "m1",
            "from": "consumer-remote",
            "to": venue_agent.agent_id,
            "payload": envelope,
            "priority": 5,
            "created_at": "",
        }
    )
    assert venue_inbox_drain() == 1
    assert [e.envelope_id for e in received] == [envelope["envelope_id"]]
    assert received[0].status == "processed"


# --- TTL --------------------------------------------------------------------------------------


def test_the_ttl_sweep_expires_live_envelopes_and_tells_the_sender_side_only(consumer, venue_agent, told):
    outbound = _dispatch(consumer, venue_agent, ttl_ms=1000)
    inbound = envelope_record(
        envelope_id="in-1",
        intent="booking.accepted",
        direction="inbound",
        from_agent_id="venue-x",
        to_agent_id=consumer.agent_id,
        payload={},
        ttl_ms=1000,
    )[0]
    fresh = _dispatch(consumer, venue_agent)
    A2AEnvelope.objects.filter(pk__in=[outbound.pk, inbound.pk]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert envelope_ttl_sweep()["envelopes"] == 2
    statuses = dict(A2AEnvelope.objects.values_list("envelope_id", "status"))
    assert statuses == {outbound.envelope_id: "expired", "in-1": "expired", fresh.envelope_id: "created"}
    assert told["expired"] == [outbound.envelope_id]
    assert envelope_send_now(envelope=outbound) == "skipped"


def test_a_retry_is_signed_afresh_with_the_remaining_ttl(consumer, venue_agent):
    envelope = _dispatch(consumer, venue_agent, ttl_ms=600_000)
    A2AEnvelope.objects.filter(pk=envelope.pk).update(expires_at=timezone.now() + timedelta(minutes=2))
    envelope.refresh_from_db()
    wire = envelope_wire(envelope)
    assert abs(wire["timestamp"] - time.time()) < 2 and 110_000 < wire["ttl_ms"] <= 120_000
    signing.verify_envelope(wire)
    assert Agent.objects.filter(agent_id=venue_agent.agent_id).exists()
