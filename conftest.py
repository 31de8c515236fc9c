"""Test-wide setup: a real PostgreSQL (embedded unless DATABASE_URL is set) and a real Redis.

Test mode is switched on in agnt/settings_test.py (pytest-django configures Django
before this file is read): tasks run eagerly, fast password hashing, the tests' own
embedded servers under .data/test/, and a Redis logical database flushed per test.

AGNT_TEST_CLOCK (an ISO 8601 timestamp with its UTC offset, e.g.
"2026-12-05T22:30:00+08:00") starts every test at that instant, with the clock ticking
on from there; unset, the tests see the real clock. scripts/test.sh uses it to prove the
time-dependent tests pass at any hour.
"""

import os
from datetime import datetime

import pytest

_TEST_CLOCK = os.environ.get("AGNT_TEST_CLOCK", "").strip()


def _test_clock_start():
    if not _TEST_CLOCK:
        return None
    try:
        start = datetime.fromisoformat(_TEST_CLOCK)
    except ValueError:
        raise pytest.UsageError(f"AGNT_TEST_CLOCK={_TEST_CLOCK!r} is not an ISO 8601 timestamp") from None
    if start.tzinfo is None:
        raise pytest.UsageError(f"AGNT_TEST_CLOCK={_TEST_CLOCK!r} needs a UTC offset, e.g. +08:00")
    return start


_TEST_CLOCK_START = _test_clock_start()


def pytest_report_header(config):
    return f"test clock: {_TEST_CLOCK_START.isoformat() if _TEST_CLOCK_START else 'real'}"


@pytest.fixture(autouse=True)
def _test_clock():
    # Every test starts at the same frozen instant and time then runs on (tick=True), so
    # timeouts and elapsed-time checks still progress. A test that travels itself nests
    # inside this one.
    if _TEST_CLOCK_START is None:
        yield
        return
    import time_machine
    from django.db.models.expressions import DatabaseDefault
    from django.db.models.functions import Now
    from django.utils import timezone

    # PostgreSQL keeps the real time; columns whose default is Now() (created_at,
    # updated_at ...) and queries filtering on Now() take the test's clock instead, as
    # the database and the application agree on the time in production.
    def now_as_postgresql(self, compiler, connection, **extra_context):
        return "%s::timestamptz", [timezone.now()]

    def default_as_sql(self, compiler, connection):
        return compiler.compile(self.expression)

    with pytest.MonkeyPatch.context() as patch, time_machine.travel(_TEST_CLOCK_START, tick=True):
        patch.setattr(Now, "as_postgresql", now_as_postgresql)
        patch.setattr(DatabaseDefault, "as_sql", default_as_sql)
        yield


@pytest.fixture(autouse=True)
def _fresh_content_type_cache():
    # A transactional test's flush recreates content types with new ids; the per-process
    # cache would otherwise hand later tests ids that no longer exist.
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    yield


@pytest.fixture(autouse=True)
def _clean_redis(settings):
    import redis

    # the application state, the cache and the channel layer each have a database
    clients = [
        redis.Redis.from_url(url)
        for url in (settings.REDIS_APP_URL, settings.REDIS_CACHE_URL, settings.REDIS_CHANNELS_URL)
    ]
    for client in clients:
        client.flushdb()
    yield
    for client in clients:
        client.flushdb()


@pytest.fixture
def staff_user(db, django_user_model):
    return django_user_model.objects.create_superuser(username="ops", email="ops@agnt.example", password="pw-ops-123!")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture(autouse=True)
def _fresh_retrieval_memo():
    # knowledge.retrieval memoises venue lookups per process for a minute; each test has
    # its own venues
    from knowledge import retrieval

    retrieval._memo.clear()
    yield
