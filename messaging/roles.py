"""Permissions the messaging app gives to the staff roles (agnt.roles groups).

Each function returns ``(app_label, codename)`` pairs; ``setup_roles`` assigns them.
"""

from __future__ import annotations


def venue_owner_permission_codenames() -> list[tuple[str, str]]:
    # Consumers' conversations are private to the platform; owners see bookings, not chats.
    return []


def support_permission_codenames() -> list[tuple[str, str]]:
    # Support reads conversations to help users and may fix a binding (deactivate a
    # hijacked chat id, correct a display name).
    return [
        ("messaging", "view_userchannel"),
        ("messaging", "change_userchannel"),
        ("messaging", "view_interaction"),
        ("messaging", "view_conversationsnapshot"),
    ]
