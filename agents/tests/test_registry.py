import pytest
from django.db import IntegrityError, transaction
from model_bakery import baker

from agents.models import Agent, AgentCard
from agents.selectors import agent_get_by_inbox_key
from agents.services import (
    agent_card_publish,
    agent_inbox_key_rotate,
    agent_register_for_user,
    agent_register_for_venue,
)


@pytest.mark.django_db
def test_registering_a_venue_agent_twice_returns_the_same_agent():
    venue = baker.make("venues.Venue", slug="la-brisa", name="La Brisa")

    first = agent_register_for_venue(venue=venue)
    second = agent_register_for_venue(venue=venue)

    assert first.pk == second.pk and Agent.objects.count() == 1
    assert first.agent_id == "venue-la-brisa" and first.kind == "venue"
    assert "booking.request" in first.skills
    venue.refresh_from_db()
    assert venue.cp_agent_id == "venue-la-brisa"


@pytest.mark.django_db
def test_registering_a_consumer_agent_is_idempotent_and_named_after_the_user():
    user = baker.make("agnt.User", language="ru")
    agent = agent_register_for_user(user=user)
    assert agent_register_for_user(user=user).pk == agent.pk
    assert agent.agent_id == f"consumer-{user.pk}" and agent.languages == ["ru"]
    user.refresh_from_db()
    assert user.cp_agent_id == agent.agent_id


@pytest.mark.django_db
def test_the_database_ties_an_agents_kind_to_its_owner():
    user = baker.make("agnt.User")
    with pytest.raises(IntegrityError), transaction.atomic():
        Agent.objects.create(kind="venue", agent_id="venue-nowhere", user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Agent.objects.create(kind="consumer", agent_id="consumer-nobody")
    with pytest.raises(IntegrityError), transaction.atomic():
        Agent.objects.create(kind="platform", agent_id="agnt-platform", user=user)
    Agent.objects.create(kind="platform", agent_id="agnt-platform")


@pytest.mark.django_db
def test_an_inbox_key_is_stored_hashed_and_checks_out():
    agent = Agent.objects.create(kind="platform", agent_id="agnt-platform")
    plaintext = agent_inbox_key_rotate(agent=agent)
    agent.refresh_from_db()
    assert plaintext not in agent.inbox_key_hash
    assert agent_get_by_inbox_key(agent_id="agnt-platform", plaintext=plaintext) == agent
    assert agent_get_by_inbox_key(agent_id="agnt-platform", plaintext="nope") is None


@pytest.mark.django_db
def test_publishing_an_unchanged_card_is_a_no_op():
    agent = Agent.objects.create(kind="platform", agent_id="agnt-platform")
    card = {"name": "AGNT", "version": "2.1.0", "protocolVersion": "1.0", "skills": []}

    stored, changed = agent_card_publish(agent=agent, card=card)
    again, changed_again = agent_card_publish(agent=agent, card=dict(reversed(list(card.items()))))
    updated, changed_third = agent_card_publish(agent=agent, card={**card, "version": "2.2.0"})

    assert changed and not changed_again and changed_third
    assert AgentCard.objects.count() == 1
    assert updated.version == "2.2.0" and updated.etag != stored.etag


@pytest.mark.django_db
def test_a_venue_with_a_very_long_slug_gets_an_agent_id_that_fits_the_cached_column():
    from agents.services import agent_register_for_venue
    from venues.tests.factories import make_venue

    first = agent_register_for_venue(venue=make_venue(slug="a-" + "very-long-venue-name-" * 4 + "one"))
    second = agent_register_for_venue(venue=make_venue(slug="a-" + "very-long-venue-name-" * 4 + "two"))
    assert len(first.agent_id) <= 64 and len(second.agent_id) <= 64 and first.agent_id != second.agent_id
    first.venue.refresh_from_db()
    assert first.venue.cp_agent_id == first.agent_id
