"""Which permissions each staff role has. Apps describe their owner/finance/support needs in
``<app>/roles.py``; this module combines them with the platform-wide rules below."""

from __future__ import annotations

import importlib

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from agnt import roles

DOMAIN_APPS = ("venues", "bookings", "billing", "agents", "crm", "knowledge", "messaging")
# Operations runs the network: everything except money and the core identity tables.
OPERATIONS_APPS = ("venues", "bookings", "agents", "crm", "knowledge", "messaging", "django_celery_beat")


def _from_apps(function: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for app in DOMAIN_APPS:
        try:
            module = importlib.import_module(f"{app}.roles")
        except ModuleNotFoundError:
            continue
        getter = getattr(module, function, None)
        if getter:
            pairs.extend(getter())
    return pairs


def _perms(pairs: list[tuple[str, str]]):
    if not pairs:
        return Permission.objects.none()
    condition = Q()
    for app_label, codename in pairs:
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(condition)


def _view(app_labels: tuple[str, ...]):
    return Permission.objects.filter(content_type__app_label__in=app_labels, codename__startswith="view_")


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Create the role groups and set their permissions exactly (removing stale grants)."""
    everything = Permission.objects.filter(content_type__app_label__in=OPERATIONS_APPS)
    core_view = Permission.objects.filter(
        content_type__app_label="agnt",
        codename__in=["view_user", "view_session", "view_analyticsevent", "view_analyticsdailyrollup", "view_errorlog"],
    )
    plan = {
        roles.OPERATIONS: everything | core_view | _view(("billing",)) | _perms([("agnt", "change_user")]),
        roles.FINANCE: _perms(_from_apps("finance_permission_codenames"))
        | _view(("billing", "venues", "bookings"))
        | core_view,
        roles.SUPPORT: _perms(_from_apps("support_permission_codenames"))
        | _view(("venues", "bookings", "messaging"))
        | core_view
        | _perms([("agnt", "change_user"), ("bookings", "change_venuebooking")]),
        roles.VENUE_OWNERS: _perms(_from_apps("venue_owner_permission_codenames")),
        roles.HOSTED_AGENT_OWNERS: _perms(_from_apps("hosted_agent_owner_permission_codenames")),
    }
    counts = {}
    for name, permissions in plan.items():
        group, _ = Group.objects.get_or_create(name=name)
        ids = list(permissions.values_list("pk", flat=True).distinct())
        group.permissions.set(ids)
        counts[name] = len(ids)
    return counts
