"""The fee ledger and metered API usage: idempotent recording, booking fees and reversals."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from model_bakery import baker

from billing import services
from billing.models import ApiKeyUsageEvent, CommerceLedger
from venues.tests.factories import make_booking


@pytest.mark.django_db
def test_recording_the_same_idempotency_key_twice_appends_one_row(venue):
    first = services.commerce_ledger_record(
        entry_type="subscription",
        amount_cents=29_00,
        currency="usd",
        venue=venue,
        idempotency_key="stripe:evt_1",
        stripe_event_id="evt_1",
    )
    again = services.commerce_ledger_record(
        entry_type="subscription",
        amount_cents=29_00,
        currency="USD",
        venue=venue,
        idempotency_key="stripe:evt_1",
        stripe_event_id="evt_1",
    )
    assert again.pk == first.pk and first.currency == "USD"
    assert CommerceLedger.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_an_idempotency_key_reused_for_a_different_amount(venue):
    services.commerce_ledger_record(entry_type="booking_fee", amount_cents=100, venue=venue, idempotency_key="k")
    with pytest.raises(services.IdempotencyConflict):
        services.commerce_ledger_record(entry_type="booking_fee", amount_cents=200, venue=venue, idempotency_key="k")


@pytest.mark.django_db
def test_the_database_refuses_two_rows_with_one_idempotency_key(venue):
    CommerceLedger.objects.create(entry_type="booking_fee", amount_cents=100, venue=venue, idempotency_key="dup")
    with pytest.raises(IntegrityError), transaction.atomic():
        CommerceLedger.objects.create(entry_type="booking_fee", amount_cents=100, venue=venue, idempotency_key="dup")


@pytest.mark.django_db
def test_a_booking_fee_is_the_venues_percentage_of_the_expected_spend_recorded_once(venue):
    booking = make_booking(venue=venue, spend_estimate=Decimal("1250000.00"), currency="IDR")
    fee = services.commerce_booking_fee_record(booking=booking)
    assert (fee.entry_type, fee.amount_cents, fee.venue, fee.booking) == ("booking_fee", 125_000_00, venue, booking)
    assert services.commerce_booking_fee_record(booking=booking).pk == fee.pk
    reversal = services.commerce_booking_fee_reverse(booking=booking, reason="cancelled by venue")
    assert (reversal.entry_type, reversal.amount_cents, reversal.venue) == ("fee_reversal", -125_000_00, venue)
    assert services.commerce_booking_fee_reverse(booking=booking).pk == reversal.pk


@pytest.mark.django_db
def test_a_booking_without_a_spend_estimate_records_no_fee(venue):
    booking = make_booking(venue=venue, spend_estimate=None)
    assert services.commerce_booking_fee_record(booking=booking) is None
    assert services.commerce_booking_fee_reverse(booking=booking) is None
    assert not CommerceLedger.objects.exists()


@pytest.mark.django_db
def test_a_retried_api_call_is_metered_once_at_the_list_price():
    key = baker.make("agents.ApiKey")
    first = services.api_usage_record(api_key=key, intent="booking.confirm", request_id="req-42")
    again = services.api_usage_record(api_key=key, intent="booking.confirm", request_id="req-42")
    assert again.pk == first.pk
    assert (first.unit_price_cents, first.amount_cents, first.currency) == (50, 50, "USD")
    assert ApiKeyUsageEvent.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_usage_event_with_no_quantity_or_a_reused_request_id():
    key = baker.make("agents.ApiKey")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKeyUsageEvent.objects.create(api_key=key, intent="booking.search", request_id="r1", quantity=0)
    ApiKeyUsageEvent.objects.create(api_key=key, intent="booking.search", request_id="r2")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKeyUsageEvent.objects.create(api_key=key, intent="booking.search", request_id="r2")
