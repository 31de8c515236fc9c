"""Create or refresh the staff role groups and their permissions (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from agnt.roles_setup import roles_sync


class Command(BaseCommand):
    help = "Create/refresh the Operations, Finance, Support, Venue owners and Hosted agent owners groups."

    def handle(self, *args, **options):
        for group, count in roles_sync().items():
            if options["verbosity"] >= 1:
                self.stdout.write(f"{group}: {count} permissions")
