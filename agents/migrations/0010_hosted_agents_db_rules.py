"""Database-side rules for hosted agents: the run state machine, and the append-only
tables (versions never change, the trace and the usage ledger only grow)."""

from django.db import migrations

from agents.hosted.state import RUN_TRANSITIONS
from agnt.db import AppendOnly, EnforceTransitions


class Migration(migrations.Migration):
    dependencies = [("agents", "0009_hosted_agents")]

    operations = [
        EnforceTransitions("AgentRun", "status", {k: sorted(v) for k, v in RUN_TRANSITIONS.items()}),
        AppendOnly("HostedAgentVersion"),
        AppendOnly("RunEvent"),
        AppendOnly("UsageEntry"),
    ]
