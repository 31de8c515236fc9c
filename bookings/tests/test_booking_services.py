import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from model_bakery import baker

from agnt.models import AnalyticsEvent
from bookings import services, signals
from bookings.models import BookingEvent, VenueBooking
from bookings.state import BOOKING_TRANSITIONS, BookingStatus
from venues.tests.factories import make_booking, make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest(django_user_model):
    return django_user_model.objects.create_user(username="guest", password="pw-guest-123!")


def _create(venue, user, **kwargs):
    kwargs.setdefault("party_size", 2)
    kwargs.setdefault("slot_start", timezone.now() + timedelta(days=1))
    kwargs.setdefault("source", "telegram")
    return services.booking_create(venue=venue, user=user, **kwargs)


def test_it_creates_a_requested_booking_with_a_short_reference_and_a_first_event(guest):
    venue = make_venue(booking_duration_minutes=90)
    booking = _create(venue, guest)

    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED
    assert re.fullmatch(r"AG-[23456789ABCDEFGHJKMNPQRSTWXYZ]{6}", booking.external_ref)
    assert booking.slot_end - booking.slot_start == timedelta(minutes=90)
    event = booking.events.get()
    assert (event.from_status, event.to_status, event.actor_kind) == ("", "requested", "consumer_agent")
    assert AnalyticsEvent.objects.filter(name="booking.created", user=guest).exists()


def test_it_retries_the_reference_when_the_first_one_is_taken(guest, monkeypatch):
    venue = make_venue()
    make_booking(venue=venue, external_ref="AG-AAAAAA")
    refs = iter(["AG-AAAAAA", "AG-BBBBBB"])
    monkeypatch.setattr("bookings.services.booking.booking_generate_external_ref", lambda: next(refs))

    booking = _create(venue, guest)

    assert booking.external_ref == "AG-BBBBBB"
    assert VenueBooking.objects.filter(venue=venue).count() == 2


def test_it_returns_the_first_booking_for_a_retried_api_request(guest):
    venue = make_venue()
    key = baker.make("agents.ApiKey", owner=guest, prefix="agnt_test", key_hash="h" * 64)
    first = _create(venue, guest, api_key=key, idempotency_key="req-1", source="api")
    again = _create(venue, guest, api_key=key, idempotency_key="req-1", source="api")
    assert again.pk == first.pk
    assert VenueBooking.objects.count() == 1


@pytest.mark.parametrize(
    ("venue_kwargs", "party_size", "message"),
    [({"status": "closed"}, 2, "does not take bookings"), ({"max_party_size": 6}, 8, "parties of 1–6")],
)
def test_it_refuses_a_request_the_venue_rules_exclude(guest, venue_kwargs, party_size, message):
    venue = make_venue(**venue_kwargs)
    with pytest.raises(services.BookingError, match=message):
        _create(venue, guest, party_size=party_size)
    assert not VenueBooking.objects.exists()


def test_confirm_stamps_the_time_and_records_who_did_it(guest):
    booking = _create(make_venue(), guest)
    services.booking_confirm(booking=booking, actor=guest, actor_kind="owner")

    assert booking.status == "confirmed" and booking.confirmed_at is not None  # caller's instance is updated
    booking.refresh_from_db()
    assert booking.status == "confirmed" and booking.confirmed_at is not None
    last = booking.events.order_by("created_at").last()
    assert (last.from_status, last.to_status, last.actor_id, last.actor_kind) == (
        "requested",
        "confirmed",
        guest.pk,
        "owner",
    )


def test_cancel_keeps_the_reason_and_the_time(guest):
    booking = _create(make_venue(), guest)
    services.booking_cancel(booking=booking, actor=guest, reason="Plans changed")
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancelled_at is not None
    assert booking.status_reason == "Plans changed"


def test_it_walks_a_booking_to_completed(guest):
    venue = make_venue()
    booking = make_booking(venue=venue, user=guest, status="requested", hours_ahead=-3)
    services.booking_confirm(booking=booking)
    services.booking_complete(booking=booking)
    booking.refresh_from_db()
    assert booking.status == "completed" and booking.completed_at is not None
    assert list(booking.events.order_by("created_at").values_list("to_status", flat=True)) == ["confirmed", "completed"]


@pytest.mark.parametrize(
    ("start", "target"),
    [(s, t) for s in BookingStatus.values for t in BookingStatus.values if t != s and t not in BOOKING_TRANSITIONS[s]],
)
def test_it_refuses_every_transition_the_state_machine_forbids(start, target):
    booking = make_booking(venue=make_venue(), status=start)
    with pytest.raises(services.BookingTransitionError, match=f"from {start} to {target}"):
        services.booking_transition(booking=booking, to_status=target, actor_kind="system")
    booking.refresh_from_db()
    assert booking.status == start
    assert not BookingEvent.objects.filter(booking=booking).exists()


def test_a_no_show_cannot_be_recorded_before_the_slot_starts():
    booking = make_booking(venue=make_venue(), status="confirmed", hours_ahead=5)
    with pytest.raises(services.BookingTransitionError, match="has not started"):
        services.booking_mark_no_show(booking=booking)
    past = make_booking(venue=booking.venue, status="confirmed", hours_ahead=-1)
    services.booking_mark_no_show(booking=past)
    past.refresh_from_db()
    assert past.status == "no_show"


def test_the_database_refuses_what_the_service_refuses():
    booking = make_booking(venue=make_venue(), status="cancelled")
    with pytest.raises(IntegrityError, match="cannot move from cancelled to confirmed"), transaction.atomic():
        VenueBooking.objects.filter(pk=booking.pk).update(status="confirmed")


def test_the_status_signal_is_sent_only_after_commit(guest, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, **kwargs):
        received.append((kwargs["from_status"], kwargs["to_status"]))

    signals.booking_status_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            booking = _create(make_venue(), guest)
            services.booking_confirm(booking=booking)
        assert received == []
        for callback in callbacks:
            callback()
        assert received == [("", "requested"), ("requested", "confirmed")]
    finally:
        signals.booking_status_changed.disconnect(receiver)
