"""Money jobs that collect through Stripe what the books recorded (billing/tasks.py imports them).

Thin: each calls one batch service in billing.services.collection. All take the Postgres
advisory lock besides the scheduler's Redis lock (``advisory_lock=True``), so two workers
never collect at once even if Redis is flushed. The whole run is then one transaction with
a savepoint per row: a crash rolls back our records, and the rerun's Stripe calls replay
the same idempotency keys, so nothing is charged twice.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from agnt.scheduling import crontab, periodic_job

__all__ = ["charge_unbilled_usage", "collect_booking_fees", "invoice_unsubscribed_venue_fees"]


@periodic_job(name="collect_booking_fees", schedule=timedelta(hours=1), queue="billing", advisory_lock=True)
@shared_task(name="billing.collect_booking_fees")
def collect_booking_fees() -> dict:
    """Turn recorded booking fees into invoice items on the venues' Stripe customers (reversals into credits)."""
    from billing.services.collection import fees_collect_pending

    return fees_collect_pending().as_dict()


@periodic_job(
    name="invoice_unsubscribed_venue_fees", schedule=crontab(minute=30, hour=17), queue="billing", advisory_lock=True
)
@shared_task(name="billing.invoice_unsubscribed_venue_fees")
def invoice_unsubscribed_venue_fees() -> dict:
    """Invoice pending fee items of venues without a live subscription (daily, 01:30 Bali time)."""
    from billing.services.collection import venues_invoice_pending_fees

    return venues_invoice_pending_fees().as_dict()


@periodic_job(name="charge_unbilled_usage", schedule=crontab(minute=0, hour=18), queue="billing", advisory_lock=True)
@shared_task(name="billing.charge_unbilled_usage")
def charge_unbilled_usage() -> dict:
    """Send unbilled API usage to Stripe as Billing Meter events (nightly, 02:00 Bali time)."""
    from billing.services.collection import usage_bill_unbilled

    return usage_bill_unbilled().as_dict()
