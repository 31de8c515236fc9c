"""Permissions the agents app gives to the staff roles (agnt.roles groups).

Each function returns ``(app_label, codename)`` pairs; ``setup_roles`` assigns them.
"""

from __future__ import annotations


def venue_owner_permission_codenames() -> list[tuple[str, str]]:
    # Venue owners see their bookings in the bookings app; envelopes, keys and webhooks
    # are platform plumbing and not venue-scoped in the admin.
    return []


def support_permission_codenames() -> list[tuple[str, str]]:
    # Support debugs "my booking never confirmed": read the registry and the envelope trail.
    return [
        ("agents", "view_agent"),
        ("agents", "view_a2aenvelope"),
        ("agents", "view_envelopeevent"),
        ("agents", "view_cardresponse"),
    ]


def finance_permission_codenames() -> list[tuple[str, str]]:
    # Finance reconciles metered API usage against keys (tier, bookings_total).
    return [("agents", "view_apikey")]
