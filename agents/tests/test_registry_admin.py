"""The registry's back office: agents with their cards, envelopes with their events, gateway inboxes."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from model_bakery import baker

from agents.models import A2AEnvelope, Agent, AgentCard, GatewayMessage
from agents.network import cards
from agents.network.registry import consumer_agent, platform_agent, venue_agent
from agents.services import envelope_record, envelope_transition
from venues.tests.factories import make_booking, make_venue


def _url(model, page, *args):
    return reverse(f"admin:agents_{model._meta.model_name}_{page}", args=args)


def _venue_agents(count: int) -> list[Agent]:
    agents = []
    for _ in range(count):
        agent = venue_agent(make_venue(slug=f"v-{uuid.uuid4().hex[:10]}"))
        cards.card_publish(agent=agent)
        agents.append(agent)
    return agents


def _envelopes_with_bookings(count: int) -> list[A2AEnvelope]:
    venue = make_venue(slug=f"e-{uuid.uuid4().hex[:10]}")
    rows = []
    for _ in range(count):
        booking = make_booking(venue=venue)
        envelope, _ = envelope_record(
            envelope_id=uuid.uuid4().hex,
            intent="booking.request",
            direction="outbound",
            from_agent_id="consumer-x",
            to_agent_id=f"venue-{venue.slug}",
            booking=booking,
        )
        envelope_transition(envelope=envelope, to_status="sent")
        rows.append(envelope)
    return rows


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    # The session comes from the Redis cache, or from the table when the cache was
    # flushed (parallel test runs share that Redis): not the admin's doing, not counted.
    return sum('"django_session"' not in query["sql"] for query in captured.captured_queries)


# --- agents and cards ----------------------------------------------------------------------------


def test_the_agent_changelist_does_not_query_per_row(staff_client):
    _venue_agents(2)
    few = _queries(staff_client, _url(Agent, "changelist"))
    _venue_agents(5)
    assert _queries(staff_client, _url(Agent, "changelist")) == few


def test_an_agents_page_shows_its_card_as_json_and_its_public_url(staff_client):
    (agent,) = _venue_agents(1)
    html = staff_client.get(_url(Agent, "change", agent.pk)).content.decode()
    assert cards.VENUE_POLICY_EXTENSION_URI in html and "supportedInterfaces" in html
    assert f"/agents/{agent.venue.slug}/.well-known/agent-card.json" in html

    consumer = consumer_agent(baker.make("agnt.User"))
    assert (
        "consumer agents have no public card" in staff_client.get(_url(Agent, "change", consumer.pk)).content.decode()
    )


def test_the_republish_action_publishes_changed_cards_and_skips_consumer_agents(staff_client):
    (agent,) = _venue_agents(1)
    before = AgentCard.objects.get(agent=agent).etag
    venue = agent.venue
    venue.kids_allowed = not venue.kids_allowed
    venue.save()
    consumer = consumer_agent(baker.make("agnt.User"))

    response = staff_client.post(
        _url(Agent, "changelist"),
        {"action": "republish_cards", "_selected_action": [agent.pk, consumer.pk]},
        follow=True,
    )

    assert "Republished 1 card(s); 0 unchanged; 1 skipped" in response.content.decode()
    assert AgentCard.objects.get(agent=agent).etag != before
    assert not AgentCard.objects.filter(agent=consumer).exists()


def test_editing_the_dna_in_the_admin_validates_it_and_republishes_the_card(staff_client):
    agent = platform_agent()
    cards.card_publish(agent=agent)
    form = {
        "display_name": "AGNT",
        "status": "active",
        "endpoint_url": "",
        "persona": "A new voice.",
        "languages": "en,id",
        "skills": "venue.list,network.ping",
    }

    refused = staff_client.post(_url(Agent, "change", agent.pk), {**form, "policies": '{"max_pary_size": 4}'})
    assert refused.status_code == 200 and "unknown policy keys: max_pary_size" in refused.content.decode()

    saved = staff_client.post(_url(Agent, "change", agent.pk), {**form, "policies": '{"auto_accept": false}'})
    assert saved.status_code == 302
    card = AgentCard.objects.get(agent=agent).card
    assert card["description"] == "A new voice."
    # the JSON-RPC endpoint's skills (always), then the DNA's envelope skills as edited
    assert [skill["id"] for skill in card["skills"]] == [*cards.JSONRPC_SKILL_CATALOGUE, "venue.list", "network.ping"]


def test_card_pages_are_read_only_and_can_be_republished(staff_client):
    (agent,) = _venue_agents(1)
    stored = AgentCard.objects.get(agent=agent)
    page = staff_client.get(_url(AgentCard, "change", stored.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    AgentCard.objects.filter(pk=stored.pk).update(card={"stale": True}, etag="x")

    staff_client.post(_url(AgentCard, "changelist"), {"action": "republish_cards", "_selected_action": [stored.pk]})

    stored.refresh_from_db()
    cards.validate_card(stored.card)


# --- envelopes -------------------------------------------------------------------------------------


def test_the_envelope_changelist_does_not_query_per_row(staff_client):
    _envelopes_with_bookings(2)
    few = _queries(staff_client, _url(A2AEnvelope, "changelist"))
    _envelopes_with_bookings(5)
    assert _queries(staff_client, _url(A2AEnvelope, "changelist")) == few


def test_envelopes_are_found_by_booking_reference_and_envelope_id(staff_client):
    first, second = _envelopes_with_bookings(2)
    changelist = _url(A2AEnvelope, "changelist")

    by_ref = staff_client.get(changelist, {"q": first.booking.external_ref}).content.decode()
    by_id = staff_client.get(changelist, {"q": second.envelope_id}).content.decode()

    assert first.envelope_id in by_ref and second.envelope_id not in by_ref
    assert second.envelope_id in by_id and first.envelope_id not in by_id


def test_envelopes_filter_by_intent_status_and_direction(staff_client):
    (sent,) = _envelopes_with_bookings(1)
    inbound, _ = envelope_record(
        envelope_id=uuid.uuid4().hex,
        intent="booking.accepted",
        direction="inbound",
        from_agent_id="venue-x",
        to_agent_id="consumer-x",
    )
    changelist = _url(A2AEnvelope, "changelist")
    for params, shown, hidden in (
        ({"intent": "booking.accepted"}, inbound, sent),
        ({"status__exact": "sent"}, sent, inbound),
        ({"direction__exact": "outbound"}, sent, inbound),
    ):
        html = staff_client.get(changelist, params).content.decode()
        assert shown.envelope_id in html and hidden.envelope_id not in html, params


def test_an_envelope_page_is_read_only_with_its_events_inline(staff_client):
    (envelope,) = _envelopes_with_bookings(1)
    envelope_transition(envelope=envelope, to_status="failed", error="gateway 503")
    html = staff_client.get(_url(A2AEnvelope, "change", envelope.pk)).content.decode()
    assert "gateway 503" in html and html.count("failed") >= 2
    assert 'name="_save"' not in html
    assert envelope.booking.external_ref in html or str(envelope.booking.pk) in html


# --- gateway inbox ---------------------------------------------------------------------------------


def test_the_gateway_inbox_is_a_read_only_log(staff_client):
    recipient = platform_agent()
    message = GatewayMessage.objects.create(
        recipient=recipient,
        from_agent_id="venue-x",
        envelope_id="env-gw-1",
        payload={"intent": "booking.accepted"},
    )
    assert staff_client.get(_url(GatewayMessage, "changelist"), {"q": "env-gw-1"}).status_code == 200
    page = staff_client.get(_url(GatewayMessage, "change", message.pk))
    assert page.status_code == 200 and "booking.accepted" in page.content.decode()
    assert staff_client.get(_url(GatewayMessage, "add")).status_code == 403


@pytest.fixture(autouse=True)
def _db(db):
    return db
