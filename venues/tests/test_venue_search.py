"""venue_search: filters, full-text ranking in Postgres, open_at across midnight, query count."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from venues.selectors import VenueSearchError, venue_category_from_text, venue_is_open_at, venue_search
from venues.tests.factories import make_city, make_venue

pytestmark = pytest.mark.django_db
BALI = ZoneInfo("Asia/Makassar")


def hours(spec, **days):
    base = {day: spec for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    base.update(days)
    return base


@pytest.fixture
def bali():
    canggu = make_city(name="Canggu", slug="canggu", timezone="Asia/Makassar")
    ubud = make_city(name="Ubud", slug="ubud", timezone="Asia/Makassar")
    venues = {
        "sushi": make_venue(
            city=canggu,
            name="Koji Sushi Bar",
            slug="koji-sushi",
            category="restaurant",
            area="Berawa",
            description="Omakase counter and hand rolls.",
            tags=["date-night", "sake"],
            cuisines=["japanese"],
            price_level=3,
            priority_rank=10,
            opening_hours=hours([["17:00", "23:00"]]),
        ),
        "cheap_sushi": make_venue(
            city=canggu,
            name="Warung Maki",
            slug="warung-maki",
            category="restaurant",
            area="Batu Bolong",
            description="Budget sushi rolls and ramen.",
            tags=["budget", "quick-bite"],
            cuisines=["japanese"],
            price_level=1,
            priority_rank=5,
            opening_hours=hours([["11:00", "22:00"]]),
        ),
        "vegan_cafe": make_venue(
            city=ubud,
            name="Green Leaf Café",
            slug="green-leaf",
            category="cafe",
            area="Penestanan",
            description="Plant-based brunch with a jungle view.",
            tags=["vegan-friendly", "brunch"],
            cuisines=["vegan"],
            price_level=2,
            opening_hours=hours([["07:00", "17:00"]]),
            max_party_size=6,
        ),
        "beach_club": make_venue(
            city=canggu,
            name="La Ola Beach Club",
            slug="la-ola",
            category="beach_club",
            area="Batu Bolong",
            description="Sunset pool club with DJs.",
            tags=["sunset", "pool", "live-dj"],
            price_level=3,
            opening_hours=hours([["10:00", "01:00"]], mon=[["10:00", "00:00"]]),
            max_party_size=20,
        ),
        "nightclub": make_venue(
            city=canggu,
            name="Deep Night",
            slug="deep-night",
            category="nightclub",
            area="Berawa",
            description="Techno until late.",
            tags=["techno"],
            opening_hours=hours([["22:00", "04:00"]], mon=[], tue=[]),
        ),
    }
    make_venue(city=canggu, name="Draft Sushi Place", slug="draft-sushi", status="draft", description="sushi")
    make_venue(city=canggu, name="Closed Sushi", slug="closed-sushi", status="closed", description="sushi")
    return venues


def names(venues):
    return [v.name for v in venues]


def test_full_text_finds_the_word_in_name_description_or_cuisine_and_hides_unlisted_venues(bali):
    found = names(venue_search(query="sushi"))
    assert set(found) == {"Koji Sushi Bar", "Warung Maki"}
    # The name hit (weight A) outranks the description hit (weight C) despite lower priority elsewhere.
    assert found[0] == "Koji Sushi Bar"


def test_ranking_prefers_venues_matching_more_of_the_query(bali):
    found = names(venue_search(query="budget sushi ramen"))
    assert found[0] == "Warung Maki"


def test_prefix_and_tag_words_match(bali):
    assert names(venue_search(query="sush")) and names(venue_search(query="vegan"))[0] == "Green Leaf Café"
    assert names(venue_search(query="sunset dj")) == ["La Ola Beach Club"]


def test_city_area_and_category_filters_are_case_insensitive(bali):
    assert set(names(venue_search(city="UBUD"))) == {"Green Leaf Café"}
    assert set(names(venue_search(city="canggu", area="batu bolong"))) == {"Warung Maki", "La Ola Beach Club"}
    assert set(names(venue_search(area="batu-bolong"))) == {"Warung Maki", "La Ola Beach Club"}
    assert names(venue_search(category="Beach club")) == ["La Ola Beach Club"]
    assert names(venue_search(category="café")) == ["Green Leaf Café"]
    # An area given as the city still works: people say "in Berawa".
    assert set(names(venue_search(city="Berawa"))) == {"Koji Sushi Bar", "Deep Night"}


def test_unknown_category_is_an_error_naming_the_choices():
    with pytest.raises(VenueSearchError, match="beach_club"):
        venue_category_from_text("submarine")


def test_tags_price_and_party_size_filters(bali):
    assert names(venue_search(tags=["vegan"])) == ["Green Leaf Café"]
    assert names(venue_search(tags=["Live DJ"])) == ["La Ola Beach Club"]
    assert set(names(venue_search(query="sushi", price_level_max=2))) == {"Warung Maki"}
    assert "Green Leaf Café" not in names(venue_search(party_size=8, limit=10))
    assert "La Ola Beach Club" in names(venue_search(party_size=15, limit=10))


def test_the_kids_filter_keeps_only_venues_that_welcome_children(bali):
    from venues.models import Venue

    Venue.objects.filter(slug="koji-sushi").update(kids_allowed=False)
    Venue.objects.filter(slug="warung-maki").update(kids_allowed=True)
    assert names(venue_search(query="sushi", kids=True)) == ["Warung Maki"]
    assert set(names(venue_search(query="sushi"))) == {"Koji Sushi Bar", "Warung Maki"}


def test_open_at_uses_the_venue_timezone_and_nights_past_midnight(bali):
    # Saturday 00:30 in Bali: the beach club (Fri 10:00–01:00) and the club (Fri 22:00–04:00) are open.
    saturday_small_hours = datetime(2026, 3, 14, 0, 30, tzinfo=BALI)
    assert set(names(venue_search(open_at=saturday_small_hours, limit=10))) == {"La Ola Beach Club", "Deep Night"}
    # Same moment expressed in UTC gives the same answer.
    assert set(names(venue_search(open_at=saturday_small_hours.astimezone(ZoneInfo("UTC")), limit=10))) == {
        "La Ola Beach Club",
        "Deep Night",
    }
    # Tuesday 00:30: Monday closed at midnight and the club is shut Monday night.
    tuesday_small_hours = datetime(2026, 3, 17, 0, 30, tzinfo=BALI)
    assert names(venue_search(open_at=tuesday_small_hours, limit=10)) == []
    wednesday_morning = datetime(2026, 3, 18, 8, 0, tzinfo=BALI)
    assert names(venue_search(open_at=wednesday_morning, limit=10)) == ["Green Leaf Café"]


def test_is_open_at_edges(bali):
    club = bali["nightclub"]
    assert venue_is_open_at(club, datetime(2026, 3, 14, 3, 59, tzinfo=BALI))
    assert not venue_is_open_at(club, datetime(2026, 3, 14, 4, 0, tzinfo=BALI))
    assert venue_is_open_at(club, datetime(2026, 3, 13, 22, 0, tzinfo=BALI))


def test_limit_is_capped_at_ten():
    city = make_city(name="Sanur", slug="sanur")
    for i in range(14):
        make_venue(city=city, name=f"Cafe {i}", slug=f"cafe-{i}", category="cafe")
    assert len(venue_search(city="sanur", limit=50)) == 10
    assert len(venue_search(city="sanur")) == 5


def test_search_is_one_query_with_the_city_joined(bali, django_assert_num_queries):
    with django_assert_num_queries(1):
        results = venue_search(query="sushi", city="canggu", open_at=datetime(2026, 3, 14, 19, 0, tzinfo=BALI))
        assert [v.city.name for v in results] == ["Canggu", "Canggu"]


def test_the_search_document_has_a_gin_index_postgres_can_use(bali):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        from django.contrib.postgres.search import SearchQuery

        from venues.models import Venue
        from venues.selectors import SearchDocument

        qs = Venue.objects.annotate(document=SearchDocument()).filter(
            document=SearchQuery("sushi:*", config="english", search_type="raw")
        )
        sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "venue_search_document_gin" in plan


ROW_FIELDS = ("slug", "name", "city__slug", "rating_average", "tags", "cuisines", "min_party_size", "max_party_size")
FILTER_SETS = [
    {},
    {"city": "canggu"},
    {"city": "Canggu", "category": "restaurant"},
    {"area": "batu-bolong"},
    {"city": "canggu", "tags": ["sun"]},
    {"tags": ["vegan", "brunch"]},
    {"price_level_max": 2, "party_size": 4},
    {"query": "sushi ramen", "city": "canggu"},
    {"query": "budget sushi"},
    {"query": "50% off_the menu", "area": "50%_"},  # LIKE wildcards in input are matched literally
]


@pytest.mark.parametrize("filters", FILTER_SETS, ids=lambda f: ",".join(f) or "none")
def test_search_rows_are_the_querysets_values_page_for_page(bali, filters):
    from venues.selectors import venue_search_queryset, venue_search_rows

    expected = list(venue_search_queryset(**filters).values(*ROW_FIELDS))
    for offset, limit in ((0, 100), (0, 2), (1, 2), (3, 5)):
        rows = venue_search_rows(fields=ROW_FIELDS, offset=offset, limit=limit, **filters)
        again = venue_search_rows(fields=ROW_FIELDS, offset=offset, limit=limit, **filters)  # compiled SQL reused
        assert rows == again == expected[offset : offset + limit]


def test_search_rows_keep_the_sql_not_the_rows_so_changes_show_at_once(bali):
    from venues.selectors import venue_search_rows

    def slugs():
        return [row["slug"] for row in venue_search_rows(fields=("slug",), offset=0, limit=10, city="ubud")]

    assert slugs() == ["green-leaf"]
    make_venue(city=bali["vegan_cafe"].city, name="Another Ubud Cafe", slug="another-ubud", priority_rank=99)
    bali["vegan_cafe"].status = "closed"
    bali["vegan_cafe"].save(update_fields=["status"])
    assert slugs() == ["another-ubud"]


def test_search_rows_are_one_query_and_refuse_an_unknown_category(bali, django_assert_num_queries):
    from venues.selectors import venue_search_rows

    with django_assert_num_queries(1):
        venue_search_rows(fields=ROW_FIELDS, offset=0, limit=10, query="sushi", city="canggu")
    with pytest.raises(VenueSearchError):
        venue_search_rows(fields=ROW_FIELDS, offset=0, limit=10, category="spaceship")
