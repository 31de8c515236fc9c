"""Read-side queries of bookings that carry logic (what is due, what to poll, what a user has)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from bookings.models import Reminder, TransportBooking, VenueBooking
from bookings.state import (
    ACTIVE_STATUSES,
    TRANSPORT_IN_FLIGHT_STATUSES,
    ReminderStatus,
    TransportStatus,
)


def reminders_due(*, now: datetime | None = None, limit: int = 200, lock: bool = False) -> QuerySet[Reminder]:
    """Scheduled reminders whose time has come, oldest first (served by the ``reminder_due`` index).

    With ``lock=True`` (inside a transaction) rows are locked with SKIP LOCKED so several
    dispatch workers can share the backlog without sending a reminder twice.
    """
    qs = Reminder.objects.filter(status=ReminderStatus.SCHEDULED, due_at__lte=now or timezone.now()).order_by("due_at")
    if lock:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return qs[:limit]


def bookings_upcoming_for_user(*, user, now: datetime | None = None) -> QuerySet[VenueBooking]:
    """The user's bookings still ahead of them (what list_my_bookings shows first)."""
    return (
        VenueBooking.objects.filter(user=user, status__in=ACTIVE_STATUSES, slot_start__gte=now or timezone.now())
        .select_related("venue", "venue__city")
        .order_by("slot_start")
    )


def transports_to_poll(*, stale_after: timedelta = timedelta(minutes=1), now: datetime | None = None) -> QuerySet[TransportBooking]:
    """Courier bookings on the road whose Lalamove status was not checked recently."""
    cutoff = (now or timezone.now()) - stale_after
    qs = TransportBooking.objects.filter(status__in=TRANSPORT_IN_FLIGHT_STATUSES)
    return (qs.filter(last_polled_at__isnull=True) | qs.filter(last_polled_at__lt=cutoff)).order_by("last_polled_at")


def transport_quotes_expired(*, now: datetime | None = None) -> QuerySet[TransportBooking]:
    """Open quotes past their expiry (the sweeper moves them to ``expired``)."""
    return TransportBooking.objects.filter(
        status__in=[TransportStatus.QUOTED, TransportStatus.AWAITING_CONFIRMATION], quote_expires_at__lte=now or timezone.now()
    )
