"""The courier safety rule: never book a Lalamove courier without the user's explicit confirmation."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from bookings import services
from bookings.models import TransportBooking, TransportEvent
from bookings.state import TRANSPORT_USER_CONFIRMED_STATUSES

pytestmark = pytest.mark.django_db

PICKUP = {"address": "Jl. Batu Bolong 44, Canggu", "latitude": Decimal("-8.6550"), "longitude": Decimal("115.1300")}
DROPOFF = {
    "address": "Jl. Petitenget 12, Seminyak",
    "latitude": Decimal("-8.6800"),
    "longitude": Decimal("115.1570"),
    "contact_name": "Made",
    "contact_phone": "+62 812 0000 0000",
}


@pytest.fixture
def rider(django_user_model):
    return django_user_model.objects.create_user(username="rider", password="pw-rider-123!")


def _quote(user, *, expires_in=timedelta(minutes=5), quote_id="Q-1"):
    return services.transport_quote_record(
        user=user,
        quote_id=quote_id,
        quote_expires_at=timezone.now() + expires_in,
        price_amount=Decimal("38000"),
        currency="IDR",
        service_type="motorcycle",
        pickup=PICKUP,
        dropoff=DROPOFF,
        item_description="Surfboard fins",
    )


def _awaiting(user, **kwargs):
    transport = _quote(user, **kwargs)
    return services.transport_transition(
        transport=transport, to_status="awaiting_confirmation", actor_kind="consumer_agent"
    )


def test_a_quote_is_recorded_without_booking_anything(rider):
    transport = _quote(rider)
    transport.refresh_from_db()
    assert transport.status == "quoted"
    assert transport.user_confirmed_at is None and transport.lalamove_order_id is None
    assert transport.dropoff_contact_name == "Made"
    assert list(transport.events.values_list("to_status", flat=True)) == ["quoted"]


def test_the_user_confirmation_moves_it_to_confirmed_and_is_recorded(rider):
    transport = _awaiting(rider)
    services.transport_confirm(transport=transport, user=rider, confirmation_ref="telegram:msg:991")

    transport.refresh_from_db()
    assert transport.status == "confirmed"
    assert transport.user_confirmed_at is not None
    assert transport.confirmation_ref == "telegram:msg:991"
    event = transport.events.order_by("created_at").last()
    assert (event.from_status, event.to_status, event.actor_id, event.actor_kind) == (
        "awaiting_confirmation",
        "confirmed",
        rider.pk,
        "consumer",
    )


def test_it_refuses_a_confirmation_from_another_user(rider, django_user_model):
    stranger = django_user_model.objects.create_user(username="stranger", password="pw-x-123456!")
    transport = _awaiting(rider)
    with pytest.raises(services.TransportConfirmationError, match="only the user"):
        services.transport_confirm(transport=transport, user=stranger)
    transport.refresh_from_db()
    assert transport.status == "awaiting_confirmation" and transport.user_confirmed_at is None


def test_it_refuses_to_confirm_an_expired_quote(rider):
    transport = _awaiting(rider, expires_in=timedelta(seconds=-1))
    with pytest.raises(services.TransportConfirmationError, match="expired"):
        services.transport_confirm(transport=transport, user=rider)
    transport.refresh_from_db()
    assert transport.status == "awaiting_confirmation"


def test_it_refuses_to_confirm_a_quote_the_user_was_never_asked_about(rider):
    transport = _quote(rider)
    with pytest.raises(services.TransportConfirmationError, match="not awaiting"):
        services.transport_confirm(transport=transport, user=rider)


def test_no_other_service_path_can_confirm_a_courier(rider):
    transport = _awaiting(rider)
    with pytest.raises(services.TransportConfirmationError, match="transport_confirm"):
        services.transport_transition(transport=transport, to_status="confirmed", actor_kind="staff")
    transport.refresh_from_db()
    assert transport.status == "awaiting_confirmation"


def test_it_follows_the_courier_to_delivery(rider):
    transport = _awaiting(rider)
    services.transport_confirm(transport=transport, user=rider)
    services.transport_transition(
        transport=transport,
        to_status="driver_assigned",
        lalamove_order_id="LLM-123",
        driver={"name": "Wayan", "phone": "+62 811", "plate": "DK 1234 AB"},
    )
    services.transport_transition(transport=transport, to_status="picked_up")
    services.transport_transition(transport=transport, to_status="completed")
    transport.refresh_from_db()
    assert (transport.status, transport.lalamove_order_id, transport.driver_plate) == (
        "completed",
        "LLM-123",
        "DK 1234 AB",
    )
    assert transport.completed_at is not None
    assert list(transport.events.order_by("created_at").values_list("to_status", flat=True)) == [
        "quoted",
        "awaiting_confirmation",
        "confirmed",
        "driver_assigned",
        "picked_up",
        "completed",
    ]


def test_it_refuses_a_skip_in_the_courier_state_machine(rider):
    transport = _quote(rider)
    with pytest.raises(services.TransportError, match="from quoted to picked_up"):
        services.transport_transition(transport=transport, to_status="picked_up")


@pytest.mark.parametrize("status", sorted(TRANSPORT_USER_CONFIRMED_STATUSES))
def test_the_database_refuses_a_confirmed_courier_without_user_confirmation(rider, status):
    transport = _quote(rider)
    with pytest.raises(IntegrityError, match="transport_confirmed_requires_user_confirmation"), transaction.atomic():
        # Inserted directly (no trigger involved): the CHECK alone must refuse it.
        TransportBooking.objects.create(
            user=rider,
            quote_id=f"Q-{status}",
            quote_expires_at=transport.quote_expires_at,
            price_amount=1,
            status=status,
            pickup_address="a",
            pickup_latitude=0,
            pickup_longitude=0,
            dropoff_address="b",
            dropoff_latitude=0,
            dropoff_longitude=0,
        )


def test_the_database_refuses_to_confirm_by_update_without_user_confirmation(rider):
    transport = _awaiting(rider)
    with pytest.raises(IntegrityError, match="transport_confirmed_requires_user_confirmation"), transaction.atomic():
        TransportBooking.objects.filter(pk=transport.pk).update(status="confirmed")


def test_the_database_refuses_a_lalamove_order_without_user_confirmation(rider):
    transport = _awaiting(rider)
    with pytest.raises(IntegrityError, match="transport_order_requires_user_confirmation"), transaction.atomic():
        TransportBooking.objects.filter(pk=transport.pk).update(lalamove_order_id="LLM-sneaky")


def test_the_database_refuses_a_courier_transition_the_state_machine_forbids(rider):
    transport = _quote(rider)
    with pytest.raises(IntegrityError, match="cannot move from quoted to completed"), transaction.atomic():
        TransportBooking.objects.filter(pk=transport.pk).update(status="completed", user_confirmed_at=timezone.now())


def test_the_courier_event_log_is_append_only(rider):
    event = _quote(rider).events.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TransportEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TransportEvent.objects.filter(pk=event.pk).delete()


def test_a_quote_needs_a_full_pickup_and_dropoff(rider):
    with pytest.raises(services.TransportError, match="pickup needs"):
        services.transport_quote_record(
            user=rider,
            quote_id="Q-x",
            quote_expires_at=timezone.now(),
            price_amount=Decimal(1),
            currency="IDR",
            service_type="motorcycle",
            pickup={"address": "somewhere"},
            dropoff=DROPOFF,
        )
