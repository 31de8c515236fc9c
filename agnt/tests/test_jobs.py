"""The core housekeeping jobs do real work."""

from datetime import timedelta

import pytest
from django.utils import timezone
from model_bakery import baker

from agnt import tasks
from agnt.models import AnalyticsDailyRollup, AnalyticsEvent, ErrorLog, Session

pytestmark = pytest.mark.clock


@pytest.mark.django_db
def test_analytics_rollup_counts_events_per_day_and_is_safe_to_rerun():
    users = baker.make("agnt.User", _quantity=2)
    for user in users + users[:1]:
        baker.make(AnalyticsEvent, name="booking.created", user=user)
    baker.make(AnalyticsEvent, name="chat.message")
    assert tasks.analytics_rollup() == 2
    assert tasks.analytics_rollup() == 2
    rollup = AnalyticsDailyRollup.objects.get(name="booking.created")
    assert (rollup.count, rollup.unique_users) == (3, 2)


@pytest.mark.django_db
def test_error_log_prune_deletes_only_old_rows(settings):
    old = baker.make(ErrorLog, message="old")
    ErrorLog.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=settings.ERROR_LOG_RETENTION_DAYS + 1)
    )
    baker.make(ErrorLog, message="fresh")
    assert tasks.error_log_prune() == 1
    assert list(ErrorLog.objects.values_list("message", flat=True)) == ["fresh"]


@pytest.mark.django_db
def test_session_cleanup_removes_long_dead_sessions_and_keeps_live_ones():
    now = timezone.now()
    live = baker.make(Session, expires_at=now + timedelta(days=10), refresh_jti="a")
    baker.make(Session, expires_at=now - timedelta(days=60), refresh_jti="b")
    baker.make(Session, expires_at=now + timedelta(days=10), revoked_at=now - timedelta(days=45), refresh_jti="c")
    assert tasks.session_cleanup() == 2
    assert list(Session.objects.values_list("pk", flat=True)) == [live.pk]


@pytest.mark.django_db
def test_heartbeat_is_visible_in_health(client):
    stamp = tasks.heartbeat()
    assert client.get("/health").json()["checks"]["scheduler"]["last_heartbeat"] == stamp
