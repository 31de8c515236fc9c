"""Database-side rules: knowledge-source status transitions."""

from django.db import migrations

from agnt.db import EnforceTransitions
from knowledge.state import SOURCE_TRANSITIONS


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        EnforceTransitions("VenueKnowledgeSource", "status", {k: sorted(v) for k, v in SOURCE_TRANSITIONS.items()}),
    ]
