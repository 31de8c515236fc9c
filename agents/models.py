"""Agent registry, AgentCards, A2A envelopes, external API keys, webhooks, hosted agents."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models

from agents.state import (
    EnvelopeStatus,
    GatewayMessageStatus,
    WebhookDeliveryStatus,
)
from agnt.db import BaseModel, TimestampedModel, choices_check
from agnt.models import ApiTier


class ApiKey(TimestampedModel):
    """A developer's key for the external agent API / MCP server.

    The secret is shown once at creation; only its SHA-256 hash is stored, with a short
    visible ``prefix`` so owners and staff can tell keys apart.
    """

    Tier = ApiTier

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=120)
    prefix = models.CharField(max_length=24, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    tier = models.CharField(max_length=12, choices=ApiTier.choices, default=ApiTier.FREE)
    scopes = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True, help_text="Overrides the tier default.")
    last_used_at = models.DateTimeField(null=True, blank=True)
    bookings_total = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)

    class Meta(TimestampedModel.Meta):
        verbose_name = "API key"
        constraints = [choices_check("tier", ApiTier, name="api_key_tier_valid")]
        indexes = [models.Index(fields=["owner", "-created_at"], name="api_key_owner_recent")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# --- Agent registry ----------------------------------------------------------------


class AgentKind(models.TextChoices):
    CONSUMER = "consumer", "Consumer concierge"
    VENUE = "venue", "Venue agent"
    PLATFORM = "platform", "Platform agent"


class AgentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    RETIRED = "retired", "Retired"


class Agent(TimestampedModel):
    """One agent on the network: a user's concierge, a venue's agent, or the platform agent.

    ``agent_id`` is the address envelopes use (``venue-<slug>``, ``consumer-<uuid>``). The
    "DNA" fields (persona, languages, policies, skills) shape how the agent behaves. A
    consumer agent belongs to exactly one user, a venue agent to exactly one venue.
    """

    Kind = AgentKind
    Status = AgentStatus

    kind = models.CharField(max_length=10, choices=AgentKind.choices)
    agent_id = models.SlugField(max_length=200, unique=True)
    display_name = models.CharField(max_length=160, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="agent"
    )
    venue = models.OneToOneField("venues.Venue", null=True, blank=True, on_delete=models.CASCADE, related_name="agent")
    persona = models.TextField(blank=True, help_text="Voice and character the agent speaks with.")
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True)
    policies = models.JSONField(default=dict, blank=True, help_text="Rules the agent applies (auto-accept, limits…).")
    skills = ArrayField(models.CharField(max_length=60), default=list, blank=True, help_text="Intents it handles.")
    status = models.CharField(max_length=10, choices=AgentStatus.choices, default=AgentStatus.ACTIVE)
    endpoint_url = models.URLField(
        max_length=500, blank=True, help_text="Push endpoint, when not the built-in gateway."
    )
    inbox_key_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the key this agent uses to drain its built-in gateway inbox."
    )
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("kind", AgentKind, name="agent_kind_valid"),
            choices_check("status", AgentStatus, name="agent_status_valid"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind=AgentKind.CONSUMER, user__isnull=False, venue__isnull=True)
                    | models.Q(kind=AgentKind.VENUE, venue__isnull=False, user__isnull=True)
                    | models.Q(kind=AgentKind.PLATFORM, user__isnull=True, venue__isnull=True)
                ),
                name="agent_kind_matches_owner",
            ),
        ]
        indexes = [models.Index(fields=["kind", "status"], name="agent_kind_status")]

    def __str__(self) -> str:
        return self.agent_id


class AgentCard(TimestampedModel):
    """The A2A v1.0 AgentCard an agent publishes (what it is, its skills, how to reach it).

    ``etag`` is the SHA-256 of the canonical JSON, so refreshes that change nothing are no-ops
    and HTTP clients can revalidate cheaply.
    """

    agent = models.OneToOneField(Agent, on_delete=models.CASCADE, related_name="card")
    card = models.JSONField(default=dict)
    protocol_version = models.CharField(max_length=12, default="1.0")
    version = models.CharField(max_length=32, default="1.0.0", help_text="The agent's own version in the card.")
    etag = models.CharField(max_length=64)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        verbose_name = "agent card"

    def __str__(self) -> str:
        return f"{self.agent_id} card v{self.version}"


# --- A2A envelopes ------------------------------------------------------------------


class EnvelopeIntent(models.TextChoices):
    BOOKING_REQUEST = "booking.request", "Booking request"
    BOOKING_ACCEPTED = "booking.accepted", "Booking accepted"
    BOOKING_REJECTED = "booking.rejected", "Booking rejected"
    BOOKING_COUNTER_OFFER = "booking.counter_offer", "Booking counter-offer"
    BOOKING_CANCEL = "booking.cancel", "Booking cancel request"
    BOOKING_CANCELLED = "booking.cancelled", "Booking cancelled"
    BOOKING_SEARCH = "booking.search", "Booking search"
    BOOKING_CONFIRM = "booking.confirm", "Booking confirm"
    NETWORK_PING = "network.ping", "Network ping"
    VENUE_LIST = "venue.list", "Venue list"


class EnvelopeDirection(models.TextChoices):
    OUTBOUND = "outbound", "Outbound"
    INBOUND = "inbound", "Inbound"


class A2AEnvelope(TimestampedModel):
    """Our copy of one signed A2A envelope we sent or received through the gateway.

    ``status`` moves only along agents.state.ENVELOPE_TRANSITIONS (service + DB trigger);
    each move is recorded as an EnvelopeEvent. Agents are addressed by their string ids
    (the other side may not be in our registry), so there are no FKs to Agent.
    """

    Status = EnvelopeStatus
    Intent = EnvelopeIntent
    Direction = EnvelopeDirection

    envelope_id = models.CharField(max_length=64, unique=True)
    intent = models.CharField(max_length=32, choices=EnvelopeIntent.choices)
    direction = models.CharField(max_length=8, choices=EnvelopeDirection.choices)
    from_agent_id = models.CharField(max_length=200, db_index=True)
    to_agent_id = models.CharField(max_length=200, db_index=True)
    booking = models.ForeignKey(
        "bookings.VenueBooking", null=True, blank=True, on_delete=models.SET_NULL, related_name="envelopes"
    )
    api_key = models.ForeignKey(
        ApiKey,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="envelopes",
        help_text="The external developer key that originated it, if any.",
    )
    correlation_id = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="envelope_id of the envelope this one answers."
    )
    payload = models.JSONField(default=dict, blank=True)
    signature = models.CharField(max_length=128, blank=True, help_text="HMAC-SHA256 (hex) over the canonical envelope.")
    signed_at = models.DateTimeField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(default=5, help_text="0 (highest) to 9 (lowest).")
    ttl_ms = models.PositiveIntegerField(default=600_000)
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=EnvelopeStatus.choices, default=EnvelopeStatus.CREATED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        verbose_name = "A2A envelope"
        constraints = [
            choices_check("status", EnvelopeStatus, name="a2a_envelope_status_valid"),
            choices_check("intent", EnvelopeIntent, name="a2a_envelope_intent_valid"),
            choices_check("direction", EnvelopeDirection, name="a2a_envelope_direction_valid"),
            models.CheckConstraint(condition=models.Q(priority__lte=9), name="a2a_envelope_priority_range"),
        ]
        indexes = [
            # retry sweep: queued/failed envelopes whose next attempt is due
            models.Index(fields=["status", "next_attempt_at"], name="a2a_env_status_next_attempt"),
            # TTL sweep: live envelopes past expires_at
            models.Index(fields=["status", "expires_at"], name="a2a_env_status_expires"),
            # built-in gateway inbox drain for one agent
            models.Index(fields=["to_agent_id", "status", "priority"], name="a2a_env_inbox"),
            models.Index(fields=["booking", "created_at"], name="a2a_env_booking_time"),
        ]

    def __str__(self) -> str:
        return f"{self.intent} {self.from_agent_id} → {self.to_agent_id}"


class EnvelopeEvent(BaseModel):
    """One status change of an A2A envelope: from what, to what, why. Append-only."""

    envelope = models.ForeignKey(A2AEnvelope, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    error = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ["created_at"]
        indexes = [models.Index(fields=["envelope", "created_at"], name="envelope_event_env_time")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


# --- Outbound webhooks --------------------------------------------------------------


class WebhookEventType(models.TextChoices):
    BOOKING_CREATED = "booking.created", "Booking created"
    BOOKING_CONFIRMED = "booking.confirmed", "Booking confirmed"
    BOOKING_REJECTED = "booking.rejected", "Booking rejected"
    BOOKING_COUNTER_OFFERED = "booking.counter_offered", "Booking counter-offered"
    BOOKING_CANCELLED = "booking.cancelled", "Booking cancelled"
    BOOKING_COMPLETED = "booking.completed", "Booking completed"
    BOOKING_NO_SHOW = "booking.no_show", "Booking no-show"
    BOOKING_EXPIRED = "booking.expired", "Booking expired"
    ENVELOPE_RECEIVED = "envelope.received", "Envelope received"
    USAGE_THRESHOLD = "usage.threshold", "Usage threshold reached"
    PING = "webhook.ping", "Test ping"


class WebhookSubscription(TimestampedModel):
    """An HTTPS endpoint an API key's owner wants events pushed to (Standard Webhooks signing).

    The signing secret is stored encrypted (agnt.crypto); it is shown once at creation
    and never displayed again. An empty ``events`` list means every event type.
    """

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    url = models.URLField(max_length=500)
    events = ArrayField(
        models.CharField(max_length=40, choices=WebhookEventType.choices),
        default=list,
        blank=True,
        help_text="Comma-separated event types; empty means all.",
    )
    secret_ciphertext = models.TextField(editable=False)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="First failed attempt since the last success (auto-disable clock)."
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)

    class Meta(TimestampedModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(events__contained_by=[value for value, _ in WebhookEventType.choices]),
                name="webhook_subscription_events_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=False) | models.Q(disabled_at__isnull=True),
                name="webhook_subscription_active_not_disabled",
            ),
        ]
        indexes = [models.Index(fields=["api_key", "is_active"], name="webhook_sub_key_active")]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return self.is_active and (not self.events or event_type in self.events)


class WebhookDelivery(BaseModel):
    """One attempt to deliver one event to one subscription.

    Retries are new rows with the same ``event_id`` (the ``webhook-id`` header, stable so
    receivers can dedupe) and the next ``attempt`` number.
    """

    Status = WebhookDeliveryStatus

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=64, help_text="The webhook-id header; the same on every retry.")
    event_type = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    attempt = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="First 2 000 characters.")
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        verbose_name_plural = "webhook deliveries"
        constraints = [
            choices_check("status", WebhookDeliveryStatus, name="webhook_delivery_status_valid"),
            models.UniqueConstraint(
                fields=["subscription", "event_id", "attempt"], name="webhook_delivery_attempt_unique"
            ),
            models.CheckConstraint(condition=models.Q(attempt__gte=1), name="webhook_delivery_attempt_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_sub_recent"),
            models.Index(fields=["event_id"], name="webhook_delivery_event"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.attempt} → {self.subscription_id}"


# --- Fleet memory and shareable cards ----------------------------------------------


class ProjectMemory(TimestampedModel):
    """One remembered fact for a project the agent fleet works on (key → value, tagged)."""

    project = models.SlugField(max_length=80)
    key = models.CharField(max_length=200)
    value = models.TextField()
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    author = models.CharField(max_length=120, blank=True, help_text="Agent or person that wrote it.")
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        verbose_name_plural = "project memories"
        constraints = [models.UniqueConstraint(fields=["project", "key"], name="project_memory_key_unique")]
        indexes = [GinIndex(fields=["tags"], name="project_memory_tags_gin")]

    def __str__(self) -> str:
        return f"{self.project}:{self.key}"


class CardKind(models.TextChoices):
    INVITE = "invite", "Invite"
    POLL = "poll", "Poll"
    RECOMMENDATION = "recommendation", "Recommendation"
    BOOKING = "booking", "Booking share"
    WRAPPED = "wrapped", "Taste wrap-up"
    OTHER = "other", "Other"


class CardChannel(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    INSTAGRAM = "instagram", "Instagram"
    WEB = "web", "Web link"


def card_token() -> str:
    import secrets

    return secrets.token_urlsafe(16)  # 128 random bits: a link nobody can guess


class ShareableCard(TimestampedModel):
    """A card a guest made to share (a venue list or a booking) with a public link /c/<token>.

    Friends open the link without an account, see a server-rendered page with its Open
    Graph image, and answer going / maybe / not (CardResponse rows). Past ``expires_at``
    the link answers 410 Gone; the card and its answers stay for the creator.
    """

    Kind = CardKind

    token = models.CharField(max_length=32, unique=True, default=card_token, editable=False)
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shareable_cards")
    kind = models.CharField(max_length=16, choices=CardKind.choices, default=CardKind.INVITE)
    title = models.CharField(max_length=120)
    message = models.CharField(max_length=300, blank=True)
    booking = models.ForeignKey(
        "bookings.VenueBooking", null=True, blank=True, on_delete=models.SET_NULL, related_name="shareable_cards"
    )
    venues = models.ManyToManyField("venues.Venue", blank=True, related_name="shareable_cards")
    expires_at = models.DateTimeField()

    class Meta(TimestampedModel.Meta):
        constraints = [choices_check("kind", CardKind, name="shareable_card_kind_valid")]
        indexes = [models.Index(fields=["creator", "-created_at"], name="shareable_card_creator_recent")]

    def __str__(self) -> str:
        return f"{self.title} ({self.token[:6]}…)"


class CardAnswer(models.TextChoices):
    GOING = "going", "Going"
    MAYBE = "maybe", "Maybe"
    NOT = "not", "Not going"


class CardResponse(BaseModel):
    """One person's answer to a shareable card the concierge generated (an RSVP, a vote…)."""

    Kind = CardKind
    Answer = CardAnswer

    shared_card = models.ForeignKey(
        ShareableCard,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="responses",
        help_text="The card answered (``card_id`` holds its token).",
    )
    answer = models.CharField(max_length=8, choices=CardAnswer.choices, blank=True)
    card_id = models.CharField(max_length=64, db_index=True)
    card_kind = models.CharField(max_length=16, choices=CardKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="card_responses",
        help_text="Empty when the responder is not an AGNT user.",
    )
    responder_handle = models.CharField(max_length=120, blank=True)
    response = models.JSONField(default=dict, blank=True)
    response_text = models.TextField(blank=True)
    channel = models.CharField(max_length=10, choices=CardChannel.choices, default=CardChannel.WEB)

    class Meta(BaseModel.Meta):
        constraints = [
            choices_check("card_kind", CardKind, name="card_response_kind_valid"),
            choices_check("channel", CardChannel, name="card_response_channel_valid"),
            models.CheckConstraint(
                condition=models.Q(answer="") | models.Q(answer__in=CardAnswer.values),
                name="card_response_answer_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.card_kind} {self.card_id} · {self.responder_handle or self.user_id}"


# --- Built-in gateway -----------------------------------------------------------------


class GatewayMessage(BaseModel):
    """One message in an agent's inbox on the project's built-in ClawPulse-compatible gateway.

    The gateway's own durable queue, separate from A2AEnvelope (which is each agent's
    record of what it sent or received): a remote agent that drains this inbox never sees
    our envelope rows. ``payload`` is exactly what the sender posted (normally a signed
    envelope). On arrival the gateway pushes it to the recipient; a drain or the fallback
    job picks up what the push could not deliver. Rows are never deleted by the gateway.
    """

    Status = GatewayMessageStatus

    recipient = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="gateway_messages")
    from_agent_id = models.CharField(max_length=200)
    envelope_id = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="From the payload, when it is an envelope."
    )
    payload = models.JSONField(default=dict)
    priority = models.PositiveSmallIntegerField(default=5, help_text="0 (highest) to 9 (lowest).")
    status = models.CharField(max_length=10, choices=GatewayMessageStatus.choices, default=GatewayMessageStatus.PENDING)
    sent_with = models.CharField(max_length=10, blank=True, help_text="Which key sent it: platform, agent or internal.")
    push_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        verbose_name = "gateway inbox message"
        constraints = [
            choices_check("status", GatewayMessageStatus, name="gateway_message_status_valid"),
            models.CheckConstraint(condition=models.Q(priority__lte=9), name="gateway_message_priority_range"),
        ]
        indexes = [
            # drain / fallback: one agent's pending messages, most urgent first
            models.Index(fields=["recipient", "status", "priority", "created_at"], name="gateway_msg_inbox"),
            models.Index(fields=["status", "created_at"], name="gateway_msg_status_time"),
        ]

    def __str__(self) -> str:
        return f"{self.from_agent_id} → {self.recipient_id} ({self.status})"


# --- A2A tasks (the JSON-RPC endpoints' Tasks and their push configs) ---------------------


class A2ATaskState(models.TextChoices):
    """The A2A protocol's task states (a2a.proto TaskState names, lower-cased)."""

    SUBMITTED = "submitted", "Submitted"
    WORKING = "working", "Working"
    INPUT_REQUIRED = "input_required", "Input required"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"
    CANCELED = "canceled", "Canceled"
    FAILED = "failed", "Failed"


class A2ATask(TimestampedModel):
    """One A2A Task a caller started on a JSON-RPC endpoint (the platform agent's, a venue's or
    a hosted agent's).

    ``task`` is the protocol's Task object as JSON (status, history, artifacts), rewritten
    on every change; ``version`` counts the changes so a stream can skip what it has seen.
    A booking request's task follows its booking and a hosted agent's task follows its run
    (agents.platform.a2a_tasks); a task belongs to the API key that started it and to the
    endpoint it was started on: nobody else can read, cancel or watch it.
    """

    Status = A2ATaskState

    task_id = models.CharField(max_length=64, unique=True)
    context_id = models.CharField(max_length=64)
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="a2a_tasks")
    venue = models.ForeignKey(
        "venues.Venue",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="a2a_tasks",
        help_text="The venue agent that was called; empty for the platform agent.",
    )
    booking = models.ForeignKey(
        "bookings.VenueBooking", null=True, blank=True, on_delete=models.SET_NULL, related_name="a2a_tasks"
    )
    hosted_name = models.CharField(
        max_length=64,
        blank=True,
        help_text="The hosted agent's friendly name whose endpoint was called; empty otherwise.",
    )
    hosted_run = models.ForeignKey(
        "agents.AgentRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="a2a_tasks",
        help_text="The hosted-agent run this task follows.",
    )
    skill = models.CharField(max_length=40, blank=True)
    arguments = models.JSONField(default=dict, blank=True, help_text="What the caller asked for, as read so far.")
    state = models.CharField(max_length=16, choices=A2ATaskState.choices, default=A2ATaskState.SUBMITTED)
    task = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)

    class Meta(TimestampedModel.Meta):
        verbose_name = "A2A task"
        constraints = [choices_check("state", A2ATaskState, name="a2a_task_state_valid")]
        indexes = [
            models.Index(fields=["api_key", "-updated_at"], name="a2a_task_key_recent"),
            models.Index(fields=["api_key", "context_id"], name="a2a_task_key_context"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} ({self.state})"


class A2APushConfig(TimestampedModel):
    """Where to push one task's updates: a caller's TaskPushNotificationConfig.

    Deliveries ride the outbound webhook machinery (signed, retried, SSRF-guarded) through
    ``subscription``, a WebhookSubscription of the same key that only this config uses.
    ``token`` and ``authentication`` are sent back as the A2A spec says
    (X-A2A-Notification-Token, Authorization); both are stored encrypted.
    """

    task = models.ForeignKey(A2ATask, on_delete=models.CASCADE, related_name="push_configs")
    config_id = models.CharField(max_length=128)
    subscription = models.OneToOneField(WebhookSubscription, on_delete=models.CASCADE, related_name="a2a_push_config")
    token_ciphertext = models.TextField(blank=True)
    auth_scheme = models.CharField(max_length=40, blank=True)
    auth_credentials_ciphertext = models.TextField(blank=True)

    class Meta(TimestampedModel.Meta):
        verbose_name = "A2A push config"
        constraints = [models.UniqueConstraint(fields=["task", "config_id"], name="a2a_push_config_unique")]

    def __str__(self) -> str:
        return f"{self.config_id} → {self.subscription.url}"


# --- hosted agents (agents/hosted/models.py; registered with this app) ----------------------
from agents.hosted.models import (  # noqa: E402,F401
    AgentRun,
    AgentSession,
    Allowance,
    DemoApp,
    Deployment,
    HostedAgent,
    HostedAgentVersion,
    KvEntry,
    ProviderKey,
    RunEvent,
    UsageEntry,
)
