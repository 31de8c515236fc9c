"""What the database itself enforces for billing: append-only ledgers, CHECKs, transitions,
frozen issued documents and the deferred double-entry balance check."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError
from model_bakery import baker

from billing import services
from billing.models import (
    AccountingDocument,
    AccountingDocumentEvent,
    AccountingDocumentLine,
    AccountingLedgerEntry,
    ApiKeyUsageEvent,
    CommerceLedger,
    CreditTransaction,
    PriceWatcher,
    Referral,
)
from billing.tests.conftest import draft_invoice
from venues.tests.factories import make_venue


def _assert_append_only(model, pk, **change):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model.objects.filter(pk=pk).update(**change)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model.objects.filter(pk=pk).delete()
    assert model.objects.filter(pk=pk).exists()


@pytest.mark.django_db
def test_the_credit_ledger_rejects_update_and_delete(user):
    entry = services.credit_grant(user=user, amount=10, reason="welcome")
    _assert_append_only(CreditTransaction, entry.pk, amount=1000)


@pytest.mark.django_db
def test_the_commerce_ledger_rejects_update_and_delete(venue):
    entry = services.commerce_ledger_record(
        entry_type="booking_fee", amount_cents=50_000_00, venue=venue, idempotency_key="k1"
    )
    _assert_append_only(CommerceLedger, entry.pk, amount_cents=1)


@pytest.mark.django_db
def test_the_usage_ledger_rejects_update_and_delete():
    event = services.api_usage_record(api_key=baker.make("agents.ApiKey"), intent="booking.confirm", request_id="req-1")
    _assert_append_only(ApiKeyUsageEvent, event.pk, quantity=99)


@pytest.mark.django_db
def test_the_accounting_ledger_and_document_history_reject_update_and_delete(venue):
    invoice = services.accounting_document_issue(document=draft_invoice(venue, "100.00"))
    line = invoice.ledger_entries.first()
    _assert_append_only(AccountingLedgerEntry, line.pk, memo="rewritten")
    event = invoice.events.get()
    _assert_append_only(AccountingDocumentEvent, event.pk, reason="rewritten")


@pytest.mark.django_db
def test_ledger_foreign_keys_protect_the_rows_they_point_at(user):
    services.credit_grant(user=user, amount=10, reason="welcome")
    with pytest.raises(Exception, match="protected"):
        user.delete()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "amount"),
    [("spend", 5), ("grant", -5), ("adjustment", 0), ("teleport", 5)],
)
def test_the_database_rejects_credit_rows_that_break_the_rules(user, kind, amount):
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditTransaction.objects.create(user=user, amount=amount, balance_after=10, kind=kind)


@pytest.mark.django_db
def test_the_database_rejects_a_negative_balance_after(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditTransaction.objects.create(user=user, amount=-5, balance_after=-5, kind="spend")


@pytest.mark.django_db
def test_the_database_rejects_fee_rows_whose_sign_contradicts_the_type(venue):
    with pytest.raises(IntegrityError), transaction.atomic():
        CommerceLedger.objects.create(entry_type="booking_fee", amount_cents=-100, venue=venue, idempotency_key="neg")
    with pytest.raises(IntegrityError), transaction.atomic():
        CommerceLedger.objects.create(entry_type="payout", amount_cents=100, venue=venue, idempotency_key="pos")


@pytest.mark.django_db
def test_the_database_rejects_ledger_lines_that_are_not_one_sided(venue):
    document = draft_invoice(venue)
    for debit, credit in [(100, 100), (0, 0), (-100, 0)]:
        with pytest.raises(IntegrityError), transaction.atomic():
            AccountingLedgerEntry.objects.create(
                document=document, account="1100", debit_cents=debit, credit_cents=credit, currency="IDR"
            )


@pytest.mark.django_db
def test_the_database_rejects_a_self_referral(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(referrer=user, referred=user, code="X", expires_at="2030-01-01T00:00Z")


@pytest.mark.django_db
def test_the_database_rejects_statuses_outside_the_choices(venue, user):
    document = draft_invoice(venue)
    watcher = baker.make(PriceWatcher, user=user, marketplace="shopee", target_price=Decimal("10"))
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountingDocument.objects.filter(pk=document.pk).update(status="lost")
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceWatcher.objects.filter(pk=watcher.pk).update(status="asleep")


@pytest.mark.django_db
def test_the_database_refuses_document_transitions_the_state_machine_forbids(venue):
    invoice = services.accounting_document_issue(document=draft_invoice(venue))
    invoice = services.accounting_document_mark_paid(document=invoice)
    for target in ("draft", "issued", "void"):
        with pytest.raises(IntegrityError, match="cannot move"), transaction.atomic():
            AccountingDocument.objects.filter(pk=invoice.pk).update(status=target)


@pytest.mark.django_db
def test_the_database_refuses_referral_and_price_watch_transitions_the_machines_forbid(user):
    referrer = baker.make("agnt.User")
    referral = baker.make(
        Referral,
        referrer=referrer,
        referred=user,
        status="rewarded",
        rewarded_at="2026-01-01T00:00Z",
        expires_at="2030-01-01T00:00Z",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(status="pending")
    watcher = baker.make(PriceWatcher, user=user, marketplace="lazada", target_price=Decimal("5"), status="expired")
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceWatcher.objects.filter(pk=watcher.pk).update(status="active")


@pytest.mark.django_db
def test_the_database_refuses_a_draft_that_holds_a_number(venue):
    document = draft_invoice(venue)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountingDocument.objects.filter(pk=document.pk).update(number="INV-2026-999999", year=2026, sequence=999999)


@pytest.mark.django_db
def test_an_issued_documents_number_and_amounts_are_frozen(venue):
    invoice = services.accounting_document_issue(document=draft_invoice(venue, "100.00"))
    for change in ({"number": "INV-1999-000001"}, {"total": Decimal("1.00"), "subtotal": Decimal("1.00"), "tax": 0}):
        with pytest.raises(DatabaseError, match="frozen"), transaction.atomic():
            AccountingDocument.objects.filter(pk=invoice.pk).update(**change)
    with pytest.raises(DatabaseError), transaction.atomic():
        AccountingDocument.objects.filter(pk=invoice.pk).delete()
    AccountingDocument.objects.filter(pk=invoice.pk).update(notes="Paid by bank transfer, ref 123")  # still allowed


@pytest.mark.django_db
def test_lines_of_an_issued_document_cannot_be_added_changed_or_removed(venue):
    invoice = services.accounting_document_issue(document=draft_invoice(venue, "100.00"))
    line = invoice.lines.get()
    with pytest.raises(DatabaseError, match="draft"), transaction.atomic():
        AccountingDocumentLine.objects.filter(pk=line.pk).update(description="changed")
    with pytest.raises(DatabaseError, match="draft"), transaction.atomic():
        AccountingDocumentLine.objects.filter(pk=line.pk).delete()
    with pytest.raises(DatabaseError, match="draft"), transaction.atomic():
        AccountingDocumentLine.objects.create(document=invoice, description="x", unit_price=1, amount=1)


@pytest.mark.django_db
def test_the_database_rejects_a_line_whose_amount_is_not_quantity_times_price(venue):
    document = draft_invoice(venue)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountingDocumentLine.objects.create(document=document, description="x", quantity=2, unit_price=10, amount=25)


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_to_commit_an_unbalanced_document():
    document = draft_invoice(make_venue())
    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic():
            AccountingLedgerEntry.objects.create(document=document, account="1100", debit_cents=11_100, currency="IDR")
            AccountingLedgerEntry.objects.create(document=document, account="4000", credit_cents=10_000, currency="IDR")
    assert not AccountingLedgerEntry.objects.filter(document=document).exists()


@pytest.mark.django_db(transaction=True)
def test_the_database_checks_the_balance_per_currency():
    document = draft_invoice(make_venue())
    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic():
            AccountingLedgerEntry.objects.create(document=document, account="1100", debit_cents=100, currency="IDR")
            AccountingLedgerEntry.objects.create(document=document, account="4000", credit_cents=100, currency="USD")


@pytest.mark.django_db(transaction=True)
def test_the_database_commits_a_balanced_document_whose_lines_arrive_one_by_one():
    document = draft_invoice(make_venue())
    with transaction.atomic():
        AccountingLedgerEntry.objects.create(document=document, account="1100", debit_cents=11_100, currency="IDR")
        # unbalanced here, mid-transaction: the check is deferred to COMMIT
        AccountingLedgerEntry.objects.create(document=document, account="4000", credit_cents=10_000, currency="IDR")
        AccountingLedgerEntry.objects.create(document=document, account="2100", credit_cents=1_100, currency="IDR")
    assert AccountingLedgerEntry.objects.filter(document=document).count() == 3


@pytest.mark.django_db
def test_issuing_posts_lines_that_pass_the_balance_check_immediately(venue):
    services.accounting_document_issue(document=draft_invoice(venue, "100.00", "50.00"))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS billing_ledger_balanced IMMEDIATE")  # fires the deferred checks now
