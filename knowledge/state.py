"""The knowledge-source ingestion state machine, declared once.

knowledge.services.knowledge_source_transition moves a source through agnt.transitions,
the database re-checks it with a trigger generated from this table
(agnt.db.EnforceTransitions), and every transition writes a KnowledgeSourceEvent.
"""

from django.db import models


class SourceStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


S = SourceStatus
SOURCE_TRANSITIONS: dict[str, frozenset[str]] = {
    # queued → failed: rejected before a worker starts (unreadable file, blocked URL)
    S.QUEUED: frozenset({S.PROCESSING, S.FAILED}),
    # processing → queued: a worker died mid-way and the sweeper hands it to another
    S.PROCESSING: frozenset({S.READY, S.FAILED, S.QUEUED}),
    # ready/failed → queued: re-ingest (content changed, URL refresh, retry)
    S.READY: frozenset({S.QUEUED}),
    S.FAILED: frozenset({S.QUEUED}),
}
