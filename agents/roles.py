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


def hosted_agent_owner_permission_codenames() -> list[tuple[str, str]]:
    # People who write hosted agents manage them in the back office. Row-level limits (only
    # their own agents' rows) come from OwnerScopedMixin in agents/hosted/admin.py.
    return [
        # Their agents (every save is a new version; deleting is the undeploy action) and versions.
        ("agents", "view_hostedagent"),
        ("agents", "add_hostedagent"),
        ("agents", "change_hostedagent"),
        ("agents", "view_hostedagentversion"),
        # Where each agent is served.
        ("agents", "view_deployment"),
        ("agents", "add_deployment"),
        ("agents", "change_deployment"),
        ("agents", "delete_deployment"),
        # Runs with their trace (read-only; the cancel action works on their own runs).
        ("agents", "view_agentrun"),
        ("agents", "view_runevent"),
        # Their allowance and usage ledger, read-only.
        ("agents", "view_allowance"),
        ("agents", "view_usageentry"),
        # Their provider keys, masked (set and removed through the API).
        ("agents", "view_providerkey"),
        # Demo pages and the conversations held on them.
        ("agents", "view_demoapp"),
        ("agents", "add_demoapp"),
        ("agents", "change_demoapp"),
        ("agents", "delete_demoapp"),
        ("agents", "view_agentsession"),
    ]
