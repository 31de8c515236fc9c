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
