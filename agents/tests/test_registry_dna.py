import pytest

from agents.network.registry import (
    PLATFORM_AGENT_SKILLS,
    AgentDnaError,
    agent_dna_update,
    platform_agent,
    venue_agent,
    venue_dna,
)
from venues.tests.factories import make_venue

pytestmark = pytest.mark.django_db


def test_a_new_venue_agent_gets_the_venue_limits_as_its_dna():
    venue = make_venue(slug="dna-venue", min_party_size=2, max_party_size=6, deposit_required=True)
    agent = venue_agent(venue)
    assert agent.policies == venue_dna(venue)["policies"]
    assert agent.policies["max_party_size"] == 6 and agent.policies["auto_accept"] is True


def test_the_platform_agent_has_its_own_dna():
    agent = platform_agent()
    assert agent.skills == PLATFORM_AGENT_SKILLS and agent.languages == ["en", "id"]
    assert agent.display_name == "AGNT"


def test_dna_updates_change_only_what_is_given_and_are_validated():
    agent = platform_agent()
    agent_dna_update(agent=agent, languages=["en", "ru", "en"], policies={"auto_accept": False, "max_party_size": 8})
    agent.refresh_from_db()
    assert agent.languages == ["en", "ru"] and agent.policies == {"auto_accept": False, "max_party_size": 8}
    assert agent.skills == PLATFORM_AGENT_SKILLS

    for bad in (
        {"languages": ["english!"]},
        {"languages": []},
        {"skills": ["booking.teleport"]},
        {"policies": {"max_pary_size": 4}},
        {"policies": {"max_party_size": True}},
        {"policies": {"max_party_size": -1}},
        {"policies": {"min_party_size": 9, "max_party_size": 2}},
        {"policies": ["not", "a", "dict"]},
    ):
        with pytest.raises(AgentDnaError):
            agent_dna_update(agent=agent, **bad)
    agent.refresh_from_db()
    assert agent.languages == ["en", "ru"]
