"""/api/bookings: my bookings only; cancelling goes through the agent flow (the venue's agent is told)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from agents.models import A2AEnvelope
from agnt.tests.api import bearer_client
from bookings.models import BookingEvent
from bookings.services import booking_cancel, booking_confirm, booking_create
from venues.tests.factories import make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def venue():
    return make_venue(slug="la-brisa", name="La Brisa", min_party_size=1, max_party_size=10)


@pytest.fixture
def me():
    return baker.make("agnt.User")


def _book(venue, user, days=2, **kwargs):
    return booking_create(
        venue=venue, user=user, party_size=2, slot_start=timezone.now() + timedelta(days=days), source="app", **kwargs
    )


def test_a_user_lists_and_reads_only_their_bookings(venue, me):
    soon, later = _book(venue, me, days=1), _book(venue, me, days=5)
    booking_confirm(booking=soon)
    theirs = _book(venue, baker.make("agnt.User"))
    api = bearer_client(me)

    listed = api.get(reverse("api-bookings")).json()
    assert [row["ref"] for row in listed["results"]] == [later.external_ref, soon.external_ref]
    assert listed["results"][1]["venue"] == {"slug": "la-brisa", "name": "La Brisa"}
    confirmed = api.get(reverse("api-bookings"), {"status": "confirmed"}).json()
    assert [row["ref"] for row in confirmed["results"]] == [soon.external_ref]
    upcoming = api.get(reverse("api-bookings"), {"upcoming": "true"}).json()
    assert [row["ref"] for row in upcoming["results"]] == [soon.external_ref, later.external_ref]

    detail = api.get(reverse("api-booking", kwargs={"ref": soon.external_ref.lower()}))
    assert detail.status_code == 200 and detail.json()["status"] == "confirmed" and detail.json()["party_size"] == 2
    assert api.get(reverse("api-booking", kwargs={"ref": theirs.external_ref})).status_code == 404


def test_cancelling_my_booking_records_it_and_tells_the_venue_agent(venue, me):
    booking = _book(venue, me)
    booking_confirm(booking=booking)

    response = bearer_client(me).post(
        reverse("api-booking-cancel", kwargs={"ref": booking.external_ref}), {"reason": "plans changed"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled" and response.json()["reason"] == "plans changed"
    event = BookingEvent.objects.get(booking=booking, to_status="cancelled")
    assert event.actor == me and event.reason == "plans changed"
    envelope = A2AEnvelope.objects.get(booking=booking, intent="booking.cancel")
    assert envelope.payload == {"booking_ref": booking.external_ref, "reason": "plans changed"}


def test_a_booking_that_cannot_be_cancelled_is_a_409_and_sends_nothing(venue, me):
    booking = _book(venue, me)
    booking_cancel(booking=booking, actor=me)

    response = bearer_client(me).post(
        reverse("api-booking-cancel", kwargs={"ref": booking.external_ref}), {}, format="json"
    )

    assert response.status_code == 409 and "cannot be cancelled" in response.json()["detail"]
    assert not A2AEnvelope.objects.filter(booking=booking, intent="booking.cancel").exists()


def test_another_users_booking_cannot_be_cancelled(venue, me):
    theirs = _book(venue, baker.make("agnt.User"))

    assert (
        bearer_client(me)
        .post(reverse("api-booking-cancel", kwargs={"ref": theirs.external_ref}), {}, format="json")
        .status_code
        == 404
    )
    theirs.refresh_from_db()
    assert theirs.status == "requested"


@pytest.mark.parametrize(("params", "field"), [({"status": "teleported"}, "status")])
def test_a_bad_filter_names_the_field(me, params, field):
    response = bearer_client(me).get(reverse("api-bookings"), params)
    assert response.status_code == 400 and field in response.json()


def test_an_overlong_cancel_reason_names_the_field(venue, me):
    booking = _book(venue, me)
    response = bearer_client(me).post(
        reverse("api-booking-cancel", kwargs={"ref": booking.external_ref}), {"reason": "x" * 301}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()


def test_the_booking_list_costs_the_same_queries_for_one_or_many_bookings(venue, me, django_assert_max_num_queries):
    api = bearer_client(me)
    _book(venue, me)
    with django_assert_max_num_queries(6) as one:
        api.get(reverse("api-bookings"))
    for days in range(3, 13):
        _book(venue, me, days=days)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert api.get(reverse("api-bookings")).json()["count"] == 11
