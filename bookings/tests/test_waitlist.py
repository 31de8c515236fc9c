"""The waitlist: a guest asks for a full slot; when a matching booking is cancelled the
first waiting guests are told a table opened up — once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from model_bakery import baker

from bookings import services, tasks
from bookings.models import VenueBooking, WaitlistEntry
from messaging.models import Interaction
from messaging.services import user_channel_bind
from venues.tests.factories import make_city, make_venue

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

BALI = ZoneInfo("Asia/Makassar")


def _guest(external_id: str):
    channel, _ = user_channel_bind(platform="telegram", external_id=external_id, display_name=f"Guest {external_id}")
    channel.last_inbound_at = timezone.now()
    channel.save(update_fields=["last_inbound_at"])
    return channel.user


@pytest.fixture
def venue():
    hours = {day: [["10:00", "23:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    return make_venue(
        city=make_city(timezone="Asia/Makassar"),
        name="Tanah Ember",
        opening_hours=hours,
        slot_minutes=30,
        booking_duration_minutes=120,
        covers_per_slot=4,
        capacity=4,
        min_party_size=1,
        max_party_size=4,
        booking_lead_minutes=60,
        booking_window_days=30,
        blackout_dates=[],
    )


@pytest.fixture
def seven_pm_tomorrow():
    tomorrow = timezone.now().astimezone(BALI).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 19, 0, tzinfo=BALI)


def _full_booking(venue, start) -> VenueBooking:
    return baker.make(
        VenueBooking,
        venue=venue,
        status="confirmed",
        party_size=4,
        slot_start=start,
        slot_end=start + timedelta(hours=2),
        external_ref="AG-WAIT22",
    )


def _told(user) -> list[Interaction]:
    return list(Interaction.objects.filter(channel__user=user, direction="outbound"))


def test_the_first_waiting_guests_are_told_once_when_a_matching_booking_is_cancelled(venue, seven_pm_tomorrow):
    full = _full_booking(venue, seven_pm_tomorrow)
    first, second, third, fourth = (_guest(str(8000 + i)) for i in range(4))
    entries = [
        services.waitlist_join(user=user, venue=venue, party_size=2, slot_start=seven_pm_tomorrow)
        for user in (first, second, third, fourth)
    ]

    assert tasks.waitlist_promote() == 0  # nothing cancelled yet
    services.booking_cancel(booking=full, reason="plans changed")
    assert tasks.waitlist_promote() == 3
    assert tasks.waitlist_promote() == 0

    statuses = [WaitlistEntry.objects.get(pk=e.pk).status for e in entries]
    assert statuses == ["notified", "notified", "notified", "waiting"]
    [message] = _told(first)
    assert "table for 2 guests just opened up at Tanah Ember" in message.text and "19:00" in message.text
    assert _told(fourth) == []
    assert WaitlistEntry.objects.get(pk=entries[0].pk).offered_booking_id == full.pk


def test_no_one_is_told_when_the_freed_table_was_taken_again_or_is_far_from_their_time(venue, seven_pm_tomorrow):
    full = _full_booking(venue, seven_pm_tomorrow)
    guest = _guest("8101")
    services.waitlist_join(user=guest, venue=venue, party_size=2, slot_start=seven_pm_tomorrow)
    one_pm = seven_pm_tomorrow - timedelta(hours=6)
    baker.make(
        VenueBooking,
        venue=venue,
        status="confirmed",
        party_size=4,
        slot_start=one_pm,
        slot_end=one_pm + timedelta(hours=2),
    )
    far = _guest("8102")
    services.waitlist_join(user=far, venue=venue, party_size=2, slot_start=one_pm, flexibility_minutes=30)
    services.booking_cancel(booking=full)
    baker.make(
        VenueBooking,
        venue=venue,
        status="confirmed",
        party_size=4,
        slot_start=seven_pm_tomorrow,
        slot_end=seven_pm_tomorrow + timedelta(hours=2),
    )

    assert services.waitlist_promote_due() == 0
    assert _told(guest) == [] and _told(far) == []


def test_joining_twice_keeps_one_place_and_the_database_refuses_a_duplicate(venue, seven_pm_tomorrow):
    _full_booking(venue, seven_pm_tomorrow)
    guest = _guest("8201")
    entry = services.waitlist_join(user=guest, venue=venue, party_size=2, slot_start=seven_pm_tomorrow)
    assert services.waitlist_join(user=guest, venue=venue, party_size=2, slot_start=seven_pm_tomorrow) == entry
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitlistEntry.objects.create(user=guest, venue=venue, party_size=3, slot_start=seven_pm_tomorrow)


def test_it_refuses_a_free_time_a_party_the_venue_never_takes_and_a_time_in_the_past(venue, seven_pm_tomorrow):
    guest = _guest("8301")
    with pytest.raises(services.WaitlistError, match="still free"):
        services.waitlist_join(user=guest, venue=venue, party_size=2, slot_start=seven_pm_tomorrow)
    with pytest.raises(services.WaitlistError, match="parties of"):
        services.waitlist_join(user=guest, venue=venue, party_size=9, slot_start=seven_pm_tomorrow)
    with pytest.raises(services.WaitlistError, match="passed"):
        services.waitlist_join(user=guest, venue=venue, party_size=2, slot_start=timezone.now() - timedelta(hours=1))


def test_entries_for_a_time_that_passed_expire_and_left_entries_cannot_come_back(venue, seven_pm_tomorrow):
    _full_booking(venue, seven_pm_tomorrow)
    guest = _guest("8401")
    entry = services.waitlist_join(user=guest, venue=venue, party_size=2, slot_start=seven_pm_tomorrow)
    services.waitlist_expire_past(now=seven_pm_tomorrow + timedelta(minutes=1))
    entry.refresh_from_db()
    assert entry.status == "expired"
    with pytest.raises(services.WaitlistError, match="cannot move"):
        services.waitlist_leave(entry=entry, user=guest)
    # The database's trigger holds the same rule.
    with pytest.raises(Exception, match="transition|not allowed|status"), transaction.atomic():
        WaitlistEntry.objects.filter(pk=entry.pk).update(status="waiting")


def test_replying_waitlist_after_a_refusal_puts_the_guest_on_the_waitlist_for_that_time(venue):
    from messaging.booking_replies import booking_reply_handle

    guest = _guest("4242")
    slot = timezone.now().astimezone(BALI).replace(hour=20, minute=0, second=0, microsecond=0) + timedelta(days=2)
    full = services.booking_create(venue=venue, user=_guest("4141"), party_size=4, slot_start=slot, source="telegram")
    services.booking_confirm(booking=full)  # the venue's four seats are taken
    booking = services.booking_create(venue=venue, user=guest, party_size=2, slot_start=slot, source="telegram")
    services.booking_reject(booking=booking, reason="fully booked")

    answer = booking_reply_handle(user=guest, data="waitlist")

    assert answer.startswith("You're on the waitlist for Tanah Ember")
    entry = WaitlistEntry.objects.get(user=guest)
    assert (entry.venue, entry.party_size, entry.slot_start) == (venue, 2, slot)
    assert booking_reply_handle(user=guest, data="waitlist").startswith(
        "You're on the waitlist"
    )  # asking again keeps one place
    assert WaitlistEntry.objects.filter(user=guest).count() == 1
    assert booking_reply_handle(user=_guest("4343"), data="waitlist") is None  # nothing refused: the concierge answers


def test_every_waitlist_move_writes_an_event_row_and_the_offer_points_at_its_message(venue, seven_pm_tomorrow):
    full = _full_booking(venue, seven_pm_tomorrow)
    waiting = _guest("8101")
    entry = services.waitlist_join(user=waiting, venue=venue, party_size=2, slot_start=seven_pm_tomorrow)
    services.booking_cancel(booking=full, reason="plans changed")
    tasks.waitlist_promote()
    entry.refresh_from_db()
    [event] = entry.events.all()
    assert (event.from_status, event.to_status) == ("waiting", "notified")
    assert event.data == {"offered_booking": str(full.pk)}
    [message] = _told(waiting)
    assert entry.interaction_id == message.pk
