"""Database-side rules for the CRM: deal stage transitions."""

from django.db import migrations

from agnt.db import EnforceTransitions
from crm.state import DEAL_TRANSITIONS


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [
        EnforceTransitions("CrmDeal", "stage", {k: sorted(v) for k, v in DEAL_TRANSITIONS.items()}),
    ]
