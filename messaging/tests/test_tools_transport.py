"""Courier tools: quotes, and the safety rule — no Lalamove order without the user's own yes."""

from __future__ import annotations

import pytest
from django.utils import timezone

from agnt.llm.types import ToolContext
from bookings.models import TransportBooking
from bookings.tests.fake_lalamove import fake_lalamove  # noqa: F401 - fixture
from messaging.tools.confirmation import pending_action_get
from messaging.tools.registry import execute_tool
from venues.tests.factories import make_city, make_venue


@pytest.fixture
def places(db):
    city = make_city(name="Canggu", slug="canggu")
    return (
        make_venue(
            city=city,
            name="Tanah Ember",
            slug="tanah-ember",
            address="Jl. Pantai Berawa 99",
            latitude="-8.660100",
            longitude="115.140200",
        ),
        make_venue(
            city=city,
            name="La Ola",
            slug="la-ola",
            address="Jl. Batu Bolong 12",
            latitude="-8.655000",
            longitude="115.130000",
        ),
    )


@pytest.fixture
def ctx(db, django_user_model):
    user = django_user_model.objects.create_user(username="guest", password="x", phone="0812-3456-789")
    return ToolContext(user=user, platform="whatsapp", interaction_id="a1b2", now=timezone.now())


def quote(ctx, **overrides):
    args = {"pickup_venue": "Tanah Ember", "dropoff_venue": "la-ola", "service_type": "MOTORCYCLE", **overrides}
    return execute_tool("transport_quote", args, ctx)


def test_quote_is_recorded_and_books_nothing(places, ctx, fake_lalamove):
    result = quote(ctx)
    assert not result.is_error, result.content
    assert result.content["price"] == "IDR 45,000" and result.content["distance_km"] == 5.2
    transport = TransportBooking.objects.get()
    assert transport.quote_id == result.content["quote_id"] and transport.status == "quoted"
    assert transport.user == ctx.user and transport.lalamove_order_id is None
    assert fake_lalamove.orders == [] and fake_lalamove.signature_failures == 0


def test_an_address_needs_a_map_pin(places, ctx, fake_lalamove):
    result = quote(ctx, pickup_venue=None, pickup_address="my villa near the rice fields")
    assert result.is_error and "map pin" in result.content["error"]
    pinned = quote(ctx, pickup_venue=None, pickup_address="Villa Mawar (-8.6512, 115.1389)")
    assert not pinned.is_error, pinned.content
    assert fake_lalamove.requests[-1].json["data"]["stops"][0]["coordinates"] == {"lat": "-8.6512", "lng": "115.1389"}


def test_without_credentials_the_tools_say_courier_booking_is_not_configured(places, ctx, settings):
    settings.LALAMOVE_API_KEY = ""
    result = quote(ctx)
    assert result.is_error and "not configured" in result.content["error"]
    assert execute_tool("transport_book", {"quote_id": "Q1"}, ctx).is_error


def test_provider_refusal_is_reported(places, ctx, fake_lalamove):
    fake_lalamove.script(422, {"errors": [{"id": "ERR_OUT_OF_SERVICE_AREA", "message": "Out of service area"}]})
    result = quote(ctx)
    assert result.is_error and "Out of service area" in result.content["error"]
    assert TransportBooking.objects.count() == 0


def test_transport_book_asks_first_and_never_orders_without_the_users_yes(places, ctx, fake_lalamove):
    quote_id = quote(ctx).content["quote_id"]
    first = execute_tool("transport_book", {"quote_id": quote_id}, ctx)
    assert first.content["status"] == "needs_confirmation" and "IDR 45,000" in first.content["summary"]
    assert TransportBooking.objects.get().status == "awaiting_confirmation"
    # The model passes the confirmation id on its own: still nothing.
    again = execute_tool(
        "transport_book", {"quote_id": quote_id, "confirmation_id": first.content["confirmation_id"]}, ctx
    )
    assert again.content["status"] == "needs_confirmation"
    # A forged id with a real confirmation: nothing.
    ctx.confirmed_action = pending_action_get(user=ctx.user)
    forged = execute_tool("transport_book", {"quote_id": quote_id, "confirmation_id": "cf_forged"}, ctx)
    assert forged.content["status"] == "needs_confirmation"
    assert fake_lalamove.orders == []
    transport = TransportBooking.objects.get()
    assert transport.user_confirmed_at is None and transport.lalamove_order_id is None


def test_transport_book_after_the_users_yes_places_one_order(places, ctx, fake_lalamove):
    quote_id = quote(ctx).content["quote_id"]
    first = execute_tool("transport_book", {"quote_id": quote_id}, ctx).content
    ctx.confirmed_action = pending_action_get(user=ctx.user)
    result = execute_tool(
        "transport_book", {"quote_id": "Q-SOMETHING-ELSE", "confirmation_id": first["confirmation_id"]}, ctx
    )
    assert not result.is_error, result.content
    assert result.content["status"] == "booked" and result.content["tracking_url"]
    transport = TransportBooking.objects.get()
    assert transport.status == "confirmed" and transport.user_confirmed_at is not None
    assert transport.confirmation_ref == "whatsapp:a1b2"
    assert transport.lalamove_order_id == fake_lalamove.orders[0]["orderId"]
    assert fake_lalamove.orders[0]["sender"]["phone"] == "+8123456789"
    replay = execute_tool("transport_book", {"quote_id": quote_id, "confirmation_id": first["confirmation_id"]}, ctx)
    assert replay.is_error and len(fake_lalamove.orders) == 1


def test_someone_elses_quote_cannot_be_booked(places, ctx, fake_lalamove, django_user_model):
    quote_id = quote(ctx).content["quote_id"]
    other = ToolContext(
        user=django_user_model.objects.create_user(username="o", password="x", phone="+62899"), platform="telegram"
    )
    result = execute_tool("transport_book", {"quote_id": quote_id}, other)
    assert result.is_error and "no courier quote" in result.content["error"]


def test_a_failed_order_marks_the_booking_failed(places, ctx, fake_lalamove):
    quote_id = quote(ctx).content["quote_id"]
    first = execute_tool("transport_book", {"quote_id": quote_id}, ctx).content
    ctx.confirmed_action = pending_action_get(user=ctx.user)
    fake_lalamove.script(503, {"errors": []}, path_contains="/v3/orders")
    result = execute_tool("transport_book", {"quote_id": quote_id, "confirmation_id": first["confirmation_id"]}, ctx)
    assert result.is_error and "could not be booked" in result.content["error"]
    assert TransportBooking.objects.get().status == "failed"
