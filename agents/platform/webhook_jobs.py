"""Outbound webhook jobs: one task per attempt, the retry sweep, the auto-disable sweep,
and the booking-event publisher fed by bookings.signals.booking_status_changed.

Thin tasks taking ids; the work is in agents.services (webhook_*). agents/tasks.py imports
this module so the worker registers the tasks.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from agnt.scheduling import periodic_job


@shared_task(name="agents.webhook_deliver", queue="agents", acks_late=True)
def webhook_deliver(delivery_pk: str) -> str:
    """Send one webhook attempt (signed POST) and record the outcome; a failure schedules the next."""
    from agents.models import WebhookDelivery
    from agents.services import webhook_delivery_attempt

    delivery = WebhookDelivery.objects.filter(pk=delivery_pk).first()
    if delivery is None:
        return "missing"
    return webhook_delivery_attempt(delivery=delivery).status


@periodic_job(name="webhook_delivery_retry", schedule=timedelta(seconds=15), queue="agents", expires=14)
@shared_task(name="agents.webhook_delivery_retry")
def webhook_delivery_retry() -> int:
    """Send the webhook attempts whose retry time has come (oldest first, bounded)."""
    from agents.services import webhook_deliveries_send_due

    return len(webhook_deliveries_send_due())


@periodic_job(name="webhook_subscription_autodisable", schedule=timedelta(minutes=10), queue="agents")
@shared_task(name="agents.webhook_subscription_autodisable")
def webhook_subscription_autodisable() -> int:
    """Disable webhook subscriptions that only failed for too long, and e-mail their owners."""
    from agents.services import webhook_subscriptions_autodisable_failing

    return len(webhook_subscriptions_autodisable_failing())


@shared_task(name="agents.webhook_booking_status", queue="agents", acks_late=True)
def webhook_booking_status(booking_pk: str, from_status: str, to_status: str) -> int:
    """Publish one booking status change to the webhooks of the API key that booked it."""
    from agents.services import webhook_booking_status_publish

    return len(webhook_booking_status_publish(booking_id=booking_pk, from_status=from_status, to_status=to_status))


def on_booking_status_changed(sender, *, booking_id, from_status: str, to_status: str, **kwargs) -> None:
    """bookings.signals.booking_status_changed receiver (already after commit): enqueue only."""
    from agents.services import BOOKING_STATUS_EVENTS

    if to_status in BOOKING_STATUS_EVENTS:
        webhook_booking_status.delay(str(booking_id), from_status, to_status)


@shared_task(name="agents.a2a_task_booking_sync", queue="agents", acks_late=True)
def a2a_task_booking_sync(booking_pk: str) -> int:
    """Bring the A2A tasks that follow one booking in line with it (stream nudge + push)."""
    from agents.platform.a2a_tasks import a2a_task_booking_sync as sync

    return len(sync(booking_id=booking_pk))


def on_booking_status_changed_a2a(sender, *, booking_id, from_status: str, to_status: str, **kwargs) -> None:
    """bookings.signals.booking_status_changed receiver (after commit): enqueue only, and only
    for bookings an A2A task follows."""
    from agents.models import A2ATask

    if A2ATask.objects.filter(booking_id=booking_id).exists():
        a2a_task_booking_sync.delay(str(booking_id))
