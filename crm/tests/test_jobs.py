"""The CRM's periodic jobs: guests who booked become contacts of that venue (with their
visits, no-shows, last visit and the allergies they told that venue), and stalled deals
are brought to their owner's attention once."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings.models import VenueBooking
from crm import services
from crm.allergies import allergies_in
from crm.models import ActivityKind, CrmActivity, CrmContact, CrmDeal, LifecycleStage
from crm.phones import phone_key
from crm.tasks import crm_contact_sync, stale_deal_reminders
from messaging.models import Notification, UserChannel
from messaging.tests.fakes import fake_telegram  # noqa: F401 (fixture)
from venues.tests.factories import make_booking, make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest(django_user_model):
    return django_user_model.objects.create_user(
        username="ayu", email="Ayu@Example.com", display_name="Ayu Lestari", phone="+62811000111"
    )


def _booking(*, venue, user, status, days_ago, special_requests="", **fields):
    booking = make_booking(venue=venue, user=user, status=status, special_requests=special_requests, **fields)
    start = timezone.now() - dt.timedelta(days=days_ago)
    VenueBooking.objects.filter(pk=booking.pk).update(slot_start=start, slot_end=start + dt.timedelta(hours=2))
    return VenueBooking.objects.get(pk=booking.pk)


def test_a_guest_who_booked_becomes_a_contact_with_visits_no_shows_and_last_visit(guest):
    warung = make_venue(name="Warung Biru")
    _booking(venue=warung, user=guest, status="completed", days_ago=30)
    latest = _booking(venue=warung, user=guest, status="completed", days_ago=3)
    _booking(venue=warung, user=guest, status="no_show", days_ago=10)
    _booking(venue=warung, user=guest, status="confirmed", days_ago=-2)  # still to come: not a visit

    assert crm_contact_sync.apply().get() == 1

    contact = CrmContact.objects.get(venue=warung, user=guest)
    assert (contact.full_name, contact.email, contact.source) == ("Ayu Lestari", "ayu@example.com", "booking")
    assert (contact.visits, contact.no_shows, contact.last_visit_at) == (2, 1, latest.slot_start)
    assert contact.lifecycle_stage == LifecycleStage.CUSTOMER


def test_allergies_reach_only_the_venue_the_guest_told(guest):
    told, other = make_venue(name="Told Here"), make_venue(name="Not Told")
    _booking(venue=told, user=guest, status="completed", days_ago=5, special_requests="Allergic to peanuts, thanks")
    _booking(venue=told, user=guest, status="requested", days_ago=-3, special_requests="Severe shellfish allergy.")
    _booking(venue=other, user=guest, status="completed", days_ago=4, special_requests="Window table please")

    services.crm_contacts_sync_from_bookings()

    assert CrmContact.objects.get(venue=told, user=guest).allergies == ["peanuts", "shellfish"]
    not_told = CrmContact.objects.get(venue=other, user=guest)
    assert not_told.allergies == [] and not_told.visits == 1


def test_the_sync_is_idempotent_keeps_the_venues_edits_and_follows_new_bookings(guest):
    venue = make_venue()
    _booking(venue=venue, user=guest, status="completed", days_ago=8)
    services.crm_contacts_sync_from_bookings()
    contact = CrmContact.objects.get(venue=venue, user=guest)
    contact.full_name, contact.tags, contact.lifecycle_stage = "Ayu (regular)", ["vip"], LifecycleStage.CHURNED
    contact.save()

    services.crm_contacts_sync_from_bookings()
    _booking(venue=venue, user=guest, status="no_show", days_ago=1)
    services.crm_contacts_sync_from_bookings()

    contact = CrmContact.objects.get(venue=venue, user=guest)  # still one contact
    assert (contact.full_name, contact.tags, contact.lifecycle_stage) == ("Ayu (regular)", ["vip"], "churned")
    assert (contact.visits, contact.no_shows) == (1, 1)
    assert CrmContact.objects.filter(venue=venue).count() == 1


def test_a_contact_the_venue_typed_in_with_the_guests_email_is_linked_not_doubled(guest):
    venue = make_venue()
    typed = services.crm_contact_create(venue=venue, full_name="Ibu Ayu", email="ayu@example.com")
    someone = services.crm_contact_create(venue=venue, full_name="Another", email="other@example.com")
    _booking(venue=venue, user=guest, status="completed", days_ago=2)

    services.crm_contacts_sync_from_bookings()

    typed.refresh_from_db()
    someone.refresh_from_db()
    assert (typed.user_id, typed.full_name, typed.visits) == (guest.pk, "Ibu Ayu", 1)
    assert someone.user_id is None
    assert CrmContact.objects.filter(venue=venue).count() == 2


def test_the_sync_is_set_based_its_queries_do_not_grow_with_the_guests(django_user_model):
    venue = make_venue()

    def sync_queries(guests: int) -> int:
        for n in range(guests):
            user = django_user_model.objects.create_user(username=f"g{guests}-{n}", email=f"g{guests}-{n}@ex.com")
            _booking(venue=venue, user=user, status="completed", days_ago=n + 1)
        with CaptureQueriesContext(connection) as queries:
            services.crm_contacts_sync_from_bookings()
        return len(queries)

    few, many = sync_queries(2), sync_queries(40)
    assert many == few
    assert CrmContact.objects.filter(venue=venue).count() == 42


def test_bookings_without_an_account_from_a_guest_channel_are_not_contacts(guest):
    venue = make_venue()
    make_booking(venue=venue, source="web", status="completed", contact_name="Web guest", contact_phone="+62812")
    assert services.crm_contacts_sync_from_bookings() == 0
    assert not CrmContact.objects.exists()


# --------------------------------------------------------------------------- walk-ins


def _walk_in(*, venue, phone, status="completed", days_ago=5, name="Pak Made", special_requests=""):
    """A booking the venue took itself (phone or walk-in): a name and a number, no account."""
    return _booking(
        venue=venue,
        user=None,
        status=status,
        days_ago=days_ago,
        special_requests=special_requests,
        source="admin",
        contact_name=name,
        contact_phone=phone,
    )


def test_a_phone_booking_taken_by_the_owner_makes_the_guest_a_contact_after_the_visit(staff_user):
    from agents.booking import commands
    from agents.tests.test_venue_agent import at, days_ahead, make_test_venue
    from bookings.services import booking_complete

    venue = make_test_venue()
    booking = commands.booking_phone_take(
        venue=venue,
        party_size=3,
        slot_start=at(days_ahead(2), "19:00"),
        contact_name="Pak Made",
        contact_phone="0812-3845-2210",
        special_requests="One of us is allergic to peanuts",
        actor=staff_user,
    )
    assert crm_contact_sync.apply().get() == 1
    contact = CrmContact.objects.get(venue=venue)
    assert (contact.full_name, contact.phone, contact.source, contact.user_id) == (
        "Pak Made",
        "0812-3845-2210",
        "walk_in",
        None,
    )
    assert (contact.visits, contact.lifecycle_stage, contact.allergies) == (0, LifecycleStage.LEAD, ["peanuts"])

    booking_complete(booking=booking)
    crm_contact_sync.apply().get()

    contact.refresh_from_db()
    assert (contact.visits, contact.last_visit_at) == (1, booking.slot_start)


def test_walk_ins_under_one_number_typed_two_ways_are_one_contact_and_each_visit_counts():
    venue = make_venue(name="Warung Biru")
    _walk_in(venue=venue, phone="0812-3845-2210", days_ago=40, name="Made")
    latest = _walk_in(venue=venue, phone="+62 812 3845 2210", days_ago=6, name="Pak Made Wirawan")
    _walk_in(venue=venue, phone="0812 38452210", status="no_show", days_ago=12, name="Pak Made Wirawan")
    _walk_in(venue=venue, phone="+62 813 0000 1111", days_ago=3, name="Bu Sari")

    assert services.crm_contacts_sync_from_bookings() == 2

    made = CrmContact.objects.get(venue=venue, full_name="Pak Made Wirawan")
    assert (made.visits, made.no_shows, made.last_visit_at) == (2, 1, latest.slot_start)
    assert (made.phone, made.source, made.lifecycle_stage) == ("0812 38452210", "walk_in", LifecycleStage.CUSTOMER)
    assert CrmContact.objects.get(venue=venue, full_name="Bu Sari").visits == 1
    assert CrmContact.objects.filter(venue=venue).count() == 2


def test_the_walk_in_sync_is_idempotent_keeps_the_venues_edits_and_follows_new_visits():
    venue = make_venue()
    _walk_in(venue=venue, phone="081238452210", days_ago=9)
    services.crm_contacts_sync_from_bookings()
    contact = CrmContact.objects.get(venue=venue)
    contact.full_name, contact.tags, contact.lifecycle_stage = "Made (regular)", ["vip"], LifecycleStage.CHURNED
    contact.save()

    assert services.crm_contacts_sync_from_walk_ins() == 0  # nothing changed: nothing written
    _walk_in(venue=venue, phone="+6281238452210", days_ago=2, name="Made", special_requests="Shellfish allergy")
    assert services.crm_contacts_sync_from_walk_ins() == 1

    contact = CrmContact.objects.get(venue=venue)  # still one contact
    assert (contact.full_name, contact.tags, contact.lifecycle_stage) == ("Made (regular)", ["vip"], "churned")
    assert (contact.visits, contact.allergies) == (2, ["shellfish"])


def test_a_contact_the_venue_typed_in_with_the_walk_ins_number_gets_the_visits():
    venue = make_venue()
    typed = services.crm_contact_create(venue=venue, full_name="Ibu Sari", phone="+62 813 0000 1111")
    _walk_in(venue=venue, phone="0813-0000-1111", name="Sari", days_ago=4)

    services.crm_contacts_sync_from_bookings()

    typed.refresh_from_db()
    assert (typed.full_name, typed.visits) == ("Ibu Sari", 1)
    assert CrmContact.objects.filter(venue=venue).count() == 1


def test_walk_in_numbers_are_matched_per_venue_and_unreadable_numbers_make_no_contact():
    one, other = make_venue(name="One"), make_venue(name="Other")
    _walk_in(venue=one, phone="0812-3845-2210", days_ago=3)
    _walk_in(venue=other, phone="0812-3845-2210", days_ago=2)
    _walk_in(venue=one, phone="12", name="Typo", days_ago=1)
    _walk_in(venue=one, phone="=cmd|' /C calc'!A0", name="Hostile", days_ago=1)

    assert services.crm_contacts_sync_from_bookings() == 2

    assert CrmContact.objects.get(venue=one).visits == 1
    assert CrmContact.objects.get(venue=other).visits == 1
    assert not CrmContact.objects.filter(full_name__in=["Typo", "Hostile"]).exists()


def test_a_walk_in_under_the_number_of_a_guest_with_an_account_is_not_doubled(guest):
    venue = make_venue()
    _booking(venue=venue, user=guest, status="completed", days_ago=20)  # the account gives +62811000111
    _walk_in(venue=venue, phone="0811-000-111", name="Ayu", days_ago=3)

    services.crm_contacts_sync_from_bookings()

    assert CrmContact.objects.filter(venue=venue).count() == 1
    assert CrmContact.objects.get(venue=venue).user_id == guest.pk


def test_the_walk_in_sync_queries_do_not_grow_with_the_guests():
    venue = make_venue()

    def sync_queries(guests: int) -> int:
        for n in range(guests):
            _walk_in(venue=venue, phone=f"+62 812 {guests:02d}{n:02d} 0000", days_ago=n + 1)
        with CaptureQueriesContext(connection) as queries:
            services.crm_contacts_sync_from_walk_ins()
        return len(queries)

    few, many = sync_queries(2), sync_queries(40)
    assert many == few
    assert CrmContact.objects.filter(venue=venue, source="walk_in").count() == 42


@pytest.mark.parametrize(
    ("raw", "region", "key"),
    [
        ("0812-3845-2210", "ID", "+6281238452210"),
        ("+62 812 3845 2210", "ID", "+6281238452210"),
        ("(0812) 3845 2210", "id", "+6281238452210"),
        ("+44 20 7946 0958", "ID", "+442079460958"),
        ("0812 3845 2210", "", "081238452210"),
        ("12", "ID", ""),
        ("", "ID", ""),
        ("not a number", "ID", ""),
        ("9" * 60, "ID", ""),
    ],
)
def test_a_phone_number_is_keyed_in_the_venues_country(raw, region, key):
    assert phone_key(raw, region=region) == key


@pytest.mark.parametrize(
    ("text", "allergens"),
    [
        ("Allergic to peanuts and shellfish, please no chili", ["peanuts", "shellfish"]),
        ("My son is lactose intolerant", ["lactose"]),
        ("allergy: gluten / dairy", ["gluten", "dairy"]),
        ("No allergies, birthday cake please", []),
        ("=cmd|' /C calc'!A0", []),
    ],
)
def test_allergens_are_read_from_what_the_guest_wrote(text, allergens):
    assert allergies_in(text) == allergens


# --------------------------------------------------------------------------- stale deals


@pytest.fixture
def sales(django_user_model):
    owner = django_user_model.objects.create_user(username="dewi.sales", display_name="Dewi", is_staff=True)
    UserChannel.objects.create(user=owner, platform="telegram", external_id="7007")
    return owner


def _deal(*, owner, title, stalled_days, stage="qualified"):
    contact = services.crm_contact_create(full_name=f"Contact of {title}")
    deal = services.crm_deal_create(contact=contact, title=title, owner=owner)
    if stage != "lead":
        deal = services.crm_deal_move_stage(deal=deal, to_stage=stage, actor=owner)
    CrmDeal.objects.filter(pk=deal.pk).update(stage_changed_at=timezone.now() - dt.timedelta(days=stalled_days))
    return CrmDeal.objects.get(pk=deal.pk)


def test_the_owner_of_a_stalled_deal_is_told_once(sales, fake_telegram, django_capture_on_commit_callbacks):
    stalled = _deal(owner=sales, title="Villa launch party", stalled_days=20)
    _deal(owner=sales, title="Fresh deal", stalled_days=2)
    won = _deal(owner=sales, title="Closed one", stalled_days=40, stage="proposal")
    services.crm_deal_move_stage(deal=won, to_stage="won", actor=sales)
    CrmDeal.objects.filter(pk=won.pk).update(stage_changed_at=timezone.now() - dt.timedelta(days=40))

    with django_capture_on_commit_callbacks(execute=True):
        assert stale_deal_reminders.apply().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert stale_deal_reminders.apply().get() == 0  # the next run tells nobody again

    [message] = fake_telegram.sent()
    assert str(message["chat_id"]) == "7007"
    assert 'Your deal "Villa launch party"' in message["text"] and "qualified for 20 days" in message["text"]
    [task] = CrmActivity.objects.filter(kind=ActivityKind.TASK, deal=stalled)
    assert (task.actor_id, task.completed_at is None) == (sales.pk, True)
    assert "has not moved for 20 days" in task.subject
    assert Notification.objects.filter(user=sales, key__startswith=f"crm-stale-deal:{stalled.pk}:").count() == 1


def test_a_deal_that_moves_and_stalls_again_is_reminded_again(sales, fake_telegram, django_capture_on_commit_callbacks):
    deal = _deal(owner=sales, title="Corporate dinner", stalled_days=15)
    with django_capture_on_commit_callbacks(execute=True):
        services.crm_deals_remind_stale()
    deal = services.crm_deal_move_stage(deal=deal, to_stage="proposal", actor=sales)
    assert deal.stale_reminded_at is None

    later = timezone.now() + dt.timedelta(days=15)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert services.crm_deals_remind_stale() == 1
    assert len(fake_telegram.sent()) == 2
    assert "at proposal for 15 days" in fake_telegram.texts()[-1]


def test_a_stalled_deal_without_an_owner_is_left_for_the_team(fake_telegram):
    contact = services.crm_contact_create(full_name="Nobody's")
    deal = services.crm_deal_create(contact=contact, title="Unowned")
    CrmDeal.objects.filter(pk=deal.pk).update(stage_changed_at=timezone.now() - dt.timedelta(days=30))
    assert services.crm_deals_remind_stale() == 0
    assert CrmDeal.objects.get(pk=deal.pk).stale_reminded_at is None
