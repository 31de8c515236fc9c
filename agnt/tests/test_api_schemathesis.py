"""Property-based run over /api/schema: the first-party API does what its OpenAPI says.

Like agents/tests/test_api_ninja_schemathesis.py for /a2a/v1: schemathesis loads the
schema from the Django WSGI app and calls every operation in-process, with valid and
invalid data. Three checks: no 5xx, every status code answered is declared for its
operation, and every answer matches its declared schema (nullable fields included). The
user has a real bearer token; examples are capped per operation so the run stays well
under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from agnt import services
from billing.tests.fake_stripe import fake_stripe  # noqa: F401 - fixture: checkout and the portal reach a Stripe
from venues.tests.factories import make_venue

schema = schemathesis.openapi.from_wsgi("/api/schema", get_wsgi_application())


@pytest.fixture
def _keep_the_test_connection():
    # The WSGI handler closes "old" connections at the start and end of each request, which
    # would close the test's transaction; Django's own test client disconnects it the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def _web_push_configured(settings):
    # with push configured the key endpoint answers 200; its 503 (not configured) is a server
    # error to schemathesis, and is covered by agnt/tests/test_push.py
    from agnt.webpush import generate_vapid_keys

    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = generate_vapid_keys()


@pytest.fixture
def access_token(_keep_the_test_connection, _web_push_configured, django_user_model, fake_stripe):
    user = django_user_model.objects.create_user(username="fuzzer", password="fuzz-pass-1")
    make_venue()
    return services.session_login(user=user).access


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_answer_is_declared_and_matches_its_schema(case, access_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {access_token}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
