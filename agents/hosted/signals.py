"""Domain signals of hosted agents, sent after commit.

``run_status_changed(run_id, from_status, to_status)``: a run moved in its state machine
(agents.hosted.state). The A2A tasks that follow runs listen (agents.apps)."""

from django.dispatch import Signal

run_status_changed = Signal()
