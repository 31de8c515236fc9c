"""Reading one booking message: who comes (numbers, named people, children), when (relative
days) and which venue (several named, the specific one wins)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from venues.textparse import find_kids, find_venue, normalize, parse_when, party, venue_aliases

BALI = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=BALI)  # a Tuesday morning


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("for me and my gf", (2, 0)),
        ("my wife and i", (2, 0)),
        ("with my mum", (2, 0)),
        ("me and 2 friends", (3, 0)),
        ("me my husband and our 2 kids", (4, 2)),
        ("me and my wife, plus 2 kids", (4, 2)),
        ("me, my husband, my parents and 3 kids", (7, 3)),
        ("for 4, me my wife and 2 kids", (4, 2)),
        ("table for 4 with 2 kids", (4, 2)),
        ("2 adults 2 kids (6 and 9)", (4, 2)),
        ("just me", (1, 0)),
        ("table for one", (1, 0)),
        ("just me and my wife", (2, 0)),
        ("me and my kids", (None, 0)),  # how many kids? asked, not guessed
        ("book me a table", (None, 0)),
        ("dinner with friends", (None, 0)),
    ],
)
def test_party_phrases(text, expected):
    assert party(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 adults and a baby", (4, 1)),
        ("2 grown ups + toddler", (3, 1)),
        ("2 adults, 3 little ones", (5, 3)),
        ("a party of 5, 2 of them are kids", (5, 2)),
        ("the five of us, three are children", (5, 3)),
        ("family of 5, our kids are 4, 7 and 11", (5, 3)),
        ("me and my 2 sons (5 and 15)", (3, 1)),  # a son of 15 books as an adult
        ("my kids are 6 and 9", (None, 0)),  # no size said: not a booking party
        ("for 2, 2 are kids", (2, 0)),  # a party needs a grown-up
    ],
)
def test_children_said_apart_from_the_party_size_count_among_it(text, expected):
    assert party(text) == expected


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("this morning at 7 for 2", time(7, 0)),
        ("friday evening at 9", time(21, 0)),
        ("tomorrow afternoon at 2", time(14, 0)),
        ("sunday night at 8", time(20, 0)),
        ("good morning! friday at 8 please", time(20, 0)),  # a greeting binds nothing
    ],
)
def test_a_part_of_the_day_binds_a_bare_hour(text, at):
    assert parse_when(text, NOW, prefer_evening=True)[0].at == at


def test_this_morning_is_today():
    assert parse_when("this morning at 8", NOW, prefer_evening=True)[0].day == date(2026, 3, 10)


def test_a_past_day_in_a_side_remark_does_not_override_the_booking_day():
    when, _ = parse_when("we landed yesterday, want dinner on friday at 8", NOW, prefer_evening=True)
    assert (when.day, when.at) == (date(2026, 3, 13), time(20, 0))
    assert parse_when("was it open yesterday", NOW, prefer_evening=True)[0].day == date(2026, 3, 9)


def test_in_some_days_is_a_day_with_its_own_time():
    when, rest = parse_when("book saffron jetty in 3 days at 12:30 for four of us", NOW, prefer_evening=True)
    assert (when.day, when.at, when.moment) == (date(2026, 3, 13), time(12, 30), None)
    assert party(rest) == (4, 0)


@pytest.mark.parametrize("said", ["day after tomorrow", "day after tmrw", "the day after tmr"])
def test_the_day_after_tomorrow_however_written(said):
    assert parse_when(f"{said}, lunch at 12pm", NOW, prefer_evening=True)[0].day == date(2026, 3, 12)


@pytest.mark.django_db
def test_a_venue_named_in_full_wins_over_another_venues_short_name():
    from venues.tests.factories import make_venue

    make_venue(name="Sunrise Roastery", slug="sunrise-roastery-sanur")
    make_venue(name="Rumah Laut Seafood", slug="rumah-laut-seafood-sanur")
    refs = venue_aliases()
    assert find_venue("sunrise breakfast at rumah laut tomorrow 7am for 2", refs)[0].slug == "rumah-laut-seafood-sanur"
    assert find_venue("coffee at sunrise tomorrow", refs)[0].slug == "sunrise-roastery-sanur"


@pytest.mark.parametrize(
    "text, rest",
    [
        ("kid-friendly cafe in uluwatu", "cafe in uluwatu"),
        ("family friendly brunch", "brunch"),
        ("pizza place we can go to with our 3 kids", "pizza place we can go to"),
        ("somewhere good for toddlers", "somewhere"),
    ],
)
def test_a_search_for_children_is_read_as_the_kids_filter(text, rest):
    assert find_kids(text) == (True, rest)


def test_a_search_without_children_has_no_kids_filter():
    assert find_kids("adults only rooftop bar") == (False, "adults only rooftop bar")


@pytest.mark.parametrize(
    ("text", "size", "children"),
    [
        ("tonight 8pm, 10 guys, stag do", 10, 0),
        ("table for tonight, 6 ladies", 6, 0),
        ("saturday 10am, 2 adults + our 4 yo", 3, 1),
        ("2 adults and our 4 year old", 3, 1),
    ],
)
def test_a_group_noun_or_a_child_given_by_age_counts_in_the_party(text, size, children):
    assert party(normalize(text)) == (size, children)
