"""The Stripe client against the local fake Stripe: idempotency keys, replays, error mapping."""

from __future__ import annotations

import pytest

from billing import stripe_client
from billing.services.errors import (
    StripeAuthenticationFailed,
    StripeCardDeclined,
    StripeIdempotencyMismatch,
    StripeInvalidRequest,
    StripeRateLimited,
    StripeUnavailable,
)
from billing.tests.fake_stripe import decode_form, fake_stripe  # noqa: F401  (a fixture)


def _customer(fake_stripe) -> str:
    return stripe_client.customer_create(party_key="user:7", email="maya@example.com").id


def test_every_post_carries_a_derived_idempotency_key(fake_stripe):
    customer = _customer(fake_stripe)
    stripe_client.checkout_session_create_subscription(
        customer_id=customer,
        price_id="price_agnt_plus",
        subject_key="user:7",
        attempt="a1",
        success_url="https://app/ok",
        cancel_url="https://app/cancel",
        client_reference_id="user:7",
        metadata={"agnt_user_id": "7"},
    )
    stripe_client.portal_session_create(customer_id=customer, return_url="https://app/", attempt="p1")
    stripe_client.invoice_item_create(
        source_key="booking-fee:3", customer_id=customer, amount_cents=1500, currency="IDR", description="Referral fee"
    )
    invoice = stripe_client.invoice_create(source_key="monthly:2026-11:venue:1", customer_id=customer)
    stripe_client.invoice_finalize(invoice["id"])
    stripe_client.meter_event_create(
        event_name="api_calls", stripe_customer_id=customer, value=3, identifier="usage-42", timestamp=fake_stripe.clock
    )

    keys = [(path, key) for path, key, _ in fake_stripe.posts()]
    assert keys == [
        ("/v1/customers", "agnt:customer:user:7"),
        ("/v1/checkout/sessions", "agnt:checkout:user:7:price_agnt_plus:a1"),
        ("/v1/billing_portal/sessions", f"agnt:portal:{customer}:p1"),
        ("/v1/invoiceitems", "agnt:invoiceitem:booking-fee:3"),
        ("/v1/invoices", "agnt:invoice:monthly:2026-11:venue:1"),
        (f"/v1/invoices/{invoice['id']}/finalize", f"agnt:invoice-finalize:{invoice['id']}"),
        ("/v1/billing/meter_events", "agnt:meter-event:usage-42"),
    ]
    checkout_params = fake_stripe.posts()[1][2]
    assert checkout_params["mode"] == "subscription"
    assert checkout_params["line_items"] == [{"price": "price_agnt_plus", "quantity": "1"}]
    assert checkout_params["subscription_data"] == {"metadata": {"agnt_user_id": "7"}}


def test_a_retried_call_does_not_create_twice(fake_stripe):
    first = stripe_client.customer_create(party_key="user:7", email="maya@example.com")
    again = stripe_client.customer_create(party_key="user:7", email="maya@example.com")
    assert again.id == first.id
    assert len(fake_stripe.created("customer")) == 1

    customer = first.id
    for _ in range(2):
        stripe_client.invoice_item_create(
            source_key="booking-fee:9", customer_id=customer, amount_cents=700, currency="usd", description="fee"
        )
    assert len(fake_stripe.created("invoiceitem")) == 1


def test_a_refund_retried_after_a_lost_response_refunds_once(fake_stripe):
    customer = _customer(fake_stripe)
    session = stripe_client.checkout_session_create_subscription(
        customer_id=customer,
        price_id="price_agnt_plus",
        subject_key="user:7",
        attempt="a1",
        success_url="https://app/ok",
        cancel_url="https://app/cancel",
        client_reference_id="user:7",
        metadata={},
    )
    fake_stripe.complete_checkout(session.id, amount=1000)
    charge = next(iter(fake_stripe.objects["charge"].values()))
    for _ in range(3):
        stripe_client.refund_create(source_key="credit-note:5", charge_id=charge["id"], amount_cents=400)
    assert charge["amount_refunded"] == 400
    assert len(fake_stripe.created("refund")) == 1


def test_reusing_a_key_with_other_parameters_is_an_idempotency_mismatch(fake_stripe):
    customer = _customer(fake_stripe)
    stripe_client.invoice_item_create(
        source_key="booking-fee:1", customer_id=customer, amount_cents=100, currency="usd", description="fee"
    )
    with pytest.raises(StripeIdempotencyMismatch):
        stripe_client.invoice_item_create(
            source_key="booking-fee:1", customer_id=customer, amount_cents=200, currency="usd", description="fee"
        )


def test_a_duplicate_meter_event_identifier_is_refused_even_under_a_new_key(fake_stripe, settings):
    customer = _customer(fake_stripe)
    stripe_client.meter_event_create(
        event_name="api_calls", stripe_customer_id=customer, value=1, identifier="u-1", timestamp=fake_stripe.clock
    )
    settings.STRIPE_IDEMPOTENCY_NAMESPACE = "other-install"
    with pytest.raises(StripeInvalidRequest) as caught:
        stripe_client.meter_event_create(
            event_name="api_calls", stripe_customer_id=customer, value=1, identifier="u-1", timestamp=fake_stripe.clock
        )
    assert caught.value.param == "identifier"
    assert len(fake_stripe.created("billing.meter_event")) == 1


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            402,
            {
                "error": {
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": "insufficient_funds",
                    "message": "Your card has insufficient funds.",
                }
            },
            StripeCardDeclined,
        ),
        (
            400,
            {"error": {"type": "invalid_request_error", "message": "No such price", "param": "price"}},
            StripeInvalidRequest,
        ),
        (
            429,
            {"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests"}},
            StripeRateLimited,
        ),
        (
            401,
            {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}},
            StripeAuthenticationFailed,
        ),
        (500, {"error": {"type": "api_error", "message": "Something went wrong"}}, StripeUnavailable),
    ],
)
def test_stripe_errors_become_domain_errors(fake_stripe, status, body, expected):
    fake_stripe.script(status, body, path_contains="/v1/customers")
    with pytest.raises(expected) as caught:
        stripe_client.customer_create(party_key="user:1")
    assert str(caught.value)
    assert caught.value.retryable == (expected in (StripeRateLimited, StripeUnavailable))


def test_a_card_decline_keeps_the_decline_code(fake_stripe):
    fake_stripe.script(
        402,
        {
            "error": {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
            }
        },
        path_contains="/v1/customers",
    )
    with pytest.raises(StripeCardDeclined) as caught:
        stripe_client.customer_create(party_key="user:1")
    assert caught.value.decline_code == "insufficient_funds"
    assert "insufficient funds" in str(caught.value)


def test_an_unreachable_stripe_is_a_retryable_domain_error(settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with pytest.raises(StripeUnavailable) as caught:
        stripe_client.customer_create(party_key="user:1")
    assert caught.value.retryable


def test_without_a_key_the_client_uses_the_standin(settings):
    settings.STRIPE_SECRET_KEY = ""
    assert stripe_client.secret_key() == stripe_client.STANDIN_SECRET_KEY
    assert stripe_client.using_standin()


def test_events_are_listed_across_pages(fake_stripe):
    customer = _customer(fake_stripe)
    for n in range(5):
        session = stripe_client.checkout_session_create_subscription(
            customer_id=customer,
            price_id="price_agnt_plus",
            subject_key="user:7",
            attempt=f"a{n}",
            success_url="https://app/ok",
            cancel_url="https://app/cancel",
            client_reference_id="user:7",
            metadata={},
        )
        fake_stripe.complete_checkout(session.id)
    events = list(stripe_client.events_since(created_gte=0, page_size=4))
    assert [e["id"] for e in events] == [e["id"] for e in reversed(fake_stripe.events)]
    assert len(events) > 4


def test_the_form_decoder_reads_stripe_bracket_nesting():
    pairs = [
        ("line_items[0][price]", "p"),
        ("line_items[0][quantity]", "1"),
        ("metadata[a]", "b"),
        ("types[]", "x"),
        ("types[]", "y"),
        ("created[gte]", "5"),
    ]
    assert decode_form(pairs) == {
        "line_items": [{"price": "p", "quantity": "1"}],
        "metadata": {"a": "b"},
        "types": ["x", "y"],
        "created": {"gte": "5"},
    }


def test_opening_a_checkout_link_on_the_standin_pays_it(fake_stripe):
    import urllib.request

    customer = _customer(fake_stripe)
    session = stripe_client.checkout_session_create_subscription(
        customer_id=customer,
        price_id="price_agnt_plus",
        subject_key="user:7",
        attempt="a1",
        success_url="http://127.0.0.1:1/ok",
        cancel_url="http://127.0.0.1:1/cancel",
        client_reference_id="user:7",
        metadata={},
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(session.url)
    except urllib.error.HTTPError as exc:
        assert exc.code == 303 and exc.headers["Location"] == "http://127.0.0.1:1/ok"
    assert stripe_client.checkout_session_retrieve(session.id)["status"] == "complete"
    assert [s["status"] for s in stripe_client.subscriptions_list(customer_id=customer)] == ["active"]


def test_the_standins_front_page_lists_every_post_with_its_idempotency_key(fake_stripe):
    import urllib.request

    customer = _customer(fake_stripe)
    stripe_client.invoice_item_create(
        source_key="booking-fee:42",
        customer_id=customer,
        amount_cents=12_34,
        currency="idr",
        description="fee",
    )
    page = urllib.request.urlopen(fake_stripe.base_url + "/").read().decode()
    assert "POST /v1/invoiceitems" in page and "POST /v1/customers" in page
    assert "agnt:invoiceitem:booking-fee:42" in page and "amount=1234" in page


MALFORMED_REPLIES = [
    pytest.param(200, {"object": "customer", "email": "x@example.com"}, id="no-id"),
    pytest.param(200, {"id": 42, "object": "customer"}, id="id-not-a-string"),
    pytest.param(200, {"id": "", "object": "customer"}, id="empty-id"),
    pytest.param(200, {"id": "cus_1", "object": "customer", "metadata": "not-a-map"}, id="metadata-not-a-map"),
    pytest.param(200, {"id": "cus_1", "object": "customer", "email": ["x"]}, id="email-not-a-string"),
    pytest.param(200, [1, 2, 3], id="a-list"),
    pytest.param(200, b"<html>gateway timeout</html>", id="not-json"),
    pytest.param(200, b"", id="empty"),
]


@pytest.mark.parametrize(("status", "body"), MALFORMED_REPLIES)
def test_a_malformed_reply_becomes_a_retryable_stripe_failure(fake_stripe, status, body):
    fake_stripe.script(status, body, path_contains="/v1/customers")
    with pytest.raises(StripeUnavailable) as caught:
        stripe_client.customer_create(party_key="user:1")
    assert caught.value.retryable
    assert "Stripe" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [{"object": "checkout.session", "url": "https://x"}, {"id": "cs_1", "url": 5}, {"id": None}, b"{not json"],
    ids=["no-id", "url-not-a-string", "null-id", "not-json"],
)
def test_a_malformed_checkout_or_portal_reply_becomes_a_stripe_failure(fake_stripe, body):
    customer = _customer(fake_stripe)
    fake_stripe.script(200, body, path_contains="/v1/checkout/sessions")
    with pytest.raises(StripeUnavailable):
        stripe_client.checkout_session_create_subscription(
            customer_id=customer,
            price_id="price_agnt_plus",
            subject_key="user:7",
            attempt="a1",
            success_url="https://app.example/ok",
            cancel_url="https://app.example/cancel",
            client_reference_id="user:7",
            metadata={},
        )
    fake_stripe.script(200, body, path_contains="/v1/billing_portal/sessions")
    with pytest.raises(StripeUnavailable):
        stripe_client.portal_session_create(customer_id=customer, return_url="https://app.example", attempt="p1")


def test_a_malformed_list_page_becomes_a_stripe_failure(fake_stripe):
    fake_stripe.script(200, {"object": "list", "data": "nope", "has_more": False}, path_contains="/v1/subscriptions")
    with pytest.raises(StripeUnavailable):
        stripe_client.subscriptions_list(customer_id="cus_1")
