"""The user's own reminders ("remind me at 6 to call mum")."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from agnt.transitions import transition
from bookings.models import (
    Reminder,
    ReminderChannel,
    ReminderEvent,
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


def _reminder_move(reminder: Reminder, to_status: str, *, locked: Reminder | None = None, changes=None) -> Reminder:
    locked, _ = transition(
        reminder,
        locked=locked,
        to_status=to_status,
        table=REMINDER_TRANSITIONS,
        changes=changes,
        refuse=lambda locked, from_status: ReminderError(f"reminder cannot move from {from_status} to {to_status}"),
        event=lambda locked, from_status: ReminderEvent.objects.create(
            reminder=locked, from_status=from_status, to_status=to_status, data={"attempts": locked.attempts}
        ),
    )
    return locked


@transaction.atomic
def reminder_cancel(*, reminder: Reminder) -> Reminder:
    return _reminder_move(reminder, ReminderStatus.CANCELLED, changes={"cancelled_at": timezone.now()})


@transaction.atomic
def reminder_mark_sent(*, reminder: Reminder, provider_message_id: str = "") -> Reminder:
    """The dispatch job delivered the reminder."""
    return _reminder_move(
        reminder,
        ReminderStatus.SENT,
        changes=lambda locked, _: {
            "sent_at": timezone.now(),
            "attempts": locked.attempts + 1,
            "provider_message_id": provider_message_id[:128],
        },
    )


@transaction.atomic
def reminder_record_failure(*, reminder: Reminder, error: str, retry_in: timedelta = timedelta(minutes=5)) -> Reminder:
    """A delivery attempt failed: retry later, or give up after REMINDER_MAX_ATTEMPTS."""
    locked = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if locked.status != ReminderStatus.SCHEDULED:
        raise ReminderError(f"reminder is {locked.status}, not scheduled")
    attempts = locked.attempts + 1
    if attempts >= REMINDER_MAX_ATTEMPTS:
        return _reminder_move(
            reminder, ReminderStatus.FAILED, locked=locked, changes={"attempts": attempts, "last_error": error[:500]}
        )
    # Still scheduled: push the due time back so the dispatch job's due-index picks it up later.
    locked.attempts, locked.last_error = attempts, error[:500]
    locked.due_at = timezone.now() + retry_in * attempts
    locked.save(update_fields=["attempts", "last_error", "due_at", "updated_at"])
    return locked
