"""The command layer for negotiated bookings, and the defects it closes.

Each defect test here failed on the code before the command layer: the admin's Confirm
skipped the diary and the guest's agent, the concierge's cancel committed the
cancellation and its envelope separately, and the admin form moved a booking with a
plain save.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from agents.models import A2AEnvelope
from agents.services import agent_register_for_venue, envelope_record
from agents.tests.test_venue_agent import at, days_ahead, held, make_test_venue
from agnt.llm.types import ToolContext
from bookings.models import VenueBooking
from bookings.services import BookingError
from messaging.models import Interaction, UserChannel
from messaging.tools.registry import execute_tool
from venues.tests.factories import make_booking

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

CHANGELIST = "admin:bookings_venuebooking_changelist"


@pytest.fixture
def guest(django_user_model):
    user = django_user_model.objects.create_user(username="ayu", password="x", display_name="Ayu")
    UserChannel.objects.create(user=user, platform="telegram", external_id="777", last_inbound_at=timezone.now())
    return user


def _remote_request(venue, start, *, envelope_id: str = "r" * 32) -> VenueBooking:
    """A remote consumer agent asks for a table; the venue's owner must approve it."""
    agent = agent_register_for_venue(venue=venue)
    agent.policies = {**agent.policies, "auto_accept": False}
    agent.save()
    envelope, _ = envelope_record(
        envelope_id=envelope_id,
        intent="booking.request",
        direction="inbound",
        from_agent_id="consumer-remote-7",
        to_agent_id=agent.agent_id,
        payload={"party_size": 2, "slot_start": start.isoformat(), "contact_name": "Remote Guest"},
    )
    from agents.booking.venue_agent import venue_agent_handle_request

    venue_agent_handle_request(envelope=envelope)
    return VenueBooking.objects.get(venue=venue, contact_name="Remote Guest")


# --------------------------------------------------------------------------- defect (a): the admin's Confirm


def test_the_admins_confirm_tells_the_remote_guests_agent(staff_client, django_capture_on_commit_callbacks):
    venue = make_test_venue()
    booking = _remote_request(venue, at(days_ahead(2), "19:00"))
    assert booking.status == "pending_owner"
    response = staff_client.post(
        reverse(CHANGELIST), {"action": "confirm", "_selected_action": [str(booking.pk)]}, follow=True
    )
    assert "Confirmed 1 booking(s)" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    answer = A2AEnvelope.objects.get(booking=booking, intent="booking.accepted")
    assert answer.to_agent_id == "consumer-remote-7" and answer.correlation_id == "r" * 32


def test_the_admins_confirm_refuses_a_time_the_diary_does_not_allow(staff_client):
    venue = make_test_venue()  # open 18:00–22:00
    night = held(venue, at(days_ahead(2), "03:00"), 2, status="requested")
    response = staff_client.post(reverse(CHANGELIST), {"action": "confirm", "_selected_action": [str(night.pk)]})
    night.refresh_from_db()
    assert night.status == "requested"
    assert not night.events.filter(to_status="confirmed").exists()
    full = make_test_venue(city_name=f"Ubud {night.pk.hex[:6]}", slug=f"full-{night.pk.hex[:6]}")
    held(full, at(days_ahead(2), "19:00"), 10)
    squeezed = held(full, at(days_ahead(2), "19:00"), 4, status="requested")
    response = staff_client.post(
        reverse(CHANGELIST), {"action": "confirm", "_selected_action": [str(squeezed.pk)]}, follow=True
    )
    squeezed.refresh_from_db()
    assert squeezed.status == "requested"
    assert "Refused 1" in response.content.decode()


# --------------------------------------------------------------------------- defect (b): the concierge's cancel


@pytest.mark.django_db(transaction=True)
def test_the_concierges_cancel_and_its_envelope_commit_together(django_user_model):
    """In production the tool runs in a worker thread under autocommit: if telling the venue
    fails, the cancellation must not stay committed on its own (the venue would keep the table)."""
    venue = make_test_venue(slug=f"tanah-{timezone.now().strftime('%f')}")
    user = django_user_model.objects.create_user(username="cancel-guest", password="x")
    booking = make_booking(venue=venue, status="confirmed", user=user, hours_ahead=48)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE OR REPLACE FUNCTION test_refuse_cancel_envelope() RETURNS trigger AS $$
            BEGIN
                IF NEW.intent = 'booking.cancel' AND NEW.payload->>'reason' = 'gateway fault drill' THEN
                    RAISE EXCEPTION 'the outbox is down';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER test_refuse_cancel_envelope BEFORE INSERT ON agents_a2aenvelope
                FOR EACH ROW EXECUTE FUNCTION test_refuse_cancel_envelope();
            """
        )
    try:
        ctx = ToolContext(user=user, platform="telegram", now=timezone.now())
        result = execute_tool(
            "cancel_booking", {"reference": booking.external_ref, "reason": "gateway fault drill"}, ctx
        )
        assert result.is_error
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER IF EXISTS test_refuse_cancel_envelope ON agents_a2aenvelope;"
                "DROP FUNCTION IF EXISTS test_refuse_cancel_envelope();"
            )
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert not booking.events.filter(to_status="cancelled").exists()

    result = execute_tool("cancel_booking", {"reference": booking.external_ref, "reason": "plans changed"}, ctx)
    assert not result.is_error
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert A2AEnvelope.objects.filter(booking=booking, intent="booking.cancel").count() == 1


# --------------------------------------------------------------------------- defect (c): moving in the admin form


def _change_form_data(client, booking, **changes) -> dict:
    page = client.get(reverse("admin:bookings_venuebooking_change", args=[booking.pk]))
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name in ("slot_start", "slot_end"):
            local = timezone.localtime(value)
            data[f"{name}_0"], data[f"{name}_1"] = local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
        elif value is None:
            data[name] = ""
        elif name == "counter_offer_slots":
            data[name] = "[]"
        elif hasattr(value, "pk"):
            data[name] = value.pk
        else:
            data[name] = value
    for name, value in changes.items():
        local = timezone.localtime(value)
        data[f"{name}_0"], data[f"{name}_1"] = local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
    data["events-TOTAL_FORMS"] = data["events-INITIAL_FORMS"] = page.context["inline_admin_formsets"][
        0
    ].formset.initial_form_count()
    return data


def test_moving_a_booking_to_a_closed_hour_in_the_admin_is_refused_on_the_form(staff_client, guest):
    venue = make_test_venue()
    start = at(days_ahead(2), "19:00")
    booking = held(venue, start, 2)
    VenueBooking.objects.filter(pk=booking.pk).update(user=guest)
    night = at(days_ahead(2), "03:00")
    data = _change_form_data(staff_client, booking, slot_start=night, slot_end=night + timedelta(hours=2))
    response = staff_client.post(reverse("admin:bookings_venuebooking_change", args=[booking.pk]), data)
    assert response.status_code == 200, "the form must refuse the move"
    errors = response.context["adminform"].form.non_field_errors()
    assert errors and "diary does not allow the new time" in errors[0] and "03:00" in errors[0]
    booking.refresh_from_db()
    assert booking.slot_start == start


def test_moving_a_booking_in_the_admin_goes_through_the_diary_and_tells_the_guest(
    staff_client, guest, django_capture_on_commit_callbacks
):
    venue = make_test_venue()
    start = at(days_ahead(2), "19:00")
    booking = held(venue, start, 2)
    VenueBooking.objects.filter(pk=booking.pk).update(user=guest)
    later = at(days_ahead(2), "20:00")
    data = _change_form_data(staff_client, booking, slot_start=later, slot_end=later + timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:bookings_venuebooking_change", args=[booking.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    booking.refresh_from_db()
    assert booking.slot_start == later and booking.status == "confirmed"
    moved = booking.events.get(data__kind="moved")
    assert datetime.fromisoformat(moved.data["from"]) == start
    assert datetime.fromisoformat(moved.data["to"]) == later
    told = Interaction.objects.filter(channel__user=guest, direction="outbound").values_list("text", flat=True)
    assert any("20:00" in text and booking.external_ref in text for text in told)


# --------------------------------------------------------------------------- the commands themselves


def test_a_move_the_diary_refuses_raises_and_changes_nothing(guest):
    venue = make_test_venue()
    start = at(days_ahead(2), "19:00")
    booking = held(venue, start, 2)
    held(venue, at(days_ahead(2), "20:00"), 10)
    with pytest.raises(BookingError, match="can't take 2 at 20:00"):
        from agents.booking import commands

        commands.booking_move(booking=booking, slot_start=at(days_ahead(2), "20:00"), actor=None, actor_kind="staff")
    booking.refresh_from_db()
    assert booking.slot_start == start


def test_a_phone_booking_is_confirmed_when_the_diary_allows_it_and_refused_otherwise(staff_user):
    from agents.booking import commands

    venue = make_test_venue()
    booking = commands.booking_phone_take(
        venue=venue, party_size=4, slot_start=at(days_ahead(2), "19:00"), contact_name="Pak Made", actor=staff_user
    )
    assert booking.status == "confirmed" and booking.source == "admin"
    assert [(e.to_status, e.actor_kind) for e in booking.events.order_by("created_at")] == [
        ("requested", "staff"),
        ("confirmed", "staff"),
    ]
    assert not A2AEnvelope.objects.filter(booking=booking).exists()  # no agent asked for it
    with pytest.raises(BookingError, match="Free instead"):
        commands.booking_phone_take(
            venue=venue, party_size=2, slot_start=at(days_ahead(2), "03:00"), contact_name="Night owl"
        )
    assert not VenueBooking.objects.filter(contact_name="Night owl").exists()


def test_the_venue_counters_with_free_times_and_the_remote_guests_agent_hears_them():
    from agents.booking import commands

    venue = make_test_venue()
    booking = _remote_request(venue, at(days_ahead(2), "19:00"))
    taken = at(days_ahead(2), "18:00")
    held(venue, taken, 10)
    with pytest.raises(BookingError, match="is not free"):
        commands.booking_venue_counter(booking=booking, slots=[taken], actor_kind="owner")
    offered = [at(days_ahead(2), "20:00")]
    commands.booking_venue_counter(booking=booking, slots=offered, actor_kind="owner")
    booking.refresh_from_db()
    assert booking.status == "counter_offered" and booking.counter_offer_slots == [offered[0].isoformat()]
    answer = A2AEnvelope.objects.get(booking=booking, intent="booking.counter_offer")
    assert answer.to_agent_id == "consumer-remote-7" and answer.payload["slots"] == [offered[0].isoformat()]


def test_a_command_cannot_be_nested_inside_another_transaction(guest):
    from django.db import transaction

    from agents.booking import commands

    venue = make_test_venue()
    booking = held(venue, at(days_ahead(2), "19:00"), 2)
    VenueBooking.objects.filter(pk=booking.pk).update(user=guest)
    booking.refresh_from_db()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        commands.booking_guest_cancel(booking=booking, user=guest)
