"""Web Push delivery: booking confirmations, reminders and price drops reach subscribed browsers
through the push-service stand-in, which decrypts what it receives; gone subscriptions are removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from model_bakery import baker

from agnt import services as agnt_services
from agnt.models import PushSubscription
from agnt.tests.fake_push import fake_push  # noqa: F401 - fixture
from messaging import tasks
from messaging.models import PushNotification
from messaging.push import push_notification_enqueue
from messaging.tests.fakes import fake_telegram  # noqa: F401 - fixture
from messaging.tests.test_concierge_end_to_end import _config, _telegram  # noqa: F401 - fixture, helper
from messaging.tests.test_llm_offline import bali  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


def _subscribe(user, fake_push):
    browser = fake_push.subscribe()
    return agnt_services.push_subscription_subscribe(
        user=user, endpoint=browser["endpoint"], p256dh=browser["keys"]["p256dh"], auth=browser["keys"]["auth"]
    )


def test_a_subscribed_browser_receives_the_booking_confirmation(
    client, bali, fake_telegram, fake_push, django_capture_on_commit_callbacks
):
    from agnt.models import User
    from bookings.models import VenueBooking

    with django_capture_on_commit_callbacks(execute=True):
        _telegram(client, 9201, "book dinner for 2 at 7pm tomorrow at Luma Trattoria")
    guest = User.objects.get(channels__platform="telegram")
    subscription = _subscribe(guest, fake_push)
    with django_capture_on_commit_callbacks(execute=True):
        _telegram(client, 9202, "yes")
    booking = VenueBooking.objects.get()
    assert booking.status == "confirmed"
    [shown] = fake_push.delivered()
    assert shown["kind"] == "booking" and shown["title"] == "Luma Trattoria · Confirmed"
    assert shown["body"].startswith("✅ Confirmed: Luma Trattoria") and booking.external_ref in shown["body"]
    assert shown["url"] == f"/bookings/{booking.external_ref}"
    assert fake_push.deliveries[0]["urgency"] == "high" and fake_push.deliveries[0]["ttl"] > 0
    notification = PushNotification.objects.get()
    assert notification.status == "sent" and notification.delivered_to == [str(subscription.pk)]
    subscription.refresh_from_db()
    assert subscription.last_success_at is not None and subscription.failure_count == 0
    # the chat got it too, and a second run of the job sends nothing again
    assert fake_telegram.texts()[-1].startswith("✅ Confirmed")
    tasks.send_push_notifications()
    assert len(fake_push.deliveries) == 1


def test_a_subscription_the_push_service_reports_gone_is_removed(fake_push, django_capture_on_commit_callbacks):
    guest = baker.make("agnt.User")
    gone, kept = _subscribe(guest, fake_push), _subscribe(guest, fake_push)
    fake_push.expire(gone.endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        push_notification_enqueue(user_id=guest.pk, kind="reminder", title="⏰", body="Sunset yoga", dedupe_key="r:1")
    assert list(PushSubscription.objects.values_list("pk", flat=True)) == [kept.pk]
    assert [d["body"] for d in fake_push.delivered()] == ["Sunset yoga"]
    assert PushNotification.objects.get().status == "sent"


def test_a_user_without_a_subscribed_browser_gets_no_push_queued(fake_push):
    guest = baker.make("agnt.User")
    assert push_notification_enqueue(user_id=guest.pk, kind="booking", title="x", body="y", dedupe_key="b:1") is None
    assert not PushNotification.objects.exists()


def test_a_push_service_outage_is_retried_by_the_job_and_delivered_once(fake_push):
    guest = baker.make("agnt.User")
    _subscribe(guest, fake_push)
    fake_push.script(503, {"errno": 201, "message": "unavailable"}, path_contains="/push/")
    with time_machine.travel(NOW, tick=False):
        push_notification_enqueue(user_id=guest.pk, kind="price_drop", title="📉", body="Cheaper", dedupe_key="p:1")
        tasks.send_push_notifications()  # the 503
        notification = PushNotification.objects.get()
        assert notification.status == "pending" and notification.attempts == 1 and "503" in notification.last_error
        tasks.send_push_notifications()
        tasks.send_push_notifications()
    notification.refresh_from_db()
    assert notification.status == "sent" and notification.attempts == 2
    assert [d["body"] for d in fake_push.delivered()] == ["Cheaper"]


def test_a_due_reminder_reaches_the_browser_of_a_user_without_a_chat_channel(fake_push):
    from bookings.models import Reminder

    guest = baker.make("agnt.User")
    _subscribe(guest, fake_push)
    with time_machine.travel(NOW, tick=False):
        reminder = baker.make(Reminder, user=guest, text="Pick up the sarong", due_at=NOW - timedelta(minutes=1))
        tasks.dispatch_due_reminders()
        tasks.send_push_notifications()
    reminder.refresh_from_db()
    assert reminder.status == "sent" and reminder.sent_at is not None
    assert [(d["kind"], d["body"]) for d in fake_push.delivered()] == [("reminder", "Pick up the sarong")]
