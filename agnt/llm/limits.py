"""Per-user limits on the LLM, shared through Redis so every worker process sees the same numbers.

* A daily token budget: input + output tokens (cache reads and writes included) counted
  per user per UTC day. A turn is refused once the day's total reaches LLM_DAILY_TOKEN_BUDGET.
* A concurrency limit: at most LLM_USER_CONCURRENCY turns in flight per user. Each turn holds
  a lease in a sorted set (score = lease expiry), so a worker that dies mid-turn frees its
  slot when the lease runs out instead of locking the user out for good.

If Redis itself is unreachable the limits fail open (and log): refusing every user because
a counter is down would be a worse outage than letting a few turns through uncounted.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime

import redis
from django.conf import settings

log = logging.getLogger(__name__)

BUDGET_KEY_TTL_SECONDS = 2 * 24 * 3600  # keep yesterday's counter a little for support questions

_clients: dict[str, redis.Redis] = {}

# KEYS[1] = the user's lease set; ARGV = now (ms), lease (ms), limit, token.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

# Extend a lease only if it is still held (an expired lease may already be someone else's slot).
_REFRESH = """
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[3])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  return 1
end
return 0
"""


def redis_client() -> redis.Redis:
    """The app Redis (settings.REDIS_APP_URL), one connection pool per process."""
    url = settings.REDIS_APP_URL
    client = _clients.get(url)
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        _clients[url] = client
    return client


def _user_key(user) -> str:
    return str(getattr(user, "pk", user))


# -- daily token budget -------------------------------------------------------------


def token_budget_key(*, user, day: datetime | None = None) -> str:
    day = day or datetime.now(UTC)
    return f"agnt:llm:tokens:{_user_key(user)}:{day.strftime('%Y%m%d')}"


def daily_token_budget() -> int:
    """Tokens a user may spend per UTC day; 0 or less means unlimited."""
    return int(settings.LLM_DAILY_TOKEN_BUDGET)


def tokens_used_today(*, user) -> int:
    try:
        value = redis_client().get(token_budget_key(user=user))
    except redis.RedisError:
        log.warning("llm token budget: redis unavailable, not counting", exc_info=True)
        return 0
    return int(value or 0)


def token_budget_exhausted(*, user) -> bool:
    budget = daily_token_budget()
    return budget > 0 and tokens_used_today(user=user) >= budget


def token_usage_add(*, user, tokens: int) -> int:
    """Add a model call's tokens to today's counter; returns the new total (0 if Redis is down)."""
    if tokens <= 0:
        return tokens_used_today(user=user)
    key = token_budget_key(user=user)
    try:
        pipe = redis_client().pipeline()
        pipe.incrby(key, int(tokens))
        pipe.expire(key, BUDGET_KEY_TTL_SECONDS)
        total, _ = pipe.execute()
    except redis.RedisError:
        log.warning("llm token budget: redis unavailable, %s tokens not counted", tokens, exc_info=True)
        return 0
    return int(total)


# -- per-user concurrency -----------------------------------------------------------


def concurrency_key(*, user) -> str:
    return f"agnt:llm:inflight:{_user_key(user)}"


def lease_seconds() -> float:
    """How long a turn's slot is held without a refresh: long enough for one model call
    (the SDK's own timeout and retries), short enough that a crashed worker's slot comes back."""
    default = float(settings.LLM_TIMEOUT_SECONDS) * 2 + 30
    return float(getattr(settings, "LLM_CONCURRENCY_LEASE_SECONDS", default))


class UserSlot:
    """One held concurrency slot. Use `user_slot_acquire` to get one; release it in `finally`."""

    def __init__(self, *, key: str, token: str, lease: float, held: bool):
        self.key = key
        self.token = token
        self.lease = lease
        self.held = held
        self.renewed_at = time.monotonic()

    def refresh(self) -> bool:
        """Push the lease expiry out again (called before each model call of a long turn)."""
        if not self.held:
            return False
        now_ms = int(time.time() * 1000)
        try:
            kept = bool(redis_client().eval(_REFRESH, 1, self.key, now_ms, int(self.lease * 1000), self.token))
        except redis.RedisError:
            log.warning("llm concurrency: redis unavailable on refresh", exc_info=True)
            return True
        if kept:
            self.renewed_at = time.monotonic()
        return kept

    def refresh_if_due(self) -> bool:
        """Refresh once a quarter of the lease has passed since the last renewal: a turn's
        quick model calls (the offline planner's take milliseconds) cost no Redis call."""
        if self.held and time.monotonic() - self.renewed_at >= self.lease / 4:
            return self.refresh()
        return self.held

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        try:
            redis_client().zrem(self.key, self.token)
        except redis.RedisError:
            log.warning("llm concurrency: redis unavailable on release; the lease will expire", exc_info=True)

    def __enter__(self) -> UserSlot:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def user_slot_acquire(*, user, limit: int | None = None, lease: float | None = None) -> UserSlot | None:
    """Take one of the user's LLM_USER_CONCURRENCY slots, or None when all are in use."""
    limit = int(settings.LLM_USER_CONCURRENCY if limit is None else limit)
    lease = lease_seconds() if lease is None else float(lease)
    key = concurrency_key(user=user)
    token = uuid.uuid4().hex
    if limit <= 0:  # 0 = unlimited
        return UserSlot(key=key, token=token, lease=lease, held=False)
    now_ms = int(time.time() * 1000)
    try:
        acquired = redis_client().eval(_ACQUIRE, 1, key, now_ms, int(lease * 1000), limit, token)
    except redis.RedisError:
        log.warning("llm concurrency: redis unavailable, letting the turn run", exc_info=True)
        return UserSlot(key=key, token=token, lease=lease, held=False)
    if not acquired:
        return None
    return UserSlot(key=key, token=token, lease=lease, held=True)
