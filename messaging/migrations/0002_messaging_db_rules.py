"""Database-side rules: interaction status transitions."""

from django.db import migrations

from agnt.db import EnforceTransitions
from messaging.state import INTERACTION_TRANSITIONS


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [
        EnforceTransitions("Interaction", "status", {k: sorted(v) for k, v in INTERACTION_TRANSITIONS.items()}),
    ]
