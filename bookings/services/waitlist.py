"""The waitlist: join, leave, offers when a table frees up, expiry."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from agnt.services import analytics_event_record
from agnt.transitions import transition
from bookings import signals
from bookings.models import (
    VenueBooking,
    WaitlistEntry,
    WaitlistEvent,
)
from bookings.services.booking import BOOKABLE_VENUE_STATUSES
from bookings.services.errors import BookingError
from bookings.services.knobs import lifecycle_setting
from bookings.state import (
    WAITLIST_TRANSITIONS,
    BookingStatus,
    WaitlistStatus,
)
from venues.models import Venue

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- waitlist


class WaitlistError(BookingError):
    pass


@transaction.atomic
def waitlist_join(
    *,
    user,
    venue: Venue,
    party_size: int,
    slot_start: datetime,
    flexibility_minutes: int = 60,
    note: str = "",
) -> WaitlistEntry:
    """Put the guest on the venue's waitlist for a full slot; asking again keeps their place."""
    if venue.status not in BOOKABLE_VENUE_STATUSES:
        raise WaitlistError(f"{venue} does not take bookings")
    if not venue.min_party_size <= party_size <= venue.max_party_size:
        raise WaitlistError(f"{venue} takes parties of {venue.min_party_size}–{venue.max_party_size}, not {party_size}")
    if slot_start <= timezone.now():
        raise WaitlistError("that time has already passed")
    if not 0 <= flexibility_minutes <= 24 * 60:
        raise WaitlistError("flexibility must be between 0 minutes and a day")
    existing = WaitlistEntry.objects.filter(
        user=user, venue=venue, slot_start=slot_start, status=WaitlistStatus.WAITING
    ).first()
    if existing is not None:
        return existing
    from bookings.availability import slot_is_free

    if slot_is_free(venue=venue, start=slot_start, party_size=party_size).slots:
        raise WaitlistError("that time is still free: book it instead")
    entry = WaitlistEntry.objects.create(
        user=user,
        venue=venue,
        party_size=party_size,
        slot_start=slot_start,
        flexibility_minutes=flexibility_minutes,
        note=note[:300],
    )
    analytics_event_record(name="waitlist.joined", user=user, properties={"venue_id": str(venue.pk)})
    return entry


def _waitlist_move(entry: WaitlistEntry, to_status: str, **fields) -> WaitlistEntry:
    locked, _ = transition(
        entry,
        to_status=to_status,
        table=WAITLIST_TRANSITIONS,
        changes=fields,
        refuse=lambda locked, from_status: WaitlistError(
            f"waitlist entry cannot move from {from_status} to {to_status}"
        ),
        event=lambda locked, from_status: WaitlistEvent.objects.create(
            entry=locked,
            from_status=from_status,
            to_status=to_status,
            data={"offered_booking": str(locked.offered_booking_id)} if locked.offered_booking_id else {},
        ),
    )
    return locked


@transaction.atomic
def waitlist_leave(*, entry: WaitlistEntry, user) -> WaitlistEntry:
    if entry.user_id != user.pk:
        raise WaitlistError("only the guest on the waitlist can leave it")
    return _waitlist_move(entry, WaitlistStatus.CANCELLED)


@transaction.atomic
def waitlist_offer_for_cancellation(*, booking: VenueBooking, now: datetime | None = None) -> list[WaitlistEntry]:
    """A booking was cancelled: tell the first waiting guests (oldest first) whose party now
    fits near their asked time that a table opened up. First to book wins.

    Idempotent: the offered entries point at the cancellation (``offered_booking``), and a
    cancellation that already has offers is skipped. Runs under the booking's lock.
    """
    from bookings.availability import slot_is_free
    from bookings.selectors import waitlist_candidates

    now = now or timezone.now()
    locked = VenueBooking.objects.select_for_update(of=("self",)).select_related("venue__city").get(pk=booking.pk)
    if locked.status != BookingStatus.CANCELLED or locked.slot_start <= now:
        return []
    if WaitlistEntry.objects.filter(offered_booking=locked).exists():
        return []
    limit = int(lifecycle_setting("BOOKINGS_WAITLIST_NOTIFY_COUNT", 3))
    offered: list[WaitlistEntry] = []
    for entry in waitlist_candidates(booking=locked):
        if len(offered) >= limit:
            break
        # Prefer the time they asked for; else the freed booking's own time, if it is
        # within their flexibility. The diary decides, so a slot someone else already
        # took (or pacing still forbids) is not offered.
        slot = None
        for candidate in (entry.slot_start, locked.slot_start):
            if (
                abs(candidate - entry.slot_start) <= timedelta(minutes=entry.flexibility_minutes)
                and slot_is_free(venue=locked.venue, start=candidate, party_size=entry.party_size, now=now).slots
            ):
                slot = candidate
                break
        if slot is None:
            continue
        entry = _waitlist_move(
            entry, WaitlistStatus.NOTIFIED, notified_at=now, offered_booking=locked, offered_slot=slot
        )
        # messaging (the single sender) tells the guest and answers with the message's id
        interaction_id = signals.first_answer(
            signals.waitlist_offer_made.send(sender=WaitlistEntry, entry=entry, slot=slot, venue=locked.venue)
        )
        if interaction_id is not None:
            entry.interaction_id = interaction_id
            entry.save(update_fields=["interaction_id", "updated_at"])
        offered.append(entry)
    return offered


def waitlist_promote_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Offer freed tables to waiting guests, then expire entries whose time has passed.

    Returns how many guests were told."""
    from bookings.selectors import cancellations_for_waitlist

    now = now or timezone.now()
    told = 0
    for booking in list(cancellations_for_waitlist(now=now)[:limit]):
        try:
            told += len(waitlist_offer_for_cancellation(booking=booking, now=now))
        except Exception:
            logger.exception("waitlist_promote failed for booking %s", booking.pk)
    waitlist_expire_past(now=now)
    return told


@transaction.atomic
def waitlist_expire_past(*, now: datetime | None = None) -> int:
    """Entries still waiting for a time that has passed are expired."""
    now = now or timezone.now()
    expired = 0
    # several rows: locked in primary-key order (agnt.transitions.lock_objects' rule)
    for entry in (
        WaitlistEntry.objects.select_for_update(skip_locked=True)
        .filter(status=WaitlistStatus.WAITING, slot_start__lte=now)
        .order_by("pk")[:1000]
    ):
        _waitlist_move(entry, WaitlistStatus.EXPIRED)
        expired += 1
    return expired
