"""Hybrid retrieval over venue knowledge: pgvector (HNSW, cosine) + PostgreSQL full text,
fused with reciprocal rank fusion, filtered by venue, city and category.

Why the filter handling matters: an HNSW index scan returns the ``ef_search`` nearest
rows and *then* applies the WHERE clause, so a selective filter (one venue, one small
city) can come back with fewer than ``limit`` rows or miss the true neighbours. We count
the rows the filter matches first (a count bounded at the threshold; above it the
planner's estimate sizes the beam) and
  - below ``EXACT_SEARCH_MAX_ROWS``: search exactly (an ordering the HNSW index cannot
    serve — a sequential scan over a few thousand vectors takes milliseconds), or
  - above it: widen ``hnsw.ef_search`` in proportion to how selective the filter is.
The count, the setting (``set_config(…, true)``: it ends with the statement's
transaction), the search and the hit's citation columns are one SQL statement — one round
trip per vector search (see ``_vector_ranking``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Q

from knowledge.models import VenueChunk, VenueKnowledgeSource

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


def _where_sql(
    *, venue=None, venues: Sequence | None = None, city_id=None, category: str | None = None
) -> tuple[str, list]:
    """The same filter as ``_filters``, as SQL over the chunk table aliased ``c``."""
    parts, params = [], []
    if venue is not None:
        parts.append("c.venue_id = %s")
        params.append(getattr(venue, "pk", venue))
    if venues is not None:
        ids = [getattr(v, "pk", v) for v in venues]
        if not ids:
            parts.append("FALSE")
        else:
            parts.append(f"c.venue_id IN ({', '.join(['%s'] * len(ids))})")
            params += ids
    if city_id is not None:
        parts.append("c.city_id = %s")
        params.append(city_id)
    if category:
        parts.append("c.category = %s")
        params.append(category)
    return " AND ".join(parts), params


def _vector_literal(query_vector: Sequence[float]) -> str:
    values = query_vector.tolist() if hasattr(query_vector, "tolist") else [float(x) for x in query_vector]
    return "[" + ",".join(map(repr, values)) + "]"


def _hit_sql() -> str:
    """The columns a hit carries, joined onto the ranked chunk ids ``r`` (not the vector)."""
    from venues.models import Venue

    return (
        "SELECT r.id, c.venue_id, c.source_id, c.heading, c.content, c.page, v.name, v.slug, s.title, s.kind, s.url"
        f" FROM r JOIN {VenueChunk._meta.db_table} c ON c.id = r.id"
        f" JOIN {Venue._meta.db_table} v ON v.id = c.venue_id"
        f" JOIN {VenueKnowledgeSource._meta.db_table} s ON s.id = c.source_id"
        " ORDER BY r.distance, r.id"
    )


def _vector_ranking(
    where: str,
    where_params: list,
    condition: Q,
    query_vector: Sequence[float],
    candidates: int,
    rows: int,
    *,
    hydrate: bool,
) -> list[tuple]:
    """The ``rows`` nearest chunks as hit rows (id first), best first — in ONE statement and
    one round trip, without a transaction of its own.

    - ``hnsw.ef_search`` is set by ``set_config(…, true)`` inside the statement: an
      uncorrelated sub-select in a predicate without columns becomes a one-time filter
      (an InitPlan) that PostgreSQL runs before the HNSW scan reads its first tuple, which
      is when pgvector reads the setting. Outside a transaction the statement is its own
      transaction, so the setting ends with it (inside a caller's transaction it lasts
      until that ends, as the ``SET LOCAL`` it replaces did).
    - With a filter, the bounded count (the first EXACT_SEARCH_MAX_ROWS + 1 matching index
      entries) is in the same statement, and it gates two branches of which exactly one
      runs: the exact scan (``ORDER BY distance + 0`` cannot be served by the HNSW index,
      so the planner reads the filtered rows and sorts them — no ``enable_indexscan`` to
      switch off before planning) or the widened HNSW beam, written as "the ef nearest
      rows, then the filter". That is what pgvector 0.6's filtered index scan does anyway
      (it returns at most ``ef_search`` rows and filters them), so there is no
      ``enable_seqscan`` / ``enable_bitmapscan`` to switch off either: nothing about the
      plan depends on settings made before it. (With pgvector ≥ 0.8's iterative index
      scans this branch should become a plain filtered index scan.)
    - With ``hydrate``, the citation columns (venue, source) are joined onto the ranked ids
      in the same statement, so a vector-only search needs no second query for its hits.
      The hybrid path asks for ids only: which of its 50 candidates make the fused top
      ``limit`` is known only after fusion, so it fetches those (at most ``limit``) afterwards.
    """
    table = VenueChunk._meta.db_table
    vector = _vector_literal(query_vector)
    if not where:
        ef = max(DEFAULT_EF_SEARCH, candidates)
        sql = (
            "WITH q AS MATERIALIZED (SELECT %s::vector AS v), r AS MATERIALIZED ("
            f"SELECT c.id, c.embedding <=> (SELECT v FROM q) AS distance FROM {table} c"
            " WHERE c.embedding IS NOT NULL AND (SELECT set_config('hnsw.ef_search', %s, true)) IS NOT NULL"
            f" ORDER BY c.embedding <=> (SELECT v FROM q) LIMIT {int(rows)}) "
        ) + (_hit_sql() if hydrate else "SELECT r.id FROM r ORDER BY r.distance, r.id")
        params = [vector, str(ef)]
    else:
        # Beam: 128 × (1/selectivity)^0.3 — 10 % of the rows → ef 255 (bench: recall 0.96
        # already at ef 200 for that selectivity; the square root's 442 cost 2× the time).
        # Sized from the planner's estimate of the filter (memoised per filter); the exact
        # decision is the bounded count in the statement.
        total = max(1, _memoised(("rows",), _estimated_rows))
        estimate_key = ("estimate", str(condition))
        matching = max(
            EXACT_SEARCH_MAX_ROWS + 1,
            _memoised(
                estimate_key,
                lambda: _planner_estimate(VenueChunk.objects.filter(condition, embedding__isnull=False).order_by()),
            ),
        )
        widened = int(DEFAULT_EF_SEARCH * (total / max(matching, 1)) ** 0.3)
        ef = int(max(candidates, min(MAX_EF_SEARCH, widened)))
        bound = int(EXACT_SEARCH_MAX_ROWS)
        sql = (
            "WITH ef AS MATERIALIZED (SELECT set_config('hnsw.ef_search', %s, true) AS value),"
            " q AS MATERIALIZED (SELECT %s::vector AS v),"
            f" matching AS MATERIALIZED (SELECT count(*) AS n FROM (SELECT 1 FROM {table} c WHERE {where} LIMIT {bound + 1}) m),"
            " r AS MATERIALIZED ("
            f"(SELECT c.id, c.embedding <=> (SELECT v FROM q) AS distance FROM {table} c"
            f" WHERE {where} AND c.embedding IS NOT NULL AND (SELECT n FROM matching) <= {bound}"
            f" ORDER BY (c.embedding <=> (SELECT v FROM q)) + 0 LIMIT {int(rows)})"
            " UNION ALL "
            "(SELECT c.id, c.distance FROM ("
            f"SELECT c.id, c.venue_id, c.city_id, c.category, c.embedding <=> (SELECT v FROM q) AS distance FROM {table} c"
            f" WHERE c.embedding IS NOT NULL AND (SELECT n FROM matching) > {bound} AND (SELECT value FROM ef) IS NOT NULL"
            f" ORDER BY c.embedding <=> (SELECT v FROM q) LIMIT {ef}) c WHERE {where} ORDER BY c.distance LIMIT {int(rows)})) "
        ) + (_hit_sql() if hydrate else "SELECT r.id FROM r ORDER BY r.distance, r.id")
        params = [str(ef), vector, *where_params, *where_params, *where_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


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
        VenueChunk.objects.filter(condition, search_vector=search)
        .order_by()
        .values("pk", "search_vector")[:TEXT_RANK_MAX_ROWS]
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
    city_id = _city_id(city) if city is not None else None
    if city is not None and city_id is None:
        return []  # an unknown city slug: nothing matches (not remembered — see _city_id)
    condition = _filters(venue=venue, venues=venues, city=city_id, category=category)
    candidates = max(candidates, limit)
    if query_vector is None and VenueChunk.objects.filter(condition, embedding__isnull=False).exists():
        from knowledge.embeddings import embed_texts

        query_vector = embed_texts([query])[0]
    with_text = bool(query.strip())
    rows: dict[str, tuple] = {}
    vector_ids: list[str] = []
    if query_vector is not None:
        where, where_params = _where_sql(venue=venue, venues=venues, city_id=city_id, category=category)
        # Without a text side the fused ranking is the vector ranking: only ``limit`` rows
        # are needed (the beam is still sized from ``candidates``).
        for row in _vector_ranking(
            where,
            where_params,
            condition,
            query_vector,
            candidates,
            candidates if with_text else limit,
            hydrate=not with_text,
        ):
            key = str(row[0])
            vector_ids.append(key)
            if len(row) > 1:
                rows[key] = row
    text_ids = _text_ranking(condition, query, candidates) if with_text else []
    scores = reciprocal_rank_fusion(vector_ids, text_ids)
    best = sorted(scores, key=lambda key: (-scores[key], key))[:limit]
    missing = [key for key in best if key not in rows]
    if missing:
        # The hybrid path's hits: plain rows, not model instances, and no default ordering
        # (it would sort through a join) — only what a hit carries, not the vector.
        for row in (
            VenueChunk.objects.filter(pk__in=missing)
            .order_by()
            .values_list(
                "pk",
                "venue_id",
                "source_id",
                "heading",
                "content",
                "page",
                "venue__name",
                "venue__slug",
                "source__title",
                "source__kind",
                "source__url",
            )
        ):
            rows[str(row[0])] = row
    vector_pos = {key: i for i, key in enumerate(vector_ids, start=1)}
    text_pos = {key: i for i, key in enumerate(text_ids, start=1)}
    hits = []
    for key in best:
        row = rows.get(key)
        if row is None:
            continue
        (
            _pk,
            venue_id,
            source_id,
            heading,
            content,
            page,
            venue_name,
            venue_slug,
            source_title,
            source_kind,
            source_url,
        ) = row
        hits.append(
            ChunkHit(
                chunk_id=key,
                venue_id=str(venue_id),
                venue_name=venue_name,
                venue_slug=venue_slug,
                source_id=str(source_id),
                source_title=source_title,
                heading=heading,
                content=content,
                score=round(scores[key], 6),
                vector_rank=vector_pos.get(key),
                text_rank=text_pos.get(key),
                citation={
                    "venue": venue_name,
                    "source": source_title,
                    "kind": source_kind,
                    "url": source_url or None,
                    "section": heading or None,
                    "page": page,
                },
            )
        )
    return hits
