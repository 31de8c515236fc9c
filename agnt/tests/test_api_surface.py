"""The first-party API as a whole: every route needs a bearer token, and the OpenAPI
schema that documents it generates without a warning or an error."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

PRIVATE_ROUTES = [
    ("get", "api-me", {}),
    ("patch", "api-me", {}),
    ("get", "api-channels", {}),
    ("delete", "api-channel", {"pk": uuid.uuid4()}),
    ("get", "api-memories", {}),
    ("post", "api-memories", {}),
    ("delete", "api-memory", {"pk": uuid.uuid4()}),
    ("get", "api-lists", {}),
    ("post", "api-lists", {}),
    ("get", "api-list", {"pk": uuid.uuid4()}),
    ("patch", "api-list", {"pk": uuid.uuid4()}),
    ("delete", "api-list", {"pk": uuid.uuid4()}),
    ("post", "api-list-venues", {"pk": uuid.uuid4()}),
    ("delete", "api-list-venue", {"pk": uuid.uuid4(), "venue_slug": "la-brisa"}),
    ("get", "api-bookings", {}),
    ("get", "api-booking", {"ref": "AG-XXXX"}),
    ("post", "api-booking-cancel", {"ref": "AG-XXXX"}),
    ("get", "api-credits", {}),
    ("get", "api-credit-transactions", {}),
    ("get", "api-api-keys", {}),
    ("post", "api-api-keys", {}),
    ("post", "api-api-key-revoke", {"pk": uuid.uuid4()}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "name", "kwargs"), PRIVATE_ROUTES, ids=[f"{m} {n}" for m, n, _ in PRIVATE_ROUTES])
def test_every_private_route_needs_a_bearer_token(method, name, kwargs):
    client = APIClient()
    url = reverse(name, kwargs=kwargs)
    assert getattr(client, method)(url, {}, format="json").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert getattr(client, method)(url, {}, format="json").status_code == 401


@pytest.mark.django_db
def test_the_openapi_schema_generates_without_warnings_and_documents_every_route(tmp_path):
    target = tmp_path / "schema.yaml"
    # --fail-on-warn turns any drf-spectacular warning or error into a failure; --validate
    # checks the result against the OpenAPI 3 JSON schema
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    schema = target.read_text()
    for path in (
        "/api/me",
        "/api/channels/{id}",
        "/api/memories/{id}",
        "/api/lists/{id}/venues/{venue_slug}",
        "/api/bookings/{ref}/cancel",
        "/api/credits/transactions",
        "/api/api-keys/{id}/revoke",
    ):
        assert f"  {path}:" in schema, path
