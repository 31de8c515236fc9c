"""Hybrid retrieval over venue knowledge: pgvector (HNSW, cosine) + PostgreSQL full text,
fused with reciprocal rank fusion, filtered by venue, city and category.

Why the filter handling matters: an HNSW index scan returns the ``ef_search`` nearest
rows and *then* applies the WHERE clause, so a selective filter (one venue, one small
city) can come back with fewer than ``limit`` rows or miss the true neighbours. We count
the rows the filter matches first (a count bounded at the threshold; above it the
planner's estimate sizes the beam) and
  - below ``EXACT_SEARCH_MAX_ROWS``: search exactly (index scans off for this query —
    a sequential scan over a few thousand vectors takes milliseconds), or
  - above it: widen ``hnsw.ef_search`` in proportion to how selective the filter is.
Both settings are ``SET LOCAL``: they end with the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery
from django.db import connection, transaction
from django.db.models import Q
from pgvector.django import CosineDistance

from knowledge.models import VenueChunk

RRF_K = 60  # the constant from Cormack et al.; dampens the weight of top ranks
# Below this many matching rows an exact scan is both exact and quick (bench: 10k rows
# cost ~90 ms on 2 cores, so the exact path is kept for small filters only).
EXACT_SEARCH_MAX_ROWS = 2_000
# pgvector's default is 40; on clustered 384-dim data that gave recall@10 0.84 at 100k rows,
# 100 gave 0.944 and 200 gave 0.972 for ~1 ms more (bench/knowledge_search.py), so 128.
DEFAULT_EF_SEARCH = 128
MAX_EF_SEARCH = 1000
# The full-text side ranks at most this many matching chunks (see _ranked_by_text).
TEXT_RANK_MAX_ROWS = 2_000


@dataclass
class ChunkHit:
    """One retrieved passage with what it cites and how each retriever ranked it."""

    chunk_id: str
    venue_id: str
    venue_name: str
    venue_slug: str
    source_id: str
    source_title: str
    heading: str
    content: str
    score: float
    vector_rank: int | None = None
    text_rank: int | None = None
    citation: dict = field(default_factory=dict)


# Per-process memo of slow-changing lookups (which venues a city/category holds, table size,
# planner estimates): each saves a round trip on every filtered search. Nothing depends on
# it for correctness — a venue added a minute ago is found once the entry expires.
_MEMO_SECONDS = 60.0
_memo: dict = {}


def _memoised(key, compute):
    import time

    now = time.monotonic()
    hit = _memo.get(key)
    if hit is not None and now - hit[0] < _MEMO_SECONDS:
        return hit[1]
    value = compute()
    if len(_memo) > 1000:
        _memo.clear()
    _memo[key] = (now, value)
    return value


def _city_id(city) -> object | None:
    """A city given as a City, an id or a slug, as its id (None: no such city)."""
    if not isinstance(city, str):
        return getattr(city, "pk", city)
    from venues.models import City

    def lookup():
        pk = City.objects.filter(slug=city).values_list("pk", flat=True).first()
        if pk is None:
            raise LookupError  # not remembered: a city created a second later is found
        return pk

    try:
        return _memoised(("city", city), lookup)
    except LookupError:
        return None


def _filters(*, venue=None, venues: Sequence | None = None, city=None, category: str | None = None) -> Q:
    """The chunk filter. City and category are columns of the chunk itself (copies of the
    venue's, kept by database triggers), so each is one indexed equality — no join and no
    list of venue ids for PostgreSQL to test every row the HNSW scan streams against."""
    condition = Q()
    if venue is not None:
        condition &= Q(venue=venue)
    if venues is not None:
        condition &= Q(venue__in=list(venues))
    if city is not None:
        condition &= Q(city_id=_city_id(city))  # an unknown slug: city_id IS NULL, which no chunk matches
    if category:
        condition &= Q(category=category)
    return condition


def _vector_ranking(condition: Q, query_vector: Sequence[float], candidates: int) -> list[str]:
    queryset = VenueChunk.objects.filter(condition, embedding__isnull=False)
    vector = [float(x) for x in query_vector]
    with transaction.atomic(), connection.cursor() as cursor:
        if condition:
            # How many rows does the filter match? Only "more than the exact-search
            # threshold?" must be exact: a bounded count, at most that many index entries
            # (order_by(): the model's default ordering would join the sources table).
            matching = (
                VenueChunk.objects.filter(condition).order_by().values(_count_column(condition))[: EXACT_SEARCH_MAX_ROWS + 1].count()
            )
            if matching <= EXACT_SEARCH_MAX_ROWS:
                cursor.execute("SET LOCAL enable_indexscan = off")
            else:
                # Walk the HNSW index with a wider beam and filter as rows come out. Left to
                # itself the planner may prefer reading every matching row through the city
                # or venue index (≈100 ms at 10k rows), so the other access paths are off.
                # Beam: 128 × (1/selectivity)^0.3 — 10 % of the rows → ef 255 (bench: recall
                # 0.96 already at ef 200 for that selectivity; the square root's 442 cost 2× the time).
                total = max(1, _memoised(("rows",), _estimated_rows))
                estimate_key = ("estimate", str(condition))
                matching = max(matching, _memoised(estimate_key, lambda: _planner_estimate(queryset.order_by())))
                widened = int(DEFAULT_EF_SEARCH * (total / max(matching, 1)) ** 0.3)
                # One round trip for the three settings (each SET LOCAL was its own).
                cursor.execute(
                    "SELECT set_config('hnsw.ef_search', %s, true), set_config('enable_seqscan', 'off', true),"
                    " set_config('enable_bitmapscan', 'off', true)",
                    [str(max(candidates, min(MAX_EF_SEARCH, widened)))],
                )
        else:
            cursor.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(max(DEFAULT_EF_SEARCH, candidates))])
        ids = list(
            queryset.annotate(distance=CosineDistance("embedding", vector)).order_by("distance").values_list("pk", flat=True)[:candidates]
        )
    return [str(pk) for pk in ids]


def _count_column(condition: Q) -> str:
    """The column the bounded count selects: one the filter's index holds, so PostgreSQL
    can count from the index alone (an index-only scan) instead of visiting a heap page per
    row (bench: 2 000 rows read through the heap cost ~20 ms cold, from 1 978 pages). The
    planner usually drops an unused ``pk`` from the counted subquery by itself; this does
    not leave it to chance."""
    names: set[str] = set()
    pending = [condition]
    while pending:
        for child in pending.pop().children:
            if isinstance(child, Q):
                pending.append(child)
            else:
                names.add(child[0])
    if "city_id" in names:
        return "city_id"
    if "venue" in names or "venue__in" in names:
        return "venue_id"
    return "pk"


def _planner_estimate(queryset) -> int:
    import json

    try:
        plan = json.loads(queryset.explain(format="json"))
        return int(plan[0]["Plan"]["Plan Rows"])
    except (ValueError, KeyError, IndexError, TypeError):
        return 0


def _estimated_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [VenueChunk._meta.db_table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] > 0 else VenueChunk.objects.count()


def _text_ranking(condition: Q, query: str, candidates: int) -> list[str]:
    hits = _ranked_by_text(condition, query, "websearch", candidates)
    if hits or len(query.split()) < 2:
        return hits
    # websearch syntax ANDs the words; a long question rarely matches every word, so
    # fall back to OR-ing them (ranked) before giving up on the text side.
    any_word = " | ".join(w for w in query.split() if w.isalnum())
    return _ranked_by_text(condition, any_word, "raw", candidates) if any_word else []


_TSQUERY_SQL = {
    "websearch": "websearch_to_tsquery('english'::regconfig, %s)",
    "raw": "to_tsquery('english'::regconfig, %s)",
}


def _ranked_by_text(condition: Q, text: str, search_type: str, candidates: int) -> list[str]:
    """Chunk ids best first by ``ts_rank``, among at most TEXT_RANK_MAX_ROWS matching rows.

    Why the cap: ranking reads every matching row from the heap, and a common word over a
    large city matches thousands (bench: the hybrid path's p95 was 30 ms at 100k chunks,
    most of it ranking). The GIN index finds the matches cheaply; only the first
    TEXT_RANK_MAX_ROWS of them are read and ranked. A query that matches more than that
    says little through its words alone — the vector side carries the ranking there.
    """
    search = SearchQuery(text, config="english", search_type=search_type)
    matching = (
        VenueChunk.objects.filter(condition, search_vector=search).order_by().values("pk", "search_vector")[:TEXT_RANK_MAX_ROWS]
    )
    sql, params = matching.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.pk FROM ({sql}) m ORDER BY ts_rank(m.search_vector, {_TSQUERY_SQL[search_type]}) DESC, m.pk LIMIT %s",
            [*params, text, candidates],
        )
        return [str(row[0]) for row in cursor.fetchall()]


def reciprocal_rank_fusion(*rankings: list[str], k: int = RRF_K) -> dict[str, float]:
    scores: dict[str, float] = {}
    for ranking in rankings:
        for position, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + position)
    return scores


def search_venue_knowledge(
    *,
    query: str,
    query_vector: Sequence[float] | None = None,
    venue=None,
    venues: Sequence | None = None,
    city=None,
    category: str | None = None,
    limit: int = 8,
    candidates: int = 50,
) -> list[ChunkHit]:
    """The passages that best answer ``query``, best first, each with its citation.

    ``query_vector`` is the query's embedding; without it the local provider embeds the
    query (and if no chunk has an embedding yet, full text alone still answers).
    """
    condition = _filters(venue=venue, venues=venues, city=city, category=category)
    candidates = max(candidates, limit)
    if query_vector is None and VenueChunk.objects.filter(condition, embedding__isnull=False).exists():
        from knowledge.embeddings import embed_texts

        query_vector = embed_texts([query])[0]
    vector_ids = _vector_ranking(condition, query_vector, candidates) if query_vector is not None else []
    text_ids = _text_ranking(condition, query, candidates) if query.strip() else []
    scores = reciprocal_rank_fusion(vector_ids, text_ids)
    best = sorted(scores, key=lambda key: (-scores[key], key))[:limit]
    # Plain rows, not model instances (30 of them per search), and no default ordering (it
    # would sort through a join): only what a hit carries — not the vector, nor long texts.
    rows = {
        str(row["pk"]): row
        for row in VenueChunk.objects.filter(pk__in=best).order_by().values(
            "pk", "venue_id", "source_id", "heading", "content", "page", "venue__name", "venue__slug",
            "source__title", "source__kind", "source__url",
        )
    }
    vector_pos = {key: i for i, key in enumerate(vector_ids, start=1)}
    text_pos = {key: i for i, key in enumerate(text_ids, start=1)}
    hits = []
    for key in best:
        row = rows.get(key)
        if row is None:
            continue
        hits.append(
            ChunkHit(
                chunk_id=key, venue_id=str(row["venue_id"]), venue_name=row["venue__name"], venue_slug=row["venue__slug"],
                source_id=str(row["source_id"]), source_title=row["source__title"], heading=row["heading"],
                content=row["content"], score=round(scores[key], 6), vector_rank=vector_pos.get(key), text_rank=text_pos.get(key),
                citation={"venue": row["venue__name"], "source": row["source__title"], "kind": row["source__kind"],
                          "url": row["source__url"] or None, "section": row["heading"] or None,
                          "page": row["page"]},
            )
        )
    return hits
