"""The bookings lifecycle jobs: expiry, reminders with keep/cancel replies, completion,
rating requests — each job's effect, and that a re-run does nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from agents.models import A2AEnvelope
from bookings import services, tasks
from bookings.models import BookingEvent, BookingMessage, BookingRating, VenueBooking
from messaging.booking_replies import booking_reply_handle
from messaging.models import Interaction
from messaging.services import user_channel_bind
from venues.tests.factories import make_booking, make_city, make_venue

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def _guest(platform: str, external_id: str):
    channel, _ = user_channel_bind(platform=platform, external_id=external_id, display_name="Ana")
    channel.last_inbound_at = timezone.now()
    channel.save(update_fields=["last_inbound_at"])
    return channel


@pytest.fixture
def telegram_guest():
    return _guest("telegram", "7001")


@pytest.fixture
def whatsapp_guest():
    return _guest("whatsapp", "6281234567")


def _booked(
    venue, user, *, status="confirmed", hours_ahead: float, booked_hours_before: float = 72, **kwargs
) -> VenueBooking:
    booking = make_booking(venue=venue, user=user, status=status, hours_ahead=0, **kwargs)
    start = timezone.now() + timedelta(hours=hours_ahead)
    VenueBooking.objects.filter(pk=booking.pk).update(
        slot_start=start, slot_end=start + timedelta(hours=2), created_at=start - timedelta(hours=booked_hours_before)
    )
    booking.refresh_from_db()
    return booking


def _sent(booking) -> list[Interaction]:
    return list(Interaction.objects.filter(booking=booking, direction="outbound").order_by("created_at"))


# --------------------------------------------------------------------------- reminders


def test_the_day_before_reminder_goes_out_once_with_keep_and_cancel_buttons(telegram_guest):
    booking = _booked(make_venue(name="La Brisa"), telegram_guest.user, hours_ahead=23)

    assert tasks.booking_reminders() == 1
    assert tasks.booking_reminders() == 0

    [message] = _sent(booking)
    assert "La Brisa" in message.text and booking.external_ref in message.text and "tomorrow" in message.text
    buttons = message.payload["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == [
        f"booking:keep:{booking.external_ref}",
        f"booking:cancel:{booking.external_ref}",
    ]
    assert BookingMessage.objects.get(booking=booking).kind == "reminder_day_before"


def test_whatsapp_guests_are_asked_to_reply_keep_or_cancel_instead_of_buttons(whatsapp_guest):
    booking = _booked(make_venue(), whatsapp_guest.user, hours_ahead=20)
    services.booking_reminders_send_due()
    [message] = _sent(booking)
    assert 'Reply "keep"' in message.text and '"cancel"' in message.text
    assert "reply_markup" not in message.payload


def test_two_hours_before_only_the_near_reminder_is_sent(telegram_guest):
    booking = _booked(make_venue(), telegram_guest.user, hours_ahead=1.5)
    assert services.booking_reminders_send_due() == 1
    assert list(BookingMessage.objects.filter(booking=booking).values_list("kind", flat=True)) == ["reminder_two_hours"]
    assert services.booking_reminders_send_due() == 0


def test_no_day_before_reminder_for_a_booking_made_the_same_day_and_none_for_cancelled_ones(telegram_guest):
    venue = make_venue()
    fresh = _booked(venue, telegram_guest.user, hours_ahead=20, booked_hours_before=2)
    cancelled = _booked(venue, telegram_guest.user, status="cancelled", hours_ahead=20)
    assert services.booking_reminders_send_due() == 0
    assert _sent(fresh) == [] and _sent(cancelled) == []


def test_a_guest_without_a_channel_is_remembered_and_not_retried(django_user_model):
    user = django_user_model.objects.create_user(username="nochannel", password="pw-nochan-123!")
    booking = _booked(make_venue(), user, hours_ahead=22)
    services.booking_reminders_send_due()
    services.booking_reminders_send_due()
    assert BookingMessage.objects.get(booking=booking).outcome == "no_channel"


# --------------------------------------------------------------------------- keep / cancel replies


def test_keep_notes_the_guest_is_coming_once_and_leaves_the_booking_confirmed(telegram_guest):
    booking = _booked(make_venue(name="La Brisa"), telegram_guest.user, hours_ahead=23)
    services.booking_reminders_send_due()

    answer = booking_reply_handle(user=telegram_guest.user, data=f"booking:keep:{booking.external_ref}")
    booking_reply_handle(user=telegram_guest.user, data="keep")

    assert "see you at La Brisa" in answer
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert BookingEvent.objects.filter(booking=booking, data__kind="attendance_confirmed").count() == 1


def test_cancel_from_the_reminder_cancels_through_the_service_and_tells_the_venue_agent(telegram_guest):
    booking = _booked(make_venue(name="La Brisa", slug="la-brisa-reminders"), telegram_guest.user, hours_ahead=23)
    services.booking_reminders_send_due()

    answer = booking_reply_handle(user=telegram_guest.user, data=f"booking:cancel:{booking.external_ref}")

    booking.refresh_from_db()
    assert booking.status == "cancelled" and "is cancelled" in answer
    event = BookingEvent.objects.get(booking=booking, to_status="cancelled")
    assert event.actor_id == telegram_guest.user.pk and event.actor_kind == "consumer"
    assert A2AEnvelope.objects.filter(booking=booking, intent="booking.cancel").count() == 1
    again = booking_reply_handle(user=telegram_guest.user, data=f"booking:cancel:{booking.external_ref}")
    assert "nothing to cancel" in again


def test_a_bare_cancel_answers_the_last_reminder_but_is_left_to_the_concierge_without_one(whatsapp_guest):
    assert booking_reply_handle(user=whatsapp_guest.user, data="cancel") is None
    booking = _booked(make_venue(slug="bare-cancel-venue"), whatsapp_guest.user, hours_ahead=22)
    services.booking_reminders_send_due()
    assert booking_reply_handle(user=whatsapp_guest.user, data="Cancel!") is not None
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_buttons_for_someone_elses_booking_do_nothing(telegram_guest, whatsapp_guest):
    booking = _booked(make_venue(), whatsapp_guest.user, hours_ahead=22)
    answer = booking_reply_handle(user=telegram_guest.user, data=f"booking:cancel:{booking.external_ref}")
    assert answer == "I couldn't find that booking."
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert (
        booking_reply_handle(user=telegram_guest.user, data="booking:explode:now")
        == "Sorry, I didn't understand that button."
    )


# --------------------------------------------------------------------------- expiry


def test_stale_requests_expire_and_live_ones_stay(django_user_model):
    venue = make_venue()
    old_request = _booked(venue, None, status="requested", hours_ahead=30)
    fresh_request = make_booking(venue=venue, status="requested", hours_ahead=30)
    old_counter = _booked(venue, None, status="counter_offered", hours_ahead=30)
    VenueBooking.objects.filter(pk=old_counter.pk).update(updated_at=timezone.now() - timedelta(hours=3))
    owner_waiting = make_booking(
        venue=venue, status="pending_owner", hours_ahead=30, owner_decision_deadline=timezone.now() + timedelta(hours=1)
    )
    owner_missed = make_booking(
        venue=venue, status="pending_owner", hours_ahead=30, owner_decision_deadline=timezone.now() - timedelta(hours=2)
    )
    started = make_booking(venue=venue, status="requested", hours_ahead=-1)

    assert tasks.expire_pending_bookings() == 4
    assert tasks.expire_pending_bookings() == 0

    status = dict(VenueBooking.objects.filter(venue=venue).values_list("pk", "status"))
    assert (
        status[old_request.pk] == status[old_counter.pk] == status[owner_missed.pk] == status[started.pk] == "expired"
    )
    assert status[fresh_request.pk] == "requested" and status[owner_waiting.pk] == "pending_owner"
    assert BookingEvent.objects.get(booking=started, to_status="expired").reason == "the slot has passed"


# --------------------------------------------------------------------------- completion


def test_visits_the_venue_did_not_flag_are_completed_after_the_grace_period():
    venue = make_venue()
    long_over = make_booking(venue=venue, status="confirmed", hours_ahead=-15)  # ended 13 h ago
    just_over = make_booking(venue=venue, status="confirmed", hours_ahead=-3)  # ended 1 h ago

    assert tasks.complete_past_bookings() == 1
    assert tasks.complete_past_bookings() == 0
    long_over.refresh_from_db()
    just_over.refresh_from_db()
    assert long_over.status == "completed" and long_over.completed_at is not None
    assert just_over.status == "confirmed"


# --------------------------------------------------------------------------- rating requests


def _venue_at_local_hour(hour: int, **kwargs):
    """A venue whose city's clock now shows ``hour`` (a fixed-offset zone)."""
    offset = (hour - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 14 else offset
    zone = "Etc/UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"
    return make_venue(city=make_city(timezone=zone), **kwargs)


def test_a_completed_visit_gets_one_rating_request_and_a_rate_reply_records_it(whatsapp_guest):
    venue = _venue_at_local_hour(12, name="Warung Sari")
    booking = make_booking(
        venue=venue, user=whatsapp_guest.user, status="completed", hours_ahead=-4, completed_at=timezone.now()
    )

    assert tasks.request_post_visit_ratings() == 1
    assert tasks.request_post_visit_ratings() == 0
    [message] = _sent(booking)
    assert "Warung Sari" in message.text and '"rate"' in message.text

    answer = booking_reply_handle(user=whatsapp_guest.user, data="rate 4 lovely sunset")
    rating = BookingRating.objects.get(booking=booking)
    assert rating.score == 4 and rating.comment == "lovely sunset" and "★★★★☆" in answer
    # Already rated: a stray "5" is no longer a rating reply.
    assert booking_reply_handle(user=whatsapp_guest.user, data="5") is None


def test_telegram_rating_requests_carry_star_buttons(telegram_guest):
    booking = make_booking(
        venue=_venue_at_local_hour(15),
        user=telegram_guest.user,
        status="completed",
        hours_ahead=-4,
        completed_at=timezone.now(),
    )
    services.rating_requests_send_due()
    [message] = _sent(booking)
    stars = message.payload["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in stars][-1] == f"booking:rate:{booking.external_ref}:5"
    booking_reply_handle(user=telegram_guest.user, data=stars[2]["callback_data"])
    assert BookingRating.objects.get(booking=booking).score == 3


def test_no_rating_request_at_night_in_the_venues_timezone(telegram_guest):
    booking = make_booking(
        venue=_venue_at_local_hour(3),
        user=telegram_guest.user,
        status="completed",
        hours_ahead=-4,
        completed_at=timezone.now(),
    )
    assert services.rating_requests_send_due() == 0
    assert _sent(booking) == [] and not BookingMessage.objects.filter(booking=booking).exists()
