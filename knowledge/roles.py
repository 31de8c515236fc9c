"""Permissions the knowledge app gives to the staff roles (agnt.roles groups).

Each function returns ``(app_label, codename)`` pairs; ``setup_roles`` assigns them.
"""

from __future__ import annotations


def venue_owner_permission_codenames() -> list[tuple[str, str]]:
    # Owners manage their venue's menus and pages (the admin scopes rows to their venues)
    # and can read the chunks the concierge answers from.
    return [
        ("knowledge", "view_venueknowledgesource"),
        ("knowledge", "add_venueknowledgesource"),
        ("knowledge", "change_venueknowledgesource"),
        ("knowledge", "delete_venueknowledgesource"),
        ("knowledge", "view_knowledgesourceevent"),
        ("knowledge", "view_venuechunk"),
    ]


def support_permission_codenames() -> list[tuple[str, str]]:
    # Support may read what the concierge remembers about a user, not edit or delete it
    # (forgetting is the user's request, handled by staff with delete rights).
    return [
        ("knowledge", "view_usermemory"),
        ("knowledge", "view_fooddiary"),
    ]
