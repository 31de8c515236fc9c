"""Web Push: the notifications messaging sends to a user's subscribed browsers.

Every unprompted message messaging sends (a booking decision, a reminder, a price drop)
also queues a :class:`PushNotification` for users who subscribed a browser
(``POST /api/push/subscriptions``). The ``send_push_notifications`` job encrypts each
pending one for every active subscription through agnt.webpush; a subscription the push
service reports gone (404/410) is removed, one that keeps failing is expired.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agnt import services as agnt_services
from agnt import webpush
from agnt.models import PushStatus, PushSubscription
from messaging.models import PushNotification, PushNotificationStatus

logger = logging.getLogger(__name__)


def push_notification_enqueue(
    *, user_id, kind: str, title: str, body: str, dedupe_key: str, url: str = ""
) -> PushNotification | None:
    """Queue a browser notification when the user has an active push subscription (once per dedupe key)."""
    if not PushSubscription.objects.filter(user_id=user_id, status=PushStatus.ACTIVE).exists():
        return None
    try:
        with transaction.atomic():
            notification = PushNotification.objects.create(
                user_id=user_id,
                kind=kind,
                title=title[:120],
                body=body[:600],
                url=url[:500],
                dedupe_key=dedupe_key[:120],
            )
    except IntegrityError:
        return None  # the same event, queued already
    from messaging.tasks import send_push_notifications

    transaction.on_commit(send_push_notifications.delay)
    return notification


def _payload(notification: PushNotification) -> dict:
    return {
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "kind": notification.kind,
        "tag": notification.dedupe_key,
        "id": str(notification.pk),
    }


def push_notification_send(*, notification: PushNotification) -> PushNotification:
    """One attempt: deliver to each active subscription that has not accepted it yet."""
    subscriptions = list(PushSubscription.objects.filter(user_id=notification.user_id, status=PushStatus.ACTIVE))
    delivered = set(notification.delivered_to)
    errors: list[str] = []
    retry = False
    for subscription in subscriptions:
        if str(subscription.pk) in delivered:
            continue
        try:
            result = webpush.send(
                endpoint=subscription.endpoint,
                p256dh=subscription.p256dh,
                auth=subscription.auth,
                payload=_payload(notification),
                urgency="high" if notification.kind == "booking" else "normal",
            )
        except webpush.PushSendError as exc:
            errors.append(str(exc))
            retry = True
            agnt_services.push_subscription_record_result(subscription_id=subscription.pk, delivered=False, gone=False)
            continue
        agnt_services.push_subscription_record_result(
            subscription_id=subscription.pk, delivered=result.delivered, gone=result.gone
        )
        if result.delivered:
            delivered.add(str(subscription.pk))
        elif not result.gone:
            errors.append(f"push service answered {result.status}: {result.body[:200]}")
            retry = retry or result.status == 429 or result.status >= 500
    notification.attempts += 1
    notification.delivered_to = sorted(delivered)
    notification.last_error = "\n".join(errors)[:2000]
    if retry and notification.attempts < settings.WEB_PUSH_MAX_ATTEMPTS:
        pass  # stays pending; the next run tries the rest
    elif delivered:
        notification.status = PushNotificationStatus.SENT
        notification.sent_at = timezone.now()
    elif (
        not subscriptions
        or not PushSubscription.objects.filter(user_id=notification.user_id, status=PushStatus.ACTIVE).exists()
    ):
        notification.status = PushNotificationStatus.NO_SUBSCRIBERS
    else:
        notification.status = PushNotificationStatus.FAILED
    notification.save(update_fields=["attempts", "delivered_to", "last_error", "status", "sent_at", "updated_at"])
    return notification


def push_notifications_send_pending(*, limit: int = 200) -> int:
    """Send pending notifications, oldest first; returns how many were delivered somewhere."""
    sent = 0
    pending = PushNotification.objects.filter(status=PushNotificationStatus.PENDING).order_by("created_at")[:limit]
    for notification in pending:
        try:
            if push_notification_send(notification=notification).status == PushNotificationStatus.SENT:
                sent += 1
        except webpush.PushNotConfigured as exc:
            logger.warning("web push is not configured (%s); %s notifications wait", exc, pending.count())
            break
    return sent
