"""No-show strikes: too many no-shows in 180 days → the guest's bookings need the owner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings import services, tasks
from bookings.models import GuestReliability
from bookings.selectors import guest_needs_owner_approval
from venues.tests.factories import make_booking, make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest(django_user_model):
    return django_user_model.objects.create_user(username="flaky", password="pw-flaky-123!")


def test_two_recent_no_shows_flag_the_guest_and_one_does_not(guest, settings):
    settings.BOOKINGS_NO_SHOW_STRIKES = 2
    venue = make_venue()
    make_booking(venue=venue, user=guest, status="no_show", hours_ahead=-48)
    make_booking(venue=venue, user=guest, status="completed", hours_ahead=-72)

    tasks.no_show_strikes_recompute()
    assert guest_needs_owner_approval(user=guest) is False
    assert GuestReliability.objects.get(user=guest).no_show_count == 1

    make_booking(venue=make_venue(), user=guest, status="no_show", hours_ahead=-24 * 30)
    tasks.no_show_strikes_recompute()
    tasks.no_show_strikes_recompute()  # a re-run changes nothing
    record = GuestReliability.objects.get(user=guest)
    assert record.no_show_count == 2 and record.needs_owner_approval
    assert guest_needs_owner_approval(user=guest) is True


def test_no_shows_older_than_the_window_fall_off_and_lift_the_flag(guest):
    venue = make_venue()
    make_booking(venue=venue, user=guest, status="no_show", hours_ahead=-24 * 10)
    make_booking(venue=venue, user=guest, status="no_show", hours_ahead=-24 * 170)
    services.guest_reliability_recompute_all()
    assert guest_needs_owner_approval(user=guest)

    services.guest_reliability_recompute_all(now=timezone.now() + timedelta(days=20))
    record = GuestReliability.objects.get(user=guest)
    assert record.no_show_count == 1 and not record.needs_owner_approval
    assert guest_needs_owner_approval(user=guest) is False


def test_guests_without_a_record_and_anonymous_requests_need_no_approval(guest):
    assert guest_needs_owner_approval(user=guest) is False
    assert guest_needs_owner_approval(user=None) is False


def test_marking_a_no_show_then_recomputing_the_guest_flags_them_at_once(guest, settings):
    settings.BOOKINGS_NO_SHOW_STRIKES = 1
    booking = make_booking(venue=make_venue(), user=guest, status="confirmed", hours_ahead=-3)
    services.booking_mark_no_show(booking=booking)
    services.guest_reliability_recompute(user=guest)
    assert guest_needs_owner_approval(user=guest)


def test_marking_a_no_show_counts_the_strike_at_once(django_user_model):
    from datetime import timedelta

    from django.utils import timezone

    from bookings import services
    from bookings.selectors import guest_needs_owner_approval
    from venues.tests.factories import make_venue

    guest = django_user_model.objects.create_user(username="late-guest", password="x")
    venue = make_venue(slug="strike-cafe")
    for days in (3, 10):
        booking = services.booking_create(
            venue=venue, user=guest, party_size=2, source="web", slot_start=timezone.now() + timedelta(days=1)
        )
        services.booking_confirm(booking=booking)
        type(booking).objects.filter(pk=booking.pk).update(
            slot_start=timezone.now() - timedelta(days=days), slot_end=timezone.now() - timedelta(days=days, hours=-2)
        )
        booking.refresh_from_db()
        services.booking_mark_no_show(booking=booking)
    assert guest_needs_owner_approval(user=guest)
