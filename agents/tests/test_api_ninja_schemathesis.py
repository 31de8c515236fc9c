"""Property-based run over /a2a/v1/openapi.json: nothing a client can send gets a 5xx, and
every answer's status code and body are the ones the schema declares.

schemathesis loads the schema from the Django WSGI app itself and calls every operation
in-process (no server), with valid and invalid data (both generation modes). The key is
a real pro key with a budget high enough not to be rate limited, so requests reach the
views; a venue exists so some generated slugs may hit it. Examples are capped per
operation so the whole run stays well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from agents.services import api_key_create
from agents.tests.test_venue_agent import make_test_venue

schema = schemathesis.openapi.from_wsgi("/a2a/v1/openapi.json", get_wsgi_application())


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
def api_token(_keep_the_test_connection, django_user_model):
    owner = django_user_model.objects.create_user(username="fuzzer", password="x")
    api_key, plaintext = api_key_create(owner=owner, name="schemathesis", tier="pro")
    api_key.rate_limit_per_minute = 1_000_000
    api_key.save(update_fields=["rate_limit_per_minute"])
    make_test_venue()
    return plaintext


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_request_gets_a_server_error_and_every_answer_is_declared(case, api_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_token}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
