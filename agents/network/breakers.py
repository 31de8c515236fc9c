"""Circuit breakers for the A2A gateway, shared by every process through Redis.

One global breaker (the gateway itself) and one per venue. A breaker opens after
BREAKER_FAILURE_THRESHOLD (5) failures within BREAKER_WINDOW_SECONDS (10 minutes), stays
open BREAKER_OPEN_SECONDS (5 minutes), then lets exactly one trial call through
(half-open): its success closes the breaker, its failure opens it for another period.

Every decision is one Lua script, so two workers can never both take the trial or both
miss the fifth failure. The clock is passed in (``clock``) rather than read from Redis so
tests can move time; production hosts are NTP-synced, which is all the window needs.

State lives in two keys per breaker:
- ``agnt:breaker:<name>`` hash: state (open | half_open; absent = closed), opened_at,
  trial_until (when an unreported trial is presumed lost and another may go);
- ``agnt:breaker:<name>:failures`` sorted set of failure times inside the window.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
GLOBAL_BREAKER = "gateway"
KEY_PREFIX = "agnt:breaker:"

_ALLOW = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {1, 0, 0} end
local now = tonumber(ARGV[1])
if state == 'open' then
  local opened = tonumber(redis.call('HGET', KEYS[1], 'opened_at') or '0')
  local reopen = opened + tonumber(ARGV[2])
  if now < reopen then return {0, 0, math.ceil((reopen - now) * 1000)} end
  redis.call('HSET', KEYS[1], 'state', 'half_open', 'trial_until', tostring(now + tonumber(ARGV[3])))
  return {1, 1, 0}
end
-- half-open: one trial is out; another goes only when that one was lost (never reported)
local trial_until = tonumber(redis.call('HGET', KEYS[1], 'trial_until') or '0')
if now >= trial_until then
  redis.call('HSET', KEYS[1], 'trial_until', tostring(now + tonumber(ARGV[3])))
  return {1, 1, 0}
end
return {0, 0, math.ceil((trial_until - now) * 1000)}
"""

_FAILURE = """
local state = redis.call('HGET', KEYS[1], 'state')
local now = tonumber(ARGV[1])
if state == 'half_open' then
  if ARGV[5] == '1' then
    redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', ARGV[1])
    redis.call('HDEL', KEYS[1], 'trial_until')
    return 'open'
  end
  return state
end
if state == 'open' then return state end
local window = tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
redis.call('PEXPIRE', KEYS[2], math.ceil(window * 1000))
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', ARGV[1])
  redis.call('DEL', KEYS[2])
  return 'open'
end
return 'closed'
"""

_SUCCESS = """
if redis.call('HGET', KEYS[1], 'state') == 'half_open' then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 'closed'
end
return redis.call('HGET', KEYS[1], 'state') or 'closed'
"""

# A trial we took but did not use (a later breaker refused): back to open, same opened_at,
# so the next caller may take the trial at once.
_RELEASE = """
if redis.call('HGET', KEYS[1], 'state') == 'half_open' then
  redis.call('HSET', KEYS[1], 'state', 'open')
  redis.call('HDEL', KEYS[1], 'trial_until')
end
return 1
"""


class CircuitOpen(Exception):
    """The breaker refuses calls for now; ``retry_after`` is seconds until a trial may go."""

    def __init__(self, name: str, retry_after: float) -> None:
        super().__init__(f"circuit {name} is open; retry in {math.ceil(retry_after)} s")
        self.name = name
        self.retry_after = retry_after


@dataclass
class Permit:
    """Leave to make one call; report its outcome with record_success / record_failure."""

    breaker: CircuitBreaker
    trial: bool


@lru_cache(maxsize=4)
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def _client() -> redis.Redis:
    return _client_for(settings.REDIS_APP_URL)


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        threshold: int | None = None,
        window_seconds: float | None = None,
        open_seconds: float | None = None,
        trial_seconds: float = 30.0,
        clock: Callable[[], float] = time.time,
        client: redis.Redis | None = None,
    ) -> None:
        self.name = name
        self.threshold = threshold or int(getattr(settings, "BREAKER_FAILURE_THRESHOLD", 5))
        self.window_seconds = window_seconds or float(getattr(settings, "BREAKER_WINDOW_SECONDS", 600))
        self.open_seconds = open_seconds or float(getattr(settings, "BREAKER_OPEN_SECONDS", 300))
        # longer than the gateway client's 15 s hard timeout: a trial still running is not lost
        self.trial_seconds = trial_seconds
        self.clock = clock
        self._redis = client
        self.key = KEY_PREFIX + name
        self.failures_key = self.key + ":failures"

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.name}>"

    @property
    def redis(self) -> redis.Redis:
        return self._redis or _client()

    def _run(self, script: str, keys: list[str], args: list) -> object:
        return self.redis.register_script(script)(keys=keys, args=args)

    def allow(self) -> Permit:
        """A permit for one call, or CircuitOpen. A half-open breaker hands out exactly one."""
        allowed, trial, retry_ms = self._run(
            _ALLOW, [self.key], [repr(self.clock()), self.open_seconds, self.trial_seconds]
        )
        if not allowed:
            raise CircuitOpen(self.name, int(retry_ms) / 1000)
        if trial:
            logger.info("breaker %s half-open: letting one trial through", self.name)
        return Permit(self, bool(trial))

    def record_success(self, permit: Permit | None = None) -> None:
        # only the trial's success closes the breaker: a slow call that started before the
        # breaker opened says nothing about the gateway now
        if permit is not None and permit.trial:
            self._run(_SUCCESS, [self.key, self.failures_key], [])
            logger.info("breaker %s closed after a successful trial", self.name)

    def record_failure(self, permit: Permit | None = None) -> str:
        """Count a failure; returns the state afterwards."""
        now = self.clock()
        state = self._run(
            _FAILURE,
            [self.key, self.failures_key],
            [
                repr(now),
                self.window_seconds,
                self.threshold,
                f"{now!r}:{uuid.uuid4().hex[:8]}",
                "1" if permit is not None and permit.trial else "0",
            ],
        )
        state = state.decode() if isinstance(state, bytes) else str(state)
        if state == OPEN:
            logger.warning("breaker %s is open", self.name)
        return state

    def release(self, permit: Permit) -> None:
        """Give back an unused trial permit (the call never went out)."""
        if permit.trial:
            self._run(_RELEASE, [self.key], [])

    def state(self) -> str:
        """closed, open or half_open — as the next caller would find it (open past its time reads half_open)."""
        raw = self.redis.hgetall(self.key)
        state = raw.get(b"state", b"").decode()
        if not state:
            return CLOSED
        if state == OPEN and self.clock() >= float(raw.get(b"opened_at", b"0")) + self.open_seconds:
            return HALF_OPEN
        return state

    def retry_after(self) -> float:
        """Seconds until this breaker lets a call (0 when closed or due for a trial)."""
        raw = self.redis.hgetall(self.key)
        if raw.get(b"state") != OPEN.encode():
            return 0.0
        return max(0.0, float(raw.get(b"opened_at", b"0")) + self.open_seconds - self.clock())

    def reset(self) -> None:
        """Close by hand (operator action)."""
        self.redis.delete(self.key, self.failures_key)


def global_breaker(**kwargs) -> CircuitBreaker:
    return CircuitBreaker(GLOBAL_BREAKER, **kwargs)


def venue_breaker(venue_key: str, **kwargs) -> CircuitBreaker:
    return CircuitBreaker(f"venue:{venue_key}", **kwargs)


def acquire(breakers: list[CircuitBreaker]) -> list[Permit]:
    """Permits from every breaker in order (global first), or CircuitOpen from the first that refuses.

    A trial permit already taken from an earlier breaker is handed back when a later one
    refuses, so a refused call never uses up a half-open breaker's only trial.
    """
    permits: list[Permit] = []
    try:
        for breaker in breakers:
            permits.append(breaker.allow())
    except CircuitOpen:
        for permit in permits:
            permit.breaker.release(permit)
        raise
    return permits


__all__ = [
    "CLOSED",
    "HALF_OPEN",
    "OPEN",
    "CircuitBreaker",
    "CircuitOpen",
    "Permit",
    "acquire",
    "global_breaker",
    "venue_breaker",
]
