"""The interaction (message) status machine, declared once.

Inbound messages: received → processing → processed | ignored | failed.
Outbound messages: queued → sending → sent → delivered → read, or failed.

Providers report delivery receipts out of order (a "read" can arrive before its
"delivered"), so messaging.services.interaction_mark_status ignores updates that would
move a message backwards instead of failing; the DB trigger refuses real nonsense.
"""

from django.db import models


class InteractionStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    QUEUED = "queued", "Queued to send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    READ = "read", "Read"
    FAILED = "failed", "Failed"


S = InteractionStatus
INTERACTION_TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.PROCESSING, S.PROCESSED, S.IGNORED, S.FAILED}),
    # processing → received: the worker died; the message is handed to another worker
    S.PROCESSING: frozenset({S.PROCESSED, S.IGNORED, S.FAILED, S.RECEIVED}),
    S.PROCESSED: frozenset(),
    S.IGNORED: frozenset(),
    S.QUEUED: frozenset({S.SENDING, S.SENT, S.FAILED}),
    # sending → queued: rate-limited by the provider, retried later
    S.SENDING: frozenset({S.SENT, S.DELIVERED, S.READ, S.FAILED, S.QUEUED}),
    S.SENT: frozenset({S.DELIVERED, S.READ, S.FAILED}),
    S.DELIVERED: frozenset({S.READ}),
    S.READ: frozenset(),
    # failed → queued/received: retry_failed_sends (outbound) or a manual re-run (inbound)
    S.FAILED: frozenset({S.QUEUED, S.RECEIVED}),
}

# Position along the happy path: a receipt for an earlier step than the current one is stale.
OUTBOUND_PROGRESS = {S.QUEUED: 0, S.SENDING: 1, S.SENT: 2, S.DELIVERED: 3, S.READ: 4}
