"""Collecting what the books say we earned: booking fees and metered API usage, through Stripe.

Booking fees — why invoice items, not Connect application fees
---------------------------------------------------------------
A Stripe Connect *application fee* is skimmed off a payment that flows through the
platform to the connected account. Guests at AGNT venues pay the venue at the table
(cash, the venue's own card terminal); no guest payment passes through our Stripe
account, so there is nothing to take an application fee from. We therefore bill the
**venue** for the referral fees it owes: each CommerceLedger ``booking_fee`` row becomes
one pending **invoice item on the venue's Stripe customer** (created on first need,
``customer:venue:{id}``). Stripe puts pending items on the customer's next invoice — the
venue plan subscription's renewal when it has one; for a venue without a live
subscription the daily ``invoice_unsubscribed_venue_fees`` job invoices the pending items
on their own. One invoice per venue per period keeps card fees low and gives the venue
one document to pay.

Exactly once
------------
- :class:`~billing.models.FeeCollection` has one row per ledger row (unique), inserted in
  the transaction that decided to call Stripe. The Stripe call uses the idempotency key
  ``invoiceitem:booking-fee:{ledger id}``: if we crash after Stripe answered but before
  our insert committed, the rerun gets the *same* invoice item back and records it.
- A fee reversal (``fee_reversal`` row) found before its fee was collected settles both
  rows as *skipped*: Stripe never sees either. After collection it becomes a negative
  invoice item (a credit) with the key ``invoiceitem:booking-fee-credit:{reversal id}``.
- Both paths lock the original fee row (``SELECT … FOR UPDATE``), so a fee and its
  reversal are never decided concurrently.

Metered usage
-------------
Each ApiKeyUsageEvent of a paying key (``pro``/``enterprise``) with a price becomes one
Billing Meter event (``STRIPE_METER_EVENT_NAME``) on the key owner's Stripe customer,
``identifier`` = the usage event id. The meter event's **value is the call's price in
cents** (quantity × unit price): our price list has a different price per intent, so one
"sum" meter priced at 1 cent per unit bills exactly what the ledger says, and a price
change never needs a new Stripe price per intent. Free-tier and zero-priced calls are
recorded as ``not_billable`` so they are decided once too. A re-run re-sends with the same
identifier and idempotency key; Stripe (and the fake) replay or refuse the duplicate
(``resource_already_exists``), which we treat as "already billed".
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agnt.models import User
from billing import stripe_client
from billing.models import (
    AccountingDocument,
    AccountingDocumentLine,
    ApiKeyUsageEvent,
    CommerceEntryType,
    CommerceLedger,
    DocumentStatus,
    DocumentType,
    FeeCollection,
    FeeCollectionOutcome,
    UsageBilling,
    UsageBillingOutcome,
)
from billing.selectors import venue_stripe_customer_id
from billing.services.accounting import LineSpec, accounting_document_issue, credit_note_create_for_invoice
from billing.services.errors import BillingError, StripeFailure, StripeInvalidRequest
from billing.services.fees import commerce_fee_entry_reverse
from billing.services.subscriptions import stripe_customer_ensure_for_user, stripe_customer_ensure_for_venue

logger = logging.getLogger(__name__)

# API tiers whose usage is billed; the free tier's calls are recorded as not billable.
METERED_API_TIERS = frozenset({"pro", "enterprise"})
# Subscription statuses under which Stripe still invoices the customer (pending items ride along).
LIVE_SUBSCRIPTION_STATUSES = frozenset({"active", "trialing", "past_due"})


def fee_source_key(entry: CommerceLedger) -> str:
    """The Stripe source key of one ledger row (→ ``{namespace}:invoiceitem:{this}``)."""
    if entry.entry_type == CommerceEntryType.FEE_REVERSAL:
        return f"booking-fee-credit:{entry.pk}"
    return f"booking-fee:{entry.pk}"


# --------------------------------------------------------------------------- Stripe customers


# --------------------------------------------------------------------------- booking fees


def _fee_collection_record(
    *,
    entry: CommerceLedger,
    venue_id,
    outcome: str,
    amount_cents: int = 0,
    customer_id: str = "",
    invoice_item_id: str = "",
    note: str = "",
) -> FeeCollection:
    try:
        with transaction.atomic():
            return FeeCollection.objects.create(
                ledger_entry=entry,
                venue_id=venue_id,
                outcome=outcome,
                amount_cents=amount_cents,
                currency=entry.currency,
                stripe_customer_id=customer_id,
                stripe_invoice_item_id=invoice_item_id,
                note=note[:300],
            )
    except IntegrityError:
        existing = FeeCollection.objects.filter(ledger_entry=entry).first()
        if existing is None:
            raise
        return existing


def _invoice_item(*, entry: CommerceLedger, customer_id: str, description: str) -> dict[str, Any]:
    metadata = {"agnt_ledger_id": str(entry.pk)}
    if entry.booking_id:
        metadata["agnt_booking_id"] = str(entry.booking_id)
    return stripe_client.invoice_item_create(
        source_key=fee_source_key(entry),
        customer_id=customer_id,
        amount_cents=entry.amount_cents,
        currency=entry.currency,
        description=description,
        metadata=metadata,
    )


def _lock(entry: CommerceLedger) -> CommerceLedger:
    return CommerceLedger.objects.select_for_update(of=("self",)).select_related("venue", "booking").get(pk=entry.pk)


def _collect_fee(fee: CommerceLedger) -> FeeCollection:
    fee = _lock(fee)
    existing = FeeCollection.objects.filter(ledger_entry=fee).first()
    if existing is not None:
        return existing
    if fee.venue_id is None:
        raise BillingError(f"fee {fee.pk} has no venue to bill")
    reversal = None
    if fee.booking_id:
        reversal = CommerceLedger.objects.filter(idempotency_key=f"booking-fee-reversal:{fee.booking_id}").first()
    if reversal is not None:
        # reversed before it was collected: neither the fee nor its reversal goes to Stripe
        _fee_collection_record(
            entry=reversal,
            venue_id=fee.venue_id,
            outcome=FeeCollectionOutcome.SKIPPED,
            note="the fee it reverses was never collected",
        )
        return _fee_collection_record(
            entry=fee, venue_id=fee.venue_id, outcome=FeeCollectionOutcome.SKIPPED, note="reversed before collection"
        )
    customer_id = stripe_customer_ensure_for_venue(venue=fee.venue)
    ref = (
        fee.booking.external_ref
        if fee.booking_id and getattr(fee.booking, "external_ref", "")
        else str(fee.booking_id or fee.pk)
    )
    item = _invoice_item(
        entry=fee, customer_id=customer_id, description=f"AGNT referral fee, booking {ref}: {fee.description}"
    )
    return _fee_collection_record(
        entry=fee,
        venue_id=fee.venue_id,
        outcome=FeeCollectionOutcome.INVOICED,
        amount_cents=fee.amount_cents,
        customer_id=customer_id,
        invoice_item_id=item["id"],
    )


def _collect_reversal(reversal: CommerceLedger) -> FeeCollection:
    fee = None
    if reversal.booking_id:
        fee = CommerceLedger.objects.filter(idempotency_key=f"booking-fee:{reversal.booking_id}").first()
    venue_id = reversal.venue_id or (fee.venue_id if fee else None)
    if fee is None:
        if venue_id is None:
            raise BillingError(f"fee reversal {reversal.pk} has no venue")
        return _fee_collection_record(
            entry=reversal,
            venue_id=venue_id,
            outcome=FeeCollectionOutcome.SKIPPED,
            note="no recorded booking fee to credit",
        )
    fee = _lock(fee)  # the same lock the fee's own collection takes
    existing = FeeCollection.objects.filter(ledger_entry=reversal).first()
    if existing is not None:
        return existing
    fee_collection = FeeCollection.objects.filter(ledger_entry=fee).first()
    if fee_collection is None:
        _fee_collection_record(
            entry=fee, venue_id=fee.venue_id, outcome=FeeCollectionOutcome.SKIPPED, note="reversed before collection"
        )
        return _fee_collection_record(
            entry=reversal,
            venue_id=fee.venue_id,
            outcome=FeeCollectionOutcome.SKIPPED,
            note="the fee it reverses was never collected",
        )
    if fee_collection.outcome != FeeCollectionOutcome.INVOICED:
        return _fee_collection_record(
            entry=reversal,
            venue_id=fee.venue_id,
            outcome=FeeCollectionOutcome.SKIPPED,
            note="the fee it reverses was never collected",
        )
    item = _invoice_item(
        entry=reversal,
        customer_id=fee_collection.stripe_customer_id,
        description=f"Credit: AGNT referral fee reversed ({reversal.description})",
    )
    return _fee_collection_record(
        entry=reversal,
        venue_id=fee.venue_id,
        outcome=FeeCollectionOutcome.CREDITED,
        amount_cents=reversal.amount_cents,
        customer_id=fee_collection.stripe_customer_id,
        invoice_item_id=item["id"],
    )


@transaction.atomic
def fee_collect(*, entry: CommerceLedger) -> FeeCollection:
    """Settle one booking-fee or fee-reversal ledger row against Stripe, once.

    A fee becomes an invoice item on the venue's customer; a reversal becomes a credit if
    its fee was collected, else both are skipped. Raises StripeFailure when Stripe refuses
    or is unreachable (nothing is recorded; calling again is safe).
    """
    existing = FeeCollection.objects.filter(ledger_entry=entry).first()
    if existing is not None:
        return existing
    if entry.entry_type == CommerceEntryType.BOOKING_FEE:
        return _collect_fee(entry)
    if entry.entry_type == CommerceEntryType.FEE_REVERSAL:
        return _collect_reversal(entry)
    raise BillingError(f"only booking fees and fee reversals are collected, not {entry.get_entry_type_display()}")


@dataclass
class RunReport:
    """What one batch run did; jobs return ``as_dict()`` so the result shows in Flower/the logs."""

    done: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        key = str(outcome)  # TextChoices members → plain strings (Celery results are JSON)
        self.done[key] = self.done.get(key, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {**self.done, "failed": len(self.failed)}


def fees_collect_pending(*, limit: int | None = None) -> RunReport:
    """Collect up to ``limit`` unsettled fee and reversal rows, oldest first; one row per savepoint,
    so one refused row does not hold back the others."""
    limit = limit or settings.FEE_COLLECTION_BATCH_SIZE
    pending = CommerceLedger.objects.filter(
        entry_type__in=[CommerceEntryType.BOOKING_FEE, CommerceEntryType.FEE_REVERSAL],
        fee_collection__isnull=True,
    ).order_by("occurred_at", "created_at")[:limit]
    report = RunReport()
    for entry in list(pending):
        try:
            report.count(fee_collect(entry=entry).outcome)
        except (StripeFailure, BillingError) as exc:
            logger.warning("fee %s not collected: %s", entry.pk, exc)
            report.failed.append(f"{entry.pk}: {exc}")
    return report


@transaction.atomic
def venue_fees_invoice(*, venue, as_of: dt.date) -> dict[str, Any] | None:
    """Invoice a venue's pending fee items on their own when it has no live subscription to carry them.

    Returns the finalized Stripe invoice, or None when there is nothing pending or a
    subscription will pick the items up. Keyed ``invoice:booking-fees:venue:{id}:{date}``,
    so re-running on one day returns the same invoice.
    """
    customer_id = venue_stripe_customer_id(venue=venue)
    if not customer_id:
        return None
    pending = stripe_client.invoice_items_list_pending(customer_id=customer_id)
    if not pending:
        return None
    subscriptions = stripe_client.subscriptions_list(customer_id=customer_id, status="all")
    if any(s.get("status") in LIVE_SUBSCRIPTION_STATUSES for s in subscriptions):
        return None
    invoice = stripe_client.invoice_create(
        source_key=f"booking-fees:venue:{venue.pk}:{as_of.isoformat()}",
        customer_id=customer_id,
        metadata={"agnt_venue_id": str(venue.pk), "agnt_kind": "booking_fees"},
    )
    if invoice.get("status") == "draft":
        invoice = stripe_client.invoice_finalize(invoice["id"])
    return invoice


def venues_invoice_pending_fees(*, as_of: dt.date | None = None, lookback_days: int = 7) -> RunReport:
    """For venues with fee items sent in the last ``lookback_days``, invoice what is still pending."""
    from venues.models import Venue

    as_of = as_of or timezone.now().date()
    since = timezone.now() - dt.timedelta(days=lookback_days)
    venue_ids = (
        FeeCollection.objects.filter(collected_at__gte=since)
        .exclude(outcome=FeeCollectionOutcome.SKIPPED)
        .values_list("venue_id", flat=True)
        .distinct()
    )
    report = RunReport()
    for venue in Venue.objects.filter(pk__in=list(venue_ids), stripe_customer__isnull=False).order_by("pk"):
        try:
            report.count("invoiced" if venue_fees_invoice(venue=venue, as_of=as_of) else "nothing_to_invoice")
        except StripeFailure as exc:
            logger.warning("venue %s fees not invoiced: %s", venue.pk, exc)
            report.failed.append(f"{venue.pk}: {exc}")
    return report


# --------------------------------------------------------------------------- refunds / credits


@dataclass(frozen=True)
class FeeRefund:
    reversal: CommerceLedger
    collection: FeeCollection
    credit_note: AccountingDocument | None

    def __str__(self) -> str:
        parts = [f"reversed {self.reversal.amount_cents / 100:+,.2f} {self.reversal.currency}"]
        if self.collection.outcome == FeeCollectionOutcome.CREDITED:
            parts.append(f"credited in Stripe ({self.collection.stripe_invoice_item_id})")
        else:
            parts.append("never collected, nothing sent to Stripe")
        if self.credit_note is not None:
            parts.append(f"credit note {self.credit_note.number or '(draft)'}")
        return ", ".join(parts)


@transaction.atomic
def booking_fee_refund(*, fee: CommerceLedger, actor: User | None = None, reason: str = "") -> FeeRefund:
    """Refund / credit one booking fee: reverse it in the ledger, credit the venue in Stripe if
    the fee was collected, and issue a credit note if the fee was on an issued invoice.

    Safe to repeat: the reversal, the Stripe credit and the credit note each happen once.
    All or nothing: if Stripe refuses, the reversal is rolled back too and the operator can retry.
    """
    reason = reason or (f"refunded by {actor}" if actor else "refunded")
    reversal = commerce_fee_entry_reverse(entry=fee, reason=reason)  # refuses anything but a booking fee
    collection = fee_collect(entry=reversal)
    return FeeRefund(
        reversal=reversal,
        collection=collection,
        credit_note=_fee_credit_note(fee=fee, reversal=reversal, actor=actor, reason=reason),
    )


def _fee_credit_note(
    *, fee: CommerceLedger, reversal: CommerceLedger, actor: User | None, reason: str
) -> AccountingDocument | None:
    """A credit note for the fee's line on its issued invoice, once (keyed by the reversal row)."""
    already = (
        AccountingDocumentLine.objects.select_related("document")
        .filter(commerce_entry=reversal, document__doc_type=DocumentType.CREDIT_NOTE)
        .exclude(document__status=DocumentStatus.VOID)
        .first()
    )
    if already is not None:
        return already.document
    line = (
        AccountingDocumentLine.objects.select_related("document", "booking")
        .filter(
            commerce_entry=fee,
            document__doc_type=DocumentType.INVOICE,
            document__status__in=[DocumentStatus.ISSUED, DocumentStatus.PAID],
        )
        .first()
    )
    if line is None:
        return None
    note = credit_note_create_for_invoice(
        invoice=line.document,
        reason=reason,
        created_by=actor,
        lines=[
            LineSpec(
                description=f"Credit: {line.description}"[:300],
                unit_price=line.unit_price,
                quantity=line.quantity,
                tax_rate=line.tax_rate,
                account=line.account,
                booking=line.booking,
                commerce_entry=reversal,
            )
        ],
    )
    return accounting_document_issue(document=note, actor=actor)


# --------------------------------------------------------------------------- metered usage


def usage_meter_value(event: ApiKeyUsageEvent) -> int:
    """What the meter receives for one call: its price in cents (see the module docstring)."""
    return event.quantity * event.unit_price_cents


@transaction.atomic
def usage_bill(*, event: ApiKeyUsageEvent, customer_cache: dict | None = None) -> UsageBilling:
    """Bill one usage event through a Billing Meter event (or record it as not billable), once."""
    existing = UsageBilling.objects.filter(usage_event=event).first()
    if existing is not None:
        return existing
    key = event.api_key
    value = usage_meter_value(event)
    if key.tier not in METERED_API_TIERS or value <= 0:
        return _usage_billing_record(event=event, outcome=UsageBillingOutcome.NOT_BILLABLE)
    cache = customer_cache if customer_cache is not None else {}
    customer_id = cache.get(key.owner_id) or stripe_customer_ensure_for_user(user=key.owner)
    cache[key.owner_id] = customer_id
    identifier = str(event.pk)
    event_name = settings.STRIPE_METER_EVENT_NAME
    try:
        stripe_client.meter_event_create(
            event_name=event_name,
            stripe_customer_id=customer_id,
            value=value,
            identifier=identifier,
            timestamp=int(event.occurred_at.timestamp()),
        )
    except StripeInvalidRequest as exc:
        # an earlier run sent it and crashed before recording (and Stripe's idempotency
        # window has passed): Stripe refuses the duplicate identifier — it is billed already
        if exc.code != "resource_already_exists":
            raise
        logger.info("usage event %s was already metered (%s)", identifier, exc)
    return _usage_billing_record(
        event=event,
        outcome=UsageBillingOutcome.METERED,
        event_name=event_name,
        customer_id=customer_id,
        identifier=identifier,
        value=value,
    )


def _usage_billing_record(
    *,
    event: ApiKeyUsageEvent,
    outcome: str,
    event_name: str = "",
    customer_id: str = "",
    identifier: str = "",
    value: int = 0,
) -> UsageBilling:
    try:
        with transaction.atomic():
            return UsageBilling.objects.create(
                usage_event=event,
                outcome=outcome,
                event_name=event_name,
                stripe_customer_id=customer_id,
                meter_identifier=identifier,
                meter_value=value,
                currency=event.currency,
            )
    except IntegrityError:
        existing = UsageBilling.objects.filter(usage_event=event).first()
        if existing is None:
            raise
        return existing


def usage_bill_unbilled(*, limit: int | None = None) -> RunReport:
    """Bill up to ``limit`` usage events not billed yet, oldest first, one savepoint each."""
    limit = limit or settings.USAGE_BILLING_BATCH_SIZE
    unbilled = (
        ApiKeyUsageEvent.objects.filter(billing__isnull=True)
        .select_related("api_key__owner")
        .order_by("occurred_at", "created_at")[:limit]
    )
    report = RunReport()
    customers: dict = {}
    for event in list(unbilled):
        try:
            report.count(usage_bill(event=event, customer_cache=customers).outcome)
        except StripeFailure as exc:
            logger.warning("usage event %s not billed: %s", event.pk, exc)
            report.failed.append(f"{event.pk}: {exc}")
    return report
