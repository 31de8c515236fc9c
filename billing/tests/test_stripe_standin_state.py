"""The `make run` Stripe stand-in keeps its state in a file across restarts, and the demo's Stripe
ids are objects it knows (billing/standin_state.py, FakeStripe(state_path=…), billing/demo_stripe.py)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command

from billing import standin_state, stripe_client
from billing.tests.fake_stripe import TEST_SECRET_KEY, FakeStripe, fake_stripe  # noqa: F401  (a fixture)


@pytest.fixture
def point_at(settings):
    """Point the Stripe client at one running FakeStripe (the tests start and stop their own)."""
    settings.STRIPE_SECRET_KEY = TEST_SECRET_KEY
    settings.STRIPE_MAX_NETWORK_RETRIES = 0

    def point(fake: FakeStripe) -> FakeStripe:
        settings.STRIPE_API_BASE = fake.base_url
        return fake

    return point


def test_a_restarted_standin_on_the_same_file_knows_what_the_first_one_made(tmp_path, point_at):
    state_file = tmp_path / "data" / "stripe-standin.json"
    first = point_at(FakeStripe(state_path=state_file).start())
    try:
        customer = stripe_client.customer_create(party_key="venue:7", email="ops@warung.example")
        item = stripe_client.invoice_item_create(
            source_key="booking-fee:1",
            customer_id=customer.id,
            amount_cents=150_000,
            currency="IDR",
            description="Referral fee",
        )
        events_before = len(first.events)
    finally:
        first.stop()
    assert json.loads(state_file.read_text())["objects"]["customer"][customer.id]["email"] == "ops@warung.example"
    assert not list(state_file.parent.glob("*.tmp"))  # written through a temporary file, renamed into place

    second = point_at(FakeStripe(state_path=state_file).start())
    try:
        assert stripe_client.customer_retrieve(customer.id).email == "ops@warung.example"
        assert [i["id"] for i in stripe_client.invoice_items_list_pending(customer_id=customer.id)] == [item["id"]]
        assert len(second.events) == events_before
        # idempotency records survive too: the same logical call replays the first answer
        assert stripe_client.customer_create(party_key="venue:7", email="ops@warung.example").id == customer.id
        assert second.posts()[-1][1] == "agnt:customer:venue:7"
        # and the id counter goes on where it stopped
        other = stripe_client.customer_create(party_key="venue:8")
        assert int(other.id.split("_")[1][:6]) > int(customer.id.split("_")[1][:6])
    finally:
        second.stop()


def test_the_standin_picks_up_objects_the_demo_seeder_adds_while_it_runs(tmp_path, point_at):
    state_file = tmp_path / "stripe-standin.json"
    fake = point_at(FakeStripe(state_path=state_file).start())
    try:
        stripe_client.customer_create(party_key="user:1")
        added = standin_state.add_objects(
            state_file, [{"id": "cus_demo_x", "object": "customer", "email": "x@example.com", "metadata": {}}]
        )
        assert added == 1
        assert stripe_client.customer_retrieve("cus_demo_x").email == "x@example.com"
        stripe_client.customer_create(party_key="user:2")  # the next save keeps the seeder's object
    finally:
        fake.stop()
    saved = standin_state.read(state_file)
    assert "cus_demo_x" in saved["objects"]["customer"] and len(saved["objects"]["customer"]) == 3
    # adding again changes nothing, and never overwrites what the stand-in holds
    assert standin_state.add_objects(state_file, [{"id": "cus_demo_x", "object": "customer", "email": "changed"}]) == 0
    assert standin_state.read(state_file)["objects"]["customer"]["cus_demo_x"]["email"] == "x@example.com"


def test_the_test_fixture_persists_nothing(fake_stripe, tmp_path, settings):
    assert fake_stripe.state_path == ""
    assert settings.STRIPE_STANDIN_STATE_FILE == ""  # tests: the demo seeder writes no state file either
    stripe_client.customer_create(party_key="user:1")
    assert not list(tmp_path.iterdir())


@pytest.mark.django_db
def test_every_stripe_id_the_demo_stores_is_known_to_the_standin(tmp_path, settings):
    """What `make run` does on a fresh machine: seed the demo, start the stand-in, run the Stripe jobs."""
    from billing.models import StripeSubscription, VenueStripeCustomer
    from billing.services.collection import fees_collect_pending
    from billing.services.stripe_events import subscription_status_sync
    from venues.models import Venue

    state_file = tmp_path / "stripe-standin.json"
    settings.STRIPE_SECRET_KEY = ""  # no key: the stand-in
    settings.STRIPE_STANDIN_STATE_FILE = str(state_file)
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    call_command("seed_demo", verbosity=0)

    fake = FakeStripe(state_path=state_file).start()
    settings.STRIPE_API_BASE = fake.base_url
    try:
        customers = list(VenueStripeCustomer.objects.values_list("stripe_customer_id", flat=True))
        assert customers and all(stripe_client.customer_retrieve(c) for c in customers)
        subscriptions = list(StripeSubscription.objects.values_list("stripe_subscription_id", flat=True))
        assert len(subscriptions) == 2
        for sub in subscriptions:
            assert stripe_client.subscription_retrieve(sub)["status"] == "active"
        for account in Venue.objects.exclude(stripe_account_id="").values_list("stripe_account_id", flat=True):
            assert fake.objects["account"][account]["charges_enabled"] is True

        report = fees_collect_pending()
        assert report.failed == []
        assert fake.created("invoiceitem")  # the demo venue's fees reached its customer
        assert subscription_status_sync(stale_after=dt.timedelta(0)) == {"synced": 2, "failed": 0}
    finally:
        fake.stop()
    call_command("seed_demo", verbosity=0)  # a second seed adds nothing to the stand-in's state either
    assert len(standin_state.read(state_file)["objects"]["invoiceitem"]) == len(fake.created("invoiceitem"))
