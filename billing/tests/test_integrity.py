"""The nightly ledger integrity check: silent on honest books, loud on drift made by raw SQL."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from model_bakery import baker

from agnt.models import ErrorLog, User
from billing import services, tasks
from billing.models import (
    AccountingDocument,
    AccountingLedgerEntry,
    CommerceLedger,
    CreditTransaction,
    IntegrityFinding,
    IntegrityRun,
)
from billing.tests.conftest import draft_invoice
from venues.tests.factories import make_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(user, venue):
    """Honest books with every kind of movement: grants, spends, expiry, fees, invoices issued,
    paid, voided, credited in part, and a monthly invoice built from the fee ledger."""
    services.credit_grant(user=user, amount=100, reason="welcome")
    services.credit_grant(user=user, amount=30, reason="promo", expires_at=timezone.now() - dt.timedelta(hours=1))
    services.credit_spend(user=user, amount=20, reason="booking")
    services.credit_expire_due()
    baker.make(User)  # a user who never had credits

    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=10)
    for n in range(3):
        booking = make_booking(venue=venue, status="completed", spend_estimate=Decimal("250000") * (n + 1))
        services.commerce_booking_fee_record(booking=booking)  # this month's: not invoiced yet, and rightly so
    services.commerce_ledger_record(
        entry_type="booking_fee",
        amount_cents=90_000_00,
        venue=venue,
        idempotency_key="last-month",
        occurred_at=dt.datetime.combine(last_month, dt.time(12), tzinfo=timezone.get_current_timezone()),
    )
    monthly = services.invoice_monthly_run().issued
    paid = services.accounting_document_mark_paid(
        document=services.accounting_document_issue(document=draft_invoice(venue, "100.00"))
    )
    voided = services.accounting_document_void(
        document=services.accounting_document_issue(document=draft_invoice(venue, "40.00")), reason="duplicate"
    )
    open_invoice = services.accounting_document_issue(document=draft_invoice(venue, "300.00", "50.00"))
    note = services.credit_note_create_partial(invoice=open_invoice, net_amount=Decimal("25.00"), reason="late table")
    services.accounting_document_issue(document=note)
    draft_invoice(venue, "999.00")  # drafts post nothing
    return {"user": user, "venue": venue, "monthly": monthly, "paid": paid, "voided": voided, "open": open_invoice}


def _findings(run: IntegrityRun, check: str) -> list[IntegrityFinding]:
    return list(run.findings.filter(check_name=check))


def _disable_append_only(model) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:  # DDL is transactional: the test's rollback restores it
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the deferred checks first (ALTER refuses pending ones)
        cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{table}_append_only"')


def test_a_clean_ledger_reports_nothing(books):
    assert len(books["monthly"]) == 1
    run = services.ledger_integrity_check()
    assert run.findings_count == 0, [f.message for f in run.findings.all()]
    assert run.users_checked == User.objects.count()
    assert run.documents_checked == AccountingDocument.objects.exclude(number=None).count()
    assert run.fee_entries_checked == 4
    assert not ErrorLog.objects.exists()


def test_the_nightly_job_stores_a_run_and_returns_its_findings(books):
    assert tasks.ledger_integrity_check() == 0
    assert tasks.ledger_integrity_check() == 0  # twice: still clean, one run row each
    assert IntegrityRun.objects.count() == 2


def test_a_cached_balance_edited_by_hand_is_reported(books, caplog):
    user = books["user"]
    User.objects.filter(pk=user.pk).update(credits=999)
    run = services.ledger_integrity_check()
    [finding] = _findings(run, "credit_balance")
    assert (finding.subject_id, finding.expected, finding.actual) == (str(user.pk), 100, 999)
    error = ErrorLog.objects.get()
    assert "1 discrepancies" in error.message and error.context["integrity_run"] == str(run.pk)
    assert any("Ledger integrity check found 1" in r.getMessage() for r in caplog.records)


def test_a_credit_ledger_row_changed_behind_the_triggers_back_is_reported(books):
    user = books["user"]
    _disable_append_only(CreditTransaction)
    last = CreditTransaction.objects.filter(user=user).order_by("-created_at").first()
    CreditTransaction.objects.filter(pk=last.pk).update(balance_after=last.balance_after + 7)
    first = CreditTransaction.objects.filter(user=user).order_by("created_at").first()
    CreditTransaction.objects.filter(pk=first.pk).update(amount=first.amount + 5)
    messages = [f.message for f in _findings(services.ledger_integrity_check(), "credit_balance")]
    assert len(messages) == 2
    assert any("balance 100 credits but the ledger adds up to 105" in m for m in messages)
    assert any("latest ledger row says 107 credits but the rows add up to 105" in m for m in messages)


def test_an_unbalanced_posting_is_reported(books):
    _disable_append_only(AccountingLedgerEntry)
    entry = AccountingLedgerEntry.objects.filter(document=books["open"], account="4000").get()
    AccountingLedgerEntry.objects.filter(pk=entry.pk).update(credit_cents=entry.credit_cents + 1)
    run = services.ledger_integrity_check()
    messages = [f.message for f in _findings(run, "document_postings")]
    assert any("do not balance" in m and books["open"].number in m for m in messages)
    assert any("does not match the document total" in m for m in messages)
    assert not _findings(run, "accounts_receivable")  # the receivable side was untouched


def test_a_receivable_posting_without_a_document_amount_is_reported(books):
    # a balanced but bogus pair on a voided invoice: AR no longer equals what invoices say is owed
    voided = books["voided"]
    with connection.cursor() as cursor:
        for account, debit, credit in (("1100", 5_00, 0), ("4900", 0, 5_00)):
            cursor.execute(
                "INSERT INTO billing_accountingledgerentry (id, created_at, document_id, account, debit_cents, credit_cents,"
                " currency, posting, memo) VALUES (gen_random_uuid(), now(), %s, %s, %s, %s, %s, 'void', 'manual fix')",
                [voided.pk, account, debit, credit, voided.currency],
            )
    run = services.ledger_integrity_check()
    [receivable] = _findings(run, "accounts_receivable")
    assert receivable.actual - receivable.expected == 5_00 and receivable.currency == "IDR"
    assert any("void postings" in f.message for f in _findings(run, "document_postings"))


def test_a_fee_billed_at_a_different_amount_is_reported(books):
    invoice = AccountingDocument.objects.get(number=books["monthly"][0])
    line = invoice.lines.get()
    _disable_append_only(CommerceLedger)
    CommerceLedger.objects.filter(pk=line.commerce_entry_id).update(amount_cents=91_000_00)
    [finding] = _findings(services.ledger_integrity_check(), "fees_invoiced")
    assert (finding.expected, finding.actual) == (91_000_00, 90_000_00)
    assert invoice.number in finding.message


def test_a_fee_from_a_closed_month_left_off_every_invoice_is_reported(books):
    old = services.commerce_ledger_record(
        entry_type="booking_fee",
        amount_cents=12_00,
        venue=books["venue"],
        idempotency_key="forgotten",
        occurred_at=timezone.now() - dt.timedelta(days=75),
    )
    [finding] = _findings(services.ledger_integrity_check(), "fees_invoiced")
    assert finding.subject_id == str(old.pk) and "is on no invoice" in finding.message


def test_the_demo_books_are_clean_but_for_the_one_fee_left_off_an_invoice(staff_user):
    from billing.demo import seed_billing_demo
    from venues.tests.factories import make_venue

    users = [baker.make(User, referral_code=f"DEMO{i}") for i in range(3)]
    venues = [make_venue(name=f"Demo {i}") for i in range(3)]
    seed_billing_demo(users=users, venues=venues, staff=staff_user)
    run = IntegrityRun.objects.get()
    [finding] = run.findings.all()
    assert finding.check_name == "fees_invoiced" and "is on no invoice" in finding.message
    assert finding.expected == 85_000_00
    assert run.documents_checked >= 4
