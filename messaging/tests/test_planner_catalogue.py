"""The offline planner's venue catalogue (aliases and place names): read once per planner
call, from memory for every parser look-up, and rebuilt when a venue changes."""

import pytest
from model_bakery import baker

from messaging.concierge import offline
from messaging.tests.test_llm_offline import bali  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_parser_look_ups_after_the_refresh_cost_no_query(bali, django_assert_num_queries):  # noqa: F811
    offline.refresh_catalogue()
    with django_assert_num_queries(0):
        for _ in range(5):
            assert offline._aliases() and offline._places()
            assert offline.fuzzy_place("semniyak").name == "Seminyak"


def test_a_venue_added_between_two_messages_is_known_to_the_next(bali):  # noqa: F811
    offline.refresh_catalogue()
    assert not any(ref.alias == "kebun malam" for ref in offline._aliases())
    baker.make("venues.Venue", name="Kebun Malam", slug="kebun-malam-ubud", city=bali["ubud"], status="listed")
    offline.refresh_catalogue()
    assert any(ref.slug == "kebun-malam-ubud" for ref in offline._aliases())


def test_an_unchanged_catalogue_is_checked_with_one_statement(bali, django_assert_num_queries):  # noqa: F811
    offline.refresh_catalogue()
    with django_assert_num_queries(1):
        offline.refresh_catalogue()


def test_a_venue_renamed_within_one_clock_tick_is_seen_in_the_same_process(bali):  # noqa: F811
    venue = baker.make("venues.Venue", name="Kebun Malam", slug="kebun-malam-ubud", city=bali["ubud"], status="listed")
    offline.refresh_catalogue()
    venue.name = "Kebun Pagi"
    venue.save()  # the save signal drops this process's copy, whatever the clock says
    offline.refresh_catalogue()
    assert any(ref.alias == "kebun pagi" for ref in offline._aliases())


def test_a_new_venue_is_known_by_its_first_word_on_the_next_message(bali):  # noqa: F811
    offline.refresh_catalogue()
    assert not any(ref.alias == "zirkon" for ref in offline._aliases())
    baker.make(
        "venues.Venue",
        name="Zirkon Malam",
        slug="zirkon-malam-ubud",
        city=bali["ubud"],
        status="listed",
        description="",
        knowledge_text="",
    )
    offline.refresh_catalogue()
    assert any(ref.alias == "zirkon" and ref.slug == "zirkon-malam-ubud" for ref in offline._aliases())


def test_a_word_the_planner_reads_is_never_a_venue_first_word(bali):  # noqa: F811
    baker.make(
        "venues.Venue",
        name="Besok Pagi Kitchen",
        slug="besok-pagi-ubud",
        city=bali["ubud"],
        status="listed",
        description="",
        knowledge_text="",
    )
    offline.refresh_catalogue()
    assert not any(ref.alias == "besok" for ref in offline._aliases())  # Indonesian for "tomorrow"
