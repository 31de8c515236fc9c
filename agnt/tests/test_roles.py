"""The role groups from setup_roles give each kind of staff the back office they need."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from agnt.models import User
from agnt.roles import FINANCE, HOSTED_AGENT_OWNERS, OPERATIONS, SUPPORT, VENUE_OWNERS
from agnt.roles_setup import roles_sync
from bookings.services import booking_create
from venues.models import Venue
from venues.services import venue_claim_approve, venue_claim_submit


@pytest.fixture
def network(db):
    roles_sync()
    city = baker.make("venues.City", name="Canggu", slug="canggu")
    mine = baker.make(
        Venue,
        city=city,
        name="Mine Beach Club",
        slug="mine",
        status="listed",
        category="beach_club",
        min_party_size=1,
        max_party_size=10,
    )
    theirs = baker.make(
        Venue,
        city=city,
        name="Theirs Bistro",
        slug="theirs",
        status="listed",
        category="restaurant",
        min_party_size=1,
        max_party_size=10,
    )
    owner = baker.make(User, username="owner")
    reviewer = baker.make(User, username="ops", is_staff=True)
    claim = venue_claim_submit(
        venue=mine,
        claimant=owner,
        contact_name="Owner",
        contact_phone="+62 812 0000 1111",
        verification_method="phone_call",
    )
    venue_claim_approve(claim=claim, reviewer=reviewer)
    soon = timezone.now() + timedelta(days=1)
    refs = {
        venue.slug: booking_create(venue=venue, party_size=2, slot_start=soon, source="web").external_ref
        for venue in (mine, theirs)
    }
    owner.refresh_from_db()
    return {"owner": owner, "mine": mine, "theirs": theirs, "refs": refs}


def test_setup_roles_creates_every_group_with_permissions(db):
    counts = roles_sync()
    assert set(counts) == {OPERATIONS, FINANCE, SUPPORT, VENUE_OWNERS, HOSTED_AGENT_OWNERS}
    assert all(count > 0 for count in counts.values())
    assert roles_sync() == counts  # idempotent


def test_an_approved_owner_works_in_a_back_office_scoped_to_their_venue(client, network):
    owner = network["owner"]
    assert owner.is_staff and owner.groups.filter(name=VENUE_OWNERS).exists()
    client.force_login(owner)
    venues = client.get(reverse("admin:venues_venue_changelist")).content.decode()
    assert "Mine Beach Club" in venues and "Theirs Bistro" not in venues
    bookings = client.get(reverse("admin:bookings_venuebooking_changelist")).content.decode()
    assert network["refs"]["mine"] in bookings and network["refs"]["theirs"] not in bookings
    assert client.get(reverse("admin:venues_venue_change", args=[network["theirs"].pk])).status_code == 404
    assert client.get(reverse("admin:agnt_user_changelist")).status_code == 403
    dashboard = client.get(reverse("admin:index")).content.decode()
    # the booking is for tomorrow: "Bookings today" counts visits today (venue time), not rows created today
    assert 'data-metric="bookings-today">0<' in dashboard
    assert "revenue-today" not in dashboard and "new-users-today" not in dashboard


@pytest.mark.parametrize(
    ("group", "allowed", "refused"),
    [
        (
            OPERATIONS,
            ["admin:venues_venue_changelist", "admin:bookings_venuebooking_changelist", "admin:agnt_user_changelist"],
            [],
        ),
        (
            FINANCE,
            ["admin:billing_commerceledger_changelist", "admin:billing_accountingdocument_changelist"],
            ["admin:crm_crmdeal_changelist"],
        ),
        (
            SUPPORT,
            ["admin:messaging_interaction_changelist", "admin:agnt_user_changelist"],
            ["admin:billing_accountingdocument_changelist"],
        ),
    ],
)
def test_each_staff_role_reaches_its_pages_and_not_others(client, network, group, allowed, refused):
    member = baker.make(User, username=f"staff-{group}", is_staff=True)
    member.groups.add(Group.objects.get(name=group))
    client.force_login(member)
    for name in allowed:
        assert client.get(reverse(name)).status_code == 200, name
    for name in refused:
        assert client.get(reverse(name)).status_code == 403, name
