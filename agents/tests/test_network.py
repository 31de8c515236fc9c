"""The open network's domain layer (agents.platform.external) and its key auth + rate limits (agents.platform.api_auth)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from agents.models import A2AEnvelope, ApiKey
from agents.platform import external as network
from agents.platform.api_auth import AuthFailure, api_key_authenticate, rate_limit_hit
from agents.services import api_key_create, api_key_revoke
from agents.tests.test_venue_agent import at, days_ahead, held
from billing.models import ApiKeyUsageEvent
from bookings.models import VenueBooking
from venues.tests.factories import make_city, make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_pair(developer):
    return api_key_create(owner=developer, name="Claude Code", tier="pro")


@pytest.fixture
def api_key(key_pair):
    return key_pair[0]


# --- auth ---------------------------------------------------------------------------------


def test_a_bearer_key_authenticates_and_marks_the_key_used(key_pair):
    api_key, plaintext = key_pair
    assert api_key_authenticate(authorization=f"Bearer {plaintext}").pk == api_key.pk
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_the_x_api_key_header_is_accepted_too(key_pair):
    api_key, plaintext = key_pair
    assert api_key_authenticate(authorization=None, x_api_key=plaintext).pk == api_key.pk


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Bearer   "])
def test_a_request_without_a_key_is_refused_as_missing(header):
    with pytest.raises(AuthFailure) as exc:
        api_key_authenticate(authorization=header)
    assert exc.value.code == "missing_api_key"


def test_an_unknown_key_is_refused_as_invalid(key_pair):
    with pytest.raises(AuthFailure) as exc:
        api_key_authenticate(authorization=f"Bearer {key_pair[1]}x")
    assert exc.value.code == "invalid_api_key"


def test_a_revoked_key_stops_working_at_once(key_pair):
    api_key, plaintext = key_pair
    api_key_authenticate(authorization=f"Bearer {plaintext}")
    api_key_revoke(api_key=api_key, reason="leaked")
    with pytest.raises(AuthFailure) as exc:
        api_key_authenticate(authorization=f"Bearer {plaintext}")
    assert exc.value.code == "invalid_api_key"


# --- rate limits --------------------------------------------------------------------------


def test_the_limit_refuses_the_request_over_the_budget_with_retry_after(api_key):
    api_key.rate_limit_per_minute = 3
    now = 1_000_000 * 60 + 10.0  # 10 s into a window
    results = [rate_limit_hit(api_key=api_key, now=now) for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert [r.remaining for r in results[:3]] == [2, 1, 0]
    refused = results[-1].headers()
    assert refused["Retry-After"] == "50" and refused["RateLimit-Limit"] == "3"
    assert refused["RateLimit-Remaining"] == "0" and refused["RateLimit-Policy"] == "3;w=60"


def test_the_previous_minute_still_counts_while_it_slides_out(api_key):
    api_key.rate_limit_per_minute = 4
    window = 1_000_000 * 60
    for _ in range(4):
        assert rate_limit_hit(api_key=api_key, now=window + 59.0).allowed
    # 6 s into the next minute 90 % of the previous one still overlaps: 3.6 of 4 used
    assert not rate_limit_hit(api_key=api_key, now=window + 66.0).allowed
    # 45 s in, only a quarter overlaps: room again
    assert rate_limit_hit(api_key=api_key, now=window + 105.0).allowed


def test_tiers_set_the_default_limit_and_a_key_override_wins(developer, settings):
    settings.API_RATE_LIMITS_PER_MINUTE = {"free": 7, "pro": 70, "enterprise": 700}
    free, _ = api_key_create(owner=developer, name="free", tier="free")
    assert network.tier_rate_limit(free) == 7
    free.rate_limit_per_minute = 2
    assert network.tier_rate_limit(free) == 2


def test_the_budget_is_shared_by_concurrent_requests(api_key):
    api_key.rate_limit_per_minute = 20
    now = 2_000_000 * 60 + 1.0
    allowed = []

    def hit():
        for _ in range(10):
            allowed.append(rate_limit_hit(api_key=api_key, now=now).allowed)

    threads = [threading.Thread(target=hit) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 20 and allowed.count(False) == 30


# --- venues -------------------------------------------------------------------------------


def test_venue_pages_follow_the_cursor_without_repeats_or_gaps():
    city = make_city(name="Pagetown", slug="pagetown")
    slugs = {make_venue(city=city, name=f"Warung {i:02d}", slug=f"warung-{i:02d}").slug for i in range(7)}
    seen, cursor = [], None
    while True:
        page = network.venue_list(city="pagetown", limit=3, cursor=cursor)
        seen += [item["slug"] for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 7 and set(seen) == slugs


def test_a_cursor_cannot_be_replayed_against_other_filters():
    city = make_city(name="Cursorville", slug="cursorville")
    for i in range(3):
        make_venue(city=city, name=f"Cafe {i}", slug=f"cafe-cursor-{i}")
    page = network.venue_list(city="cursorville", limit=1)
    with pytest.raises(network.InvalidRequest) as exc:
        network.venue_list(city="canggu", limit=1, cursor=page.next_cursor)
    assert exc.value.field == "cursor"
    with pytest.raises(network.InvalidRequest):
        network.venue_list(city="cursorville", cursor="not-a-cursor")


def test_a_page_is_at_most_100_venues():
    with pytest.raises(network.InvalidRequest) as exc:
        network.venue_list(limit=101)
    assert exc.value.field == "limit"


def test_an_unknown_or_hidden_venue_is_not_found(venue):
    assert network.venue_get(ref=venue.slug).pk == venue.pk
    assert network.venue_get(ref=str(venue.pk)).pk == venue.pk
    with pytest.raises(network.NotFound):
        network.venue_get(ref="no-such-place")
    venue.status = "draft"
    venue.save(update_fields=["status"])
    with pytest.raises(network.NotFound):
        network.venue_get(ref=venue.slug)


def test_availability_lists_free_slots_and_says_why_a_day_has_none(venue):
    day = days_ahead(3)
    result = network.availability(venue=venue, day=day, party_size=2)
    assert result["available"] and result["slots"][0].endswith("18:00:00+08:00")
    too_big = network.availability(venue=venue, day=day, party_size=50)
    assert not too_big["available"] and too_big["reason"] == "party_too_large" and too_big["reason_text"]


# --- bookings -----------------------------------------------------------------------------


def test_the_same_idempotency_key_twice_makes_one_booking(api_key, venue, django_capture_on_commit_callbacks):
    start = at(days_ahead(2), "19:00")
    with django_capture_on_commit_callbacks(execute=True):
        first = network.booking_create_for_key(
            api_key=api_key, venue=venue, slot_start=start, party_size=2, idempotency_key="order-42"
        )
    second = network.booking_create_for_key(
        api_key=api_key, venue=venue, slot_start=start, party_size=2, idempotency_key="order-42"
    )
    assert first.created and not second.created and first.booking.pk == second.booking.pk
    assert VenueBooking.objects.filter(api_key=api_key).count() == 1
    api_key.refresh_from_db()
    assert api_key.bookings_total == 1
    # the venue's agent decided through the gateway, like any other booking
    first.booking.refresh_from_db()
    assert first.booking.status == "confirmed"
    assert A2AEnvelope.objects.filter(booking=first.booking, intent="booking.request").count() == 1


def test_the_same_idempotency_key_with_other_parameters_is_a_conflict(api_key, venue):
    start = at(days_ahead(2), "19:00")
    network.booking_create_for_key(api_key=api_key, venue=venue, slot_start=start, party_size=2, idempotency_key="k1")
    with pytest.raises(network.IdempotencyConflict):
        network.booking_create_for_key(
            api_key=api_key, venue=venue, slot_start=start, party_size=3, idempotency_key="k1"
        )


def test_a_full_slot_is_refused_with_alternatives_and_nothing_booked(api_key, venue):
    day = days_ahead(2)
    held(venue, at(day, "19:00"), 10)
    with pytest.raises(network.SlotUnavailable) as exc:
        network.booking_create_for_key(api_key=api_key, venue=venue, slot_start=at(day, "19:00"), party_size=2)
    assert exc.value.extra["alternatives"] and exc.value.extra["reason"] == "fully_booked"
    assert not VenueBooking.objects.filter(api_key=api_key).exists()


def test_a_metered_tier_writes_one_usage_event_per_request(api_key, venue):
    start = at(days_ahead(2), "20:00")
    network.booking_create_for_key(
        api_key=api_key, venue=venue, slot_start=start, party_size=2, idempotency_key="m1", request_id="req-1"
    )
    network.booking_create_for_key(
        api_key=api_key, venue=venue, slot_start=start, party_size=2, idempotency_key="m1", request_id="req-1"
    )
    events = list(ApiKeyUsageEvent.objects.filter(api_key=api_key))
    assert len(events) == 1 and events[0].intent == "booking.create" and events[0].unit_price_cents > 0


def test_a_free_key_cannot_use_booking_confirm_and_is_not_metered(developer, venue):
    free, _ = api_key_create(owner=developer, name="hobby", tier="free")
    with pytest.raises(network.TierRequired):
        network.tier_check(api_key=free, intent="booking.confirm")
    network.booking_create_for_key(api_key=free, venue=venue, slot_start=at(days_ahead(2), "19:30"), party_size=2)
    assert not ApiKeyUsageEvent.objects.filter(api_key=free).exists()


def test_a_key_sees_and_cancels_only_its_own_bookings(api_key, developer, venue, django_capture_on_commit_callbacks):
    other, _ = api_key_create(owner=developer, name="other")
    with django_capture_on_commit_callbacks(execute=True):
        result = network.booking_create_for_key(
            api_key=api_key, venue=venue, slot_start=at(days_ahead(2), "19:00"), party_size=2
        )
    ref = result.booking.external_ref
    with pytest.raises(network.NotFound):
        network.booking_get_for_key(api_key=other, reference=ref)
    with pytest.raises(network.NotFound):
        network.booking_cancel_for_key(api_key=other, reference=ref)
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = network.booking_cancel_for_key(api_key=api_key, reference=ref.lower(), reason="plans changed")
    assert cancelled.status == "cancelled"
    assert network.booking_cancel_for_key(api_key=api_key, reference=ref).status == "cancelled"  # twice: no-op
    assert A2AEnvelope.objects.filter(booking=cancelled, intent="booking.cancel").count() == 1


def test_a_booking_reads_back_in_the_venues_timezone(api_key, venue):
    result = network.booking_create_for_key(
        api_key=api_key, venue=venue, slot_start=at(days_ahead(2), "19:00"), party_size=2
    )
    public = network.booking_public(result.booking)
    assert public["slot_start"].endswith("T19:00:00+08:00") and public["venue"] == venue.slug
    assert "venue_notes" not in public and public["reference"].startswith("AG-")


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_idempotency_key_make_one_booking(api_key, venue):
    start = at(days_ahead(2), "19:00")
    outcomes, errors = [], []

    def create():
        try:
            outcomes.append(
                network.booking_create_for_key(
                    api_key=api_key, venue=venue, slot_start=start, party_size=2, idempotency_key="race"
                )
            )
        except Exception as exc:  # noqa: BLE001 - the assertion below reports it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({o.booking.pk for o in outcomes}) == 1
    assert VenueBooking.objects.filter(api_key=api_key, idempotency_key="race").count() == 1
    assert ApiKey.objects.get(pk=api_key.pk).bookings_total == 1


def test_ask_venue_validates_the_question(venue):
    with pytest.raises(network.InvalidRequest) as exc:
        network.ask_venue(question="  ")
    assert exc.value.field == "question"
    venue.knowledge_text = "We have a kids area with a sandpit."
    venue.save(update_fields=["knowledge_text"])
    answer = network.ask_venue(question="is there a kids area?", venue=venue)
    assert answer["found"] and answer["passages"][0]["venue"] == venue.slug


def test_usage_is_timestamped_now(api_key):
    # last_used_at is kept to the minute: a second touch within the minute writes nothing
    network.api_key_touch(api_key=api_key)
    first = ApiKey.objects.get(pk=api_key.pk).last_used_at
    network.api_key_touch(api_key=api_key, now=timezone.now())
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == first
