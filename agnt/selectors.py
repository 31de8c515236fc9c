"""Read-side queries of the core app."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check()
        result = {"ok": True}
        if detail:
            result.update(detail)
    except Exception as exc:  # noqa: BLE001 - health reports any failure
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _redis() -> None:
    import redis

    redis.Redis.from_url(settings.REDIS_APP_URL, socket_timeout=2, socket_connect_timeout=2).ping()


def _broker() -> None:
    from agnt.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _scheduler() -> dict:
    import redis

    value = redis.Redis.from_url(settings.REDIS_APP_URL, socket_timeout=2, socket_connect_timeout=2).get(
        "agnt:heartbeat"
    )
    return {"last_heartbeat": value.decode() if value else None}


def health_report() -> dict:
    """Liveness of every store the platform needs. The scheduler heartbeat is informative only."""
    checks = {"database": _timed(_database), "redis": _timed(_redis), "broker": _timed(_broker)}
    status = "ok" if all(c["ok"] for c in checks.values()) else "unavailable"
    if checks["redis"]["ok"]:
        checks["scheduler"] = _timed(_scheduler)
    return {"status": status, "checks": checks}
