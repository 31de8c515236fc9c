"""Users' channel bindings, every message in and out (interactions), conversation snapshots."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models

from agnt.db import BaseModel, TimestampedModel, choices_check
from messaging.state import InteractionStatus


class ChannelPlatform(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    INSTAGRAM = "instagram", "Instagram"
    WEB = "web", "Web chat"


class UserChannel(TimestampedModel):
    """A user's identity on one messaging platform (Telegram chat id, WhatsApp wa_id, IGSID…).

    The message router resolves the user of an inbound message through this row.
    """

    Platform = ChannelPlatform

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channels")
    platform = models.CharField(max_length=10, choices=ChannelPlatform.choices)
    external_id = models.CharField(max_length=128, help_text="Chat id / wa_id / IGSID on the platform.")
    username = models.CharField(max_length=120, blank=True)
    display_name = models.CharField(max_length=160, blank=True)
    language_code = models.CharField(max_length=16, blank=True, help_text="As reported by the platform.")
    is_active = models.BooleanField(default=True, help_text="Off when the user blocked the bot or unsubscribed.")
    last_inbound_at = models.DateTimeField(
        null=True, blank=True, help_text="WhatsApp: free-form replies are allowed for 24 h after this."
    )
    last_outbound_at = models.DateTimeField(null=True, blank=True)
    window_closed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="WhatsApp: when the 24 h customer-service window closed (set by whatsapp_window_expiry, "
        "cleared by the next inbound message). While set, only templates are sent.",
    )
    referral_code_used = models.CharField(max_length=16, blank=True)

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("platform", ChannelPlatform, name="user_channel_platform_valid"),
            models.UniqueConstraint(fields=["platform", "external_id"], name="user_channel_platform_external_unique"),
        ]
        indexes = [models.Index(fields=["user", "platform"], name="user_channel_user_platform")]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.username or self.external_id}"


class InteractionPlatform(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    INSTAGRAM = "instagram", "Instagram"
    WEB = "web", "Web chat"
    A2A = "a2a", "A2A agent"
    API = "api", "External API"
    MCP = "mcp", "MCP"


class InteractionDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class InteractionSource(models.TextChoices):
    USER = "user", "User"
    CONCIERGE = "concierge", "Concierge agent"
    VENUE_AGENT = "venue_agent", "Venue agent"
    EXTERNAL_AGENT = "external_agent", "External agent"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "System"


class InteractionKind(models.TextChoices):
    TEXT = "text", "Text"
    IMAGE = "image", "Image"
    COMMAND = "command", "Command"
    INTERACTIVE = "interactive", "Interactive (buttons, lists)"
    STATUS = "status", "Status / receipt"
    SYSTEM = "system", "System"


class Interaction(TimestampedModel):
    """One message in or out on any channel, including A2A and external-agent API calls.

    Inbound webhooks are deduplicated by the database: ``(platform, provider_message_id)``
    is unique for inbound messages whenever the provider gave an id, so a redelivered webhook cannot create a
    second row (messaging.services.interaction_record_inbound relies on it).
    """

    Platform = InteractionPlatform
    Direction = InteractionDirection
    Source = InteractionSource
    Kind = InteractionKind
    Status = InteractionStatus

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    channel = models.ForeignKey(
        UserChannel, null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    platform = models.CharField(max_length=10, choices=InteractionPlatform.choices)
    direction = models.CharField(max_length=8, choices=InteractionDirection.choices)
    source = models.CharField(max_length=16, choices=InteractionSource.choices)
    kind = models.CharField(max_length=12, choices=InteractionKind.choices, default=InteractionKind.TEXT)
    provider_message_id = models.CharField(max_length=191, null=True, blank=True)
    text = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True, help_text="Raw provider payload / tool call / envelope.")
    status = models.CharField(max_length=10, choices=InteractionStatus.choices)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    booking = models.ForeignKey(
        "bookings.VenueBooking", null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    api_key = models.ForeignKey(
        "agents.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
        help_text="External developer key, for A2A / API / MCP calls.",
    )
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    tokens_in = models.PositiveIntegerField(null=True, blank=True, help_text="LLM input tokens spent on it.")
    tokens_out = models.PositiveIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("platform", InteractionPlatform, name="interaction_platform_valid"),
            choices_check("direction", InteractionDirection, name="interaction_direction_valid"),
            choices_check("source", InteractionSource, name="interaction_source_valid"),
            choices_check("kind", InteractionKind, name="interaction_kind_valid"),
            choices_check("status", InteractionStatus, name="interaction_status_valid"),
            # The webhook dedupe: an inbound provider message id is stored at most once per
            # platform. Inbound only: Telegram's outbound message_id counts per chat, so two
            # chats' replies legitimately share one.
            models.UniqueConstraint(
                fields=["platform", "provider_message_id"],
                name="interaction_inbound_provider_message_unique",
                condition=models.Q(provider_message_id__isnull=False, direction="inbound"),
            ),
        ]
        indexes = [
            models.Index(fields=["user", "created_at"], name="interaction_user_time"),
            models.Index(fields=["status", "created_at"], name="interaction_status_time"),
            models.Index(fields=["channel", "created_at"], name="interaction_channel_time"),
            # the admin's search by a provider's message id (either direction, any platform)
            models.Index(
                fields=["provider_message_id"],
                name="interaction_provider_msg",
                condition=models.Q(provider_message_id__isnull=False),
            ),
            # delivery receipts (WhatsApp statuses) find the outbound message by its provider id
            models.Index(
                fields=["platform", "provider_message_id"],
                name="interaction_outbound_msg_id",
                condition=models.Q(provider_message_id__isnull=False, direction="outbound"),
            ),
            # the admin's free-text search of message text: PostgreSQL full-text search with the
            # 'simple' configuration (no stemming, no stop words: names, numbers and any language)
            GinIndex(SearchVector("text", config="simple"), name="interaction_text_search"),
            models.Index(
                fields=["next_attempt_at"],
                name="interaction_retry_due",
                condition=models.Q(status=InteractionStatus.FAILED),
            ),
        ]

    def __str__(self) -> str:
        arrow = "←" if self.direction == InteractionDirection.INBOUND else "→"
        return f"{self.platform} {arrow} {(self.text or self.kind)[:60]}"


class SnapshotReason(models.TextChoices):
    DAILY = "daily", "Daily"
    HANDOFF = "handoff", "Hand-off to staff"
    ESCALATION = "escalation", "Escalation"
    MANUAL = "manual", "Manual"


class ConversationSnapshot(BaseModel):
    """A point-in-time copy of one user's conversation on one platform, for replay or audit.

    The messages are stored encrypted (agnt.crypto, Fernet); only the ciphertext is in
    the database.
    """

    Reason = SnapshotReason

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_snapshots")
    platform = models.CharField(max_length=10, choices=ChannelPlatform.choices)
    messages_ciphertext = models.TextField(editable=False)
    message_count = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=12, choices=SnapshotReason.choices, default=SnapshotReason.DAILY)
    first_message_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    taken_at = models.DateTimeField()

    class Meta(BaseModel.Meta):
        ordering = ["-taken_at"]
        constraints = [
            choices_check("platform", ChannelPlatform, name="conversation_snapshot_platform_valid"),
            choices_check("reason", SnapshotReason, name="conversation_snapshot_reason_valid"),
        ]
        indexes = [models.Index(fields=["user", "-taken_at"], name="conversation_snapshot_user")]

    def __str__(self) -> str:
        return f"{self.user} · {self.platform} · {self.taken_at:%Y-%m-%d %H:%M}"

    def decrypt_messages(self) -> list:
        from agnt.crypto import decrypt_json

        return decrypt_json(self.messages_ciphertext) if self.messages_ciphertext else []


class PushKind(models.TextChoices):
    BOOKING = "booking", "Booking update"
    REMINDER = "reminder", "Reminder"
    PRICE_DROP = "price_drop", "Price drop"


class PushNotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    NO_SUBSCRIBERS = "no_subscribers", "No browser subscribed"


class PushNotification(TimestampedModel):
    """One notification to show in a user's subscribed browsers (Web Push outbox).

    Written next to the chat message of the same event (booking decision, reminder, price
    drop); the send_push_notifications job encrypts it for each of the user's active
    PushSubscriptions. ``dedupe_key`` makes a redelivered event queue it once.
    """

    Kind = PushKind
    Status = PushNotificationStatus

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_notifications")
    kind = models.CharField(max_length=12, choices=PushKind.choices)
    title = models.CharField(max_length=120)
    body = models.CharField(max_length=600)
    url = models.CharField(max_length=500, blank=True, help_text="Opened when the notification is clicked.")
    dedupe_key = models.CharField(max_length=120)
    status = models.CharField(
        max_length=16, choices=PushNotificationStatus.choices, default=PushNotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    delivered_to = models.JSONField(default=list, blank=True, help_text="Subscription ids that accepted it.")
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("kind", PushKind, name="push_notification_kind_valid"),
            choices_check("status", PushNotificationStatus, name="push_notification_status_valid"),
            models.UniqueConstraint(fields=["user", "dedupe_key"], name="push_notification_dedupe"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="push_notification_pending", condition=models.Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.user}: {self.title}"


class Notification(BaseModel):
    """One unprompted message we decided to send a user, remembered by its key so it is
    sent at most once per (user, key) — a redelivered task or a second worker finds the
    row and sends nothing. ``interaction`` is the message queued (empty when the user had
    no channel to reach them on: the miss is remembered too)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=120)
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )

    class Meta(BaseModel.Meta):
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_user_key")]
