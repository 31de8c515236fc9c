"""What the "Venue owners" group may do in the admin, for the venues and bookings apps.

The lead's roles-setup command combines these pairs with the other apps' (knowledge,
CRM, billing) and grants them to agnt.roles.VENUE_OWNERS. Row-level limits (only their
own venues) come from VenueScopedAdminMixin on each admin, not from these permissions.
"""

from __future__ import annotations


def venue_owner_permission_codenames() -> list[tuple[str, str]]:
    """(app_label, codename) pairs a venue owner needs for the venues and bookings models."""
    return [
        # Their venue's profile, rules and policies (commercial columns are read-only in
        # VenueAdmin for non-platform staff).
        ("venues", "view_venue"),
        ("venues", "change_venue"),
        # Who else manages the venue (shown inline on the venue page; staff add people).
        ("venues", "view_venueclient"),
        # Progress of their onboarding wizard.
        ("venues", "view_b2bonboardingsession"),
        ("venues", "view_b2bonboardingevent"),
        # Bookings: see them, confirm/cancel/complete/no-show through admin actions, keep
        # an internal note. The status itself is read-only in the form.
        ("bookings", "view_venuebooking"),
        ("bookings", "change_venuebooking"),
        ("bookings", "view_bookingevent"),
        # Guests' ratings, and the owner's public reply (the only field they can change).
        ("bookings", "view_bookingrating"),
        ("bookings", "change_bookingrating"),
    ]
