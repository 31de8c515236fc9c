"""Read-side queries of venues that carry logic."""

from __future__ import annotations

from django.db.models import QuerySet

from venues.models import UserList, Venue, VenueClaim, VenueClient
from venues.state import OPEN_CLAIM_STATUSES


def venues_managed_by(*, user) -> QuerySet[Venue]:
    """Venues a business user owns or manages (active links only)."""
    return Venue.objects.filter(
        pk__in=VenueClient.objects.filter(user=user, is_active=True).values("venue_id")
    ).select_related("city")


def venue_claims_open(*, venue: Venue | None = None) -> QuerySet[VenueClaim]:
    """Claims waiting for a decision, oldest first (the staff review queue)."""
    qs = VenueClaim.objects.filter(status__in=OPEN_CLAIM_STATUSES).select_related("venue", "claimant").order_by("created_at")
    return qs.filter(venue=venue) if venue is not None else qs


def user_lists_for(*, user, viewer=None) -> QuerySet[UserList]:
    """A user's lists with their venues; someone else sees only the public ones."""
    qs = UserList.objects.filter(user=user).prefetch_related("items__venue").order_by("kind", "name")
    if viewer is None or viewer.pk != user.pk:
        qs = qs.filter(is_public=True)
    return qs
