"""Prometheus metrics: HTTP requests (per process) and Celery tasks (shared through Redis).

Web processes export their own request counters. Celery tasks run in other processes,
so their counts are kept in a Redis hash that every web process reads when scraped —
any web process answers /metrics with the whole fleet's task numbers.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

logger = logging.getLogger(__name__)

REQUESTS = Counter("agnt_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "agnt_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASK_KEY = "agnt:metrics:tasks"
FAULT_KEY = "agnt:metrics:faults"


class MetricsMiddleware:
    """Counts every request by method, resolved route pattern (not raw path) and status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match and match.route else ("unmatched" if response.status_code == 404 else "other")
        route = route[:120]
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        return response


def _redis():
    from agnt.scheduling import redis_client

    return redis_client()


def record_task(name: str, outcome: str, runtime: float | None = None) -> None:
    try:
        pipe = _redis().pipeline()
        pipe.hincrby(TASK_KEY, f"{name}|{outcome}", 1)
        if runtime is not None:
            pipe.hincrbyfloat(TASK_KEY, f"{name}|runtime", runtime)
        pipe.execute()
    except Exception:  # noqa: BLE001 - metrics must never break a task
        logger.debug("task metric not recorded", exc_info=True)


def record_fault(kind: str, count: int = 1) -> None:
    """Count a survived fault (worker lost, task killed, message re-queued by a sweep)."""
    try:
        _redis().hincrby(FAULT_KEY, kind, count)
    except Exception:  # noqa: BLE001 - metrics must never break the recovery they count
        logger.debug("fault metric not recorded", exc_info=True)


_started: dict[str, float] = {}


def connect_task_signals() -> None:
    from celery import signals

    @signals.task_prerun.connect(weak=False)
    def _prerun(task_id=None, **_):
        _started[task_id] = time.perf_counter()

    @signals.task_postrun.connect(weak=False)
    def _postrun(task_id=None, task=None, state=None, **_):
        began = _started.pop(task_id, None)
        runtime = time.perf_counter() - began if began else None
        record_task(task.name if task else "unknown", (state or "unknown").lower(), runtime)

    @signals.task_retry.connect(weak=False)
    def _retry(request=None, **_):
        record_task(getattr(request, "task", "unknown"), "retry")


class TaskCollector:
    """Reads the shared task counters from Redis at scrape time."""

    def collect(self):
        total = CounterMetricFamily("agnt_celery_tasks", "Celery task runs by outcome", labels=["task", "outcome"])
        runtime = CounterMetricFamily("agnt_celery_task_runtime_seconds", "Total Celery task runtime", labels=["task"])
        faults = CounterMetricFamily(
            "agnt_pipeline_faults", "Faults the message pipeline survived, by kind", labels=["kind"]
        )
        up = GaugeMetricFamily("agnt_metrics_redis_up", "Whether task metrics could be read from Redis")
        try:
            raw = _redis().hgetall(TASK_KEY)
            for kind, value in _redis().hgetall(FAULT_KEY).items():
                faults.add_metric([kind.decode()], float(value))
            up.add_metric([], 1)
        except Exception:  # noqa: BLE001
            raw = {}
            up.add_metric([], 0)
        for field, value in raw.items():
            name, _, outcome = field.decode().rpartition("|")
            if outcome == "runtime":
                runtime.add_metric([name], float(value))
            else:
                total.add_metric([name, outcome], float(value))
        yield total
        yield runtime
        yield faults
        yield up


REGISTRY.register(TaskCollector())


def render() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
