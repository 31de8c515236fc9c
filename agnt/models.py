"""Core identity and cross-cutting records: users, login sessions, analytics, errors."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models.functions import Now, Upper
from django.utils import timezone

from agnt.db import BaseModel, TimestampedModel, UUIDv7, choices_check, uuid7


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    INDONESIAN = "id", "Bahasa Indonesia"
    RUSSIAN = "ru", "Russian"
    AUSTRALIAN_ENGLISH = "en-AU", "English (Australia)"
    CHINESE = "zh", "Chinese"
    JAPANESE = "ja", "Japanese"
    KOREAN = "ko", "Korean"
    FRENCH = "fr", "French"
    GERMAN = "de", "German"


class ConsumerPlan(models.TextChoices):
    FREE = "free", "Free"
    PLUS = "plus", "Plus"
    PREMIUM = "premium", "Premium"


class ApiTier(models.TextChoices):
    """The tier of a developer API key (agents.ApiKey): what it may call and whether its
    calls are metered. Declared here, next to the consumer plans, because billing's plans
    say which tier they give and agents enforces it; neither owns the vocabulary."""

    FREE = "free", "Free"
    PRO = "pro", "Pro"
    ENTERPRISE = "enterprise", "Enterprise"


def generate_referral_code() -> str:
    return secrets.token_urlsafe(6).replace("-", "x").replace("_", "y").upper()[:8]


class User(AbstractUser):
    """A person on AGNT: a consumer, a venue owner or staff member (``is_staff``).

    ``credits`` is a cached balance; the CreditTransaction ledger is the book of record
    and every change to this column happens under ``SELECT … FOR UPDATE``.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, db_default=UUIDv7(), editable=False)
    display_name = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=32, blank=True, db_index=True)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    city = models.ForeignKey("venues.City", null=True, blank=True, on_delete=models.SET_NULL, related_name="residents")
    timezone = models.CharField(max_length=64, default="Asia/Makassar")
    cp_agent_id = models.CharField("consumer agent id", max_length=64, blank=True, db_index=True)
    credits = models.IntegerField(default=0, help_text="Cached balance; the credit ledger is authoritative.")
    plan = models.CharField(max_length=16, choices=ConsumerPlan.choices, default=ConsumerPlan.FREE)
    referral_code = models.CharField(max_length=16, unique=True, default=generate_referral_code)
    stripe_customer_id = models.CharField(max_length=64, blank=True, db_index=True)
    is_business = models.BooleanField(default=False, help_text="Owns or manages at least one venue.")
    marketing_opt_in = models.BooleanField(default=False)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = UserManager()

    class Meta:
        ordering = ["-date_joined"]
        indexes = [
            # the admin's user search: case-insensitive exact or prefix match (iexact/istartswith)
            models.Index(OpClass(Upper("username"), name="text_pattern_ops"), name="user_username_upper"),
            models.Index(OpClass(Upper("email"), name="text_pattern_ops"), name="user_email_upper"),
            models.Index(fields=["date_joined"], name="user_date_joined"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(credits__gte=0), name="user_credits_non_negative"),
            choices_check("plan", ConsumerPlan, name="user_plan_valid"),
            choices_check("language", Language, name="user_language_valid"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username


class Session(BaseModel):
    """One login: the anchor a JWT pair points at. Revoking the row kills both tokens at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_sessions")
    refresh_jti = models.CharField(max_length=64, unique=True, help_text="Id of the only refresh token still valid.")
    user_agent = models.CharField(max_length=400, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    last_used_at = models.DateTimeField(db_default=Now())
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=64, blank=True)

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["user", "-created_at"], name="session_user_recent")]

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class AnalyticsEvent(BaseModel):
    """A product event (``booking.created``, ``chat.message``…) for funnels and dashboards."""

    name = models.CharField(max_length=80)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="analytics_events")
    source = models.CharField(max_length=32, blank=True, help_text="telegram, whatsapp, api, admin…")
    properties = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(db_default=Now())

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["name", "occurred_at"], name="analytics_name_time")]

    def __str__(self) -> str:
        return self.name


class AnalyticsDailyRollup(BaseModel):
    """Count of one event name on one day, kept by the nightly analytics_rollup job."""

    day = models.DateField()
    name = models.CharField(max_length=80)
    count = models.PositiveIntegerField(default=0)
    unique_users = models.PositiveIntegerField(default=0)

    class Meta(BaseModel.Meta):
        ordering = ["-day", "name"]
        constraints = [models.UniqueConstraint(fields=["day", "name"], name="analytics_rollup_day_name_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.name}: {self.count}"


class ErrorLevel(models.TextChoices):
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"
    CRITICAL = "critical", "Critical"


class ErrorLog(BaseModel):
    """An error the platform logged, with enough context to debug it from the admin."""

    Level = ErrorLevel
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.ERROR)
    logger = models.CharField(max_length=120, blank=True)
    message = models.TextField()
    exception_type = models.CharField(max_length=200, blank=True)
    traceback = models.TextField(blank=True)
    request_path = models.CharField(max_length=500, blank=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    context = models.JSONField(default=dict, blank=True)

    class Meta(BaseModel.Meta):
        constraints = [choices_check("level", ErrorLevel, name="errorlog_level_valid")]

    def __str__(self) -> str:
        return self.message[:80]


class FollowStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class UserFollowsTaste(BaseModel):
    """A user following a person's taste (a friend or a city ambassador), or a taste tag.

    A person-follow (``followee`` set) needs the followee's consent: it starts
    ``requested`` and the followee accepts or declines on their channel; ambassadors'
    tastes are public, so following one is accepted at once. Only an accepted follow lets
    the follower's picks be ranked by the followee's bookings, ratings and lists. A
    tag-follow (``taste``: ``natural-wine``, ``sunset``) needs nobody's consent.
    """

    Status = FollowStatus

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="followed_tastes")
    followee = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="taste_followers")
    taste = models.SlugField(max_length=64, blank=True)
    weight = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=FollowStatus.choices, default=FollowStatus.ACCEPTED)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["user", "taste"], condition=models.Q(followee__isnull=True), name="follow_taste_unique"
            ),
            models.UniqueConstraint(
                fields=["user", "followee"], condition=models.Q(followee__isnull=False), name="follow_person_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(followee__isnull=False) | ~models.Q(taste=""), name="follow_has_target"
            ),
            models.CheckConstraint(condition=~models.Q(user=models.F("followee")), name="follow_not_self"),
            choices_check("status", FollowStatus, name="follow_status_valid"),
        ]
        indexes = [
            models.Index(fields=["taste"], name="follow_taste_taste"),
            models.Index(fields=["followee", "status"], name="follow_followee_status"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.followee or self.taste} ({self.status})"


class PushStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class PushSubscription(TimestampedModel):
    """A Web Push endpoint of one browser of one user."""

    Status = PushStatus
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=800, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=64)
    user_agent = models.CharField(max_length=400, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    failure_count = models.PositiveSmallIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        constraints = [choices_check("status", PushStatus, name="push_status_valid")]

    def __str__(self) -> str:
        return f"{self.user} · {self.endpoint[:40]}"


class TaskOutbox(BaseModel):
    """A Celery task that could not be published (the broker was down) and waits for it.

    Written only when a publish fails, so the hot path stays one publish per task. The
    ``task_outbox_relay`` job (every few seconds, and at once when a worker reconnects to
    the broker) publishes these in order and deletes them.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    queue = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta(BaseModel.Meta):
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
