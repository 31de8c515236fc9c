"""The venue agent's decisions against the diary, owner approval, and the race for the last table."""

from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connections
from django.utils import timezone
from model_bakery import baker

from agents.booking.venue_agent import (
    Outcome,
    OwnerDecisionError,
    owner_approve,
    owner_decision_lapse,
    venue_agent_decide,
    venue_policy,
)
from agents.models import Agent
from agents.services import agent_register_for_venue
from bookings.availability import Unavailable, slot_is_free
from bookings.models import BookingEvent, VenueBooking
from bookings.services import booking_create, booking_generate_external_ref
from messaging.models import Interaction, UserChannel
from venues.tests.factories import make_city, make_owner, make_venue

pytestmark = pytest.mark.clock

BALI = ZoneInfo("Asia/Makassar")
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def days_ahead(n: int) -> date:
    return (timezone.now().astimezone(BALI) + timedelta(days=n)).date()


def at(day: date, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=BALI)


def hhmm(slots) -> list[str]:
    return [slot.astimezone(BALI).strftime("%H:%M") for slot in slots]


def make_test_venue(*, city_name: str = "", **overrides):
    rules = dict(
        name="Tanah Ember",
        slug="tanah-ember",
        opening_hours={day: [["18:00", "22:00"]] for day in WEEK},
        slot_minutes=30,
        booking_duration_minutes=120,
        covers_per_slot=10,
        capacity=20,
        min_party_size=1,
        max_party_size=8,
        booking_lead_minutes=60,
        booking_window_days=30,
        blackout_dates=[],
    )
    rules.update(overrides)
    # A name of its own: other test runs share this database and may commit a "Canggu".
    city_name = city_name or f"Canggu {uuid.uuid4().hex[:6]}"
    city = make_city(name=city_name, slug=city_name.lower().replace(" ", "-"), timezone="Asia/Makassar")
    return make_venue(city=city, **rules)


@pytest.fixture
def venue(db):
    return make_test_venue()


def request(venue, start: datetime, party: int = 2, **kwargs) -> VenueBooking:
    """A booking request through the real service (status requested)."""
    return booking_create(venue=venue, party_size=party, slot_start=start, source="api", **kwargs)


def held(venue, start: datetime, party: int, status: str = "confirmed", minutes: int = 120) -> VenueBooking:
    """A booking already in the diary, in any status."""
    return baker.make(
        VenueBooking,
        venue=venue,
        status=status,
        party_size=party,
        slot_start=start,
        slot_end=start + timedelta(minutes=minutes),
        external_ref=booking_generate_external_ref(),
    )


def decide(booking: VenueBooking):
    decision = venue_agent_decide(booking=booking)
    booking.refresh_from_db()
    return decision


# --------------------------------------------------------------------------- accept


def test_a_free_slot_within_the_rules_is_confirmed_by_the_venue_agent(venue):
    booking = request(venue, at(days_ahead(2), "19:00"), 4)
    decision = decide(booking)
    assert decision.outcome == Outcome.ACCEPT
    assert booking.status == "confirmed" and booking.confirmed_at is not None
    event = booking.events.get(to_status="confirmed")
    assert event.actor_kind == "venue_agent" and event.from_status == "requested"


def test_a_request_already_decided_is_left_alone(venue):
    booking = request(venue, at(days_ahead(2), "19:00"))
    decide(booking)
    assert decide(booking).outcome == Outcome.NONE
    assert booking.events.filter(to_status="confirmed").count() == 1


# --------------------------------------------------------------------------- pacing, capacity, overlap


def test_pacing_counts_guests_arriving_in_the_slot_and_counter_offers_the_nearest_free_slots(venue):
    day = days_ahead(2)
    held(venue, at(day, "19:00"), 4)
    held(venue, at(day, "19:10"), 4, minutes=60)  # arrives inside the 19:00 slot too
    booking = request(venue, at(day, "19:00"), 3)  # 8 + 3 arrivals > 10 covers
    decision = decide(booking)
    assert decision.outcome == Outcome.COUNTER_OFFER
    assert booking.status == "counter_offered"
    assert hhmm(decision.slots) == ["18:30", "19:30", "18:00"]  # nearest first, earlier wins a tie
    assert booking.counter_offer_slots == [slot.isoformat() for slot in decision.slots]
    assert "19:00" in decision.reason
    event = booking.events.get(to_status="counter_offered")
    assert event.actor_kind == "venue_agent" and len(event.data["slots"]) == 3
    # every offered slot really is free for this party
    for slot in decision.slots:
        assert slot_is_free(venue=venue, start=slot, party_size=3).slots


def test_capacity_counts_guests_still_seated_from_earlier_bookings(venue):
    day = days_ahead(2)
    held(venue, at(day, "18:00"), 8)  # seated 18:00–20:00
    held(venue, at(day, "18:30"), 8)  # seated 18:30–20:30: 16 of 20 seats taken at 19:00
    booking = request(venue, at(day, "19:00"), 5)
    decision = decide(booking)
    assert decision.outcome == Outcome.COUNTER_OFFER
    # 19:30 still has 16 seated; at 20:00 the first table has left (8 seated) and 5 fit
    assert hhmm(decision.slots) == ["20:00"]


def test_a_small_party_still_fits_beside_the_existing_bookings(venue):
    day = days_ahead(2)
    held(venue, at(day, "18:00"), 8)
    held(venue, at(day, "18:30"), 8)
    booking = request(venue, at(day, "19:00"), 4)
    assert decide(booking).outcome == Outcome.ACCEPT


def test_only_bookings_the_venue_gave_a_slot_to_hold_it_and_never_the_request_itself(venue):
    day = days_ahead(2)
    start = at(day, "19:00")
    # undecided requests, counter-offered and cancelled bookings do not take the table away
    held(venue, start, 8, status="requested")
    held(venue, start, 8, status="counter_offered")
    held(venue, start, 8, status="cancelled")
    booking = request(venue, start, 8)
    assert decide(booking).outcome == Outcome.ACCEPT
    # now the confirmed 8 plus a pending owner approval of 4 fill the 19:00 arrivals (10 covers)
    pending = held(venue, at(day, "19:10"), 2, status="pending_owner", minutes=60)
    assert pending
    late = request(venue, start, 1)
    assert decide(late).outcome == Outcome.COUNTER_OFFER


def test_a_day_with_no_room_at_all_is_declined_with_times_on_the_next_day(venue):
    day = days_ahead(2)
    for hour in ("18:00", "18:30", "19:00", "19:30", "20:00"):
        held(venue, at(day, hour), 10)
    booking = request(venue, at(day, "19:00"), 2)
    decision = decide(booking)
    assert decision.outcome == Outcome.REJECT and decision.reason_code == Unavailable.FULLY_BOOKED
    assert booking.status == "rejected" and "fully booked" in booking.status_reason
    assert [slot.astimezone(BALI).date() for slot in decision.slots] == [day + timedelta(days=1)] * 3
    assert hhmm(decision.slots) == ["19:00", "18:30", "19:30"]
    assert "Free instead:" in booking.status_reason and len(booking.counter_offer_slots) == 3


# --------------------------------------------------------------------------- hard rules


def test_party_size_limits_are_refused_outright(venue):
    start = at(days_ahead(2), "19:00")
    too_big = held(venue, start, 12, status="requested")  # e.g. the venue lowered its limit since
    decision = decide(too_big)
    assert decision.outcome == Outcome.REJECT and decision.reason_code == Unavailable.PARTY_TOO_LARGE
    assert too_big.status == "rejected" and "up to 8" in too_big.status_reason and decision.slots == []
    venue.min_party_size = 2
    venue.save()
    too_small = held(venue, start, 1, status="requested")
    assert decide(too_small).reason_code == Unavailable.PARTY_TOO_SMALL


def test_lead_time_refuses_a_table_too_soon_and_suggests_later_ones(db):
    venue = make_test_venue(opening_hours={day: [["00:00", "23:30"]] for day in WEEK}, booking_lead_minutes=180)
    soon = (timezone.now() + timedelta(minutes=90)).astimezone(BALI)
    soon = soon.replace(minute=0 if soon.minute < 30 else 30, second=0, microsecond=0)
    booking = request(venue, soon, 2)
    decision = decide(booking)
    assert decision.outcome == Outcome.REJECT and decision.reason_code == Unavailable.LEAD_TIME
    assert "3 hours ahead" in booking.status_reason
    earliest = timezone.now() + timedelta(minutes=180)
    assert all(slot >= earliest - timedelta(seconds=5) for slot in decision.slots)


def test_the_booking_window_refuses_requests_too_far_ahead(venue):
    booking = request(venue, at(days_ahead(31), "19:00"))
    decision = decide(booking)
    assert decision.reason_code == Unavailable.OUTSIDE_WINDOW and booking.status == "rejected"
    assert "30 days ahead" in booking.status_reason
    # the code and the venue's figures are kept with the answer, for the guest's own language
    event = booking.events.get(to_status="rejected")
    assert event.data["reason_code"] == Unavailable.OUTSIDE_WINDOW and event.data["reason_values"]["window_days"] == 30
    assert decide(request(venue, at(days_ahead(29), "19:00"))).outcome == Outcome.ACCEPT


def test_a_blackout_date_is_declined_with_the_next_days_times(venue):
    day = days_ahead(3)
    venue.blackout_dates = [day]
    venue.save()
    booking = request(venue, at(day, "19:00"))
    decision = decide(booking)
    assert decision.reason_code == Unavailable.BLACKOUT and booking.status == "rejected"
    assert {slot.astimezone(BALI).date() for slot in decision.slots} == {day + timedelta(days=1)}


def test_a_closed_day_is_declined_with_the_next_open_days_times(db):
    day = days_ahead(3)
    hours = {d: [["18:00", "22:00"]] for d in WEEK}
    hours[day.strftime("%a").lower()] = []
    venue = make_test_venue(opening_hours=hours)
    booking = request(venue, at(day, "19:00"))
    decision = decide(booking)
    assert decision.outcome == Outcome.REJECT and decision.reason_code == Unavailable.CLOSED
    assert "closed" in booking.status_reason
    assert {slot.astimezone(BALI).date() for slot in decision.slots} == {day + timedelta(days=1)}


def test_a_time_outside_opening_hours_on_an_open_day_gets_a_counter_offer(venue):
    booking = request(venue, at(days_ahead(2), "12:00"))
    decision = decide(booking)
    assert decision.outcome == Outcome.COUNTER_OFFER and hhmm(decision.slots) == ["18:00", "18:30", "19:00"]


# --------------------------------------------------------------------------- owner approval


def test_policy_defaults_survive_a_malformed_policy(venue):
    agent = agent_register_for_venue(venue=venue)
    agent.policies = {"auto_accept": True, "owner_approval_above_party_size": "six", "owner_decision_minutes": True}
    assert venue_policy(agent=agent).owner_approval_above_party_size is None
    assert venue_policy(agent=agent).owner_decision_minutes == 120
    agent.status = "paused"
    assert venue_policy(agent=agent).auto_accept is False


def _owner_policy(venue, **policies):
    agent = agent_register_for_venue(venue=venue)
    agent.policies = {**agent.policies, **policies}
    agent.save(update_fields=["policies"])
    return agent


def test_a_party_above_the_agents_limit_waits_for_the_owner_with_a_deadline_and_the_owner_is_told(
    venue, django_capture_on_commit_callbacks
):
    _owner_policy(venue, owner_approval_above_party_size=6, owner_decision_minutes=90)
    on_chat = make_owner(venue, username="ketut")
    channel = UserChannel.objects.create(
        user=on_chat, platform="telegram", external_id="5551", last_inbound_at=timezone.now()
    )
    make_owner(venue, username="made", email="made@tanah.example")
    muted = make_owner(venue, username="wayan", email="wayan@tanah.example")
    muted.venue_links.update(notify_on_booking=False)
    booking = request(venue, at(days_ahead(2), "19:00"), 8, contact_name="Ayu")
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(booking)
    assert decision.outcome == Outcome.PENDING_OWNER and "above 6" in decision.reason
    assert booking.status == "pending_owner"
    assert before + timedelta(minutes=89) < booking.owner_decision_deadline <= timezone.now() + timedelta(minutes=90)
    message = Interaction.objects.get(channel=channel, direction="outbound")
    assert booking.external_ref in message.text and "8 guests" in message.text and "Ayu" in message.text
    assert f"/admin/bookings/venuebooking/{booking.pk}/change/" in message.text
    assert [m.to for m in mail.outbox] == [["made@tanah.example"]]
    assert booking.external_ref in mail.outbox[0].subject


def test_the_owners_deadline_falls_before_a_visit_that_is_soon(venue):
    _owner_policy(venue, auto_accept=False)
    start = (timezone.now() + timedelta(hours=2)).astimezone(BALI)
    venue.opening_hours = {day: [["00:00", "23:30"]] for day in WEEK}
    venue.save()
    start = start.replace(minute=0 if start.minute < 30 else 30, second=0, microsecond=0)
    booking = request(venue, start, 2)
    assert decide(booking).outcome == Outcome.PENDING_OWNER
    assert booking.owner_decision_deadline == start - timedelta(minutes=30)


def test_a_flagged_special_request_goes_to_the_owner_unless_the_policy_says_not_to(venue):
    start = at(days_ahead(2), "19:00")
    flagged = request(venue, start, 2, special_requests="It's a private event for our wedding")
    assert decide(flagged).outcome == Outcome.PENDING_OWNER
    # words are matched whole: "adjacent" does not contain the flagged "dj"
    harmless = request(venue, start, 2, special_requests="Birthday, a table adjacent to the garden please")
    assert decide(harmless).outcome == Outcome.ACCEPT
    _owner_policy(venue, flag_special_requests=False)
    unflagged = request(venue, start, 2, special_requests="wedding dinner")
    assert decide(unflagged).outcome == Outcome.ACCEPT


def test_a_guest_with_recent_no_shows_waits_for_the_owner(venue, django_user_model):
    from bookings.models import GuestReliability

    guest = django_user_model.objects.create_user(username="flaky", password="x")
    GuestReliability.objects.create(user=guest, no_show_count=3, needs_owner_approval=True, computed_at=timezone.now())
    flagged = request(venue, at(days_ahead(2), "19:00"), 2, user=guest)
    decision = decide(flagged)
    assert decision.outcome == Outcome.PENDING_OWNER and "missed recent bookings" in decision.reason
    GuestReliability.objects.filter(user=guest).update(needs_owner_approval=False)
    assert decide(request(venue, at(days_ahead(2), "19:00"), 2, user=guest)).outcome == Outcome.ACCEPT


def test_a_pending_request_holds_its_slot_until_the_owner_answers(venue):
    _owner_policy(venue, owner_approval_above_party_size=6)
    day = days_ahead(2)
    big = request(venue, at(day, "19:00"), 8)
    assert decide(big).outcome == Outcome.PENDING_OWNER
    other = request(venue, at(day, "19:00"), 4)  # 8 + 4 arrivals > 10 covers
    assert decide(other).outcome == Outcome.COUNTER_OFFER


def test_owner_approval_refuses_a_slot_someone_filled_by_hand_meanwhile(venue):
    _owner_policy(venue, auto_accept=False)
    start = at(days_ahead(2), "19:00")
    booking = request(venue, start, 4)
    assert decide(booking).outcome == Outcome.PENDING_OWNER
    held(venue, start, 8)  # a walk-in party entered in the diary by staff: 12 arrivals > 10
    with pytest.raises(OwnerDecisionError, match="no longer free"):
        owner_approve(booking=booking)
    booking.refresh_from_db()
    assert booking.status == "pending_owner"


def test_owner_approval_refuses_a_booking_that_is_not_awaiting_it(venue):
    booking = request(venue, at(days_ahead(2), "19:00"))
    with pytest.raises(OwnerDecisionError):
        owner_approve(booking=booking)
    assert owner_decision_lapse(booking_id=booking.pk) is None


# --------------------------------------------------------------------------- the race for the last table


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_for_the_last_table_exactly_one_wins():
    # One slot a night (19:00–21:00) for four guests: two requests for four arrive at once.
    # Committed rows are visible to other test runs sharing this database: unique names.
    tag = uuid.uuid4().hex[:8]
    venue = make_test_venue(
        city_name=f"Race-{tag}",
        slug=f"last-table-{tag}",
        opening_hours={day: [["19:00", "21:00"]] for day in WEEK},
        capacity=4,
        covers_per_slot=4,
        max_party_size=4,
    )
    start = at(days_ahead(2), "19:00")
    first, second = request(venue, start, 4), request(venue, start, 4)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}
    errors: list[BaseException] = []

    def decide_in_thread(booking_id):
        try:
            barrier.wait(timeout=10)
            outcomes[str(booking_id)] = venue_agent_decide(
                booking=VenueBooking(pk=booking_id, venue_id=venue.pk)
            ).outcome
        except BaseException as exc:  # surfaced below; a thread must not swallow failures
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide_in_thread, args=(b.pk,)) for b in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors and not any(thread.is_alive() for thread in threads)
    assert sorted(outcomes.values()) == [Outcome.ACCEPT, Outcome.REJECT]
    statuses = sorted(VenueBooking.objects.filter(venue=venue).values_list("status", flat=True))
    assert statuses == ["confirmed", "rejected"]
    loser = VenueBooking.objects.get(venue=venue, status="rejected")
    assert "fully booked" in loser.status_reason
    assert BookingEvent.objects.filter(booking__venue=venue, to_status="confirmed").count() == 1
    assert Agent.objects.filter(venue=venue).count() == 1
