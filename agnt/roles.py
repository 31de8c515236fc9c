"""Staff roles (auth groups) and who counts as platform staff. Which venues an owner
manages is venues.selectors.owned_venue_ids."""

from __future__ import annotations

OPERATIONS = "Operations"
FINANCE = "Finance"
SUPPORT = "Support"
VENUE_OWNERS = "Venue owners"
HOSTED_AGENT_OWNERS = "Hosted agent owners"
PLATFORM_GROUPS = (OPERATIONS, FINANCE, SUPPORT)


def is_platform_staff(user) -> bool:
    """Superusers and members of a platform group see everything; venue and hosted-agent owners
    see their own."""
    if not user.is_authenticated or not user.is_staff:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_agnt_platform_staff", None)
    if cached is None:
        cached = user.groups.filter(name__in=PLATFORM_GROUPS).exists()
        user._agnt_platform_staff = cached
    return cached
