"""Accounting documents: drafts, gap-free numbering on issue, balanced double-entry postings,
void, payment (receipts) and credit notes, and monthly venue invoices from the fee ledger."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from agnt.models import User
from agnt.transitions import check, transition
from billing import state
from billing.models import (
    DOCUMENT_NUMBER_PREFIX,
    AccountingDocument,
    AccountingDocumentEvent,
    AccountingDocumentLine,
    AccountingLedgerEntry,
    CommerceEntryType,
    CommerceLedger,
    DocumentSequence,
    DocumentStatus,
    DocumentType,
    LedgerAccount,
    LedgerPosting,
)
from billing.services.commerce import from_cents, to_cents
from billing.services.errors import BillingError, InvalidTransition, NothingToInvoice

if TYPE_CHECKING:
    from bookings.models import VenueBooking
    from venues.models import Venue


@dataclass(frozen=True)
class LineSpec:
    """A line to put on a draft document."""

    description: str
    unit_price: Decimal
    quantity: Decimal = Decimal("1")
    tax_rate: Decimal = Decimal("0")
    account: str = LedgerAccount.REFERRAL_FEE_REVENUE
    booking: VenueBooking | None = None
    commerce_entry: CommerceLedger | None = None


def default_tax_rate() -> Decimal:
    """PPN (Indonesian VAT) rate applied to the platform's fees, in percent."""
    return Decimal(str(settings.BILLING_TAX_RATE_PCT))


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    # same rounding as the database CHECK (round(quantity * unit_price, 2))
    return (Decimal(quantity) * Decimal(unit_price)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _line_tax_cents(line: AccountingDocumentLine) -> int:
    return int((Decimal(to_cents(line.amount)) * line.tax_rate / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _require_draft(document: AccountingDocument) -> None:
    if document.status != DocumentStatus.DRAFT:
        raise BillingError(f"{document} is {document.status}; only drafts can be edited")


def _document_refused(document: AccountingDocument, from_status: str, target: str) -> Exception:
    return InvalidTransition(f"a {from_status} {document.get_doc_type_display().lower()} cannot become {target}")


def _document_move(
    document: AccountingDocument,
    target: str,
    *,
    actor: User | None,
    reason: str = "",
    data=None,
    changes: dict | None = None,
) -> None:
    """Move a document the caller holds locked (status and ``changes`` in one save) and append
    the event row; the transition table decides."""

    def log(row: AccountingDocument, from_status: str) -> None:
        AccountingDocumentEvent.objects.create(
            document=row, from_status=from_status, to_status=target, actor=actor, reason=reason[:300], data=data or {}
        )

    transition(
        document,
        to_status=target,
        table=state.DOCUMENT_TRANSITIONS,
        changes=changes,
        refuse=lambda row, from_status: _document_refused(row, from_status, target),
        event=log,
        locked=document,
    )


def _totals_cents(document: AccountingDocument) -> tuple[int, int]:
    subtotal = tax = 0
    for line in document.lines.all():
        subtotal += to_cents(line.amount)
        tax += _line_tax_cents(line)
    return subtotal, tax


@transaction.atomic
def accounting_document_recalculate(*, document: AccountingDocument) -> AccountingDocument:
    """Recompute a draft's subtotal, tax and total from its lines (cents first, so the ledger agrees)."""
    _require_draft(document)
    subtotal, tax = _totals_cents(document)
    document.subtotal, document.tax, document.total = from_cents(subtotal), from_cents(tax), from_cents(subtotal + tax)
    document.save(update_fields=["subtotal", "tax", "total", "updated_at"])
    return document


@transaction.atomic
def accounting_document_line_save(*, line: AccountingDocumentLine) -> AccountingDocumentLine:
    """Save a new or edited line of a draft: the amount follows quantity × unit price; totals follow."""
    _require_draft(line.document)
    line.amount = line_amount(line.quantity, line.unit_price)
    if line.tax_rate is None:
        line.tax_rate = Decimal("0")
    if line._state.adding and not line.position:
        line.position = line.document.lines.count() + 1
    line.save()
    accounting_document_recalculate(document=line.document)
    return line


@transaction.atomic
def accounting_document_line_delete(*, line: AccountingDocumentLine) -> None:
    document = line.document
    _require_draft(document)
    line.delete()
    accounting_document_recalculate(document=document)


def _bill_to_defaults(venue: Venue | None, customer: User | None) -> dict[str, str]:
    if venue is not None:
        return {"bill_to_name": venue.name, "bill_to_address": venue.address, "bill_to_email": venue.email}
    if customer is not None:
        return {"bill_to_name": str(customer), "bill_to_address": "", "bill_to_email": customer.email}
    return {}


@transaction.atomic
def accounting_document_create(
    *,
    doc_type: str = DocumentType.INVOICE,
    venue: Venue | None = None,
    customer: User | None = None,
    currency: str | None = None,
    lines: Iterable[LineSpec] = (),
    related_document: AccountingDocument | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    due_date: dt.date | None = None,
    bill_to_name: str | None = None,
    bill_to_address: str | None = None,
    bill_to_tax_id: str = "",
    bill_to_email: str | None = None,
    notes: str = "",
    created_by: User | None = None,
) -> AccountingDocument:
    """Create a draft document with its lines. Drafts have no number; issuing gives them one."""
    if venue is None and customer is None:
        raise ValueError("a document is addressed to a venue or a customer")
    bill_to = _bill_to_defaults(venue, customer)
    document = AccountingDocument.objects.create(
        doc_type=doc_type,
        venue=venue,
        customer=customer,
        currency=(currency or (venue.currency if venue else "IDR")).upper(),
        related_document=related_document,
        period_start=period_start,
        period_end=period_end,
        due_date=due_date,
        bill_to_name=bill_to_name if bill_to_name is not None else bill_to.get("bill_to_name", ""),
        bill_to_address=bill_to_address if bill_to_address is not None else bill_to.get("bill_to_address", ""),
        bill_to_email=bill_to_email if bill_to_email is not None else bill_to.get("bill_to_email", ""),
        bill_to_tax_id=bill_to_tax_id,
        notes=notes,
        created_by=created_by,
    )
    AccountingDocumentLine.objects.bulk_create(
        AccountingDocumentLine(
            document=document,
            position=position,
            description=spec.description[:300],
            quantity=Decimal(spec.quantity),
            unit_price=Decimal(spec.unit_price),
            amount=line_amount(spec.quantity, spec.unit_price),
            tax_rate=Decimal(spec.tax_rate),
            account=spec.account,
            booking=spec.booking,
            commerce_entry=spec.commerce_entry,
        )
        for position, spec in enumerate(lines, start=1)
    )
    return accounting_document_recalculate(document=document)


def _fee_line_description(entry: CommerceLedger) -> str:
    label = "Referral fee" if entry.entry_type == CommerceEntryType.BOOKING_FEE else "Fee reversal"
    booking = entry.booking
    if booking is None:
        return f"{label}: {entry.description}" if entry.description else label
    ref = booking.external_ref or str(booking.pk)[:8]
    when = timezone.localtime(booking.slot_start).strftime("%d %b %Y")
    return f"{label} — booking {ref}, {when}, party of {booking.party_size}"


@transaction.atomic
def invoice_create_for_venue(
    *,
    venue: Venue,
    period_start: dt.date,
    period_end: dt.date,
    extra_lines: Iterable[LineSpec] = (),
    tax_rate: Decimal | None = None,
    created_by: User | None = None,
) -> AccountingDocument:
    """Draft the venue's invoice for [period_start, period_end): one line per booking fee (and
    reversal) not yet on a live invoice, plus ``extra_lines``.

    Safe to re-run: if the venue already has a live invoice for this period, that one is
    returned. Raises NothingToInvoice when there is nothing to bill.
    """
    from billing import selectors

    existing = (
        AccountingDocument.objects.filter(venue=venue, doc_type=DocumentType.INVOICE, period_start=period_start)
        .exclude(status=DocumentStatus.VOID)
        .first()
    )
    if existing is not None:
        return existing
    rate = default_tax_rate() if tax_rate is None else Decimal(tax_rate)
    entries = selectors.commerce_entries_uninvoiced(venue=venue, period_start=period_start, period_end=period_end)
    lines = [
        LineSpec(
            description=_fee_line_description(entry),
            unit_price=from_cents(entry.amount_cents),
            tax_rate=rate,
            account=LedgerAccount.REFERRAL_FEE_REVENUE,
            booking=entry.booking,
            commerce_entry=entry,
        )
        for entry in entries
    ]
    lines.extend(extra_lines)
    if not lines:
        raise NothingToInvoice(f"{venue} has nothing to invoice for {period_start}–{period_end}")
    return accounting_document_create(
        doc_type=DocumentType.INVOICE,
        venue=venue,
        currency=venue.currency,
        lines=lines,
        period_start=period_start,
        period_end=period_end,
        created_by=created_by,
        notes=f"Referral fees for bookings from {period_start:%d %b %Y} to {period_end - dt.timedelta(days=1):%d %b %Y}.",
    )


def _allocate_number(doc_type: str, year: int) -> int:
    """Next number for (type, year), from the locked sequence row.

    The row stays locked until the issuing transaction ends, so concurrent issues of the
    same type queue here; a rollback rolls the counter back with it — no gaps.
    """
    DocumentSequence.objects.bulk_create(
        [DocumentSequence(doc_type=doc_type, year=year, last_number=0)], ignore_conflicts=True
    )
    sequence = DocumentSequence.objects.select_for_update().get(doc_type=doc_type, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number", "updated_at"])
    return sequence.last_number


# Where the document's total goes, the other side of its lines.
_COUNTER_ACCOUNT = {
    DocumentType.INVOICE: LedgerAccount.ACCOUNTS_RECEIVABLE,
    DocumentType.RECEIPT: LedgerAccount.CASH_STRIPE,
    DocumentType.CREDIT_NOTE: LedgerAccount.ACCOUNTS_RECEIVABLE,
}


def _issue_postings(document: AccountingDocument, *, counter_account: str | None = None) -> dict[str, int]:
    """Signed cents per account (+ debit, − credit) for issuing ``document``; sums to zero."""
    postings: dict[str, int] = defaultdict(int)
    for line in document.lines.all():
        postings[line.account] -= to_cents(line.amount)
        postings[LedgerAccount.TAX_PAYABLE] -= _line_tax_cents(line)
    postings[counter_account or _COUNTER_ACCOUNT[document.doc_type]] -= sum(postings.values())
    if document.doc_type == DocumentType.CREDIT_NOTE:
        # a credit note is an invoice run backwards: revenue and tax debited, receivable credited
        return {account: -cents for account, cents in postings.items()}
    return dict(postings)


def _post(
    document: AccountingDocument, postings: dict[str, int], *, posting: str, memo: str
) -> list[AccountingLedgerEntry]:
    entries = [
        AccountingLedgerEntry(
            document=document,
            account=account,
            currency=document.currency,
            posting=posting,
            memo=memo[:300],
            debit_cents=cents if cents > 0 else 0,
            credit_cents=-cents if cents < 0 else 0,
        )
        for account, cents in sorted(postings.items())
        if cents
    ]
    if sum(e.debit_cents for e in entries) != sum(e.credit_cents for e in entries):
        raise BillingError(f"posting for {document} does not balance")  # the DB would refuse at commit anyway
    return AccountingLedgerEntry.objects.bulk_create(entries)


@transaction.atomic
def accounting_document_issue(
    *,
    document: AccountingDocument,
    actor: User | None = None,
    issue_date: dt.date | None = None,
    payment_account: str | None = None,
) -> AccountingDocument:
    """Issue a draft: give it the next gap-free number, post its balanced ledger lines, mark it issued.

    ``payment_account`` (receipts only) is where the money arrived; Stripe unless said otherwise.
    """
    document = AccountingDocument.objects.select_for_update().get(pk=document.pk)
    check(
        document,
        to_status=DocumentStatus.ISSUED,
        table=state.DOCUMENT_TRANSITIONS,
        refuse=lambda row, from_status: InvalidTransition(f"{row} is {from_status}; only drafts can be issued"),
    )
    accounting_document_recalculate(document=document)
    if document.total <= 0:
        raise BillingError(f"{document} has a total of {document.total}; only positive amounts can be issued")
    if document.doc_type == DocumentType.CREDIT_NOTE:
        _check_credit_note_fits(document)

    issue_date = issue_date or timezone.localdate()
    sequence = _allocate_number(document.doc_type, issue_date.year)
    number = f"{DOCUMENT_NUMBER_PREFIX[document.doc_type]}-{issue_date.year}-{sequence:06d}"
    due_date = document.due_date
    if due_date is None and document.doc_type == DocumentType.INVOICE:
        due_date = issue_date + dt.timedelta(days=settings.BILLING_PAYMENT_TERMS_DAYS)
    _document_move(
        document,
        DocumentStatus.ISSUED,
        actor=actor,
        data={"number": number},
        changes={
            "year": issue_date.year,
            "sequence": sequence,
            "number": number,
            "issue_date": issue_date,
            "issued_at": timezone.now(),
            "due_date": due_date,
        },
    )
    if payment_account and document.doc_type != DocumentType.RECEIPT:
        raise ValueError("only receipts take a payment account")
    postings = _issue_postings(document, counter_account=payment_account)
    _post(document, postings, posting=LedgerPosting.ISSUE, memo=f"Issue {document.number}")
    return document


def _check_credit_note_fits(credit_note: AccountingDocument) -> None:
    # lock the invoice so two credit notes issued at once cannot both fit under its total
    invoice = AccountingDocument.objects.select_for_update().filter(pk=credit_note.related_document_id).first()
    if invoice is None or invoice.doc_type != DocumentType.INVOICE:
        raise BillingError("a credit note must refer to an invoice")
    if invoice.status not in (DocumentStatus.ISSUED, DocumentStatus.PAID):
        raise BillingError(f"{invoice} is {invoice.status}; only issued or paid invoices can be credited")
    credited = invoice.related_documents.filter(
        doc_type=DocumentType.CREDIT_NOTE, status__in=[DocumentStatus.ISSUED, DocumentStatus.PAID]
    ).aggregate(total=Sum("total"))["total"] or Decimal("0")
    if credited + credit_note.total > invoice.total:
        raise BillingError(f"credit notes would exceed {invoice.number}'s total of {invoice.total}")


@transaction.atomic
def accounting_document_void(
    *, document: AccountingDocument, reason: str, actor: User | None = None
) -> AccountingDocument:
    """Void a draft (discard it) or an unpaid issued document (its postings are reversed, its number kept).

    A paid invoice is never voided: issue a credit note instead.
    """
    document = AccountingDocument.objects.select_for_update().get(pk=document.pk)
    check(
        document,
        to_status=DocumentStatus.VOID,
        table=state.DOCUMENT_TRANSITIONS,
        refuse=lambda row, from_status: InvalidTransition(
            f"{row} is {from_status} and cannot be voided; issue a credit note"
        ),
    )
    if document.doc_type == DocumentType.RECEIPT and document.related_document_id:
        if document.related_document.status == DocumentStatus.PAID:
            raise BillingError(f"{document} records the payment of a paid invoice; issue a credit note instead")
    if (
        document.related_documents.filter(doc_type=DocumentType.CREDIT_NOTE)
        .exclude(status=DocumentStatus.VOID)
        .exists()
    ):
        raise BillingError(f"{document} has credit notes; void those first")
    if document.number:
        balances = document.ledger_entries.values("account").annotate(
            debit=Sum("debit_cents"), credit=Sum("credit_cents")
        )
        reversal = {row["account"]: row["credit"] - row["debit"] for row in balances}
        _post(document, reversal, posting=LedgerPosting.VOID, memo=f"Void {document.number}: {reason}")
    _document_move(
        document,
        DocumentStatus.VOID,
        actor=actor,
        reason=reason,
        changes={"voided_at": timezone.now(), "void_reason": reason[:300]},
    )
    return document


@transaction.atomic
def accounting_document_mark_paid(
    *,
    document: AccountingDocument,
    actor: User | None = None,
    paid_at: dt.datetime | None = None,
    stripe_charge_id: str = "",
    cash_account: str = LedgerAccount.CASH_STRIPE,
) -> AccountingDocument:
    """Mark an issued invoice paid: issues a receipt for it (cash debited, receivable credited)."""
    invoice = AccountingDocument.objects.select_for_update().get(pk=document.pk)
    if invoice.doc_type != DocumentType.INVOICE:
        raise BillingError("only invoices are paid; receipts and credit notes are issued")
    check(
        invoice,
        to_status=DocumentStatus.PAID,
        table=state.DOCUMENT_TRANSITIONS,
        refuse=lambda row, from_status: InvalidTransition(f"{row} is {from_status} and cannot be marked paid"),
    )
    receipt = accounting_document_create(
        doc_type=DocumentType.RECEIPT,
        venue=invoice.venue,
        customer=invoice.customer,
        currency=invoice.currency,
        related_document=invoice,
        bill_to_name=invoice.bill_to_name,
        bill_to_address=invoice.bill_to_address,
        bill_to_tax_id=invoice.bill_to_tax_id,
        bill_to_email=invoice.bill_to_email,
        created_by=actor,
        lines=[
            LineSpec(
                description=f"Payment of {invoice.number}",
                unit_price=invoice.total,
                account=LedgerAccount.ACCOUNTS_RECEIVABLE,
            )
        ],
        notes=f"Stripe charge {stripe_charge_id}" if stripe_charge_id else "",
    )
    receipt = accounting_document_issue(document=receipt, actor=actor, payment_account=cash_account)
    _document_move(
        invoice,
        DocumentStatus.PAID,
        actor=actor,
        data={"receipt": receipt.number, "charge": stripe_charge_id},
        changes={"paid_at": paid_at or timezone.now()},
    )
    return invoice


@transaction.atomic
def credit_note_create_for_invoice(
    *,
    invoice: AccountingDocument,
    reason: str,
    lines: Iterable[LineSpec] | None = None,
    created_by: User | None = None,
) -> AccountingDocument:
    """Draft a credit note against an issued or paid invoice: by default its full amount, line by line."""
    if invoice.doc_type != DocumentType.INVOICE or invoice.status not in (DocumentStatus.ISSUED, DocumentStatus.PAID):
        raise BillingError("credit notes are written against issued or paid invoices")
    if lines is None:
        lines = [
            LineSpec(
                description=line.description,
                unit_price=line.unit_price,
                quantity=line.quantity,
                tax_rate=line.tax_rate,
                account=line.account,
                booking=line.booking,
            )
            for line in invoice.lines.all()
        ]
    return accounting_document_create(
        doc_type=DocumentType.CREDIT_NOTE,
        venue=invoice.venue,
        customer=invoice.customer,
        currency=invoice.currency,
        related_document=invoice,
        bill_to_name=invoice.bill_to_name,
        bill_to_address=invoice.bill_to_address,
        bill_to_tax_id=invoice.bill_to_tax_id,
        bill_to_email=invoice.bill_to_email,
        lines=lines,
        notes=f"Credit for {invoice.number}: {reason}",
        created_by=created_by,
    )
