"""A booking negotiated end to end through the built-in gateway: request out, answer back.

Celery runs eagerly and the on-commit callbacks are executed, so each test runs the
real chain: envelope_dispatch → envelope_send → built-in gateway → push → inbox_receive
→ venue agent → reply → consumer agent → the guest's notification.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from agents.booking.flow import booking_cancel_send, booking_request_send
from agents.booking.venue_agent import Outcome, venue_agent_handle_request
from agents.models import A2AEnvelope
from agents.network.handlers import EnvelopeRejected, on_envelope_expired, on_envelope_undeliverable
from agents.services import agent_register_for_venue, envelope_record
from agents.tests.test_venue_agent import at, days_ahead, held, hhmm
from bookings.models import VenueBooking
from bookings.services import booking_cancel, booking_create
from messaging.models import Interaction, UserChannel
from venues.tests.factories import make_owner

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def guest(django_user_model):
    user = django_user_model.objects.create_user(username="ayu", password="x", display_name="Ayu")
    UserChannel.objects.create(user=user, platform="telegram", external_id="777", last_inbound_at=timezone.now())
    return user


def book(venue, guest, start, party=2, **kwargs) -> VenueBooking:
    booking = booking_create(venue=venue, user=guest, party_size=party, slot_start=start, source="telegram", **kwargs)
    booking_request_send(booking=booking)
    return booking


def envelopes(booking) -> list[tuple[str, str]]:
    return list(A2AEnvelope.objects.filter(booking=booking).order_by("created_at").values_list("intent", "status"))


def guest_messages(guest) -> list[str]:
    return list(
        Interaction.objects.filter(channel__user=guest, direction="outbound")
        .order_by("created_at")
        .values_list("text", flat=True)
    )


def test_a_request_the_diary_allows_comes_back_confirmed_and_the_guest_is_told_once(
    venue, guest, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(venue, guest, at(days_ahead(2), "19:00"), 4)
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert envelopes(booking) == [("booking.request", "processed"), ("booking.accepted", "processed")]
    request, answer = A2AEnvelope.objects.filter(booking=booking).order_by("created_at")
    assert request.from_agent_id == guest.agent.agent_id and request.to_agent_id == f"venue-{venue.slug}"
    assert request.payload["booking_ref"] == booking.external_ref and request.payload["party_size"] == 4
    assert answer.correlation_id == request.envelope_id and answer.to_agent_id == request.from_agent_id
    assert request.signature and answer.signature
    messages = guest_messages(guest)
    assert len(messages) == 1 and messages[0].startswith("✅ Confirmed") and booking.external_ref in messages[0]


def test_a_taken_time_comes_back_as_a_counter_offer_with_the_slots(venue, guest, django_capture_on_commit_callbacks):
    day = days_ahead(2)
    held(venue, at(day, "19:00"), 10)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(venue, guest, at(day, "19:00"), 2)
    booking.refresh_from_db()
    assert booking.status == "counter_offered"
    answer = A2AEnvelope.objects.get(booking=booking, intent="booking.counter_offer")
    assert answer.status == "processed"
    slots = [datetime.fromisoformat(slot) for slot in answer.payload["slots"]]
    assert hhmm(slots) == ["18:30", "19:30", "18:00"] and answer.payload["status"] == "counter_offered"
    assert "can't do" in guest_messages(guest)[0] and "18:30" in guest_messages(guest)[0]


def test_a_cancellation_reaches_the_venue_and_its_confirmation_changes_nothing_more(
    venue, guest, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(venue, guest, at(days_ahead(2), "19:00"))
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=guest, reason="plans changed")
        booking_cancel_send(booking=booking, reason="plans changed")
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.events.filter(to_status="cancelled").count() == 1
    assert envelopes(booking)[2:] == [("booking.cancel", "processed"), ("booking.cancelled", "processed")]
    # the guest cancelled in chat and was answered there: no extra notification
    assert len(guest_messages(guest)) == 1


def test_an_owner_approves_a_pending_request_from_the_admin_and_the_guest_is_confirmed(
    venue, guest, client, django_capture_on_commit_callbacks
):
    agent = agent_register_for_venue(venue=venue)
    agent.policies = {**agent.policies, "owner_approval_above_party_size": 6}
    agent.save()
    owner = make_owner(venue, email="owner@tanah.example")
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(venue, guest, at(days_ahead(2), "19:00"), 8)
    booking.refresh_from_db()
    assert booking.status == "pending_owner" and booking.owner_decision_deadline is not None
    assert envelopes(booking) == [("booking.request", "processed")]  # the answer waits for the owner
    assert "approve" in guest_messages(guest)[0]

    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:bookings_venuebooking_changelist"),
            {"action": "owner_approve", "_selected_action": [str(booking.pk)]},
            follow=True,
        )
    assert "Approved 1 booking(s)" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert booking.events.get(to_status="confirmed").actor == owner
    assert envelopes(booking)[-1] == ("booking.accepted", "processed")
    assert guest_messages(guest)[-1].startswith("✅ Confirmed")


def test_an_owner_declines_and_the_guest_gets_other_times(venue, guest, client, django_capture_on_commit_callbacks):
    agent = agent_register_for_venue(venue=venue)
    agent.policies = {**agent.policies, "auto_accept": False}
    agent.save()
    owner = make_owner(venue)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(venue, guest, at(days_ahead(2), "19:00"))
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:bookings_venuebooking_changelist"),
            {"action": "owner_decline", "_selected_action": [str(booking.pk)]},
        )
    booking.refresh_from_db()
    assert booking.status == "rejected" and "Free instead:" in booking.status_reason
    answer = A2AEnvelope.objects.get(booking=booking, intent="booking.rejected")
    assert answer.status == "processed" and len(answer.payload["alternatives"]) == 3
    assert "Sorry" in guest_messages(guest)[-1] and "Free instead" in guest_messages(guest)[-1]


def test_past_the_owners_deadline_the_request_is_declined_politely_with_alternatives(
    venue, guest, django_capture_on_commit_callbacks
):
    from agents.booking.jobs import owner_decision_deadlines

    agent = agent_register_for_venue(venue=venue)
    agent.policies = {**agent.policies, "auto_accept": False}
    agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(venue, guest, at(days_ahead(2), "19:00"))
    assert owner_decision_deadlines() == 0  # not due yet
    VenueBooking.objects.filter(pk=booking.pk).update(owner_decision_deadline=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_decision_deadlines() == 1
    booking.refresh_from_db()
    assert booking.status == "rejected" and "couldn't confirm your request in time" in booking.status_reason
    assert len(booking.counter_offer_slots) == 3
    assert booking.events.get(to_status="rejected").actor_kind == "venue_agent"
    answer = A2AEnvelope.objects.get(booking=booking, intent="booking.rejected")
    assert answer.status == "processed" and answer.payload["reason_code"] == "owner_declined"
    assert owner_decision_deadlines() == 0


def test_an_unreachable_venue_is_reported_to_the_guest_once(venue, guest):
    booking = booking_create(
        venue=venue, user=guest, party_size=2, slot_start=at(days_ahead(2), "19:00"), source="telegram"
    )
    envelope = booking_request_send(booking=booking)
    on_envelope_undeliverable(envelope)
    on_envelope_undeliverable(envelope)
    messages = guest_messages(guest)
    assert len(messages) == 1 and "can't be reached right now" in messages[0] and booking.external_ref in messages[0]


def test_an_expired_request_lapses_with_alternatives_and_a_late_answer_is_refused(
    venue, guest, django_capture_on_commit_callbacks
):
    booking = booking_create(
        venue=venue, user=guest, party_size=2, slot_start=at(days_ahead(2), "19:00"), source="telegram"
    )
    envelope = booking_request_send(booking=booking)  # never sent: callbacks not run
    with django_capture_on_commit_callbacks(execute=True):
        on_envelope_expired(envelope)
    booking.refresh_from_db()
    assert booking.status == "expired" and len(booking.counter_offer_slots) == 3
    assert "did not answer in time" in booking.status_reason
    assert "lapsed" in guest_messages(guest)[-1]
    # the venue agent gets the request late: the booking is no longer its to decide
    assert venue_agent_handle_request(envelope=envelope).outcome == Outcome.NONE


def test_a_remote_agents_request_starts_a_booking_here_and_is_answered(venue):
    agent = agent_register_for_venue(venue=venue)
    start = at(days_ahead(2), "19:00")
    envelope, _ = envelope_record(
        envelope_id="a" * 32,
        intent="booking.request",
        direction="inbound",
        from_agent_id="consumer-remote-1",
        to_agent_id=agent.agent_id,
        payload={"party_size": 2, "slot_start": start.isoformat(), "contact_name": "Remote Guest"},
    )
    assert venue_agent_handle_request(envelope=envelope).outcome == Outcome.ACCEPT
    booking = VenueBooking.objects.get(venue=venue)
    assert booking.status == "confirmed" and booking.source == "a2a" and booking.contact_name == "Remote Guest"
    answer = A2AEnvelope.objects.get(intent="booking.accepted")
    assert answer.to_agent_id == "consumer-remote-1" and answer.correlation_id == "a" * 32
    assert answer.booking == booking and answer.status == "created"

    # another agent cannot act on that booking by naming its reference
    forged, _ = envelope_record(
        envelope_id="b" * 32,
        intent="booking.cancel",
        direction="inbound",
        from_agent_id="consumer-intruder",
        to_agent_id=agent.agent_id,
        payload={"booking_ref": booking.external_ref},
    )
    from agents.booking.venue_agent import venue_agent_handle_cancel

    with pytest.raises(EnvelopeRejected, match="belongs to another agent"):
        venue_agent_handle_cancel(envelope=forged)
    bad, _ = envelope_record(
        envelope_id="c" * 32,
        intent="booking.request",
        direction="inbound",
        from_agent_id="consumer-remote-1",
        to_agent_id=agent.agent_id,
        payload={"party_size": "two", "slot_start": start.isoformat()},
    )
    with pytest.raises(EnvelopeRejected, match="party_size"):
        venue_agent_handle_request(envelope=bad)


def test_a_venue_cancellation_from_the_admin_tells_the_guests_agent(
    venue, guest, client, django_capture_on_commit_callbacks
):
    owner = make_owner(venue)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(venue, guest, at(days_ahead(2), "19:00"))
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:bookings_venuebooking_changelist"),
            {"action": "cancel", "_selected_action": [str(booking.pk)]},
        )
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.status_reason == "Cancelled by the venue"
    assert envelopes(booking)[-1] == ("booking.cancelled", "processed")
    assert booking.events.filter(to_status="cancelled").count() == 1
    assert "was cancelled" in guest_messages(guest)[-1]


def test_an_api_booking_is_requested_by_the_platform_agent(venue, django_capture_on_commit_callbacks):
    from agents.network.registry import platform_agent

    with django_capture_on_commit_callbacks(execute=True):
        booking = book(venue, None, at(days_ahead(2), "19:00"))
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    request = A2AEnvelope.objects.get(booking=booking, intent="booking.request")
    assert request.from_agent_id == platform_agent().agent_id
    assert envelopes(booking)[-1] == ("booking.accepted", "processed")
