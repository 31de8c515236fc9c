from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings import selectors, services
from bookings.models import BookingRating, Reminder
from venues.tests.factories import make_booking, make_venue

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def guest(django_user_model):
    return django_user_model.objects.create_user(username="guest", password="pw-guest-123!")


def test_a_rating_of_a_completed_visit_updates_the_venue_average(guest):
    venue = make_venue()
    first = make_booking(venue=venue, user=guest, status="completed", hours_ahead=-5)
    second = make_booking(venue=venue, user=guest, status="completed", hours_ahead=-30)

    services.booking_rate(booking=first, user=guest, score=5, comment="Great sunset", food_score=4)
    services.booking_rate(booking=second, user=guest, score=2)

    venue.refresh_from_db()
    assert venue.rating_count == 2 and venue.rating_average == Decimal("3.50")
    assert BookingRating.objects.get(booking=first).venue_id == venue.pk


def test_it_refuses_a_second_rating_a_rating_of_an_unfinished_visit_and_someone_elses_visit(guest, django_user_model):
    venue = make_venue()
    done = make_booking(venue=venue, user=guest, status="completed", hours_ahead=-5)
    services.booking_rate(booking=done, user=guest, score=4)
    with pytest.raises(services.RatingError, match="already been rated"):
        services.booking_rate(booking=done, user=guest, score=1)
    with pytest.raises(services.RatingError, match="completed visit"):
        services.booking_rate(booking=make_booking(venue=venue, user=guest, status="confirmed"), user=guest, score=4)
    other = django_user_model.objects.create_user(username="other", password="pw-other-123!")
    with pytest.raises(services.RatingError, match="only the guest"):
        services.booking_rate(booking=make_booking(venue=venue, user=guest, status="completed"), user=other, score=4)
    with pytest.raises(services.RatingError, match="between 1 and 5"):
        services.booking_rate(booking=make_booking(venue=venue, user=guest, status="completed"), user=guest, score=6)


@pytest.mark.parametrize("field", ["score", "food_score", "value_score"])
def test_the_database_refuses_a_score_outside_one_to_five(guest, field):
    rating = services.booking_rate(
        booking=make_booking(venue=make_venue(), user=guest, status="completed", hours_ahead=-2), user=guest, score=3
    )
    with pytest.raises(IntegrityError, match="booking_rating_"), transaction.atomic():
        BookingRating.objects.filter(pk=rating.pk).update(**{field: 0})


def test_the_database_allows_only_one_rating_per_booking(guest):
    booking = make_booking(venue=make_venue(), user=guest, status="completed", hours_ahead=-2)
    services.booking_rate(booking=booking, user=guest, score=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingRating.objects.create(booking=booking, venue=booking.venue, user=guest, score=4)


def test_a_reminder_is_scheduled_and_found_when_due(guest):
    reminder = services.reminder_create(
        user=guest, text="Bring sunscreen", due_at=timezone.now() + timedelta(minutes=10), channel="whatsapp"
    )
    assert reminder.status == "scheduled"
    assert list(selectors.reminders_due()) == []
    assert list(selectors.reminders_due(now=timezone.now() + timedelta(minutes=11))) == [reminder]


def test_a_reminder_must_be_in_the_future_and_say_something(guest):
    with pytest.raises(services.ReminderError, match="future"):
        services.reminder_create(user=guest, text="late", due_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(services.ReminderError, match="needs a text"):
        services.reminder_create(user=guest, text="  ", due_at=timezone.now() + timedelta(hours=1))


def test_a_cancelled_reminder_is_no_longer_due_and_cannot_be_sent(guest):
    reminder = services.reminder_create(user=guest, text="Call the spa", due_at=timezone.now() + timedelta(minutes=1))
    services.reminder_cancel(reminder=reminder)
    reminder.refresh_from_db()
    assert reminder.status == "cancelled" and reminder.cancelled_at is not None
    assert list(selectors.reminders_due(now=timezone.now() + timedelta(hours=1))) == []
    with pytest.raises(services.ReminderError, match="from cancelled to sent"):
        services.reminder_mark_sent(reminder=reminder)
    with pytest.raises(IntegrityError, match="cannot move from cancelled to scheduled"), transaction.atomic():
        Reminder.objects.filter(pk=reminder.pk).update(status="scheduled")


def test_a_failing_reminder_is_retried_then_given_up(guest):
    reminder = services.reminder_create(user=guest, text="Yoga at 7", due_at=timezone.now() + timedelta(minutes=1))
    for attempt in range(1, services.REMINDER_MAX_ATTEMPTS + 1):
        reminder = services.reminder_record_failure(reminder=reminder, error="channel down")
        assert reminder.attempts == attempt
    assert reminder.status == "failed"
    assert reminder.last_error == "channel down"


def test_a_sent_reminder_needs_a_send_time_in_the_database(guest):
    reminder = services.reminder_create(user=guest, text="Dinner", due_at=timezone.now() + timedelta(minutes=1))
    with pytest.raises(IntegrityError, match="reminder_sent_time"), transaction.atomic():
        Reminder.objects.filter(pk=reminder.pk).update(status="sent")
    services.reminder_mark_sent(reminder=reminder, provider_message_id="wamid.1")
    reminder.refresh_from_db()
    assert reminder.status == "sent" and reminder.sent_at is not None and reminder.attempts == 1


def test_a_booking_gets_one_automatic_reminder_of_each_kind(guest):
    booking = make_booking(venue=make_venue(), user=guest, status="confirmed", hours_ahead=30)
    due = timezone.now() + timedelta(hours=27)
    first = services.reminder_create(user=guest, text="Table tomorrow", due_at=due, booking=booking, kind="booking")
    with pytest.raises(IntegrityError), transaction.atomic():
        services.reminder_create(user=guest, text="Table tomorrow", due_at=due, booking=booking, kind="booking")
    services.reminder_cancel(reminder=first)
    services.reminder_create(user=guest, text="Table moved", due_at=due, booking=booking, kind="booking")


def test_every_reminder_move_writes_an_event_row(guest):
    sent = services.reminder_create(user=guest, text="Sunset", due_at=timezone.now() + timedelta(minutes=1))
    services.reminder_mark_sent(reminder=sent, provider_message_id="wamid.2")
    cancelled = services.reminder_create(user=guest, text="Spa", due_at=timezone.now() + timedelta(minutes=1))
    services.reminder_cancel(reminder=cancelled)
    failing = services.reminder_create(user=guest, text="Yoga", due_at=timezone.now() + timedelta(minutes=1))
    for _ in range(services.REMINDER_MAX_ATTEMPTS):
        failing = services.reminder_record_failure(reminder=failing, error="channel down")
    assert [(e.from_status, e.to_status) for e in sent.events.all()] == [("scheduled", "sent")]
    assert [(e.from_status, e.to_status) for e in cancelled.events.all()] == [("scheduled", "cancelled")]
    assert [(e.from_status, e.to_status) for e in failing.events.all()] == [("scheduled", "failed")]
