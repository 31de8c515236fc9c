"""The CRM back office: every page renders, pipeline actions call the service, owners see only theirs."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from crm import services
from crm.models import CrmActivity, CrmContact, CrmDeal, CrmNote
from crm.roles import venue_owner_permission_codenames
from venues.tests.factories import make_owner, make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(staff_user):
    mine, theirs = make_venue(name="Warung Mine"), make_venue(name="Club Theirs")
    my_contact = services.crm_contact_create(venue=mine, full_name="Made Mine", email="made@mine.example")
    their_contact = services.crm_contact_create(venue=theirs, full_name="Ketut Theirs")
    platform_contact = services.crm_contact_create(venue=None, full_name="Platform Prospect", company="Canggu Group")
    my_deal = services.crm_deal_create(
        contact=my_contact, title="Wedding dinner", value=Decimal("9000000"), actor=staff_user
    )
    their_deal = services.crm_deal_create(contact=their_contact, title="Their deal", actor=staff_user)
    services.crm_deal_create(contact=platform_contact, title="Platform deal", actor=staff_user)
    services.crm_note_add(author=staff_user, body="Allergic to peanuts", contact=my_contact)
    services.crm_note_add(author=staff_user, body="Their secret note", contact=their_contact)
    services.crm_activity_log(kind="whatsapp", actor=staff_user, contact=my_contact, subject="Sent menu")
    return {
        "mine": mine,
        "theirs": theirs,
        "my_contact": my_contact,
        "their_contact": their_contact,
        "my_deal": my_deal,
        "their_deal": their_deal,
    }


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_crm_model_is_registered():
    assert set(apps.get_app_config("crm").get_models()) <= set(admin.site._registry)


@pytest.mark.parametrize("model", [CrmContact, CrmDeal, CrmNote, CrmActivity])
def test_every_crm_page_renders_for_a_superuser(staff_client, scene, model):
    assert staff_client.get(_url(model, "changelist")).status_code == 200
    assert staff_client.get(_url(model, "changelist"), {"q": "Mine"}).status_code == 200
    assert staff_client.get(_url(model, "add")).status_code == 200
    assert staff_client.get(_url(model, "change", model.objects.first().pk)).status_code == 200


def test_the_mark_won_action_refuses_a_lead_and_wins_a_proposal(staff_client, scene, staff_user):
    deal = scene["my_deal"]
    response = staff_client.post(
        _url(CrmDeal, "changelist"), {"action": "mark_won", "_selected_action": [str(deal.pk)]}, follow=True
    )
    assert "Refused 1" in response.content.decode()
    services.crm_deal_move_stage(deal=deal, to_stage="proposal", actor=staff_user)
    response = staff_client.post(
        _url(CrmDeal, "changelist"), {"action": "mark_won", "_selected_action": [str(deal.pk)]}, follow=True
    )
    assert "Moved 1 deal(s) to won" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == "won"
    assert deal.activities.filter(kind="stage_change", data__to="won", actor=staff_user).exists()


def test_a_deal_added_in_the_admin_opens_in_the_contacts_crm_with_a_timeline_entry(staff_client, scene, staff_user):
    contact = scene["my_contact"]
    response = staff_client.post(
        _url(CrmDeal, "add"),
        {
            "title": "Birthday",
            "contact": str(contact.pk),
            "owner": "",
            "value": "100",
            "currency": "IDR",
            "expected_close_date": "",
            "notes-TOTAL_FORMS": "0",
            "notes-INITIAL_FORMS": "0",
            "activities-TOTAL_FORMS": "0",
            "activities-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    deal = CrmDeal.objects.get(title="Birthday")
    assert (deal.venue, deal.stage, deal.owner) == (scene["mine"], "lead", staff_user)
    assert deal.activities.filter(kind="stage_change").count() == 1


@pytest.fixture
def owner(scene):
    owner = make_owner(scene["mine"])
    group = owner.groups.get()
    for app_label, codename in venue_owner_permission_codenames():
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return owner


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.mark.parametrize(
    ("model", "mine", "hidden"),
    [
        (CrmContact, "Made Mine", ["Ketut Theirs", "Platform Prospect"]),
        (CrmDeal, "Wedding dinner", ["Their deal", "Platform deal"]),
        (CrmNote, "Allergic to peanuts", ["Their secret note"]),
        (CrmActivity, "Sent menu", ["Their deal"]),
    ],
)
def test_an_owner_sees_only_their_venues_crm(owner_client, scene, model, mine, hidden):
    html = owner_client.get(_url(model, "changelist")).content.decode()
    assert mine in html
    for text in hidden:
        assert text not in html


def test_an_owner_gets_a_404_for_another_venues_contact_and_cannot_move_its_deal(owner_client, scene):
    assert owner_client.get(_url(CrmContact, "change", scene["their_contact"].pk)).status_code == 404
    assert owner_client.get(_url(CrmContact, "change", scene["my_contact"].pk)).status_code == 200
    owner_client.post(
        _url(CrmDeal, "changelist"), {"action": "mark_lost", "_selected_action": [str(scene["their_deal"].pk)]}
    )
    scene["their_deal"].refresh_from_db()
    assert scene["their_deal"].stage == "lead"


def test_an_owner_must_file_a_new_contact_under_one_of_their_venues(owner_client, scene):
    base = {
        "full_name": "Walk-in guest",
        "lifecycle_stage": "lead",
        "source": "walk_in",
        "owner": "",
        "email": "",
        "phone": "",
        "company": "",
        "role": "",
        "user": "",
        "tags": "",
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
    }
    for refused in ("", str(scene["theirs"].pk)):
        response = owner_client.post(_url(CrmContact, "add"), {**base, "venue": refused})
        assert response.status_code == 200
        assert list(response.context["adminform"].form.errors) == ["venue"]
        assert not CrmContact.objects.filter(full_name="Walk-in guest").exists()
    response = owner_client.post(_url(CrmContact, "add"), {**base, "venue": str(scene["mine"].pk)})
    assert response.status_code == 302
    assert CrmContact.objects.get(full_name="Walk-in guest").venue == scene["mine"]


def _changelist_queries(client, model) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(_url(model, "changelist")).status_code == 200
    # the session may or may not come from the cache; that is not this page's cost
    return sum(1 for q in queries.captured_queries if "django_session" not in q["sql"])


def test_the_crm_changelists_run_a_fixed_number_of_queries(staff_client, scene, staff_user):
    models = (CrmContact, CrmDeal, CrmNote, CrmActivity)
    before = {m: _changelist_queries(staff_client, m) for m in models}
    for n in range(5):
        contact = services.crm_contact_create(venue=make_venue(), full_name=f"Guest {n}", owner=staff_user)
        deal = services.crm_deal_create(contact=contact, title=f"Deal {n}", owner=staff_user, actor=staff_user)
        services.crm_note_add(author=staff_user, body="note", deal=deal)
    assert {m: _changelist_queries(staff_client, m) for m in models} == before


def test_the_demo_seed_is_idempotent_and_every_page_renders_with_it(staff_client, staff_user):
    from crm.demo import seed_crm_demo

    venues = [make_venue(), make_venue()]
    seed_crm_demo(venues=venues, staff=staff_user)
    counts = (CrmContact.objects.count(), CrmDeal.objects.count(), CrmActivity.objects.count())
    seed_crm_demo(venues=venues, staff=staff_user)
    assert (CrmContact.objects.count(), CrmDeal.objects.count(), CrmActivity.objects.count()) == counts
    assert set(CrmDeal.objects.values_list("stage", flat=True)) == {"won", "lead", "lost", "qualified"}
    for model in (CrmContact, CrmDeal, CrmNote, CrmActivity):
        assert staff_client.get(_url(model, "changelist")).status_code == 200
        for obj in model.objects.all()[:3]:
            assert staff_client.get(_url(model, "change", obj.pk)).status_code == 200


def test_the_owner_role_names_real_crm_permissions():
    pairs = set(venue_owner_permission_codenames())
    existing = set(Permission.objects.filter(content_type__app_label="crm").values_list("codename", flat=True))
    assert {codename for _, codename in pairs} <= existing
    assert ("crm", "change_crmdeal") in pairs and ("crm", "delete_crmdeal") not in pairs


def test_deal_values_read_as_rupiah_on_the_list_and_the_contacts_deal_inline(staff_client, scene):
    listing = staff_client.get(_url(CrmDeal, "changelist")).content.decode()
    assert "IDR 9,000,000" in listing and "9,000,000.00" not in listing
    contact = staff_client.get(_url(CrmContact, "change", scene["my_contact"].pk)).content.decode()
    assert "IDR 9,000,000" in contact


def test_an_owner_reaches_no_page_of_another_venues_contact_by_editing_the_url(owner_client, scene):
    theirs = scene["their_contact"].pk
    for view in ("change", "history"):
        assert owner_client.get(_url(CrmContact, view, theirs)).status_code == 404, view
    deleting = owner_client.get(_url(CrmContact, "delete", theirs))  # owners may not delete contacts at all
    assert deleting.status_code == 403 and "Ketut Theirs" not in deleting.content.decode()
    assert owner_client.post(_url(CrmContact, "change", theirs), {"full_name": "Hijacked"}).status_code == 404
    scene["their_contact"].refresh_from_db()
    assert scene["their_contact"].full_name == "Ketut Theirs"
    # a list filter naming the other venue shows nothing of it
    filtered = owner_client.get(_url(CrmContact, "changelist"), {"venue__id__exact": scene["theirs"].pk})
    assert "Ketut Theirs" not in filtered.content.decode()


def test_an_owner_sees_the_booking_figures_and_allergies_of_their_own_guests_only(
    owner_client, scene, django_user_model
):
    from bookings.models import VenueBooking
    from venues.tests.factories import make_booking

    guest = django_user_model.objects.create_user(username="sari", email="sari@example.com", display_name="Sari Dewi")
    make_booking(venue=scene["mine"], user=guest, status="completed", special_requests="Allergic to cashews")
    make_booking(venue=scene["theirs"], user=guest, status="completed", special_requests="Allergic to sesame")
    services.crm_contacts_sync_from_bookings()
    assert VenueBooking.objects.filter(user=guest).count() == 2

    html = owner_client.get(_url(CrmContact, "changelist")).content.decode()
    assert "Sari Dewi" in html and "cashews" in html and "sesame" not in html
    theirs = CrmContact.objects.get(venue=scene["theirs"], user=guest)
    assert owner_client.get(_url(CrmContact, "change", theirs.pk)).status_code == 404
