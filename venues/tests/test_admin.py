"""The venue back office: staff see everything; a venue owner sees and edits only their own venue."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from model_bakery import baker

from agnt import roles
from venues.models import (
    B2BOnboardingSession,
    UserList,
    UserListItem,
    VenueClaim,
    VenueClient,
)
from venues.tests.factories import make_booking, make_owner, make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_venues():
    mine = make_venue(name="Warung Mine", referral_fee_pct=Decimal("10.00"), priority_rank=0)
    theirs = make_venue(name="Beach Club Theirs")
    return mine, theirs


@pytest.fixture
def owner_client(client, two_venues):
    mine, _ = two_venues
    client.force_login(make_owner(mine))
    return client


def _change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def test_an_owner_sees_only_their_own_venue_in_the_list(owner_client, two_venues):
    response = owner_client.get(reverse("admin:venues_venue_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Warung Mine" in html and "Beach Club Theirs" not in html


def test_an_owner_gets_a_404_for_another_venues_pages(owner_client, two_venues):
    mine, theirs = two_venues
    assert owner_client.get(_change_url(theirs)).status_code == 404
    assert owner_client.get(reverse("admin:venues_venue_history", args=[theirs.pk])).status_code == 404
    assert owner_client.post(_change_url(theirs), {"name": "pwned"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Beach Club Theirs"
    assert owner_client.get(_change_url(mine)).status_code == 200


def test_an_owner_cannot_change_the_commercial_columns_of_their_venue(owner_client, two_venues):
    mine, _ = two_venues
    response = owner_client.get(_change_url(mine))
    form = response.context["adminform"].form
    for field in ("referral_fee_pct", "status", "priority_rank", "stripe_account_id"):
        assert field not in form.fields
    assert "capacity" in form.fields and "opening_hours" in form.fields


def test_staff_can_change_the_commercial_columns(staff_client, two_venues):
    mine, _ = two_venues
    form = staff_client.get(_change_url(mine)).context["adminform"].form
    for field in ("referral_fee_pct", "status", "priority_rank", "stripe_account_id"):
        assert field in form.fields


def test_staff_see_every_venue_and_the_list_costs_the_same_for_many_rows(staff_client, django_assert_max_num_queries):
    city = make_venue().city
    for _ in range(3):
        make_venue(city=city)
    with django_assert_max_num_queries(12) as few:
        staff_client.get(reverse("admin:venues_venue_changelist"))
    for _ in range(15):
        make_venue()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get(reverse("admin:venues_venue_changelist"))
    assert response.status_code == 200


def test_the_venue_page_shows_owners_and_recent_bookings_paginated(staff_client, two_venues):
    mine, _ = two_venues
    owner = make_owner(mine, username="boss")
    for _ in range(12):
        make_booking(venue=mine, user=owner)
    response = staff_client.get(_change_url(mine))
    assert response.status_code == 200
    inline_formsets = {f.formset.prefix: f.formset for f in response.context["inline_admin_formsets"]}
    bookings = inline_formsets["bookings"]
    assert len(bookings.forms) == 10 and bookings.paginator.count == 12
    assert len(inline_formsets["clients"].forms) == 1


def test_claim_approval_from_the_admin_grants_the_owner_role(staff_client, staff_user):
    venue = make_venue(status="listed")
    claimant = baker.make("agnt.User", username="claimer", is_staff=False)
    claim = baker.make(
        VenueClaim,
        venue=venue,
        claimant=claimant,
        contact_name="C",
        contact_email="c@x.example",
        verification_method="phone_call",
    )
    response = staff_client.post(
        reverse("admin:venues_venueclaim_changelist"),
        {"action": "approve", "_selected_action": [str(claim.pk)]},
        follow=True,
    )
    assert "Approved 1 claim(s)" in response.content.decode()
    claim.refresh_from_db()
    claimant.refresh_from_db()
    assert claim.status == "approved" and claim.reviewer == staff_user
    assert claimant.is_staff and claimant.groups.filter(name=roles.VENUE_OWNERS).exists()
    assert VenueClient.objects.filter(user=claimant, venue=venue, is_active=True).exists()

    response = staff_client.post(
        reverse("admin:venues_venueclaim_changelist"),
        {"action": "reject", "_selected_action": [str(claim.pk)]},
        follow=True,
    )
    assert "Refused" in response.content.decode() and "from approved to rejected" in response.content.decode()


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:venues_city_changelist",
        "admin:venues_cityambassador_changelist",
        "admin:venues_venueclient_changelist",
        "admin:venues_venueclaim_changelist",
        "admin:venues_venueclaimevent_changelist",
        "admin:venues_b2bonboardingsession_changelist",
        "admin:venues_b2bonboardingevent_changelist",
        "admin:venues_userlist_changelist",
        "admin:venues_userlistitem_changelist",
        "admin:venues_venue_add",
        "admin:venues_city_add",
        "admin:venues_cityambassador_add",
        "admin:venues_userlist_add",
    ],
)
def test_every_venues_admin_page_renders_for_staff(staff_client, url_name):
    venue = make_venue()
    user = baker.make("agnt.User")
    baker.make("venues.CityAmbassador", user=user, city=venue.city, referral_code="AMB1")
    claim = baker.make(VenueClaim, venue=venue, claimant=user, verification_method="document", contact_name="X")
    claim.events.create(to_status="submitted")
    session = B2BOnboardingSession.objects.create(venue=venue, user=user)
    session.events.create(to_step="started")
    lst = baker.make(UserList, user=user, slug="l", kind="custom")
    UserListItem.objects.create(user_list=lst, venue=venue)
    response = staff_client.get(reverse(url_name))
    assert response.status_code == 200


def test_change_pages_render_for_staff(staff_client):
    venue = make_venue()
    user = baker.make("agnt.User")
    objects = [
        venue,
        venue.city,
        baker.make("venues.CityAmbassador", user=user, city=venue.city, referral_code="AMB2"),
        VenueClient.objects.create(user=user, venue=venue),
        baker.make(VenueClaim, venue=venue, claimant=user, verification_method="document", contact_name="X"),
        B2BOnboardingSession.objects.create(venue=venue, user=user),
        baker.make(UserList, user=user, slug="l", kind="custom"),
    ]
    for obj in objects:
        assert staff_client.get(_change_url(obj)).status_code == 200, obj


def _post_data_from(response) -> dict:
    """The change form as a browser would submit it unchanged (main form + inline management forms)."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or value is False:
            continue
        if hasattr(field.widget, "decompress"):  # split date/time widgets
            for i, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{i}"] = part or ""
        elif isinstance(value, list):  # ArrayFields are comma-separated in the form
            data[name] = ",".join(str(v) for v in value)
        elif isinstance(value, dict):
            data[name] = json.dumps(value)
        else:
            data[name] = "on" if value is True else value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
    return data


def test_an_owner_can_save_their_venue_rules_but_a_forged_fee_is_ignored(owner_client, two_venues):
    mine, _ = two_venues
    make_booking(venue=mine)
    data = _post_data_from(owner_client.get(_change_url(mine)))
    data.update({"capacity": "75", "referral_fee_pct": "0.00", "status": "closed"})
    response = owner_client.post(_change_url(mine), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    mine.refresh_from_db()
    assert mine.capacity == 75
    assert mine.referral_fee_pct == Decimal("10.00") and mine.status == "active"


def test_staff_can_find_a_venue_by_tag(staff_client):
    make_venue(name="Sunset Shack", tags=["sunset", "cocktails"])
    make_venue(name="Morning Brew", tags=["coffee"])
    html = staff_client.get(reverse("admin:venues_venue_changelist"), {"q": "cocktail"}).content.decode()
    assert "Sunset Shack" in html and "Morning Brew" not in html
