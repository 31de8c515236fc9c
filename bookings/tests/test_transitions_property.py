"""Property-based: no sequence of booking service calls leaves BOOKING_TRANSITIONS.

Hypothesis draws a sequence of calls (the named services and raw booking_transition to
every status) on a fresh booking; a tiny model of the state machine predicts each
outcome. Each example runs in a savepoint that is rolled back, so examples share the
test's venue and nothing else.
"""

from datetime import timedelta
from functools import partial

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bookings import services
from bookings.models import ActorKind, BookingEvent, BookingSource, VenueBooking
from bookings.services import BookingTransitionError
from bookings.state import BOOKING_TRANSITIONS, BookingStatus
from venues.tests.factories import make_venue

S = BookingStatus

# (label, call(booking) -> booking, target status)
OPERATIONS = [
    ("confirm", services.booking_confirm, S.CONFIRMED),
    ("reject", services.booking_reject, S.REJECTED),
    ("cancel", services.booking_cancel, S.CANCELLED),
    ("complete", services.booking_complete, S.COMPLETED),
    ("no_show", services.booking_mark_no_show, S.NO_SHOW),
] + [
    (
        f"transition:{status}",
        partial(services.booking_transition, to_status=status, actor_kind=ActorKind.SYSTEM),
        status,
    )
    for status in S.values
]
OP = {label: (label, call, target) for label, call, target in OPERATIONS}
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)


@pytest.fixture
def venue(db):
    return make_venue(min_party_size=1, max_party_size=10)


def _expected_legal(current: str, label: str, target: str, started: bool) -> bool:
    # booking_mark_no_show refuses a booking that has not started, whatever its status
    return target in BOOKING_TRANSITIONS[current] and (label != "no_show" or started)


@PROPERTY_SETTINGS
@given(
    # the named services half the time, so chains like confirm → no_show come up often
    steps=st.lists(st.one_of(st.sampled_from(OPERATIONS[:5]), st.sampled_from(OPERATIONS[5:])), max_size=8),
    started=st.booleans(),
    probe=st.sampled_from(S.values),
)
# the cases that matter most, always run on top of the drawn ones
@example(steps=[OP["confirm"], OP["no_show"], OP["complete"]], started=False, probe=S.REQUESTED)
@example(steps=[OP["confirm"], OP["no_show"], OP["cancel"]], started=True, probe=S.CONFIRMED)
@example(
    steps=[
        OP["transition:pending_owner"],
        OP["transition:counter_offered"],
        OP["confirm"],
        OP["confirm"],
        OP["cancel"],
    ],
    started=False,
    probe=S.PENDING_OWNER,
)
def test_random_service_call_sequences_stay_inside_the_state_machine(venue, steps, started, probe):
    with transaction.atomic():
        slot = timezone.now() + (timedelta(hours=-1) if started else timedelta(days=1))
        booking = services.booking_create(venue=venue, party_size=2, slot_start=slot, source=BookingSource.WEB)
        current, applied = S.REQUESTED.value, 0

        for label, call, target in steps:
            events_before = BookingEvent.objects.filter(booking=booking).count()
            if _expected_legal(current, label, target, started):
                call(booking=booking)
                current, applied = target, applied + 1
                last = BookingEvent.objects.filter(booking=booking).order_by("-created_at", "-id").first()
                assert BookingEvent.objects.filter(booking=booking).count() == events_before + 1, label
                assert last.to_status == target
            else:
                with pytest.raises(BookingTransitionError):
                    call(booking=booking)
                # refused: nothing moved, nothing logged
                assert BookingEvent.objects.filter(booking=booking).count() == events_before, label
            stored = VenueBooking.objects.values_list("status", flat=True).get(pk=booking.pk)
            assert stored == current and stored in BOOKING_TRANSITIONS

        # the event log replays to the stored status along allowed edges only
        chain = list(
            BookingEvent.objects.filter(booking=booking)
            .order_by("created_at", "id")
            .values_list("from_status", "to_status")
        )
        assert len(chain) == 1 + applied and chain[0] == ("", S.REQUESTED)
        for (_, previous_to), (from_status, to_status) in zip(chain, chain[1:]):
            assert from_status == previous_to and to_status in BOOKING_TRANSITIONS[from_status]
        assert chain[-1][1] == current

        # and the database itself refuses a forbidden move that skips the service
        if probe != current and probe not in BOOKING_TRANSITIONS[current]:
            with pytest.raises(IntegrityError, match="cannot move from"), transaction.atomic():
                VenueBooking.objects.filter(pk=booking.pk).update(status=probe)
        transaction.set_rollback(True)
