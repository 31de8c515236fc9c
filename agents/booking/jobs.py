"""Booking-negotiation jobs of the agents app (agents/tasks.py imports them for the worker).

Thin: each takes ids and calls one service in agents.booking.venue_agent.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from agnt.scheduling import periodic_job
from bookings.models import VenueBooking
from bookings.state import BookingStatus

__all__ = ["owner_decision_deadlines"]


@periodic_job(name="owner_decision_deadlines", schedule=timedelta(minutes=1), queue="agents", expires=55)
@shared_task(name="agents.owner_decision_deadlines")
def owner_decision_deadlines() -> int:
    """Decline (politely, with alternatives) requests the owner did not answer by the deadline."""
    from agents.booking.venue_agent import owner_decision_lapse

    due = (
        VenueBooking.objects.filter(status=BookingStatus.PENDING_OWNER, owner_decision_deadline__lte=timezone.now())
        .order_by("owner_decision_deadline")
        .values_list("pk", flat=True)[:200]
    )
    declined = 0
    for booking_id in due:
        # One booking per transaction: a failure on one does not hold back the others.
        if owner_decision_lapse(booking_id=booking_id) is not None:
            declined += 1
    return declined
