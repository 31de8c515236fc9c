"""Hosted-agent jobs: async runs on their own queue (``hosted``), the stuck-run sweeper and
the monthly allowance reset. Thin: each calls one service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from celery.schedules import crontab

from agnt.scheduling import periodic_job


@shared_task(name="agents.hosted_run_execute", queue="hosted", acks_late=True)
def hosted_run_execute(run_id: str) -> str:
    """Execute one async hosted-agent run (a redelivered message for a started run does nothing)."""
    from agents.hosted.runner import execute

    return execute(run_id=run_id).status


@periodic_job(name="hosted_ticket_sweeper", schedule=timedelta(seconds=20), queue="hosted")
@shared_task(name="agents.hosted_ticket_sweeper")
def hosted_ticket_sweeper() -> dict[str, int]:
    """Fail runs whose worker died (no heartbeat for HOSTED_STUCK_AFTER_SECONDS), re-queue lost pending runs."""
    from agents.hosted.services import runs_sweep_stuck

    return runs_sweep_stuck()


@periodic_job(
    name="allowance_monthly_reset",
    schedule=crontab(minute=5, hour=0, day_of_month=1),
    queue="billing",
    advisory_lock=True,
)
@shared_task(name="agents.allowance_monthly_reset")
def allowance_monthly_reset() -> int:
    """Start the new month's hosted-agent allowances (unused remainder expires, the plan's grant)."""
    from agents.hosted.allowance import allowances_roll_due

    return allowances_roll_due()
