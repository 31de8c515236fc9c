"""/api/api-keys: the owner lists, creates (plaintext once) and revokes their own keys."""

import pytest
from django.urls import reverse
from model_bakery import baker

from agents.models import ApiKey
from agents.services import api_key_create, hash_secret, webhook_subscription_create
from agnt.tests.api import bearer_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def me():
    return baker.make("agnt.User")


def test_a_created_key_is_shown_once_and_stored_only_as_a_hash(me):
    api = bearer_client(me)

    created = api.post(reverse("api-api-keys"), {"name": "my claude code"}, format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    key = ApiKey.objects.get(pk=body["id"])
    assert body["key"].startswith(body["prefix"]) and key.key_hash == hash_secret(body["key"])
    assert key.owner == me and key.tier == "free"
    listed = api.get(reverse("api-api-keys")).json()
    assert [row["prefix"] for row in listed] == [body["prefix"]]
    assert "key" not in listed[0] and body["key"] not in str(listed)


def test_a_user_revokes_their_key_and_its_webhooks_stop(me):
    api_key, _ = api_key_create(owner=me, name="old")
    subscription, _ = webhook_subscription_create(api_key=api_key, url="https://hooks.partner.example/x")

    response = bearer_client(me).post(reverse("api-api-key-revoke", kwargs={"pk": api_key.pk}))

    assert response.status_code == 200 and response.json()["is_active"] is False
    api_key.refresh_from_db(), subscription.refresh_from_db()
    assert api_key.revoked_at is not None and not subscription.is_active


def test_another_users_keys_are_invisible_and_cannot_be_revoked(me):
    theirs, _ = api_key_create(owner=baker.make("agnt.User"), name="theirs")
    api = bearer_client(me)

    assert api.get(reverse("api-api-keys")).json() == []
    assert api.post(reverse("api-api-key-revoke", kwargs={"pk": theirs.pk})).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "k", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "k", "expires_at": "tomorrow"}, "expires_at"),
    ],
)
def test_invalid_keys_are_refused_naming_the_field(me, payload, field):
    response = bearer_client(me).post(reverse("api-api-keys"), payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not ApiKey.objects.filter(owner=me).exists()


def test_the_number_of_active_keys_is_capped(me):
    from agents.api.drf import MAX_ACTIVE_KEYS

    for n in range(MAX_ACTIVE_KEYS):
        api_key_create(owner=me, name=f"k{n}")
    response = bearer_client(me).post(reverse("api-api-keys"), {"name": "one more"}, format="json")
    assert response.status_code == 400 and "revoke one first" in response.json()["non_field_errors"][0]
