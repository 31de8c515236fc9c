"""The Lalamove v3 client against a local fake that verifies the HMAC signature."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings import lalamove
from bookings.models import TransportBooking
from bookings.services import transport_confirm, transport_quote_record, transport_transition
from bookings.state import TransportStatus
from bookings.tests.fake_lalamove import fake_lalamove  # noqa: F401 - fixture

PICKUP = lalamove.Place(address="Jl. Pantai Berawa 99", latitude=Decimal("-8.660100"), longitude=Decimal("115.140200"))
DROPOFF = lalamove.Place(address="Jl. Batu Bolong 12", latitude=Decimal("-8.655000"), longitude=Decimal("115.130000"))


def test_signature_matches_the_documented_recipe():
    # HMAC-SHA256(secret, "{ts}\r\n{METHOD}\r\n{path}\r\n\r\n{body}") in hex.
    signature = lalamove.sign(
        secret="s3cret", timestamp="1545880607433", method="post", path="/v3/quotations", body='{"data":{}}'
    )
    import hashlib
    import hmac

    expected = hmac.new(
        b"s3cret", b'1545880607433\r\nPOST\r\n/v3/quotations\r\n\r\n{"data":{}}', hashlib.sha256
    ).hexdigest()
    assert signature == expected


def test_quotation_is_signed_wrapped_in_data_and_parsed(fake_lalamove):
    quote = lalamove.quotation_create(pickup=PICKUP, dropoff=DROPOFF, service_type="motorcycle")
    assert fake_lalamove.signature_failures == 0
    request = fake_lalamove.requests[-1]
    assert request.method == "POST" and request.path == "/v3/quotations"
    assert request.headers["market"] == "ID" and request.headers["request-id"]
    body = request.json["data"]
    assert body["serviceType"] == "MOTORCYCLE"
    assert body["stops"][0] == {
        "coordinates": {"lat": "-8.660100", "lng": "115.140200"},
        "address": "Jl. Pantai Berawa 99",
    }
    assert quote.price == Decimal("45000") and quote.currency == "IDR" and quote.distance_m == 5230
    assert quote.expires_at > timezone.now() and len(quote.stop_ids) == 2


def test_wrong_secret_is_a_typed_auth_error(fake_lalamove, settings):
    settings.LALAMOVE_API_SECRET = "not-the-secret"
    with pytest.raises(lalamove.LalamoveAuthError) as caught:
        lalamove.quotation_create(pickup=PICKUP, dropoff=DROPOFF)
    assert caught.value.status == 401 and fake_lalamove.signature_failures == 1


def test_provider_errors_are_typed(fake_lalamove):
    fake_lalamove.script(422, {"errors": [{"id": "ERR_OUT_OF_SERVICE_AREA", "message": "Out of service area"}]})
    with pytest.raises(lalamove.LalamoveRequestError, match="Out of service area") as caught:
        lalamove.quotation_create(pickup=PICKUP, dropoff=DROPOFF)
    assert caught.value.error_id == "ERR_OUT_OF_SERVICE_AREA"
    fake_lalamove.script(503, {"errors": []})
    with pytest.raises(lalamove.LalamoveUnavailable):
        lalamove.quotation_create(pickup=PICKUP, dropoff=DROPOFF)
    fake_lalamove.script(200, b"<html>oops</html>")
    with pytest.raises(lalamove.LalamoveUnavailable):
        lalamove.quotation_create(pickup=PICKUP, dropoff=DROPOFF)


def test_unreachable_server_is_unavailable(settings):
    settings.LALAMOVE_BASE_URL, settings.LALAMOVE_API_KEY, settings.LALAMOVE_API_SECRET = "http://127.0.0.1:9", "k", "s"
    with pytest.raises(lalamove.LalamoveUnavailable):
        lalamove.quotation_create(pickup=PICKUP, dropoff=DROPOFF)


def test_without_credentials_nothing_is_sent(settings):
    settings.LALAMOVE_API_KEY = ""
    assert not lalamove.is_configured()
    with pytest.raises(lalamove.LalamoveNotConfigured):
        lalamove.quotation_create(pickup=PICKUP, dropoff=DROPOFF)


def test_get_order_signs_an_empty_body(fake_lalamove):
    quote = lalamove.quotation_create(pickup=PICKUP, dropoff=DROPOFF)
    order = lalamove.order_create(
        quotation_id=quote.quotation_id,
        sender_stop_id=quote.stop_ids[0],
        sender_name="A",
        sender_phone="+628123",
        recipient_stop_id=quote.stop_ids[1],
        recipient_name="B",
        recipient_phone="+628124",
    )
    fetched = lalamove.order_get(order_id=order["orderId"])
    assert fetched["status"] == "ASSIGNING_DRIVER" and fake_lalamove.signature_failures == 0
    assert fake_lalamove.requests[-1].method == "GET" and fake_lalamove.requests[-1].body == b""


@pytest.fixture
def quoted(db, django_user_model, fake_lalamove):
    user = django_user_model.objects.create_user(username="guest", password="x")
    quote = lalamove.quotation_create(pickup=PICKUP, dropoff=DROPOFF)
    transport = transport_quote_record(
        user=user,
        quote_id=quote.quotation_id,
        quote_expires_at=quote.expires_at,
        price_amount=quote.price,
        currency=quote.currency,
        service_type="motorcycle",
        pickup={"address": PICKUP.address, "latitude": PICKUP.latitude, "longitude": PICKUP.longitude},
        dropoff={"address": DROPOFF.address, "latitude": DROPOFF.latitude, "longitude": DROPOFF.longitude},
        quote_payload=quote.raw,
    )
    return user, transport


def test_an_unconfirmed_booking_is_never_ordered(quoted, fake_lalamove):
    _user, transport = quoted
    with pytest.raises(lalamove.LalamoveError, match="not been confirmed"):
        lalamove.transport_order_place(transport=transport, sender_phone="+628", recipient_phone="+628")
    transport_transition(transport=transport, to_status=TransportStatus.AWAITING_CONFIRMATION)
    with pytest.raises(lalamove.LalamoveError, match="not been confirmed"):
        lalamove.transport_order_place(transport=transport, sender_phone="+628", recipient_phone="+628")
    assert fake_lalamove.orders == []


def test_a_confirmed_booking_is_ordered_once_and_the_order_recorded(quoted, fake_lalamove):
    user, transport = quoted
    transport_transition(transport=transport, to_status=TransportStatus.AWAITING_CONFIRMATION)
    transport_confirm(transport=transport, user=user, confirmation_ref="telegram:1")
    placed = lalamove.transport_order_place(transport=transport, sender_phone="+62812", recipient_phone="+62813")
    assert len(fake_lalamove.orders) == 1
    order = fake_lalamove.orders[0]
    assert (
        order["sender"]["phone"] == "+62812"
        and order["recipients"][0]["stopId"] == transport.quote_payload["stops"][1]["stopId"]
    )
    stored = TransportBooking.objects.get(pk=transport.pk)
    assert stored.lalamove_order_id == placed.lalamove_order_id == order["orderId"]
    assert stored.tracking_url.startswith("https://share.sandbox.lalamove.com")
    with pytest.raises(lalamove.LalamoveError, match="already has an order"):
        lalamove.transport_order_place(transport=transport, sender_phone="+62812", recipient_phone="+62813")
    assert len(fake_lalamove.orders) == 1


def test_expired_quotes_cannot_be_confirmed(quoted):
    user, transport = quoted
    transport_transition(transport=transport, to_status=TransportStatus.AWAITING_CONFIRMATION)
    TransportBooking.objects.filter(pk=transport.pk).update(quote_expires_at=timezone.now() - timedelta(seconds=1))
    transport.refresh_from_db()
    from bookings.services import TransportConfirmationError

    with pytest.raises(TransportConfirmationError):
        transport_confirm(transport=transport, user=user)


def test_the_poll_job_walks_a_courier_through_the_steps_lalamove_reports(quoted, fake_lalamove):
    from bookings.tasks import transport_status_poll

    user, transport = quoted
    transport_transition(transport=transport, to_status=TransportStatus.AWAITING_CONFIRMATION)
    transport_confirm(transport=transport, user=user, confirmation_ref="telegram:2")
    lalamove.transport_order_place(transport=transport, sender_phone="+62812", recipient_phone="+62813")

    assert transport_status_poll() == 1  # ASSIGNING_DRIVER: polled, nothing to record
    stored = TransportBooking.objects.get(pk=transport.pk)
    assert stored.status == TransportStatus.CONFIRMED and stored.last_polled_at is not None

    fake_lalamove.orders[0]["status"] = "PICKED_UP"  # the driver came and went between two polls
    TransportBooking.objects.filter(pk=transport.pk).update(last_polled_at=None)
    transport_status_poll()
    stored = TransportBooking.objects.get(pk=transport.pk)
    assert stored.status == TransportStatus.PICKED_UP
    assert list(stored.events.order_by("created_at").values_list("to_status", flat=True))[-2:] == [
        "driver_assigned",
        "picked_up",
    ]
