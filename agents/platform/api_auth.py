"""API-key authentication and per-key rate limits for the open network's transports.

The django-ninja API, the MCP server and the A2A JSON-RPC endpoint all authenticate the
same way (``Authorization: Bearer agnt_live_…``; ``X-API-Key`` is accepted too because
A2A cards advertise it) and share one limiter in Redis, so a key's budget holds across
every worker process and every transport.

Revocation is effective at once: every request looks the key up by its hash (one indexed
query) instead of trusting a cache. An OAuth access token (agents.api.oauth) is accepted
the same way and acts as its user's API key: the user's tier, the key's rate-limit budget.

The limiter is a sliding window over two fixed one-minute windows (the approach Cloudflare
and Kong use): the previous window's count is weighted by how much of it still overlaps
the last 60 seconds. One Lua round trip, atomic, no per-request lists.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings

from agents.models import ApiKey
from agents.platform.external import api_key_touch, tier_rate_limit
from agents.selectors import api_key_for_oauth_token, api_key_get_active

WINDOW_SECONDS = 60

# KEYS[1] current window counter, KEYS[2] previous window counter
# ARGV[1] limit, ARGV[2] elapsed fraction of the current window (0..1), ARGV[3] ttl seconds
_SLIDING_WINDOW = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local weighted = previous * (1 - tonumber(ARGV[2])) + current
if weighted + 1 > tonumber(ARGV[1]) then
  return {0, math.floor(weighted)}
end
current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return {1, math.floor(previous * (1 - tonumber(ARGV[2])) + current)}
"""


@lru_cache(maxsize=4)
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _client() -> redis.Redis:
    return _client_for(settings.REDIS_APP_URL)


@lru_cache(maxsize=4)
def _script_for(url: str):
    return _client_for(url).register_script(_SLIDING_WINDOW)


@dataclass(frozen=True)
class RateLimit:
    """The outcome of one request against a key's budget, and the headers that report it."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the current window ends
    retry_after: int  # seconds; 0 when allowed

    def headers(self) -> dict[str, str]:
        """IETF draft RateLimit headers (and Retry-After on a refusal)."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
            "RateLimit-Policy": f"{self.limit};w={WINDOW_SECONDS}",
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def rate_limit_hit(*, api_key: ApiKey, now: float | None = None) -> RateLimit:
    """Count one request for ``api_key``; ``allowed`` is False when its budget is spent.

    If Redis is unreachable the request is allowed (failing open): an outage of the
    limiter must not take the API down with it; the error is logged by the caller's
    metrics through the exception-free path here.
    """
    limit = tier_rate_limit(api_key)
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    elapsed = (now % WINDOW_SECONDS) / WINDOW_SECONDS
    reset = max(1, math.ceil(WINDOW_SECONDS - now % WINDOW_SECONDS))
    keys = [f"ratelimit:apikey:{api_key.pk}:{window}", f"ratelimit:apikey:{api_key.pk}:{window - 1}"]
    try:
        allowed, used = _script_for(settings.REDIS_APP_URL)(keys=keys, args=[limit, elapsed, WINDOW_SECONDS * 2 + 5])
    except redis.RedisError:
        return RateLimit(True, limit, limit, reset, 0)
    allowed, used = bool(allowed), int(used)
    if allowed:
        return RateLimit(True, limit, max(0, limit - used), reset, 0)
    # the weighted count drops below the limit once enough of the previous window slides out
    return RateLimit(False, limit, 0, reset, reset)


def mcp_resource() -> str:
    """The MCP endpoint's resource identifier (RFC 8707/9728): what OAuth tokens are for."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/mcp"


def bearer_token(*, authorization: str | None, x_api_key: str | None = None) -> str:
    """The key from ``Authorization: Bearer …`` (or ``X-API-Key``); empty when absent."""
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return (x_api_key or "").strip()


class AuthFailure(Exception):
    """Why a request carries no usable key: ``missing`` or ``invalid`` (unknown, revoked, expired)."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


def api_key_authenticate(*, authorization: str | None, x_api_key: str | None = None) -> ApiKey:
    """The active key the request presents (AuthFailure otherwise); keeps last_used_at current."""
    token = bearer_token(authorization=authorization, x_api_key=x_api_key)
    if not token:
        raise AuthFailure("missing_api_key", "send your API key as 'Authorization: Bearer agnt_live_…'")
    if len(token) > 200:
        raise AuthFailure("invalid_api_key", "this API key is not valid")
    api_key = api_key_get_active(plaintext=token)
    if api_key is None:
        # an OAuth access token (MCP clients that connect through OAuth) acts as its user's key
        api_key = api_key_for_oauth_token(plaintext=token, resource=mcp_resource())
    if api_key is None:
        raise AuthFailure("invalid_api_key", "this API key or access token is unknown, revoked or expired")
    api_key_touch(api_key=api_key)
    return api_key
