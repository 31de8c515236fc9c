"""City ambassadors' numbers: sign-ups through their code, bookings by those guests, venues signed.

Sign-ups are the Referral rows recorded with the ambassador's code (``referral_create``
attributes them); bookings are those of the referred guests that went ahead (confirmed
or completed); venues are the ones whose ``ambassador`` is set. The counters cached on
CityAmbassador (shown in the admin) are refreshed here, by the weekly report job and by
the admin action.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from billing.models import Referral
from bookings.models import VenueBooking
from venues.models import CityAmbassador, Venue

BOOKING_STATUSES_COUNTED = ("confirmed", "completed")


def ambassador_numbers(*, ambassador: CityAmbassador, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """The ambassador's numbers between ``since`` and ``until`` and in total."""
    signups = Referral.objects.filter(ambassador=ambassador)
    bookings = VenueBooking.objects.filter(user__referral__ambassador=ambassador, status__in=BOOKING_STATUSES_COUNTED)
    venues = Venue.objects.filter(ambassador=ambassador)
    window = {"created_at__gte": since, "created_at__lt": until}
    return {
        "signups": signups.filter(**window).count(),
        "signups_total": signups.count(),
        "bookings": bookings.filter(**window).count(),
        "bookings_total": bookings.count(),
        "venues": venues.filter(**window).count(),
        "venues_total": venues.count(),
    }


@transaction.atomic
def city_ambassador_report(
    *, ambassador: CityAmbassador, now: dt.datetime | None = None, days: int = 7
) -> dict[str, int]:
    """The last ``days`` days' numbers; refreshes the counters cached on the ambassador row."""
    now = now or timezone.now()
    numbers = ambassador_numbers(ambassador=ambassador, since=now - dt.timedelta(days=days), until=now)
    locked = CityAmbassador.objects.select_for_update().get(pk=ambassador.pk)
    locked.venues_signed_count = numbers["venues_total"]
    locked.users_referred_count = numbers["signups_total"]
    locked.bookings_referred_count = numbers["bookings_total"]
    locked.stats_refreshed_at = now
    locked.save(
        update_fields=[
            "venues_signed_count",
            "users_referred_count",
            "bookings_referred_count",
            "stats_refreshed_at",
            "updated_at",
        ]
    )
    return numbers
