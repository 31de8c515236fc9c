"""Bookings jobs (ARCHITECTURE.md). Thin: each calls one batch service in bookings.services,
which works booking by booking and remembers what it sent, so a re-run sends nothing twice.

There is deliberately no ``mark_no_shows`` job: nothing tells us a guest did not come
except the venue, which marks no-shows itself (admin action → booking_mark_no_show).
complete_past_bookings completes the confirmed visits the venue did not flag within
BOOKINGS_NO_SHOW_GRACE_HOURS (default 12) — a false no-show strike would cost a real
guest their auto-confirmation, a missed one costs nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from celery.schedules import crontab

from agnt.scheduling import periodic_job
from bookings import services

logger = logging.getLogger(__name__)


@periodic_job(name="expire_pending_bookings", schedule=timedelta(minutes=5), queue="maintenance")
@shared_task(name="bookings.expire_pending_bookings")
def expire_pending_bookings() -> int:
    """Expire booking requests, counter-offers and owner approvals nobody will answer any more."""
    return services.bookings_expire_stale()


@periodic_job(name="booking_reminders", schedule=timedelta(minutes=5), queue="messaging")
@shared_task(name="bookings.booking_reminders")
def booking_reminders() -> int:
    """Remind guests of confirmed bookings the day before and two hours before (keep / cancel)."""
    return services.booking_reminders_send_due()


@periodic_job(name="complete_past_bookings", schedule=crontab(minute="*/30"), queue="maintenance")
@shared_task(name="bookings.complete_past_bookings")
def complete_past_bookings() -> int:
    """Complete confirmed visits the venue did not mark as a no-show within the grace period."""
    return services.bookings_complete_past()


@periodic_job(name="request_post_visit_ratings", schedule=crontab(minute="5,35"), queue="messaging")
@shared_task(name="bookings.request_post_visit_ratings")
def request_post_visit_ratings() -> int:
    """Ask each guest of a completed visit for a 1–5 rating, once, in the venue's daytime."""
    return services.rating_requests_send_due()


@periodic_job(name="waitlist_promote", schedule=timedelta(minutes=1), queue="messaging", expires=55)
@shared_task(name="bookings.waitlist_promote")
def waitlist_promote() -> int:
    """Tell the first waiting guests when a matching booking is cancelled; expire past entries."""
    return services.waitlist_promote_due()


@periodic_job(name="no_show_strikes_recompute", schedule=crontab(minute=25), queue="maintenance")
@shared_task(name="bookings.no_show_strikes_recompute")
def no_show_strikes_recompute() -> int:
    """Recount guests' no-shows in the last 180 days; too many → their bookings need the owner."""
    return services.guest_reliability_recompute_all()


@periodic_job(name="transport_status_poll", schedule=timedelta(minutes=1), queue="bookings", expires=55)
@shared_task(name="bookings.transport_status_poll")
def transport_status_poll() -> int:
    """Follow couriers on the road: Lalamove's order status onto each TransportBooking."""
    from bookings import lalamove
    from bookings.selectors import transports_to_poll

    synced = 0
    for transport in transports_to_poll()[:100]:
        try:
            lalamove.transport_status_sync(transport=transport)
            synced += 1
        except lalamove.LalamoveError:
            # one courier's hiccup must not stop the others; it is polled again next minute
            logger.warning("courier %s: Lalamove status unavailable", transport.pk, exc_info=True)
    return synced
