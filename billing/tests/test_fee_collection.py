"""Booking fees collected through Stripe invoice items, once: reruns, concurrency, reversals,
crash repair, stand-alone invoicing, and the admin's "Refund / credit this fee"."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connections, transaction
from django.urls import reverse
from model_bakery import baker

from agnt.models import User
from agnt.scheduling import advisory_xact_lock
from billing import services, stripe_client
from billing.collection_jobs import collect_booking_fees, invoice_unsubscribed_venue_fees
from billing.models import (
    AccountingDocument,
    CommerceLedger,
    DocumentStatus,
    DocumentType,
    FeeCollection,
    LedgerAccount,
)
from billing.selectors import venue_stripe_customer_id
from billing.tests.fake_stripe import fake_stripe  # noqa: F401  (a fixture)
from venues.tests.factories import make_booking, make_venue


def _fee(venue, spend: str = "1000000.00") -> CommerceLedger:
    booking = make_booking(venue=venue, spend_estimate=Decimal(spend), currency="IDR")
    return services.commerce_booking_fee_record(booking=booking)


def _item_posts(fake) -> list[tuple[str, dict]]:
    return [(key, params) for path, key, params in fake.posts() if path == "/v1/invoiceitems"]


@pytest.mark.django_db
def test_a_fee_becomes_one_invoice_item_on_the_venues_new_customer_across_reruns(fake_stripe, venue):
    fee = _fee(venue)

    first = collect_booking_fees()
    again = collect_booking_fees()

    assert first == {"invoiced": 1, "failed": 0} and again == {"failed": 0}
    customer_id = venue_stripe_customer_id(venue=venue)
    customer = fake_stripe.objects["customer"][customer_id]
    assert customer["metadata"] == {"agnt_party": f"venue:{venue.pk}", "agnt_venue_id": str(venue.pk)}
    items = fake_stripe.created("invoiceitem")
    assert len(items) == 1
    assert (items[0]["customer"], items[0]["amount"], items[0]["currency"]) == (customer_id, 100_000_00, "idr")
    assert items[0]["metadata"]["agnt_ledger_id"] == str(fee.pk)
    collection = FeeCollection.objects.get()
    assert (
        collection.ledger_entry,
        collection.outcome,
        collection.amount_cents,
        collection.stripe_invoice_item_id,
    ) == (fee, "invoiced", 100_000_00, items[0]["id"])


@pytest.mark.django_db
def test_every_stripe_post_carries_the_derived_idempotency_key(fake_stripe, venue):
    fee = _fee(venue)
    collect_booking_fees()
    reversal = services.commerce_booking_fee_reverse(booking=fee.booking, reason="guest disputed")
    collect_booking_fees()

    posts = fake_stripe.posts()
    assert posts and all(key for _, key, _ in posts)
    assert [(path, key) for path, key, _ in posts] == [
        ("/v1/customers", f"agnt:customer:venue:{venue.pk}"),
        ("/v1/invoiceitems", f"agnt:invoiceitem:booking-fee:{fee.pk}"),
        ("/v1/invoiceitems", f"agnt:invoiceitem:booking-fee-credit:{reversal.pk}"),
    ]


@pytest.mark.django_db
def test_a_fee_reversed_before_collection_is_skipped_with_its_reversal(fake_stripe, venue):
    fee = _fee(venue)
    reversal = services.commerce_booking_fee_reverse(booking=fee.booking, reason="cancelled")

    report = collect_booking_fees()

    assert report == {"skipped": 2, "failed": 0}
    assert fake_stripe.posts() == []  # not even a customer
    outcomes = dict(FeeCollection.objects.values_list("ledger_entry_id", "outcome"))
    assert outcomes == {fee.pk: "skipped", reversal.pk: "skipped"}


@pytest.mark.django_db
def test_a_fee_reversed_after_collection_is_credited_once(fake_stripe, venue):
    fee = _fee(venue)
    collect_booking_fees()
    reversal = services.commerce_booking_fee_reverse(booking=fee.booking, reason="no-show disputed")

    collect_booking_fees()
    collect_booking_fees()

    credit = [i for i in fake_stripe.created("invoiceitem") if i["amount"] < 0]
    assert len(credit) == 1 and credit[0]["amount"] == -100_000_00
    row = FeeCollection.objects.get(ledger_entry=reversal)
    assert (row.outcome, row.amount_cents, row.stripe_invoice_item_id) == ("credited", -100_000_00, credit[0]["id"])


@pytest.mark.django_db
def test_a_crash_between_the_stripe_call_and_our_insert_is_repaired_without_a_second_item(fake_stripe, venue):
    fee = _fee(venue)
    # the crashed run: Stripe created the customer and the item, then the worker died before
    # our transaction (venue customer id + FeeCollection row) committed
    with pytest.raises(RuntimeError), transaction.atomic():
        services.fee_collect(entry=fee)
        raise RuntimeError("worker killed before commit")
    assert not FeeCollection.objects.exists() and len(fake_stripe.created("invoiceitem")) == 1
    sent = fake_stripe.created("invoiceitem")[0]

    assert collect_booking_fees() == {"invoiced": 1, "failed": 0}

    assert len(fake_stripe.created("invoiceitem")) == 1 and len(fake_stripe.created("customer")) == 1
    assert FeeCollection.objects.get().stripe_invoice_item_id == sent["id"]
    item_posts = _item_posts(fake_stripe)
    assert len(item_posts) == 2 and item_posts[0] == item_posts[1]  # same key, same params: Stripe replayed


@pytest.mark.django_db
def test_a_stripe_refusal_records_nothing_and_the_next_run_collects(fake_stripe, venue):
    fee = _fee(venue)
    fake_stripe.script(
        503, {"error": {"type": "api_error", "message": "Stripe is down"}}, path_contains="/v1/invoiceitems"
    )

    report = collect_booking_fees()

    assert report["failed"] == 1 and not FeeCollection.objects.exists()
    assert collect_booking_fees() == {"invoiced": 1, "failed": 0}
    assert FeeCollection.objects.get().ledger_entry == fee
    assert len(fake_stripe.created("invoiceitem")) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_collections_of_one_fee_create_one_item_and_one_row(fake_stripe):
    venue = make_venue(name="Warung Biru", currency="IDR", referral_fee_pct=Decimal("10.00"))
    fee = _fee(venue)
    start = threading.Barrier(6)
    results: list[str] = []

    def collect():
        try:
            start.wait(timeout=10)
            results.append(services.fee_collect(entry=CommerceLedger.objects.get(pk=fee.pk)).stripe_invoice_item_id)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=collect) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    assert len(results) == 6 and len(set(results)) == 1
    assert FeeCollection.objects.count() == 1
    assert len(fake_stripe.created("invoiceitem")) == 1
    assert len(fake_stripe.created("customer")) == 1


@pytest.mark.django_db(transaction=True)
def test_a_run_while_another_holds_the_advisory_lock_collects_nothing(fake_stripe):
    venue = make_venue(name="Warung Biru", currency="IDR", referral_fee_pct=Decimal("10.00"))
    _fee(venue)
    holding, release = threading.Event(), threading.Event()

    def other_run():
        try:
            with transaction.atomic(), advisory_xact_lock("job:collect_booking_fees") as got:
                assert got
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_run)
    thread.start()
    assert holding.wait(10)
    try:
        assert collect_booking_fees() is None  # the Redis lock was free; the advisory lock was not
    finally:
        release.set()
        thread.join(10)
    assert fake_stripe.posts() == [] and not FeeCollection.objects.exists()
    assert collect_booking_fees() == {"invoiced": 1, "failed": 0}


@pytest.mark.django_db
def test_the_database_refuses_a_second_collection_and_any_edit(fake_stripe, venue):
    fee = _fee(venue)
    row = services.fee_collect(entry=fee)
    with pytest.raises(IntegrityError), transaction.atomic():
        FeeCollection.objects.create(ledger_entry=fee, venue=venue, outcome="skipped", amount_cents=0, currency="IDR")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        FeeCollection.objects.filter(pk=row.pk).update(note="edited")
    with pytest.raises(IntegrityError), transaction.atomic():  # an invoiced row without an item id
        FeeCollection.objects.create(
            ledger_entry=_fee(venue), venue=venue, outcome="invoiced", amount_cents=5, currency="IDR"
        )


@pytest.mark.django_db
def test_a_venue_without_a_subscription_gets_its_pending_fees_invoiced_once_a_day(fake_stripe, venue):
    _fee(venue)
    _fee(venue, "500000.00")
    collect_booking_fees()

    invoice_unsubscribed_venue_fees()
    invoice_unsubscribed_venue_fees()

    invoices = fake_stripe.created("invoice")
    assert len(invoices) == 1
    assert (invoices[0]["status"], invoices[0]["amount_due"]) == ("open", 150_000_00)
    assert all(item["invoice"] == invoices[0]["id"] for item in fake_stripe.created("invoiceitem"))


@pytest.mark.django_db
def test_a_subscribed_venues_fees_wait_for_the_subscription_invoice(fake_stripe, venue):
    _fee(venue)
    collect_booking_fees()
    session = stripe_client.checkout_session_create_subscription(
        customer_id=venue_stripe_customer_id(venue=venue),
        price_id="price_agnt_venue_pro",
        subject_key=f"venue:{venue.pk}",
        attempt="t",
        success_url="https://x/ok",
        cancel_url="https://x/no",
        client_reference_id="v",
        metadata={},
    )
    fake_stripe.complete_checkout(session.id)
    invoices_before = len(fake_stripe.created("invoice"))

    assert invoice_unsubscribed_venue_fees() == {"nothing_to_invoice": 1, "failed": 0}
    assert len(fake_stripe.created("invoice")) == invoices_before
    assert [i["invoice"] for i in fake_stripe.created("invoiceitem")] == [None]


# --------------------------------------------------------------------------- refunds from the admin


def _issued_invoice_with(fee: CommerceLedger) -> AccountingDocument:
    document = services.accounting_document_create(
        venue=fee.venue,
        currency="IDR",
        lines=[
            services.LineSpec(
                description="Referral fee",
                unit_price=Decimal("100000.00"),
                tax_rate=Decimal("11"),
                account=LedgerAccount.REFERRAL_FEE_REVENUE,
                booking=fee.booking,
                commerce_entry=fee,
            )
        ],
    )
    return services.accounting_document_issue(document=document)


@pytest.mark.django_db
def test_refunding_a_collected_invoiced_fee_reverses_credits_and_issues_a_credit_note_once(fake_stripe, venue):
    fee = _fee(venue)
    collect_booking_fees()
    invoice = _issued_invoice_with(fee)

    first = services.booking_fee_refund(fee=fee, reason="guest never came")
    again = services.booking_fee_refund(fee=fee, reason="guest never came")

    assert first.reversal.pk == again.reversal.pk and first.reversal.amount_cents == -100_000_00
    assert first.collection.outcome == "credited"
    assert len([i for i in fake_stripe.created("invoiceitem") if i["amount"] < 0]) == 1
    note = first.credit_note
    assert note is not None and note.pk == again.credit_note.pk
    assert (note.doc_type, note.status, note.related_document, note.subtotal) == (
        DocumentType.CREDIT_NOTE,
        DocumentStatus.ISSUED,
        invoice,
        Decimal("100000.00"),
    )
    assert note.number.startswith("CN-")


@pytest.mark.django_db
def test_a_refund_stripe_refuses_leaves_no_reversal_and_can_be_retried(fake_stripe, venue):
    fee = _fee(venue)
    collect_booking_fees()
    fake_stripe.script(
        503, {"error": {"type": "api_error", "message": "Stripe is down"}}, path_contains="/v1/invoiceitems"
    )

    with pytest.raises(services.BillingError, match="Stripe"):
        services.booking_fee_refund(fee=fee)
    assert not CommerceLedger.objects.filter(entry_type="fee_reversal").exists()

    assert services.booking_fee_refund(fee=fee).collection.outcome == "credited"


@pytest.mark.django_db
def test_refunding_an_uncollected_fee_sends_nothing_to_stripe(fake_stripe, venue):
    fee = _fee(venue)
    refund = services.booking_fee_refund(fee=fee)
    assert refund.collection.outcome == "skipped" and refund.credit_note is None
    assert fake_stripe.posts() == []
    assert collect_booking_fees() == {"failed": 0}  # both rows are settled


@pytest.mark.django_db
def test_the_admin_action_refunds_a_fee_and_reports_it(fake_stripe, venue, client):
    fee = _fee(venue)
    collect_booking_fees()
    admin = baker.make(User, is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert b'value="refund_fee"' in client.get(reverse("admin:billing_commerceledger_changelist")).content

    response = client.post(
        reverse("admin:billing_commerceledger_changelist"),
        {"action": "refund_fee", "_selected_action": [str(fee.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    text = [str(m) for m in response.context["messages"]]
    assert any("Refunded 1" in m and "credited in Stripe" in m for m in text), text
    assert CommerceLedger.objects.filter(entry_type="fee_reversal", booking=fee.booking).count() == 1
    assert FeeCollection.objects.filter(outcome="credited").count() == 1


@pytest.mark.django_db
def test_the_refund_action_is_hidden_from_staff_without_the_refund_permission(venue, client):
    fee = _fee(venue)
    viewer = baker.make(User, is_staff=True)
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="Finance")
    group.permissions.add(Permission.objects.get(codename="view_commerceledger"))
    viewer.groups.add(group)
    client.force_login(viewer)

    page = client.get(reverse("admin:billing_commerceledger_changelist"))
    assert page.status_code == 200
    assert b'value="refund_fee"' not in page.content
    client.post(
        reverse("admin:billing_commerceledger_changelist"), {"action": "refund_fee", "_selected_action": [str(fee.pk)]}
    )
    assert not CommerceLedger.objects.filter(entry_type="fee_reversal").exists()
