"""Test-wide setup: a real PostgreSQL (embedded unless DATABASE_URL is set) and a real Redis.

AGNT_TESTING switches settings to test mode *before* Django is configured: tasks run
eagerly, fast password hashing, and a separate Redis logical database that is flushed
per test so no state leaks between tests (or into a running `make run`).
"""

import os

os.environ.setdefault("AGNT_TESTING", "true")
# Tests get their own embedded servers, so `make test` never disturbs a running `make run`.
os.environ.setdefault("AGNT_DATA_DIR", os.path.join(os.path.dirname(__file__), ".data", "test"))

import pytest  # noqa: E402


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

    client = redis.Redis.from_url(settings.REDIS_APP_URL)
    client.flushdb()
    yield
    client.flushdb()


@pytest.fixture
def staff_user(db, django_user_model):
    return django_user_model.objects.create_superuser(username="ops", email="ops@agnt.example", password="pw-ops-123!")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
