"""Partial credit notes (the full one is billing.services.credit_note_create_for_invoice)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from agnt.models import User
from billing.models import AccountingDocument
from billing.services.accounting import LineSpec, credit_note_create_for_invoice
from billing.services.errors import BillingError


@transaction.atomic
def credit_note_create_partial(
    *, invoice: AccountingDocument, net_amount: Decimal, reason: str, created_by: User | None = None
) -> AccountingDocument:
    """Draft a credit note for part of an invoice: one line of ``net_amount`` (before tax), taxed at
    the rate of the invoice's first line and posted to that line's revenue account.

    Issuing it still checks that all credit notes together stay within the invoice total.
    """
    net_amount = Decimal(net_amount).quantize(Decimal("0.01"))
    if net_amount <= 0:
        raise BillingError("a partial credit must be a positive amount")
    if net_amount > invoice.subtotal:
        raise BillingError(f"{net_amount} is more than {invoice.number}'s subtotal of {invoice.subtotal}")
    first = invoice.lines.order_by("position", "created_at").first()
    if first is None:
        raise BillingError(f"{invoice} has no lines to credit")
    line = LineSpec(
        description=f"Partial credit for {invoice.number}: {reason}"[:300],
        unit_price=net_amount,
        tax_rate=first.tax_rate,
        account=first.account,
    )
    return credit_note_create_for_invoice(invoice=invoice, reason=reason, lines=[line], created_by=created_by)
