"""The A2A task state machine in the database: a trigger generated from
agents.state.A2A_TASK_TRANSITIONS refuses a state change the table does not allow."""

from django.db import migrations

from agents.state import A2A_TASK_TRANSITIONS
from agnt.db import EnforceTransitions


class Migration(migrations.Migration):
    dependencies = [("agents", "0011_a2a_task_hosted_run")]

    operations = [
        EnforceTransitions("A2ATask", "state", {k: sorted(v) for k, v in A2A_TASK_TRANSITIONS.items()}),
    ]
