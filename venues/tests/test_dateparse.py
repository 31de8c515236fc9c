"""Dates the hand-written rules miss, read with dateparser, against an injected now."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from venues.dateparse import find_date
from venues.textparse import parse_when

BALI = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=BALI)  # a Tuesday morning


def test_relative_weeks_in_english():
    when, rest = parse_when("book luma in 2 weeks for 2", NOW, prefer_evening=True)
    assert when.day == date(2026, 3, 24)
    assert "weeks" not in rest


def test_a_week_from_now():
    assert parse_when("a week from now", NOW, prefer_evening=True)[0].day == date(2026, 3, 17)


def test_russian_month_name_with_a_time():
    when, _ = parse_when("", NOW, prefer_evening=True, language="ru", original="столик 15 апреля в 19:00")
    assert (when.day, when.at, when.soft) == (date(2026, 4, 15), time(19, 0), False)


def test_german_and_indonesian_relative_days():
    assert parse_when("", NOW, prefer_evening=True, language="de", original="übermorgen")[0].day == date(2026, 3, 12)
    assert parse_when("", NOW, prefer_evening=True, language="id", original="tanggal 15 april")[0].day == date(
        2026, 4, 15
    )


def test_in_two_hours_in_russian_is_a_moment():
    when, _ = parse_when("", NOW, prefer_evening=False, language="ru", original="через 2 часа")
    assert when.moment == datetime(2026, 3, 10, 12, 0, tzinfo=BALI)


def test_numbers_and_lone_month_names_are_not_dates():
    assert find_date("cheap cafe in canggu for 2", NOW) is None
    assert find_date("may i book a table", NOW) is None
    assert find_date("jam 7", NOW, "id") is None


def test_nonsense_far_future_is_dropped():
    assert find_date("am 15. April um 19 Uhr", NOW, "de") is None or find_date(
        "am 15. April um 19 Uhr", NOW, "de"
    ).day == date(2026, 4, 15)
