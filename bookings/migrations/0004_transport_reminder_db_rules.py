"""Database-side rules: courier and reminder state machines, append-only courier event log.

The "never book a courier without the user's confirmation" CHECKs live on the model
(TransportBooking.Meta.constraints) so Django validates them too; this migration adds
the transition triggers.
"""

from django.db import migrations

from agnt.db import AppendOnly, EnforceTransitions
from bookings.state import REMINDER_TRANSITIONS, TRANSPORT_TRANSITIONS


class Migration(migrations.Migration):
    dependencies = [("bookings", "0003_ratings_reminders_transport")]

    operations = [
        EnforceTransitions("TransportBooking", "status", {k: sorted(v) for k, v in TRANSPORT_TRANSITIONS.items()}),
        EnforceTransitions("Reminder", "status", {k: sorted(v) for k, v in REMINDER_TRANSITIONS.items()}),
        AppendOnly("TransportEvent"),
    ]
