"""What was sent to Stripe to collect money recorded in our own books.

Two append-only tables, one row per source row, so "was this already charged?" is a
unique-key lookup and never an UPDATE of a ledger:

- :class:`FeeCollection` — per CommerceLedger booking-fee / fee-reversal row, the Stripe
  invoice item it became (or why nothing was sent);
- :class:`UsageBilling` — per ApiKeyUsageEvent, the Billing Meter event it became (or why
  it was not billable).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from agnt.db import BaseModel, choices_check


class FeeCollectionOutcome(models.TextChoices):
    INVOICED = "invoiced", "Invoiced (invoice item on the venue's customer)"
    CREDITED = "credited", "Credited (negative invoice item)"
    SKIPPED = "skipped", "Skipped (nothing sent to Stripe)"


class FeeCollection(BaseModel):
    """One CommerceLedger fee or fee-reversal row, settled against Stripe. Append-only.

    ``ledger_entry`` is unique: a fee is collected (or credited, or skipped) exactly once.
    A booking fee becomes a positive invoice item on the venue's Stripe customer; a fee
    reversal after collection becomes a negative one (a credit); a fee reversed before it
    was collected is skipped together with its reversal, so Stripe never sees either.
    """

    Outcome = FeeCollectionOutcome

    ledger_entry = models.OneToOneField(
        "billing.CommerceLedger",
        on_delete=models.PROTECT,
        related_name="fee_collection",
    )
    venue = models.ForeignKey("venues.Venue", on_delete=models.PROTECT, related_name="fee_collections")
    outcome = models.CharField(max_length=10, choices=FeeCollectionOutcome.choices)
    amount_cents = models.BigIntegerField(help_text="Sent to Stripe, signed; 0 when skipped.")
    currency = models.CharField(max_length=3)
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    stripe_invoice_item_id = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=300, blank=True)
    collected_at = models.DateTimeField(db_default=Now())

    class Meta(BaseModel.Meta):
        ordering = ["-collected_at"]
        verbose_name = "fee collection"
        permissions = [
            ("refund_fee", "Can refund / credit a booking fee"),
            ("view_reconciliation", "Can view the Stripe reconciliation page"),
        ]
        constraints = [
            choices_check("outcome", FeeCollectionOutcome, name="fee_collection_outcome_valid"),
            models.CheckConstraint(
                condition=(
                    Q(outcome=FeeCollectionOutcome.INVOICED, amount_cents__gt=0) & ~Q(stripe_invoice_item_id="")
                    | Q(outcome=FeeCollectionOutcome.CREDITED, amount_cents__lt=0) & ~Q(stripe_invoice_item_id="")
                    | Q(outcome=FeeCollectionOutcome.SKIPPED, amount_cents=0, stripe_invoice_item_id="")
                ),
                name="fee_collection_outcome_consistent",
            ),
            models.UniqueConstraint(
                fields=["stripe_invoice_item_id"],
                condition=~Q(stripe_invoice_item_id=""),
                name="fee_collection_invoice_item_unique",
            ),
        ]
        indexes = [models.Index(fields=["venue", "collected_at"], name="fee_collection_venue_time")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display().split(' (')[0]} {self.amount_cents / 100:+,.2f} {self.currency}"


class UsageBillingOutcome(models.TextChoices):
    METERED = "metered", "Sent as a Billing Meter event"
    NOT_BILLABLE = "not_billable", "Not billable (free tier or free intent)"


class UsageBilling(BaseModel):
    """One ApiKeyUsageEvent, billed (or not) through a Stripe Billing Meter event. Append-only.

    ``usage_event`` is unique, and the meter event's ``identifier`` is the usage event id,
    so neither we nor Stripe can bill one call twice. ``meter_value`` is what the meter
    received: the call's price in cents (quantity × unit price), see
    billing/services/collection.py.
    """

    Outcome = UsageBillingOutcome

    usage_event = models.OneToOneField(
        "billing.ApiKeyUsageEvent",
        on_delete=models.PROTECT,
        related_name="billing",
    )
    outcome = models.CharField(max_length=12, choices=UsageBillingOutcome.choices)
    event_name = models.CharField(max_length=100, blank=True)
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    meter_identifier = models.CharField(max_length=100, blank=True)
    meter_value = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    billed_at = models.DateTimeField(db_default=Now())

    class Meta(BaseModel.Meta):
        ordering = ["-billed_at"]
        verbose_name = "usage billing"
        verbose_name_plural = "usage billing"
        constraints = [
            choices_check("outcome", UsageBillingOutcome, name="usage_billing_outcome_valid"),
            models.CheckConstraint(
                condition=(
                    Q(outcome=UsageBillingOutcome.METERED, meter_value__gt=0)
                    & ~Q(meter_identifier="")
                    & ~Q(stripe_customer_id="")
                    | Q(outcome=UsageBillingOutcome.NOT_BILLABLE, meter_value=0, meter_identifier="")
                ),
                name="usage_billing_outcome_consistent",
            ),
            models.UniqueConstraint(
                fields=["meter_identifier"],
                condition=~Q(meter_identifier=""),
                name="usage_billing_identifier_unique",
            ),
        ]
        indexes = [models.Index(fields=["billed_at"], name="usage_billing_time")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} · {self.meter_value}"
