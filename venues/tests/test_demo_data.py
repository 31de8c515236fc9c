"""The demo network file (venues/demo/bali.yaml) and its schema check."""

from __future__ import annotations

import copy

import pytest
import yaml
from pydantic import ValidationError

from venues.demo import DATA_FILE, DemoNetwork, load


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))


def test_the_demo_network_loads_with_its_cities_venues_and_people():
    data = load()
    assert [c["slug"] for c in data["cities"]] == ["canggu", "seminyak", "ubud", "uluwatu", "sanur"]
    assert len(data["venues"]) == 73
    assert [u["username"] for u in data["users"]][-2:] == ["ketut.a", "lena.m"]
    assert data["venues"][0]["opening_hours"]["mon"] == [["12:00", "15:00"], ["17:30", "23:00"]]


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda r: r["venues"][0].update(area="Nowhere"), "area 'Nowhere' is not in canggu"),
        (lambda r: r["venues"][0].update(price_level=7), "price_level"),
        (lambda r: r["venues"][0].update(colour="red"), "colour"),
        (lambda r: r["venues"][0]["opening_hours"].update(mon=[["25:00", "12:00"]]), "opening_hours.mon"),
        (lambda r: r["venues"][0].update(deposit_required=True), "deposit_amount goes with deposit_required"),
        (lambda r: r["venues"][1].update(slug=r["venues"][0]["slug"], website=""), "venue slugs repeat"),
        (lambda r: r["owners"][0].update(owns=["no-such-venue"]), "owns unknown venues"),
        (lambda r: r["consumers"][0].update(plan="gold"), "plan"),
    ],
)
def test_a_mistake_in_the_file_is_refused_with_where_it_is(raw, change, complaint):
    broken = copy.deepcopy(raw)
    change(broken)
    with pytest.raises(ValidationError) as refused:
        DemoNetwork.model_validate(broken)
    assert complaint in str(refused.value)


def test_every_venue_whose_text_states_an_age_limit_carries_it_as_min_guest_age():
    """The guest policy (bookings.decision) reads min_guest_age, not the prose: a venue that
    says "strictly 18+" or "guests must be 16 or older" must also say it in the field."""
    import re

    said = re.compile(
        r"\b(\d{1,2})\+|over-(\d{1,2})s only|must be (\d{1,2}) or older|minimum age (\d{1,2})|aged (\d{1,2}) and over"
        r"|under (\d{1,2}) are not admitted",
        re.IGNORECASE,
    )
    for venue in load()["venues"]:
        # a limit that only applies after a time of day ("after 20:00 it is 18+") is no admission rule
        text = re.sub(r"[^.]*\b(?:until|after) \d{1,2}:\d{2}[^.]*\.", " ", venue["knowledge_text"])
        ages = {int(next(g for g in m.groups() if g)) for m in said.finditer(text)}
        if "adults-only" in venue["tags"]:
            assert venue["min_guest_age"], venue["slug"]
        if ages:
            assert venue["min_guest_age"] == min(ages), (venue["slug"], ages)


def test_an_adults_only_age_with_kids_allowed_is_refused(raw):
    broken = copy.deepcopy(raw)
    broken["venues"][0].update(min_guest_age=18, kids_allowed=True)
    with pytest.raises(ValidationError) as refused:
        DemoNetwork.model_validate(broken)
    assert "min_guest_age 18 admits no children" in str(refused.value)
