"""Stripe jobs: process one stored event (on commit), reconcile events, sync subscriptions."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from agnt.scheduling import periodic_job
from billing.models import StripeEvent
from billing.services import stripe_events


@shared_task(name="billing.stripe_event_process", queue="billing", ignore_result=True)
def stripe_event_process_task(event_pk: str) -> str:
    """Process one stored Stripe event (a failure stays on the row; reconcile retries it)."""
    event = StripeEvent.objects.filter(pk=event_pk).first()
    if event is None:
        return "gone"
    event = stripe_events.stripe_event_process(event=event)
    return "processed" if event.processed_at else "pending"


@periodic_job(name="stripe_event_reconcile", schedule=timedelta(minutes=15), queue="billing", advisory_lock=True)
@shared_task(name="billing.stripe_event_reconcile", ignore_result=True)
def stripe_event_reconcile() -> dict:
    """List recent Stripe events, store and process any we never received, retry pending ones."""
    return stripe_events.stripe_event_reconcile(lookback=timedelta(hours=settings.STRIPE_RECONCILE_LOOKBACK_HOURS))


@periodic_job(name="subscription_status_sync", schedule=timedelta(hours=1), queue="billing", advisory_lock=True)
@shared_task(name="billing.subscription_status_sync", ignore_result=True)
def subscription_status_sync() -> dict:
    """Pull from Stripe the subscriptions no event has touched for a while."""
    return stripe_events.subscription_status_sync(
        stale_after=timedelta(hours=settings.STRIPE_SUBSCRIPTION_SYNC_AFTER_HOURS)
    )


__all__ = ["stripe_event_process_task", "stripe_event_reconcile", "subscription_status_sync"]
