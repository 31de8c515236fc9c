import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from google.protobuf.json_format import MessageToDict

from agents.models import Agent, AgentCard
from agents.network import cards
from agents.network.card_jobs import agent_card_refresh
from agents.network.registry import platform_agent, venue_agent
from agents.services import agent_set_status
from venues.tests.factories import make_city, make_venue

pytestmark = pytest.mark.django_db

PLATFORM_URL = "/.well-known/agent-card.json"


def _venue_url(slug: str) -> str:
    return f"/agents/{slug}/.well-known/agent-card.json"


@pytest.fixture
def venue():
    # a name of our own: parallel test runs share the database, and City.name is unique
    city = make_city(
        name=f"Canggu {uuid.uuid4().hex[:6]}", slug=f"canggu-{uuid.uuid4().hex[:6]}", timezone="Asia/Makassar"
    )
    return make_venue(
        city=city,
        slug="la-brisa",
        name="La Brisa",
        area="Echo Beach",
        status="active",
        currency="IDR",
        min_party_size=2,
        max_party_size=8,
        deposit_required=True,
        deposit_amount=Decimal("150000"),
        cancellation_window_hours=48,
        minimum_spend=Decimal("500000.5"),
        kids_allowed=False,
        dress_code="Smart casual",
        booking_lead_minutes=120,
        booking_window_days=30,
        slot_minutes=30,
        booking_duration_minutes=90,
        opening_hours={"mon": [["10:00", "22:00"]], "fri": [["17:00", "02:00"], ["bad"]], "sat": [["9:5", "x"]]},
        blackout_dates=[date(2000, 1, 1), timezone.localdate() + timedelta(days=3)],
    )


# --- building and validating ---------------------------------------------------------------


def test_the_platform_card_is_a_valid_a2a_v1_card_addressed_through_the_gateway(settings):
    settings.PUBLIC_BASE_URL = "https://agnt.example"
    settings.CLAWPULSE_GATEWAY = "https://agnt.example/gateway"

    card = cards.build_platform_card()
    parsed = cards.validate_card(card)

    assert parsed.name == "AGNT" and parsed.version
    # first the standard A2A JSON-RPC endpoint (agents/tests/test_a2a_jsonrpc.py), then the gateway
    jsonrpc, interface = parsed.supported_interfaces[0], parsed.supported_interfaces[1]
    assert jsonrpc.protocol_binding == cards.JSONRPC_BINDING and jsonrpc.url == "https://agnt.example/a2a/jsonrpc"
    assert interface.url == "https://agnt.example/gateway/api/agents/message"
    assert interface.protocol_version == "1.0" and interface.protocol_binding == cards.ENVELOPE_BINDING
    assert interface.tenant == "agnt-platform"
    assert parsed.security_schemes["gatewayKey"].api_key_security_scheme.name == "X-API-Key"
    assert {skill.id for skill in parsed.skills} >= {"venue.list", "booking.accepted", "booking.counter_offer"}
    (envelope_ext,) = parsed.capabilities.extensions
    # not required on the platform card: its JSON-RPC interface takes plain A2A messages
    assert envelope_ext.uri == cards.ENVELOPE_EXTENSION_URI and not envelope_ext.required
    assert MessageToDict(envelope_ext.params)["protocol"] == "agnt-a2a/1.0"


def test_the_validator_refuses_what_an_a2a_client_would_refuse():
    card = cards.build_platform_card()
    with pytest.raises(cards.CardError, match="supported_interfaces"):
        cards.validate_card({key: value for key, value in card.items() if key != "supportedInterfaces"})
    with pytest.raises(cards.CardError):
        cards.validate_card({**card, "skills": "not a list"})


def test_the_venue_card_carries_the_venue_policy_as_an_extension(venue):
    card = cards.build_venue_card(venue)
    parsed = cards.validate_card(card)

    assert parsed.name == "La Brisa" and f"Echo Beach, {venue.city.name}" in parsed.description
    own, gateway = parsed.supported_interfaces[0], parsed.supported_interfaces[1]
    assert own.protocol_binding == "JSONRPC" and own.url.endswith("/agents/la-brisa/a2a/jsonrpc")
    assert gateway.protocol_binding == cards.ENVELOPE_BINDING and gateway.tenant == "venue-la-brisa"
    assert parsed.capabilities.streaming and parsed.capabilities.push_notifications
    assert {skill.id for skill in parsed.skills} >= {"booking.request", "booking.cancel"}
    served = {ext["uri"]: ext for ext in card["capabilities"]["extensions"]}
    policy = served[cards.VENUE_POLICY_EXTENSION_URI]["params"]
    assert policy == {
        "min_party_size": 2,
        "max_party_size": 8,
        "deposit": {"required": True, "amount": "150000.00", "currency": "IDR"},
        "cancellation_window_hours": 48,
        "minimum_spend": {"amount": "500000.50", "currency": "IDR"},
        "kids_allowed": False,
        "dress_code": "Smart casual",
        "timezone": "Asia/Makassar",
        "opening_hours": {
            "mon": [["10:00", "22:00"]],
            "tue": [],
            "wed": [],
            "thu": [],
            "fri": [["17:00", "02:00"]],
            "sat": [],
            "sun": [],
        },
        "slot_minutes": 30,
        "booking_duration_minutes": 90,
        "booking_lead_minutes": 120,
        "booking_window_days": 30,
        "blackout_dates": [(timezone.localdate() + timedelta(days=3)).isoformat()],
        "auto_accept": True,
    }
    # integers stay integers in the JSON, and the SDK's parsed copy agrees on the values
    assert isinstance(policy["max_party_size"], int)
    parsed_policy = next(ext for ext in parsed.capabilities.extensions if ext.uri == cards.VENUE_POLICY_EXTENSION_URI)
    assert MessageToDict(parsed_policy.params)["max_party_size"] == 8
    assert not parsed_policy.required


def test_a_venue_without_deposit_or_minimum_spend_says_so_with_nulls():
    venue = make_venue(
        slug="warung", deposit_required=False, deposit_amount=Decimal("10"), minimum_spend=None, dress_code=""
    )
    policy = cards.venue_policy(venue)
    assert policy["deposit"]["required"] is False and policy["deposit"]["amount"] is None
    assert policy["minimum_spend"]["amount"] is None and policy["dress_code"] is None
    cards.validate_card(cards.build_venue_card(venue))


def test_consumer_agents_publish_no_card():
    from model_bakery import baker

    from agents.network.registry import consumer_agent

    agent = consumer_agent(baker.make("agnt.User"))
    with pytest.raises(cards.CardError, match="consumer"):
        cards.build_card(agent)


# --- the platform agent ----------------------------------------------------------------------


def test_the_platform_agent_is_registered_once_under_the_configured_id(settings):
    settings.CLAWPULSE_PLATFORM_AGENT_ID = "agnt-platform-test"
    first, second = platform_agent(), platform_agent()
    assert first.pk == second.pk and first.kind == "platform" and first.agent_id == "agnt-platform-test"
    assert Agent.objects.filter(kind="platform").count() == 1
    assert "venue.list" in first.skills and first.persona


def test_a_platform_agent_id_taken_by_another_kind_is_a_configuration_error(settings, venue):
    settings.CLAWPULSE_PLATFORM_AGENT_ID = venue_agent(venue).agent_id
    with pytest.raises(ImproperlyConfigured):
        platform_agent()


# --- the well-known URLs ------------------------------------------------------------------------


def test_the_platform_card_is_served_with_etag_cache_control_and_cors(client):
    response = client.get(PLATFORM_URL)

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json() == cards.build_platform_card()
    stored = AgentCard.objects.get(agent__kind="platform")
    assert response["ETag"] == f'W/"{stored.etag}"'
    assert response["Cache-Control"].startswith("public, max-age=")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]


def test_a_matching_if_none_match_gets_a_304_and_a_stale_one_the_card(client):
    etag = client.get(PLATFORM_URL)["ETag"]

    not_modified = client.get(PLATFORM_URL, HTTP_IF_NONE_MATCH=etag)
    strong_form = client.get(PLATFORM_URL, HTTP_IF_NONE_MATCH=etag.removeprefix("W/"))
    other = client.get(PLATFORM_URL, HTTP_IF_NONE_MATCH='W/"0000", "1111"')

    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] == etag and not_modified["Access-Control-Allow-Origin"] == "*"
    assert strong_form.status_code == 304
    assert other.status_code == 200 and other.json()["name"] == "AGNT"


def test_a_venue_card_is_built_and_published_on_first_fetch(client, venue):
    assert not AgentCard.objects.exists()

    response = client.get(_venue_url("la-brisa"))

    assert response.status_code == 200
    body = response.json()
    cards.validate_card(body)
    assert body["supportedInterfaces"][1]["tenant"] == "venue-la-brisa"
    stored = AgentCard.objects.get(agent__venue=venue)
    assert response["ETag"] == f'W/"{stored.etag}"' and stored.card == body


def test_a_changed_venue_is_served_with_its_new_policy_and_a_new_etag(client, venue):
    first = client.get(_venue_url("la-brisa"))
    venue.max_party_size = 12
    venue.save()

    second = client.get(_venue_url("la-brisa"), HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200 and second["ETag"] != first["ETag"]
    policy = next(
        ext["params"]
        for ext in second.json()["capabilities"]["extensions"]
        if ext["uri"] == cards.VENUE_POLICY_EXTENSION_URI
    )
    assert policy["max_party_size"] == 12


@pytest.mark.parametrize("status", ["draft", "paused", "closed"])
def test_venues_off_the_network_have_no_card(client, status):
    make_venue(slug="hidden", status=status)
    response = client.get(_venue_url("hidden"))
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert not Agent.objects.filter(venue__slug="hidden").exists()


def test_unknown_venues_and_retired_agents_get_404(client, venue):
    assert client.get(_venue_url("nope")).status_code == 404
    assert client.get(_venue_url("x" * 500)).status_code == 404
    agent_set_status(agent=venue_agent(venue), status="retired")
    assert client.get(_venue_url("la-brisa")).status_code == 404


def test_a_listed_unclaimed_venue_is_discoverable(client):
    make_venue(slug="listed-one", status="listed")
    assert client.get(_venue_url("listed-one")).status_code == 200


def test_preflight_and_other_methods_get_plain_answers(client):
    preflight = client.options(PLATFORM_URL)
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    posted = client.post(PLATFORM_URL, data="{}", content_type="application/json")
    assert posted.status_code == 405 and "GET" in posted["Allow"]
    assert client.head(PLATFORM_URL).status_code == 200


def test_serving_a_fresh_card_costs_a_few_queries(client, venue, django_assert_max_num_queries):
    client.get(_venue_url("la-brisa"))
    with django_assert_max_num_queries(4):
        assert client.get(_venue_url("la-brisa")).status_code == 200


# --- the refresh job ------------------------------------------------------------------------------


def test_the_refresh_job_publishes_missing_cards_and_skips_hidden_venues(venue):
    make_venue(slug="draft-one", status="draft")

    counts = agent_card_refresh.delay(full=False).get()

    assert counts["failed"] == 0 and counts["registered"] == 1
    assert set(AgentCard.objects.values_list("agent__agent_id", flat=True)) == {"agnt-platform", "venue-la-brisa"}


def test_the_refresh_job_republishes_only_changed_cards(venue):
    cards.cards_refresh()
    stored = AgentCard.objects.get(agent__venue=venue)
    published_at, etag = stored.published_at, stored.etag

    quiet = cards.cards_refresh()
    stored.refresh_from_db()
    assert quiet["changed"] == 0 and quiet["checked"] == 1  # only the platform card is rebuilt
    assert stored.published_at == published_at

    venue.dress_code = "Beachwear welcome"
    venue.save()
    counts = cards.cards_refresh()
    stored.refresh_from_db()
    assert counts["changed"] == 1 and stored.etag != etag and stored.published_at > published_at

    # a save that changes nothing on the card is checked once, then left alone
    venue.save()
    assert cards.cards_refresh()["changed"] == 0
    assert cards.cards_refresh()["checked"] == 1


def test_a_changed_base_url_rebuilds_every_card(settings, venue):
    cards.cards_refresh()
    settings.PUBLIC_BASE_URL = "https://new.agnt.example"
    settings.CLAWPULSE_GATEWAY = "https://new.agnt.example/gateway"

    counts = cards.cards_refresh()

    assert counts["changed"] == 2
    stored = AgentCard.objects.get(agent__venue=venue)
    assert stored.card["supportedInterfaces"][1]["url"].startswith("https://new.agnt.example/gateway")


@pytest.mark.django_db
def test_a_card_stored_in_an_older_format_is_rebuilt_when_fetched(client):
    from agents import services
    from agents.services import agent_register_for_venue
    from venues.tests.factories import make_city, make_venue

    venue = make_venue(
        city=make_city(name="Oldformat Town", slug="oldformat-town"), slug="old-format-cafe", status="active"
    )
    agent = agent_register_for_venue(venue=venue)
    services.agent_card_publish(
        agent=agent, card={"name": venue.name, "url": "/agents/old/a2a", "protocolVersion": "1.0"}
    )
    body = client.get("/agents/old-format-cafe/.well-known/agent-card.json").json()
    assert "supportedInterfaces" in body and any("venue-policy" in e["uri"] for e in body["capabilities"]["extensions"])
