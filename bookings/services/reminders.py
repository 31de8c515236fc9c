"""The user's own reminders ("remind me at 6 to call mum")."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from bookings.models import (
    Reminder,
    ReminderChannel,
    ReminderKind,
    VenueBooking,
)
from bookings.services.errors import ReminderError
from bookings.state import (
    REMINDER_TRANSITIONS,
    ReminderStatus,
)

# --------------------------------------------------------------------------- reminders

REMINDER_MAX_ATTEMPTS = 5


@transaction.atomic
def reminder_create(
    *,
    user,
    text: str,
    due_at: datetime,
    channel: str = ReminderChannel.TELEGRAM,
    booking: VenueBooking | None = None,
    kind: str = ReminderKind.CUSTOM,
) -> Reminder:
    """Schedule a reminder (the set_reminder tool, or the booking jobs)."""
    text = text.strip()
    if not text:
        raise ReminderError("a reminder needs a text")
    if due_at <= timezone.now():
        raise ReminderError("a reminder must be due in the future")
    if channel not in ReminderChannel.values:
        raise ReminderError(f"unknown reminder channel {channel!r}")
    if booking is not None and booking.user_id not in (None, user.pk):
        raise ReminderError("a reminder can only point at the user's own booking")
    return Reminder.objects.create(
        user=user,
        text=text[:1000],
        due_at=due_at,
        channel=channel,
        booking=booking,
        kind=kind,
        status=ReminderStatus.SCHEDULED,
    )


def _reminder_move(reminder: Reminder, to_status: str) -> Reminder:
    locked = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if to_status not in REMINDER_TRANSITIONS.get(locked.status, frozenset()):
        raise ReminderError(f"reminder cannot move from {locked.status} to {to_status}")
    locked.status = to_status
    return locked


@transaction.atomic
def reminder_cancel(*, reminder: Reminder) -> Reminder:
    locked = _reminder_move(reminder, ReminderStatus.CANCELLED)
    locked.cancelled_at = timezone.now()
    locked.save(update_fields=["status", "cancelled_at", "updated_at"])
    reminder.status, reminder.cancelled_at = locked.status, locked.cancelled_at
    return locked


@transaction.atomic
def reminder_mark_sent(*, reminder: Reminder, provider_message_id: str = "") -> Reminder:
    """The dispatch job delivered the reminder."""
    locked = _reminder_move(reminder, ReminderStatus.SENT)
    locked.sent_at = timezone.now()
    locked.attempts += 1
    locked.provider_message_id = provider_message_id[:128]
    locked.save(update_fields=["status", "sent_at", "attempts", "provider_message_id", "updated_at"])
    return locked


@transaction.atomic
def reminder_record_failure(*, reminder: Reminder, error: str, retry_in: timedelta = timedelta(minutes=5)) -> Reminder:
    """A delivery attempt failed: retry later, or give up after REMINDER_MAX_ATTEMPTS."""
    locked = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if locked.status != ReminderStatus.SCHEDULED:
        raise ReminderError(f"reminder is {locked.status}, not scheduled")
    locked.attempts += 1
    locked.last_error = error[:500]
    if locked.attempts >= REMINDER_MAX_ATTEMPTS:
        locked.status = ReminderStatus.FAILED
    else:
        # Push the due time back so the dispatch job's due-index picks it up later.
        locked.due_at = timezone.now() + retry_in * locked.attempts
    locked.save(update_fields=["status", "attempts", "last_error", "due_at", "updated_at"])
    return locked
