"""Read side of the Finance reconciliation page: the ledger against what went to Stripe, per day.

Selectors only (no writes). Each section is one aggregate query over the ledger table
LEFT JOINed to its settlement table, so the page costs a fixed number of queries
whatever the range:

- fees: CommerceLedger booking fees and reversals ⟷ FeeCollection (invoice items/credits);
- usage: billable ApiKeyUsageEvent amounts ⟷ UsageBilling (Billing Meter values).

On request, :func:`stripe_invoice_item_check` also asks **Stripe** for the invoice items
created in the range and compares them with FeeCollection, item by item: an item Stripe
has that we never recorded (a crash not yet repaired), one we recorded that Stripe lacks,
or amounts that differ. (Stripe has no list of meter events; its meter summaries are per
customer, so usage is reconciled from our tables only.)

Per day (Bali time, like the rest of the admin) and currency the page shows the ledger
total, what Stripe was sent, what was skipped on purpose, what is still waiting for the
next job run, and the **mismatch** — ledger − sent − skipped − waiting — which is zero
unless a settlement row disagrees with its ledger row. Waiting amounts are highlighted as
pending; a non-zero mismatch is highlighted as an error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from billing import stripe_client
from billing.models import (
    ApiKeyUsageEvent,
    CommerceEntryType,
    CommerceLedger,
    FeeCollection,
    FeeCollectionOutcome,
    UsageBillingOutcome,
)
from billing.services.collection import METERED_API_TIERS

FEE_TYPES = (CommerceEntryType.BOOKING_FEE, CommerceEntryType.FEE_REVERSAL)
MAX_RANGE_DAYS = 92
UNSETTLED_LIST_LIMIT = 50


@dataclass(frozen=True)
class DayRow:
    day: dt.date
    currency: str
    count: int
    ledger_cents: int
    sent_cents: int
    skipped_cents: int
    waiting_count: int
    waiting_cents: int

    @property
    def mismatch_cents(self) -> int:
        return self.ledger_cents - self.sent_cents - self.skipped_cents - self.waiting_cents

    @property
    def state(self) -> str:
        if self.mismatch_cents:
            return "mismatch"
        return "waiting" if self.waiting_count else "ok"


def _bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(date_from, dt.time.min), tz)
    end = timezone.make_aware(dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min), tz)
    return start, end


def _rows(values) -> list[DayRow]:
    return [
        DayRow(
            day=v["day"],
            currency=v["currency"],
            count=v["n"],
            ledger_cents=v["ledger"] or 0,
            sent_cents=v["sent"] or 0,
            skipped_cents=v["skipped"] or 0,
            waiting_count=v["waiting_n"],
            waiting_cents=v["waiting"] or 0,
        )
        for v in values
    ]


def fee_rows(*, date_from: dt.date, date_to: dt.date) -> list[DayRow]:
    """Booking fees and reversals per day and currency, with their Stripe settlement (one query)."""
    start, end = _bounds(date_from, date_to)
    waiting = Q(fee_collection__isnull=True)
    values = (
        CommerceLedger.objects.filter(entry_type__in=FEE_TYPES, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(day=TruncDate("occurred_at"))
        .values("day", "currency")
        .annotate(
            n=Count("id"),
            ledger=Sum("amount_cents"),
            sent=Sum("fee_collection__amount_cents", filter=~Q(fee_collection__outcome=FeeCollectionOutcome.SKIPPED)),
            skipped=Sum("amount_cents", filter=Q(fee_collection__outcome=FeeCollectionOutcome.SKIPPED)),
            waiting_n=Count("id", filter=waiting),
            waiting=Sum("amount_cents", filter=waiting),
        )
        .order_by("day", "currency")
    )
    return _rows(values)


def usage_rows(*, date_from: dt.date, date_to: dt.date) -> list[DayRow]:
    """Billable API usage per day and currency against the meter values sent (one query).

    "Skipped" here is usage recorded as not billable although priced (the key was on the
    free tier when it was billed)."""
    start, end = _bounds(date_from, date_to)
    amount = F("quantity") * F("unit_price_cents")
    billable = Q(api_key__tier__in=sorted(METERED_API_TIERS), unit_price_cents__gt=0)
    waiting = billable & Q(billing__isnull=True)
    values = (
        ApiKeyUsageEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .filter(billable | Q(billing__outcome=UsageBillingOutcome.METERED))
        .annotate(day=TruncDate("occurred_at"))
        .values("day", "currency")
        .annotate(
            n=Count("id"),
            ledger=Coalesce(Sum(amount), 0),
            sent=Sum("billing__meter_value", filter=Q(billing__outcome=UsageBillingOutcome.METERED)),
            skipped=Sum(amount, filter=Q(billing__outcome=UsageBillingOutcome.NOT_BILLABLE)),
            waiting_n=Count("id", filter=waiting),
            waiting=Sum(amount, filter=waiting),
        )
        .order_by("day", "currency")
    )
    return _rows(values)


def unsettled_fees(*, date_from: dt.date, date_to: dt.date) -> QuerySet[CommerceLedger]:
    """The fee rows still waiting for collection in the range (first ``UNSETTLED_LIST_LIMIT``)."""
    start, end = _bounds(date_from, date_to)
    return (
        CommerceLedger.objects.filter(
            entry_type__in=FEE_TYPES, occurred_at__gte=start, occurred_at__lt=end, fee_collection__isnull=True
        )
        .select_related("venue")
        .order_by("occurred_at")[:UNSETTLED_LIST_LIMIT]
    )


def unbilled_usage(*, date_from: dt.date, date_to: dt.date) -> QuerySet[ApiKeyUsageEvent]:
    """Billable usage events not yet sent to the meter in the range (first ``UNSETTLED_LIST_LIMIT``)."""
    start, end = _bounds(date_from, date_to)
    return (
        ApiKeyUsageEvent.objects.filter(
            occurred_at__gte=start,
            occurred_at__lt=end,
            billing__isnull=True,
            api_key__tier__in=sorted(METERED_API_TIERS),
            unit_price_cents__gt=0,
        )
        .select_related("api_key")
        .order_by("occurred_at")[:UNSETTLED_LIST_LIMIT]
    )


@dataclass
class StripeItemCheck:
    """Stripe's invoice items in a range against our FeeCollection rows."""

    stripe_count: int = 0
    matched: int = 0
    missing_here: list[dict] = field(default_factory=list)  # in Stripe, not recorded by us
    missing_in_stripe: list[FeeCollection] = field(default_factory=list)  # recorded, Stripe has no such item
    amount_differs: list[tuple[FeeCollection, dict]] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return len(self.missing_here) + len(self.missing_in_stripe) + len(self.amount_differs)


def stripe_invoice_item_check(*, date_from: dt.date, date_to: dt.date) -> StripeItemCheck:
    """Ask Stripe for the invoice items created in the range (one paginated listing) and match
    them to FeeCollection rows (two queries). Only items we created (``agnt_source``
    metadata) count. Raises StripeFailure when Stripe cannot be asked."""
    start, end = _bounds(date_from, date_to)
    items = [
        item
        for item in stripe_client.invoice_items_created_between(
            created_gte=int(start.timestamp()), created_lt=int(end.timestamp())
        )
        if str((item.get("metadata") or {}).get("agnt_source", "")).startswith("booking-fee")
    ]
    by_id = {item["id"]: item for item in items}
    check = StripeItemCheck(stripe_count=len(items))
    ours = FeeCollection.objects.filter(stripe_invoice_item_id__in=list(by_id)).select_related("ledger_entry")
    seen: set[str] = set()
    for row in ours:
        seen.add(row.stripe_invoice_item_id)
        if int(by_id[row.stripe_invoice_item_id]["amount"]) != row.amount_cents:
            check.amount_differs.append((row, by_id[row.stripe_invoice_item_id]))
        else:
            check.matched += 1
    check.missing_here = [item for item_id, item in by_id.items() if item_id not in seen]
    check.missing_in_stripe = list(
        FeeCollection.objects.filter(collected_at__gte=start, collected_at__lt=end)
        .exclude(outcome=FeeCollectionOutcome.SKIPPED)
        .exclude(stripe_invoice_item_id__in=list(by_id))
        .select_related("ledger_entry")
        .order_by("collected_at")[:UNSETTLED_LIST_LIMIT]
    )
    return check
