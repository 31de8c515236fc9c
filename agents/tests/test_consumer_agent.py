"""The consumer side checks each venue answer against the booking and its state machine."""

from __future__ import annotations

import uuid

import pytest

from agents.booking.consumer_agent import consumer_apply_response
from agents.network.handlers import HANDLERS, EnvelopeRejected
from agents.services import agent_register_for_user, agent_register_for_venue, envelope_record
from agents.tests.test_venue_agent import at, days_ahead, make_test_venue
from bookings.models import VenueBooking
from bookings.services import booking_create
from venues.tests.factories import make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(django_user_model):
    venue = make_test_venue()
    guest = django_user_model.objects.create_user(username="ayu", password="x")
    booking = booking_create(
        venue=venue, user=guest, party_size=2, slot_start=at(days_ahead(2), "19:00"), source="telegram"
    )
    return {
        "venue": venue,
        "booking": booking,
        "venue_agent": agent_register_for_venue(venue=venue),
        "consumer": agent_register_for_user(user=guest),
    }


def answer(scene, intent: str, *, payload: dict | None = None, from_agent_id: str = "", to_agent_id: str = ""):
    envelope, _ = envelope_record(
        envelope_id=uuid.uuid4().hex,
        intent=intent,
        direction="inbound",
        from_agent_id=from_agent_id or scene["venue_agent"].agent_id,
        to_agent_id=to_agent_id or scene["consumer"].agent_id,
        payload={"booking_ref": scene["booking"].external_ref, **(payload or {})},
    )
    return envelope


def status(scene) -> str:
    return VenueBooking.objects.get(pk=scene["booking"].pk).status


def test_a_remote_venues_acceptance_confirms_the_booking_here(scene):
    consumer_apply_response(envelope=answer(scene, "booking.accepted"))
    booking = VenueBooking.objects.get(pk=scene["booking"].pk)
    assert booking.status == "confirmed"
    event = booking.events.get(to_status="confirmed")
    assert event.actor_kind == "venue_agent" and event.data["from_agent_id"] == scene["venue_agent"].agent_id


def test_an_answer_the_booking_already_reflects_changes_nothing(scene):
    HANDLERS["booking.accepted"](answer(scene, "booking.accepted"))
    HANDLERS["booking.accepted"](answer(scene, "booking.accepted"))  # the local venue agent moved it first
    assert status(scene) == "confirmed"
    assert scene["booking"].events.filter(to_status="confirmed").count() == 1


def test_an_impossible_transition_is_rejected_and_the_booking_stays(scene):
    consumer_apply_response(envelope=answer(scene, "booking.accepted"))
    late_offer = answer(scene, "booking.counter_offer", payload={"slots": [at(days_ahead(2), "20:00").isoformat()]})
    with pytest.raises(EnvelopeRejected, match="cannot move from confirmed to counter_offered"):
        consumer_apply_response(envelope=late_offer)
    with pytest.raises(EnvelopeRejected, match="cannot move from confirmed to rejected"):
        consumer_apply_response(envelope=answer(scene, "booking.rejected", payload={"reason": "full"}))
    assert status(scene) == "confirmed"
    # a cancellation of a confirmed booking is a legal move
    consumer_apply_response(envelope=answer(scene, "booking.cancelled", payload={"reason": "kitchen fire"}))
    booking = VenueBooking.objects.get(pk=scene["booking"].pk)
    assert booking.status == "cancelled" and booking.status_reason == "kitchen fire"


def test_a_counter_offer_keeps_the_offered_slots_and_malformed_ones_are_refused(scene):
    with pytest.raises(EnvelopeRejected, match="not an ISO date-time"):
        consumer_apply_response(envelope=answer(scene, "booking.counter_offer", payload={"slots": ["at eight"]}))
    with pytest.raises(EnvelopeRejected, match="at least one slot"):
        consumer_apply_response(envelope=answer(scene, "booking.counter_offer", payload={"slots": []}))
    assert status(scene) == "requested"
    slots = [at(days_ahead(2), "20:00").isoformat(), at(days_ahead(2), "20:30").isoformat()]
    consumer_apply_response(envelope=answer(scene, "booking.counter_offer", payload={"slots": slots}))
    booking = VenueBooking.objects.get(pk=scene["booking"].pk)
    assert booking.status == "counter_offered" and booking.counter_offer_slots == slots


def test_an_answer_about_an_unknown_booking_is_rejected(scene):
    with pytest.raises(EnvelopeRejected, match="unknown booking AG-NOPE99"):
        consumer_apply_response(envelope=answer(scene, "booking.accepted", payload={"booking_ref": "AG-NOPE99"}))


def test_an_answer_from_another_venues_agent_is_rejected(scene):
    other = agent_register_for_venue(venue=make_venue(slug="elsewhere", name="Elsewhere"))
    with pytest.raises(EnvelopeRejected, match="is not the agent of the venue"):
        consumer_apply_response(envelope=answer(scene, "booking.accepted", from_agent_id=other.agent_id))
    assert status(scene) == "requested"


def test_an_answer_addressed_to_someone_elses_agent_is_rejected(scene, django_user_model):
    stranger = agent_register_for_user(user=django_user_model.objects.create_user(username="x", password="x"))
    with pytest.raises(EnvelopeRejected, match="does not belong to"):
        consumer_apply_response(envelope=answer(scene, "booking.accepted", to_agent_id=stranger.agent_id))
    assert status(scene) == "requested"
