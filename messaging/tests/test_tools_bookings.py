"""Booking tools through the executor: the confirmation flow, cancel, list, reminders."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from agents.models import A2AEnvelope
from agnt.llm.types import ToolContext
from bookings.models import Reminder, VenueBooking
from messaging.tools.confirmation import pending_action_get
from messaging.tools.registry import execute_tool
from venues.tests.factories import make_booking, make_city, make_venue

pytestmark = pytest.mark.clock

BALI = ZoneInfo("Asia/Makassar")
HOURS = {day: [["12:00", "23:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def venue(db):
    # a city name of its own: other test runs share the database and may commit a "Canggu"
    tag = uuid.uuid4().hex[:6]
    city = make_city(name=f"Canggu {tag}", slug=f"canggu-{tag}", timezone="Asia/Makassar")
    return make_venue(
        city=city,
        name="Tanah Ember",
        slug="tanah-ember",
        area="Berawa",
        opening_hours=HOURS,
        max_party_size=8,
        capacity=40,
        covers_per_slot=10,
        booking_lead_minutes=60,
        booking_window_days=60,
        deposit_required=False,
    )


@pytest.fixture
def ctx(db, django_user_model):
    user = django_user_model.objects.create_user(username="guest", password="x", display_name="Ayu", phone="+62811")
    return ToolContext(user=user, platform="telegram", now=timezone.now())


def day_ahead(days: int = 3) -> str:
    return (timezone.now().astimezone(BALI) + timedelta(days=days)).date().isoformat()


def booking_args(**overrides) -> dict:
    return {
        "venue": "tanah ember",
        "date": day_ahead(),
        "time": "19:00",
        "party_size": 4,
        "special_requests": "birthday",
        **overrides,
    }


def test_create_booking_without_confirmation_books_nothing_and_asks(venue, ctx):
    result = execute_tool("create_booking", booking_args(), ctx)
    assert not result.is_error, result.content
    assert result.content["status"] == "needs_confirmation"
    assert "Tanah Ember" in result.content["summary"] and "19:00" in result.content["summary"]
    assert VenueBooking.objects.count() == 0
    pending = pending_action_get(user=ctx.user)
    assert pending["id"] == result.content["confirmation_id"] and pending["tool"] == "create_booking"
    assert pending["arguments"]["venue"] == "tanah-ember"


def test_a_confirmation_id_without_the_users_yes_books_nothing(venue, ctx):
    first = execute_tool("create_booking", booking_args(), ctx).content
    # The model passes the id, but the user never confirmed (ctx.confirmed_action is None).
    second = execute_tool("create_booking", booking_args(confirmation_id=first["confirmation_id"]), ctx)
    assert second.content["status"] == "needs_confirmation"
    assert VenueBooking.objects.count() == 0


def test_a_wrong_confirmation_id_books_nothing(venue, ctx):
    first = execute_tool("create_booking", booking_args(), ctx).content
    ctx.confirmed_action = pending_action_get(user=ctx.user)
    result = execute_tool("create_booking", booking_args(confirmation_id="cf_forged"), ctx)
    assert result.content["status"] == "needs_confirmation"
    assert VenueBooking.objects.count() == 0
    assert first["confirmation_id"] != result.content["confirmation_id"]


def test_confirmed_booking_uses_the_stored_arguments_and_clears_the_pending_action(venue, ctx):
    first = execute_tool("create_booking", booking_args(), ctx).content
    ctx.confirmed_action = pending_action_get(user=ctx.user)
    # The model tries to change the party size on the way: the stored request wins.
    result = execute_tool(
        "create_booking", booking_args(party_size=8, time="21:00", confirmation_id=first["confirmation_id"]), ctx
    )
    assert not result.is_error, result.content
    assert result.content["status"] == "requested" and result.content["reference"].startswith("AG-")
    assert "not confirmed yet" in result.content["note"] and "Tanah Ember's booking agent" in result.content["note"]
    booking = VenueBooking.objects.get()
    assert booking.party_size == 4 and booking.user == ctx.user and booking.source == "telegram"
    assert booking.slot_start.astimezone(BALI).strftime("%H:%M") == "19:00"
    assert booking.special_requests == "birthday" and booking.contact_name == "Ayu"
    assert pending_action_get(user=ctx.user) is None
    # Replaying the same confirmation books nothing more.
    again = execute_tool("create_booking", booking_args(confirmation_id=first["confirmation_id"]), ctx)
    assert again.is_error and VenueBooking.objects.count() == 1
    # the request went to the venue's agent as one signed envelope (sent once the turn commits)
    request = A2AEnvelope.objects.get(booking=booking)
    assert (request.intent, request.to_agent_id) == ("booking.request", "venue-tanah-ember")
    assert request.from_agent_id == ctx.user.agent.agent_id


def test_a_confirmed_request_is_decided_by_the_venue_agent_once_the_turn_commits(
    venue, ctx, django_capture_on_commit_callbacks
):
    first = execute_tool("create_booking", booking_args(), ctx).content
    ctx.confirmed_action = pending_action_get(user=ctx.user)
    with django_capture_on_commit_callbacks(execute=True):
        result = execute_tool("create_booking", booking_args(confirmation_id=first["confirmation_id"]), ctx)
    assert result.content["status"] == "requested"  # what the tool saw; the answer came after commit
    booking = VenueBooking.objects.get()
    assert booking.status == "confirmed"
    assert sorted(A2AEnvelope.objects.filter(booking=booking).values_list("intent", "status")) == [
        ("booking.accepted", "processed"),
        ("booking.request", "processed"),
    ]


def test_a_confirmation_for_another_tool_does_not_book(venue, ctx):
    first = execute_tool("create_booking", booking_args(), ctx).content
    action = pending_action_get(user=ctx.user)
    ctx.confirmed_action = {**action, "tool": "transport_book"}
    execute_tool("create_booking", booking_args(confirmation_id=first["confirmation_id"]), ctx)
    assert VenueBooking.objects.count() == 0


def test_a_time_the_diary_cannot_take_is_refused_with_alternatives(venue, ctx):
    result = execute_tool("create_booking", booking_args(time="09:00"), ctx)
    assert result.is_error and "alternatives" in result.content and "12:00" in result.content["alternatives"]
    result = execute_tool("create_booking", booking_args(party_size=12), ctx)
    assert result.is_error and "up to 8" in result.content["error"]
    assert pending_action_get(user=ctx.user) is None


def test_unknown_venue_lists_close_matches(venue, ctx):
    result = execute_tool("create_booking", booking_args(venue="Tanah Embr"), ctx)
    # One close match is accepted as the venue.
    assert not result.is_error
    result = execute_tool("venue_details", {"venue": "Nowhere Grill"}, ctx)
    assert result.is_error and "no venue called 'Nowhere Grill'" in result.content["error"]


def test_cancel_only_the_users_own_booking(venue, ctx, django_user_model):
    mine = make_booking(venue=venue, user=ctx.user, hours_ahead=72)
    other = django_user_model.objects.create_user(username="other", password="x")
    theirs = make_booking(venue=venue, user=other, hours_ahead=72)
    result = execute_tool("cancel_booking", {"reference": theirs.external_ref}, ctx)
    assert result.is_error and "no booking" in result.content["error"]
    theirs.refresh_from_db()
    assert theirs.status == "requested"
    result = execute_tool("cancel_booking", {"reference": mine.external_ref.lower().replace("ag-", "")}, ctx)
    assert not result.is_error and result.content["status"] == "cancelled"
    mine.refresh_from_db()
    assert mine.status == "cancelled"
    # the venue's agent is told, so its diary frees the table
    told = A2AEnvelope.objects.get(booking=mine)
    assert told.intent == "booking.cancel" and told.payload["booking_ref"] == mine.external_ref
    assert not A2AEnvelope.objects.filter(booking=theirs).exists()
    result = execute_tool("cancel_booking", {"reference": mine.external_ref}, ctx)
    assert result.is_error and "cannot be cancelled" in result.content["error"]


def test_list_my_bookings_shows_only_mine(venue, ctx, django_user_model):
    make_booking(venue=venue, user=ctx.user, hours_ahead=48)
    make_booking(venue=venue, user=ctx.user, hours_ahead=-48, status="confirmed")
    make_booking(venue=venue, user=django_user_model.objects.create_user(username="o", password="x"), hours_ahead=24)
    result = execute_tool("list_my_bookings", {}, ctx).content
    assert result["count"] == 1 and result["upcoming"][0]["venue"] == "Tanah Ember"
    assert "past" not in result
    assert len(execute_tool("list_my_bookings", {"include_past": True}, ctx).content["past"]) == 1


def test_set_reminder_reads_naive_times_in_the_users_timezone(ctx):
    due_local = (timezone.now().astimezone(BALI) + timedelta(days=1)).replace(
        hour=18, minute=0, second=0, microsecond=0
    )
    result = execute_tool("set_reminder", {"text": "call mum", "due_at": due_local.strftime("%Y-%m-%dT%H:%M")}, ctx)
    assert not result.is_error, result.content
    reminder = Reminder.objects.get()
    assert reminder.due_at == due_local and reminder.channel == "telegram" and reminder.user == ctx.user
    past = execute_tool("set_reminder", {"text": "x", "due_at": "2020-01-01T10:00"}, ctx)
    assert past.is_error and "not in the future" in past.content["error"]
    bad = execute_tool("set_reminder", {"text": "x", "due_at": "tomorrow-ish"}, ctx)
    assert bad.is_error and "due_at" in bad.content["error"]


def test_web_chat_reminders_go_to_the_users_last_channel(ctx):
    from messaging.models import UserChannel

    UserChannel.objects.create(user=ctx.user, platform="whatsapp", external_id="628111")
    ctx.platform = "web"
    due = (datetime.now(BALI) + timedelta(hours=3)).isoformat()
    assert not execute_tool("set_reminder", {"text": "leave", "due_at": due}, ctx).is_error
    assert Reminder.objects.get().channel == "whatsapp"
