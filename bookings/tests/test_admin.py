"""The bookings back office: owner scoping, actions that call the services, no courier confirmation."""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from bookings.models import BookingRating, Reminder, TransportBooking, VenueBooking
from venues.tests.factories import make_booking, make_city, make_owner, make_venue

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:bookings_venuebooking_changelist"
BALI = ZoneInfo("Asia/Makassar")


@pytest.fixture
def scene():
    # Mine is open every evening, and its booking sits in the diary's grid: a confirmation
    # by hand goes through the diary like any other.
    tag = uuid.uuid4().hex[:6]
    city = make_city(name=f"Canggu {tag}", slug=f"canggu-{tag}", timezone="Asia/Makassar")
    evenings = {day: [["12:00", "23:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    mine = make_venue(name="Warung Mine", city=city, opening_hours=evenings, max_party_size=8)
    theirs = make_venue(name="Beach Club Theirs")
    day = (timezone.now().astimezone(BALI) + timedelta(days=2)).date()
    start = datetime(day.year, day.month, day.day, 19, 0, tzinfo=BALI)
    my_booking = baker.make(
        VenueBooking,
        venue=mine,
        status="requested",
        party_size=2,
        slot_start=start,
        slot_end=start + timedelta(hours=2),
        external_ref="AG-MINE22",
    )
    return {
        "mine": mine,
        "theirs": theirs,
        "my_booking": my_booking,
        "their_booking": make_booking(venue=theirs, external_ref="AG-THRS33"),
        "owner": make_owner(mine),
    }


@pytest.fixture
def owner_client(client, scene):
    client.force_login(scene["owner"])
    return client


def _change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _act(client, action, *objs, url=CHANGELIST):
    return client.post(reverse(url), {"action": action, "_selected_action": [str(o.pk) for o in objs]}, follow=True)


def test_an_owner_sees_only_their_venues_bookings(owner_client):
    response = owner_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    html = response.content.decode()
    assert "AG-MINE22" in html and "AG-THRS33" not in html


def test_an_owner_gets_a_404_for_another_venues_booking(owner_client, scene):
    assert owner_client.get(_change_url(scene["their_booking"])).status_code == 404
    assert owner_client.get(_change_url(scene["my_booking"])).status_code == 200


def test_an_owner_cannot_act_on_another_venues_booking_by_forging_the_selection(owner_client, scene):
    _act(owner_client, "confirm", scene["their_booking"])
    scene["their_booking"].refresh_from_db()
    assert scene["their_booking"].status == "requested"


def test_an_owner_confirms_their_booking_and_the_event_names_them(owner_client, scene):
    response = _act(owner_client, "confirm", scene["my_booking"])
    assert "Confirmed 1 booking(s): AG-MINE22" in response.content.decode()
    booking = scene["my_booking"]
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    event = booking.events.get(to_status="confirmed")
    assert (event.actor, event.actor_kind) == (scene["owner"], "owner")


def test_an_owner_can_keep_a_note_but_not_move_the_booking(owner_client, scene):
    booking = scene["my_booking"]
    form = owner_client.get(_change_url(booking)).context["adminform"].form
    assert set(form.fields) == {"venue_notes"}


def test_an_action_reports_successes_and_refusals_per_booking(staff_client, scene):
    done = make_booking(venue=scene["mine"], status="completed", external_ref="AG-DONE44")
    response = _act(staff_client, "cancel", scene["my_booking"], done)
    html = response.content.decode()
    assert "Cancelled 1 booking(s): AG-MINE22" in html
    assert "AG-DONE44: booking AG-DONE44 cannot move from completed to cancelled" in html
    scene["my_booking"].refresh_from_db()
    assert scene["my_booking"].status == "cancelled"
    assert scene["my_booking"].events.get(to_status="cancelled").actor_kind == "staff"


def test_completed_and_no_show_actions_call_the_services(staff_client, scene):
    past = make_booking(venue=scene["mine"], status="confirmed", hours_ahead=-3, external_ref="AG-PAST55")
    past2 = make_booking(venue=scene["mine"], status="confirmed", hours_ahead=-3, external_ref="AG-PAST66")
    _act(staff_client, "mark_completed", past)
    _act(staff_client, "mark_no_show", past2)
    past.refresh_from_db()
    past2.refresh_from_db()
    assert (past.status, past2.status) == ("completed", "no_show")
    assert past.completed_at is not None


def test_a_booking_added_in_the_back_office_goes_through_the_service(staff_client, scene, staff_user):
    day = (timezone.localtime() + timedelta(days=2)).date()  # an evening seating, whatever the hour now
    response = staff_client.post(
        reverse("admin:bookings_venuebooking_add"),
        {
            "venue": scene["mine"].pk,
            "source": "admin",
            "party_size": 4,
            "slot_start_0": day.isoformat(),
            "slot_start_1": "19:00:00",
            "slot_end_0": day.isoformat(),
            "slot_end_1": "21:00:00",
            "contact_name": "Phone guest",
            "counter_offer_slots": "[]",
            "currency": "IDR",
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    booking = VenueBooking.objects.get(contact_name="Phone guest")
    assert booking.external_ref.startswith("AG-") and booking.status == "requested"
    event = booking.events.get()
    assert (event.actor, event.actor_kind) == (staff_user, "staff")


def test_a_booking_the_venue_rules_refuse_shows_the_reason_on_the_form(staff_client, scene):
    start = timezone.now() + timedelta(days=2)
    response = staff_client.post(
        reverse("admin:bookings_venuebooking_add"),
        {
            "venue": scene["mine"].pk,
            "source": "admin",
            "party_size": 99,
            "slot_start_0": start.strftime("%Y-%m-%d"),
            "slot_start_1": "19:00:00",
            "slot_end_0": start.strftime("%Y-%m-%d"),
            "slot_end_1": "21:00:00",
            "counter_offer_slots": "[]",
            "currency": "IDR",
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "not 99" in response.content.decode()


def test_the_booking_list_costs_the_same_for_many_rows(staff_client, scene, django_assert_max_num_queries):
    with django_assert_max_num_queries(20) as few:
        staff_client.get(reverse(CHANGELIST))
    for _ in range(20):
        make_booking(venue=make_venue(), user=baker.make("agnt.User"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert staff_client.get(reverse(CHANGELIST)).status_code == 200


def test_the_transport_admin_offers_no_way_to_confirm_a_courier(staff_client, django_user_model):
    model_admin = admin.site._registry[TransportBooking]
    request = staff_client.get(reverse("admin:bookings_transportbooking_changelist")).wsgi_request
    assert set(model_admin.get_actions(request)) == {"cancel"}  # not even delete: it is a commercial record
    user = django_user_model.objects.create_user(username="rider", password="pw-rider-123!")
    transport = baker.make(
        TransportBooking,
        user=user,
        status="awaiting_confirmation",
        quote_expires_at=timezone.now() + timedelta(minutes=5),
        price_amount=Decimal("30000"),
        pickup_latitude=0,
        pickup_longitude=0,
        dropoff_latitude=0,
        dropoff_longitude=0,
        lalamove_order_id=None,
    )
    response = staff_client.get(_change_url(transport))
    assert response.status_code == 200
    assert response.context["adminform"].form.fields == {}
    response = _act(staff_client, "cancel", transport, url="admin:bookings_transportbooking_changelist")
    transport.refresh_from_db()
    assert transport.status == "cancelled" and transport.user_confirmed_at is None


def test_owner_replies_to_a_rating_of_their_venue(owner_client, scene):
    booking = make_booking(venue=scene["mine"], status="completed", hours_ahead=-4)
    rating = baker.make(BookingRating, booking=booking, venue=scene["mine"], score=4, comment="Nice")
    form = owner_client.get(_change_url(rating)).context["adminform"].form
    assert set(form.fields) == {"owner_reply"}
    response = owner_client.post(_change_url(rating), {"owner_reply": "Terima kasih!"})
    assert response.status_code == 302
    rating.refresh_from_db()
    assert rating.owner_reply == "Terima kasih!" and rating.owner_replied_at is not None


@pytest.mark.parametrize(
    "model_name",
    ["venuebooking", "bookingevent", "bookingrating", "reminder", "transportbooking", "transportevent"],
)
def test_every_bookings_changelist_and_change_page_renders_for_staff(staff_client, scene, model_name):
    from bookings import services

    user = baker.make("agnt.User")
    booking = make_booking(venue=scene["mine"], user=user, status="completed", hours_ahead=-5)
    services.booking_rate(booking=booking, user=user, score=5)
    services.reminder_create(user=user, text="hello", due_at=timezone.now() + timedelta(hours=1), booking=booking)
    services.transport_quote_record(
        user=user,
        quote_id="Q-1",
        quote_expires_at=timezone.now() + timedelta(minutes=5),
        price_amount=Decimal(20000),
        currency="IDR",
        service_type="car",
        pickup={"address": "a", "latitude": 0, "longitude": 0},
        dropoff={"address": "b", "latitude": 0, "longitude": 0},
    )
    cancelled = services.booking_cancel(booking=make_booking(venue=scene["mine"], user=user))
    response = staff_client.get(reverse(f"admin:bookings_{model_name}_changelist"))
    assert response.status_code == 200
    obj = {
        "venuebooking": booking,
        "bookingevent": cancelled.events.first(),
        "bookingrating": booking.rating,
        "reminder": Reminder.objects.first(),
        "transportbooking": TransportBooking.objects.first(),
        "transportevent": TransportBooking.objects.first().events.first(),
    }[model_name]
    assert staff_client.get(_change_url(obj)).status_code == 200


def _title(html: str) -> str:
    return html.split("<title>", 1)[1].split("</title>", 1)[0]


def test_the_booking_page_title_shows_the_time_on_the_venues_own_clock(staff_client):
    # A Jakarta venue (WIB, UTC+7) seen from a back office that runs on Bali time (UTC+8):
    # 19:30 at the venue is 12:30 UTC and 20:30 in Bali; only 19:30 is right.
    jakarta = make_city(name="Jakarta", slug="jakarta", timezone="Asia/Jakarta")
    venue = make_venue(name="Kopi Senayan", city=jakarta)
    start = datetime(2026, 12, 12, 19, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
    booking = make_booking(venue=venue, external_ref="AG-JKT777", party_size=4)
    VenueBooking.objects.filter(pk=booking.pk).update(slot_start=start, slot_end=start + timedelta(hours=2))

    html = staff_client.get(_change_url(booking)).content.decode()

    assert "AG-JKT777 · Kopi Senayan · Sat 12 Dec 2026, 19:30 WIB · 4 guests" in _title(html)
    assert "12:30" not in _title(html) and "20:30" not in _title(html)


def test_an_owner_reads_the_deposit_and_spend_as_rupiah_with_separators(owner_client, scene):
    VenueBooking.objects.filter(pk=scene["my_booking"].pk).update(
        deposit_amount=Decimal("250000.00"), spend_estimate=Decimal("1250000.00"), currency="IDR"
    )
    html = owner_client.get(_change_url(scene["my_booking"])).content.decode()
    assert "IDR 250,000" in html and "IDR 1,250,000" in html
    assert "250000.00" not in html and "1250000.00" not in html
