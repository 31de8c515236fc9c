import re

import pytest
from django.urls import reverse
from model_bakery import baker

from agents.models import (
    A2AEnvelope,
    Agent,
    AgentCard,
    ApiKey,
    CardResponse,
    EnvelopeEvent,
    ProjectMemory,
    WebhookDelivery,
    WebhookSubscription,
)
from agents.services import (
    agent_card_publish,
    agent_register_for_venue,
    api_key_create,
    envelope_record,
    envelope_transition,
    hash_secret,
    webhook_delivery_enqueue,
    webhook_subscription_create,
)


@pytest.fixture
def demo(db):
    venue = baker.make("venues.Venue", slug="la-brisa")
    agent = agent_register_for_venue(venue=venue)
    agent_card_publish(agent=agent, card={"name": "La Brisa", "version": "1.0.0"})
    api_key, _ = api_key_create(owner=baker.make("agnt.User"), name="dev key")
    subscription, secret = webhook_subscription_create(api_key=api_key, url="https://dev.example/hook")
    webhook_delivery_enqueue(subscription=subscription, event_type="booking.confirmed", payload={"booking": 1})
    envelope, _ = envelope_record(
        envelope_id="env-admin",
        intent="booking.request",
        direction="outbound",
        from_agent_id="consumer-x",
        to_agent_id=agent.agent_id,
        payload={"party_size": 2},
    )
    baker.make(ProjectMemory, project="agnt", key="deploy", value="railway")
    baker.make(CardResponse, card_kind="poll", channel="web", response_text="yes")
    return {"secret": secret, "envelope": envelope, "subscription": subscription}


MODELS = [
    Agent,
    AgentCard,
    A2AEnvelope,
    EnvelopeEvent,
    ApiKey,
    WebhookSubscription,
    WebhookDelivery,
    ProjectMemory,
    CardResponse,
]


def _url(model, page, *args):
    return reverse(f"admin:agents_{model._meta.model_name}_{page}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_agents_admin_page_renders(staff_client, demo, model):
    assert staff_client.get(_url(model, "changelist")).status_code == 200
    obj = model.objects.order_by("pk").first()
    assert staff_client.get(_url(model, "change", obj.pk)).status_code == 200
    assert staff_client.get(_url(model, "add")).status_code in (200, 403)


def test_creating_a_key_in_the_admin_shows_the_plaintext_once_and_stores_its_hash(staff_client, staff_user):
    response = staff_client.post(
        _url(ApiKey, "add"), {"owner": staff_user.pk, "name": "Gemini CLI", "tier": "pro", "scopes": ""}, follow=True
    )

    assert response.status_code == 200
    api_key = ApiKey.objects.get(name="Gemini CLI")
    shown = re.search(r"agnt_live_[A-Za-z0-9_-]{20,}", response.content.decode())
    assert shown, "the plaintext key must be shown right after creation"
    assert hash_secret(shown.group(0)) == api_key.key_hash and shown.group(0).startswith(api_key.prefix)
    assert api_key.tier == "pro" and api_key.owner == staff_user
    # and never again
    assert shown.group(0) not in staff_client.get(_url(ApiKey, "change", api_key.pk)).content.decode()


def test_the_revoke_action_revokes_through_the_service(staff_client, demo):
    api_key = ApiKey.objects.get(name="dev key")
    staff_client.post(_url(ApiKey, "changelist"), {"action": "revoke_keys", "_selected_action": [api_key.pk]})
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert not WebhookSubscription.objects.get(api_key=api_key).is_active


def test_the_webhook_secret_is_never_rendered_after_creation(staff_client, demo):
    subscription = demo["subscription"]
    for url in (_url(WebhookSubscription, "changelist"), _url(WebhookSubscription, "change", subscription.pk)):
        html = staff_client.get(url).content.decode()
        assert demo["secret"] not in html and subscription.secret_ciphertext not in html


def test_the_disable_and_enable_actions_toggle_a_subscription(staff_client, demo):
    subscription = demo["subscription"]
    changelist = _url(WebhookSubscription, "changelist")
    staff_client.post(changelist, {"action": "disable_subscriptions", "_selected_action": [subscription.pk]})
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_reason.startswith("disabled by")
    staff_client.post(changelist, {"action": "enable_subscriptions", "_selected_action": [subscription.pk]})
    subscription.refresh_from_db()
    assert subscription.is_active


def test_the_requeue_action_retries_only_failed_envelopes(staff_client, demo):
    envelope = demo["envelope"]
    envelope_transition(envelope=envelope, to_status="sent")
    envelope_transition(envelope=envelope, to_status="failed", error="503")
    fresh, _ = envelope_record(
        envelope_id="env-fresh", intent="network.ping", direction="outbound", from_agent_id="a", to_agent_id="b"
    )
    staff_client.post(
        _url(A2AEnvelope, "changelist"), {"action": "requeue_envelopes", "_selected_action": [envelope.pk, fresh.pk]}
    )
    envelope.refresh_from_db()
    fresh.refresh_from_db()
    assert envelope.status == "queued" and fresh.status == "created"
