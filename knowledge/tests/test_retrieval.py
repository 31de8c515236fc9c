"""Hybrid retrieval: exact under selective filters, fused vector + text ranking, cited hits."""

import numpy as np
import pytest
from model_bakery import baker

from knowledge.models import VenueChunk, VenueKnowledgeSource
from knowledge.retrieval import reciprocal_rank_fusion, search_venue_knowledge

DIMS = 384


def unit(rng, n=1):
    v = rng.standard_normal((n, DIMS)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def corpus(db):
    rng = np.random.default_rng(7)
    canggu = baker.make("venues.City", slug="canggu", name="Canggu")
    ubud = baker.make("venues.City", slug="ubud", name="Ubud")
    venues = [
        baker.make(
            "venues.Venue",
            city=canggu if i < 8 else ubud,
            slug=f"v{i}",
            name=f"Venue {i}",
            category="beach_club" if i % 4 == 0 else "restaurant",
            max_party_size=10,
        )
        for i in range(10)
    ]
    vectors = unit(rng, 400)
    chunks = []
    for i, vector in enumerate(vectors):
        venue = venues[i % 10]
        source = VenueKnowledgeSource.objects.filter(venue=venue).first() or baker.make(
            VenueKnowledgeSource, venue=venue, kind="text", title=f"Notes {venue.slug}", text="x", status="ready"
        )
        chunks.append(
            VenueChunk(
                venue=venue,
                source=source,
                ordinal=i,
                heading="Menu",
                content=f"plain passage number {i}",
                embedding=vector.tolist(),
            )
        )
    VenueChunk.objects.bulk_create(chunks)
    return {"rng": rng, "vectors": vectors, "venues": venues, "ubud": ubud}


def _exact(query, **filters):
    """Brute force in numpy: the ground truth the database search must reproduce."""
    rows = list(VenueChunk.objects.filter(**filters).values_list("pk", "embedding"))
    matrix = np.array([np.asarray(e, dtype=np.float32) for _, e in rows])
    distances = 1 - matrix @ query / np.linalg.norm(matrix, axis=1)
    return [str(rows[i][0]) for i in np.argsort(distances, kind="stable")[:10]]


def test_filtered_vector_search_matches_exact_search(corpus):
    query = unit(corpus["rng"])[0]
    hits = search_venue_knowledge(query="zzzz", query_vector=query, city="ubud", limit=10)
    assert [h.chunk_id for h in hits] == _exact(query, venue__city__slug="ubud")
    assert all(h.venue_slug in {"v8", "v9"} for h in hits)


def test_a_single_venue_filter_returns_only_that_venue_and_enough_rows(corpus):
    venue = corpus["venues"][3]
    query = unit(corpus["rng"])[0]
    hits = search_venue_knowledge(query="", query_vector=query, venue=venue, limit=10)
    assert len(hits) == 10
    assert [h.chunk_id for h in hits] == _exact(query, venue=venue)


def test_a_passage_both_retrievers_agree_on_beats_the_best_of_one(corpus):
    rng = corpus["rng"]
    query = unit(rng)[0]
    nearest = VenueChunk.objects.get(ordinal=10)  # exactly the query vector: vector rank 1, no text match
    nearest.embedding = query.tolist()
    nearest.save(update_fields=["embedding"])
    target = VenueChunk.objects.get(ordinal=123)  # close to the query (vector rank 2) and the only text match
    close = query + 0.05 * unit(rng)[0]
    target.embedding = (close / np.linalg.norm(close)).tolist()
    target.content = "Fully vegan menu with gluten-free tempeh burgers"
    target.save(update_fields=["embedding", "content"])
    hits = search_venue_knowledge(query="vegan tempeh", query_vector=query, limit=5)
    assert [hits[0].chunk_id, hits[1].chunk_id] == [str(target.pk), str(nearest.pk)]
    assert (hits[0].vector_rank, hits[0].text_rank) == (2, 1)
    assert hits[0].citation["source"] == target.source.title and hits[0].citation["venue"] == target.venue.name


def test_full_text_alone_answers_when_nothing_is_embedded(db):
    source = baker.make(VenueKnowledgeSource, kind="text", text="notes", title="Notes", venue__max_party_size=10)
    chunk = baker.make(
        VenueChunk,
        source=source,
        venue=source.venue,
        content="Kids club with a shallow pool every afternoon",
        heading="Families",
        embedding=None,
        ordinal=0,
    )
    baker.make(
        VenueChunk,
        source=source,
        venue=source.venue,
        content="Sunset DJ sets on Fridays",
        heading="Music",
        embedding=None,
        ordinal=1,
    )
    hits = search_venue_knowledge(query="which beach club has a kids pool", limit=3)
    assert hits and hits[0].chunk_id == str(chunk.pk) and hits[0].vector_rank is None


def test_reciprocal_rank_fusion_rewards_agreement():
    scores = reciprocal_rank_fusion(["a", "b", "c"], ["b", "d"])
    assert max(scores, key=scores.get) == "b"
    assert scores["a"] > scores["d"]


def test_above_the_exact_threshold_a_selective_filter_widens_ef_search(corpus, monkeypatch):
    from django.db import connection

    from knowledge import retrieval

    monkeypatch.setattr(retrieval, "EXACT_SEARCH_MAX_ROWS", 10)
    seen = []
    original = connection.cursor

    def spying_cursor(*args, **kwargs):
        cursor = original(*args, **kwargs)
        execute = cursor.execute

        def recording(sql, params=None):
            seen.append((sql, params))
            return execute(sql, params)

        cursor.execute = recording
        return cursor

    monkeypatch.setattr(connection, "cursor", spying_cursor)
    query = unit(corpus["rng"])[0]
    hits = search_venue_knowledge(query="", query_vector=query, city="ubud", limit=10)
    ef = [int(params[0]) for sql, params in seen if "hnsw.ef_search" in sql]
    assert ef and ef[0] > retrieval.DEFAULT_EF_SEARCH  # 80 of 400 rows match: ef_search grows ~5x
    assert [h.chunk_id for h in hits] == _exact(query, venue__city__slug="ubud")


def test_a_category_filter_matches_exact_search(corpus):
    query = unit(corpus["rng"])[0]
    hits = search_venue_knowledge(query="", query_vector=query, category="beach_club", limit=10)
    assert [h.chunk_id for h in hits] == _exact(query, venue__category="beach_club")


def test_an_unknown_city_finds_nothing_until_it_exists(corpus):
    query = unit(corpus["rng"])[0]
    assert search_venue_knowledge(query="passage", query_vector=query, city="atlantis") == []
    atlantis = baker.make("venues.City", slug="atlantis", name="Atlantis")
    corpus["venues"][9].city = atlantis
    corpus["venues"][9].save()
    hits = search_venue_knowledge(query="", query_vector=query, city="atlantis", limit=10)
    assert hits and {h.venue_slug for h in hits} == {"v9"}  # the miss was not remembered


# --- the chunk's copy of its venue's city and category --------------------------------


def test_a_new_chunk_takes_its_venues_city_and_category_whatever_the_writer_sent(corpus):
    venue = corpus["venues"][0]  # Canggu, beach_club
    source = VenueKnowledgeSource.objects.filter(venue=venue).first()
    chunk = VenueChunk.objects.create(
        venue=venue, source=source, ordinal=9999, content="late", city=corpus["ubud"], category="spa"
    )
    chunk.refresh_from_db()
    assert (chunk.city_id, chunk.category) == (venue.city_id, "beach_club")


def test_a_venue_moving_city_moves_its_chunks(corpus):
    venue = corpus["venues"][2]  # Canggu
    query = np.asarray(VenueChunk.objects.filter(venue=venue).first().embedding, dtype=np.float32)
    assert all(
        h.venue_slug != venue.slug for h in search_venue_knowledge(query="", query_vector=query, city="ubud", limit=10)
    )

    venue.city = corpus["ubud"]
    venue.save()  # what the admin's change form does

    assert set(VenueChunk.objects.filter(venue=venue).values_list("city_id", flat=True)) == {corpus["ubud"].pk}
    hits = search_venue_knowledge(query="", query_vector=query, city="ubud", limit=10)
    assert hits[0].venue_slug == venue.slug
    assert [h.chunk_id for h in hits] == _exact(query, venue__city__slug="ubud")
    assert all(
        h.venue_slug != venue.slug
        for h in search_venue_knowledge(query="", query_vector=query, city="canggu", limit=10)
    )


def test_a_bulk_update_of_venues_moves_their_chunks_too(corpus):
    from venues.models import Venue

    moved = [v.pk for v in corpus["venues"][:4]]
    Venue.objects.filter(pk__in=moved).update(city=corpus["ubud"], category="spa")  # no save(), no signals
    assert set(VenueChunk.objects.filter(venue__in=moved).values_list("city_id", "category").distinct()) == {
        (corpus["ubud"].pk, "spa")
    }
    assert VenueChunk.objects.exclude(venue__in=moved).filter(category="spa").count() == 0


def test_a_category_change_in_onboarding_reaches_the_chunks(corpus):
    from model_bakery import baker as _baker

    from venues.services import onboarding_advance, onboarding_start

    venue = corpus["venues"][1]  # restaurant
    owner = _baker.make("agnt.User")
    session = onboarding_start(venue=venue, user=owner)
    session = onboarding_advance(session=session, step_data={}, actor=owner)  # started → profile
    onboarding_advance(session=session, step_data={"category": "cafe"}, actor=owner)
    assert set(VenueChunk.objects.filter(venue=venue).values_list("category", flat=True)) == {"cafe"}
    hits = search_venue_knowledge(query="", query_vector=unit(corpus["rng"])[0], category="cafe", limit=50)
    assert {h.venue_slug for h in hits} == {venue.slug}
