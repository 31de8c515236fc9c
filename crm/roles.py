"""What the CRM lets each staff role do (consumed by the setup_roles command)."""

from __future__ import annotations

APP = "crm"


def venue_owner_permission_codenames() -> list[tuple[str, str]]:
    """Owners run their own venues' CRM (the admin scopes rows to their venues)."""
    return [
        (APP, f"{action}_{model}")
        for model in ("crmcontact", "crmdeal", "crmnote", "crmactivity")
        for action in ("view", "add", "change")
    ] + [(APP, "delete_crmnote")]
