import math

import pytest
from django.db import IntegrityError, connection, transaction
from model_bakery import baker
from pgvector.django import CosineDistance

from knowledge.models import EntityEdge, EntityNode, VenueChunk
from knowledge.retrieval import search_venue_knowledge


def _unit(*hot: int, dims: int = 384) -> list[float]:
    vector = [0.0] * dims
    for index in hot:
        vector[index] = 1.0
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector]


@pytest.mark.django_db
@pytest.mark.parametrize("table", ["knowledge_venuechunk", "knowledge_usermemory"])
def test_the_embedding_column_has_an_hnsw_cosine_index(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        definitions = [row[0] for row in cursor.fetchall()]
    hnsw = [d for d in definitions if "USING hnsw" in d]
    assert len(hnsw) == 1
    assert "(embedding vector_cosine_ops)" in hnsw[0] and "m='16'" in hnsw[0] and "ef_construction='64'" in hnsw[0]


@pytest.mark.django_db
def test_a_cosine_distance_query_returns_the_closest_chunks_first():
    venue = baker.make("venues.Venue")
    source = baker.make("knowledge.VenueKnowledgeSource", venue=venue, kind="text", text="menu")
    far = VenueChunk.objects.create(venue=venue, source=source, ordinal=0, content="parking", embedding=_unit(5))
    near = VenueChunk.objects.create(
        venue=venue, source=source, ordinal=1, content="vegan dishes", embedding=_unit(0, 1)
    )
    exact = VenueChunk.objects.create(venue=venue, source=source, ordinal=2, content="vegan menu", embedding=_unit(0))
    VenueChunk.objects.create(venue=venue, source=source, ordinal=3, content="not embedded yet")
    other_venue_chunk = baker.make(
        VenueChunk, content="vegan elsewhere", embedding=_unit(0), source__kind="text", source__text="x"
    )

    # Exact scan: an HNSW scan filtered afterwards may drop rows (e.g. the index still holds
    # entries of rolled-back rows from earlier tests); retrieval.py handles that, this checks
    # the operator's values and order.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")
        rows = list(
            VenueChunk.objects.filter(venue=venue, embedding__isnull=False)
            .annotate(distance=CosineDistance("embedding", _unit(0)))
            .order_by("distance")
        )
    assert [r.pk for r in rows] == [exact.pk, near.pk, far.pk]
    assert rows[0].distance == pytest.approx(0.0, abs=1e-6)
    assert rows[1].distance == pytest.approx(1 - 1 / math.sqrt(2), abs=1e-5)
    assert rows[2].distance == pytest.approx(1.0, abs=1e-6)

    nearest = [hit.chunk_id for hit in search_venue_knowledge(query="", query_vector=_unit(0), venue=venue, limit=2)]
    assert nearest == [str(exact.pk), str(near.pk)] and str(other_venue_chunk.pk) not in nearest


@pytest.mark.django_db
def test_the_generated_search_vector_finds_chunks_by_heading_and_content():
    venue = baker.make("venues.Venue")
    source = baker.make("knowledge.VenueKnowledgeSource", venue=venue, kind="text", text="menu")
    dessert = VenueChunk.objects.create(
        venue=venue, source=source, ordinal=0, heading="Desserts", content="Coconut panna cotta"
    )
    VenueChunk.objects.create(venue=venue, source=source, ordinal=1, heading="Drinks", content="Fresh juices")

    def found(query):
        return [hit.chunk_id for hit in search_venue_knowledge(query=query, venue=venue)]

    assert found("dessert") == [str(dessert.pk)]
    assert found("coconut") == [str(dessert.pk)]
    # the column follows edits: it is computed by PostgreSQL, not by our code
    VenueChunk.objects.filter(pk=dessert.pk).update(content="Mango sticky rice")
    assert found("coconut") == []


@pytest.mark.django_db
def test_a_chunk_ordinal_is_unique_within_its_source():
    source = baker.make("knowledge.VenueKnowledgeSource", kind="text", text="x")
    VenueChunk.objects.create(venue=source.venue, source=source, ordinal=0, content="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        VenueChunk.objects.create(venue=source.venue, source=source, ordinal=0, content="b")


@pytest.mark.django_db
def test_the_graph_refuses_self_loops_and_duplicate_edges():
    venue_node = EntityNode.objects.create(kind="venue", key="la-brisa", label="La Brisa")
    cuisine = EntityNode.objects.create(kind="cuisine", key="seafood", label="Seafood")
    EntityEdge.objects.create(src=venue_node, dst=cuisine, relation="serves")
    with pytest.raises(IntegrityError), transaction.atomic():
        EntityEdge.objects.create(src=venue_node, dst=cuisine, relation="serves")
    with pytest.raises(IntegrityError), transaction.atomic():
        EntityEdge.objects.create(src=venue_node, dst=venue_node, relation="similar_to")
    with pytest.raises(IntegrityError), transaction.atomic():
        EntityNode.objects.create(kind="cuisine", key="seafood", label="Seafood again")
