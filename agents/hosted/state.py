"""The hosted-agent run state machine, declared once.

The service (agents.hosted.services.run_transition, through agnt.transitions) checks
these transitions and the database re-checks them with a trigger generated from the
same table (migration using agnt.db.EnforceTransitions).
"""

from django.db import models


class RunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    TIMED_OUT = "timed_out", "Timed out"


R = RunStatus
RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    R.PENDING: frozenset({R.RUNNING, R.CANCELLED, R.FAILED}),
    R.RUNNING: frozenset({R.SUCCEEDED, R.FAILED, R.CANCELLED, R.TIMED_OUT}),
    R.SUCCEEDED: frozenset(),
    R.FAILED: frozenset(),
    R.CANCELLED: frozenset(),
    R.TIMED_OUT: frozenset(),
}
TERMINAL_RUN_STATUSES = frozenset(s for s, targets in RUN_TRANSITIONS.items() if not targets)
