"""Signals the bookings app sends — always after the transaction commits.

Receivers in other apps (notifications, fees, webhooks) should stay thin: enqueue a task
with the ids they receive, never re-implement booking rules.
"""

from django.dispatch import Signal

# kwargs: booking_id, from_status ("" for a new booking), to_status
booking_status_changed = Signal()
