"""Booking fees from booking outcomes (signal → task → one service) and monthly invoicing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services, tasks
from billing.models import AccountingDocument, AccountingLedgerEntry, CommerceLedger, DocumentSequence
from bookings import services as booking_services
from venues.tests.factories import make_booking, make_venue

pytestmark = pytest.mark.django_db


def _completed(booking, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_complete(booking=booking)
    return booking


def test_completing_a_booking_records_the_venues_fee_once(venue, django_capture_on_commit_callbacks):
    booking = make_booking(venue=venue, status="confirmed", spend_estimate=Decimal("1250000.00"), currency="IDR")
    _completed(booking, django_capture_on_commit_callbacks)
    fee = CommerceLedger.objects.get(booking=booking)
    assert (fee.entry_type, fee.amount_cents, fee.currency, fee.venue_id) == (
        "booking_fee",
        125_000_00,
        "IDR",
        venue.pk,
    )
    # a repeated (or late) task changes nothing
    tasks.booking_fee_sync(str(booking.pk))
    tasks.booking_fee_sync(str(booking.pk))
    assert CommerceLedger.objects.filter(booking=booking).count() == 1


def test_without_a_spend_estimate_the_fee_uses_average_spend_times_party_size(django_capture_on_commit_callbacks):
    venue = make_venue(referral_fee_pct=Decimal("7.50"), average_spend=Decimal("350000.00"), currency="IDR")
    booking = make_booking(venue=venue, status="confirmed", party_size=3, spend_estimate=None)
    _completed(booking, django_capture_on_commit_callbacks)
    fee = CommerceLedger.objects.get(booking=booking)
    assert fee.amount_cents == 78_750_00  # 7.5% of 3 × 350,000
    assert "average spend 350000.00 × 3 guests" in fee.description


def test_a_booking_with_no_spend_basis_owes_no_fee(django_capture_on_commit_callbacks):
    venue = make_venue(average_spend=None)
    booking = make_booking(venue=venue, status="confirmed", spend_estimate=None)
    _completed(booking, django_capture_on_commit_callbacks)
    assert not CommerceLedger.objects.filter(booking=booking).exists()


def test_fees_are_rounded_to_whole_cents_half_up():
    venue = make_venue(referral_fee_pct=Decimal("12.50"))
    booking = make_booking(venue=venue, spend_estimate=Decimal("0.05"))
    assert services.booking_fee_cents(booking) == 1  # 0.625 cents → 1


def test_a_cancelled_or_no_show_booking_owes_nothing_and_a_recorded_fee_is_reversed(
    venue, django_capture_on_commit_callbacks
):
    booking = make_booking(venue=venue, status="confirmed", spend_estimate=Decimal("500000"))
    services.commerce_booking_fee_record(booking=booking)  # e.g. recorded by an earlier, mistaken completion
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_transition(booking=booking, to_status="no_show", actor_kind="owner")
    entries = dict(CommerceLedger.objects.filter(booking=booking).values_list("entry_type", "amount_cents"))
    assert entries == {"booking_fee": 50_000_00, "fee_reversal": -50_000_00}
    tasks.booking_fee_sync(str(booking.pk))
    assert CommerceLedger.objects.filter(booking=booking).count() == 2


def test_a_late_task_for_a_booking_that_is_no_longer_completed_records_no_fee(venue):
    booking = make_booking(venue=venue, status="cancelled", spend_estimate=Decimal("500000"))
    assert tasks.booking_fee_sync(str(booking.pk)) is None
    assert tasks.booking_fee_sync("0190a4c4-0000-7000-8000-000000000000") is None  # unknown id: no crash
    assert tasks.booking_fee_sync("not-a-uuid") is None
    assert not CommerceLedger.objects.exists()


def test_a_disputed_fee_is_reversed_once_from_its_ledger_row(venue):
    booking = make_booking(venue=venue, status="completed", spend_estimate=Decimal("200000"))
    fee = services.commerce_booking_fee_record(booking=booking)
    reversal = services.commerce_fee_entry_reverse(entry=fee, reason="venue disputes the visit")
    again = services.commerce_fee_entry_reverse(entry=fee, reason="clicked twice")
    assert reversal.pk == again.pk and reversal.amount_cents == -fee.amount_cents
    with pytest.raises(services.BillingError):
        services.commerce_fee_entry_reverse(entry=reversal, reason="a reversal is not a fee")


def _fee_at(venue, cents: int, when: dt.datetime, key: str) -> CommerceLedger:
    return services.commerce_ledger_record(
        entry_type="booking_fee",
        amount_cents=cents,
        venue=venue,
        currency=venue.currency,
        idempotency_key=key,
        occurred_at=when,
    )


def _local(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def test_monthly_invoicing_issues_one_invoice_per_venue_for_last_months_fees():
    warung, club, quiet = make_venue(name="Warung"), make_venue(name="Club"), make_venue(name="Quiet")
    _fee_at(warung, 100_000_00, _local(dt.date(2026, 10, 3)), "w1")
    _fee_at(warung, 50_000_00, _local(dt.date(2026, 10, 31), 23), "w2")
    _fee_at(warung, 70_000_00, _local(dt.date(2026, 11, 1), 0), "w-next-month")
    _fee_at(club, 20_000_00, _local(dt.date(2026, 10, 15)), "c1")
    _fee_at(quiet, 5_000_00, _local(dt.date(2026, 9, 30)), "q-earlier")

    summary = services.invoice_monthly_run(today=dt.date(2026, 11, 1))
    assert len(summary.issued) == 2 and summary.skipped == []
    invoice = AccountingDocument.objects.get(venue=warung)
    assert invoice.status == "issued" and invoice.number.startswith("INV-2026-")
    assert (invoice.period_start, invoice.period_end) == (dt.date(2026, 10, 1), dt.date(2026, 11, 1))
    assert invoice.subtotal == Decimal("150000.00") and invoice.tax == Decimal("16500.00")
    assert invoice.lines.count() == 2
    assert AccountingLedgerEntry.objects.filter(document=invoice, account="1100").get().debit_cents == 166_500_00
    assert not AccountingDocument.objects.filter(venue=quiet).exists()

    state = (
        AccountingDocument.objects.count(),
        AccountingLedgerEntry.objects.count(),
        DocumentSequence.objects.get(doc_type="invoice", year=2026).last_number,
    )
    again = services.invoice_monthly_run(today=dt.date(2026, 11, 1))  # run twice → same state
    assert again.issued == [] and len(again.already) == 2
    assert (
        AccountingDocument.objects.count(),
        AccountingLedgerEntry.objects.count(),
        DocumentSequence.objects.get(doc_type="invoice", year=2026).last_number,
    ) == state


def test_a_month_of_only_reversals_gets_no_invoice_and_burns_no_number(venue):
    booking = make_booking(venue=venue, status="completed", spend_estimate=Decimal("100000"))
    fee = services.commerce_booking_fee_record(booking=booking)  # its month is not the one invoiced below
    services.commerce_ledger_record(
        entry_type="fee_reversal",
        amount_cents=-fee.amount_cents,
        venue=venue,
        currency=venue.currency,
        idempotency_key="rev",
        occurred_at=_local(dt.date(2026, 10, 5)),
    )
    summary = services.invoice_monthly_run(today=dt.date(2026, 11, 1))
    assert summary.issued == [] and len(summary.skipped) == 1
    assert not AccountingDocument.objects.exists()
    assert not DocumentSequence.objects.exists()


def test_the_monthly_invoicing_job_runs_under_its_locks():
    venue = make_venue()
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=3)
    _fee_at(venue, 10_000_00, _local(last_month), "job-fee")
    result = tasks.monthly_invoicing()
    assert len(result["issued"]) == 1
    assert tasks.monthly_invoicing()["issued"] == []
