"""Test data for venues and bookings tests: venues, owners with the owner role, bookings."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from model_bakery import baker

from agnt import roles
from venues.models import City, Venue, VenueClient, VenueStatus
from venues.roles import venue_owner_permission_codenames


def make_city(**kwargs) -> City:
    return baker.make(City, **kwargs)


def make_venue(*, city: City | None = None, status: str = VenueStatus.ACTIVE, **kwargs) -> Venue:
    kwargs.setdefault("category", "restaurant")
    return baker.make(Venue, city=city or make_city(), status=status, **kwargs)


def venue_owners_group() -> Group:
    """The "Venue owners" group with the permissions venues/roles.py declares."""
    group, _ = Group.objects.get_or_create(name=roles.VENUE_OWNERS)
    for app_label, codename in venue_owner_permission_codenames():
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group


def make_owner(venue: Venue, *, username: str = "owner", **kwargs):
    from agnt.models import User

    user = User.objects.create_user(
        username=username, password="pw-owner-123!", is_staff=True, is_business=True, **kwargs
    )
    user.groups.add(venue_owners_group())
    VenueClient.objects.create(user=user, venue=venue, role="owner")
    return user


def make_booking(*, venue: Venue, status: str = "requested", hours_ahead: int = 24, **kwargs):
    from bookings.models import VenueBooking
    from bookings.services import booking_generate_external_ref

    start = timezone.now() + timedelta(hours=hours_ahead)
    kwargs.setdefault("party_size", 2)
    kwargs.setdefault("external_ref", booking_generate_external_ref())
    return baker.make(
        VenueBooking, venue=venue, status=status, slot_start=start, slot_end=start + timedelta(hours=2), **kwargs
    )
