"""The send queue: every outbound message reaches its provider through here.

``send_interaction`` (Celery task, one Interaction id) does, in order:

1. skip anything not ``queued`` (a redelivered task, or another worker got there first);
2. the web channel has no provider: mark it sent at once;
3. split the text to the platform's limit (Telegram 4096 UTF-16 units, on paragraph /
   line / word boundaries; one Interaction, several provider messages);
4. take rate-limit tokens from Redis, shared by every worker process (GCRA in one Lua
   script: per chat and per bot on Telegram, per user pair and per number on WhatsApp,
   per user and per account on Instagram). When limited the task is re-enqueued with a
   countdown — a worker never sleeps on a rate limit;
5. claim the row (``queued → sending`` under a row lock), call the provider:
   WhatsApp outside the 24-hour customer-service window sends the approved template
   WHATSAPP_TEMPLATE_NAME with the text as its body parameter;
6. record the result: ``sent`` with the first provider id (all ids in
   ``payload["provider_message_ids"]``), or back to ``queued`` with a countdown on 429
   (``retry_after``) and on temporary errors (exponential backoff), or ``failed``:
   permanent errors at once, temporary ones after SEND_MAX_ATTEMPTS tries — those get a
   ``next_attempt_at`` for the ``retry_failed_sends`` periodic job.

Parts already delivered are remembered in the payload, so a retry after a failure in the
middle of a split message does not send the first parts twice.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agnt.scheduling import periodic_job
from messaging.clients import (
    ProviderError,
    ProviderPermanentError,
    ProviderRateLimited,
    ProviderTemporaryError,
    WindowClosed,
)
from messaging.models import ChannelPlatform, Interaction, InteractionDirection, InteractionSource, UserChannel
from messaging.selectors import whatsapp_window_open
from messaging.services import (
    InteractionTransitionError,
    interaction_mark_status,
    interaction_payload_merge,
    interaction_send_reclaim,
    user_channel_deactivate,
)
from messaging.state import InteractionStatus

logger = logging.getLogger(__name__)
S = InteractionStatus

PROVIDER_PLATFORMS = (ChannelPlatform.TELEGRAM, ChannelPlatform.WHATSAPP, ChannelPlatform.INSTAGRAM)


def _setting(name: str, default):
    return getattr(settings, name, default)


# --------------------------------------------------------------------------- splitting


def utf16_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji is 2)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` (by ``measure``), preferring paragraph,
    then line, then word boundaries; a single word longer than the limit is hard-cut."""
    text = text.strip()
    if measure(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    rest = text
    while rest:
        if measure(rest) <= limit:
            parts.append(rest)
            break
        # the longest prefix that fits (binary search: measure is monotonic in the prefix length)
        lo, hi = 1, len(rest)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if measure(rest[:mid]) <= limit:
                lo = mid
            else:
                hi = mid - 1
        cut = -1
        for separator in ("\n\n", "\n", " "):
            # a separator starting right after the fitting prefix is a clean boundary too
            position = rest[: lo + len(separator)].rfind(separator)
            if position > 0:
                cut = position
                break
        if cut <= 0:
            cut = lo
        part = rest[:cut].rstrip()
        if part:
            parts.append(part)
        rest = rest[cut:].lstrip()
    return parts


TEXT_LIMITS: dict[str, tuple[int, Callable[[str], int]]] = {
    ChannelPlatform.TELEGRAM: (4096, utf16_length),
    ChannelPlatform.WHATSAPP: (4096, len),
    ChannelPlatform.INSTAGRAM: (1000, len),
}


# --------------------------------------------------------------------------- rate limits


@dataclass(frozen=True)
class Limit:
    scope: str  # "chat" / "bot"… — part of the Redis key
    per_recipient: bool
    interval: float  # seconds per message at the sustained rate
    burst: int  # messages allowed back to back


# Provider guidance: Telegram ~1 msg/s in one chat and 30 msg/s per bot (more only as paid
# broadcasts: TELEGRAM_MESSAGES_PER_SECOND); WhatsApp Cloud API 80 msg/s per business number
# and a per-user "pair rate limit" (~1 msg / 6 s, short bursts tolerated; error 131056
# otherwise); Instagram Send API 100 calls/s per account — per user we stay conversational.
LIMITS: dict[str, tuple[Limit, ...]] = {
    ChannelPlatform.TELEGRAM: (Limit("chat", True, 1.0, 3), Limit("bot", False, 1 / 30, 30)),
    ChannelPlatform.WHATSAPP: (Limit("pair", True, 6.0, 10), Limit("number", False, 1 / 80, 80)),
    ChannelPlatform.INSTAGRAM: (Limit("user", True, 1.0, 3), Limit("account", False, 1 / 100, 100)),
}


def limits_for(platform: str) -> tuple[Limit, ...]:
    """The platform's limits, with the Telegram bot-wide rate from settings."""
    limits = LIMITS.get(platform, ())
    if platform == ChannelPlatform.TELEGRAM:
        rate = max(1, int(getattr(settings, "TELEGRAM_MESSAGES_PER_SECOND", 30) or 30))
        limits = tuple(Limit(lim.scope, False, 1 / rate, rate) if lim.scope == "bot" else lim for lim in limits)
    return limits


# GCRA over several keys at once: either every limit has room (all are charged) or none
# is charged and the script answers how many ms to wait. Redis TIME keeps every worker
# on one clock.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[(i - 1) * 3 + 1])
  local burst = tonumber(ARGV[(i - 1) * 3 + 2])
  local cost = tonumber(ARGV[(i - 1) * 3 + 3])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval * cost
  local allow_at = new_tat - interval * burst
  if allow_at - now > wait then wait = allow_at - now end
  tats[i] = new_tat
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, tats[i], 'PX', math.max(1, tats[i] - now + 1000))
end
return 0
"""

_redis = None
_redis_url = ""


def _client():
    """One Redis client per process (its pool is thread-safe), rebuilt if the URL changes."""
    global _redis, _redis_url
    if _redis is None or _redis_url != settings.REDIS_APP_URL:
        from agnt.scheduling import redis_client

        _redis, _redis_url = redis_client(), settings.REDIS_APP_URL
    return _redis


def _limit_key(platform: str, limit: Limit, recipient: str) -> str:
    return f"agnt:rl:{platform}:{limit.scope}" + (f":{recipient}" if limit.per_recipient else "")


def rate_acquire(*, platform: str, recipient: str, cost: int = 1) -> float:
    """Take ``cost`` message tokens for ``recipient``; returns 0 when granted, else seconds to wait."""
    limits = limits_for(platform)
    if not limits:
        return 0.0
    keys, args = [], []
    for limit in limits:
        keys.append(_limit_key(platform, limit, recipient))
        interval_ms = max(1, int(limit.interval * 1000))
        args += [interval_ms, limit.burst, max(1, min(cost, limit.burst))]
    wait_ms = int(_client().eval(_GCRA, len(keys), *keys, *args))
    return wait_ms / 1000.0


def rate_pause(*, platform: str, recipient: str, seconds: float) -> None:
    """The provider said 429: hold this recipient's limiter for ``seconds`` in every worker."""
    for limit in limits_for(platform):
        if not limit.per_recipient:
            continue
        interval_ms = int(limit.interval * 1000)
        client = _client()
        now_s, now_us = client.time()
        now_ms = now_s * 1000 + now_us // 1000
        tat = now_ms + int(seconds * 1000) + interval_ms * (limit.burst - 1)
        client.set(_limit_key(platform, limit, recipient), tat, px=max(1, tat - now_ms + 1000))


# --------------------------------------------------------------------------- sending


@dataclass
class SendOutcome:
    status: str  # sent | deferred | retry | failed | skipped
    retry_in: float = 0.0
    detail: str = ""


def _backoff(attempts: int) -> float:
    base = float(_setting("SEND_RETRY_BASE_SECONDS", 2))
    return min(300.0, base * 2 ** max(0, attempts - 1)) + random.uniform(0, base / 2)


def _payload_merge(interaction: Interaction, **values) -> None:
    interaction_payload_merge(interaction=interaction, **values)


def _channel_deactivate(channel: UserChannel, reason: str) -> None:
    # the user blocked the bot / left: stop trying until they write again (user_channel_bind reactivates)
    logger.info("channel %s deactivated: %s", channel.pk, reason)
    user_channel_deactivate(channel=channel, reason=reason)


def _remaining_parts(interaction: Interaction) -> tuple[list[str], list[str]]:
    limit, measure = TEXT_LIMITS.get(interaction.platform, (4096, len))
    parts = split_text(interaction.text, limit, measure)
    already = [str(i) for i in (interaction.payload or {}).get("provider_message_ids", [])]
    return parts[len(already) :], already


def _deliver(interaction: Interaction, channel: UserChannel, parts: list[str], sent_ids: list[str]) -> None:
    """Call the provider for each part, appending provider ids to ``sent_ids`` as they succeed."""
    platform = interaction.platform
    payload = interaction.payload or {}
    if platform == ChannelPlatform.TELEGRAM:
        from messaging.clients import telegram

        buttons = payload.get("buttons") or []
        keyboard = (
            {"inline_keyboard": [[{"text": b["title"], "callback_data": b["id"]} for b in buttons]]}
            if buttons
            else None
        )
        for index, part in enumerate(parts):
            markup = (payload.get("reply_markup") or keyboard) if index == len(parts) - 1 else None
            sent_ids.append(str(telegram.send_message(channel.external_id, part, reply_markup=markup)))
    elif platform == ChannelPlatform.WHATSAPP:
        from messaging.clients import whatsapp

        if not whatsapp_window_open(channel=channel):
            sent_ids.append(_whatsapp_template(interaction, channel, " ".join(parts)))
            return
        buttons = payload.get("buttons") or []
        for index, part in enumerate(parts):
            try:
                if buttons and index == len(parts) - 1:
                    sent_ids.append(whatsapp.send_buttons(channel.external_id, part, buttons))
                    continue
                sent_ids.append(whatsapp.send_text(channel.external_id, part))
            except WindowClosed:
                # Meta's clock says the window closed (our last_inbound_at is behind): template instead
                sent_ids.append(_whatsapp_template(interaction, channel, " ".join(parts[index:])))
                return
    elif platform == ChannelPlatform.INSTAGRAM:
        from messaging.clients import instagram

        buttons = payload.get("buttons") or []
        for index, part in enumerate(parts):
            replies = buttons if index == len(parts) - 1 else None
            sent_ids.append(instagram.send_text(channel.external_id, part, quick_replies=replies))
    else:  # guarded by the caller
        raise ProviderPermanentError(f"no provider for platform {platform}")


def _whatsapp_template(interaction: Interaction, channel: UserChannel, text: str) -> str:
    from messaging.clients import whatsapp

    name = settings.WHATSAPP_TEMPLATE_NAME
    language = settings.WHATSAPP_TEMPLATE_LANGUAGE
    if not name:
        raise ProviderPermanentError("outside the WhatsApp 24 h window and WHATSAPP_TEMPLATE_NAME is not set")
    wamid = whatsapp.send_template(channel.external_id, name, language, [text])
    _payload_merge(interaction, template=name)
    return wamid


def send_claim_seconds(parts: int) -> float:
    """How long a sender may stay in the provider calls of ``parts`` messages: each call's
    connect (5 s) and read timeouts, plus a margin. A claim older than this is a dead sender's."""
    per_call = float(_setting("CHANNEL_HTTP_TIMEOUT_SECONDS", 10)) + 5.0
    return max(1, parts) * per_call + 2.0


def interaction_send(*, interaction_id: str, interaction: Interaction | None = None) -> SendOutcome:
    """One attempt to deliver a queued outbound Interaction (see the module docstring).

    ``interaction``: the row the caller just wrote (an inline send), saving a read; its
    status is re-checked under the row lock at the claim either way.
    """
    if interaction is None or str(interaction.pk) != str(interaction_id):
        interaction = Interaction.objects.select_related("channel").filter(pk=interaction_id).first()
    if interaction is None or interaction.direction != InteractionDirection.OUTBOUND:
        return SendOutcome("skipped", detail="no such outbound message")
    if interaction.status == S.SENDING and interaction.next_attempt_at is not None:
        # a redelivered task (its worker died mid-call) or a duplicate: the claim decides
        left = (interaction.next_attempt_at - timezone.now()).total_seconds()
        if left > 0:
            return SendOutcome("deferred", retry_in=left + 0.5, detail="another worker's claim is running")
        if not interaction_send_reclaim(interaction_id=interaction.pk, now=timezone.now()):
            return SendOutcome("skipped", detail="claimed again meanwhile")
        interaction.refresh_from_db()
    if interaction.status != S.QUEUED:
        return SendOutcome("skipped", detail=f"already {interaction.status}")
    channel = interaction.channel
    if interaction.platform == ChannelPlatform.WEB:
        interaction_mark_status(interaction=interaction, status=S.SENT)
        return SendOutcome("sent")
    if interaction.platform not in PROVIDER_PLATFORMS:
        interaction_mark_status(
            interaction=interaction, status=S.FAILED, error=f"no provider for platform {interaction.platform}"
        )
        return SendOutcome("failed", detail="no provider")
    if channel is None or not channel.is_active:
        interaction_mark_status(
            interaction=interaction, status=S.FAILED, error="the user's channel is inactive or gone"
        )
        return SendOutcome("failed", detail="channel inactive")

    parts, sent_ids = _remaining_parts(interaction)
    if not parts:  # every part went out in an earlier attempt that died before recording it
        interaction_mark_status(
            interaction=interaction, status=S.SENT, provider_message_id=sent_ids[0] if sent_ids else None
        )
        return SendOutcome("sent")
    wait = rate_acquire(platform=interaction.platform, recipient=channel.external_id, cost=len(parts))
    if wait > 0:
        return SendOutcome("deferred", retry_in=wait, detail="rate limited (ours)")

    # the claim: queued → sending under the row lock; False when another worker got there first.
    # It runs out when the calls must have ended (timeouts): still ``sending`` then, the
    # sender died and the relay (every 5 s) or the redelivered task sends it again.
    claim_until = timezone.now() + timedelta(seconds=send_claim_seconds(len(parts)))
    if not interaction_mark_status(
        interaction=interaction, status=S.SENDING, expect=S.QUEUED, next_attempt_at=claim_until
    ):
        return SendOutcome("skipped", detail=f"already {interaction.status}")

    new_ids: list[str] = []
    try:
        _deliver(interaction, channel, parts, new_ids)
    except ProviderRateLimited as exc:
        _record_progress(interaction, sent_ids, new_ids)
        rate_pause(platform=interaction.platform, recipient=channel.external_id, seconds=exc.retry_after)
        return _retry_or_fail(interaction, str(exc), retry_in=max(exc.retry_after, 0.5), give_up_at=2 * _max_attempts())
    except ProviderTemporaryError as exc:
        _record_progress(interaction, sent_ids, new_ids)
        return _retry_or_fail(
            interaction, str(exc), retry_in=_backoff(interaction.attempts), give_up_at=_max_attempts()
        )
    except ProviderPermanentError as exc:
        _record_progress(interaction, sent_ids, new_ids)
        if exc.recipient_gone:
            _channel_deactivate(channel, str(exc))
        interaction_mark_status(interaction=interaction, status=S.FAILED, error=str(exc)[:1000])
        return SendOutcome("failed", detail=str(exc))
    except ProviderError as exc:  # any other provider error: treat as temporary
        _record_progress(interaction, sent_ids, new_ids)
        return _retry_or_fail(
            interaction, str(exc), retry_in=_backoff(interaction.attempts), give_up_at=_max_attempts()
        )

    all_ids = sent_ids + new_ids
    interaction_mark_status(
        interaction=interaction,
        status=S.SENT,
        provider_message_id=all_ids[0] if all_ids else None,
        payload={"provider_message_ids": all_ids},
    )
    return SendOutcome("sent")


def _interaction_requeue(interaction: Interaction) -> None:
    """sending → queued: rate-limited by the provider, or a temporary error to retry."""
    interaction_mark_status(interaction=interaction, status=S.QUEUED)


def _max_attempts() -> int:
    return int(_setting("SEND_MAX_ATTEMPTS", 5))


def _record_progress(interaction: Interaction, sent_ids: list[str], new_ids: list[str]) -> None:
    if new_ids:
        _payload_merge(interaction, provider_message_ids=sent_ids + new_ids)


def _retry_or_fail(interaction: Interaction, error: str, *, retry_in: float, give_up_at: int) -> SendOutcome:
    if interaction.attempts < give_up_at:
        _interaction_requeue(interaction)
        return SendOutcome("retry", retry_in=retry_in, detail=error)
    # out of quick retries: park it for the retry_failed_sends job — unless it has been
    # parked too many times already, then it stays failed for a human to look at
    total_cap = int(_setting("SEND_GIVE_UP_ATTEMPTS", 15))
    next_attempt = None
    if interaction.attempts < total_cap:
        next_attempt = timezone.now() + timedelta(minutes=int(_setting("SEND_RETRY_FAILED_AFTER_MINUTES", 15)))
    interaction_mark_status(interaction=interaction, status=S.FAILED, error=error[:1000], next_attempt_at=next_attempt)
    return SendOutcome("failed", detail=error)


# In eager mode (tests, a dev server without a worker) there is nothing to schedule a
# countdown on: wait in place, bounded, and leave the row queued if it is still limited.
_EAGER_MAX_WAIT = 3.0
_EAGER_MAX_ROUNDS = 8


@shared_task(name="messaging.send_interaction", bind=True, queue="messaging", acks_late=True, ignore_result=True)
def send_interaction(self, interaction_id: str) -> str:
    """Deliver one outbound message; re-enqueues itself with a countdown when limited or retrying."""
    for _ in range(_EAGER_MAX_ROUNDS):
        outcome = interaction_send(interaction_id=interaction_id)
        if outcome.retry_in <= 0:
            return outcome.status
        if not self.request.is_eager:
            from agnt.services import task_enqueue

            task_enqueue(send_interaction, args=[interaction_id], countdown=outcome.retry_in)
            return outcome.status
        time.sleep(min(outcome.retry_in, _EAGER_MAX_WAIT))
    return "deferred"


# --------------------------------------------------------------------------- periodic jobs

STALE_AFTER = timedelta(minutes=10)


def sends_requeue_due(*, limit: int = 200) -> list[str]:
    """Re-queue outbound messages that need another try; returns their ids (enqueued on commit).

    - ``failed`` with a due ``next_attempt_at`` (temporary errors that used up their quick retries);
    - ``queued`` rows untouched for 10 minutes (their task was lost: broker down at enqueue);
    - ``sending`` rows untouched for 10 minutes (the worker died mid-call). The provider
      may have received that one, so a duplicate is possible — better than silence.
    """
    now = timezone.now()
    ids: list[str] = []
    outbound = Interaction.objects.filter(direction=InteractionDirection.OUTBOUND)
    with transaction.atomic():
        for interaction in outbound.filter(status=S.SENDING, updated_at__lt=now - STALE_AFTER).select_for_update(
            skip_locked=True
        )[:limit]:
            interaction_mark_status(
                interaction=interaction, status=S.FAILED, error="worker lost during send", next_attempt_at=now
            )
        due = (
            outbound.filter(status=S.FAILED, next_attempt_at__lte=now)
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at")[:limit]
        )
        for interaction in due:
            try:
                interaction_mark_status(interaction=interaction, status=S.QUEUED)
            except InteractionTransitionError:
                continue
            ids.append(str(interaction.pk))
        stale = outbound.filter(status=S.QUEUED, updated_at__lt=now - STALE_AFTER).exclude(pk__in=ids)[:limit]
        stale_ids = [str(pk) for pk in stale.values_list("pk", flat=True)]
        ids += stale_ids
        for interaction_id in ids:
            transaction.on_commit(lambda i=interaction_id: _enqueue(i))
    if stale_ids:
        # a queued message nobody sent for ten minutes: its task was lost — worth a look
        from agnt.services import fault_record

        fault_record(
            kind="send_requeued_by_sweep",
            logger_name="messaging.send",
            message=f"{len(stale_ids)} outbound message(s) were re-queued by the retry_failed_sends sweep",
            context={"interaction_ids": stale_ids[:50]},
        )
    return ids


def sends_reclaim_dead(*, now=None, limit: int = 200) -> list[str]:
    """Send again the messages whose sender died mid-call: still ``sending`` after their
    claim ran out (seconds, see send_claim_seconds) — not after the ten-minute sweep.
    Called by the pipeline relay every 5 s; returns the ids re-queued (enqueued on commit)."""
    now = now or timezone.now()
    ids: list[str] = []
    dead = Interaction.objects.filter(
        direction=InteractionDirection.OUTBOUND, status=S.SENDING, next_attempt_at__lte=now
    ).values_list("pk", flat=True)[:limit]
    for interaction_id in list(dead):
        with transaction.atomic():
            if interaction_send_reclaim(interaction_id=interaction_id, now=now):
                ids.append(str(interaction_id))
                transaction.on_commit(lambda i=str(interaction_id): _enqueue(i))
    return ids


def _enqueue(interaction_id: str) -> None:
    from agnt.services import task_enqueue

    task_enqueue(send_interaction, args=[interaction_id])


@periodic_job(name="retry_failed_sends", schedule=timedelta(minutes=2), queue="messaging", expires=100)
@shared_task(name="messaging.retry_failed_sends")
def retry_failed_sends() -> int:
    """Re-queue outbound messages whose send failed temporarily (or whose task was lost)."""
    return len(sends_requeue_due())


def _reminder_channel(reminder) -> UserChannel | None:
    from messaging.services import user_channel_preferred

    same_platform = (
        UserChannel.objects.filter(user_id=reminder.user_id, platform=reminder.channel, is_active=True)
        .order_by("-last_inbound_at", "-created_at")
        .first()
    )
    return same_platform or user_channel_preferred(user=reminder.user)


def reminders_dispatch(*, limit: int = 100) -> int:
    """Send every due reminder on the user's channel of its platform (else their most recently
    active channel) through the send queue; returns how many were handed over.

    A reminder counts as sent once its message is queued: delivery, retries and the
    WhatsApp template fallback are the send queue's job and show on the Interaction
    (``payload["reminder_id"]`` links the two).
    """
    from bookings.selectors import reminders_due
    from bookings.services import reminder_mark_sent, reminder_record_failure

    handed = 0
    with transaction.atomic():
        for reminder in reminders_due(limit=limit, lock=True):
            try:
                with transaction.atomic():
                    from messaging.push import push_notification_enqueue

                    pushed = push_notification_enqueue(
                        user_id=reminder.user_id,
                        kind="reminder",
                        title="⏰ Reminder",
                        body=reminder.text,
                        dedupe_key=f"reminder:{reminder.pk}",
                    )
                    channel = _reminder_channel(reminder)
                    if channel is None:
                        if pushed is not None:
                            reminder_mark_sent(reminder=reminder)
                            handed += 1
                        else:
                            reminder_record_failure(
                                reminder=reminder, error="the user has no active messaging channel or browser"
                            )
                        continue
                    from messaging.outbound import reply_send

                    reply_send(
                        channel=channel,
                        text=f"⏰ Reminder: {reminder.text}",
                        booking=reminder.booking,
                        source=InteractionSource.SYSTEM,
                        payload={"reminder_id": str(reminder.pk)},
                    )
                    reminder_mark_sent(reminder=reminder)
                    handed += 1
            except Exception as exc:
                logger.exception("reminder %s could not be dispatched", reminder.pk)
                try:
                    with transaction.atomic():
                        reminder_record_failure(reminder=reminder, error=f"dispatch error: {type(exc).__name__}")
                except Exception:
                    logger.exception("reminder %s: recording the failure failed too", reminder.pk)
    return handed


@periodic_job(name="dispatch_due_reminders", schedule=timedelta(minutes=1), queue="messaging", expires=55)
@shared_task(name="messaging.dispatch_due_reminders")
def dispatch_due_reminders() -> int:
    """Send reminders whose time has come (set_reminder tool, booking reminders)."""
    return reminders_dispatch()


__all__ = ["send_interaction", "retry_failed_sends", "dispatch_due_reminders"]
