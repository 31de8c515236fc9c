"""Messaging jobs. Thin: each takes ids, calls one service, and owns its retries."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from celery.schedules import crontab
from django.utils import timezone

from agnt.scheduling import periodic_job
from agnt.services import fault_record, task_enqueue
from messaging import notifications, router, selectors, services

# The send queue's tasks live in messaging.send_queue; importing them here registers
# them with the worker (Celery autodiscovers ``tasks`` modules only).
from messaging.send_queue import *  # noqa: F401,F403,E402


@shared_task(name="messaging.process_channel_messages", bind=True, queue="messaging", max_retries=None)
def process_channel_messages(self, channel_id: str) -> int:
    """Answer a channel's unanswered messages in arrival order (see messaging.router).

    Never waits for the guest's lock in a worker slot: when another worker is answering
    this guest, that holder answers this message too (it looks again after releasing the
    lock); the task only comes back once, just after the lock's lifetime, in case the
    holder died — then the lock has expired and the message is answered here.
    """
    try:
        # eager mode (tests, a dev shell) has no countdown to come back on: wait in place
        return router.channel_drain(channel_id=channel_id, wait_seconds=30 if self.request.is_eager else 0)
    except router.ChannelBusy as exc:
        if not router.channel_has_pending(channel_id=channel_id):
            return 0
        raise self.retry(exc=exc, countdown=router.BUSY_RETRY_SECONDS) from exc


@shared_task(name="messaging.notify_booking_status", queue="messaging", acks_late=True)
def notify_booking_status(booking_id: str, to_status: str) -> str | None:
    """Tell the guest on their channel that the venue confirmed / declined / cancelled."""
    sent = notifications.booking_status_notify(booking_id=booking_id, to_status=to_status)
    return str(sent.pk) if sent is not None else None


@shared_task(name="messaging.notify_owners_pending", queue="messaging", acks_late=True)
def notify_owners_pending(booking_id: str) -> int:
    """Tell a venue's owners that a booking request awaits their approval."""
    return notifications.owner_notify_pending(booking_id=booking_id)


@shared_task(name="messaging.notify_booking_moved", queue="messaging", acks_late=True)
def notify_booking_moved(booking_id: str, event_id: str) -> str | None:
    """Tell the guest their booking has a new time."""
    sent = notifications.booking_moved_notify(booking_id=booking_id, event_id=event_id)
    return str(sent.pk) if sent is not None else None


@periodic_job(name="conversation_snapshots", schedule=crontab(minute=40, hour=3), queue="messaging")
@shared_task(name="messaging.conversation_snapshots")
def conversation_snapshots() -> int:
    """Daily encrypted snapshot of every conversation that changed in the last day."""
    return services.conversation_snapshot_daily()


@periodic_job(name="stuck_inbound_requeue", schedule=crontab(minute="*/5"), queue="messaging")
@shared_task(name="messaging.stuck_inbound_requeue")
def stuck_inbound_requeue() -> int:
    """Re-enqueue channels whose inbound messages were never answered (a lost task or a dead worker)."""
    channel_ids = services.interaction_requeue_stuck()
    for channel_id in channel_ids:
        task_enqueue(process_channel_messages, args=[str(channel_id)])
    if channel_ids:
        fault_record(
            kind="inbound_requeued_by_sweep",
            logger_name="messaging.router",
            message=f"{len(channel_ids)} conversation(s) with unanswered messages were re-queued by the sweep",
            context={"channel_ids": [str(c) for c in channel_ids[:50]]},
        )
    return len(channel_ids)


@periodic_job(name="pipeline_relay", schedule=timedelta(seconds=5), queue="messaging", expires=4)
@shared_task(name="messaging.pipeline_relay")
def pipeline_relay() -> int:
    """Publish tasks stored while the broker was down; after a broker restart that lost its
    queue, re-enqueue every unanswered message and unsent reply. Runs every 5 s and when a
    worker reconnects to the broker; the 5- and 2-minute sweeps stay as the last resort."""
    return services.pipeline_catch_up()


@shared_task(name="messaging.notify_price_drop", queue="messaging", acks_late=True)
def notify_price_drop(watcher_id: str) -> str | None:
    """Tell the guest (chat and browsers) that a watched product reached their price."""
    sent = notifications.price_watch_notify(watcher_id=watcher_id)
    return str(sent.pk) if sent is not None else None


@shared_task(name="messaging.notify_stale_deal", queue="messaging", acks_late=True)
def notify_stale_deal(deal_id: str) -> str | None:
    """Tell a deal's owner that it has stalled (once per stall)."""
    sent = notifications.stale_deal_notify(deal_id=deal_id)
    return str(sent.pk) if sent is not None else None


@periodic_job(name="send_push_notifications", schedule=timedelta(minutes=1), queue="messaging", expires=55)
@shared_task(name="messaging.send_push_notifications")
def send_push_notifications() -> int:
    """Deliver pending Web Push notifications (booking updates, reminders, price drops) to browsers."""
    from messaging.push import push_notifications_send_pending

    return push_notifications_send_pending()


@periodic_job(name="whatsapp_window_expiry", schedule=crontab(minute="*/15"), queue="messaging")
@shared_task(name="messaging.whatsapp_window_expiry")
def whatsapp_window_expiry() -> dict:
    """Mark WhatsApp channels whose 24 h window closed; stop free-form retries that cannot be sent."""
    return services.whatsapp_window_expire()


@periodic_job(name="interaction_retention_purge", schedule=crontab(minute=50, hour=3), queue="maintenance")
@shared_task(name="messaging.interaction_retention_purge")
def interaction_retention_purge() -> dict:
    """Delete (or, for booking messages, strip) messages older than INTERACTION_RETENTION_DAYS."""
    return services.interaction_retention_purge()


# Mondays 01:00 UTC = 09:00 in Bali
@periodic_job(name="ambassador_weekly_report", schedule=crontab(minute=0, hour=1, day_of_week=1), queue="messaging")
@shared_task(name="messaging.ambassador_weekly_report")
def ambassador_weekly_report() -> int:
    """Send each active city ambassador their week: sign-ups, bookings by referred guests, venues."""
    return notifications.ambassador_weekly_report_send()


FAQ_DAYS = 30


@periodic_job(name="faq_compile", schedule=crontab(minute=0, hour=20), queue="knowledge")
@shared_task(name="messaging.faq_compile")
def faq_compile() -> dict[str, int]:
    """Compile each venue's frequently asked questions from the last 30 days of chats
    (knowledge.maintenance.faq_compile over the guests' messages)."""
    from knowledge.maintenance import faq_compile as compile_faq

    since = timezone.now() - timedelta(days=FAQ_DAYS)
    return compile_faq(questions=selectors.inbound_texts_since(since=since), days=FAQ_DAYS)
