"""Test-wide setup: a real PostgreSQL (embedded unless DATABASE_URL is set) and a real Redis.

Test mode is switched on in agnt/settings_test.py (pytest-django configures Django
before this file is read): tasks run eagerly, fast password hashing, the tests' own
embedded servers under .data/test/, and a Redis logical database flushed per test.
"""

import pytest


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
