"""Housekeeping jobs of the core app. Thin: each loads what it needs and calls one service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from celery.schedules import crontab

from agnt import services
from agnt.scheduling import periodic_job


@periodic_job(name="heartbeat", schedule=timedelta(minutes=1), queue="maintenance", expires=50)
@shared_task(name="agnt.heartbeat")
def heartbeat() -> str:
    """Record that beat and a worker are alive (read by /health and the dashboard)."""
    return services.heartbeat_record()


@periodic_job(name="analytics_rollup", schedule=crontab(minute=5), queue="maintenance")
@shared_task(name="agnt.analytics_rollup")
def analytics_rollup() -> int:
    """Roll analytics events of today and yesterday up into daily counts per event name."""
    return services.analytics_rollup()


@periodic_job(name="error_log_prune", schedule=crontab(minute=30, hour=2), queue="maintenance")
@shared_task(name="agnt.error_log_prune")
def error_log_prune() -> int:
    """Delete error-log rows older than ERROR_LOG_RETENTION_DAYS."""
    return services.error_log_prune()


@periodic_job(name="session_cleanup", schedule=crontab(minute=15, hour=3), queue="maintenance")
@shared_task(name="agnt.session_cleanup")
def session_cleanup() -> int:
    """Delete login sessions that expired or were revoked more than SESSION_RETENTION_DAYS ago."""
    return services.session_cleanup()
