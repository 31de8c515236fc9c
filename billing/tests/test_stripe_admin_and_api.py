"""Reaching Stripe from the product: the consumer API (plans, checkout, portal) and the admin
(events with reprocess, subscriptions with sync / portal / venue checkout links)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from model_bakery import baker
from rest_framework.test import APIClient

from agnt import services as agnt_services
from agnt.models import User
from billing import services
from billing.models import StripeEvent, StripeSubscription
from billing.stripe_jobs import stripe_event_reconcile
from billing.tests.fake_stripe import fake_stripe  # noqa: F401  (a fixture)
from venues.tests.factories import make_owner, make_venue

URLS = {"success_url": "https://app.example/ok", "cancel_url": "https://app.example/cancel"}


@pytest.fixture
def maya(db) -> User:
    return baker.make(User, username="maya", email="maya@example.com")


@pytest.fixture
def api(maya) -> APIClient:
    pair = agnt_services.session_login(user=maya, user_agent="tests", ip_address="127.0.0.1")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access}")
    return client


# --------------------------------------------------------------------------- consumer API


def test_checkout_needs_an_idempotency_key_and_a_known_plan(api, fake_stripe):
    assert api.post("/api/billing/checkout", {"plan": "plus"}, format="json").status_code == 400
    response = api.post("/api/billing/checkout", {"plan": "gold"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 400
    assert not fake_stripe.posts()


def test_a_retried_checkout_returns_the_same_session(api, fake_stripe, maya):
    first = api.post("/api/billing/checkout", {"plan": "plus"}, format="json", HTTP_IDEMPOTENCY_KEY="tap-1")
    again = api.post("/api/billing/checkout", {"plan": "plus"}, format="json", HTTP_IDEMPOTENCY_KEY="tap-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and first.json()["url"].startswith(fake_stripe.base_url)
    assert len(fake_stripe.created("checkout.session")) == 1 and len(fake_stripe.created("customer")) == 1
    maya.refresh_from_db()
    assert maya.stripe_customer_id == fake_stripe.created("customer")[0]["id"]


@pytest.mark.parametrize(
    "reply", [{"object": "customer"}, {"id": ["cus_1"]}, b"not json at all"], ids=["no-id", "id-a-list", "not-json"]
)
def test_a_malformed_stripe_reply_to_checkout_is_a_503_not_a_500(api, fake_stripe, maya, reply):
    fake_stripe.script(200, reply, path_contains="/v1/customers")
    response = api.post("/api/billing/checkout", {"plan": "plus"}, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")
    assert response.status_code == 503, response.content
    assert response.json()["retryable"] is True and "Stripe" in response.json()["detail"]
    maya.refresh_from_db()
    assert not maya.stripe_customer_id  # nothing half-stored
    # Stripe answers properly again: the same tap goes through
    assert (
        api.post("/api/billing/checkout", {"plan": "plus"}, format="json", HTTP_IDEMPOTENCY_KEY="bad-1").status_code
        == 201
    )


def test_a_malformed_stripe_reply_to_the_portal_is_a_503(api, fake_stripe, maya):
    session = api.post("/api/billing/checkout", {"plan": "plus"}, format="json", HTTP_IDEMPOTENCY_KEY="t").json()
    fake_stripe.complete_checkout(session["id"])
    fake_stripe.script(
        200, {"object": "billing_portal.session", "url": "https://x"}, path_contains="/v1/billing_portal"
    )
    response = api.post("/api/billing/portal", {}, format="json", HTTP_IDEMPOTENCY_KEY="p-bad")
    assert response.status_code == 503, response.content
    assert response.json()["retryable"] is True


def test_after_paying_the_app_sees_the_plan_and_checkout_is_refused(api, fake_stripe, maya):
    session = api.post("/api/billing/checkout", {"plan": "premium"}, format="json", HTTP_IDEMPOTENCY_KEY="t").json()
    fake_stripe.complete_checkout(session["id"])
    stripe_event_reconcile()  # webhooks lost: reconcile brings the events in
    status = api.get("/api/billing").json()
    assert (status["plan"], status["api_tier"], status["monthly_credits"]) == ("premium", "enterprise", 300)
    assert status["subscriptions"][0]["status"] == "active"
    again = api.post("/api/billing/checkout", {"plan": "plus"}, format="json", HTTP_IDEMPOTENCY_KEY="t2")
    assert again.status_code == 409 and "portal" in again.json()["detail"]
    portal = api.post("/api/billing/portal", {}, format="json", HTTP_IDEMPOTENCY_KEY="p1")
    assert portal.status_code == 201 and "/p/session/" in portal.json()["url"]


def test_an_unreachable_stripe_is_a_503_not_a_500(api, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    response = api.post("/api/billing/checkout", {"plan": "plus"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 503 and response.json()["retryable"] is True


def test_the_portal_without_a_customer_is_a_conflict(api, fake_stripe):
    assert api.post("/api/billing/portal", {}, format="json", HTTP_IDEMPOTENCY_KEY="p").status_code == 409


def test_billing_endpoints_need_a_bearer_token(db):
    assert APIClient().get("/api/billing").status_code == 401


# --------------------------------------------------------------------------- admin


def test_staff_follow_events_and_reprocess_them(staff_client, fake_stripe, maya):
    session = services.subscription_checkout_start(plan_code="plus", user=maya, attempt="a", **URLS)
    fake_stripe.complete_checkout(session.id)
    stripe_event_reconcile()
    event = StripeEvent.objects.get(type="invoice.paid")
    assert (
        staff_client.get(reverse("admin:billing_stripeevent_changelist") + "?processing=processed").status_code == 200
    )
    page = staff_client.get(reverse("admin:billing_stripeevent_change", args=[event.pk]))
    assert page.status_code == 200 and event.stripe_id.encode() in page.content
    response = staff_client.post(
        reverse("admin:billing_stripeevent_changelist"),
        {"action": "reprocess", "_selected_action": [event.pk]},
        follow=True,
    )
    assert b"Reprocessed 1 event" in response.content
    event.refresh_from_db()
    assert event.attempts == 2
    from billing.models import CommerceLedger

    assert CommerceLedger.objects.filter(stripe_invoice_id=event.data_object["id"]).count() == 1  # not doubled


def test_staff_open_the_portal_and_sync_a_subscription(staff_client, fake_stripe, maya):
    session = services.subscription_checkout_start(plan_code="plus", user=maya, attempt="a", **URLS)
    fake_stripe.complete_checkout(session.id)
    stripe_event_reconcile()
    sub = StripeSubscription.objects.get()
    page = staff_client.get(reverse("admin:billing_stripesubscription_change", args=[sub.pk]))
    assert page.status_code == 200 and b"/admin/agnt/user/" in page.content
    portal = staff_client.get(reverse("admin:billing_stripesubscription_open_portal", args=[sub.pk]))
    assert portal.status_code == 302 and portal["Location"].startswith(fake_stripe.base_url)
    fake_stripe.objects["subscription"][sub.stripe_subscription_id]["cancel_at_period_end"] = True
    staff_client.post(
        reverse("admin:billing_stripesubscription_changelist"),
        {"action": "sync_from_stripe", "_selected_action": [sub.pk]},
    )
    sub.refresh_from_db()
    assert sub.cancel_at_period_end is True


def test_a_venue_checkout_link_from_the_admin(staff_client, fake_stripe):
    venue = make_venue(name="Warung Biru")
    url = reverse("admin:billing_stripesubscription_venue_checkout")
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"venue": venue.pk, "plan": "venue_pro"}, follow=True)
    assert response.status_code == 200
    (session,) = fake_stripe.created("checkout.session")
    assert session["url"].encode() in response.content
    assert session["metadata"] == {"agnt_venue_id": str(venue.pk), "agnt_kind": "venue", "agnt_plan": "venue_pro"}
    staff_client.post(url, {"venue": venue.pk, "plan": "venue_pro"})  # asked twice the same day: the same link
    assert len(fake_stripe.created("checkout.session")) == 1


def test_an_owner_gets_checkout_links_only_for_their_venues(db, client, fake_stripe):
    mine, theirs = make_venue(name="Mine"), make_venue(name="Theirs")
    owner = make_owner(venue=mine)
    client.force_login(owner)
    url = reverse("admin:billing_stripesubscription_venue_checkout")
    assert client.get(url).status_code == 200
    refused = client.post(url, {"venue": theirs.pk, "plan": "venue_pro"})
    assert refused.status_code == 200 and not fake_stripe.created("checkout.session")
    client.post(url, {"venue": mine.pk, "plan": "venue_pro"})
    assert len(fake_stripe.created("checkout.session")) == 1


def test_reusing_an_idempotency_key_with_other_checkout_parameters_is_a_409(api, fake_stripe):
    first = api.post("/api/billing/checkout", {"plan": "plus"}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert first.status_code == 201
    other = api.post(
        "/api/billing/checkout",
        {"plan": "plus", "success_url": "https://app.example/elsewhere"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    assert other.status_code == 409, other.content
    assert "Idempotency-Key" in other.json()["detail"]
