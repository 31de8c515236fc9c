"""The services behind the knowledge app's nightly and periodic jobs.

Each function is one job's body: it takes no ids (it sweeps), is safe to run twice, and
returns a small dict of counts for the job log. Tasks stay thin and call these.

- ``dreaming``: consolidate duplicate memories, then decay (``memory_consolidate`` +
  ``memory_decay``; ``user_memory_decay`` is the decay alone)
- ``knowledge_graph_build``: venues, areas, cities, cuisines and tastes as a graph
- ``faq_compile``: the questions guests ask about a venue become a knowledge source
- ``reembed_stale_chunks``: chunks without a vector from the current model get one
- ``refresh_due_url_sources``: URL sources whose refresh interval passed are re-queued
- ``sources_reconcile``: stuck ingestions fail, drifted chunk counts are corrected
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import combinations

import numpy as np
from django.db import connection, transaction
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify

from knowledge.memory import (
    SINGLE_VALUED_KINDS,
    current_embedding_model,
    memories_are_duplicates,
)
from knowledge.models import (
    EntityEdge,
    EntityKind,
    EntityNode,
    EntityRelation,
    MemoryKind,
    SourceKind,
    UserMemory,
    VenueChunk,
    VenueKnowledgeSource,
)
from knowledge.services import (
    SourceTransitionError,
    knowledge_source_create,
    knowledge_source_requeue,
    knowledge_source_transition,
)
from knowledge.state import SourceStatus

logger = logging.getLogger(__name__)

DECAY_GRACE = timedelta(days=30)  # memories recalled (or made) within this window keep their importance
DECAY_HALF_LIFE_DAYS = 30.0
ARCHIVE_BELOW_IMPORTANCE = 0.05
STUCK_PROCESSING = timedelta(hours=1)
SIMILAR_MIN_SHARED_TAGS = 2
FAQ_TITLE = "Frequently asked questions (compiled)"
FAQ_MAX_QUESTIONS = 20
FAQ_MIN_VENUE_NAME_LENGTH = 4  # a venue called "Bar" would match every other message


# --- memory: dreaming -------------------------------------------------------------------


def _embed_missing_memory_vectors(model: str, *, batch_size: int = 256) -> int:
    """Memories stored while the provider was down (or by an older model) get a vector."""
    from knowledge import embeddings

    stale = UserMemory.objects.filter(archived_at__isnull=True).filter(
        Q(embedding__isnull=True) | ~Q(embedding_model=model)
    )
    done = 0
    last_pk = None
    while True:
        batch_qs = stale.order_by("pk")
        if last_pk is not None:
            batch_qs = batch_qs.filter(pk__gt=last_pk)
        batch = list(batch_qs.only("pk", "content")[:batch_size])
        if not batch:
            return done
        vectors = embeddings.embed_texts([m.content for m in batch])
        for memory, vector in zip(batch, vectors, strict=True):
            memory.embedding, memory.embedding_model = np.asarray(vector, dtype=np.float32).tolist(), model
        UserMemory.objects.bulk_update(batch, ["embedding", "embedding_model"])
        done += len(batch)
        last_pk = batch[-1].pk


def memory_consolidate() -> dict[str, int]:
    """Merge near-duplicate live memories per user and kind.

    Duplicates are the same rule ``user_memory_remember`` applies (normalised text, or
    cosine ≥ 0.92; allergies on text only); single-valued kinds keep one memory. The
    newest row survives with its content, the highest confidence and importance, the
    latest recall and the summed recall count; the others are deleted.
    """
    try:
        model = current_embedding_model()
        embedded = _embed_missing_memory_vectors(model)
    except Exception:  # consolidation on text still works without vectors
        logger.warning("could not embed memories before consolidating", exc_info=True)
        model, embedded = "", 0
    groups = (
        UserMemory.objects.filter(archived_at__isnull=True)
        .values("user_id", "kind")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by()
    )
    merged = 0
    for group in groups:
        merged += _consolidate_group(group["user_id"], group["kind"])
    return {"embedded": embedded, "merged": merged}


@transaction.atomic
def _consolidate_group(user_id, kind: str) -> int:
    memories = list(
        UserMemory.objects.select_for_update()
        .filter(user_id=user_id, kind=kind, archived_at__isnull=True)
        .order_by("-created_at", "-pk")
    )
    # Greedy clustering, newest first: each memory joins the first cluster whose head
    # (its newest member) it duplicates. Users hold tens of memories, so O(n²) is fine.
    clusters: list[list[UserMemory]] = []
    for memory in memories:
        for cluster in clusters:
            head = cluster[0]
            if kind in SINGLE_VALUED_KINDS or memories_are_duplicates(
                head.content,
                head.embedding,
                head.embedding_model,
                memory.content,
                memory.embedding,
                memory.embedding_model,
                kind=kind,
            ):
                cluster.append(memory)
                break
        else:
            clusters.append([memory])
    keep, delete_ids = [], []
    for cluster in clusters:
        if len(cluster) == 1:
            continue
        head, rest = cluster[0], cluster[1:]
        head.confidence = max(m.confidence for m in cluster)
        head.importance = max(m.importance for m in cluster)
        head.recall_count = sum(m.recall_count for m in cluster)
        recalled = [m.last_recalled_at for m in cluster if m.last_recalled_at]
        head.last_recalled_at = max(recalled) if recalled else None
        head.updated_at = timezone.now()  # bulk_update skips auto_now
        keep.append(head)
        delete_ids.extend(m.pk for m in rest)
    if keep:
        UserMemory.objects.bulk_update(
            keep, ["confidence", "importance", "recall_count", "last_recalled_at", "updated_at"]
        )
    if delete_ids:
        UserMemory.objects.filter(pk__in=delete_ids).delete()
    return len(delete_ids)


def memory_decay(*, now: datetime | None = None) -> dict[str, int]:
    """Fade memories not recalled for 30 days, archive the faded ones; allergies never fade.

    importance × 0.5^(days / 30), where days run from the later of the last recall (or
    creation) and the previous decay, so running nightly or weekly gives the same curve
    instead of compounding the full age every run.
    """
    now = now or timezone.now()
    table = UserMemory._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE "{table}"
               SET importance = LEAST(1.0, GREATEST(0.0, importance * power(
                       0.5,
                       EXTRACT(EPOCH FROM (%(now)s - GREATEST(COALESCE(last_recalled_at, created_at), decayed_at)))
                       / 86400.0 / %(half_life)s
                   ))),
                   decayed_at = %(now)s
             WHERE archived_at IS NULL
               AND kind <> %(allergy)s
               AND COALESCE(last_recalled_at, created_at) < %(cutoff)s
               AND GREATEST(COALESCE(last_recalled_at, created_at), decayed_at) < %(now)s
            """,
            {"now": now, "half_life": DECAY_HALF_LIFE_DAYS, "allergy": MemoryKind.ALLERGY, "cutoff": now - DECAY_GRACE},
        )
        decayed = cursor.rowcount
    archived = (
        UserMemory.objects.filter(archived_at__isnull=True, importance__lt=ARCHIVE_BELOW_IMPORTANCE)
        .exclude(kind=MemoryKind.ALLERGY)
        .update(archived_at=now)
    )
    return {"decayed": decayed, "archived": archived}


def user_memory_decay(*, now: datetime | None = None) -> dict[str, int]:
    """The ``user_memory_decay`` job: decay and archive only."""
    return memory_decay(now=now)


def dreaming(*, now: datetime | None = None) -> dict[str, int]:
    """The nightly ``dreaming`` job: consolidate, then decay."""
    return {**memory_consolidate(), **memory_decay(now=now)}


# --- knowledge graph --------------------------------------------------------------------

# (relation, src kind, dst kind) this job owns: edges of these shapes that no longer
# follow from the venue table are removed. Anything else (user likes, dishes…) is left be.
OWNED_EDGE_SHAPES = frozenset(
    {
        (EntityRelation.LOCATED_IN, EntityKind.VENUE, EntityKind.AREA),
        (EntityRelation.LOCATED_IN, EntityKind.VENUE, EntityKind.CITY),
        (EntityRelation.PART_OF, EntityKind.AREA, EntityKind.CITY),
        (EntityRelation.SERVES, EntityKind.VENUE, EntityKind.CUISINE),
        (EntityRelation.HAS_TASTE, EntityKind.VENUE, EntityKind.TASTE),
        (EntityRelation.SIMILAR_TO, EntityKind.VENUE, EntityKind.VENUE),
    }
)


def _label(value: str) -> str:
    return value.replace("-", " ").replace("_", " ").strip().capitalize()


@transaction.atomic
def knowledge_graph_build() -> dict[str, int]:
    """Upsert the venue graph and drop the edges that no longer hold. Idempotent.

    Nodes: city, area (keyed ``<city>-<area>``), venue, cuisine, taste (venue tags).
    Edges: venue located_in area (or city when it has no area), area part_of city, venue
    serves cuisine, venue has_taste taste, and venue similar_to venue (both directions)
    for venues of one city sharing ≥ 2 tags, weighted by the number shared.
    A constant number of queries whatever the size of the catalogue.
    """
    from venues.models import Venue, VenueStatus

    venues = list(
        Venue.objects.exclude(status__in=[VenueStatus.DRAFT, VenueStatus.CLOSED])
        .select_related("city")
        .only("pk", "slug", "name", "area", "tags", "cuisines", "city__slug", "city__name")
    )
    nodes: dict[tuple[str, str], dict] = {}

    def node(kind: str, key: str, label: str, **extra) -> tuple[str, str]:
        nodes.setdefault((kind, key), {"label": label[:200], **extra})
        return kind, key

    wanted_edges: dict[tuple[tuple[str, str], tuple[str, str], str], tuple[float, dict]] = {}
    by_city: dict[str, list[tuple[tuple[str, str], set[str]]]] = defaultdict(list)
    for venue in venues:
        city = node(EntityKind.CITY, venue.city.slug, venue.city.name)
        v = node(EntityKind.VENUE, venue.slug[:200], venue.name, venue_id=venue.pk)
        area_name = " ".join((venue.area or "").split())
        if area_name:
            area = node(EntityKind.AREA, slugify(f"{venue.city.slug}-{area_name}")[:200], area_name)
            wanted_edges[(v, area, EntityRelation.LOCATED_IN)] = (1.0, {})
            wanted_edges[(area, city, EntityRelation.PART_OF)] = (1.0, {})
        else:
            wanted_edges[(v, city, EntityRelation.LOCATED_IN)] = (1.0, {})
        for cuisine in {c.strip().lower() for c in venue.cuisines or [] if c and c.strip()}:
            key = slugify(cuisine)[:200]
            if key:
                wanted_edges[(v, node(EntityKind.CUISINE, key, _label(cuisine)), EntityRelation.SERVES)] = (1.0, {})
        tags = {t.strip().lower() for t in venue.tags or [] if t and t.strip()}
        tags = {t for t in tags if slugify(t)}
        for tag in tags:
            wanted_edges[(v, node(EntityKind.TASTE, slugify(tag)[:200], _label(tag)), EntityRelation.HAS_TASTE)] = (
                1.0,
                {},
            )
        by_city[venue.city.slug].append((v, tags))

    for members in by_city.values():
        # Inverted index tag → venues, then count shared tags per pair: cheaper than all
        # pairs when most venues share nothing.
        holders: dict[str, list[int]] = defaultdict(list)
        for index, (_v, tags) in enumerate(members):
            for tag in tags:
                holders[tag].append(index)
        shared: dict[tuple[int, int], list[str]] = defaultdict(list)
        for tag, indexes in holders.items():
            for a, b in combinations(sorted(indexes), 2):
                shared[(a, b)].append(tag)
        for (a, b), tags in shared.items():
            if len(tags) >= SIMILAR_MIN_SHARED_TAGS:
                props = {"shared_tags": sorted(tags)}
                wanted_edges[(members[a][0], members[b][0], EntityRelation.SIMILAR_TO)] = (float(len(tags)), props)
                wanted_edges[(members[b][0], members[a][0], EntityRelation.SIMILAR_TO)] = (float(len(tags)), props)

    now = timezone.now()
    EntityNode.objects.bulk_create(
        [
            EntityNode(kind=kind, key=key, label=data["label"], venue_id=data.get("venue_id"), updated_at=now)
            for (kind, key), data in nodes.items()
        ],
        update_conflicts=True,
        unique_fields=["kind", "key"],
        update_fields=["label", "venue", "updated_at"],
        batch_size=1000,
    )
    node_ids: dict[tuple[str, str], object] = {}
    kinds = {kind for kind, _ in nodes}
    for kind, key, pk in EntityNode.objects.filter(kind__in=kinds).values_list("kind", "key", "pk"):
        if (kind, key) in nodes:
            node_ids[(kind, key)] = pk

    desired = {
        (node_ids[src], node_ids[dst], relation): (weight, props)
        for (src, dst, relation), (weight, props) in wanted_edges.items()
    }
    EntityEdge.objects.bulk_create(
        [
            EntityEdge(src_id=src, dst_id=dst, relation=relation, weight=weight, properties=props, updated_at=now)
            for (src, dst, relation), (weight, props) in desired.items()
        ],
        update_conflicts=True,
        unique_fields=["src", "dst", "relation"],
        update_fields=["weight", "properties", "updated_at"],
        batch_size=1000,
    )

    owned = Q()
    for relation, src_kind, dst_kind in OWNED_EDGE_SHAPES:
        owned |= Q(relation=relation, src__kind=src_kind, dst__kind=dst_kind)
    stale_ids = [
        pk
        for pk, src, dst, relation in EntityEdge.objects.filter(owned).values_list("pk", "src_id", "dst_id", "relation")
        if (src, dst, relation) not in desired
    ]
    removed = EntityEdge.objects.filter(pk__in=stale_ids).delete()[0] if stale_ids else 0
    return {"nodes": len(nodes), "edges": len(desired), "edges_removed": removed}


# --- FAQ compilation --------------------------------------------------------------------

_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|good\s+(?:morning|afternoon|evening)|halo|yo)\b[\s,!.]*)+", re.IGNORECASE
)
_QUESTION_START = re.compile(
    r"^(?:is|are|do|does|did|can|could|would|will|should|what|what's|whats|where|which|who|how|when|why|any|have|has)\b",
    re.IGNORECASE,
)


def _questions_in(text: str) -> list[str]:
    """The question sentences of a message, greeting stripped."""
    questions = []
    for sentence in re.findall(r"[^.!?\n]+[.!?]*", text or ""):
        sentence = _GREETING.sub("", sentence.strip()).strip()
        if not sentence:
            continue
        if sentence.endswith("?") or _QUESTION_START.match(sentence):
            questions.append(sentence.rstrip(".!? ") + "?")
    return questions


def _question_key(question: str) -> str:
    return " ".join(re.sub(r"[^\w\s]+", " ", question.lower()).split())


def _faq_text(venue_name: str, rows: list[tuple[str, int]], days: int) -> str:
    lines = [f"Questions guests asked about {venue_name} in the last {days} days, most asked first:", ""]
    for question, count in rows:
        lines.append(f"- {question} (asked {count} time{'s' if count != 1 else ''})")
    return "\n".join(lines)


def faq_compile(*, questions: Iterable[str], days: int = 30, min_count: int = 2) -> dict[str, int]:
    """Turn what guests keep asking about a venue into one text knowledge source.

    ``questions`` are the guests' messages of the last ``days`` days (the caller reads them:
    messaging owns the conversations; its ``faq_compile`` job passes them). A question
    belongs to a venue when the message names it (case-insensitive, whole words).
    Questions are grouped by normalised text; those asked ≥ ``min_count`` times make the
    list. New lists are created through ``knowledge_source_create``; an existing one is
    rewritten and re-queued only when its text changed, and left alone while an ingestion
    is running on it.
    """
    from venues.models import Venue

    venues = [v for v in Venue.objects.only("pk", "name", "slug") if len(v.name.strip()) >= FAQ_MIN_VENUE_NAME_LENGTH]
    if not venues:
        return {"venues": 0, "created": 0, "updated": 0, "unchanged": 0, "in_flight": 0}
    by_name: dict[str, list] = defaultdict(list)
    for venue in venues:
        by_name[" ".join(venue.name.lower().split())].append(venue)
    names = sorted(by_name, key=len, reverse=True)
    name_re = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names) + r")(?!\w)", re.IGNORECASE
    )

    counts: dict[object, Counter] = defaultdict(Counter)
    # the most common spelling of each grouped question is the one the list shows
    wording: dict[tuple[object, str], Counter] = defaultdict(Counter)
    for text in questions:
        for question in _questions_in(text):
            mentioned = {" ".join(m.group(1).lower().split()) for m in name_re.finditer(question)}
            if not mentioned:
                continue
            key = _question_key(question)
            for name in mentioned:
                for venue in by_name[name]:
                    counts[venue.pk][key] += 1
                    wording[(venue.pk, key)][question] += 1

    venue_by_pk = {v.pk: v for v in venues}
    existing = {
        s.venue_id: s
        for s in VenueKnowledgeSource.objects.filter(
            venue_id__in=list(counts), kind=SourceKind.TEXT, title=FAQ_TITLE
        ).order_by("created_at")
    }
    result = {"venues": 0, "created": 0, "updated": 0, "unchanged": 0, "in_flight": 0}
    for venue_pk, counter in counts.items():
        rows = sorted(
            ((wording[(venue_pk, k)].most_common(1)[0][0], n) for k, n in counter.items() if n >= min_count),
            key=lambda r: (-r[1], r[0]),
        )
        if not rows:
            continue
        result["venues"] += 1
        venue = venue_by_pk[venue_pk]
        text = _faq_text(venue.name, rows[:FAQ_MAX_QUESTIONS], days)
        source = existing.get(venue_pk)
        if source is None:
            knowledge_source_create(venue=venue, kind=SourceKind.TEXT, title=FAQ_TITLE, text=text)
            result["created"] += 1
        elif source.text == text:
            result["unchanged"] += 1
        elif source.status == SourceStatus.PROCESSING:
            result["in_flight"] += 1  # next run will update it; never pull text from under a worker
        else:
            _faq_source_update(source=source, text=text)
            result["updated"] += 1
    return result


@transaction.atomic
def _faq_source_update(*, source: VenueKnowledgeSource, text: str) -> None:
    locked = VenueKnowledgeSource.objects.select_for_update().get(pk=source.pk)
    if locked.status == SourceStatus.PROCESSING:
        return
    encoded = text.encode("utf-8")
    locked.text = text
    # Same meaning as knowledge_source_create gives it for text sources: hash of the text.
    locked.content_hash = hashlib.sha256(encoded).hexdigest()
    locked.size_bytes = len(encoded)
    locked.save(update_fields=["text", "content_hash", "size_bytes", "updated_at"])
    # A queued source will read the new text when its worker starts; ready/failed ones go back in the queue.
    if locked.status in (SourceStatus.READY, SourceStatus.FAILED):
        knowledge_source_requeue(source=locked)


# --- chunks and sources -----------------------------------------------------------------


def _chunk_text(chunk: VenueChunk) -> str:
    return f"{chunk.heading}\n{chunk.content}" if chunk.heading else chunk.content


def reembed_stale_chunks(*, batch_size: int = 256, limit: int = 5000, source_id=None) -> dict[str, int]:
    """Give every chunk a vector from the current provider (new chunks, or a model change).

    ``source_id`` limits the work to one source (run right after it is ingested).
    Walks by primary key so a chunk the provider keeps failing on cannot loop forever.
    """
    from knowledge import embeddings

    model = embeddings.get_provider().name
    stale = VenueChunk.objects.filter(Q(embedding__isnull=True) | ~Q(embedding_model=model)).order_by("pk")
    if source_id is not None:
        stale = stale.filter(source_id=source_id)
    embedded = 0
    last_pk = None
    while embedded < limit:
        page = stale if last_pk is None else stale.filter(pk__gt=last_pk)
        batch = list(page.only("pk", "heading", "content")[: min(batch_size, limit - embedded)])
        if not batch:
            break
        vectors = embeddings.embed_texts([_chunk_text(c) for c in batch])
        for chunk, vector in zip(batch, vectors, strict=True):
            chunk.embedding = np.asarray(vector, dtype=np.float32).tolist()
            chunk.embedding_model = model
        VenueChunk.objects.bulk_update(batch, ["embedding", "embedding_model"])
        embedded += len(batch)
        last_pk = batch[-1].pk
    return {"embedded": embedded, "remaining": stale.count() if embedded >= limit else 0}


def refresh_due_url_sources(*, now: datetime | None = None) -> dict[str, int]:
    """Re-queue ready URL sources whose ``refresh_interval_hours`` has passed since the last ingest."""
    now = now or timezone.now()
    interval = ExpressionWrapper(F("refresh_interval_hours") * Value(timedelta(hours=1)), output_field=DurationField())
    due = (
        VenueKnowledgeSource.objects.filter(
            kind=SourceKind.URL,
            status=SourceStatus.READY,
            refresh_interval_hours__gt=0,
            last_ingested_at__isnull=False,
        )
        .alias(due_at=ExpressionWrapper(F("last_ingested_at") + interval, output_field=DateTimeField()))
        .filter(due_at__lte=now)
    )
    requeued = skipped = 0
    for source in due.only("pk", "status"):
        try:
            knowledge_source_requeue(source=source)
            requeued += 1
        except SourceTransitionError:  # picked up by someone else since we looked
            skipped += 1
    return {"requeued": requeued, "skipped": skipped}


def sources_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Fail ingestions stuck in processing for over an hour; fix drifted chunk counts."""
    now = now or timezone.now()
    failed = 0
    for source in VenueKnowledgeSource.objects.filter(
        status=SourceStatus.PROCESSING, updated_at__lt=now - STUCK_PROCESSING
    ).only("pk", "status"):
        try:
            knowledge_source_transition(source=source, to_status=SourceStatus.FAILED, error="ingestion timed out")
            failed += 1
        except SourceTransitionError:
            pass
    actual = (
        VenueChunk.objects.filter(source=OuterRef("pk")).order_by().values("source").annotate(n=Count("pk")).values("n")
    )
    drifted = list(
        VenueKnowledgeSource.objects.filter(status=SourceStatus.READY)
        .annotate(actual=Coalesce(Subquery(actual), 0))
        .exclude(chunk_count=F("actual"))
        .values_list("pk", flat=True)
    )
    fixed = 0
    if drifted:
        fixed = VenueKnowledgeSource.objects.filter(pk__in=drifted).update(chunk_count=Coalesce(Subquery(actual), 0))
    return {"timed_out": failed, "chunk_counts_fixed": fixed}
