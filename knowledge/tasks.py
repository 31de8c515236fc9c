"""Knowledge jobs. Thin: each loads ids and calls one service (knowledge.ingestion or
knowledge.maintenance)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from celery.schedules import crontab

from agnt.scheduling import periodic_job
from knowledge import ingestion, maintenance
from knowledge.state import SourceStatus


@shared_task(name="knowledge.ingest_source", acks_late=True, queue="knowledge")
def ingest_source(source_id: str) -> str | None:
    """Ingest one knowledge source, then embed its new chunks. Idempotent: a source that is
    not queued is skipped, so a redelivered message (acks_late) or a duplicate enqueue by
    the sweep does nothing."""
    source = ingestion.knowledge_source_ingest(source_id=source_id)
    if source is not None and source.status == SourceStatus.READY:
        embed_source_chunks.delay(str(source.pk))
    return source.status if source is not None else None


@shared_task(name="knowledge.embed_source_chunks", acks_late=True, queue="knowledge")
def embed_source_chunks(source_id: str) -> dict[str, int]:
    """Embed the chunks of one freshly ingested source (unchanged chunks kept their vectors)."""
    return maintenance.reembed_stale_chunks(source_id=source_id)


@periodic_job(name="ingest_pending_sources", schedule=timedelta(minutes=2), queue="knowledge")
@shared_task(name="knowledge.ingest_pending_sources")
def ingest_pending_sources() -> int:
    """Enqueue knowledge sources left queued (their on-commit enqueue was lost)."""
    source_ids = ingestion.knowledge_sources_due_for_ingest()
    for source_id in source_ids:
        ingest_source.delay(str(source_id))
    return len(source_ids)


@periodic_job(name="reembed_stale_chunks", schedule=timedelta(minutes=10), queue="knowledge", expires=540)
@shared_task(name="knowledge.reembed_stale_chunks")
def reembed_stale_chunks() -> dict[str, int]:
    """Embed chunks that have no vector, or one from another model."""
    return maintenance.reembed_stale_chunks()


@periodic_job(name="refresh_url_sources", schedule=crontab(minute=20), queue="knowledge")
@shared_task(name="knowledge.refresh_url_sources")
def refresh_url_sources() -> dict[str, int]:
    """Re-ingest web-page sources whose refresh interval has passed."""
    return maintenance.refresh_due_url_sources()


@periodic_job(name="wiki_reconcile", schedule=crontab(minute=40), queue="knowledge")
@shared_task(name="knowledge.wiki_reconcile")
def wiki_reconcile() -> dict[str, int]:
    """Fail sources stuck in processing and correct chunk counts that drifted."""
    return maintenance.sources_reconcile()


@periodic_job(name="dreaming", schedule=crontab(minute=0, hour=19), queue="knowledge")  # 03:00 in Bali
@shared_task(name="knowledge.dreaming")
def dreaming() -> dict[str, int]:
    """Consolidate user memories: embed, merge near-duplicates."""
    return maintenance.memory_consolidate()


@periodic_job(name="user_memory_decay", schedule=crontab(minute=30, hour=19), queue="knowledge")
@shared_task(name="knowledge.user_memory_decay")
def user_memory_decay() -> dict[str, int]:
    """Fade memories not recalled for a month; archive the faint ones (never allergies)."""
    return maintenance.memory_decay()


@periodic_job(name="knowledge_graph_build", schedule=crontab(minute=0, hour=18), queue="knowledge")
@shared_task(name="knowledge.knowledge_graph_build")
def knowledge_graph_build() -> dict[str, int]:
    """Rebuild the venue/area/city/cuisine/taste graph from the venues."""
    return maintenance.knowledge_graph_build()
