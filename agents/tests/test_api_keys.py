import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone
from model_bakery import baker

from agents.models import ApiKey
from agents.selectors import api_key_get_active
from agents.services import api_key_create, api_key_revoke, webhook_subscription_create


@pytest.mark.django_db
def test_it_creates_a_key_storing_only_its_hash_and_a_visible_prefix():
    owner = baker.make("agnt.User")
    api_key, plaintext = api_key_create(owner=owner, name="Claude Code", tier="pro")

    assert plaintext.startswith("agnt_live_") and len(plaintext) > 40
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert stored.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext.startswith(stored.prefix) and len(stored.prefix) < len(plaintext)
    assert plaintext not in {stored.key_hash, stored.prefix, stored.name}
    assert stored.tier == "pro" and stored.is_active


@pytest.mark.django_db
def test_two_keys_never_share_a_secret():
    owner = baker.make("agnt.User")
    _, first = api_key_create(owner=owner, name="a")
    _, second = api_key_create(owner=owner, name="b")
    assert first != second


@pytest.mark.django_db
def test_it_refuses_an_unknown_tier():
    with pytest.raises(ValueError):
        api_key_create(owner=baker.make("agnt.User"), name="x", tier="platinum")


@pytest.mark.django_db
def test_the_plaintext_authenticates_until_the_key_is_revoked():
    api_key, plaintext = api_key_create(owner=baker.make("agnt.User"), name="Codex")
    assert api_key_get_active(plaintext=plaintext) == api_key
    assert api_key_get_active(plaintext=plaintext + "x") is None

    api_key_revoke(api_key=api_key, reason="leaked")

    api_key.refresh_from_db()
    assert api_key.revoked_at is not None and api_key.revoked_reason == "leaked" and not api_key.is_active
    assert api_key_get_active(plaintext=plaintext) is None


@pytest.mark.django_db
def test_revoking_twice_keeps_the_first_revocation():
    api_key, _ = api_key_create(owner=baker.make("agnt.User"), name="x")
    api_key_revoke(api_key=api_key, reason="first")
    first_at = ApiKey.objects.get(pk=api_key.pk).revoked_at
    api_key_revoke(api_key=api_key, reason="second")
    api_key.refresh_from_db()
    assert api_key.revoked_at == first_at and api_key.revoked_reason == "first"


@pytest.mark.django_db
def test_an_expired_key_does_not_authenticate():
    api_key, plaintext = api_key_create(
        owner=baker.make("agnt.User"), name="x", expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert api_key_get_active(plaintext=plaintext) is None


@pytest.mark.django_db
def test_revoking_a_key_disables_its_webhooks():
    api_key, _ = api_key_create(owner=baker.make("agnt.User"), name="x")
    subscription, _ = webhook_subscription_create(api_key=api_key, url="https://dev.example/hook")

    api_key_revoke(api_key=api_key)

    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_reason == "API key revoked"
