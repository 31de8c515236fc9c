import pytest
from django.db import IntegrityError, transaction
from django.db.utils import DatabaseError

from venues import services
from venues.models import B2BOnboardingEvent, B2BOnboardingSession
from venues.state import ONBOARDING_SEQUENCE
from venues.tests.factories import make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user(username="owner", password="pw-owner-123!")


STEP_DATA = {
    "started": {},
    "profile": {"name": "Warung Sunset", "area": "Batu Bolong", "price_level": "2", "tags": ["sunset", "seafood"]},
    "hours": {"opening_hours": {"mon": [["10:00", "22:00"]]}, "capacity": 60},
    "policies": {"max_party_size": 12, "deposit_required": False, "cancellation_window_hours": 12},
    "knowledge": {"knowledge_text": "Fresh fish daily. Live music on Fridays."},
    "payments": {"stripe_onboarding": "pending"},
}


def test_the_wizard_walks_every_step_applies_the_data_and_activates_the_venue(owner):
    venue = make_venue(status="listed")
    session = services.onboarding_start(venue=venue, user=owner)
    assert services.onboarding_start(venue=venue, user=owner).pk == session.pk  # one open session per venue

    for step in ONBOARDING_SEQUENCE[:-1]:
        assert session.current_step == step
        services.onboarding_advance(session=session, step_data=STEP_DATA[step])

    session.refresh_from_db()
    venue.refresh_from_db()
    assert session.current_step == "completed" and session.completed_at is not None
    assert session.step_data["profile"]["area"] == "Batu Bolong"
    assert (venue.name, venue.area, venue.price_level, venue.tags) == (
        "Warung Sunset",
        "Batu Bolong",
        2,
        ["sunset", "seafood"],
    )
    assert venue.opening_hours == {"mon": [["10:00", "22:00"]]} and venue.capacity == 60
    assert venue.max_party_size == 12 and venue.cancellation_window_hours == 12
    assert venue.knowledge_text.startswith("Fresh fish")
    assert venue.status == "active"
    assert list(session.events.order_by("created_at").values_list("to_step", flat=True)) == list(ONBOARDING_SEQUENCE)


def test_a_step_never_writes_commercial_columns(owner):
    venue = make_venue(status="listed", referral_fee_pct=10)
    session = services.onboarding_start(venue=venue, user=owner)
    services.onboarding_advance(session=session, step_data={})
    services.onboarding_advance(session=session, step_data={"name": "Ok", "referral_fee_pct": 0, "status": "active"})
    venue.refresh_from_db()
    assert venue.name == "Ok" and venue.referral_fee_pct == 10 and venue.status == "listed"


def test_invalid_step_data_is_refused_and_nothing_moves(owner):
    venue = make_venue(status="listed")
    session = services.onboarding_start(venue=venue, user=owner)
    services.onboarding_advance(session=session, step_data={})
    with pytest.raises(services.OnboardingError, match="price_level"):
        services.onboarding_advance(session=session, step_data={"price_level": 9})
    session.refresh_from_db()
    assert session.current_step == "profile"


def test_a_finished_session_cannot_advance_or_be_abandoned(owner):
    session = services.onboarding_start(venue=make_venue(), user=owner)
    services.onboarding_abandon(session=session, reason="owner went quiet")
    with pytest.raises(services.OnboardingError, match="no next step"):
        services.onboarding_advance(session=session, step_data={})
    with pytest.raises(services.OnboardingError, match="from abandoned to abandoned"):
        services.onboarding_abandon(session=session)
    assert session.abandoned_at is not None


def test_the_database_refuses_skipping_steps_and_a_completed_session_without_its_time(owner):
    session = services.onboarding_start(venue=make_venue(), user=owner)
    with pytest.raises(IntegrityError, match="cannot move from started to payments"), transaction.atomic():
        B2BOnboardingSession.objects.filter(pk=session.pk).update(current_step="payments")
    B2BOnboardingSession.objects.filter(pk=session.pk).update(current_step="profile")
    with pytest.raises(IntegrityError), transaction.atomic():
        B2BOnboardingSession.objects.filter(pk=session.pk).update(current_step="started")


def test_the_database_allows_one_open_session_per_venue(owner):
    venue = make_venue()
    services.onboarding_start(venue=venue, user=owner)
    with pytest.raises(IntegrityError, match="onboarding_one_open_per_venue"), transaction.atomic():
        B2BOnboardingSession.objects.create(venue=venue, user=owner)


def test_the_onboarding_event_log_is_append_only(owner):
    event = services.onboarding_start(venue=make_venue(), user=owner).events.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        B2BOnboardingEvent.objects.filter(pk=event.pk).delete()
