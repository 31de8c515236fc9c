"""The one transition helper and the primary-key-ordered lock."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agnt.transitions import TransitionRefused, check, lock_objects, transition
from bookings.models import VenueBooking
from venues.tests.factories import make_booking, make_venue

pytestmark = pytest.mark.django_db

TABLE = {"requested": frozenset({"confirmed"}), "confirmed": frozenset()}


def test_it_moves_the_row_saves_only_what_changed_writes_the_event_and_updates_the_callers_copy():
    booking = make_booking(venue=make_venue(), status="requested")
    events = []
    with CaptureQueriesContext(connection) as queries:
        locked, from_status = transition(
            booking,
            to_status="confirmed",
            table=TABLE,
            changes={"status_reason": "ok"},
            event=lambda row, before: events.append((row.pk, before)),
        )
    assert from_status == "requested" and events == [(booking.pk, "requested")]
    assert booking.status == "confirmed" and booking.status_reason == "ok"
    assert VenueBooking.objects.get(pk=booking.pk).status == "confirmed"
    lock, update = queries.captured_queries[0]["sql"], queries.captured_queries[1]["sql"]
    assert "FOR UPDATE" in lock
    assert '"party_size"' not in update and '"status_reason"' in update


def test_it_refuses_a_move_the_table_does_not_allow_with_the_callers_error():
    booking = make_booking(venue=make_venue(), status="confirmed")
    with pytest.raises(TransitionRefused, match="from confirmed to requested"):
        transition(booking, to_status="requested", table=TABLE)
    with pytest.raises(ValueError, match="nope"):
        transition(booking, to_status="requested", table=TABLE, refuse=lambda row, before: ValueError("nope"))


def test_several_rows_are_locked_in_primary_key_order():
    venue = make_venue()
    rows = [make_booking(venue=venue) for _ in range(3)]
    with CaptureQueriesContext(connection) as queries:
        locked = lock_objects(VenueBooking.objects.filter(venue=venue).order_by("-created_at"))
    assert [row.pk for row in locked] == sorted(row.pk for row in rows)
    sql = queries.captured_queries[0]["sql"]
    assert "ORDER BY" in sql and "FOR UPDATE" in sql


def test_check_refuses_before_any_write_and_returns_the_status_the_row_is_in():
    booking = make_booking(venue=make_venue(), status="requested")
    assert check(booking, to_status="confirmed", table=TABLE) == "requested"
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValueError, match="no"):
        check(booking, to_status="requested", table=TABLE, refuse=lambda row, before: ValueError(f"{before}: no"))
    assert queries.captured_queries == []


def test_the_row_can_be_locked_through_the_callers_queryset_with_what_it_reads_next():
    booking = make_booking(venue=make_venue(), status="requested")
    with CaptureQueriesContext(connection) as queries:
        locked, _ = transition(
            booking, to_status="confirmed", table=TABLE, queryset=VenueBooking.objects.select_related("venue")
        )
        assert locked.venue.pk == booking.venue_id
    lock = queries.captured_queries[0]["sql"]
    assert "FOR UPDATE OF" in lock and '"venues_venue"' in lock
    assert len(queries.captured_queries) == 2  # the lock (with the venue joined) and the update
