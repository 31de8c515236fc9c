"""The diary: free slots from opening hours, pacing, capacity, lead time, window, blackouts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from model_bakery import baker

from bookings.availability import Unavailable, describe, free_slots, nearest_free_slots, slot_is_free
from bookings.models import VenueBooking
from venues.tests.factories import make_city, make_venue

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

BALI = ZoneInfo("Asia/Makassar")
# A Wednesday, 09:00 in Bali.
NOW = datetime(2026, 3, 11, 9, 0, tzinfo=BALI)
WED = date(2026, 3, 11)
THU = date(2026, 3, 12)
FRI = date(2026, 3, 13)


def every_day(spec: list[list[str]], **overrides) -> dict:
    hours = {day: spec for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    hours.update(overrides)
    return hours


@pytest.fixture
def venue():
    city = make_city(name="Canggu", slug="canggu", timezone="Asia/Makassar")
    return make_venue(
        city=city,
        name="Tanah Ember",
        opening_hours=every_day([["18:00", "22:00"]], mon=[]),
        slot_minutes=30,
        booking_duration_minutes=120,
        covers_per_slot=10,
        capacity=20,
        min_party_size=1,
        max_party_size=8,
        booking_lead_minutes=60,
        booking_window_days=30,
        blackout_dates=[],
    )


def at(day: date, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=BALI)


def book(venue, start: datetime, party: int, *, status: str = "confirmed", minutes: int = 120) -> VenueBooking:
    return baker.make(
        VenueBooking,
        venue=venue,
        status=status,
        party_size=party,
        slot_start=start,
        slot_end=start + timedelta(minutes=minutes),
    )


def hhmm(slots) -> list[str]:
    return [slot.astimezone(BALI).strftime("%H:%M") for slot in slots]


def test_slots_run_from_opening_until_a_booking_still_fits_before_closing(venue):
    result = free_slots(venue=venue, day=THU, party_size=2, now=NOW)
    assert hhmm(result.slots) == ["18:00", "18:30", "19:00", "19:30", "20:00"]
    assert result.reason == ""
    assert all(slot.tzinfo is not None for slot in result.slots)


def test_a_closed_day_has_no_slots_and_says_closed(venue):
    monday = date(2026, 3, 16)
    result = free_slots(venue=venue, day=monday, party_size=2, now=NOW)
    assert result.slots == [] and result.reason == Unavailable.CLOSED
    assert "closed" in describe(result.reason, venue)


def test_party_size_limits(venue):
    assert free_slots(venue=venue, day=THU, party_size=9, now=NOW).reason == Unavailable.PARTY_TOO_LARGE
    venue.min_party_size = 2
    assert free_slots(venue=venue, day=THU, party_size=1, now=NOW).reason == Unavailable.PARTY_TOO_SMALL


def test_blackout_dates_and_booking_window(venue):
    venue.blackout_dates = [FRI]
    assert free_slots(venue=venue, day=FRI, party_size=2, now=NOW).reason == Unavailable.BLACKOUT
    far = WED + timedelta(days=31)
    assert free_slots(venue=venue, day=far, party_size=2, now=NOW).reason == Unavailable.OUTSIDE_WINDOW
    assert free_slots(venue=venue, day=WED + timedelta(days=30), party_size=2, now=NOW).slots
    assert free_slots(venue=venue, day=WED - timedelta(days=3), party_size=2, now=NOW).reason == Unavailable.PAST


def test_lead_time_hides_slots_too_soon(venue):
    late = at(WED, "18:40")  # 60 min lead: 19:40 is the earliest bookable moment
    assert hhmm(free_slots(venue=venue, day=WED, party_size=2, now=late).slots) == ["20:00"]
    result = free_slots(venue=venue, day=WED, party_size=2, now=at(WED, "19:30"))
    assert result.slots == [] and result.reason == Unavailable.LEAD_TIME


def test_pacing_limits_guests_arriving_in_one_slot(venue):
    book(venue, at(THU, "19:00"), 6)
    book(venue, at(THU, "19:10"), 2, status="requested")  # requested bookings hold their table too
    slots = hhmm(free_slots(venue=venue, day=THU, party_size=3, now=NOW).slots)
    assert "19:00" not in slots  # 8 already arriving + 3 > 10 covers per slot
    assert "19:30" in slots and "18:30" in slots
    assert "19:00" in hhmm(free_slots(venue=venue, day=THU, party_size=2, now=NOW).slots)


def test_capacity_counts_guests_seated_at_once(venue):
    book(venue, at(THU, "18:00"), 8)
    book(venue, at(THU, "18:30"), 8)
    # 16 seated from 18:30 to 20:00: a party of 5 cannot sit down before 20:00 frees the first table.
    slots = hhmm(free_slots(venue=venue, day=THU, party_size=5, now=NOW).slots)
    assert slots == ["20:00"]
    # 16 + 4 fits the 20 seats; 18:00 and 18:30 stay shut by pacing (8 arriving + 4 > 10).
    assert hhmm(free_slots(venue=venue, day=THU, party_size=4, now=NOW).slots) == ["19:00", "19:30", "20:00"]


def test_cancelled_and_rejected_bookings_free_their_seats(venue):
    book(venue, at(THU, "19:00"), 8, status="cancelled")
    book(venue, at(THU, "19:00"), 8, status="rejected")
    assert "19:00" in hhmm(free_slots(venue=venue, day=THU, party_size=8, now=NOW).slots)


def test_fully_booked_day_says_so(venue):
    for start in ("18:00", "18:30", "19:00", "19:30", "20:00"):
        book(venue, at(THU, start), 8)
    result = free_slots(venue=venue, day=THU, party_size=4, now=NOW)
    assert result.slots == [] and result.reason == Unavailable.FULLY_BOOKED


def test_nights_past_midnight_belong_to_the_evening_they_start(venue):
    venue.opening_hours = every_day([["21:00", "03:00"]])
    venue.booking_duration_minutes = 120
    slots = hhmm(free_slots(venue=venue, day=THU, party_size=2, now=NOW).slots)
    assert slots[0] == "21:00" and slots[-1] == "01:00" and "00:30" in slots
    # 00:30 on Friday is a slot of Thursday night's opening.
    assert slot_is_free(venue=venue, start=at(FRI, "00:30"), party_size=2, now=NOW).slots
    assert not slot_is_free(venue=venue, start=at(FRI, "04:00"), party_size=2, now=NOW).slots


def test_closing_at_midnight_is_the_end_of_that_day(venue):
    venue.opening_hours = every_day([["17:00", "00:00"]])
    assert hhmm(free_slots(venue=venue, day=THU, party_size=2, now=NOW).slots)[-1] == "22:00"


def test_an_interval_shorter_than_a_booking_still_takes_its_opening_slot(venue):
    venue.opening_hours = every_day([["12:00", "13:00"]])
    assert hhmm(free_slots(venue=venue, day=THU, party_size=2, now=NOW).slots) == ["12:00"]


def test_malformed_hours_are_skipped_not_fatal(venue):
    venue.opening_hours = every_day([["18:00"], ["nonsense", "22:00"], ["19:00", "21:00"]])
    assert hhmm(free_slots(venue=venue, day=THU, party_size=2, now=NOW).slots) == ["19:00"]


def test_slot_is_free_rejects_times_between_slots_and_nearest_offers_alternatives(venue):
    assert not slot_is_free(venue=venue, start=at(THU, "19:15"), party_size=2, now=NOW).slots
    book(venue, at(THU, "19:00"), 10)
    assert slot_is_free(venue=venue, start=at(THU, "19:00"), party_size=2, now=NOW).reason == Unavailable.FULLY_BOOKED
    assert hhmm(nearest_free_slots(venue=venue, start=at(THU, "19:00"), party_size=2, now=NOW)) == [
        "18:30",
        "19:30",
        "18:00",
    ]


def test_free_slots_uses_one_query_for_the_bookings(venue, django_assert_num_queries):
    for start in ("18:00", "19:00", "20:00"):
        book(venue, at(THU, start), 2)
    venue = type(venue).objects.select_related("city").get(pk=venue.pk)
    with django_assert_num_queries(1):
        free_slots(venue=venue, day=THU, party_size=2, now=NOW)


def test_the_venue_timezone_decides_the_day():
    # 18:00 in Bali is 10:00 UTC: a venue in another timezone keeps its own local day.
    city = make_city(name="Lisbon", slug="lisbon", timezone="Europe/Lisbon")
    lisbon = make_venue(
        city=city,
        opening_hours=every_day([["18:00", "20:00"]]),
        booking_duration_minutes=60,
        booking_lead_minutes=0,
        max_party_size=8,
    )
    slots = free_slots(venue=lisbon, day=THU, party_size=2, now=NOW).slots
    assert slots[0] == datetime(2026, 3, 12, 18, 0, tzinfo=ZoneInfo("Europe/Lisbon"))
