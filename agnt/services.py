"""Write-side operations of the core app (login sessions, analytics)."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agnt import auth
from agnt.models import AnalyticsEvent, Session, User


def _pair(session: Session) -> auth.TokenPair:
    access_expires = min(timezone.now() + settings.JWT_ACCESS_TTL, session.expires_at)
    return auth.TokenPair(
        access=auth.encode(
            user_id=session.user_id,
            session_id=session.pk,
            token_type="access",
            jti=uuid.uuid4().hex,
            expires_at=access_expires,
        ),
        refresh=auth.encode(
            user_id=session.user_id,
            session_id=session.pk,
            token_type="refresh",
            jti=session.refresh_jti,
            expires_at=session.expires_at,
        ),
        access_expires_at=access_expires,
        refresh_expires_at=session.expires_at,
        session_id=session.pk,
    )


@transaction.atomic
def session_login(*, user: User, user_agent: str = "", ip_address: str | None = None) -> auth.TokenPair:
    """Open a Session for a user whose credentials were already verified; return its tokens."""
    session = Session.objects.create(
        user=user,
        refresh_jti=secrets.token_hex(16),
        user_agent=user_agent[:400],
        ip_address=ip_address,
        expires_at=timezone.now() + settings.JWT_REFRESH_TTL,
    )
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return _pair(session)


def session_refresh(*, refresh_token: str) -> auth.TokenPair:
    """Rotate a refresh token. Presenting an already-rotated one revokes the session (theft signal)."""
    claims = auth.decode(refresh_token, expected_type="refresh")
    with transaction.atomic():
        session = Session.objects.select_for_update().filter(pk=claims["sid"], user_id=claims["sub"]).first()
        if session is None or not session.is_active:
            raise auth.TokenError("session revoked or expired")
        if secrets.compare_digest(session.refresh_jti, claims["jti"]):
            session.refresh_jti = secrets.token_hex(16)
            session.last_used_at = timezone.now()
            session.save(update_fields=["refresh_jti", "last_used_at"])
            return _pair(session)
        # The revocation must commit, so the error is raised after the transaction closes.
        _revoke(session, reason="refresh_reuse")
    raise auth.TokenError("refresh token already used; session revoked")


def _revoke(session: Session, *, reason: str) -> None:
    session.revoked_at = timezone.now()
    session.revoked_reason = reason[:64]
    session.save(update_fields=["revoked_at", "revoked_reason"])


@transaction.atomic
def session_revoke(*, session: Session, reason: str = "logout") -> Session:
    """Revoke a login session; its access and refresh tokens stop working immediately."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.revoked_at is None:
        _revoke(session, reason=reason)
    return session


def session_revoke_all(*, user: User, reason: str = "revoke_all") -> int:
    return Session.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def analytics_event_record(
    *, name: str, user: User | None = None, source: str = "", properties: dict | None = None
) -> AnalyticsEvent:
    return AnalyticsEvent.objects.create(name=name, user=user, source=source, properties=properties or {})


HEARTBEAT_KEY = "agnt:heartbeat"


def heartbeat_record() -> str:
    """Stamp the current time in Redis; /health shows it, so a dead beat or worker is visible."""
    from agnt.scheduling import redis_client

    stamp = timezone.now().isoformat()
    redis_client().set(HEARTBEAT_KEY, stamp, ex=3600)
    return stamp


def analytics_rollup(*, days: int = 2) -> int:
    """Upsert AnalyticsDailyRollup for the last ``days`` days (today included). Returns rows written.

    Re-running is harmless: counts are recomputed from the events, not incremented.
    """
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    from agnt.models import AnalyticsDailyRollup

    since = (timezone.now() - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        AnalyticsEvent.objects.filter(occurred_at__gte=since)
        .annotate(day=TruncDate("occurred_at"))
        .values("day", "name")
        .annotate(count=Count("id"), unique_users=Count("user", distinct=True))
    )
    written = 0
    for row in rows:
        AnalyticsDailyRollup.objects.update_or_create(
            day=row["day"], name=row["name"], defaults={"count": row["count"], "unique_users": row["unique_users"]}
        )
        written += 1
    from agnt.signals import analytics_rollup_requested

    for _receiver, result in analytics_rollup_requested.send(sender=AnalyticsEvent, days=days, now=timezone.now()):
        written += result if isinstance(result, int) else 0
    return written


def error_log_prune() -> int:
    from agnt.models import ErrorLog

    cutoff = timezone.now() - timedelta(days=settings.ERROR_LOG_RETENTION_DAYS)
    deleted, _ = ErrorLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def session_cleanup() -> int:
    cutoff = timezone.now() - timedelta(days=settings.SESSION_RETENTION_DAYS)
    from django.db.models import Q

    deleted, _ = Session.objects.filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff)).delete()
    return deleted


def admin_user_ensure(*, username: str = "admin") -> tuple[str, str | None]:
    """Make sure a staff superuser exists. Returns (username, password) — the password only
    when the user was created now, so it is shown once and never fixed in code."""
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        if not (existing.is_superuser and existing.is_staff and existing.is_active):
            existing.is_superuser = existing.is_staff = existing.is_active = True
            existing.save(update_fields=["is_superuser", "is_staff", "is_active"])
        return username, None
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser(
        username=username, email=f"{username}@agnt.local", password=password, display_name="AGNT admin"
    )
    return username, password


PROFILE_FIELDS = ("display_name", "language", "city", "timezone", "marketing_opt_in")


@transaction.atomic
def user_profile_update(*, user: User, **changes) -> User:
    """Change the profile fields a user may edit themselves (PROFILE_FIELDS); others are refused.

    Values arrive validated (the API's serializer checks choices, the city and the time
    zone); this is the one place the row is written, with update_fields.
    """
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise ValueError(f"these profile fields cannot be changed: {', '.join(unknown)}")
    if not changes:
        return user
    for field, value in changes.items():
        setattr(user, field, value)
    user.save(update_fields=[*changes, "updated_at"])
    return user


def fault_record(*, kind: str, message: str, logger_name: str = "agnt.faults", context: dict | None = None) -> None:
    """A fault the pipeline survived (a killed task, a lost worker, a sweep that had to
    re-queue work): an ErrorLog row for staff and a count in ``agnt_pipeline_faults_total``.

    Written directly rather than through logging: Celery workers replace the root
    logger's handlers, so the ErrorLog handler is not attached there. Never raises.
    """
    import logging

    from agnt import metrics
    from agnt.models import ErrorLog

    logging.getLogger(logger_name).warning("%s: %s", kind, message)
    metrics.record_fault(kind)
    try:
        ErrorLog.objects.create(
            level=ErrorLog.Level.ERROR,
            logger=logger_name[:120],
            message=message[:10000],
            exception_type=kind[:200],
            context={"fault": kind, **(context or {})},
        )
    except Exception:  # noqa: BLE001 - the database may be the thing that is down
        logging.getLogger(logger_name).warning("fault %s not recorded in ErrorLog", kind, exc_info=True)


# --------------------------------------------------------------------------- task outbox

# After a failed publish, skip the broker for this long and write straight to the outbox:
# a webhook must not pay Celery's publish retries on every request while Redis is down.
BROKER_DOWN_HOLD_SECONDS = 2.0
_broker_down_until = 0.0


def task_enqueue(task, *, args: list | None = None, kwargs: dict | None = None, countdown: float | None = None) -> bool:
    """Publish ``task`` now, or — when the broker is unreachable — keep it in the TaskOutbox
    for the relay. Returns whether it was published. Never raises for a broker outage.

    A countdown is not kept in the outbox: a relayed task runs as soon as it is relayed
    (every task enqueued this way is idempotent and re-checks its row).
    """
    import time as _time

    global _broker_down_until
    args, kwargs = list(args or []), dict(kwargs or {})
    if _time.monotonic() >= _broker_down_until:
        try:
            task.apply_async(args=args, kwargs=kwargs, countdown=countdown, retry=False)
            return True
        except Exception as exc:  # noqa: BLE001 - kombu/redis raise several types for "down"
            _broker_down_until = _time.monotonic() + BROKER_DOWN_HOLD_SECONDS
            error = f"{type(exc).__name__}: {exc}"[:1000]
    else:
        error = "broker unreachable a moment ago"
    from agnt import metrics
    from agnt.models import TaskOutbox

    TaskOutbox.objects.create(
        task=task.name, args=args, kwargs=kwargs, queue=getattr(task, "queue", "") or "", last_error=error
    )
    metrics.record_fault("enqueue_deferred_to_outbox")
    return False


def task_outbox_relay(*, limit: int = 1000) -> int:
    """Publish the outbox's tasks oldest first; stops at the first failure (broker still
    down). Returns how many were published. Rows are locked SKIP LOCKED, so two relays
    running at once share the work instead of publishing twice."""
    from celery import current_app

    from agnt.models import TaskOutbox

    global _broker_down_until
    relayed = 0
    with transaction.atomic():
        rows = list(TaskOutbox.objects.select_for_update(skip_locked=True).order_by("created_at", "id")[:limit])
        done = []
        for row in rows:
            try:
                current_app.send_task(row.task, args=row.args, kwargs=row.kwargs, queue=row.queue or None, retry=False)
            except Exception as exc:  # noqa: BLE001
                TaskOutbox.objects.filter(pk=row.pk).update(
                    attempts=row.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:1000]
                )
                break
            done.append(row.pk)
        if done:
            TaskOutbox.objects.filter(pk__in=done).delete()
            relayed = len(done)
    if relayed:
        import time as _time

        _broker_down_until = 0.0 if _time.monotonic() < _broker_down_until else _broker_down_until
        fault_record(
            kind="outbox_relayed",
            logger_name="agnt.outbox",
            message=f"{relayed} task(s) stored while the broker was unreachable were published",
            context={"relayed": relayed},
        )
    return relayed


@transaction.atomic
def push_subscription_subscribe(*, user: User, endpoint: str, p256dh: str, auth: str, user_agent: str = ""):
    """Store (or refresh) a browser's Web Push subscription for ``user``.

    The endpoint goes through the SSRF guard and the keys are checked (agnt.webpush);
    a bad one raises webpush.SubscriptionRejected naming the field. Re-subscribing the same
    endpoint (a browser renews its keys, or the app signs in as someone else on the same
    browser) updates the one row: an endpoint belongs to one browser.
    """
    from agnt import webpush
    from agnt.models import PushStatus, PushSubscription

    endpoint = (endpoint or "").strip()
    webpush.check_endpoint(endpoint)
    p256dh, auth = webpush.check_keys(p256dh=p256dh, auth=auth)
    subscription, _ = PushSubscription.objects.select_for_update().update_or_create(
        endpoint=endpoint,
        defaults={
            "user": user,
            "p256dh": p256dh,
            "auth": auth,
            "user_agent": (user_agent or "")[:400],
            "status": PushStatus.ACTIVE,
            "failure_count": 0,
        },
    )
    return subscription


def push_subscription_unsubscribe(*, user: User, endpoint: str) -> bool:
    """Forget the caller's subscription for ``endpoint``; True when one was removed."""
    from agnt.models import PushSubscription

    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=(endpoint or "").strip()).delete()
    return deleted > 0


def push_subscription_record_result(*, subscription_id, delivered: bool, gone: bool, max_failures: int = 5) -> None:
    """After a send: a gone (404/410) subscription is removed; repeated failures expire it."""
    from django.db.models import F

    from agnt.models import PushStatus, PushSubscription

    rows = PushSubscription.objects.filter(pk=subscription_id)
    if gone:
        rows.delete()
    elif delivered:
        rows.update(failure_count=0, last_success_at=timezone.now(), updated_at=timezone.now())
    else:
        rows.update(failure_count=F("failure_count") + 1, updated_at=timezone.now())
        rows.filter(failure_count__gte=max_failures).update(status=PushStatus.EXPIRED)


# --------------------------------------------------------------------------- taste follows


class FollowError(ValueError):
    """A follow that cannot be made as asked; the message is for the user."""


@transaction.atomic
def taste_follow_request(*, follower: User, followee: User, public: bool = False):
    """``follower`` asks to follow ``followee``'s taste; returns ``(follow, created)``.

    A public taste (a city ambassador's) is followed at once; anyone else's needs their
    yes (:func:`taste_follow_decide`). Asking again after a decline asks again.
    """
    from agnt.models import FollowStatus, UserFollowsTaste

    if follower.pk == followee.pk:
        raise FollowError("you can't follow your own taste")
    follow, created = UserFollowsTaste.objects.select_for_update().get_or_create(
        user=follower,
        followee=followee,
        defaults={"status": FollowStatus.ACCEPTED if public else FollowStatus.REQUESTED},
    )
    if not created and follow.status == FollowStatus.DECLINED:
        follow.status = FollowStatus.ACCEPTED if public else FollowStatus.REQUESTED
        follow.decided_at = None
        follow.save(update_fields=["status", "decided_at"])
    if follow.status == FollowStatus.ACCEPTED and follow.decided_at is None:
        follow.decided_at = timezone.now()
        follow.save(update_fields=["decided_at"])
    return follow, created


@transaction.atomic
def taste_follow_decide(*, follow, followee: User, accept: bool):
    """The followee accepts or declines a request to follow their taste (only they can)."""
    from agnt.models import FollowStatus, UserFollowsTaste

    follow = UserFollowsTaste.objects.select_for_update().get(pk=follow.pk)
    if follow.followee_id != followee.pk:
        raise FollowError("that request is not addressed to you")
    if follow.status != FollowStatus.REQUESTED:
        return follow
    follow.status = FollowStatus.ACCEPTED if accept else FollowStatus.DECLINED
    follow.decided_at = timezone.now()
    follow.save(update_fields=["status", "decided_at"])
    return follow
