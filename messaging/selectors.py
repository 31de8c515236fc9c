"""Reads for the messaging app."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from messaging.models import ChannelPlatform, Interaction, UserChannel
from messaging.state import InteractionStatus

WHATSAPP_SERVICE_WINDOW = timedelta(hours=24)


def user_channel_get(*, platform: str, external_id: str) -> UserChannel | None:
    return UserChannel.objects.select_related("user").filter(platform=platform, external_id=str(external_id)).first()


def whatsapp_window_open(*, channel: UserChannel) -> bool:
    """WhatsApp allows free-form messages only within 24 h of the user's last message."""
    if channel.platform != ChannelPlatform.WHATSAPP:
        return True
    if channel.window_closed_at is not None:
        return False  # marked by whatsapp_window_expiry; the next inbound message clears it
    return channel.last_inbound_at is not None and timezone.now() - channel.last_inbound_at < WHATSAPP_SERVICE_WINDOW


def user_recent_interactions(*, user, limit: int = 30) -> QuerySet[Interaction]:
    return Interaction.objects.filter(user=user).order_by("-created_at")[:limit]


def interactions_due_for_retry(*, limit: int = 200) -> QuerySet[Interaction]:
    return Interaction.objects.filter(status=InteractionStatus.FAILED, next_attempt_at__lte=timezone.now()).order_by(
        "next_attempt_at"
    )[:limit]


def web_chat_messages(*, user, limit: int = 50) -> list[Interaction]:
    """The user's web-chat conversation, oldest first (status receipts excluded)."""
    rows = (
        Interaction.objects.select_related("booking")
        .filter(user=user, platform=ChannelPlatform.WEB)
        .exclude(kind="status")
        .order_by("-created_at")[:limit]
    )
    return list(reversed(rows))
