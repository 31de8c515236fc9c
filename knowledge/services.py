"""Writes for the knowledge app: knowledge sources and their ingestion states, user memory."""

from __future__ import annotations

import hashlib
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from agnt.transitions import transition
from knowledge.models import (
    KnowledgeSourceEvent,
    SourceKind,
    UserMemory,
    VenueKnowledgeSource,
)
from knowledge.state import SOURCE_TRANSITIONS, SourceStatus

logger = logging.getLogger(__name__)


class SourceTransitionError(ValueError):
    """The knowledge-source state machine does not allow this move."""


def _sha256_file(file) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in file.chunks():
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return digest.hexdigest(), size


@transaction.atomic
def knowledge_source_create(
    *,
    venue,
    kind: str,
    title: str,
    file=None,
    url: str = "",
    text: str = "",
    refresh_interval_hours: int | None = None,
    created_by=None,
) -> VenueKnowledgeSource:
    """Register a source in ``queued``; the ``ingest_pending_sources`` job picks it up.

    Only the content that matches ``kind`` is kept, so a PDF source never carries a stale
    URL around.
    """
    if kind not in SourceKind.values:
        raise ValidationError(f"unknown knowledge source kind {kind!r}")
    source = VenueKnowledgeSource(venue=venue, kind=kind, title=title, created_by=created_by)
    if kind == SourceKind.PDF:
        if not file:
            raise ValidationError("a PDF source needs a file")
        source.content_hash, source.size_bytes = _sha256_file(file)
        source.file = file
    elif kind == SourceKind.URL:
        if not url:
            raise ValidationError("a URL source needs a url")
        source.url = url
        source.refresh_interval_hours = refresh_interval_hours
    else:
        if not text.strip():
            raise ValidationError("a text source needs text")
        encoded = text.encode("utf-8")
        source.text = text
        source.content_hash = hashlib.sha256(encoded).hexdigest()
        source.size_bytes = len(encoded)
    source.save()
    KnowledgeSourceEvent.objects.create(source=source, from_status="", to_status=source.status, actor=created_by)
    _enqueue_ingest_on_commit(source.pk)
    return source


@transaction.atomic
def knowledge_source_transition(
    *,
    source: VenueKnowledgeSource,
    to_status: str,
    error: str = "",
    actor=None,
    locked: VenueKnowledgeSource | None = None,
) -> VenueKnowledgeSource:
    """Move a source along SOURCE_TRANSITIONS, keep its progress fields honest, log the move.

    Pass ``locked`` when the caller already holds the row lock (the ingestion claim).
    """

    def progress(row: VenueKnowledgeSource, from_status: str) -> dict:
        if to_status in (SourceStatus.QUEUED, SourceStatus.PROCESSING):
            return {"error": "", "progress": 0}
        if to_status == SourceStatus.READY:
            return {"error": "", "progress": 100, "last_ingested_at": timezone.now()}
        return {"error": error or "ingestion failed", "progress": row.progress}

    def refuse(row: VenueKnowledgeSource, from_status: str) -> Exception:
        allowed = ", ".join(sorted(SOURCE_TRANSITIONS.get(from_status, ()))) or "nothing"
        return SourceTransitionError(
            f"source {row.pk} cannot move from {from_status} to {to_status} (allowed: {allowed})"
        )

    def log(row: VenueKnowledgeSource, from_status: str) -> None:
        KnowledgeSourceEvent.objects.create(
            source=row, from_status=from_status, to_status=to_status, error=error, actor=actor
        )

    row, _ = transition(
        source,
        to_status=to_status,
        table=SOURCE_TRANSITIONS,
        changes=progress,
        refuse=refuse,
        event=log,
        locked=locked,
    )
    return row


@transaction.atomic
def knowledge_source_requeue(*, source: VenueKnowledgeSource, actor=None) -> VenueKnowledgeSource:
    """Re-ingest a ready or failed source (the state machine refuses one already in flight)."""
    locked = knowledge_source_transition(source=source, to_status=SourceStatus.QUEUED, actor=actor)
    _enqueue_ingest_on_commit(locked.pk)
    return locked


def _enqueue_ingest_on_commit(source_id) -> None:
    # After commit, so the worker sees the row; a failed enqueue (broker down) is only
    # logged: the ingest_pending_sources sweep enqueues queued sources it finds later.
    def enqueue() -> None:
        from knowledge.tasks import ingest_source

        try:
            ingest_source.delay(str(source_id))  # JSON serializer: a UUID travels as text
        except Exception:
            logger.warning("could not enqueue ingestion of knowledge source %s", source_id, exc_info=True)

    transaction.on_commit(enqueue)


@transaction.atomic
def knowledge_source_set_progress(*, source: VenueKnowledgeSource, progress: int) -> None:
    """Progress of a running ingestion; only moves while processing, and only forward."""
    VenueKnowledgeSource.objects.filter(
        pk=source.pk, status=SourceStatus.PROCESSING, progress__lt=min(progress, 99)
    ).update(progress=min(progress, 99), updated_at=timezone.now())


@transaction.atomic
def user_memory_forget(*, user, memory: UserMemory) -> None:
    """Really delete a memory the user asked us to forget (no soft delete: it is their data)."""
    if memory.user_id != user.pk:
        raise PermissionDenied("a memory can only be forgotten by its user (or staff on their behalf)")
    UserMemory.objects.filter(pk=memory.pk, user=user).delete()


@transaction.atomic
def user_memory_forget_all(*, user) -> int:
    """Really delete every memory of ``user`` ("forget everything"); returns how many went."""
    deleted, _per_model = UserMemory.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def food_diary_log(
    *,
    user,
    description: str,
    items: list[dict],
    eaten_at,
    meal_type: str = "",
    confidence: float | None = None,
    source_interaction_id=None,
):
    """Record one meal with its items; the entry's calories and macros are the items' sums.

    ``items`` are dicts with ``name`` and optional ``calories``, ``protein_g``, ``carbs_g``,
    ``fat_g`` (as the food_diary_log tool, the nutrition table or a vision model give them).
    """
    from decimal import Decimal

    from knowledge.models import FoodDiary, MealType
    from knowledge.nutrition import totals

    if meal_type and meal_type not in MealType.values:
        raise ValidationError(f"unknown meal type {meal_type!r}; use one of {', '.join(MealType.values)}")
    if not items:
        raise ValidationError("a food diary entry needs at least one item")
    if confidence is not None and not 0 <= confidence <= 1:
        raise ValidationError("confidence must be between 0 and 1")
    summed = totals(items)
    return FoodDiary.objects.create(
        user=user,
        description=(description or "").strip(),
        items=items,
        eaten_at=eaten_at,
        meal_type=meal_type,
        calories=summed["calories"],
        protein_g=Decimal(str(summed["protein_g"])),
        carbs_g=Decimal(str(summed["carbs_g"])),
        fat_g=Decimal(str(summed["fat_g"])),
        confidence=confidence,
        source_interaction_id=source_interaction_id,
    )
