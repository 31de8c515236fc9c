"""Every user of Redis (locks and rate limits, cache, Celery broker, Channels) has its own
logical database and prefix, on the embedded Unix-socket Redis and on an external one, and
two settings (`make run` and the tests, or two deployments) never share a queue."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.conf import settings
from kombu import Connection

from agnt.settings import REDIS_ROLE_OFFSETS, celery_broker_url, redis_db_url


def _layout(redis_url: str, base: int) -> dict[str, str]:
    return {role: redis_db_url(redis_url, base + offset) for role, offset in REDIS_ROLE_OFFSETS.items()}


def _db(url: str) -> int:
    client = redis.Redis.from_url(url) if not url.startswith("redis+socket://") else None
    if client is not None:
        return client.connection_pool.connection_kwargs.get("db", 0)
    return int(url.rpartition("virtual_host=")[2])


@pytest.mark.parametrize("redis_url", ["unix:///tmp/agnt-redis.sock", "redis://cache.internal:6379/0"])
def test_each_role_gets_its_own_database_and_two_settings_never_overlap(redis_url):
    dev, tests = _layout(redis_url, 0), _layout(redis_url, 4)
    dev_dbs = {_db(url) for url in dev.values()}
    test_dbs = {_db(url) for url in tests.values()}
    assert len(dev_dbs) == 4 and len(test_dbs) == 4
    assert dev_dbs.isdisjoint(test_dbs)
    # the broker URL kombu reads keeps the database number
    assert _db(celery_broker_url(dev["broker"])) == _db(dev["broker"]) == 2


def test_the_running_settings_give_each_role_a_distinct_database_and_prefix():
    urls = [settings.REDIS_APP_URL, settings.REDIS_CACHE_URL, settings.REDIS_BROKER_URL, settings.REDIS_CHANNELS_URL]
    assert len({_db(url) for url in urls}) == 4
    assert _db(settings.CELERY_BROKER_URL) == _db(settings.REDIS_BROKER_URL)
    prefixes = {
        settings.CACHES["default"]["KEY_PREFIX"],
        settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"],
    }
    assert len(prefixes) == 3


def test_a_task_published_on_one_broker_database_is_not_seen_by_another():
    """The bug this replaces: kombu dropped ``?db=N`` on Unix-socket URLs, so every
    "other" database was database 0 and a second process took the first one's tasks."""
    queue = f"isolation-{uuid.uuid4().hex[:8]}"
    ours = settings.CELERY_BROKER_URL
    base = settings.REDIS_DB
    theirs = celery_broker_url(redis_db_url(settings.REDIS_URL, (base + 6) % 16))
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    try:
        with Connection(ours, transport_options=options) as conn:
            conn.SimpleQueue(queue).put({"task": "x"})
        with Connection(theirs, transport_options=options) as conn:
            other = conn.SimpleQueue(queue)
            with pytest.raises(other.Empty):
                other.get(timeout=0.2)
        # it sits in the broker's database, under the broker's prefix, and nowhere else
        assert redis.Redis.from_url(settings.REDIS_BROKER_URL).llen(f"agnt:celery:{queue}") == 1
        for url in (settings.REDIS_APP_URL, settings.REDIS_CACHE_URL, settings.REDIS_CHANNELS_URL):
            assert not redis.Redis.from_url(url).keys(f"*{queue}*")
        with Connection(ours, transport_options=options) as conn:
            assert conn.SimpleQueue(queue).get(timeout=1).payload == {"task": "x"}
    finally:
        redis.Redis.from_url(settings.REDIS_BROKER_URL).delete(f"agnt:celery:{queue}")


def test_the_cache_and_the_locks_do_not_share_keys(settings):
    from django.core.cache import cache

    cache.set("isolation-probe", "cached", 30)
    app = redis.Redis.from_url(settings.REDIS_APP_URL)
    assert not app.keys("*isolation-probe*")
    assert redis.Redis.from_url(settings.REDIS_CACHE_URL).keys("agnt:cache:*isolation-probe*")
