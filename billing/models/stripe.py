"""What Stripe tells us: subscriptions (consumer tiers, venue plans) and every event received."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from agnt.db import BaseModel, TimestampedModel, choices_check


class SubscriptionKind(models.TextChoices):
    CONSUMER = "consumer", "Consumer tier"
    VENUE = "venue", "Venue (B2B) plan"


class SubscriptionStatus(models.TextChoices):
    """Stripe's subscription statuses, as Stripe names them."""

    INCOMPLETE = "incomplete", "Incomplete (first payment pending)"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete, expired"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due (Stripe is retrying)"
    UNPAID = "unpaid", "Unpaid"
    PAUSED = "paused", "Paused"
    CANCELED = "canceled", "Canceled"


# Statuses that grant the plan's entitlements. past_due keeps them while Stripe retries the card.
LIVE_SUBSCRIPTION_STATUSES = frozenset(
    {SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE}
)
# Stripe never leaves these: a later snapshot saying otherwise is an older one delivered late.
TERMINAL_SUBSCRIPTION_STATUSES = frozenset({SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED})


class StripeSubscription(TimestampedModel):
    """Our copy of one Stripe subscription: a consumer's tier or a venue's B2B plan.

    Stripe is the source of truth; this row holds the newest snapshot we have seen.
    ``stripe_state_at`` is the Stripe ``created`` time of the event (or pull) that snapshot
    came from: an older snapshot arriving later never overwrites a newer one.
    """

    Kind = SubscriptionKind
    Status = SubscriptionStatus

    kind = models.CharField(max_length=8, choices=SubscriptionKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stripe_subscriptions",
        help_text="The consumer (consumer tiers).",
    )
    venue = models.ForeignKey(
        "venues.Venue",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stripe_subscriptions",
        help_text="The venue (B2B plans).",
    )
    plan = models.CharField(max_length=16, help_text="Our plan code (plus, premium, venue_pro…); see billing/plans.py.")
    price_id = models.CharField(max_length=64, blank=True)
    stripe_subscription_id = models.CharField(max_length=64, unique=True)
    stripe_customer_id = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=20, choices=SubscriptionStatus.choices)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    latest_invoice_id = models.CharField(max_length=64, blank=True)
    last_payment_failed_at = models.DateTimeField(null=True, blank=True)
    stripe_state_at = models.DateTimeField(help_text="Stripe time of the snapshot held (out-of-order protection).")
    synced_at = models.DateTimeField(db_default=Now(), help_text="When we last applied Stripe state (event or pull).")

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("kind", SubscriptionKind, name="stripe_subscription_kind_valid"),
            choices_check("status", SubscriptionStatus, name="stripe_subscription_status_valid"),
            models.CheckConstraint(
                condition=Q(kind=SubscriptionKind.CONSUMER, user__isnull=False, venue__isnull=True)
                | Q(kind=SubscriptionKind.VENUE, venue__isnull=False),
                name="stripe_subscription_party_matches_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "status"], name="stripe_sub_user_status"),
            models.Index(fields=["venue", "status"], name="stripe_sub_venue_status"),
            models.Index(fields=["synced_at"], name="stripe_sub_synced"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.status} · {self.stripe_subscription_id}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_SUBSCRIPTION_STATUSES


class VenueStripeCustomer(TimestampedModel):
    """The Stripe customer a venue is billed as (its B2B plan, fee invoice items).

    Consumers keep theirs on ``User.stripe_customer_id``; a venue is a separate party
    (an owner may run several venues and be a consumer too), hence this row.
    """

    venue = models.OneToOneField("venues.Venue", on_delete=models.PROTECT, related_name="stripe_customer")
    stripe_customer_id = models.CharField(max_length=64, unique=True)

    class Meta(TimestampedModel.Meta):
        verbose_name = "venue Stripe customer"

    def __str__(self) -> str:
        return self.stripe_customer_id


class StripeConnectAccount(TimestampedModel):
    """The Stripe Connect status of a venue's account (``Venue.stripe_account_id``), from ``account.updated``.

    A venue can receive Connect payouts (and be charged application fees) only while
    ``charges_enabled`` and ``payouts_enabled`` are both true.
    """

    venue = models.OneToOneField(
        "venues.Venue", null=True, blank=True, on_delete=models.PROTECT, related_name="stripe_connect"
    )
    stripe_account_id = models.CharField(max_length=64, unique=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True, help_text="Stripe's requirements.currently_due.")
    disabled_reason = models.CharField(max_length=120, blank=True)
    stripe_state_at = models.DateTimeField(help_text="Stripe time of the snapshot held (out-of-order protection).")

    class Meta(TimestampedModel.Meta):
        verbose_name = "Stripe Connect account"

    def __str__(self) -> str:
        return f"{self.stripe_account_id} ({'ready' if self.is_ready else 'onboarding'})"

    @property
    def is_ready(self) -> bool:
        return self.charges_enabled and self.payouts_enabled


class StripeEventSource(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    RECONCILE = "reconcile", "Reconcile (listed from Stripe)"


class StripeEvent(BaseModel):
    """One Stripe event, stored once by its Stripe id before anything acts on it.

    The identity and payload never change (a database trigger refuses it, and deletes);
    only the processing columns move: ``attempts``, ``processed_at``, ``processing_error``.
    An event that failed stays unprocessed with its error until a retry or reconcile succeeds.
    """

    Source = StripeEventSource

    stripe_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=80, db_index=True)
    stripe_created = models.DateTimeField(help_text="When Stripe created the event.")
    livemode = models.BooleanField(default=False)
    api_version = models.CharField(max_length=40, blank=True)
    payload = models.JSONField()
    source = models.CharField(max_length=10, choices=StripeEventSource.choices, default=StripeEventSource.WEBHOOK)
    received_at = models.DateTimeField(db_default=Now())
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    processing_error = models.TextField(blank=True)
    outcome = models.CharField(max_length=300, blank=True, help_text="What processing did (or why it did nothing).")

    class Meta(BaseModel.Meta):
        ordering = ["-stripe_created"]
        constraints = [
            choices_check("source", StripeEventSource, name="stripe_event_source_valid"),
            models.CheckConstraint(condition=~Q(stripe_id=""), name="stripe_event_id_present"),
        ]
        indexes = [
            models.Index(fields=["processed_at", "received_at"], name="stripe_event_pending"),
            models.Index(fields=["type", "-stripe_created"], name="stripe_event_type_time"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id}"

    @property
    def data_object(self) -> dict:
        return ((self.payload or {}).get("data") or {}).get("object") or {}
