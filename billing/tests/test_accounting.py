"""Accounting documents: gap-free numbering, balanced postings, void, payment, credit notes,
and monthly venue invoices built from the fee ledger."""

import datetime as dt
import threading
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connections, transaction
from django.db.models import Sum
from django.utils import timezone

from billing import selectors, services
from billing.models import AccountingDocument, AccountingLedgerEntry, DocumentSequence, LedgerAccount
from billing.services import BillingError, InvalidTransition, LineSpec, NothingToInvoice
from billing.tests.conftest import draft_invoice
from venues.tests.factories import make_booking, make_venue

YEAR = timezone.localdate().year


def _balances(document) -> dict[str, int]:
    """Debits minus credits per account for one document."""
    sums: dict[str, int] = defaultdict(int)
    for entry in document.ledger_entries.all():
        sums[entry.account] += entry.debit_cents - entry.credit_cents
    return {account: cents for account, cents in sums.items() if cents}


# --------------------------------------------------------------------------- numbering


@pytest.mark.django_db
def test_issued_documents_get_sequential_numbers_and_drafts_consume_none(venue):
    first, second, third = draft_invoice(venue), draft_invoice(venue), draft_invoice(venue)
    assert first.number is None
    second = services.accounting_document_issue(document=second)
    first = services.accounting_document_issue(document=first)
    third.refresh_from_db()
    assert [second.number, first.number] == [f"INV-{YEAR}-000001", f"INV-{YEAR}-000002"]
    assert (third.status, third.number) == ("draft", None)
    assert DocumentSequence.objects.get(doc_type="invoice", year=YEAR).last_number == 2


@pytest.mark.django_db
def test_a_voided_draft_consumes_no_number(venue):
    services.accounting_document_void(document=draft_invoice(venue), reason="typo")
    issued = services.accounting_document_issue(document=draft_invoice(venue))
    assert issued.number == f"INV-{YEAR}-000001"


@pytest.mark.django_db
def test_a_rolled_back_issue_gives_its_number_back(venue):
    document = draft_invoice(venue)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.accounting_document_issue(document=document)
        raise RuntimeError("e-mailing the PDF failed")
    document.refresh_from_db()
    assert (document.status, document.number) == ("draft", None)
    assert services.accounting_document_issue(document=document).number == f"INV-{YEAR}-000001"


@pytest.mark.django_db
def test_each_document_type_and_year_has_its_own_sequence(venue):
    old = services.accounting_document_issue(document=draft_invoice(venue), issue_date=dt.date(2025, 12, 31))
    new = services.accounting_document_issue(document=draft_invoice(venue), issue_date=dt.date(2026, 1, 1))
    paid = services.accounting_document_mark_paid(document=new)
    receipt = paid.related_documents.get(doc_type="receipt")
    assert (old.number, new.number, receipt.number) == ("INV-2025-000001", "INV-2026-000001", f"RCT-{YEAR}-000001")


@pytest.mark.django_db
def test_it_refuses_to_issue_a_document_twice_or_with_nothing_on_it(venue):
    issued = services.accounting_document_issue(document=draft_invoice(venue))
    with pytest.raises(InvalidTransition):
        services.accounting_document_issue(document=issued)
    empty = services.accounting_document_create(venue=venue)
    with pytest.raises(BillingError, match="positive"):
        services.accounting_document_issue(document=empty)
    assert DocumentSequence.objects.get(doc_type="invoice", year=YEAR).last_number == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_get_distinct_gap_free_numbers():
    venue = make_venue()
    drafts = [draft_invoice(venue) for _ in range(6)]
    numbers: list[str] = []
    errors: list[str] = []
    start = threading.Barrier(len(drafts))

    def issue(document):
        try:
            start.wait(timeout=10)
            numbers.append(services.accounting_document_issue(document=document).number)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert sorted(numbers) == [f"INV-{YEAR}-{n:06d}" for n in range(1, 7)]


# --------------------------------------------------------------------------- postings


@pytest.mark.django_db
def test_issuing_an_invoice_posts_receivable_revenue_and_tax(venue):
    invoice = services.accounting_document_issue(document=draft_invoice(venue, "100.00", "50.00", tax_rate="11"))
    assert (invoice.subtotal, invoice.tax, invoice.total) == (Decimal("150.00"), Decimal("16.50"), Decimal("166.50"))
    assert _balances(invoice) == {
        LedgerAccount.ACCOUNTS_RECEIVABLE: 16_650,
        LedgerAccount.REFERRAL_FEE_REVENUE: -15_000,
        LedgerAccount.TAX_PAYABLE: -1_650,
    }
    totals = invoice.ledger_entries.aggregate(debits=Sum("debit_cents"), credits=Sum("credit_cents"))
    assert totals == {"debits": 16_650, "credits": 16_650}
    event = invoice.events.get()
    assert (event.from_status, event.to_status, event.data["number"]) == ("draft", "issued", invoice.number)


@pytest.mark.django_db
def test_line_amounts_and_tax_round_to_the_cent_consistently(venue):
    document = services.accounting_document_create(
        venue=venue,
        lines=[
            LineSpec(
                description="Usage",
                quantity=Decimal("3"),
                unit_price=Decimal("0.35"),
                tax_rate=Decimal("11"),
                account=LedgerAccount.API_USAGE_REVENUE,
            )
        ],
    )
    invoice = services.accounting_document_issue(document=document)
    assert (invoice.subtotal, invoice.tax, invoice.total) == (Decimal("1.05"), Decimal("0.12"), Decimal("1.17"))
    assert sum(_balances(invoice).values()) == 0


@pytest.mark.django_db
def test_voiding_an_issued_invoice_reverses_its_postings_and_keeps_its_number(venue, staff_user):
    invoice = services.accounting_document_issue(document=draft_invoice(venue, "100.00"))
    voided = services.accounting_document_void(document=invoice, reason="wrong venue", actor=staff_user)
    assert (voided.status, voided.number, voided.void_reason) == ("void", invoice.number, "wrong venue")
    assert _balances(voided) == {}
    assert voided.ledger_entries.filter(posting="void").count() == 3
    assert list(voided.events.values_list("to_status", "actor")) == [("issued", None), ("void", staff_user.pk)]


@pytest.mark.django_db
def test_marking_an_invoice_paid_issues_a_receipt_that_moves_receivable_to_cash(venue):
    invoice = services.accounting_document_issue(document=draft_invoice(venue, "100.00"))
    paid = services.accounting_document_mark_paid(document=invoice, stripe_charge_id="ch_123")
    receipt = paid.related_documents.get()
    assert paid.status == "paid" and paid.paid_at is not None
    assert (receipt.doc_type, receipt.status, receipt.total) == ("receipt", "issued", invoice.total)
    assert _balances(receipt) == {LedgerAccount.CASH_STRIPE: 11_100, LedgerAccount.ACCOUNTS_RECEIVABLE: -11_100}
    receivable = AccountingLedgerEntry.objects.filter(account=LedgerAccount.ACCOUNTS_RECEIVABLE).aggregate(
        balance=Sum("debit_cents") - Sum("credit_cents")
    )
    assert receivable == {"balance": 0}


@pytest.mark.django_db
def test_a_paid_invoice_cannot_be_voided_or_paid_again(venue):
    paid = services.accounting_document_mark_paid(
        document=services.accounting_document_issue(document=draft_invoice(venue))
    )
    with pytest.raises(InvalidTransition):
        services.accounting_document_void(document=paid, reason="oops")
    with pytest.raises(InvalidTransition):
        services.accounting_document_mark_paid(document=paid)
    receipt = paid.related_documents.get()
    with pytest.raises(BillingError, match="credit note"):
        services.accounting_document_void(document=receipt, reason="oops")


@pytest.mark.django_db
def test_a_credit_note_reverses_revenue_and_cannot_exceed_the_invoice(venue):
    invoice = services.accounting_document_issue(document=draft_invoice(venue, "100.00"))
    credit_note = services.accounting_document_issue(
        document=services.credit_note_create_for_invoice(invoice=invoice, reason="booking disputed")
    )
    assert credit_note.number == f"CN-{YEAR}-000001"
    assert _balances(credit_note) == {
        LedgerAccount.ACCOUNTS_RECEIVABLE: -11_100,
        LedgerAccount.REFERRAL_FEE_REVENUE: 10_000,
        LedgerAccount.TAX_PAYABLE: 1_100,
    }
    second = services.credit_note_create_for_invoice(invoice=invoice, reason="again")
    with pytest.raises(BillingError, match="exceed"):
        services.accounting_document_issue(document=second)
    with pytest.raises(BillingError, match="credit notes"):
        services.accounting_document_void(document=invoice, reason="credited already")


@pytest.mark.django_db
def test_draft_lines_can_be_edited_and_totals_follow(venue):
    document = draft_invoice(venue, "100.00", tax_rate="0")
    line = document.lines.get()
    line.quantity = Decimal("2.5")
    services.accounting_document_line_save(line=line)
    document.refresh_from_db()
    assert (line.amount, document.total) == (Decimal("250.00"), Decimal("250.00"))
    services.accounting_document_line_delete(line=line)
    document.refresh_from_db()
    assert document.total == Decimal("0.00")


# --------------------------------------------------------------------------- venue invoices from the fee ledger


def _fee(venue, cents, when, key, entry_type="booking_fee", booking=None):
    return services.commerce_ledger_record(
        entry_type=entry_type,
        amount_cents=cents,
        venue=venue,
        booking=booking,
        idempotency_key=key,
        occurred_at=when,
    )


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


@pytest.mark.django_db
def test_a_monthly_invoice_bills_the_periods_uninvoiced_fees_once(venue):
    nov, dec = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
    booking = make_booking(venue=venue, external_ref="AG-FEE001")
    in_period = _fee(venue, 25_000_00, _at(dt.date(2026, 11, 3)), "f1", booking=booking)
    reversal = _fee(venue, -5_000_00, _at(dt.date(2026, 11, 20)), "f2", entry_type="fee_reversal")
    _fee(venue, 9_000_00, _at(dt.date(2026, 12, 1), hour=0), "f3")  # next period (local midnight)
    _fee(make_venue(), 7_000_00, _at(dt.date(2026, 11, 5)), "f4")  # another venue

    invoice = services.invoice_create_for_venue(venue=venue, period_start=nov, period_end=dec, tax_rate=Decimal("0"))
    assert invoice.status == "draft" and invoice.bill_to_name == "Warung Biru"
    assert sorted(invoice.lines.values_list("commerce_entry", flat=True)) == sorted([in_period.pk, reversal.pk])
    assert invoice.total == Decimal("20000.00")
    assert "AG-FEE001" in invoice.lines.get(commerce_entry=in_period).description

    again = services.invoice_create_for_venue(venue=venue, period_start=nov, period_end=dec)
    assert again.pk == invoice.pk
    assert selectors.commerce_entries_uninvoiced(venue=venue, period_start=nov, period_end=dec).count() == 0


@pytest.mark.django_db
def test_voiding_a_venue_invoice_frees_its_fees_for_the_next_invoice(venue):
    nov, dec = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
    _fee(venue, 10_000_00, _at(dt.date(2026, 11, 3)), "f1")
    first = services.invoice_create_for_venue(venue=venue, period_start=nov, period_end=dec)
    services.accounting_document_void(document=first, reason="wrong tax")
    second = services.invoice_create_for_venue(venue=venue, period_start=nov, period_end=dec, tax_rate=Decimal("0"))
    assert second.pk != first.pk and second.lines.count() == 1


@pytest.mark.django_db
def test_a_venue_with_nothing_to_bill_gets_no_invoice(venue):
    with pytest.raises(NothingToInvoice):
        services.invoice_create_for_venue(
            venue=venue, period_start=dt.date(2026, 11, 1), period_end=dt.date(2026, 12, 1)
        )
    assert not AccountingDocument.objects.exists()
