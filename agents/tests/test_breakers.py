"""Circuit breakers: alone over Redis, and driven by the gateway client against a failing fake gateway."""

import time

import pytest
import redis as redis_lib

from agents.network.breakers import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    CircuitBreaker,
    CircuitOpen,
    acquire,
    global_breaker,
    venue_breaker,
)
from agents.network.gateway_client import (
    GatewayCircuitOpen,
    GatewayClient,
    GatewayTimeout,
    GatewayUnavailable,
    RecipientUnavailable,
)
from agents.tests.fake_gateway import fake_gateway, isolated_redis  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("isolated_redis")


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


def _fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.record_failure(breaker.allow())


def test_it_opens_after_five_failures_within_ten_minutes_and_refuses_calls(clock):
    breaker = CircuitBreaker("t", clock=clock)
    _fail(breaker, 4)
    assert breaker.state() == CLOSED
    breaker.record_failure(breaker.allow())
    assert breaker.state() == OPEN
    with pytest.raises(CircuitOpen) as refused:
        breaker.allow()
    assert 299 <= refused.value.retry_after <= 300


def test_failures_older_than_the_window_do_not_count(clock):
    breaker = CircuitBreaker("t", clock=clock)
    _fail(breaker, 4)
    clock.advance(601)
    _fail(breaker, 4)
    assert breaker.state() == CLOSED
    _fail(breaker, 1)
    assert breaker.state() == OPEN


def test_it_stays_open_five_minutes_then_lets_exactly_one_trial_through(clock):
    breaker = CircuitBreaker("t", clock=clock)
    _fail(breaker, 5)
    clock.advance(299)
    with pytest.raises(CircuitOpen):
        breaker.allow()
    clock.advance(2)
    assert breaker.state() == HALF_OPEN
    trial = breaker.allow()
    assert trial.trial
    with pytest.raises(CircuitOpen):
        breaker.allow()  # the trial is out: everyone else still waits


def test_a_successful_trial_closes_it_and_a_failed_one_reopens_it_for_another_period(clock):
    breaker = CircuitBreaker("t", clock=clock)
    _fail(breaker, 5)
    clock.advance(301)
    breaker.record_failure(breaker.allow())
    assert breaker.state() == OPEN
    with pytest.raises(CircuitOpen):
        breaker.allow()
    clock.advance(301)
    breaker.record_success(breaker.allow())
    assert breaker.state() == CLOSED
    # closed again means a fresh count: four new failures do not reopen it
    _fail(breaker, 4)
    assert breaker.state() == CLOSED


def test_a_late_success_from_before_the_opening_does_not_close_it(clock):
    breaker = CircuitBreaker("t", clock=clock)
    slow_call = breaker.allow()
    _fail(breaker, 5)
    breaker.record_success(slow_call)
    assert breaker.state() == OPEN


def test_a_trial_that_never_reports_back_is_presumed_lost_after_its_time(clock):
    breaker = CircuitBreaker("t", clock=clock, trial_seconds=30)
    _fail(breaker, 5)
    clock.advance(301)
    breaker.allow()  # the process holding this trial dies
    clock.advance(31)
    assert breaker.allow().trial


def test_the_state_is_shared_across_processes_through_redis(clock, settings):
    # two breaker objects with their own Redis connections stand for two worker processes
    worker_a = CircuitBreaker("venue:la-brisa", clock=clock, client=redis_lib.Redis.from_url(settings.REDIS_APP_URL))
    worker_b = CircuitBreaker("venue:la-brisa", clock=clock, client=redis_lib.Redis.from_url(settings.REDIS_APP_URL))
    _fail(worker_a, 3)
    _fail(worker_b, 2)
    assert worker_a.state() == worker_b.state() == OPEN
    with pytest.raises(CircuitOpen):
        worker_b.allow()
    clock.advance(301)
    assert worker_a.allow().trial
    with pytest.raises(CircuitOpen):
        worker_b.allow()  # exactly one trial across both processes


def test_a_refusal_further_down_the_chain_hands_back_the_unused_trial(clock):
    gateway, venue = global_breaker(clock=clock), venue_breaker("la-brisa", clock=clock)
    _fail(gateway, 5)
    _fail(venue, 5)
    clock.advance(301)
    venue.allow()  # the venue's trial is out already
    with pytest.raises(CircuitOpen) as refused:
        acquire([gateway, venue])
    assert refused.value.name == "venue:la-brisa"
    assert gateway.allow().trial  # the global trial was given back, not burnt


# --- through the gateway client, against a failing fake gateway -----------------------------


def _client(clock, **kwargs) -> GatewayClient:
    return GatewayClient(breaker_options={"clock": clock}, **kwargs)


def _send(client, venue="la-brisa"):
    return client.send_message(
        to=f"venue-{venue}", from_agent_id="consumer-1", payload={"envelope_id": "e"}, venue_key=venue
    )


def test_the_client_opens_the_breaker_after_five_gateway_failures_and_stops_calling(fake_gateway, clock):
    client = _client(clock)
    fake_gateway.fail_with(503)
    for _ in range(5):
        with pytest.raises(GatewayUnavailable) as failure:
            _send(client)
        assert not isinstance(failure.value, GatewayCircuitOpen)
    with pytest.raises(GatewayCircuitOpen) as refused:
        _send(client, venue="another-venue")  # the global breaker guards every venue
    assert refused.value.breaker == "gateway"
    assert len(fake_gateway.requests) == 5  # the sixth never reached the gateway


def test_the_client_sends_one_trial_after_the_open_period_and_recovers(fake_gateway, clock):
    client = _client(clock)
    fake_gateway.fail_with(503)
    for _ in range(5):
        with pytest.raises(GatewayUnavailable):
            _send(client)
    clock.advance(301)
    fake_gateway.recover()
    result = _send(client)
    assert result.status == "queued" and result.message_id.startswith("msg-")
    assert global_breaker(clock=clock).state() == CLOSED and venue_breaker("la-brisa", clock=clock).state() == CLOSED
    assert fake_gateway.sent()[-1] == {
        "to": "venue-la-brisa",
        "from": "consumer-1",
        "payload": {"envelope_id": "e"},
        "priority": 5,
    }
    assert fake_gateway.requests[-1].headers["x-api-key"] == "cp-test-key"


def test_a_recipient_refusing_opens_only_that_venues_breaker(fake_gateway, clock):
    client = _client(clock)
    fake_gateway.script(429, {"ok": False, "error": "inbox_full"}, times=5, path_contains="/api/agents/message")
    for _ in range(5):
        with pytest.raises(RecipientUnavailable):
            _send(client, venue="busy")
    with pytest.raises(GatewayCircuitOpen) as refused:
        _send(client, venue="busy")
    assert refused.value.breaker == "venue:busy"
    assert _send(client, venue="quiet").status == "queued"


def test_the_client_gives_up_at_its_hard_timeout(fake_gateway, clock):
    fake_gateway.delay = 1.0
    started = time.monotonic()
    with pytest.raises(GatewayTimeout):
        _send(_client(clock, timeout=0.3))
    assert time.monotonic() - started < 0.9
