"""Outbound messages: what the rest of the code calls to say something to a user.

``reply_send`` records the outbound Interaction (status ``queued``) and, once the caller's
transaction commits, hands it to the send queue (messaging.send_queue.send_interaction),
which owns rate limits, retries, splitting and the WhatsApp template fallback.
``delivery_status_apply`` moves an outbound message along sent → delivered → read / failed
when the provider reports a receipt.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.db import transaction

from messaging.models import Interaction, InteractionDirection, InteractionKind, InteractionSource, UserChannel
from messaging.parsing import StatusUpdate
from messaging.services import InteractionTransitionError, interaction_mark_status, interaction_record_outbound
from messaging.state import InteractionStatus

logger = logging.getLogger(__name__)


def reply_send(
    *,
    channel: UserChannel,
    text: str,
    reply_to: Interaction | None = None,
    booking=None,
    source: str = InteractionSource.CONCIERGE,
    payload: dict | None = None,
    send_inline: bool = False,
) -> Interaction:
    """Queue ``text`` for ``channel``'s user; returns the outbound Interaction (status queued).

    The send task is enqueued on commit, so a rolled-back turn sends nothing. ``payload``
    may carry ``reply_markup`` (Telegram inline keyboard) for the last message part.
    ``send_inline`` (the router's replies): the calling worker makes the first delivery
    attempt itself on commit — one task per message instead of two, replies leave in the
    order they were written, and an apology goes out even with the broker down. Anything
    it cannot finish (a rate limit, a retry) goes to the send queue as usual.
    """
    text = (text or "").strip()
    if not text:
        raise ValueError("an outbound message needs a text")
    interaction = interaction_record_outbound(
        platform=channel.platform,
        text=text,
        payload=payload or {},
        kind=InteractionKind.TEXT,
        source=source,
        channel=channel,
        booking=booking,
        reply_to=reply_to,
    )
    interaction_id = str(interaction.pk)
    if send_inline:
        transaction.on_commit(lambda: _send_now(interaction_id, interaction))
    else:
        transaction.on_commit(lambda: _enqueue_send(interaction_id))
    return interaction


def _enqueue_send(interaction_id: str, countdown: float | None = None) -> None:
    from agnt.services import task_enqueue
    from messaging.send_queue import send_interaction

    # broker down: the task waits in the outbox and is published within seconds of its return
    task_enqueue(send_interaction, args=[interaction_id], countdown=countdown)


def _send_now(interaction_id: str, interaction: Interaction | None = None) -> None:
    from messaging.send_queue import interaction_send

    try:
        outcome = interaction_send(interaction_id=interaction_id, interaction=interaction)
    except Exception:  # noqa: BLE001 - Redis (rate limits) or the database hiccuped: the queue retries
        logger.warning(
            "inline send of interaction %s failed; handing it to the send queue", interaction_id, exc_info=True
        )
        _enqueue_send(interaction_id)
        return
    if outcome.retry_in > 0:
        _enqueue_send(interaction_id, countdown=outcome.retry_in)


_RECEIPT_STATUS = {
    "sent": InteractionStatus.SENT,
    "delivered": InteractionStatus.DELIVERED,
    "read": InteractionStatus.READ,
    "failed": InteractionStatus.FAILED,
}


def delivery_status_apply(*, platform: str, update: StatusUpdate) -> bool:
    """Apply a provider delivery receipt to our outbound Interaction; returns whether it changed.

    Receipts for ids we do not know (messages sent by another system on the same number,
    or parts 2..n of a split message) and receipts the status machine refuses (a late
    "failed" after "read") are ignored.
    """
    interaction = Interaction.objects.filter(
        platform=platform, provider_message_id=update.provider_message_id, direction=InteractionDirection.OUTBOUND
    ).first()
    if interaction is None:
        logger.debug(
            "%s receipt %s for unknown message %s ignored", platform, update.status, update.provider_message_id
        )
        return False
    at = datetime.fromtimestamp(update.timestamp, tz=UTC) if update.timestamp else None
    try:
        return interaction_mark_status(
            interaction=interaction,
            status=_RECEIPT_STATUS[update.status],
            error=update.error or ("failed" if update.status == "failed" else ""),
            at=at,
        )
    except InteractionTransitionError as exc:
        logger.info("%s receipt ignored: %s", platform, exc)
        return False
