"""Reads for the messaging app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.utils import timezone

from messaging.models import ChannelPlatform, Interaction, InteractionDirection, UserChannel

WHATSAPP_SERVICE_WINDOW = timedelta(hours=24)


def inbound_texts_since(*, since) -> Iterator[str]:
    """The text of every message users sent us since ``since``, oldest first (streamed)."""
    return (
        Interaction.objects.filter(direction=InteractionDirection.INBOUND, created_at__gte=since)
        .exclude(text="")
        .order_by("created_at")
        .values_list("text", flat=True)
        .iterator(chunk_size=2000)
    )


def whatsapp_window_open(*, channel: UserChannel) -> bool:
    """WhatsApp allows free-form messages only within 24 h of the user's last message."""
    if channel.platform != ChannelPlatform.WHATSAPP:
        return True
    if channel.window_closed_at is not None:
        return False  # marked by whatsapp_window_expiry; the next inbound message clears it
    return channel.last_inbound_at is not None and timezone.now() - channel.last_inbound_at < WHATSAPP_SERVICE_WINDOW


def web_chat_messages(*, user, limit: int = 50) -> list[Interaction]:
    """The user's web-chat conversation, oldest first (status receipts excluded)."""
    rows = (
        Interaction.objects.select_related("booking")
        .filter(user=user, platform=ChannelPlatform.WEB)
        .exclude(kind="status")
        .order_by("-created_at")[:limit]
    )
    return list(reversed(rows))
