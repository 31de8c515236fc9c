"""The Finance reconciliation page: ledger against Stripe per day, differences highlighted,
Finance only, a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from agnt.models import User
from billing import reconciliation, services, stripe_client
from billing.collection_jobs import charge_unbilled_usage, collect_booking_fees
from billing.models import CommerceLedger, FeeCollection
from billing.tests.fake_stripe import fake_stripe  # noqa: F401  (a fixture)
from venues.tests.factories import make_booking

URL = "admin:billing_reconciliation"


def _at(days_ago: int) -> dt.datetime:
    local_noon = dt.datetime.combine(timezone.localdate() - dt.timedelta(days=days_ago), dt.time(12))
    return timezone.make_aware(local_noon)


def _fee(venue, *, days_ago: int, spend: str = "1000000.00") -> CommerceLedger:
    booking = make_booking(venue=venue, spend_estimate=Decimal(spend), currency="IDR")
    return services.commerce_ledger_record(
        entry_type="booking_fee",
        amount_cents=services.booking_fee_cents(booking),
        currency="IDR",
        venue=venue,
        booking=booking,
        idempotency_key=f"booking-fee:{booking.pk}",
        occurred_at=_at(days_ago),
    )


@pytest.fixture
def books(fake_stripe, venue):
    """Three days: 3 days ago all collected; 2 days ago a fee recorded after the run (waiting);
    yesterday a collection that disagrees with its ledger row (a mismatch). Usage likewise."""
    fake_stripe.clock = int(time.time())  # Stripe's `created` = now, so today's range holds the items
    _fee(venue, days_ago=3)
    _fee(venue, days_ago=3, spend="200000.00")
    key = baker.make("agents.ApiKey", owner=baker.make(User, email="dev@example.com"), tier="pro")
    services.api_usage_record(api_key=key, intent="booking.confirm", request_id="u1", occurred_at=_at(3))
    collect_booking_fees()
    charge_unbilled_usage()
    waiting = _fee(venue, days_ago=2, spend="500000.00")
    services.api_usage_record(api_key=key, intent="booking.create", request_id="u2", occurred_at=_at(2))
    wrong = _fee(venue, days_ago=1)
    FeeCollection.objects.create(
        ledger_entry=wrong,
        venue=venue,
        outcome="invoiced",
        amount_cents=90_000_00,
        currency="IDR",
        stripe_invoice_item_id="ii_wrong",
    )
    return {"waiting": waiting, "wrong": wrong}


@pytest.mark.django_db
def test_the_selectors_report_waiting_and_mismatched_days(books):
    today = timezone.localdate()
    fees = {row.day: row for row in reconciliation.fee_rows(date_from=today - dt.timedelta(days=5), date_to=today)}
    d3, d2, d1 = (today - dt.timedelta(days=n) for n in (3, 2, 1))
    assert (fees[d3].state, fees[d3].ledger_cents, fees[d3].sent_cents, fees[d3].mismatch_cents) == (
        "ok",
        120_000_00,
        120_000_00,
        0,
    )
    assert (fees[d2].state, fees[d2].waiting_count, fees[d2].waiting_cents) == ("waiting", 1, 50_000_00)
    assert (fees[d1].state, fees[d1].mismatch_cents) == ("mismatch", 10_000_00)
    usage = {row.day: row for row in reconciliation.usage_rows(date_from=today - dt.timedelta(days=5), date_to=today)}
    assert (usage[d3].state, usage[d3].ledger_cents, usage[d3].sent_cents) == ("ok", 50, 50)
    assert (usage[d2].state, usage[d2].waiting_cents) == ("waiting", 10)


@pytest.mark.django_db
def test_the_page_shows_both_sides_per_day_with_differences_and_links(books, admin_client):
    response = admin_client.get(reverse(URL))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("recon-mismatch") == 1
    assert html.count("recon-waiting") == 2  # the waiting fee day and the waiting usage day
    assert html.count("recon-ok") == 2
    # amounts as the back office writes money: rupiah without decimals, thousands separated
    assert "IDR +120,000" in html and "IDR +90,000" in html and "<strong>IDR +10,000</strong>" in html
    waiting = books["waiting"]
    assert reverse("admin:billing_commerceledger_change", args=[waiting.pk]) in html
    day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert f"occurred_at__date={day}" in html and f"ledger_entry__occurred_at__date={day}" in html


@pytest.mark.django_db
def test_the_day_links_open_filtered_changelists(books, admin_client):
    day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    ledger = admin_client.get(
        reverse("admin:billing_commerceledger_changelist"),
        {"occurred_at__date": day, "entry_type__in": "booking_fee,fee_reversal"},
    )
    collections = admin_client.get(
        reverse("admin:billing_feecollection_changelist"), {"ledger_entry__occurred_at__date": day}
    )
    usage = admin_client.get(reverse("admin:billing_usagebilling_changelist"), {"usage_event__occurred_at__date": day})
    assert (ledger.status_code, collections.status_code, usage.status_code) == (200, 200, 200)
    assert list(ledger.context["cl"].result_list) == [books["wrong"]]
    assert [c.stripe_invoice_item_id for c in collections.context["cl"].result_list] == ["ii_wrong"]


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_for_one_day_or_many(books, admin_client):
    today = timezone.localdate()
    admin_client.get(reverse(URL))  # warm the session/user caches
    with CaptureQueriesContext(connection) as one_day:
        assert (
            admin_client.get(reverse(URL), {"date_from": today.isoformat(), "date_to": today.isoformat()}).status_code
            == 200
        )
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(reverse(URL)).status_code == 200
    assert len(many) == len(one_day)
    assert len(many) <= 8, [q["sql"][:120] for q in many.captured_queries]


@pytest.mark.django_db
def test_a_bad_range_falls_back_to_the_default_with_an_error_not_a_500(books, admin_client):
    response = admin_client.get(reverse(URL), {"date_from": "2026-12-31", "date_to": "2026-01-01"})
    assert response.status_code == 200
    assert "must not be after" in response.content.decode()
    assert admin_client.get(reverse(URL), {"date_from": "not-a-date"}).status_code == 200


@pytest.mark.django_db
def test_only_finance_may_open_the_page(venue, client):
    url = reverse(URL)
    assert client.get(url).status_code == 302  # anonymous: to the login page

    staff = baker.make(User, is_staff=True)
    client.force_login(staff)
    assert client.get(url).status_code == 403

    owner = baker.make(User, is_staff=True)
    owners = Group.objects.create(name="Venue owners")
    owners.permissions.add(Permission.objects.get(codename="view_commerceledger"))
    owner.groups.add(owners)
    client.force_login(owner)
    assert client.get(url).status_code == 403

    finance_user = baker.make(User, is_staff=True)
    finance = Group.objects.create(name="Finance")
    finance.permissions.add(Permission.objects.get(codename="view_reconciliation"))
    finance_user.groups.add(finance)
    client.force_login(finance_user)
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_asking_stripe_lists_items_we_never_recorded_rows_stripe_lacks_and_amounts_that_differ(
    books, fake_stripe, venue, admin_client
):
    # a crashed collection: Stripe has the item, our row was rolled back
    with pytest.raises(RuntimeError), transaction.atomic():
        services.fee_collect(entry=books["waiting"])
        raise RuntimeError("worker killed before commit")
    crashed_item = next(
        i for i in fake_stripe.created("invoiceitem") if i["metadata"]["agnt_ledger_id"] == str(books["waiting"].pk)
    )
    # a row whose Stripe item carries another amount
    odd = _fee(venue, days_ago=0)
    item = stripe_client.invoice_item_create(
        source_key=f"booking-fee:{odd.pk}",
        customer_id=crashed_item["customer"],
        amount_cents=1,
        currency="IDR",
        description="odd",
    )
    FeeCollection.objects.create(
        ledger_entry=odd,
        venue=venue,
        outcome="invoiced",
        amount_cents=odd.amount_cents,
        currency="IDR",
        stripe_invoice_item_id=item["id"],
    )

    check = reconciliation.stripe_invoice_item_check(
        date_from=timezone.localdate() - dt.timedelta(days=13), date_to=timezone.localdate()
    )
    assert (check.stripe_count, check.matched) == (4, 2)
    assert [i["id"] for i in check.missing_here] == [crashed_item["id"]]
    assert [r.stripe_invoice_item_id for r in check.missing_in_stripe] == ["ii_wrong"]
    assert [(r.ledger_entry, i["amount"]) for r, i in check.amount_differs] == [(odd, 1)]

    html = admin_client.get(reverse(URL), {"check_stripe": "on"}).content.decode()
    assert "3 differ" in html and crashed_item["id"] in html and "ii_wrong" in html
    assert html.count('class="stripe-') == 3


@pytest.mark.django_db
def test_when_stripe_cannot_be_asked_the_page_says_so(books, fake_stripe, admin_client):
    fake_stripe.script(500, {"error": {"type": "api_error", "message": "boom"}}, path_contains="/v1/invoiceitems")
    response = admin_client.get(reverse(URL), {"check_stripe": "on"})
    assert response.status_code == 200
    assert "Stripe could not be asked" in response.content.decode()
