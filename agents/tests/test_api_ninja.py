"""The external agent API at /a2a/v1 over HTTP: auth, limits, idempotent bookings, envelopes, problems."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.conf import settings as django_settings

from agents.models import A2AEnvelope, WebhookDelivery, WebhookSubscription
from agents.services import api_key_create, api_key_revoke
from agents.tests.test_venue_agent import at, days_ahead
from billing.models import ApiKeyUsageEvent
from bookings.models import VenueBooking
from venues.tests.factories import make_city, make_venue

pytestmark = pytest.mark.django_db

BASE = "/a2a/v1"
PROBLEM = "application/problem+json"


@pytest.fixture
def pro(developer):
    return api_key_create(owner=developer, name="Claude Code", tier="pro")


@pytest.fixture
def free(developer):
    return api_key_create(owner=developer, name="hobby", tier="free")


def bearer(pair) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {pair[1]}"}


def post(client, path, body, pair=None, **headers):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(BASE + path, raw, content_type="application/json", **(bearer(pair) if pair else {}), **headers)


def problem_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == code and body["status"] == status
    assert body["type"] == f"https://agnt.dev/problems/{code}" and body["title"] and body["detail"]
    return body


def envelope(intent: str, payload: dict | None = None, **fields) -> dict:
    return {
        "protocol": "agnt/1",
        "from": "claude-code-test",
        "intent": intent,
        "payload": payload or {},
        "timestamp": int(time.time()),
        **fields,
    }


# --- auth ---------------------------------------------------------------------------------


def test_a_request_without_a_key_is_a_401_problem(client):
    response = client.get(BASE + "/venues")
    problem_of(response, 401, "missing_api_key")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_key_is_a_401_problem(client, pro):
    response = client.get(BASE + "/venues", HTTP_AUTHORIZATION=f"Bearer {pro[1]}nope")
    problem_of(response, 401, "invalid_api_key")


def test_a_revoked_key_stops_working_on_the_next_request(client, pro):
    assert client.get(BASE + "/venues", **bearer(pro)).status_code == 200
    api_key_revoke(api_key=pro[0], reason="leaked")
    problem_of(client.get(BASE + "/venues", **bearer(pro)), 401, "invalid_api_key")


def test_the_x_api_key_header_works_too(client, pro):
    assert client.get(BASE + "/venues", HTTP_X_API_KEY=pro[1]).status_code == 200


def test_a_free_key_cannot_confirm_a_booking_and_nothing_is_booked(client, free, venue):
    payload = {"venue": venue.slug, "slot_start": at(days_ahead(2), "19:00").isoformat(), "party_size": 2}
    body = problem_of(
        post(client, "/envelope", envelope("booking.confirm", payload, id="free-1"), free), 403, "tier_required"
    )
    assert "pro" in body["detail"]
    assert not VenueBooking.objects.filter(api_key=free[0]).exists()
    refused = A2AEnvelope.objects.get(envelope_id="free-1")
    assert refused.status == "rejected" and refused.last_error.startswith("tier_required")


# --- rate limits --------------------------------------------------------------------------


def test_every_authenticated_response_carries_the_rate_limit_headers(client, pro):
    first = client.get(BASE + "/venues", **bearer(pro))
    second = client.get(BASE + "/venues/no-such-venue", **bearer(pro))
    assert first["RateLimit-Limit"] == str(django_settings.API_RATE_LIMITS_PER_MINUTE["pro"])
    assert int(first["RateLimit-Remaining"]) == int(second["RateLimit-Remaining"]) + 1
    assert second.status_code == 404 and second["RateLimit-Policy"].endswith(";w=60")
    assert "Retry-After" not in first


def test_over_the_keys_own_budget_is_a_429_with_retry_after(client, pro):
    api_key = pro[0]
    api_key.rate_limit_per_minute = 2  # the key's override beats the pro default of 600
    api_key.save(update_fields=["rate_limit_per_minute"])
    assert [client.get(BASE + "/venues", **bearer(pro)).status_code for _ in range(2)] == [200, 200]
    refused = client.get(BASE + "/venues", **bearer(pro))
    problem_of(refused, 429, "rate_limited")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["RateLimit-Limit"] == "2" and refused["RateLimit-Remaining"] == "0"


# --- bookings -----------------------------------------------------------------------------


def booking_body(venue, hhmm="19:00", party=2):
    return {"venue": venue.slug, "slot_start": at(days_ahead(2), hhmm).isoformat(), "party_size": party}


def test_the_same_idempotency_key_twice_makes_one_booking_and_the_same_answer(client, pro, venue):
    first = post(client, "/bookings", booking_body(venue), pro, HTTP_IDEMPOTENCY_KEY="order-42")
    second = post(client, "/bookings", booking_body(venue), pro, HTTP_IDEMPOTENCY_KEY="order-42")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert first.json()["reference"].startswith("AG-") and first.json()["status"] == "requested"
    assert VenueBooking.objects.filter(api_key=pro[0]).count() == 1


def test_the_same_idempotency_key_with_other_parameters_is_a_409(client, pro, venue):
    post(client, "/bookings", booking_body(venue), pro, HTTP_IDEMPOTENCY_KEY="k1")
    body = problem_of(
        post(client, "/bookings", booking_body(venue, party=3), pro, HTTP_IDEMPOTENCY_KEY="k1"),
        409,
        "idempotency_conflict",
    )
    assert body["errors"] == [{"field": "Idempotency-Key", "message": body["detail"]}]
    assert VenueBooking.objects.filter(api_key=pro[0]).count() == 1


def test_another_keys_booking_is_not_found(client, pro, developer, venue):
    other = api_key_create(owner=developer, name="other", tier="pro")
    reference = post(client, "/bookings", booking_body(venue), pro).json()["reference"]
    problem_of(client.get(f"{BASE}/bookings/{reference}", **bearer(other)), 404, "not_found")
    problem_of(post(client, f"/bookings/{reference}/cancel", {}, other), 404, "not_found")
    assert client.get(f"{BASE}/bookings", **bearer(other)).json()["items"] == []
    assert client.get(f"{BASE}/bookings/{reference}", **bearer(pro)).json()["reference"] == reference


def test_a_booking_is_cancelled_by_post_or_delete(client, pro, venue):
    first = post(client, "/bookings", booking_body(venue, "19:00"), pro).json()["reference"]
    second = post(client, "/bookings", booking_body(venue, "20:00"), pro).json()["reference"]
    cancelled = post(client, f"/bookings/{first}/cancel", {"reason": "plans changed"}, pro)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = client.generic("POST", f"{BASE}/bookings/{first}/cancel", **bearer(pro))  # no body at all: a no-op
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    deleted = client.delete(f"{BASE}/bookings/{second}", **bearer(pro))
    assert deleted.status_code == 200 and deleted.json()["status"] == "cancelled"


def test_a_full_slot_is_a_409_with_alternatives(client, pro, venue):
    from agents.tests.test_venue_agent import held

    held(venue, at(days_ahead(2), "19:00"), 10)
    body = problem_of(post(client, "/bookings", booking_body(venue), pro), 409, "slot_unavailable")
    assert body["reason"] == "fully_booked" and body["alternatives"]


def test_the_booking_list_pages_through_the_keys_own_bookings(client, pro, venue):
    refs = {
        post(client, "/bookings", booking_body(venue, hhmm), pro).json()["reference"]
        for hhmm in ("18:00", "18:30", "19:00")
    }
    first = client.get(f"{BASE}/bookings?limit=2", **bearer(pro)).json()
    second = client.get(f"{BASE}/bookings?limit=2&cursor={first['next_cursor']}", **bearer(pro)).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None
    assert {b["reference"] for b in first["items"] + second["items"]} == refs
    problem_of(client.get(f"{BASE}/bookings?cursor=garbage", **bearer(pro)), 422, "invalid_request")


# --- venues -------------------------------------------------------------------------------


def test_venue_detail_policy_and_availability(client, pro, venue):
    detail = client.get(f"{BASE}/venues/{venue.slug}", **bearer(pro)).json()
    assert detail["slug"] == venue.slug and detail["policy"]["max_party_size"] == 8
    policy = client.get(f"{BASE}/venues/{venue.slug}/policy", **bearer(pro)).json()
    assert policy["venue"] == venue.slug and policy["timezone"] == "Asia/Makassar"
    day = days_ahead(3).isoformat()
    free = client.get(f"{BASE}/venues/{venue.slug}/availability?date={day}&party_size=2", **bearer(pro)).json()
    assert free["available"] and free["slots"][0].endswith("18:00:00+08:00")
    assert ApiKeyUsageEvent.objects.filter(api_key=pro[0], intent="availability.check").count() == 1
    body = problem_of(
        client.get(f"{BASE}/venues/{venue.slug}/availability?date=2026-02-30&party_size=2", **bearer(pro)),
        422,
        "invalid_request",
    )
    assert body["errors"][0]["field"] == "date"
    problem_of(client.get(f"{BASE}/venues/nowhere/policy", **bearer(pro)), 404, "not_found")


def test_venue_search_filters_and_pages(client, pro):
    city = make_city(name="Searchville", slug="searchville")
    for i in range(5):
        make_venue(city=city, name=f"Warung {i}", slug=f"warung-search-{i}")
    page = client.get(f"{BASE}/venues?city=searchville&limit=3", **bearer(pro)).json()
    rest = client.get(f"{BASE}/venues?city=searchville&limit=3&cursor={page['next_cursor']}", **bearer(pro)).json()
    slugs = [v["slug"] for v in page["items"] + rest["items"]]
    assert len(slugs) == 5 == len(set(slugs)) and rest["next_cursor"] is None


def test_venue_search_makes_a_bounded_number_of_queries(client, pro, django_assert_max_num_queries):
    city = make_city(name="Querytown", slug="querytown")
    for i in range(30):
        make_venue(city=city, name=f"Cafe {i}", slug=f"cafe-query-{i}")
    client.get(f"{BASE}/venues?city=querytown", **bearer(pro))  # marks the key used (one UPDATE a minute)
    with django_assert_max_num_queries(2):  # the key lookup and the page, however many venues
        response = client.get(f"{BASE}/venues?city=querytown&limit=30", **bearer(pro))
    assert len(response.json()["items"]) == 30


def test_search_page_is_rendered_exactly_as_its_schema_would(client, pro):
    """The search page skips response validation: its body must be byte for byte what
    VenuePage's validation and ninja's renderer would produce."""
    from decimal import Decimal

    from ninja.renderers import JSONRenderer

    from agents.api.schemas import VenuePage

    city = make_city(name="Shapeville", slug="shapeville")
    make_venue(city=city, name="Rated", slug="shape-rated", rating_average=Decimal("4.50"), rating_count=12, area="")
    make_venue(
        city=city,
        name="Unrated — «ünïcode»",
        slug="shape-unrated",
        rating_average=None,
        price_level=4,
        area="Batu Bolong",
        tags=["sunset", "live-dj"],
        cuisines=["balinese"],
    )
    for query in ("city=shapeville", "city=shapeville&limit=1", "query=sunset&city=shapeville"):
        response = client.get(f"{BASE}/venues?{query}", **bearer(pro))
        assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
        validated = VenuePage.model_validate(json.loads(response.content)).model_dump()
        rendered = JSONRenderer().render(None, validated, response_status=200)
        assert response.content.decode() == rendered
    assert json.loads(response.content)["items"][0]["party_size"].keys() == {"min", "max"}


def test_ask_answers_from_venue_knowledge_with_citations(client, pro, venue):
    venue.knowledge_text = "We have a kids area with a sandpit."
    venue.save(update_fields=["knowledge_text"])
    answer = post(client, "/ask", {"question": "is there a kids area?", "venue": venue.slug}, pro).json()
    assert answer["found"] and answer["passages"][0]["citation"]["venue"] == venue.name


# --- envelopes ----------------------------------------------------------------------------


def test_a_ping_is_answered_with_a_reply_envelope_echoing_the_agent_context(client, pro):
    context = {"task": "plan-dinner", "steps": [1, 2, {"deep": None}], "note": "ünïcode"}
    response = post(client, "/envelope", envelope("network.ping", id="ping-1", agent_context=context), pro)
    reply = response.json()
    assert response.status_code == 200
    assert reply["agent_context"] == context and reply["in_reply_to"] == "ping-1"
    assert reply["intent"] == "network.ping.result" and reply["protocol"] == "agnt/1"
    assert reply["from"] == django_settings.CLAWPULSE_PLATFORM_AGENT_ID and reply["to"] == "claude-code-test"
    assert reply["payload"]["pong"] is True and reply["payload"]["tier"] == "pro"
    row = A2AEnvelope.objects.get(envelope_id="ping-1")
    assert (row.direction, row.status, row.api_key_id) == ("inbound", "processed", pro[0].pk)
    assert [e.to_status for e in row.events.order_by("created_at")] == ["delivered", "processed"]


def test_venue_list_by_envelope_returns_at_most_100(client, pro):
    city = make_city(name="Envelopia", slug="envelopia")
    for i in range(3):
        make_venue(city=city, name=f"Bar {i}", slug=f"bar-env-{i}")
    ok = post(client, "/envelope", envelope("venue.list", {"city": "envelopia", "limit": 100}), pro)
    assert ok.status_code == 200 and len(ok.json()["payload"]["items"]) == 3
    body = problem_of(post(client, "/envelope", envelope("venue.list", {"limit": 101}), pro), 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["payload.limit"]


def test_booking_search_by_envelope_lists_slots_and_meters_the_call(client, pro, venue):
    payload = {"venue": venue.slug, "date": days_ahead(3).isoformat(), "party_size": 2}
    reply = post(client, "/envelope", envelope("booking.search", payload, id="search-1"), pro).json()
    assert reply["payload"]["available"] and reply["intent"] == "booking.search.result"
    assert ApiKeyUsageEvent.objects.filter(api_key=pro[0], intent="booking.search").count() == 1


def test_booking_confirm_by_envelope_books_once_per_envelope_id(client, pro, venue):
    payload = {"slot_start": at(days_ahead(2), "19:00").isoformat(), "party_size": 2}
    to_venue = envelope("booking.confirm", payload, id="confirm-1", to=f"venue-{venue.slug}")
    from agents.services import agent_register_for_venue

    agent_register_for_venue(venue=venue)  # the venue's agent is addressed directly
    first = post(client, "/envelope", to_venue, pro).json()
    second = post(client, "/envelope", to_venue, pro).json()
    assert first["payload"]["created"] is True and second["payload"]["created"] is False
    assert first["payload"]["booking"] == second["payload"]["booking"]
    assert first["from"] == f"venue-{venue.slug}"
    booking = VenueBooking.objects.get(api_key=pro[0])
    assert booking.idempotency_key == "confirm-1"
    assert A2AEnvelope.objects.get(envelope_id="confirm-1").booking_id == booking.pk
    assert ApiKeyUsageEvent.objects.filter(api_key=pro[0], intent="booking.confirm").count() == 1


def test_an_envelope_id_reused_for_another_intent_is_a_conflict(client, pro):
    post(client, "/envelope", envelope("network.ping", id="dup-1"), pro)
    problem_of(post(client, "/envelope", envelope("venue.list", id="dup-1"), pro), 409, "envelope_id_conflict")


def test_stale_future_and_foreign_protocol_envelopes_are_refused(client, pro):
    now = int(time.time())
    problem_of(
        post(client, "/envelope", envelope("network.ping", timestamp=now - 120, ttl_ms=60_000), pro),
        422,
        "envelope_expired",
    )
    # epoch milliseconds and ISO 8601 are both understood
    assert post(client, "/envelope", envelope("network.ping", timestamp=now * 1000), pro).status_code == 200
    problem_of(
        post(client, "/envelope", envelope("network.ping", timestamp="2020-01-01T00:00:00Z"), pro),
        422,
        "envelope_expired",
    )
    problem_of(
        post(client, "/envelope", envelope("network.ping", timestamp=now + 3600), pro),
        422,
        "envelope_timestamp_in_future",
    )
    body = problem_of(
        post(client, "/envelope", envelope("network.ping", protocol="agnt/2"), pro), 422, "unsupported_protocol"
    )
    assert body["errors"][0]["field"] == "protocol"
    body = problem_of(post(client, "/envelope", envelope("booking.destroy"), pro), 422, "validation_error")
    assert body["errors"][0]["field"] == "intent"


# --- problems -----------------------------------------------------------------------------


def test_validation_errors_name_every_field(client, pro, venue):
    body = problem_of(
        post(client, "/bookings", {"venue": venue.slug, "party_size": 0, "party_sise": 2}, pro), 422, "validation_error"
    )
    assert {e["field"] for e in body["errors"]} == {"slot_start", "party_size", "party_sise"}
    body = problem_of(client.get(f"{BASE}/venues?limit=101&price_level_max=9", **bearer(pro)), 422, "validation_error")
    assert {e["field"] for e in body["errors"]} == {"limit", "price_level_max"}
    body = problem_of(
        post(client, "/bookings", booking_body(venue), pro, HTTP_IDEMPOTENCY_KEY="x" * 129), 422, "validation_error"
    )
    assert body["errors"][0]["field"] == "Idempotency-Key"


def test_a_body_over_the_limit_is_a_413(client, pro, settings):
    settings.API_MAX_BODY_BYTES = 1024
    body = problem_of(post(client, "/ask", {"question": "x" * 2000}, pro), 413, "body_too_large")
    assert body["max_bytes"] == 1024


def test_malformed_json_a_non_object_and_a_wrong_media_type_are_refused(client, pro):
    problem_of(post(client, "/ask", b'{"question": ', pro), 400, "malformed_json")
    problem_of(post(client, "/ask", b"[1, 2]", pro), 400, "malformed_json")
    response = client.post(
        BASE + "/ask", "question=hi", content_type="application/x-www-form-urlencoded", **bearer(pro)
    )
    problem_of(response, 415, "unsupported_media_type")


def test_an_unknown_path_and_a_wrong_method_are_problems(client, pro):
    problem_of(client.get(BASE + "/nothing/here", **bearer(pro)), 404, "not_found")
    response = client.put(BASE + "/venues", **bearer(pro))
    problem_of(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_the_openapi_schema_and_docs_are_public(client):
    schema = client.get(BASE + "/openapi.json").json()
    assert schema["info"]["title"] == "AGNT network API" and "/a2a/v1/envelope" in schema["paths"]
    assert client.get(BASE + "/docs").status_code == 200


# --- webhooks -----------------------------------------------------------------------------


def test_webhook_subscriptions_are_managed_per_key(client, pro, developer):
    created = post(client, "/webhooks", {"url": "https://agent.example/hooks", "events": ["booking.confirmed"]}, pro)
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    hook_id = created.json()["id"]
    listed = client.get(f"{BASE}/webhooks", **bearer(pro)).json()["items"]
    assert [h["id"] for h in listed] == [hook_id] and "secret" not in listed[0]

    other = api_key_create(owner=developer, name="other", tier="pro")
    problem_of(client.get(f"{BASE}/webhooks/{hook_id}", **bearer(other)), 404, "not_found")
    problem_of(client.get(f"{BASE}/webhooks/not-a-uuid", **bearer(pro)), 404, "not_found")

    patched = client.patch(
        f"{BASE}/webhooks/{hook_id}",
        json.dumps({"events": ["booking.cancelled"], "is_active": False}),
        content_type="application/json",
        **bearer(pro),
    ).json()
    assert patched["events"] == ["booking.cancelled"] and patched["is_active"] is False
    problem_of(post(client, f"/webhooks/{hook_id}/test", {}, pro), 409, "webhook_disabled")
    client.patch(
        f"{BASE}/webhooks/{hook_id}", json.dumps({"is_active": True}), content_type="application/json", **bearer(pro)
    )
    tested = post(client, f"/webhooks/{hook_id}/test", {}, pro)
    assert tested.status_code == 202 and tested.json()["event_type"] == "webhook.ping"
    assert WebhookDelivery.objects.filter(subscription_id=hook_id, event_type="webhook.ping").count() == 1

    assert client.delete(f"{BASE}/webhooks/{hook_id}", **bearer(pro)).status_code == 204
    assert not WebhookSubscription.objects.filter(pk=hook_id).exists()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "https://localhost/hook", "http://169.254.169.254/x"])
def test_a_webhook_to_our_own_network_is_refused(client, pro, url):
    body = problem_of(post(client, "/webhooks", {"url": url}, pro), 422, "invalid_request")
    assert body["errors"][0]["field"] == "url"
    assert not WebhookSubscription.objects.filter(api_key=pro[0]).exists()


def test_an_unknown_webhook_event_is_a_validation_error(client, pro):
    body = problem_of(
        post(client, "/webhooks", {"url": "https://a.example/h", "events": ["booking.exploded"]}, pro),
        422,
        "validation_error",
    )
    assert body["errors"][0]["field"].startswith("events")


def test_ids_are_never_guessable_across_keys(client, pro):
    problem_of(client.get(f"{BASE}/webhooks/{uuid.uuid4()}", **bearer(pro)), 404, "not_found")


def test_an_unknown_category_is_a_422_naming_the_field(client, pro):
    # found by the schemathesis run: it was a 500
    body = problem_of(client.get(f"{BASE}/venues?category=submarine", **bearer(pro)), 422, "invalid_request")
    assert body["errors"][0]["field"] == "category" and "beach_club" in body["detail"]


def test_nul_characters_are_refused_wherever_they_come_from(client, pro, venue):
    # found by the schemathesis run: PostgreSQL refuses NUL in text, which was a 500
    body = problem_of(
        post(client, "/bookings", {**booking_body(venue), "contact_name": "a\x00b"}, pro), 422, "validation_error"
    )
    assert body["errors"] == [{"field": "contact_name", "message": "NUL characters are not allowed"}]
    body = problem_of(client.get(f"{BASE}/venues?query=sun%00set", **bearer(pro)), 422, "validation_error")
    assert body["errors"][0]["field"] == "query"
    body = problem_of(client.get(f"{BASE}/venues/tanah%00ember", **bearer(pro)), 422, "validation_error")
    assert body["errors"][0]["field"] == "slug"


def test_a_refused_envelope_id_cannot_be_resent_and_unknown_recipients_are_refused(client, pro, free, venue):
    payload = {"venue": venue.slug, "slot_start": at(days_ahead(2), "19:00").isoformat(), "party_size": 2}
    problem_of(
        post(client, "/envelope", envelope("booking.confirm", payload, id="refused-1"), free), 403, "tier_required"
    )
    body = problem_of(
        post(client, "/envelope", envelope("booking.confirm", payload, id="refused-1"), free),
        409,
        "envelope_already_refused",
    )
    assert "tier_required" in body["detail"]
    # another key cannot take over the id either
    problem_of(
        post(client, "/envelope", envelope("booking.confirm", payload, id="refused-1"), pro),
        409,
        "envelope_id_conflict",
    )
    body = problem_of(
        post(client, "/envelope", envelope("network.ping", to="venue-nowhere"), pro), 422, "unknown_recipient"
    )
    assert body["errors"][0]["field"] == "to"
