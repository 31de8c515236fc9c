"""Billing jobs (ARCHITECTURE.md) and the booking-fee task. Thin: each calls one service.

Every money job takes a Postgres advisory lock besides the scheduler's Redis lock
(``advisory_lock=True``), and every service it calls is idempotent, so a re-run or an
overlapping run changes nothing more. Schedules are in UTC; Bali is UTC+8.
"""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab
from django.db import OperationalError

from agnt.scheduling import periodic_job
from billing.services import credit_jobs, fees, integrity
from billing.services.credits import referral_expire_due


@shared_task(
    name="billing.booking_fee_sync",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
)
def booking_fee_sync(booking_id: str) -> str | None:
    """Record (completed) or reverse (cancelled, no-show) a booking's referral fee, from its status now."""
    entry = fees.booking_fee_sync(booking_id=booking_id)
    return str(entry.pk) if entry else None


@periodic_job(
    name="monthly_credit_grants",
    schedule=crontab(minute=20, hour=0, day_of_month=1),
    queue="billing",
    advisory_lock=True,
)
@shared_task(name="billing.monthly_credit_grants")
def monthly_credit_grants() -> int:
    """Give every user their plan's monthly credits, once per month (CREDITS_MONTHLY_GRANTS)."""
    return credit_jobs.credit_monthly_grants_run()


@periodic_job(name="credits_expiry", schedule=crontab(minute=50), queue="billing", advisory_lock=True)
@shared_task(name="billing.credits_expiry")
def credits_expiry() -> int:
    """Remove what is left of lapsed promotional credits (FIFO: spends use the soonest-lapsing first)."""
    return credit_jobs.credit_expire_due()


@periodic_job(name="referral_expiry", schedule=crontab(minute=45), queue="billing", advisory_lock=True)
@shared_task(name="billing.referral_expiry")
def referral_expiry() -> int:
    """Expire pending referrals whose qualifying window has passed."""
    return referral_expire_due()


@periodic_job(
    name="monthly_invoicing",
    schedule=crontab(minute=0, hour=1, day_of_month=1),
    queue="billing",
    advisory_lock=True,
)
@shared_task(name="billing.monthly_invoicing")
def monthly_invoicing() -> dict:
    """Issue each venue's invoice for last month's booking fees (one per venue and month)."""
    summary = fees.invoice_monthly_run()
    return {"issued": summary.issued, "already": len(summary.already), "skipped": summary.skipped}


@periodic_job(name="ledger_integrity_check", schedule=crontab(minute=30, hour=19), queue="billing", advisory_lock=True)
@shared_task(name="billing.ledger_integrity_check")
def ledger_integrity_check() -> int:
    """Prove every balance equals its ledger (credits, postings, receivables, invoiced fees); report drift."""
    return integrity.ledger_integrity_check().findings_count


# Stripe jobs (stripe_event_reconcile, subscription_status_sync) live in their own module;
# importing it here registers them with the worker (autodiscovery reads ``tasks`` modules only).
# Fee collection and metered usage through Stripe (collect_booking_fees, charge_unbilled_usage…)
from billing.collection_jobs import *  # noqa: E402,F401,F403
from billing.stripe_jobs import *  # noqa: E402,F401,F403


@periodic_job(name="price_watch_check", schedule=crontab(minute=10), queue="billing")
@shared_task(name="billing.price_watch_check")
def price_watch_check() -> dict[str, int]:
    """Check live price watches at their marketplace, record the price, trigger and expire watches."""
    from billing.services.marketplace import price_watch_check as check

    return check()


@periodic_job(name="api_key_usage_rollup", schedule=crontab(minute=25), queue="billing")
@shared_task(name="billing.api_key_usage_rollup")
def api_key_usage_rollup() -> int:
    """Roll API usage events of today and yesterday into daily totals per key and intent."""
    from billing.services.commerce import api_key_usage_rollup as rollup

    return rollup()
