"""The demo-data command loads the Bali network and is idempotent."""

import pytest
from django.apps import apps
from django.core.management import call_command

from bookings.models import VenueBooking
from venues.models import City, Venue


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_seed_demo_loads_the_launch_cities_and_venues_and_a_second_run_adds_nothing():
    call_command("seed_demo", verbosity=0)
    assert set(City.objects.values_list("name", flat=True)) == {"Canggu", "Seminyak", "Ubud", "Uluwatu", "Sanur"}
    assert Venue.objects.count() >= 60
    assert Venue.objects.values("category").distinct().count() >= 8
    assert not Venue.objects.filter(knowledge_text="").exists()
    assert not Venue.objects.filter(opening_hours={}).exists()
    assert VenueBooking.objects.filter(status="confirmed").exists()
    first = _row_counts()
    call_command("seed_demo", verbosity=0)
    assert _row_counts() == first


@pytest.mark.django_db
def test_demo_bookings_carry_their_event_history():
    call_command("seed_demo", verbosity=0)
    completed = VenueBooking.objects.filter(status="completed").first()
    assert list(completed.events.order_by("created_at").values_list("to_status", flat=True)) == [
        "requested",
        "confirmed",
        "completed",
    ]


@pytest.mark.django_db
def test_seeding_demo_bookings_messages_nobody(django_capture_on_commit_callbacks):
    from messaging.models import Interaction

    seeded = Interaction.objects.filter(direction="outbound", payload__has_key="notification")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    assert VenueBooking.objects.filter(status="confirmed").exists()
    assert not seeded.exists()
