"""Signals the bookings app sends — always after the transaction commits.

Receivers in other apps (notifications, fees, webhooks) should stay thin: enqueue a task
with the ids they receive, never re-implement booking rules.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.dispatch import Signal

# kwargs: booking_id, from_status ("" for a new booking), to_status
booking_status_changed = Signal()

_silenced: contextvars.ContextVar[bool] = contextvars.ContextVar("bookings_signals_silenced", default=False)


@contextmanager
def silenced() -> Iterator[None]:
    """Record booking history without announcing it (the demo seeder writes past events:
    nobody should be messaged about a booking that "was confirmed" last month)."""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def is_silenced() -> bool:
    return _silenced.get()


# kwargs: booking_id, event_id (the BookingEvent recording the move), from_start, to_start (ISO)
booking_moved = Signal()

# Sent inside the transaction that decided a lifecycle message is due (the booking row is
# locked), so the send commits with the decision. kwargs: message (a BookingMessage, kind
# reminder_* or rating_request), now. A receiver (messaging.notifications) sends it and
# returns ``(platform, interaction_id)``, or ``("", None)`` when the guest has no channel.
booking_message_due = Signal()

# Sent inside the transaction that offered a freed table to a waiting guest. kwargs:
# entry (the WaitlistEntry, now notified), slot, venue. A receiver returns the
# interaction_id of the message it queued (None when the guest has no channel).
waitlist_offer_made = Signal()


def first_answer(responses) -> object | None:
    """The first non-None answer of a signal's receivers (``Signal.send`` returns them all)."""
    return next((answer for _, answer in responses if answer is not None), None)
