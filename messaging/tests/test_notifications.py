"""Booking decisions reach the guest on the channel they last wrote from."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings import services
from bookings.models import ActorKind
from messaging.models import Interaction
from messaging.notifications import booking_status_notify
from messaging.services import user_channel_bind
from venues.tests.factories import make_venue

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def guest_channel():
    channel, _ = user_channel_bind(platform="telegram", external_id="9001", display_name="Ana")
    channel.last_inbound_at = timezone.now()
    channel.save(update_fields=["last_inbound_at"])
    return channel


def _booking(channel):
    return services.booking_create(
        venue=make_venue(name="La Brisa"),
        user=channel.user,
        party_size=4,
        slot_start=timezone.now() + timedelta(days=2),
        source="telegram",
    )


def _notifications(booking):
    return list(Interaction.objects.filter(booking=booking, direction="outbound"))


def test_a_confirmation_is_sent_to_the_guest_with_the_reference(guest_channel, django_capture_on_commit_callbacks):
    booking = _booking(guest_channel)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_confirm(booking=booking)
    [message] = _notifications(booking)
    assert message.channel == guest_channel and message.platform == "telegram"
    assert "Confirmed: La Brisa" in message.text and booking.external_ref in message.text and "4 guests" in message.text
    assert f"/bookings/{booking.external_ref}/calendar.ics?t=" in message.text


def test_a_rejection_carries_the_venues_reason(guest_channel, django_capture_on_commit_callbacks):
    booking = _booking(guest_channel)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_reject(booking=booking, reason="fully booked that night")
    [message] = _notifications(booking)
    assert "couldn't take your booking" in message.text and "fully booked that night" in message.text


def test_the_guests_own_cancellation_is_not_echoed_back(guest_channel, django_capture_on_commit_callbacks):
    booking = _booking(guest_channel)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking=booking, actor_kind=ActorKind.CONSUMER_AGENT, reason="plans changed")
    assert _notifications(booking) == []


def test_a_cancellation_by_the_venue_is_told(guest_channel, django_capture_on_commit_callbacks):
    booking = _booking(guest_channel)
    services.booking_confirm(booking=booking)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking=booking, actor_kind=ActorKind.OWNER, reason="private event")
    assert any("was cancelled" in m.text and "private event" in m.text for m in _notifications(booking))


def test_a_redelivered_task_sends_nothing_twice(guest_channel):
    booking = _booking(guest_channel)
    services.booking_confirm(booking=booking)
    assert booking_status_notify(booking_id=booking.pk, to_status="confirmed") is not None
    assert booking_status_notify(booking_id=booking.pk, to_status="confirmed") is None
    assert len(_notifications(booking)) == 1


def test_a_stale_task_for_a_status_the_booking_left_sends_nothing(guest_channel):
    booking = _booking(guest_channel)
    services.booking_confirm(booking=booking)
    services.booking_cancel(booking=booking, actor_kind=ActorKind.OWNER)
    assert booking_status_notify(booking_id=booking.pk, to_status="confirmed") is None


def test_a_lapsed_counter_offer_is_not_blamed_on_the_venue(guest_channel):
    booking = _booking(guest_channel)
    services.booking_transition(booking=booking, to_status="counter_offered", actor_kind=ActorKind.VENUE_AGENT)
    services.booking_transition(booking=booking, to_status="expired", actor_kind=ActorKind.SYSTEM)
    message = booking_status_notify(booking_id=booking.pk, to_status="expired")
    assert "offered instead" in message.text and "didn't answer" not in message.text


def test_a_notification_key_reaches_a_user_once_and_a_miss_is_remembered(guest_channel, django_user_model):
    from messaging.models import Notification
    from messaging.notifications import notify_user

    first = notify_user(user=guest_channel.user, key="promo:1", text="Hello")
    assert first is not None and first.interaction.text == "Hello"
    assert notify_user(user=guest_channel.user, key="promo:1", text="Hello again") is None
    assert Notification.objects.filter(user=guest_channel.user, key="promo:1").count() == 1
    assert Interaction.objects.filter(channel=guest_channel, direction="outbound").count() == 1

    silent = django_user_model.objects.create_user(username="no-channel", password="x")
    missed = notify_user(user=silent, key="promo:1", text="Hello")
    assert missed is not None and missed.interaction is None
    assert notify_user(user=silent, key="promo:1", text="Hello") is None
