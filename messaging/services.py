"""Writes for the messaging app: channel bindings, the interaction log, conversation snapshots."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from agnt import crypto
from agnt.transitions import transition
from messaging.models import (
    ChannelPlatform,
    ConversationSnapshot,
    Interaction,
    InteractionDirection,
    InteractionKind,
    InteractionSource,
    SnapshotReason,
    UserChannel,
)
from messaging.state import INTERACTION_TRANSITIONS, OUTBOUND_PROGRESS, InteractionStatus

LAST_INBOUND_RESOLUTION = timedelta(seconds=60)


class InteractionTransitionError(ValueError):
    """The interaction status machine does not allow this move."""


def _new_username(platform: str) -> str:
    # usernames are internal; people are known by their channel handle / display name
    return f"{platform[:2]}-{secrets.token_hex(6)}"


@transaction.atomic(savepoint=False)  # joins the caller's transaction; the insert below has its own savepoint
def user_channel_bind(
    *,
    platform: str,
    external_id: str,
    username: str = "",
    display_name: str = "",
    language_code: str = "",
    referral_code: str = "",
    user=None,
    with_user: bool = True,
) -> tuple[UserChannel, bool]:
    """The binding for a platform identity, creating the user and the binding on first contact.

    Returns (channel, created). Passing ``user`` links the identity to an existing account
    (e.g. after a login-with-Telegram). Two webhooks for the same new chat racing here
    both end with the same binding: the unique (platform, external_id) decides.
    """
    if platform not in ChannelPlatform.values:
        raise ValueError(f"unknown channel platform {platform!r}")
    external_id = str(external_id)
    channels = UserChannel.objects.filter(platform=platform, external_id=external_id)
    # the webhook path only needs the binding (and user_id); the user row is loaded lazily
    channel = (channels.select_related("user") if with_user else channels).first()
    if channel is not None:
        changed = []
        for field, value in (("username", username), ("display_name", display_name), ("language_code", language_code)):
            if value and getattr(channel, field) != value:
                setattr(channel, field, value)
                changed.append(field)
        if not channel.is_active:
            channel.is_active = True
            changed.append("is_active")
        if changed:
            channel.save(update_fields=[*changed, "updated_at"])
        return channel, False

    try:
        with transaction.atomic():
            if user is None:
                User = get_user_model()
                user = User(username=_new_username(platform), display_name=display_name[:120])
                user.set_unusable_password()
                user.save()
            channel = UserChannel.objects.create(
                user=user,
                platform=platform,
                external_id=external_id,
                username=username,
                display_name=display_name,
                language_code=language_code,
                referral_code_used=referral_code[:16],
            )
    except IntegrityError:
        # lost the race: another request bound this identity a moment ago
        return UserChannel.objects.select_related("user").get(platform=platform, external_id=external_id), False
    return channel, True


@transaction.atomic(savepoint=False)  # the insert has its own savepoint for the dedupe
def interaction_record_inbound(
    *,
    platform: str,
    provider_message_id: str | None,
    text: str = "",
    payload: dict[str, Any] | None = None,
    kind: str = InteractionKind.TEXT,
    source: str = InteractionSource.USER,
    channel: UserChannel | None = None,
    user=None,
    booking=None,
    api_key=None,
) -> tuple[Interaction, bool]:
    """Store an inbound message once; returns (interaction, created).

    Deduplication is the database's job: the partial unique constraint on
    (platform, provider_message_id) rejects the second insert of a redelivered webhook,
    even when two deliveries race in parallel. The insert runs in a savepoint so the
    caller's transaction survives the rejection.
    """
    user_id = user.pk if user is not None else (channel.user_id if channel is not None else None)
    try:
        with transaction.atomic():
            interaction = Interaction.objects.create(
                platform=platform,
                provider_message_id=provider_message_id or None,
                direction=InteractionDirection.INBOUND,
                source=source,
                kind=kind,
                text=text,
                payload=payload or {},
                status=InteractionStatus.RECEIVED,
                channel=channel,
                user_id=user_id,
                booking=booking,
                api_key=api_key,
            )
    except IntegrityError:
        if not provider_message_id:
            raise
        existing = Interaction.objects.get(
            platform=platform, provider_message_id=provider_message_id, direction=InteractionDirection.INBOUND
        )
        return existing, False
    if channel is not None:
        # The WhatsApp 24 h customer-service window opens at every inbound message. A burst
        # of messages needs one write, not one per message: a minute changes nothing here.
        now = interaction.created_at or timezone.now()
        if channel.last_inbound_at is None or now - channel.last_inbound_at > LAST_INBOUND_RESOLUTION:
            UserChannel.objects.filter(pk=channel.pk).update(last_inbound_at=now, window_closed_at=None)
            channel.last_inbound_at = now
            channel.window_closed_at = None
    return interaction, True


@transaction.atomic
def interaction_record_outbound(
    *,
    platform: str,
    text: str = "",
    payload: dict[str, Any] | None = None,
    kind: str = InteractionKind.TEXT,
    source: str = InteractionSource.CONCIERGE,
    channel: UserChannel | None = None,
    user=None,
    booking=None,
    reply_to: Interaction | None = None,
) -> Interaction:
    """An outbound message queued for the send queue."""
    return Interaction.objects.create(
        platform=platform,
        direction=InteractionDirection.OUTBOUND,
        source=source,
        kind=kind,
        text=text,
        payload=payload or {},
        status=InteractionStatus.QUEUED,
        channel=channel,
        user=user if user is not None else (channel.user if channel else None),
        booking=booking,
        reply_to=reply_to,
    )


_STATUS_TIMESTAMPS = {
    InteractionStatus.SENT: "sent_at",
    InteractionStatus.DELIVERED: "delivered_at",
    InteractionStatus.READ: "read_at",
}


# The steps every answered message takes (inbound received → processing → processed,
# its reply queued → sending → sent): one conditional UPDATE each, see _mark_status_step.
_PIPELINE_STEPS = {
    (InteractionStatus.RECEIVED, InteractionStatus.PROCESSING),
    (InteractionStatus.PROCESSING, InteractionStatus.PROCESSED),
    (InteractionStatus.QUEUED, InteractionStatus.SENDING),
    (InteractionStatus.SENDING, InteractionStatus.SENT),
}


def interaction_mark_status(
    *,
    interaction: Interaction,
    status: str,
    error: str = "",
    provider_message_id: str | None = None,
    next_attempt_at: datetime | None = None,
    at: datetime | None = None,
    expect: str | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Move a message to ``status``; returns False for a stale receipt that was ignored.

    Delivery receipts arrive out of order, so a receipt for an earlier step than the
    current one (``delivered`` after ``read``) is ignored rather than treated as an error.
    Anything else the state machine forbids raises InteractionTransitionError.
    """
    known = expect or interaction.status
    if (known, status) in _PIPELINE_STEPS and not error and at is None:
        if _mark_status_step(interaction, known, status, provider_message_id, next_attempt_at, payload):
            return True
        # the row was not where the caller thought: decide under the row lock, as below
    return _mark_status_locked(
        interaction=interaction,
        status=status,
        error=error,
        provider_message_id=provider_message_id,
        next_attempt_at=next_attempt_at,
        at=at,
        expect=expect,
        payload=payload,
    )


def _mark_status_step(
    interaction: Interaction,
    current: str,
    status: str,
    provider_message_id: str | None,
    next_attempt_at: datetime | None,
    payload: dict[str, Any] | None,
) -> bool:
    """One of the pipeline's own forward steps as a single conditional UPDATE … RETURNING
    (``WHERE status = current``): the same row changes as the locked path below makes,
    in one round trip instead of BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT. False (and
    nothing written) when the row had moved on; the caller then takes the locked path.
    """
    import json

    from django.db import connection

    now = timezone.now()
    sets = ["status = %s", "updated_at = %s"]
    params: list[Any] = [status, now]
    if status in (InteractionStatus.SENDING, InteractionStatus.PROCESSING):
        sets.append("attempts = attempts + 1")
    if status == InteractionStatus.SENDING:
        sets.append("next_attempt_at = %s")
        params.append(next_attempt_at)
    elif current == InteractionStatus.SENDING:
        sets.append("next_attempt_at = NULL")
    if status == InteractionStatus.SENT:
        sets.append("sent_at = COALESCE(sent_at, %s)")
        params.append(now)
    if provider_message_id:
        sets.append("provider_message_id = COALESCE(NULLIF(provider_message_id, ''), %s)")
        params.append(provider_message_id)
    if payload:
        sets.append("payload = COALESCE(payload, '{}'::jsonb) || %s::jsonb")
        params.append(json.dumps(payload))
    table = Interaction._meta.db_table
    returned = ("status", "updated_at", "attempts", "next_attempt_at", "sent_at", "provider_message_id", "payload")
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" SET {", ".join(sets)} WHERE id = %s AND status = %s '  # noqa: S608 - fixed column names
            f"RETURNING {', '.join(returned)}",
            [*params, interaction.pk, current],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    for field, value in zip(returned, row, strict=True):
        if field == "payload" and isinstance(value, str):
            value = json.loads(value)
        setattr(interaction, field, value)
    if status == InteractionStatus.SENT and interaction.channel_id:
        UserChannel.objects.filter(pk=interaction.channel_id).update(last_outbound_at=now)
    return True


@transaction.atomic
def _mark_status_locked(
    *,
    interaction: Interaction,
    status: str,
    error: str = "",
    provider_message_id: str | None = None,
    next_attempt_at: datetime | None = None,
    at: datetime | None = None,
    expect: str | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    locked = Interaction.objects.select_for_update().get(pk=interaction.pk)
    current = locked.status
    if current == status or (expect is not None and current != expect):
        # ``expect``: a claim (queued → sending) that another worker already made
        interaction.status = current
        return False
    # sending → queued is the one deliberate step back (the provider rate-limited us, or a
    # temporary error will be retried); any other backwards move is a stale receipt.
    requeue = current == InteractionStatus.SENDING and status == InteractionStatus.QUEUED
    if (
        not requeue
        and current in OUTBOUND_PROGRESS
        and status in OUTBOUND_PROGRESS
        and OUTBOUND_PROGRESS[status] < OUTBOUND_PROGRESS[current]
    ):
        return False
    now = at or timezone.now()

    def stamps(row: Interaction, from_status: str) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if status == InteractionStatus.FAILED:
            fields["error"], fields["next_attempt_at"] = error or "failed", next_attempt_at
        elif status == InteractionStatus.SENDING:
            # the send claim's deadline: still ``sending`` after it, the sender died mid-call
            fields["next_attempt_at"] = next_attempt_at
        elif from_status == InteractionStatus.SENDING and row.next_attempt_at is not None:
            fields["next_attempt_at"] = None
        if status in (InteractionStatus.SENDING, InteractionStatus.PROCESSING):
            fields["attempts"] = row.attempts + 1
        if provider_message_id and not row.provider_message_id:
            fields["provider_message_id"] = provider_message_id
        # a "read" receipt implies sent and delivered; fill the gaps so reports stay consistent
        for step in (InteractionStatus.SENT, InteractionStatus.DELIVERED, InteractionStatus.READ):
            stamp = _STATUS_TIMESTAMPS[step]
            if OUTBOUND_PROGRESS.get(status, -1) >= OUTBOUND_PROGRESS[step] and getattr(row, stamp) is None:
                fields[stamp] = now
        if payload:
            fields["payload"] = {**(row.payload or {}), **payload}
        return fields

    transition(
        interaction,
        to_status=status,
        table=INTERACTION_TRANSITIONS,
        changes=stamps,
        refuse=lambda row, from_status: InteractionTransitionError(
            f"interaction {row.pk} cannot move from {from_status} to {status}"
        ),
        locked=locked,
    )
    if status == InteractionStatus.SENT and locked.channel_id:
        UserChannel.objects.filter(pk=locked.channel_id).update(last_outbound_at=now)
    return True


@transaction.atomic
def interaction_send_reclaim(*, interaction_id, now: datetime) -> bool:
    """A send whose claim ran out while still ``sending`` (its worker died during the
    provider call): back to ``queued`` so it goes out again, with an ErrorLog row and a
    metric. False when the row moved on meanwhile (sent, or claimed again by a live sender).

    The provider may have received the first call, so a rare duplicate is possible —
    better than the guest hearing nothing.
    """
    from agnt.services import fault_record

    locked = Interaction.objects.select_for_update().filter(pk=interaction_id).first()
    if (
        locked is None
        or locked.status != InteractionStatus.SENDING
        or locked.next_attempt_at is None
        or locked.next_attempt_at > now
    ):
        return False
    interaction_mark_status(interaction=locked, status=InteractionStatus.QUEUED, expect=InteractionStatus.SENDING)
    fault_record(
        kind="send_worker_lost",
        logger_name="messaging.send",
        message=f"outbound message {locked.pk} was still sending after its claim ran out; sending it again",
        context={"interaction_id": str(locked.pk), "attempts": locked.attempts},
    )
    return True


@transaction.atomic
def conversation_snapshot_take(
    *, user, platform: str, messages: list[dict[str, Any]], reason: str = SnapshotReason.DAILY
) -> ConversationSnapshot:
    """Store an encrypted copy of a conversation (messages as the session store keeps them)."""
    timestamps = sorted(str(m["ts"]) for m in messages if isinstance(m, dict) and m.get("ts"))
    return ConversationSnapshot.objects.create(
        user=user,
        platform=platform,
        messages_ciphertext=crypto.encrypt_json(messages),
        message_count=len(messages),
        reason=reason,
        first_message_at=_parse_ts(timestamps[0]) if timestamps else None,
        last_message_at=_parse_ts(timestamps[-1]) if timestamps else None,
        taken_at=timezone.now(),
    )


def _parse_ts(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def user_language_remember(*, user, language: str) -> bool:
    """Store the language the guest last wrote in, so news that reaches them later (a
    venue's answer, reminders, waitlist offers) is written in it. An English regional
    variant already chosen (en-AU) is kept for English; True when the row changed."""
    from agnt.models import Language

    if not language or language not in Language.values:
        return False
    current = str(user.language or "")
    if current == language or (language == "en" and current.split("-")[0] == "en"):
        return False
    user.language = language
    user.save(update_fields=["language", "updated_at"])
    return True


def interaction_record_usage(*, interaction: Interaction, tokens_in: int, tokens_out: int) -> None:
    """Store the LLM tokens a turn spent on the inbound message it answered."""
    if not (tokens_in or tokens_out):
        return
    interaction.tokens_in = tokens_in
    interaction.tokens_out = tokens_out
    Interaction.objects.filter(pk=interaction.pk).update(tokens_in=tokens_in, tokens_out=tokens_out)


def user_channel_preferred(*, user) -> UserChannel | None:
    """The channel to reach a user on unprompted: the active one they wrote from most recently.

    Messaging apps beat the web chat (a notification there is only seen on the next visit).
    """
    channels = list(UserChannel.objects.filter(user=user, is_active=True).order_by("-last_inbound_at", "-created_at"))
    for channel in channels:
        if channel.platform != ChannelPlatform.WEB and channel.last_inbound_at is not None:
            return channel
    return channels[0] if channels else None


STUCK_RECEIVED_AFTER = timedelta(minutes=2)
STUCK_PROCESSING_AFTER = timedelta(minutes=10)


def interaction_requeue_stuck(*, now: datetime | None = None) -> list:
    """Channels with inbound messages nobody answered: received long ago, or stuck in processing.

    A message left ``processing`` for ten minutes belonged to a worker that died; it goes
    back to ``received`` so the next drain answers it (in order, before anything newer).
    """
    now = now or timezone.now()
    inbound = Interaction.objects.filter(direction=InteractionDirection.INBOUND, channel__isnull=False)
    for interaction in inbound.filter(status=InteractionStatus.PROCESSING, updated_at__lt=now - STUCK_PROCESSING_AFTER)[
        :500
    ]:
        interaction_mark_status(interaction=interaction, status=InteractionStatus.RECEIVED)
    return list(
        inbound.filter(status=InteractionStatus.RECEIVED, created_at__lt=now - STUCK_RECEIVED_AFTER)
        .values_list("channel_id", flat=True)
        .distinct()[:500]
    )


def conversation_snapshot_daily(*, now: datetime | None = None) -> int:
    """Snapshot every conversation in the session store that changed in the last 24 hours."""
    from django.contrib.auth import get_user_model

    from agnt.scheduling import redis_client
    from messaging import session_store

    now = now or timezone.now()
    since = now - timedelta(days=1)
    client = redis_client()
    taken = 0
    for raw_key in client.scan_iter(match=f"{session_store.KEY_PREFIX}:*", count=500):
        _, _, _, platform, user_id = raw_key.decode().split(":", 4)
        blob = client.get(raw_key)
        if not blob:
            continue
        try:
            data = crypto.decrypt_json(blob.decode("ascii"))
        except (crypto.InvalidToken, ValueError):
            continue
        updated = _parse_ts(str(data.get("updated_at", "")))
        user = get_user_model().objects.filter(pk=user_id).first()
        if user is None or updated is None or updated < since or platform not in ChannelPlatform.values:
            continue
        messages = [{**message, "ts": data.get("updated_at")} for message in data.get("messages", [])]
        conversation_snapshot_take(user=user, platform=platform, messages=messages, reason=SnapshotReason.DAILY)
        taken += 1
    return taken


def interaction_payload_merge(*, interaction: Interaction, **values: Any) -> None:
    """Add keys to an interaction's payload (e.g. the provider ids of a split message's parts)."""
    interaction.payload = {**(interaction.payload or {}), **values}
    Interaction.objects.filter(pk=interaction.pk).update(payload=interaction.payload, updated_at=timezone.now())


def user_channel_deactivate(*, channel: UserChannel, reason: str = "") -> None:
    """The user blocked the bot or is gone from the platform: stop messaging them there."""
    if channel.is_active:
        channel.is_active = False
        channel.save(update_fields=["is_active", "updated_at"])


@transaction.atomic
def user_channel_unlink(*, user, channel: UserChannel) -> None:
    """The user removes a platform identity from their account: the binding is deleted.

    Past interactions stay (their channel becomes empty); the next message from that
    chat is treated as a new contact and gets a fresh account.
    """
    if channel.user_id != user.pk:
        raise ValueError("a channel can only be unlinked by its own user")
    UserChannel.objects.filter(pk=channel.pk, user=user).delete()


@transaction.atomic
def interaction_retry_failed(*, interactions) -> tuple[list[str], list[str]]:
    """Staff retry of failed messages: outbound ones go back to the send queue, inbound ones
    are answered again. Returns (outbound ids to send, channel ids to drain), enqueued on commit."""
    from messaging.send_queue import send_interaction
    from messaging.tasks import process_channel_messages

    to_send: list[str] = []
    to_drain: set[str] = set()
    for interaction in interactions:
        if interaction.status != InteractionStatus.FAILED:
            continue
        if interaction.direction == InteractionDirection.OUTBOUND:
            interaction_mark_status(interaction=interaction, status=InteractionStatus.QUEUED)
            to_send.append(str(interaction.pk))
        elif interaction.channel_id:
            interaction_mark_status(interaction=interaction, status=InteractionStatus.RECEIVED)
            to_drain.add(str(interaction.channel_id))
    from agnt.services import task_enqueue

    for interaction_id in to_send:
        transaction.on_commit(lambda i=interaction_id: task_enqueue(send_interaction, args=[i]))
    for channel_id in to_drain:
        transaction.on_commit(lambda c=channel_id: task_enqueue(process_channel_messages, args=[c]))
    return to_send, sorted(to_drain)


BROKER_EPOCH_KEY = "agnt:broker:epoch"


def _broker_lost_its_queue() -> bool:
    """True once after the broker's database came back empty (a restart without
    persistence, a flush): a sentinel key kept next to the queue is gone with it."""
    import uuid

    import redis

    client = redis.Redis.from_url(settings.REDIS_BROKER_URL, socket_timeout=2, socket_connect_timeout=2)
    return bool(client.set(BROKER_EPOCH_KEY, uuid.uuid4().hex, nx=True))


def pipeline_catch_up(*, settle_seconds: float = 2.0) -> int:
    """Make sure everything accepted is queued: publish the task outbox, send again the
    replies whose sender died mid-call (their claim ran out) and, when the broker lost its
    queue, re-enqueue every conversation with unanswered messages and every reply still
    waiting to be sent. Returns how many tasks were published.

    Re-enqueueing is safe: a drain answers only ``received`` messages under the guest's
    lock, and a send only moves a ``queued`` row.
    """
    from agnt.services import fault_record, task_enqueue, task_outbox_relay
    from messaging.send_queue import send_interaction, sends_reclaim_dead
    from messaging.tasks import process_channel_messages

    published = task_outbox_relay()
    published += len(sends_reclaim_dead())  # a sender that died mid-call: its claim ran out
    if not _broker_lost_its_queue():
        return published
    # rows younger than a moment may still have their own task on the way
    cutoff = timezone.now() - timedelta(seconds=settle_seconds)
    channel_ids = list(
        Interaction.objects.filter(
            direction=InteractionDirection.INBOUND,
            channel__isnull=False,
            status__in=(InteractionStatus.RECEIVED, InteractionStatus.PROCESSING),
            created_at__lt=cutoff,
        )
        .values_list("channel_id", flat=True)
        .distinct()[:5000]
    )
    outbound_ids = list(
        Interaction.objects.filter(
            direction=InteractionDirection.OUTBOUND, status=InteractionStatus.QUEUED, updated_at__lt=cutoff
        ).values_list("pk", flat=True)[:5000]
    )
    for channel_id in channel_ids:
        task_enqueue(process_channel_messages, args=[str(channel_id)])
    for interaction_id in outbound_ids:
        task_enqueue(send_interaction, args=[str(interaction_id)])
    if channel_ids or outbound_ids:
        fault_record(
            kind="broker_queue_lost_catch_up",
            logger_name="messaging.router",
            message=(
                f"the broker came back without its queue: re-enqueued {len(channel_ids)} conversation(s) "
                f"and {len(outbound_ids)} unsent repl(ies)"
            ),
            context={"channels": len(channel_ids), "outbound": len(outbound_ids)},
        )
    return published + len(channel_ids) + len(outbound_ids)


# --------------------------------------------------------------------------- housekeeping jobs


def whatsapp_window_expire(*, now: datetime | None = None) -> dict[str, int]:
    """Mark WhatsApp channels whose 24 h customer-service window has closed (whatsapp_window_expiry).

    ``window_closed_at`` is set to the moment the window closed (last inbound + 24 h); the
    sender then goes straight to the approved template. Without a template configured,
    free-form messages still waiting for a retry cannot be delivered at all: their retry is
    cancelled with the reason, instead of failing again every few minutes until Meta's
    error says the same. The next inbound message reopens the window (clears the mark).
    """
    from django.conf import settings
    from django.db.models import F

    from messaging.selectors import WHATSAPP_SERVICE_WINDOW

    now = now or timezone.now()
    closed = UserChannel.objects.filter(
        platform=ChannelPlatform.WHATSAPP,
        window_closed_at__isnull=True,
        last_inbound_at__lte=now - WHATSAPP_SERVICE_WINDOW,
    ).update(window_closed_at=F("last_inbound_at") + WHATSAPP_SERVICE_WINDOW, updated_at=now)
    stopped = 0
    if not settings.WHATSAPP_TEMPLATE_NAME:
        stopped = Interaction.objects.filter(
            platform=ChannelPlatform.WHATSAPP,
            direction=InteractionDirection.OUTBOUND,
            status=InteractionStatus.FAILED,
            next_attempt_at__isnull=False,
            channel__window_closed_at__isnull=False,
        ).update(
            next_attempt_at=None,
            error="the WhatsApp 24 h window closed and no template (WHATSAPP_TEMPLATE_NAME) is configured",
            updated_at=now,
        )
    return {"closed": closed, "retries_stopped": stopped}


def interaction_retention_purge(*, now: datetime | None = None, batch_size: int | None = None) -> dict[str, int]:
    """Remove messages older than INTERACTION_RETENTION_DAYS (interaction_retention_purge job).

    Set-based, in batches of INTERACTION_PURGE_BATCH_SIZE (each its own short transaction,
    so a large backlog never holds locks for long): messages that belong to a booking stay
    as the booking's record but lose their words (text, payload, error emptied); all others
    are deleted. Conversation snapshots keep their own encrypted copies.
    """
    from django.conf import settings

    now = now or timezone.now()
    batch_size = batch_size or settings.INTERACTION_PURGE_BATCH_SIZE
    cutoff = now - timedelta(days=settings.INTERACTION_RETENTION_DAYS)
    old = Interaction.objects.filter(created_at__lt=cutoff)
    anonymised = deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                old.filter(booking__isnull=False)
                .exclude(text="", payload={}, error="")
                .order_by("created_at")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            anonymised += Interaction.objects.filter(pk__in=ids).update(text="", payload={}, error="", updated_at=now)
    while True:
        with transaction.atomic():
            ids = list(
                old.filter(booking__isnull=True).order_by("created_at").values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            # replies to these keep existing (reply_to is SET NULL: one UPDATE per batch)
            count, _ = Interaction.objects.filter(pk__in=ids).delete()
            deleted += count
    return {"anonymised": anonymised, "deleted": deleted}
