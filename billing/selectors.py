"""Read-side queries of billing that carry logic (balances, what is left to invoice)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import QuerySet, Sum
from django.utils import timezone

from billing.models import (
    AccountingDocument,
    AccountingDocumentLine,
    CommerceEntryType,
    CommerceLedger,
    CreditTransaction,
    DocumentStatus,
    DocumentType,
)

if TYPE_CHECKING:
    from agnt.models import User
    from venues.models import Venue


def credit_balance_from_ledger(*, user: User) -> int:
    """The balance the ledger says the user has: the last row's balance_after (0 without rows).

    ledger_integrity_check compares this with the cached ``User.credits``.
    """
    last = (
        CreditTransaction.objects.filter(user=user)
        .order_by("-created_at", "-id")
        .values_list("balance_after", flat=True)
        .first()
    )
    return last or 0


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def commerce_entries_uninvoiced(
    *, venue: Venue, period_start: dt.date, period_end: dt.date
) -> QuerySet[CommerceLedger]:
    """A venue's booking fees and fee reversals in [period_start, period_end) (local days, in the
    venue's currency) that are not yet on a live (non-void) invoice."""
    on_live_invoice = AccountingDocumentLine.objects.filter(
        commerce_entry__isnull=False, document__doc_type=DocumentType.INVOICE
    ).exclude(document__status=DocumentStatus.VOID)
    return (
        CommerceLedger.objects.filter(
            venue=venue,
            entry_type__in=[CommerceEntryType.BOOKING_FEE, CommerceEntryType.FEE_REVERSAL],
            currency=venue.currency,
            occurred_at__gte=_local_midnight(period_start),
            occurred_at__lt=_local_midnight(period_end),
        )
        .exclude(pk__in=on_live_invoice.values("commerce_entry_id"))
        .select_related("booking")
        .order_by("occurred_at", "id")
    )


def document_visible_to(*, user, document: AccountingDocument) -> bool:
    """Finance and other platform staff with the view permission see every document; a venue's
    owners and managers (active VenueClient links) see their venue's documents."""
    from agnt.roles import is_platform_staff
    from venues.selectors import owned_venue_ids

    if not user.is_authenticated or not user.is_active or not user.has_perm("billing.view_accountingdocument"):
        return False
    if is_platform_staff(user):
        return True
    return document.venue_id is not None and document.venue_id in owned_venue_ids(user)


def document_for_print(*, user, pk) -> AccountingDocument | None:
    document = (
        AccountingDocument.objects.select_related("venue", "customer", "related_document")
        .prefetch_related("lines")
        .filter(pk=pk)
        .first()
    )
    if document is None or not document_visible_to(user=user, document=document):
        return None
    return document


def document_print_context(*, document: AccountingDocument) -> dict:
    """Everything the printed document shows: lines with their tax, tax per rate, what is still due."""
    from decimal import Decimal

    from django.conf import settings

    from billing.services.accounting import _line_tax_cents
    from billing.services.commerce import from_cents

    lines, by_rate = [], {}
    for line in document.lines.all():
        tax = from_cents(_line_tax_cents(line))
        lines.append({"line": line, "tax": tax, "gross": line.amount + tax})
        rate = line.tax_rate.normalize()
        base, taxed = by_rate.get(rate, (Decimal("0"), Decimal("0")))
        by_rate[rate] = (base + line.amount, taxed + tax)
    credited = Decimal("0")
    if document.doc_type == DocumentType.INVOICE and document.number:
        credited = document.related_documents.filter(
            doc_type=DocumentType.CREDIT_NOTE, status__in=[DocumentStatus.ISSUED, DocumentStatus.PAID]
        ).aggregate(total=Sum("total"))["total"] or Decimal("0")
    paid = document.status == DocumentStatus.PAID
    due = Decimal("0") if paid or document.doc_type != DocumentType.INVOICE else document.total - credited
    return {
        "document": document,
        "lines": lines,
        "tax_breakdown": sorted(by_rate.items()),
        "credited": credited,
        "amount_due": max(due, Decimal("0")),
        "is_draft": document.status == DocumentStatus.DRAFT,
        "is_void": document.status == DocumentStatus.VOID,
        "is_paid": paid,
        "issuer": {
            "name": settings.BILLING_ISSUER_NAME,
            "address": settings.BILLING_ISSUER_ADDRESS,
            "tax_id": settings.BILLING_ISSUER_TAX_ID,
        },
        "payment_instructions": settings.BILLING_PAYMENT_INSTRUCTIONS,
    }


# --------------------------------------------------------------------------- subscriptions and plan gates


def user_entitlements(*, user: User):
    """What the user's plan allows now (API tier for their keys, monthly credit grant), from
    ``User.plan`` — which the Stripe webhooks keep in sync with their live subscription."""
    from billing import plans

    return plans.entitlements_for(user.plan)


def user_subscriptions(*, user: User):
    from billing.models import StripeSubscription

    return StripeSubscription.objects.filter(user=user).order_by("-created_at")


def venue_stripe_customer_id(*, venue: Venue) -> str:
    """The Stripe customer a venue is billed as ("" before its first checkout)."""
    from billing.models import VenueStripeCustomer

    return VenueStripeCustomer.objects.filter(venue=venue).values_list("stripe_customer_id", flat=True).first() or ""
