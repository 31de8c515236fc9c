"""POST /webhooks/stripe end to end against the fake Stripe: signatures, storing once,
every handled event in any order and twice, checkout → plan gates, reconcile repairs."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone
from model_bakery import baker

from agents.services import api_key_create
from agnt.models import User
from billing import services, stripe_client
from billing.models import (
    AccountingDocument,
    CommerceEntryType,
    CommerceLedger,
    StripeConnectAccount,
    StripeEvent,
    StripeSubscription,
)
from billing.selectors import user_entitlements
from billing.services.stripe_events import HANDLED_EVENT_TYPES
from billing.stripe_jobs import stripe_event_reconcile, subscription_status_sync
from billing.tests.conftest import draft_invoice
from billing.tests.fake_stripe import deliver, fake_stripe, signed_delivery  # noqa: F401  (a fixture)

URLS = {"success_url": "https://app.example/ok", "cancel_url": "https://app.example/cancel"}


@pytest.fixture
def maya(db) -> User:
    return baker.make(User, username="maya", email="maya@example.com")


def _checkout(fake, *, user=None, venue=None, plan="plus", amount=999, attempt="t1") -> list[dict]:
    session = services.subscription_checkout_start(plan_code=plan, user=user, venue=venue, attempt=attempt, **URLS)
    return fake.complete_checkout(session.id, amount=amount)


def _deliver_all(client, events, django_capture_on_commit_callbacks) -> None:
    for event in events:
        with django_capture_on_commit_callbacks(execute=True):
            response = deliver(client, event)
        assert response.status_code == 200, response.content


# --------------------------------------------------------------------------- the door


def test_a_bad_signature_is_refused_and_nothing_is_stored(client, fake_stripe, maya):
    event = _checkout(fake_stripe, user=maya)[0]
    body, header = signed_delivery(event, secret="whsec_someone_else")
    response = client.post("/webhooks/stripe", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 400
    assert client.post("/webhooks/stripe", data=body, content_type="application/json").status_code == 400
    tampered_body, good_header = signed_delivery(event)
    tampered = tampered_body.replace(b'"livemode":false', b'"livemode":true')
    assert (
        client.post(
            "/webhooks/stripe", data=tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=good_header
        ).status_code
        == 400
    )
    assert not StripeEvent.objects.exists()


def test_a_signature_older_than_300_seconds_is_refused(client, fake_stripe, maya):
    event = _checkout(fake_stripe, user=maya)[0]
    response = deliver(client, event, timestamp=int(timezone.now().timestamp()) - 301)
    assert response.status_code == 400
    assert deliver(client, event, timestamp=int(timezone.now().timestamp()) - 200).status_code == 200
    assert StripeEvent.objects.count() == 1


def test_a_signature_stamped_in_the_future_beyond_the_tolerance_is_refused(client, fake_stripe, maya):
    import time_machine

    event = _checkout(fake_stripe, user=maya)[0]
    now = int(timezone.now().timestamp())
    with time_machine.travel(now, tick=False):
        assert deliver(client, event, timestamp=now + 600).status_code == 400  # ten minutes ahead
        assert deliver(client, event, timestamp=now + 301).status_code == 400
        assert not StripeEvent.objects.exists()
        assert deliver(client, event, timestamp=now + 299).status_code == 200  # a clock a little fast is fine
    assert StripeEvent.objects.count() == 1


def test_without_a_webhook_secret_every_event_is_refused(client, fake_stripe, maya, settings):
    event = _checkout(fake_stripe, user=maya)[0]
    settings.STRIPE_WEBHOOK_SECRET = ""
    body, header = signed_delivery(event)
    assert (
        client.post(
            "/webhooks/stripe", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        ).status_code
        == 400
    )
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"id": "evt_1"}',
        json.dumps({"id": "x", "type": "t", "created": 1, "data": {}}).encode(),
    ],
)
def test_malformed_but_signed_bodies_are_refused(db, client, fake_stripe, body):
    from stripe import WebhookSignature

    header = WebhookSignature.generate_signature_header(body.decode(), fake_stripe_secret())
    response = client.post("/webhooks/stripe", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def fake_stripe_secret() -> str:
    from billing.tests.fake_stripe import WEBHOOK_SECRET

    return WEBHOOK_SECRET


def test_an_oversized_body_is_refused(db, client, fake_stripe, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1000
    event = {
        "id": "evt_big",
        "object": "event",
        "type": "invoice.paid",
        "created": 1,
        "data": {"object": {"x": "y" * 2000}},
    }
    assert deliver(client, event).status_code == 413
    assert not StripeEvent.objects.exists()


def test_a_redelivered_event_is_stored_once(client, fake_stripe, maya, django_capture_on_commit_callbacks):
    event = _checkout(fake_stripe, user=maya)[0]
    _deliver_all(client, [event, event, event], django_capture_on_commit_callbacks)
    stored = StripeEvent.objects.get()
    assert stored.stripe_id == event["id"] and stored.processed_at is not None and stored.attempts == 1
    assert deliver(client, event).json()["duplicate"] is True


def test_a_stored_event_cannot_be_rewritten_or_deleted(db):
    event, _ = services.stripe_event_store(
        payload={"id": "evt_frozen", "object": "event", "type": "x.y", "created": 5, "data": {"object": {}}}
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        StripeEvent.objects.filter(pk=event.pk).update(payload={"forged": True})
    with pytest.raises(DatabaseError), transaction.atomic():
        StripeEvent.objects.filter(pk=event.pk).delete()
    StripeEvent.objects.filter(pk=event.pk).update(
        attempts=3, processing_error="retrying"
    )  # processing columns may move


# --------------------------------------------------------------------------- checkout → plan gates


def test_checkout_then_webhooks_activate_the_plan_and_the_api_tier(
    client, fake_stripe, maya, django_capture_on_commit_callbacks
):
    key, _ = api_key_create(owner=maya, name="my agent")
    assert user_entitlements(user=maya).api_tier == "free"
    events = _checkout(fake_stripe, user=maya, plan="plus", amount=999)
    _deliver_all(client, events, django_capture_on_commit_callbacks)

    sub = StripeSubscription.objects.get()
    assert (sub.kind, sub.plan, sub.status, sub.user_id) == ("consumer", "plus", "active", maya.pk)
    assert sub.current_period_end > sub.current_period_start
    maya.refresh_from_db()
    key.refresh_from_db()
    assert maya.plan == "plus"
    ent = user_entitlements(user=maya)
    assert (ent.api_tier, ent.monthly_credits) == ("pro", 100)
    assert key.tier == "pro"
    paid = CommerceLedger.objects.get(entry_type=CommerceEntryType.SUBSCRIPTION)
    assert (paid.amount_cents, paid.currency, paid.user_id) == (999, "USD", maya.pk)
    assert set(StripeEvent.objects.values_list("type", flat=True)) >= {
        "checkout.session.completed",
        "invoice.paid",
        "customer.subscription.created",
    }
    assert not StripeEvent.objects.filter(processed_at__isnull=True).exists()

    _deliver_all(
        client, fake_stripe.cancel_subscription(sub.stripe_subscription_id), django_capture_on_commit_callbacks
    )
    maya.refresh_from_db()
    key.refresh_from_db()
    assert (maya.plan, key.tier) == ("free", "free")


def test_a_stale_snapshot_never_regresses_the_subscription(
    client, fake_stripe, maya, django_capture_on_commit_callbacks
):
    events = _checkout(fake_stripe, user=maya)
    sub_id = events[0]["data"]["object"]["id"]
    later = fake_stripe.update_subscription(sub_id, cancel_at_period_end=True)
    created = next(e for e in events if e["type"] == "customer.subscription.created")  # status incomplete
    _deliver_all(client, later + [created], django_capture_on_commit_callbacks)
    sub = StripeSubscription.objects.get()
    assert (sub.status, sub.cancel_at_period_end) == ("active", True)


# --------------------------------------------------------------------------- any order, twice


def _story(fake, maya, venue) -> list[dict]:
    """A realistic month: a consumer subscribes, a renewal fails then succeeds, they schedule a
    cancellation and get a partial refund; a venue subscribes, cancels, subscribes again, pays an AGNT fee invoice through
    Stripe and is partly refunded; its Connect account finishes onboarding."""
    events = _checkout(fake, user=maya, plan="plus", amount=1000)
    sub_id = events[0]["data"]["object"]["id"]
    fake.declining_customers.add(maya.stripe_customer_id)
    events += fake.renew(sub_id, amount=1000)
    fake.declining_customers.clear()
    events += fake.renew(sub_id, amount=1000)
    events += fake.update_subscription(sub_id, cancel_at_period_end=True)
    first_invoice = next(e for e in events if e["type"] == "invoice.paid")["data"]["object"]["id"]
    events += fake.refund_charge(fake.charge_for_invoice(first_invoice)["id"], 300)

    trial = _checkout(fake, venue=venue, plan="venue_pro", amount=5000, attempt="first")
    events += trial + fake.cancel_subscription(trial[0]["data"]["object"]["id"])
    events += _checkout(fake, venue=venue, plan="venue_pro", amount=5000, attempt="second")
    fee_doc = services.accounting_document_issue(document=draft_invoice(venue, "100.00", tax_rate="11"))
    customer = services.stripe_customer_ensure_for_venue(venue=venue)
    stripe_client.invoice_item_create(
        source_key=f"doc:{fee_doc.pk}",
        customer_id=customer,
        amount_cents=11100,
        currency="usd",
        description=fee_doc.number,
    )
    stripe_invoice = stripe_client.invoice_create(source_key=f"doc:{fee_doc.pk}", customer_id=customer)
    stripe_client.invoice_finalize(stripe_invoice["id"])
    AccountingDocument.objects.filter(pk=fee_doc.pk).update(stripe_invoice_id=stripe_invoice["id"])
    events += fake._pay_invoice(fake.objects["invoice"][stripe_invoice["id"]])
    events += fake.refund_charge(fake.charge_for_invoice(stripe_invoice["id"])["id"], 5550)

    events += fake.update_account(
        venue.stripe_account_id, details_submitted=True, requirements={"currently_due": ["external_account"]}
    )
    events += fake.update_account(
        venue.stripe_account_id, charges_enabled=True, payouts_enabled=True, requirements={"currently_due": []}
    )
    return [e for e in events if e["type"] in HANDLED_EVENT_TYPES]


def _state(maya) -> dict:
    maya = User.objects.get(pk=maya.pk)
    return {
        "plan": maya.plan,
        "key_tiers": sorted(maya.api_keys.values_list("tier", flat=True)),
        "subscriptions": sorted(
            StripeSubscription.objects.values_list(
                "stripe_subscription_id",
                "kind",
                "plan",
                "status",
                "cancel_at_period_end",
                "current_period_end",
                "last_payment_failed_at",
                "latest_invoice_id",
            )
        ),
        "ledger": sorted(
            CommerceLedger.objects.values_list(
                "entry_type", "amount_cents", "currency", "idempotency_key", "user_id", "venue_id", "stripe_invoice_id"
            )
        ),
        "documents": sorted(
            (d.doc_type, d.status, d.total, d.related_document_id is not None) for d in AccountingDocument.objects.all()
        ),
        "connect": list(
            StripeConnectAccount.objects.values_list(
                "stripe_account_id",
                "venue_id",
                "charges_enabled",
                "payouts_enabled",
                "details_submitted",
                "requirements_due",
            )
        ),
        "unprocessed": StripeEvent.objects.filter(processed_at__isnull=True).count(),
    }


@pytest.mark.parametrize("seeds", [(1, 2, 3, 4, 5)])
def test_every_event_twice_in_any_order_leaves_the_same_state(
    client, fake_stripe, maya, venue, seeds, django_capture_on_commit_callbacks
):
    api_key_create(owner=maya, name="agent")
    venue.stripe_account_id = "acct_warungbiru"
    venue.save(update_fields=["stripe_account_id"])
    events = _story(fake_stripe, maya, venue)
    assert {e["type"] for e in events} == set(HANDLED_EVENT_TYPES)

    def run(order: list[dict]) -> dict:
        with transaction.atomic():
            _deliver_all(client, order, django_capture_on_commit_callbacks)
            services.stripe_events_process_pending()  # what the reconcile job does for deferred events
            state = _state(maya)
            transaction.set_rollback(True)
        return state

    expected = run(events)
    # what the in-order run must produce, so a handler that does nothing cannot pass
    assert expected["plan"] == "plus" and expected["key_tiers"] == ["pro"]
    consumer = next(s for s in expected["subscriptions"] if s[1] == "consumer")
    assert consumer[3:5] == ("active", True) and consumer[6] is not None
    assert sorted(s[3] for s in expected["subscriptions"] if s[1] == "venue") == ["active", "canceled"]
    amounts = sorted(row[1] for row in expected["ledger"])
    assert amounts == [-5550, -300, 1000, 1000, 5000, 5000]
    assert expected["documents"] == sorted(
        [
            ("invoice", "paid", Decimal("111.00"), False),
            ("receipt", "issued", Decimal("111.00"), True),
            ("credit_note", "issued", Decimal("55.50"), True),
        ]
    )
    assert expected["connect"] == [("acct_warungbiru", venue.pk, True, True, True, [])]
    assert expected["unprocessed"] == 0

    for seed in seeds:
        order = events * 2
        random.Random(seed).shuffle(order)
        assert run(order) == expected, f"seed {seed}"


# --------------------------------------------------------------------------- reconcile and sync


def test_reconcile_stores_and_processes_events_that_never_arrived(fake_stripe, maya):
    _checkout(fake_stripe, user=maya)  # Stripe sent the webhooks; none reached us
    first = stripe_event_reconcile()
    assert first["stored"] >= 4 and first["processed"] == first["stored"]
    maya.refresh_from_db()
    assert maya.plan == "plus"
    assert StripeEvent.objects.filter(source="reconcile").count() == first["stored"]
    again = stripe_event_reconcile()
    assert again["stored"] == 0
    assert CommerceLedger.objects.filter(entry_type=CommerceEntryType.SUBSCRIPTION).count() == 1


def test_a_crash_between_the_stripe_refund_and_the_ledger_write_is_repaired_once(
    client, fake_stripe, maya, django_capture_on_commit_callbacks
):
    _deliver_all(client, _checkout(fake_stripe, user=maya, amount=2000), django_capture_on_commit_callbacks)
    charge = next(iter(fake_stripe.objects["charge"].values()))
    # the refund reaches Stripe, then the worker dies before writing our ledger (and the
    # charge.refunded webhook is lost); the retried operation reuses the idempotency key
    refund = stripe_client.refund_create(source_key="support-ticket:77", charge_id=charge["id"], amount_cents=500)
    retried = stripe_client.refund_create(source_key="support-ticket:77", charge_id=charge["id"], amount_cents=500)
    assert retried["id"] == refund["id"] and charge["amount_refunded"] == 500
    assert not CommerceLedger.objects.filter(entry_type=CommerceEntryType.REFUND).exists()

    stripe_event_reconcile()
    stripe_event_reconcile()
    row = CommerceLedger.objects.get(entry_type=CommerceEntryType.REFUND)
    assert (row.amount_cents, row.idempotency_key, row.user_id) == (-500, f"stripe-refund:{refund['id']}", maya.pk)
    # the webhook arriving late changes nothing
    _deliver_all(client, [fake_stripe.events[-1]], django_capture_on_commit_callbacks)
    assert CommerceLedger.objects.filter(entry_type=CommerceEntryType.REFUND).count() == 1


def test_a_failed_handler_stays_pending_and_reconcile_retries_it(
    client, fake_stripe, maya, django_capture_on_commit_callbacks
):
    events = _checkout(fake_stripe, user=maya)
    sub_id = events[0]["data"]["object"]["id"]
    fake_stripe.declining_customers.add(maya.stripe_customer_id)
    renewal = fake_stripe.renew(sub_id)
    payment_failed = next(e for e in renewal if e["type"] == "invoice.payment_failed")
    _deliver_all(client, [payment_failed], django_capture_on_commit_callbacks)  # before the subscription exists
    stored = StripeEvent.objects.get(stripe_id=payment_failed["id"])
    assert stored.processed_at is None and stored.processing_error.startswith("deferred")
    stripe_event_reconcile()
    stored.refresh_from_db()
    assert stored.processed_at is not None
    assert StripeSubscription.objects.get().status == "past_due"


def test_subscription_status_sync_pulls_stale_subscriptions(fake_stripe, maya):
    _checkout(fake_stripe, user=maya)
    stripe_event_reconcile()
    sub = StripeSubscription.objects.get()
    fake_stripe.objects["subscription"][sub.stripe_subscription_id]["status"] = "canceled"  # its events were lost
    assert subscription_status_sync() == {"synced": 0, "failed": 0}  # recently synced: left alone
    StripeSubscription.objects.filter(pk=sub.pk).update(synced_at=timezone.now() - timezone.timedelta(days=2))
    assert subscription_status_sync() == {"synced": 1, "failed": 0}
    sub.refresh_from_db()
    maya.refresh_from_db()
    assert (sub.status, maya.plan) == ("canceled", "free")


def test_the_stripe_jobs_are_registered_with_advisory_locks():
    from agnt.scheduling import load_all_jobs

    jobs = load_all_jobs()
    assert jobs["stripe_event_reconcile"].advisory_lock and jobs["subscription_status_sync"].advisory_lock
