"""Load the Bali demo network (idempotent: a second run creates nothing)."""

from django.core.management.base import BaseCommand

from agnt.management.demo import DemoSeeder


class Command(BaseCommand):
    help = "Load idempotent demo data: 5 Bali cities, 70+ venues, users, bookings, ledgers, CRM."

    def handle(self, *args, **options):
        created = DemoSeeder().run()
        if options["verbosity"] >= 1:
            if created:
                self.stdout.write("Demo data: " + ", ".join(f"{n} {what}" for what, n in created.items()))
            else:
                self.stdout.write("Demo data already loaded; nothing to add.")
