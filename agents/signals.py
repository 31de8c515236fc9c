"""Signals the agents app sends; messaging (the single sender of notifications) receives them.

agents does not import messaging: it says what happened, messaging decides how to tell
people. Receivers stay thin (enqueue a task with ids, or call one notification function).
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent after commit. kwargs: booking_id — a request awaits the venue owner's approval.
booking_awaits_owner = Signal()

# Sent inside the outbox's transaction (the notification commits with it).
# kwargs: booking_id, envelope_id — a guest's booking request could not reach the venue's agent yet.
booking_request_undeliverable = Signal()
