"""Periodic jobs of venues. Thin: each calls one service."""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab

from agnt.scheduling import periodic_job
from venues import services


@periodic_job(name="onboarding_expire_idle", schedule=crontab(minute=40, hour=4), queue="maintenance")
@shared_task(name="venues.onboarding_expire_idle")
def onboarding_expire_idle() -> int:
    """Abandon onboarding sessions nobody touched for ONBOARDING_IDLE_LIMIT (staff see them in the funnel)."""
    return services.onboarding_expire_idle()
