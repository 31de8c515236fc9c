import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.utils import DatabaseError
from model_bakery import baker

from agnt import roles
from venues import services
from venues.models import B2BOnboardingSession, VenueClaim, VenueClaimEvent, VenueClient
from venues.state import CLAIM_TRANSITIONS, VenueClaimStatus
from venues.tests.factories import make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimant(django_user_model):
    return django_user_model.objects.create_user(
        username="wayan", email="wayan@warung.example", password="pw-claim-123!"
    )


@pytest.fixture
def reviewer(django_user_model):
    return django_user_model.objects.create_user(username="ops", password="pw-ops-123!", is_staff=True)


def _submit(venue, user, **kwargs):
    kwargs.setdefault("contact_name", "Wayan")
    kwargs.setdefault("contact_email", "wayan@warung.example")
    kwargs.setdefault("verification_method", "email_domain")
    return services.venue_claim_submit(venue=venue, claimant=user, **kwargs)


def test_a_submitted_claim_records_its_first_event(claimant):
    claim = _submit(make_venue(status="listed"), claimant)
    assert claim.status == "submitted"
    assert list(claim.events.values_list("from_status", "to_status", "actor")) == [("", "submitted", claimant.pk)]


def test_a_user_can_have_only_one_open_claim_per_venue(claimant):
    venue = make_venue(status="listed")
    _submit(venue, claimant)
    with pytest.raises(services.VenueClaimError, match="already have an open claim"):
        _submit(venue, claimant)
    assert VenueClaim.objects.count() == 1


def test_the_database_allows_one_open_claim_per_venue_and_user_but_keeps_decided_ones(claimant, reviewer):
    venue = make_venue(status="listed")
    claim = _submit(venue, claimant)
    with pytest.raises(IntegrityError, match="venue_claim_one_open_per_user"), transaction.atomic():
        baker.make(VenueClaim, venue=venue, claimant=claimant, status="under_review", verification_method="phone_call")
    services.venue_claim_reject(claim=claim, reviewer=reviewer, reason="No proof")
    _submit(venue, claimant)  # a new attempt after a rejection is fine
    assert VenueClaim.objects.filter(venue=venue, claimant=claimant).count() == 2


def test_it_refuses_a_claim_on_a_venue_that_already_has_an_owner(claimant, django_user_model):
    venue = make_venue(status="active")
    VenueClient.objects.create(
        user=django_user_model.objects.create_user(username="boss", password="pw-boss-123!"), venue=venue
    )
    with pytest.raises(services.VenueClaimError, match="already has an owner"):
        _submit(venue, claimant)


def test_approval_makes_the_claimant_the_owner_with_back_office_access(claimant, reviewer, django_user_model):
    venue = make_venue(status="listed")
    claim = _submit(venue, claimant, role="owner")
    rival_user = django_user_model.objects.create_user(username="rival", password="pw-rival-123!")
    rival = _submit(venue, rival_user)
    services.venue_claim_start_review(claim=claim, reviewer=reviewer)

    services.venue_claim_approve(claim=claim, reviewer=reviewer)

    claim.refresh_from_db()
    assert claim.status == "approved" and claim.decided_at is not None and claim.reviewer == reviewer
    link = VenueClient.objects.get(user=claimant, venue=venue)
    assert link.is_active and link.role == "owner"
    venue.refresh_from_db()
    assert venue.status == "active"
    claimant.refresh_from_db()
    assert claimant.is_business and claimant.is_staff and not claimant.is_superuser
    assert claimant.groups.filter(name=roles.VENUE_OWNERS).exists()
    rival.refresh_from_db()
    assert rival.status == "rejected" and "Another claim" in rival.reason
    assert list(claim.events.order_by("created_at").values_list("to_status", flat=True)) == [
        "submitted",
        "under_review",
        "approved",
    ]
    assert rival.events.filter(to_status="rejected", actor=reviewer).exists()
    assert B2BOnboardingSession.objects.filter(venue=venue, user=claimant, current_step="started").exists()


def test_approval_reactivates_an_old_owner_link_and_creates_the_group_once(claimant, reviewer):
    venue = make_venue(status="listed")
    VenueClient.objects.create(user=claimant, venue=venue, role="manager", is_active=False)
    Group.objects.filter(name=roles.VENUE_OWNERS).delete()
    services.venue_claim_approve(claim=_submit(venue, claimant, role="owner"), reviewer=reviewer)
    link = VenueClient.objects.get(user=claimant, venue=venue)
    assert link.is_active and link.role == "owner"
    assert Group.objects.filter(name=roles.VENUE_OWNERS).count() == 1


def test_a_rejection_needs_a_reason_and_grants_nothing(claimant, reviewer):
    venue = make_venue(status="listed")
    claim = _submit(venue, claimant)
    with pytest.raises(services.VenueClaimError, match="say why"):
        services.venue_claim_reject(claim=claim, reviewer=reviewer, reason=" ")
    services.venue_claim_reject(claim=claim, reviewer=reviewer, reason="Listed phone says otherwise")
    claimant.refresh_from_db()
    assert not claimant.is_staff and not VenueClient.objects.filter(user=claimant).exists()


def test_only_the_claimant_can_withdraw(claimant, reviewer):
    claim = _submit(make_venue(status="listed"), claimant)
    with pytest.raises(services.VenueClaimError, match="only the claimant"):
        services.venue_claim_withdraw(claim=claim, user=reviewer)
    services.venue_claim_withdraw(claim=claim, user=claimant)
    assert VenueClaim.objects.get(pk=claim.pk).status == "withdrawn"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (s, t)
        for s in VenueClaimStatus.values
        for t in VenueClaimStatus.values
        if t != s and t not in CLAIM_TRANSITIONS[s]
    ],
)
def test_the_service_and_the_database_refuse_forbidden_claim_transitions(claimant, start, target):
    claim = baker.make(
        VenueClaim,
        venue=make_venue(status="listed"),
        claimant=claimant,
        status=start,
        verification_method="phone_call",
        decided_at="2026-01-01T00:00:00Z",
    )
    with pytest.raises(services.VenueClaimError, match=f"from {start} to {target}"):
        services._claim_move(claim, to_status=target, actor=None)
    with pytest.raises(IntegrityError, match=f"cannot move from {start} to {target}"), transaction.atomic():
        VenueClaim.objects.filter(pk=claim.pk).update(status=target)
    assert not VenueClaimEvent.objects.filter(claim=claim).exists()


def test_the_database_requires_a_decision_time_on_a_decided_claim(claimant):
    claim = _submit(make_venue(status="listed"), claimant)
    with pytest.raises(IntegrityError, match="venue_claim_decision_time"), transaction.atomic():
        VenueClaim.objects.filter(pk=claim.pk).update(status="approved")


def test_the_claim_event_log_is_append_only(claimant):
    event = _submit(make_venue(status="listed"), claimant).events.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        VenueClaimEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        VenueClaimEvent.objects.filter(pk=event.pk).delete()
