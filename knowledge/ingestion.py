"""The ingestion pipeline: a queued knowledge source becomes VenueChunk rows.

queued → processing (claimed here) → read the file / fetch the URL / take the text →
limits (size, type) → extract sections → chunk → replace chunks → ready. Any expected
problem (encrypted PDF, 404, no main text, too big…) ends in ``failed`` with a sentence
the owner can act on; anything unexpected ends in ``failed`` with "internal error" and a
logged traceback (tracebacks never reach ``error``, which venue owners see).

Embedding is not done here: new chunks are written with ``embedding`` NULL and a later
job embeds pending chunks. Embeddings are not thrown away needlessly, though:

- if the source's content hash equals the one of its last ready ingest and its chunks
  exist, the chunks are kept as they are (same rows, same vectors);
- otherwise chunks are replaced, and a new chunk whose content hash matches an old one
  inherits the old vector and model name, so editing one menu section re-embeds that
  section only.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from knowledge.chunking import CHUNKER_VERSION, Chunk, chunk_sections
from knowledge.extract import (
    ExtractError,
    Section,
    extract_html,
    extract_pdf,
    extract_text,
)
from knowledge.fetch import FetchedPage, FetchError, fetch_url, human_size
from knowledge.models import SourceKind, VenueChunk, VenueKnowledgeSource
from knowledge.services import (
    knowledge_source_set_progress,
    knowledge_source_transition,
)
from knowledge.state import SourceStatus
from venues.models import Venue

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "internal error while ingesting; the team has been notified — try re-ingesting later"
PDF_EXTENSIONS = frozenset({".pdf"})
TEXT_EXTENSIONS = frozenset({".txt", ".md", ".markdown", ".text"})
# A queued source this old probably lost its on-commit enqueue (broker down); the sweep
# enqueues it again. Younger ones are most likely waiting in the queue already.
LOST_QUEUED = timedelta(minutes=2)
SWEEP_BATCH = 50


class IngestionError(Exception):
    """An expected, explainable ingestion failure; the message is shown to the owner."""


@dataclass(frozen=True)
class _Loaded:
    raw: bytes  # what the content hash is taken over
    page: FetchedPage | None = None  # URL sources: type and final URL of what was fetched


def knowledge_source_ingest(*, source_id: UUID | str) -> VenueKnowledgeSource | None:
    """Ingest one queued source. Idempotent: a source that is not queued is left alone
    (returns None), so a duplicate task delivery does nothing."""
    source = _claim(source_id)
    if source is None:
        return None
    try:
        return _ingest(source)
    except (IngestionError, FetchError, ExtractError) as exc:
        logger.info("knowledge source %s failed: %s", source.pk, exc)
        return _fail(source, str(exc) or "ingestion failed")
    except Exception:
        logger.exception("knowledge source %s: unexpected ingestion error", source.pk)
        return _fail(source, INTERNAL_ERROR)


def _claim(source_id: UUID | str) -> VenueKnowledgeSource | None:
    try:
        source_id = UUID(str(source_id))
    except ValueError:
        logger.warning("ingest called with a malformed source id %r", source_id)
        return None
    with transaction.atomic():
        # skip_locked: a second worker holding the same message moves on instead of waiting
        source = (
            VenueKnowledgeSource.objects.select_for_update(skip_locked=True)
            .filter(pk=source_id, status=SourceStatus.QUEUED)
            .first()
        )
        if source is None:
            return None
        knowledge_source_transition(source=source, to_status=SourceStatus.PROCESSING, locked=source)
    return source


def _ingest(source: VenueKnowledgeSource) -> VenueKnowledgeSource:
    loaded = _read(source)
    raw = loaded.raw
    # The chunker's version is part of the hash: when chunking changes, an unchanged file
    # is re-chunked on its next ingest instead of keeping chunks cut the old way.
    new_hash = hashlib.sha256(CHUNKER_VERSION.encode() + b"\0" + raw).hexdigest()
    knowledge_source_set_progress(source=source, progress=20)

    if source.last_ingested_at and source.content_hash == new_hash and source.chunks.exists():
        return _finish(source, content_hash=new_hash, size=len(raw), chunks=None)

    sections = _extract(source, loaded)
    knowledge_source_set_progress(source=source, progress=50)
    chunks = chunk_sections(sections)
    if not chunks:
        raise IngestionError("no text to index was found")
    knowledge_source_set_progress(source=source, progress=70)
    return _finish(source, content_hash=new_hash, size=len(raw), chunks=chunks)


# --- reading and limits -----------------------------------------------------------------


def _read(source: VenueKnowledgeSource) -> _Loaded:
    """The source's content as bytes (the hash is taken over exactly these)."""
    if source.kind == SourceKind.TEXT:
        raw = source.text.encode("utf-8")
        _check_size(len(raw), settings.KNOWLEDGE_MAX_UPLOAD_BYTES, what="text")
        return _Loaded(raw)
    if source.kind == SourceKind.URL:
        page = fetch_url(source.url)
        return _Loaded(page.body, page)
    return _Loaded(_read_upload(source))


def _read_upload(source: VenueKnowledgeSource) -> bytes:
    limit = settings.KNOWLEDGE_MAX_UPLOAD_BYTES
    name = source.file.name or ""
    extension = os.path.splitext(name)[1].lower()
    if extension not in PDF_EXTENSIONS | TEXT_EXTENSIONS:
        raise IngestionError(
            f"only PDF and plain-text files can be ingested (got {os.path.basename(name) or 'a file without a name'})"
        )
    try:
        size = source.file.size
        _check_size(size, limit, what="file")
        with source.file.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError as exc:
        raise IngestionError("the uploaded file is missing from storage; upload it again") from exc
    _check_size(len(raw), limit, what="file")
    if extension in PDF_EXTENSIONS and not raw.lstrip()[:5] == b"%PDF-":
        raise IngestionError("the file is named .pdf but is not a PDF")
    if extension in TEXT_EXTENSIONS and (raw.lstrip()[:5] == b"%PDF-" or b"\x00" in raw[:8192]):
        raise IngestionError("the file is named as text but is not plain text")
    return raw


def _check_size(size: int, limit: int, *, what: str) -> None:
    if size > limit:
        raise IngestionError(f"the {what} is {human_size(size)}; the limit is {human_size(limit)}")


def _extract(source: VenueKnowledgeSource, loaded: _Loaded) -> list[Section]:
    raw, page = loaded.raw, loaded.page
    if source.kind == SourceKind.TEXT:
        return extract_text(source.text)
    if page is not None:
        if page.content_type == "application/pdf":
            return extract_pdf(raw)
        if page.content_type == "text/plain":
            return extract_text(raw.decode(page.charset or "utf-8", errors="replace"))
        return extract_html(raw, url=page.url)
    if raw.lstrip()[:5] == b"%PDF-":
        return extract_pdf(raw)
    try:
        return extract_text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return extract_text(raw.decode("cp1252", errors="replace"))


# --- writing ----------------------------------------------------------------------------


def _finish(
    source: VenueKnowledgeSource, *, content_hash: str, size: int, chunks: list[Chunk] | None
) -> VenueKnowledgeSource:
    """Swap the chunks (unless ``chunks`` is None: unchanged content) and go ready, atomically.

    The source row is locked and re-checked: if it left ``processing`` meanwhile (the
    reconcile job timed it out as stuck), this result is dropped.
    """
    with transaction.atomic():
        locked = VenueKnowledgeSource.objects.select_for_update().get(pk=source.pk)
        if locked.status != SourceStatus.PROCESSING:
            logger.warning("knowledge source %s left processing while being ingested; result dropped", source.pk)
            return locked
        if chunks is not None:
            _replace_chunks(locked, chunks)
            locked.chunk_count = len(chunks)
        else:
            locked.chunk_count = locked.chunks.count()
        locked.content_hash, locked.size_bytes = content_hash, size
        locked.save(update_fields=["chunk_count", "content_hash", "size_bytes", "updated_at"])
        return knowledge_source_transition(source=locked, to_status=SourceStatus.READY, locked=locked)


def _replace_chunks(source: VenueKnowledgeSource, chunks: list[Chunk]) -> None:
    previous = {
        row["content_hash"]: (row["embedding"], row["embedding_model"])
        for row in source.chunks.filter(embedding__isnull=False)
        .exclude(content_hash="")
        .values("content_hash", "embedding", "embedding_model")
    }
    source.chunks.all().delete()
    # The venue's city and category ride on each chunk for filtered search. The database
    # trigger would copy them anyway; setting them here keeps the Python objects truthful.
    city_id, category = Venue.objects.filter(pk=source.venue_id).values_list("city_id", "category").get()
    rows = []
    for chunk in chunks:
        embedding, model = previous.get(chunk.content_hash, (None, ""))
        rows.append(
            VenueChunk(
                venue_id=source.venue_id,
                city_id=city_id,
                category=category,
                source=source,
                ordinal=chunk.ordinal,
                heading=chunk.heading[:300],
                content=chunk.content,
                page=chunk.page,
                token_count=chunk.token_count,
                content_hash=chunk.content_hash,
                embedding=embedding,
                embedding_model=model,
            )
        )
    VenueChunk.objects.bulk_create(rows, batch_size=500)


def _fail(source: VenueKnowledgeSource, message: str) -> VenueKnowledgeSource:
    current = VenueKnowledgeSource.objects.filter(pk=source.pk).values_list("status", flat=True).first()
    if current != SourceStatus.PROCESSING:  # timed out by the reconcile job meanwhile: not ours to fail
        return source
    return knowledge_source_transition(source=source, to_status=SourceStatus.FAILED, error=message[:2000])


# --- the sweep --------------------------------------------------------------------------


def knowledge_sources_due_for_ingest(*, now=None, limit: int = SWEEP_BATCH) -> list[UUID]:
    """Queued sources the periodic sweep should enqueue again, oldest first.

    Only sources queued for longer than LOST_QUEUED: younger ones are most likely still
    waiting in the broker after their on-commit enqueue. Re-enqueueing is harmless anyway
    (ingestion skips a source that is no longer queued). Stuck ``processing`` sources and
    due URL refreshes are knowledge.maintenance's jobs (sources_reconcile,
    refresh_due_url_sources), not this sweep's.
    """
    now = now or timezone.now()
    return list(
        VenueKnowledgeSource.objects.filter(status=SourceStatus.QUEUED, updated_at__lte=now - LOST_QUEUED)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
