"""The A2A envelope, webhook-delivery, gateway-message and A2A task state machines, declared once.

The service layer (agents.services.envelope_transition) checks these transitions, the
database re-checks them with triggers generated from the same tables (see the migration
using agnt.db.EnforceTransitions), and every envelope transition writes an EnvelopeEvent.
"""

from django.db import models


class EnvelopeStatus(models.TextChoices):
    CREATED = "created", "Created"
    QUEUED = "queued", "Queued (breaker open / retry later)"
    SENT = "sent", "Sent to gateway"
    DELIVERED = "delivered", "Delivered to the agent's inbox"
    PROCESSED = "processed", "Processed by the recipient"
    REJECTED = "rejected", "Rejected by the recipient (bad signature, unknown intent…)"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired (TTL passed)"


E = EnvelopeStatus
ENVELOPE_TRANSITIONS: dict[str, frozenset[str]] = {
    E.CREATED: frozenset({E.QUEUED, E.SENT, E.FAILED, E.EXPIRED}),
    # queued: a breaker was open or the gateway refused; a retry sends it later
    E.QUEUED: frozenset({E.SENT, E.FAILED, E.EXPIRED}),
    # sent → queued: the gateway took it but then reported a transient delivery error
    E.SENT: frozenset({E.DELIVERED, E.PROCESSED, E.REJECTED, E.QUEUED, E.FAILED, E.EXPIRED}),
    E.DELIVERED: frozenset({E.PROCESSED, E.REJECTED, E.FAILED, E.EXPIRED}),
    # failed → queued: an operator (or the retry job) tries again while the TTL allows
    E.FAILED: frozenset({E.QUEUED, E.EXPIRED}),
    E.PROCESSED: frozenset(),
    E.REJECTED: frozenset(),
    E.EXPIRED: frozenset(),
}
TERMINAL_ENVELOPE_STATUSES = frozenset(s for s, targets in ENVELOPE_TRANSITIONS.items() if not targets)
# Envelopes still in flight: the TTL sweep expires these once expires_at has passed.
LIVE_ENVELOPE_STATUSES = frozenset({E.CREATED, E.QUEUED, E.SENT, E.DELIVERED, E.FAILED})


def can_transition_envelope(current: str, target: str) -> bool:
    return target in ENVELOPE_TRANSITIONS.get(current, frozenset())


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (a later attempt follows)"
    DEAD = "dead", "Dead (no more attempts)"


W = WebhookDeliveryStatus
# One WebhookDelivery row is one attempt: it starts pending and ends exactly once.
WEBHOOK_DELIVERY_TRANSITIONS: dict[str, frozenset[str]] = {
    W.PENDING: frozenset({W.SUCCEEDED, W.FAILED, W.DEAD}),
    W.SUCCEEDED: frozenset(),
    W.FAILED: frozenset(),
    W.DEAD: frozenset(),
}


class GatewayMessageStatus(models.TextChoices):
    PENDING = "pending", "Pending (in the inbox)"
    DELIVERED = "delivered", "Delivered (pushed to the agent)"
    DRAINED = "drained", "Drained (the agent fetched it)"
    EXPIRED = "expired", "Expired (TTL passed undelivered)"


_G = GatewayMessageStatus
# A message leaves the inbox exactly once; the service checks this and a trigger re-checks it.
GATEWAY_MESSAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    _G.PENDING: frozenset({_G.DELIVERED, _G.DRAINED, _G.EXPIRED}),
    _G.DELIVERED: frozenset(),
    _G.DRAINED: frozenset(),
    _G.EXPIRED: frozenset(),
}


class A2ATaskState(models.TextChoices):
    """The A2A protocol's task states (a2a.proto TaskState names, lower-cased)."""

    SUBMITTED = "submitted", "Submitted"
    WORKING = "working", "Working"
    INPUT_REQUIRED = "input_required", "Input required"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"
    CANCELED = "canceled", "Canceled"
    FAILED = "failed", "Failed"


_T = A2ATaskState
_T_FINISHED = frozenset({_T.COMPLETED, _T.REJECTED, _T.CANCELED, _T.FAILED})
# A task follows its skill (or its booking) until it finishes; a finished task never moves
# again. Every state may "move" to itself: a save that only adds a message to the task's
# history (an answer while it waits, the a2a-sdk task store rewriting its JSON).
A2A_TASK_TRANSITIONS: dict[str, frozenset[str]] = {
    _T.SUBMITTED: frozenset({_T.SUBMITTED, _T.WORKING, _T.INPUT_REQUIRED, *_T_FINISHED}),
    _T.WORKING: frozenset({_T.WORKING, _T.INPUT_REQUIRED, *_T_FINISHED}),
    _T.INPUT_REQUIRED: frozenset({_T.INPUT_REQUIRED, _T.WORKING, *_T_FINISHED}),
    **{state: frozenset({state}) for state in _T_FINISHED},
}
TERMINAL_A2A_TASK_STATES = frozenset(s for s, targets in A2A_TASK_TRANSITIONS.items() if targets <= {s})
