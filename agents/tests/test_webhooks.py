import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from model_bakery import baker

from agents.models import WebhookDelivery, WebhookSubscription
from agents.services import (
    WEBHOOK_MAX_ATTEMPTS,
    api_key_create,
    webhook_delivery_enqueue,
    webhook_delivery_record_success,
    webhook_delivery_schedule_retry,
    webhook_subscription_create,
    webhook_subscription_disable,
    webhook_subscription_enable,
    webhook_subscription_secret,
)


@pytest.fixture
def subscription(db):
    api_key, _ = api_key_create(owner=baker.make("agnt.User"), name="dev")
    subscription, _ = webhook_subscription_create(
        api_key=api_key, url="https://dev.example/hook", events=["booking.confirmed"]
    )
    return subscription


@pytest.mark.django_db
def test_the_signing_secret_is_stored_encrypted_and_readable_by_the_worker():
    api_key, _ = api_key_create(owner=baker.make("agnt.User"), name="dev")
    subscription, secret = webhook_subscription_create(api_key=api_key, url="https://dev.example/hook")

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_ciphertext FROM agents_webhooksubscription WHERE id = %s", [subscription.pk])
        (stored,) = cursor.fetchone()
    assert secret.startswith("whsec_") and secret not in stored
    assert webhook_subscription_secret(subscription=WebhookSubscription.objects.get(pk=subscription.pk)) == secret


@pytest.mark.django_db
def test_it_refuses_unknown_event_types_in_the_service_and_in_the_database(subscription):
    with pytest.raises(ValueError, match="booking.teleported"):
        webhook_subscription_create(
            api_key=subscription.api_key, url="https://x.example", events=["booking.teleported"]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription.pk).update(events=["booking.teleported"])


@pytest.mark.django_db
def test_a_subscription_only_wants_the_events_it_chose(subscription):
    assert subscription.wants("booking.confirmed")
    assert not subscription.wants("booking.cancelled")
    subscription.events = []
    assert subscription.wants("booking.cancelled")


@pytest.mark.django_db
def test_a_failed_attempt_schedules_the_next_one_with_the_same_event_id(subscription):
    first = webhook_delivery_enqueue(subscription=subscription, event_type="booking.confirmed", payload={"id": 1})

    retry = webhook_delivery_schedule_retry(
        delivery=first, response_status=500, response_body="x" * 5000, duration_ms=120
    )

    first.refresh_from_db()
    assert first.status == "failed" and first.response_status == 500 and len(first.response_body) == 2000
    assert retry.attempt == 2 and retry.event_id == first.event_id and retry.status == "pending"
    assert retry.next_attempt_at > timezone.now()
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 1


@pytest.mark.django_db
def test_the_last_attempt_dies_instead_of_retrying(subscription):
    delivery = webhook_delivery_enqueue(subscription=subscription, event_type="booking.confirmed", payload={})
    for _ in range(WEBHOOK_MAX_ATTEMPTS - 1):
        delivery = webhook_delivery_schedule_retry(delivery=delivery, error="timeout")
    assert delivery.attempt == WEBHOOK_MAX_ATTEMPTS

    assert webhook_delivery_schedule_retry(delivery=delivery, error="timeout") is None
    delivery.refresh_from_db()
    assert delivery.status == "dead"
    assert WebhookDelivery.objects.filter(event_id=delivery.event_id).count() == WEBHOOK_MAX_ATTEMPTS


@pytest.mark.django_db
def test_a_success_resets_the_failure_streak(subscription):
    delivery = webhook_delivery_enqueue(subscription=subscription, event_type="booking.confirmed", payload={})
    retry = webhook_delivery_schedule_retry(delivery=delivery, error="timeout")
    webhook_delivery_record_success(delivery=retry, response_status=204, duration_ms=40)

    retry.refresh_from_db()
    subscription.refresh_from_db()
    assert retry.status == "succeeded" and retry.delivered_at is not None
    assert subscription.consecutive_failures == 0 and subscription.last_success_at is not None


@pytest.mark.django_db
def test_a_finished_attempt_cannot_be_reopened_in_the_database(subscription):
    delivery = webhook_delivery_enqueue(subscription=subscription, event_type="booking.confirmed", payload={})
    webhook_delivery_record_success(delivery=delivery, response_status=200)
    with pytest.raises(IntegrityError, match="cannot move from succeeded to pending"), transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status="pending")
    with pytest.raises(ValueError, match="already succeeded"):
        webhook_delivery_schedule_retry(delivery=delivery, error="late")


@pytest.mark.django_db
def test_disabling_kills_pending_attempts_and_enabling_clears_the_reason(subscription):
    pending = webhook_delivery_enqueue(subscription=subscription, event_type="booking.confirmed", payload={})

    webhook_subscription_disable(subscription=subscription, reason="410 Gone")

    pending.refresh_from_db()
    assert pending.status == "dead"
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_at and subscription.disabled_reason == "410 Gone"

    webhook_subscription_enable(subscription=subscription)
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.disabled_at is None and subscription.disabled_reason == ""


@pytest.mark.django_db
def test_the_database_refuses_an_active_subscription_marked_disabled(subscription):
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription.pk).update(disabled_at=timezone.now())
