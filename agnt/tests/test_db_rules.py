import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError
from model_bakery import baker

from bookings.models import BookingEvent, VenueBooking


@pytest.mark.django_db
def test_it_generates_time_ordered_uuid7_keys_in_python_and_in_the_database():
    city = baker.make("venues.City")
    assert city.pk.version == 7
    with connection.cursor() as cursor:
        cursor.execute("SELECT uuid_generate_v7()")
        (first,) = cursor.fetchone()
        cursor.execute("SELECT pg_sleep(0.002)")
        cursor.execute("SELECT uuid_generate_v7()")
        (second,) = cursor.fetchone()
    assert first.version == 7 and first < second


@pytest.mark.django_db
def test_the_database_rejects_a_status_outside_the_choices():
    booking = baker.make(VenueBooking, party_size=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        VenueBooking.objects.filter(pk=booking.pk).update(status="teleported")


@pytest.mark.django_db
def test_the_database_rejects_a_booking_transition_the_state_machine_forbids():
    booking = baker.make(VenueBooking, party_size=2, status="completed")
    with pytest.raises(IntegrityError), transaction.atomic():
        VenueBooking.objects.filter(pk=booking.pk).update(status="requested")
    booking = baker.make(VenueBooking, party_size=2, status="requested")
    VenueBooking.objects.filter(pk=booking.pk).update(status="confirmed")


@pytest.mark.django_db
def test_the_booking_event_log_rejects_update_and_delete():
    event = baker.make(BookingEvent, to_status="requested")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        BookingEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        BookingEvent.objects.filter(pk=event.pk).delete()
