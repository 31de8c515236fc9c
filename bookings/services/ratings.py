"""Post-visit ratings and the venue's reply."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Avg, Count
from django.utils import timezone

from agnt.services import analytics_event_record
from bookings.models import (
    BookingRating,
    VenueBooking,
)
from bookings.services.errors import RatingError
from bookings.state import (
    BookingStatus,
)
from venues.models import Venue

# --------------------------------------------------------------------------- ratings

RATING_SUBSCORES = ("food_score", "service_score", "ambience_score", "value_score")


@transaction.atomic
def booking_rate(
    *,
    booking: VenueBooking,
    user,
    score: int,
    comment: str = "",
    food_score: int | None = None,
    service_score: int | None = None,
    ambience_score: int | None = None,
    value_score: int | None = None,
    would_return: bool | None = None,
) -> BookingRating:
    """Record the guest's rating of a completed visit and refresh the venue's average."""
    booking = VenueBooking.objects.select_for_update().get(pk=booking.pk)
    if booking.status != BookingStatus.COMPLETED:
        raise RatingError("only a completed visit can be rated")
    if booking.user_id is not None and booking.user_id != user.pk:
        raise RatingError("only the guest who booked can rate this visit")
    scores = {
        "score": score,
        "food_score": food_score,
        "service_score": service_score,
        "ambience_score": ambience_score,
        "value_score": value_score,
    }
    for name, value in scores.items():
        if value is not None and not 1 <= int(value) <= 5:
            raise RatingError(f"{name} must be between 1 and 5")
    if BookingRating.objects.filter(booking=booking).exists():
        raise RatingError("this visit has already been rated")
    rating = BookingRating.objects.create(
        booking=booking, venue_id=booking.venue_id, user=user, comment=comment, would_return=would_return, **scores
    )
    venue_refresh_rating(venue_id=booking.venue_id)
    analytics_event_record(
        name="booking.rated", user=user, properties={"venue_id": str(booking.venue_id), "score": score}
    )
    return rating


def venue_refresh_rating(*, venue_id) -> None:
    """Recompute the venue's cached average from its public ratings (under a row lock)."""
    venue = Venue.objects.select_for_update().get(pk=venue_id)
    agg = BookingRating.objects.filter(venue_id=venue_id, is_public=True).aggregate(avg=Avg("score"), n=Count("id"))
    venue.rating_average = round(Decimal(agg["avg"]), 2) if agg["avg"] is not None else None
    venue.rating_count = agg["n"]
    venue.save(update_fields=["rating_average", "rating_count", "updated_at"])


@transaction.atomic
def booking_rating_reply(*, rating: BookingRating, reply: str, actor=None) -> BookingRating:
    """The venue's public answer to a rating."""
    rating = BookingRating.objects.select_for_update().get(pk=rating.pk)
    rating.owner_reply = reply.strip()
    rating.owner_replied_at = timezone.now() if rating.owner_reply else None
    rating.save(update_fields=["owner_reply", "owner_replied_at", "updated_at"])
    return rating
