"""The diary decision's guest policies (kids, minimum age, dress code) and its reasons:
every refusal names the rule that actually applied."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bookings.availability import Unavailable, slot_is_free
from bookings.decision import Outcome, VenuePolicy, booking_decide, booking_notes, diary_decide
from bookings.models import VenueBooking
from bookings.tests.test_availability import at, book, every_day
from venues.tests.factories import make_city, make_venue

pytestmark = pytest.mark.django_db

BALI = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 3, 11, 9, 0, tzinfo=BALI)  # a Wednesday morning
WED = date(2026, 3, 11)
THU = date(2026, 3, 12)
MON = date(2026, 3, 16)


@pytest.fixture
def club():
    city = make_city(name="Canggu", slug="canggu", timezone="Asia/Makassar")
    return make_venue(
        city=city,
        name="Lava Sands",
        opening_hours=every_day([["18:00", "22:00"]], mon=[]),  # seatings 18:00 … 20:00
        slot_minutes=30,
        booking_duration_minutes=120,
        covers_per_slot=10,
        capacity=20,
        min_party_size=1,
        max_party_size=8,
        booking_lead_minutes=60,
        booking_window_days=30,
        blackout_dates=[],
        kids_allowed=True,
        dress_code="",
    )


def request(venue, start: datetime, party: int = 2, children: int = 0) -> VenueBooking:
    return VenueBooking(
        venue=venue, party_size=party, children=children, slot_start=start, slot_end=start + timedelta(hours=2)
    )


def test_children_at_an_adults_only_venue_are_refused_by_the_kids_rule(club):
    club.kids_allowed = False
    decision = booking_decide(
        booking=request(club, at(THU, "19:00"), 4, children=2), venue=club, policy=VenuePolicy(), now=NOW
    )
    assert decision.outcome == Outcome.REJECT
    assert decision.reason_code == Unavailable.KIDS_NOT_ALLOWED
    assert "adults only" in decision.reason


def test_adults_only_venue_accepts_a_party_without_children(club):
    club.kids_allowed = False
    decision = booking_decide(booking=request(club, at(THU, "19:00"), 4), venue=club, policy=VenuePolicy(), now=NOW)
    assert decision.outcome == Outcome.ACCEPT


def test_a_minimum_age_of_21_refuses_children_and_names_the_age(club):
    club.min_guest_age = 21
    decision = diary_decide(booking=request(club, at(THU, "19:00"), 3, children=1), venue=club, now=NOW)
    assert (decision.outcome, decision.reason_code) == (Outcome.REJECT, Unavailable.MINIMUM_AGE)
    assert "21 and over" in decision.reason


def test_a_minimum_age_under_18_is_said_in_the_confirmation_not_refused(club):
    club.min_guest_age = 12
    decision = diary_decide(booking=request(club, at(THU, "19:00"), 3, children=1), venue=club, now=NOW)
    assert decision.outcome == Outcome.ACCEPT
    assert booking_notes(venue=club, children=1) == ["Children must be 12 or older"]


def test_the_dress_code_is_informational(club):
    club.dress_code = "No flip-flops"
    decision = diary_decide(booking=request(club, at(THU, "19:00")), venue=club, now=NOW)
    assert decision.outcome == Outcome.ACCEPT
    assert booking_notes(venue=club) == ["Dress code: No flip-flops"]


def test_a_time_after_the_last_seating_says_so_with_the_last_seating(club):
    decision = diary_decide(booking=request(club, at(THU, "21:30")), venue=club, now=NOW)
    assert decision.reason_code == Unavailable.AFTER_LAST_SEATING
    assert "after the last seating (20:00)" in decision.reason
    assert "fully booked" not in decision.reason
    assert decision.outcome == Outcome.COUNTER_OFFER  # the same evening still has seatings
    assert at(THU, "20:00") in decision.slots


def test_a_time_after_closing_names_the_closing_time_and_the_last_seating(club):
    decision = diary_decide(booking=request(club, at(THU, "22:30")), venue=club, now=NOW)
    assert decision.reason_code == Unavailable.AFTER_CLOSING
    assert decision.reason.endswith(": Lava Sands closes at 22:00 that day (last seating 20:00)")
    assert slot_is_free(venue=club, start=at(THU, "22:00"), party_size=2, now=NOW).reason == Unavailable.AFTER_CLOSING
    assert slot_is_free(venue=club, start=at(THU, "21:59"), party_size=2, now=NOW).reason == (
        Unavailable.AFTER_LAST_SEATING
    )


def test_a_fully_booked_evening_is_still_refused_as_fully_booked(club):
    club.capacity = 4
    club.save()
    book(club, at(THU, "18:00"), 4)
    book(club, at(THU, "20:00"), 4)
    decision = diary_decide(booking=request(club, at(THU, "19:00"), 2), venue=club, now=NOW)
    assert (decision.outcome, decision.reason_code) == (Outcome.REJECT, Unavailable.FULLY_BOOKED)
    assert "fully booked" in decision.reason


def test_a_date_in_the_past_is_refused_as_passed_not_as_notice(club):
    decision = diary_decide(booking=request(club, at(WED - timedelta(days=2), "19:00")), venue=club, now=NOW)
    assert (decision.outcome, decision.reason_code) == (Outcome.REJECT, Unavailable.PAST)
    assert decision.reason == "that date has passed"


def test_an_earlier_time_today_is_refused_as_passed(club):
    late = datetime(2026, 3, 11, 19, 45, tzinfo=BALI)
    decision = diary_decide(booking=request(club, at(WED, "19:00")), venue=club, now=late)
    assert decision.reason_code == Unavailable.TIME_PASSED


def test_a_closed_day_is_refused_as_closed(club):
    decision = diary_decide(booking=request(club, at(MON, "19:00")), venue=club, now=NOW)
    assert (decision.outcome, decision.reason_code) == (Outcome.REJECT, Unavailable.CLOSED)
    assert "closed" in decision.reason


def test_the_concierge_pre_check_names_the_last_seating_too(club):
    result = slot_is_free(venue=club, start=at(THU, "21:30"), party_size=2, now=NOW)
    assert result.reason == Unavailable.AFTER_LAST_SEATING
    assert slot_is_free(venue=club, start=at(THU, "17:00"), party_size=2, now=NOW).reason == (
        Unavailable.BEFORE_FIRST_SEATING
    )
    assert slot_is_free(venue=club, start=at(THU, "19:10"), party_size=2, now=NOW).reason == Unavailable.NOT_A_SEATING


def test_a_booking_written_without_children_counts_none_at_the_database():
    """Workers still running code from before the column existed (a rolling deploy) insert
    bookings without it: the database fills in no children rather than failing NOT NULL."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_default, is_nullable FROM information_schema.columns WHERE table_name = %s AND column_name = 'children'",
            [VenueBooking._meta.db_table],
        )
        default, nullable = cursor.fetchone()
    assert (default, nullable) == ("0", "NO")
