"""Fixed-window rate limits in Redis, for actions people repeat (claim attempts, code entries).

Shared by every web process: the counter lives in the app Redis, not in memory.
"""

from __future__ import annotations

from agnt.llm.limits import redis_client


def rate_limit_allow(*, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt under ``key``; False once more than ``limit`` were made in the window."""
    client = redis_client()
    name = f"agnt:rl:{key}"
    pipe = client.pipeline()
    pipe.set(name, 0, ex=window_seconds, nx=True)  # the window starts with the first attempt
    pipe.incr(name)
    _, count = pipe.execute()
    return int(count) <= limit


def rate_limit_retry_after(*, key: str) -> int:
    """Seconds until the window of ``key`` ends (at least 1): the Retry-After of a refusal."""
    ttl = redis_client().ttl(f"agnt:rl:{key}")
    return max(int(ttl), 1) if ttl and ttl > 0 else 1
