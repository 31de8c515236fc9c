"""Guest reliability: no-show strikes and the owner-approval flag."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
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


@transaction.atomic
def guest_reliability_recompute_all(*, now: datetime | None = None) -> int:
    """Recompute every guest with a no-show in the window or a record still counting one.

    One statement for all of them (the hourly job): count each guest's no-shows in the
    window, then insert or update their GuestReliability row — the same numbers
    :func:`guest_reliability_recompute` gives one guest. Returns how many guests it wrote.
    """
    now = now or timezone.now()
    window = no_show_window_days()
    booking_table = VenueBooking._meta.db_table
    record_table = GuestReliability._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH counts AS (
                SELECT user_id, count(*) AS no_shows, max(slot_start) AS last_no_show
                FROM {booking_table}
                WHERE status = %(no_show)s AND user_id IS NOT NULL
                  AND slot_start >= %(since)s AND slot_start <= %(now)s
                GROUP BY user_id
            ),
            guests AS (
                SELECT user_id FROM counts
                UNION
                SELECT user_id FROM {record_table} WHERE no_show_count > 0 OR needs_owner_approval
            )
            INSERT INTO {record_table}
                (user_id, no_show_count, window_days, last_no_show_at, needs_owner_approval, computed_at)
            SELECT guests.user_id, LEAST(COALESCE(counts.no_shows, 0), 32767), %(window)s, counts.last_no_show,
                   COALESCE(counts.no_shows, 0) >= %(threshold)s, %(now)s
            FROM guests LEFT JOIN counts USING (user_id)
            ON CONFLICT (user_id) DO UPDATE SET
                no_show_count = EXCLUDED.no_show_count,
                window_days = EXCLUDED.window_days,
                last_no_show_at = EXCLUDED.last_no_show_at,
                needs_owner_approval = EXCLUDED.needs_owner_approval,
                computed_at = EXCLUDED.computed_at,
                updated_at = now()
            RETURNING needs_owner_approval
            """,
            {
                "no_show": BookingStatus.NO_SHOW,
                "since": now - timedelta(days=window),
                "now": now,
                "window": window,
                "threshold": no_show_strike_threshold(),
            },
        )
        rows = cursor.fetchall()
    flagged = sum(1 for (needs_approval,) in rows if needs_approval)
    logger.info("no-show strikes recomputed for %s guest(s); %s need owner approval", len(rows), flagged)
    return len(rows)
