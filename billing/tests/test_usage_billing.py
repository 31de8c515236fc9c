"""Metered API usage billed through Stripe Billing Meter events, once per usage event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from model_bakery import baker

from agnt.models import User
from agnt.scheduling import REGISTRY
from billing import services
from billing.collection_jobs import charge_unbilled_usage
from billing.models import UsageBilling
from billing.tests.fake_stripe import fake_stripe  # noqa: F401  (a fixture)


def _key(tier: str = "pro", email: str = "dev@example.com"):
    owner = baker.make(User, email=email)
    return baker.make("agents.ApiKey", owner=owner, tier=tier)


def _usage(key, n: int, intent: str = "booking.confirm", **kwargs):
    return [
        services.api_usage_record(api_key=key, intent=intent, request_id=f"{key.pk}-{intent}-{i}", **kwargs)
        for i in range(n)
    ]


@pytest.mark.django_db
def test_running_twice_sends_one_meter_event_per_usage_row_with_its_id_as_identifier(fake_stripe, settings):
    settings.STRIPE_METER_EVENT_NAME = "agnt_api_calls"
    key = _key()
    events = _usage(key, 3) + _usage(key, 2, intent="knowledge.ask", quantity=5)

    assert charge_unbilled_usage() == {"metered": 5, "failed": 0}
    assert charge_unbilled_usage() == {"failed": 0}

    meter = fake_stripe.created("billing.meter_event")
    assert sorted(m["identifier"] for m in meter) == sorted(str(e.pk) for e in events)
    key.owner.refresh_from_db()
    assert {m["payload"]["stripe_customer_id"] for m in meter} == {key.owner.stripe_customer_id}
    assert {m["event_name"] for m in meter} == {"agnt_api_calls"}
    # value = price in cents: booking.confirm 50 ¢ × 1, knowledge.ask 2 ¢ × 5
    assert sorted(int(m["payload"]["value"]) for m in meter) == [10, 10, 50, 50, 50]
    assert len(fake_stripe.created("customer")) == 1
    posts = fake_stripe.posts()
    assert all(key for _, key, _ in posts)
    assert {k for p, k, _ in posts if p == "/v1/billing/meter_events"} == {f"agnt:meter-event:{e.pk}" for e in events}
    rows = UsageBilling.objects.all()
    assert {(r.usage_event_id, r.meter_identifier, r.outcome) for r in rows} == {
        (e.pk, str(e.pk), "metered") for e in events
    }


@pytest.mark.django_db
def test_free_tier_and_free_intents_are_settled_without_a_meter_event(fake_stripe):
    free = _key("free", "free@example.com")
    pro = _key("pro", "pro@example.com")
    _usage(free, 2)
    _usage(pro, 1, intent="booking.cancel")  # not on the price list: 0 ¢

    assert charge_unbilled_usage() == {"not_billable": 3, "failed": 0}
    assert fake_stripe.posts() == []
    assert charge_unbilled_usage() == {"failed": 0}


@pytest.mark.django_db
def test_a_crash_between_the_meter_call_and_our_insert_is_recorded_by_the_rerun_without_a_second_event(fake_stripe):
    key = _key()
    [event] = _usage(key, 1)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.usage_bill(event=event)
        raise RuntimeError("worker killed before commit")
    assert not UsageBilling.objects.exists() and len(fake_stripe.created("billing.meter_event")) == 1

    assert charge_unbilled_usage() == {"metered": 1, "failed": 0}

    assert len(fake_stripe.created("billing.meter_event")) == 1
    assert UsageBilling.objects.get().meter_identifier == str(event.pk)


@pytest.mark.django_db
def test_after_stripes_idempotency_window_the_duplicate_identifier_counts_as_billed(fake_stripe):
    key = _key()
    [event] = _usage(key, 1)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.usage_bill(event=event)
        raise RuntimeError("worker killed before commit")
    fake_stripe._idempotency.clear()  # 24 hours later Stripe no longer replays the key

    assert charge_unbilled_usage() == {"metered": 1, "failed": 0}

    assert len(fake_stripe.created("billing.meter_event")) == 1
    last = [r for r in fake_stripe.requests if r.path.startswith("/v1/billing/meter_events")]
    assert len(last) == 2  # the rerun was refused as a duplicate identifier, and recorded
    assert UsageBilling.objects.get().outcome == "metered"


@pytest.mark.django_db
def test_a_stripe_outage_bills_nothing_and_the_next_run_catches_up(fake_stripe):
    key = _key()
    _usage(key, 2)
    fake_stripe.script(
        500, {"error": {"type": "api_error", "message": "boom"}}, path_contains="/v1/billing/meter_events", times=2
    )

    assert charge_unbilled_usage() == {"failed": 2}
    assert not UsageBilling.objects.exists()
    assert charge_unbilled_usage() == {"metered": 2, "failed": 0}
    assert len(fake_stripe.created("billing.meter_event")) == 2


@pytest.mark.django_db
def test_a_run_is_bounded_and_takes_the_oldest_first(fake_stripe, settings):
    settings.USAGE_BILLING_BATCH_SIZE = 3
    key = _key()
    now = timezone.now()
    events = [
        services.api_usage_record(
            api_key=key, intent="booking.search", request_id=f"r{i}", occurred_at=now - dt.timedelta(minutes=10 - i)
        )
        for i in range(5)
    ]

    assert charge_unbilled_usage() == {"metered": 3, "failed": 0}
    assert set(UsageBilling.objects.values_list("usage_event_id", flat=True)) == {e.pk for e in events[:3]}
    assert charge_unbilled_usage() == {"metered": 2, "failed": 0}


@pytest.mark.django_db
def test_the_database_keeps_one_billing_per_usage_event_and_never_edits_it(fake_stripe):
    key = _key()
    [event] = _usage(key, 1)
    row = services.usage_bill(event=event)
    with pytest.raises(IntegrityError), transaction.atomic():
        UsageBilling.objects.create(usage_event=event, outcome="not_billable", currency="USD")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        UsageBilling.objects.filter(pk=row.pk).update(meter_value=1)


def test_the_money_jobs_are_registered_with_the_advisory_lock():
    import billing.tasks  # noqa: F401  (registers the jobs)

    for name in ("charge_unbilled_usage", "collect_booking_fees", "invoice_unsubscribed_venue_fees"):
        job = REGISTRY[name]
        assert job.advisory_lock and job.queue == "billing", name
