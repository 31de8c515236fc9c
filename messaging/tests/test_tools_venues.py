"""Venue tools through the executor: search, details, availability, knowledge questions."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from agnt.llm.types import ToolContext
from bookings.models import VenueBooking
from messaging.tools.registry import execute_tool
from venues.tests.factories import make_city, make_venue

pytestmark = pytest.mark.clock

BALI = ZoneInfo("Asia/Makassar")


def every_day(*intervals):
    return {day: [list(i) for i in intervals] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def venues(db):
    canggu = make_city(name="Canggu", slug="canggu", timezone="Asia/Makassar")
    ubud = make_city(name="Ubud", slug="ubud", timezone="Asia/Makassar")
    return {
        "club": make_venue(
            city=canggu,
            name="La Ola Beach Club",
            slug="la-ola",
            category="beach_club",
            area="Batu Bolong",
            description="Sunset pool club with DJs.",
            tags=["sunset", "pool"],
            price_level=3,
            rating_average="4.50",
            opening_hours=every_day(("10:00", "01:00")),
            max_party_size=20,
            deposit_required=True,
            deposit_amount="500000.00",
            minimum_spend="1000000.00",
            kids_allowed=False,
            dress_code="Beach chic",
            phone="+62 361 000",
            knowledge_text="Day beds need a minimum spend of IDR 1m. No kids after 18:00.",
        ),
        "cafe": make_venue(
            city=ubud,
            name="Green Leaf Café",
            slug="green-leaf",
            category="cafe",
            area="Penestanan",
            description="Plant-based brunch.",
            tags=["vegan-friendly"],
            price_level=2,
            opening_hours=every_day(("07:00", "17:00")),
            max_party_size=6,
        ),
        "twin_a": make_venue(city=canggu, name="Sea Salt Berawa", slug="sea-salt-berawa", area="Berawa"),
        "twin_b": make_venue(city=canggu, name="Sea Salt Pererenan", slug="sea-salt-pererenan", area="Pererenan"),
    }


@pytest.fixture
def ctx(db, django_user_model):
    user = django_user_model.objects.create_user(username="guest", password="x")
    return ToolContext(user=user, platform="telegram", now=timezone.now())


def test_venue_search_returns_cards(venues, ctx):
    result = execute_tool("venue_search", {"query": "beach club", "city": "Canggu"}, ctx)
    assert not result.is_error, result.content
    assert result.content["count"] >= 1
    card = result.content["venues"][0]
    assert card["name"] == "La Ola Beach Club"
    assert set(card) == {
        "id",
        "slug",
        "name",
        "category",
        "city",
        "area",
        "price_level",
        "rating",
        "tags",
        "summary",
        "open_now",
    }
    assert card["rating"] == 4.5 and card["city"] == "Canggu" and isinstance(card["open_now"], bool)


def test_venue_search_open_at_is_read_in_the_users_timezone(venues, ctx):
    result = execute_tool("venue_search", {"open_at": "2026-03-14T08:00", "limit": 10}, ctx)
    assert [v["name"] for v in result.content["venues"]] == ["Green Leaf Café"]


def test_venue_search_reports_bad_filters_and_empty_results(venues, ctx):
    result = execute_tool("venue_search", {"category": "submarine"}, ctx)
    assert result.is_error and "unknown category" in result.content["error"]
    empty = execute_tool("venue_search", {"query": "zzzqqq"}, ctx)
    assert not empty.is_error and empty.content["count"] == 0 and "note" in empty.content


def test_venue_details_gives_policy_hours_and_contact(venues, ctx):
    result = execute_tool("venue_details", {"venue": "la ola"}, ctx)
    assert not result.is_error, result.content
    details = result.content
    assert details["opening_hours"]["mon"] == "10:00–01:00"
    assert details["policy"]["deposit"] == "IDR 500,000" and details["policy"]["kids_allowed"] is False
    assert details["policy"]["minimum_spend"] == "IDR 1,000,000" and details["contact"]["phone"] == "+62 361 000"
    by_id = execute_tool("venue_details", {"venue": str(venues["cafe"].pk)}, ctx)
    assert by_id.content["name"] == "Green Leaf Café"


def test_an_ambiguous_venue_lists_the_candidates(venues, ctx):
    result = execute_tool("venue_details", {"venue": "sea salt"}, ctx)
    assert result.is_error and "several venues" in result.content["error"]
    assert {c["slug"] for c in result.content["candidates"]} == {"sea-salt-berawa", "sea-salt-pererenan"}


def test_an_unknown_venue_offers_close_matches(venues, ctx):
    result = execute_tool("venue_details", {"venue": "Green Leaves Cafe Bali"}, ctx)
    assert result.is_error and "no venue called" in result.content["error"]
    assert "Green Leaf Café" in result.content["close_matches"]


def test_check_availability_lists_slots_and_judges_a_time(venues, ctx):
    day = (timezone.now().astimezone(BALI) + timedelta(days=2)).date()
    result = execute_tool(
        "check_availability", {"venue": "green-leaf", "date": day.isoformat(), "party_size": 2, "time": "09:00"}, ctx
    )
    assert not result.is_error, result.content
    assert result.content["available"] is True and result.content["free_slots"][0] == "07:00"
    taken = execute_tool(
        "check_availability", {"venue": "green-leaf", "date": day.isoformat(), "party_size": 2, "time": "18:00"}, ctx
    )
    assert taken.content["available"] is False and taken.content["alternatives"]
    too_big = execute_tool("check_availability", {"venue": "green-leaf", "date": day.isoformat(), "party_size": 9}, ctx)
    assert too_big.content["available"] is False and "up to 6" in too_big.content["reason"]


def test_check_availability_after_midnight_means_that_night(venues, ctx):
    day = (timezone.now().astimezone(BALI) + timedelta(days=2)).date()
    result = execute_tool(
        "check_availability", {"venue": "la-ola", "date": day.isoformat(), "party_size": 2, "time": "00:30"}, ctx
    )
    # The club opens 10:00–01:00; a 2 h booking must start by 23:00, so 00:30 is not a slot — but the
    # alternatives are from that same evening, not from the morning.
    assert result.content["available"] is False
    assert result.content["requested_time"] == "00:30"
    assert "23:00" in result.content["alternatives"]


def test_check_availability_counts_existing_bookings(venues, ctx):
    venue = venues["cafe"]
    venue.covers_per_slot = 4
    venue.save()
    day = (timezone.now().astimezone(BALI) + timedelta(days=2)).date()
    start = timezone.datetime(day.year, day.month, day.day, 9, 0, tzinfo=BALI)
    VenueBooking.objects.create(
        venue=venue,
        party_size=3,
        slot_start=start,
        slot_end=start + timedelta(hours=2),
        status="confirmed",
        external_ref="AG-TEST22",
    )
    result = execute_tool(
        "check_availability", {"venue": "green-leaf", "date": day.isoformat(), "party_size": 2, "time": "09:00"}, ctx
    )
    assert result.content["available"] is False and "09:30" in result.content["alternatives"]


def test_ask_venue_answers_from_the_venue_profile_with_a_citation(venues, ctx):
    result = execute_tool("ask_venue", {"question": "are kids allowed in the evening?", "venue": "La Ola"}, ctx)
    assert not result.is_error, result.content
    assert result.content["found"] is True
    passage = result.content["passages"][0]
    assert "No kids after 18:00" in passage["text"] and passage["citation"]["venue"] == "La Ola Beach Club"


def test_ask_venue_says_when_nothing_is_known(venues, ctx):
    result = execute_tool("ask_venue", {"question": "do you have a helipad?", "venue": "green-leaf"}, ctx)
    assert not result.is_error and result.content["found"] is False and result.content["passages"] == []


def test_venue_details_hand_out_the_website_as_a_tracked_link(db, client, django_user_model):
    from agnt.llm.types import ToolContext
    from billing.models import AffiliateClick
    from messaging.tools.registry import execute_tool
    from venues.tests.factories import make_venue

    venue = make_venue(name="Kubu Tracked", slug="kubu-tracked", website="https://kubu.example/menu")
    guest = django_user_model.objects.create_user(username="tracked-guest", password="x")
    result = execute_tool("venue_details", {"venue": "kubu-tracked"}, ToolContext(user=guest, platform="telegram"))
    link = result.content["contact"]["website"]
    assert "/go/" in link and "kubu.example" not in link
    landing = client.get(link[link.index("/go/") :], HTTP_USER_AGENT="Mozilla/5.0 Safari/604.1")
    assert landing.status_code == 302 and landing["Location"].startswith("https://kubu.example/menu")
    click = AffiliateClick.objects.get()
    assert (click.venue_id, click.user_id, click.partner) == (venue.pk, guest.pk, "other")
