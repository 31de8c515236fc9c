"""Guest reliability: no-show strikes and the owner-approval flag."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from bookings.models import (
    GuestReliability,
    VenueBooking,
)
from bookings.services.knobs import lifecycle_setting
from bookings.state import (
    BookingStatus,
)

# --------------------------------------------------------------------------- guest reliability (no-show strikes)

logger = logging.getLogger(__name__)


def no_show_window_days() -> int:
    return int(lifecycle_setting("BOOKINGS_NO_SHOW_WINDOW_DAYS", 180))


def no_show_strike_threshold() -> int:
    """No-shows within the window at which a guest's bookings need the owner's approval."""
    return int(lifecycle_setting("BOOKINGS_NO_SHOW_STRIKES", 2))


@transaction.atomic
def guest_reliability_recompute(*, user, now: datetime | None = None) -> GuestReliability:
    """Count the guest's no-shows in the window and set ``needs_owner_approval``.

    Call it right after marking a no-show to flag the guest at once; the nightly job
    recomputes everyone so old no-shows fall out of the window.
    """
    now = now or timezone.now()
    window = no_show_window_days()
    no_shows = VenueBooking.objects.filter(
        user=user, status=BookingStatus.NO_SHOW, slot_start__gte=now - timedelta(days=window), slot_start__lte=now
    )
    count = no_shows.count()
    last = no_shows.order_by("-slot_start").values_list("slot_start", flat=True).first()
    flagged = count >= no_show_strike_threshold()
    record, created = GuestReliability.objects.select_for_update().get_or_create(
        user=user,
        defaults={
            "no_show_count": count,
            "window_days": window,
            "last_no_show_at": last,
            "needs_owner_approval": flagged,
            "computed_at": now,
        },
    )
    if not created:
        if record.needs_owner_approval != flagged:
            logger.info(
                "guest %s %s owner approval (%s no-shows)",
                user.pk,
                "now needs" if flagged else "no longer needs",
                count,
            )
        record.no_show_count, record.window_days, record.last_no_show_at = min(count, 32767), window, last
        record.needs_owner_approval, record.computed_at = flagged, now
        record.save(
            update_fields=[
                "no_show_count",
                "window_days",
                "last_no_show_at",
                "needs_owner_approval",
                "computed_at",
                "updated_at",
            ]
        )
    return record


def guest_reliability_recompute_all(*, now: datetime | None = None) -> int:
    """Recompute every guest with a no-show in the window or a record still counting one."""
    from django.contrib.auth import get_user_model

    now = now or timezone.now()
    since = now - timedelta(days=no_show_window_days())
    user_ids = (
        set(
            VenueBooking.objects.filter(
                status=BookingStatus.NO_SHOW, slot_start__gte=since, user__isnull=False
            ).values_list("user_id", flat=True)
        )
        | set(GuestReliability.objects.filter(no_show_count__gt=0).values_list("user_id", flat=True))
        | set(GuestReliability.objects.filter(needs_owner_approval=True).values_list("user_id", flat=True))
    )
    done = 0
    for user in get_user_model().objects.filter(pk__in=user_ids):
        try:
            guest_reliability_recompute(user=user, now=now)
            done += 1
        except Exception:
            logger.exception("no-show strikes recompute failed for user %s", user.pk)
    return done
