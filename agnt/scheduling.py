"""The one registry of periodic jobs, and the locks that make each run happen once.

Every periodic job is declared with :func:`periodic_job` on a Celery task::

    @periodic_job(name="session_cleanup", schedule=crontab(minute=15, hour=3), queue="maintenance")
    @shared_task(name="agnt.session_cleanup")
    def session_cleanup() -> int: ...

On ``migrate`` the registry is synced into django-celery-beat (database scheduler), so
the schedule staff see in the admin is the one in code. When the job runs it first takes
a Redis leader lock named after the job: with several beat or worker processes a tick
still does the work once. Money jobs also pass ``advisory_lock=True`` to take a Postgres
advisory lock, which holds even if Redis is flushed or partitioned.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from celery.schedules import crontab
from celery.schedules import schedule as interval_schedule
from django.db import connection, transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task: str
    schedule: crontab | timedelta
    queue: str
    expires: int  # seconds; also the leader-lock lifetime
    advisory_lock: bool
    description: str


REGISTRY: dict[str, Job] = {}


def periodic_job(
    *,
    name: str,
    schedule: crontab | timedelta,
    queue: str = "maintenance",
    expires: int | None = None,
    advisory_lock: bool = False,
) -> Callable:
    """Register a Celery task as a periodic job and wrap its body in the run-once locks."""

    def decorate(task):
        if name in REGISTRY:
            raise ValueError(f"periodic job {name!r} registered twice")
        seconds = expires or _default_expiry(schedule)
        REGISTRY[name] = Job(
            name=name,
            task=task.name,
            schedule=schedule,
            queue=queue,
            expires=seconds,
            advisory_lock=advisory_lock,
            description=(task.__doc__ or "").strip().splitlines()[0] if task.__doc__ else "",
        )
        original = task.run

        @functools.wraps(original)
        def run_once(*args, **kwargs):
            with leader_lock(f"job:{name}", ttl=seconds) as acquired:
                if not acquired:
                    logger.info("job %s skipped: another process holds its lock", name)
                    return None
                if advisory_lock:
                    with transaction.atomic(), advisory_xact_lock(f"job:{name}") as got:
                        if not got:
                            logger.info("job %s skipped: advisory lock held", name)
                            return None
                        return original(*args, **kwargs)
                return original(*args, **kwargs)

        task.run = run_once
        return task

    return decorate


def _default_expiry(schedule: crontab | timedelta) -> int:
    if isinstance(schedule, timedelta):
        return max(30, int(schedule.total_seconds() * 0.9))
    return 3600


_clients: dict[str, object] = {}


def redis_client():
    """The application Redis (locks, rate limits, breaker state, heartbeats).

    One client (and connection pool) per process and URL: a new client per call meant a
    new connection and handshake for every command — about a third of the Redis time of a
    concierge turn. redis-py's pool is thread-safe and resets itself after a fork.
    """
    import redis
    from django.conf import settings

    url = settings.REDIS_APP_URL
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
    return client


_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


@contextmanager
def leader_lock(key: str, *, ttl: int) -> Iterator[bool]:
    """A Redis lock (SET NX PX) released only by its owner. Yields whether it was acquired."""
    client = redis_client()
    token = uuid.uuid4().hex
    full_key = f"agnt:lock:{key}"
    acquired = bool(client.set(full_key, token, nx=True, px=ttl * 1000))
    try:
        yield acquired
    finally:
        if acquired:
            client.eval(_RELEASE, 1, full_key, token)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg advisory locks (crc32 keeps it deterministic across processes)."""
    return zlib.crc32(name.encode()) - 2**31


@contextmanager
def advisory_xact_lock(name: str) -> Iterator[bool]:
    """``pg_try_advisory_xact_lock``: held until the surrounding transaction ends.

    Must be used inside ``transaction.atomic()``; yields whether the lock was taken.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("advisory_xact_lock needs an open transaction (wrap it in transaction.atomic())")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [advisory_key(name)])
        yield bool(cursor.fetchone()[0])


def load_all_jobs() -> dict[str, Job]:
    """Import every app's ``tasks`` module so every job is registered, then return the registry."""
    from agnt.celery import app

    app.loader.import_default_modules()
    app.autodiscover_tasks(force=True)
    return REGISTRY


def sync_beat_schedule() -> tuple[int, int]:
    """Make django-celery-beat's PeriodicTask table match the registry.

    Jobs in the registry are created or updated; rows we created earlier for jobs that no
    longer exist are disabled (not deleted, so their history stays visible).
    Returns (jobs synced, stale rows disabled).
    """
    from django_celery_beat.models import (
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
    )

    jobs = load_all_jobs()
    for job in jobs.values():
        fields = {
            "task": job.task,
            "queue": job.queue,
            "expire_seconds": job.expires,
            "description": f"[registry] {job.description}".strip(),
            "enabled": True,
            "kwargs": json.dumps({}),
            "interval": None,
            "crontab": None,
        }
        if isinstance(job.schedule, timedelta):
            fields["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=int(job.schedule.total_seconds()), period=IntervalSchedule.SECONDS
            )
        else:
            c = job.schedule
            fields["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=c._orig_minute,
                hour=c._orig_hour,
                day_of_week=c._orig_day_of_week,
                day_of_month=c._orig_day_of_month,
                month_of_year=c._orig_month_of_year,
                timezone="UTC",
            )
        PeriodicTask.objects.update_or_create(name=job.name, defaults=fields)
    stale = (
        PeriodicTask.objects.filter(description__startswith="[registry]", enabled=True)
        .exclude(name__in=list(jobs))
        .update(enabled=False)
    )
    return len(jobs), stale


def sync_on_migrate(sender, using="default", **kwargs) -> None:
    from django.db.utils import DatabaseError

    try:
        synced, stale = sync_beat_schedule()
    except DatabaseError as exc:  # the beat tables may not exist yet mid-migration
        logger.warning("beat schedule not synced: %s", exc)
        return
    if kwargs.get("verbosity", 1) >= 1:
        print(f"  Synced {synced} periodic jobs into celery-beat ({stale} stale disabled).")


__all__ = [
    "Job",
    "REGISTRY",
    "periodic_job",
    "leader_lock",
    "advisory_xact_lock",
    "sync_beat_schedule",
    "crontab",
    "interval_schedule",
]
