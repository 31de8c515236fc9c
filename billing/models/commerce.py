"""Money the platform earns or pays out: the fee ledger and metered API usage."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from agnt.db import BaseModel, choices_check


class CommerceEntryType(models.TextChoices):
    BOOKING_FEE = "booking_fee", "Booking referral fee"
    FEE_REVERSAL = "fee_reversal", "Fee reversal"
    REFUND = "refund", "Refund"
    SUBSCRIPTION = "subscription", "Subscription"
    USAGE = "usage", "Metered API usage"
    PAYOUT = "payout", "Payout"
    ADJUSTMENT = "adjustment", "Adjustment"


# Money owed to / received by the platform is positive; money going back out is negative.
COMMERCE_TYPES_POSITIVE = frozenset(
    {CommerceEntryType.BOOKING_FEE, CommerceEntryType.SUBSCRIPTION, CommerceEntryType.USAGE}
)
COMMERCE_TYPES_NEGATIVE = frozenset(
    {CommerceEntryType.FEE_REVERSAL, CommerceEntryType.REFUND, CommerceEntryType.PAYOUT}
)


class CommerceLedger(BaseModel):
    """One fee, refund, subscription charge, usage charge or payout, in integer cents. Append-only.

    Positive ``amount_cents`` is money the platform is owed or received; negative is money
    going back (reversals, refunds, payouts). A correction is a new row, never an edit.
    ``idempotency_key`` makes recording safe to retry (``booking-fee:<booking id>``,
    ``stripe:<event id>``…).
    """

    EntryType = CommerceEntryType

    entry_type = models.CharField(max_length=16, choices=CommerceEntryType.choices)
    venue = models.ForeignKey(
        "venues.Venue", null=True, blank=True, on_delete=models.PROTECT, related_name="commerce_entries"
    )
    booking = models.ForeignKey(
        "bookings.VenueBooking", null=True, blank=True, on_delete=models.PROTECT, related_name="commerce_entries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="commerce_entries"
    )
    api_key = models.ForeignKey(
        "agents.ApiKey",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commerce_entries",
        help_text="For usage charges: the developer key billed.",
    )
    amount_cents = models.BigIntegerField(help_text="Signed, in the currency's minor unit.")
    currency = models.CharField(max_length=3, default="IDR")
    description = models.CharField(max_length=300, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=64, blank=True, db_index=True)
    stripe_invoice_id = models.CharField(max_length=64, blank=True, db_index=True)
    stripe_charge_id = models.CharField(max_length=64, blank=True)
    stripe_event_id = models.CharField(max_length=64, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=128, unique=True)
    occurred_at = models.DateTimeField(db_default=Now())

    class Meta(BaseModel.Meta):
        ordering = ["-occurred_at"]
        verbose_name = "commerce ledger entry"
        verbose_name_plural = "commerce ledger"
        constraints = [
            choices_check("entry_type", CommerceEntryType, name="commerce_ledger_entry_type_valid"),
            models.CheckConstraint(condition=~Q(amount_cents=0), name="commerce_ledger_amount_non_zero"),
            models.CheckConstraint(
                condition=(
                    Q(entry_type__in=sorted(COMMERCE_TYPES_POSITIVE), amount_cents__gt=0)
                    | Q(entry_type__in=sorted(COMMERCE_TYPES_NEGATIVE), amount_cents__lt=0)
                    | Q(entry_type=CommerceEntryType.ADJUSTMENT)
                ),
                name="commerce_ledger_sign_matches_type",
            ),
            models.CheckConstraint(condition=~Q(idempotency_key=""), name="commerce_ledger_idempotency_key_present"),
        ]
        indexes = [
            models.Index(fields=["venue", "occurred_at"], name="commerce_venue_time"),
            models.Index(fields=["entry_type", "occurred_at"], name="commerce_type_time"),
            models.Index(fields=["booking"], name="commerce_booking"),
        ]

    def __str__(self) -> str:
        return f"{self.get_entry_type_display()} {self.amount_cents / 100:+,.2f} {self.currency}"


class ApiKeyUsageEvent(BaseModel):
    """One metered, billable call made with a developer API key (``booking.confirm``…). Append-only.

    ``request_id`` is unique so a retried API call cannot be metered twice. What has been
    charged is recorded elsewhere (a later billing-run table) so this stays append-only.
    """

    api_key = models.ForeignKey("agents.ApiKey", on_delete=models.PROTECT, related_name="usage_events")
    intent = models.CharField(max_length=64, help_text="booking.confirm, booking.search, knowledge.ask…")
    quantity = models.PositiveIntegerField(default=1)
    unit_price_cents = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="USD")
    booking = models.ForeignKey(
        "bookings.VenueBooking", null=True, blank=True, on_delete=models.PROTECT, related_name="usage_events"
    )
    request_id = models.CharField(max_length=128, unique=True)
    metadata = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(db_default=Now())

    class Meta(BaseModel.Meta):
        ordering = ["-occurred_at"]
        verbose_name = "API usage event"
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="api_usage_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price_cents__gte=0), name="api_usage_unit_price_non_negative"),
            models.CheckConstraint(condition=~Q(request_id=""), name="api_usage_request_id_present"),
        ]
        indexes = [
            models.Index(fields=["api_key", "occurred_at"], name="api_usage_key_time"),
            models.Index(fields=["intent", "occurred_at"], name="api_usage_intent_time"),
            models.Index(fields=["occurred_at"], name="api_usage_time"),  # the admin list, newest first
        ]

    def __str__(self) -> str:
        return f"{self.intent} ×{self.quantity}"

    @property
    def amount_cents(self) -> int:
        return self.quantity * self.unit_price_cents


class ApiKeyUsageDaily(BaseModel):
    """One API key's metered usage of one intent on one day, rolled up from ApiKeyUsageEvent."""

    day = models.DateField()
    api_key = models.ForeignKey("agents.ApiKey", on_delete=models.CASCADE, related_name="usage_days")
    intent = models.CharField(max_length=64)
    events = models.PositiveIntegerField(default=0)
    quantity = models.PositiveBigIntegerField(default=0)
    amount_cents = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="USD")

    class Meta(BaseModel.Meta):
        ordering = ["-day", "api_key", "intent"]
        verbose_name = "API usage per day"
        verbose_name_plural = "API usage per day"
        constraints = [
            models.UniqueConstraint(fields=["day", "api_key", "intent", "currency"], name="api_usage_daily_unique")
        ]
        indexes = [models.Index(fields=["api_key", "day"], name="api_usage_daily_key_day")]

    def __str__(self) -> str:
        return f"{self.day} · {self.intent} ×{self.quantity}"
