"""The nightly knowledge jobs: dreaming, graph build, FAQ compile, re-embed, refresh, reconcile."""

import hashlib
import uuid
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from model_bakery import baker

from knowledge.maintenance import (
    FAQ_TITLE,
    dreaming,
    knowledge_graph_build,
    memory_consolidate,
    memory_decay,
    reembed_stale_chunks,
    refresh_due_url_sources,
    sources_reconcile,
)
from knowledge.memory import user_memory_remember
from knowledge.models import (
    EntityEdge,
    EntityNode,
    UserMemory,
    VenueChunk,
    VenueKnowledgeSource,
)
from knowledge.services import knowledge_source_transition
from knowledge.tests.embedding_fakes import FAKE_MODEL, fake_embeddings, fake_vector  # noqa: F401 (autouse fixture)
from messaging.tasks import faq_compile

# These jobs sweep whole tables and the test database is shared with concurrently running
# suites, so tests name their own rows uniquely and assert on those rows (counts the job
# returns are global and only bounded from below).


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def user(db):
    return baker.make("agnt.User")


# --- dreaming ---------------------------------------------------------------------------


def _age(memory, *, days, recalled_days=None):
    now = timezone.now()
    UserMemory.objects.filter(pk=memory.pk).update(
        created_at=now - timedelta(days=days),
        last_recalled_at=None if recalled_days is None else now - timedelta(days=recalled_days),
    )


def test_dreaming_merges_duplicates_into_the_newest_memory(user):
    old = baker.make(
        UserMemory,
        user=user,
        kind="preference",
        content="Loves natural wine",
        confidence=0.9,
        importance=0.4,
        recall_count=2,
    )
    mid = baker.make(
        UserMemory,
        user=user,
        kind="preference",
        content="loves natural wine!",
        confidence=0.5,
        importance=0.7,
        recall_count=3,
    )
    new = baker.make(
        UserMemory,
        user=user,
        kind="preference",
        content="Loves natural  WINE",
        confidence=0.6,
        importance=0.2,
        recall_count=1,
    )
    _age(old, days=20, recalled_days=2)
    _age(mid, days=10)
    _age(new, days=1)
    unrelated = baker.make(UserMemory, user=user, kind="preference", content="Prefers quiet places")
    someone_else = baker.make(UserMemory, kind="preference", content="Loves natural wine")

    result = memory_consolidate()

    assert result["merged"] >= 2
    survivor = UserMemory.objects.get(user=user, kind="preference", content__icontains="wine")
    assert survivor.pk == new.pk and survivor.content == "Loves natural  WINE"
    assert (survivor.confidence, survivor.importance, survivor.recall_count) == (0.9, 0.7, 6)
    assert survivor.last_recalled_at is not None
    assert UserMemory.objects.filter(pk__in=[unrelated.pk, someone_else.pk]).count() == 2
    assert not UserMemory.objects.filter(pk__in=[old.pk, mid.pk]).exists()


def test_dreaming_merges_near_duplicates_by_embedding_and_embeds_memories_missing_a_vector(user):
    a = baker.make(
        UserMemory, user=user, kind="preference", content="Prefers quiet places with sea views and good cocktails"
    )
    b = baker.make(
        UserMemory, user=user, kind="preference", content="Prefers quiet places with sea views and good cocktails too"
    )
    _age(a, days=3)
    result = memory_consolidate()
    assert result["embedded"] >= 2 and result["merged"] >= 1
    assert list(UserMemory.objects.filter(user=user).values_list("pk", flat=True)) == [b.pk]
    assert UserMemory.objects.get(pk=b.pk).embedding_model == FAKE_MODEL


def test_dreaming_never_merges_two_different_allergies(user, monkeypatch):
    same = np.zeros((1, 384), dtype=np.float32)
    same[0, 0] = 1.0
    monkeypatch.setattr("knowledge.embeddings.embed_texts", lambda texts, **kw: np.repeat(same, len(texts), axis=0))
    baker.make(UserMemory, user=user, kind="allergy", content="Allergic to peanuts")
    baker.make(UserMemory, user=user, kind="allergy", content="Allergic to tree nuts")
    baker.make(UserMemory, user=user, kind="preference", content="Likes jazz")
    baker.make(UserMemory, user=user, kind="preference", content="Enjoys live jazz nights")
    memory_consolidate()
    assert UserMemory.objects.filter(user=user, kind="allergy").count() == 2
    assert UserMemory.objects.filter(user=user, kind="preference").count() == 1


def test_decay_halves_importance_every_30_days_and_archives_faded_memories(user):
    now = timezone.now()
    fresh = baker.make(UserMemory, user=user, kind="preference", content="fresh", importance=0.8)
    sixty = baker.make(UserMemory, user=user, kind="preference", content="sixty days", importance=0.8)
    recalled = baker.make(UserMemory, user=user, kind="preference", content="recalled lately", importance=0.8)
    ancient = baker.make(UserMemory, user=user, kind="budget", content="ancient", importance=0.5)
    allergy = baker.make(UserMemory, user=user, kind="allergy", content="Allergic to peanuts", importance=0.5)
    _age(fresh, days=10)
    _age(sixty, days=60)
    _age(recalled, days=300, recalled_days=5)
    _age(ancient, days=200)
    _age(allergy, days=900)

    result = memory_decay(now=now)

    def reload(m):
        return UserMemory.objects.get(pk=m.pk)

    assert result["decayed"] >= 2 and result["archived"] >= 1
    assert reload(fresh).importance == 0.8 and reload(fresh).decayed_at is None
    assert reload(sixty).importance == pytest.approx(0.2, rel=1e-3)
    assert reload(sixty).archived_at is None
    assert reload(recalled).importance == 0.8
    assert reload(ancient).archived_at == now and reload(ancient).importance < 0.05
    assert reload(allergy).importance == 0.5 and reload(allergy).archived_at is None

    # a second run at the same moment changes nothing; thirty days later it halves once more
    memory_decay(now=now)
    assert reload(sixty).importance == pytest.approx(0.2, rel=1e-3)
    memory_decay(now=now + timedelta(days=30))
    assert reload(sixty).importance == pytest.approx(0.1, rel=1e-3)


def test_dreaming_runs_consolidation_then_decay(user):
    user_memory_remember(user=user, kind="preference", content="Likes jazz")
    user_memory_remember(user=user, kind="preference", content="Likes karaoke")
    result = dreaming()
    assert set(result) == {"embedded", "merged", "decayed", "archived"}
    assert UserMemory.objects.filter(user=user).count() == 2


# --- knowledge graph --------------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    p = unique("g")
    canggu = baker.make("venues.City", slug=f"{p}-canggu", name=f"Canggu {p}")
    ubud = baker.make("venues.City", slug=f"{p}-ubud", name=f"Ubud {p}")

    def venue(key, city, **kwargs):
        return baker.make("venues.Venue", city=city, slug=f"{p}-{key}", name=f"{key} {p}", max_party_size=10, **kwargs)

    return {
        "p": p,
        "a": venue(
            "a",
            canggu,
            area="Berawa",
            status="listed",
            cuisines=["japanese", f"{p}-fusion"],
            tags=["date-night", "sake", "garden"],
        ),
        "b": venue(
            "b", canggu, area="Berawa", status="listed", cuisines=["japanese"], tags=["date-night", "sake", "rooftop"]
        ),
        "c": venue(
            "c", canggu, area="Batu Bolong", status="active", cuisines=["italian"], tags=["date-night", f"{p}-pizza"]
        ),
        "d": venue("d", ubud, area="", status="listed", cuisines=["japanese"], tags=["date-night", "sake"]),
        "closed": venue("x", canggu, area="Berawa", status="closed", tags=["date-night", "sake"]),
    }


def _mine(p):
    return EntityEdge.objects.filter(src__key__startswith=p).select_related("src", "dst")


def _edges(p, relation):
    """(src, dst, weight) of the catalogue's edges, keys without the test prefix."""

    def short(key):
        return key.removeprefix(f"{p}-")

    return {(short(e.src.key), short(e.dst.key), e.weight) for e in _mine(p).filter(relation=relation)}


def test_the_graph_build_links_venues_areas_cities_cuisines_and_tastes(catalogue):
    p = catalogue["p"]
    result = knowledge_graph_build()
    assert EntityNode.objects.filter(kind="venue", key__startswith=p).count() == 4  # the closed venue is left out
    assert EntityNode.objects.get(kind="venue", key=f"{p}-a").venue_id == catalogue["a"].pk
    assert set(EntityNode.objects.filter(kind="area", key__startswith=p).values_list("key", flat=True)) == {
        f"{p}-canggu-berawa",
        f"{p}-canggu-batu-bolong",
    }
    assert _edges(p, "located_in") == {
        ("a", "canggu-berawa", 1),
        ("b", "canggu-berawa", 1),
        ("c", "canggu-batu-bolong", 1),
        ("d", "ubud", 1),
    }
    assert _edges(p, "part_of") == {("canggu-berawa", "canggu", 1), ("canggu-batu-bolong", "canggu", 1)}
    assert _edges(p, "serves") == {
        ("a", "japanese", 1),
        ("a", "fusion", 1),
        ("b", "japanese", 1),
        ("c", "italian", 1),
        ("d", "japanese", 1),
    }
    assert ("c", "pizza", 1) in _edges(p, "has_taste")
    assert EntityNode.objects.get(kind="taste", key="date-night").label == "Date night"
    # similar: same city and ≥ 2 shared tags; d shares two tags with a but is in another city
    assert _edges(p, "similar_to") == {("a", "b", 2.0), ("b", "a", 2.0)}
    edge = _mine(p).get(relation="similar_to", src__key=f"{p}-a")
    assert edge.properties == {"shared_tags": ["date-night", "sake"]}
    assert result["nodes"] >= 4 + 2 + 2 and result["edges"] >= _mine(p).count()


def test_the_graph_build_is_idempotent(catalogue, django_assert_max_num_queries):
    p = catalogue["p"]
    knowledge_graph_build()
    nodes = set(EntityNode.objects.filter(key__startswith=p).values_list("pk", flat=True))
    edges = set(_mine(p).values_list("pk", "weight"))
    with django_assert_max_num_queries(12):  # bulk statements, not one per node or edge
        knowledge_graph_build()
    assert set(EntityNode.objects.filter(key__startswith=p).values_list("pk", flat=True)) == nodes
    assert set(_mine(p).values_list("pk", "weight")) == edges


def test_the_graph_build_removes_edges_that_no_longer_hold_and_keeps_foreign_ones(catalogue, user):
    p = catalogue["p"]
    knowledge_graph_build()
    person = EntityNode.objects.create(kind="user", key=f"{p}-user", label="someone", user=user)
    likes = EntityEdge.objects.create(
        src=person, dst=EntityNode.objects.get(kind="venue", key=f"{p}-a"), relation="likes"
    )
    venue = catalogue["a"]
    venue.cuisines = ["japanese"]
    venue.tags = ["date-night", "garden"]
    venue.area = "Pererenan"
    venue.save()

    result = knowledge_graph_build()

    assert ("a", "fusion", 1) not in _edges(p, "serves")
    assert ("a", "sake", 1) not in _edges(p, "has_taste")
    assert _edges(p, "similar_to") == set()
    assert ("a", "canggu-pererenan", 1) in _edges(p, "located_in")
    assert ("a", "canggu-berawa", 1) not in _edges(p, "located_in")
    # serves fusion, has_taste sake, located_in berawa and both similar_to edges
    assert result["edges_removed"] >= 5
    assert EntityEdge.objects.filter(pk=likes.pk).exists()


# --- FAQ (the job lives in messaging, which owns the chats) --------------------------------------------------------------------------------


def _ask(text, *, days_ago=1, direction="inbound"):
    interaction = baker.make(
        "messaging.Interaction", platform="telegram", direction=direction, source="user", status="received", text=text
    )
    type(interaction).objects.filter(pk=interaction.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return interaction


@pytest.fixture
def lumbung(db):
    p = unique("faq")
    city = baker.make("venues.City", slug=p, name=p)
    # a name no concurrently running test will mention
    name = "Lumbung " + "".join(chr(ord("a") + int(ch, 16)) for ch in uuid.uuid4().hex[:8]).title()
    return baker.make("venues.Venue", city=city, slug=p, name=name, max_party_size=10)


def test_faq_compile_creates_one_source_with_the_repeated_questions(lumbung):
    name, NAME, lname = lumbung.name, lumbung.name.upper(), lumbung.name.lower()
    _ask(f"Hi! Does {name} have vegan options?")
    _ask(f"does {lname} have vegan options")
    _ask(f"Does {NAME} have vegan options?!")
    _ask(f"What time does {name} close?")
    _ask(f"What time does {name} close?")
    _ask(f"Is there parking at {name}?")  # asked once: below min_count
    _ask(f"Does {name} have vegan options?", days_ago=45)  # too old
    _ask(f"Does {name} have vegan options?", direction="outbound")  # our own reply
    _ask(f"I loved {name}. Great night.")  # not a question

    assert faq_compile()["created"] >= 1

    source = VenueKnowledgeSource.objects.get(venue=lumbung)
    assert (source.kind, source.title, source.status) == ("text", FAQ_TITLE, "queued")
    assert f"- Does {name} have vegan options? (asked 3 times)" in source.text
    assert f"- What time does {name} close? (asked 2 times)" in source.text
    assert source.text.index("vegan") < source.text.index("close")
    assert "parking" not in source.text


def test_faq_compile_updates_and_requeues_the_same_source_only_when_the_text_changed(lumbung):
    name = lumbung.name
    for _ in range(2):
        _ask(f"Does {name} take walk-ins?")
    faq_compile()
    source = VenueKnowledgeSource.objects.get(venue=lumbung)
    knowledge_source_transition(source=source, to_status="processing")
    knowledge_source_transition(source=source, to_status="ready")

    assert faq_compile()["unchanged"] >= 1
    source.refresh_from_db()
    assert source.status == "ready"

    _ask(f"Does {name} take walk-ins?")
    assert faq_compile()["updated"] >= 1
    source.refresh_from_db()
    assert source.status == "queued"
    assert "(asked 3 times)" in source.text
    assert source.content_hash == hashlib.sha256(source.text.encode()).hexdigest()
    assert VenueKnowledgeSource.objects.filter(venue=lumbung).count() == 1


def test_faq_compile_leaves_a_source_being_ingested_alone(lumbung):
    name = lumbung.name
    for _ in range(2):
        _ask(f"Does {name} take walk-ins?")
    faq_compile()
    source = VenueKnowledgeSource.objects.get(venue=lumbung)
    knowledge_source_transition(source=source, to_status="processing")
    old_text = source.text
    _ask(f"Does {name} take walk-ins?")
    assert faq_compile()["in_flight"] >= 1
    source.refresh_from_db()
    assert (source.status, source.text) == ("processing", old_text)


# --- chunks and sources -----------------------------------------------------------------


def test_reembed_fills_missing_and_outdated_vectors_in_batches(db):
    source = baker.make(VenueKnowledgeSource, kind="text", text="x", status="ready")
    current = fake_vector("keep me").tolist()
    missing = [
        baker.make(VenueChunk, venue=source.venue, source=source, ordinal=i, heading="Menu", content=f"dish {i}")
        for i in range(5)
    ]
    outdated = baker.make(
        VenueChunk,
        venue=source.venue,
        source=source,
        ordinal=10,
        content="old model",
        embedding=[1.0] + [0.0] * 383,
        embedding_model="old-model",
    )
    untouched = baker.make(
        VenueChunk,
        venue=source.venue,
        source=source,
        ordinal=11,
        content="keep me",
        embedding=current,
        embedding_model=FAKE_MODEL,
    )

    assert reembed_stale_chunks(batch_size=2)["embedded"] >= 6

    for chunk in [*missing, outdated]:
        chunk.refresh_from_db()
        assert chunk.embedding_model == FAKE_MODEL
    assert np.allclose(missing[0].embedding, fake_vector("Menu\ndish 0"), atol=1e-6)
    assert np.allclose(outdated.embedding, fake_vector("old model"), atol=1e-6)
    untouched.refresh_from_db()
    assert np.allclose(untouched.embedding, current)


def test_reembed_stops_at_its_limit(db):
    source = baker.make(VenueKnowledgeSource, kind="text", text="x", status="ready")
    for i in range(5):
        baker.make(VenueChunk, venue=source.venue, source=source, ordinal=i, content=f"dish {i}")
    assert reembed_stale_chunks(batch_size=2, limit=3)["embedded"] == 3
    assert VenueChunk.objects.filter(source=source, embedding__isnull=True).count() >= 2


def test_refresh_requeues_only_ready_url_sources_whose_interval_passed(db):
    now = timezone.now()

    def url_source(**kwargs):
        return baker.make(VenueKnowledgeSource, kind="url", url="https://example.com/menu", **kwargs)

    due = url_source(status="ready", refresh_interval_hours=24, last_ingested_at=now - timedelta(hours=25))
    not_yet = url_source(status="ready", refresh_interval_hours=24, last_ingested_at=now - timedelta(hours=23))
    never = url_source(status="ready", refresh_interval_hours=None, last_ingested_at=now - timedelta(days=90))
    busy = url_source(status="processing", refresh_interval_hours=1, last_ingested_at=now - timedelta(days=2))
    text = baker.make(
        VenueKnowledgeSource,
        kind="text",
        text="x",
        status="ready",
        refresh_interval_hours=1,
        last_ingested_at=now - timedelta(days=2),
    )

    assert refresh_due_url_sources(now=now)["requeued"] >= 1

    statuses = dict(VenueKnowledgeSource.objects.values_list("pk", "status"))
    assert statuses[due.pk] == "queued"
    assert [statuses[s.pk] for s in (not_yet, never, busy, text)] == ["ready", "ready", "processing", "ready"]


def test_reconcile_times_out_stuck_ingestions_and_fixes_chunk_counts(db):
    now = timezone.now()
    stuck = baker.make(VenueKnowledgeSource, kind="text", text="x", status="processing")
    running = baker.make(VenueKnowledgeSource, kind="text", text="x", status="processing")
    VenueKnowledgeSource.objects.filter(pk=stuck.pk).update(updated_at=now - timedelta(hours=2))
    drifted = baker.make(VenueKnowledgeSource, kind="text", text="x", status="ready", chunk_count=5)
    emptied = baker.make(VenueKnowledgeSource, kind="text", text="x", status="ready", chunk_count=3)
    honest = baker.make(VenueKnowledgeSource, kind="text", text="x", status="ready", chunk_count=1)
    for i in range(2):
        baker.make(VenueChunk, venue=drifted.venue, source=drifted, ordinal=i, content="c")
    baker.make(VenueChunk, venue=honest.venue, source=honest, ordinal=0, content="c")

    result = sources_reconcile(now=now)
    assert result["timed_out"] >= 1 and result["chunk_counts_fixed"] >= 2

    stuck.refresh_from_db()
    assert (stuck.status, stuck.error) == ("failed", "ingestion timed out")
    assert stuck.events.filter(to_status="failed").exists()
    counts = dict(VenueKnowledgeSource.objects.values_list("pk", "chunk_count"))
    assert (counts[drifted.pk], counts[emptied.pk], counts[honest.pk]) == (2, 0, 1)
    assert VenueKnowledgeSource.objects.get(pk=running.pk).status == "processing"
    sources_reconcile(now=now)
    assert dict(
        VenueKnowledgeSource.objects.filter(pk__in=[drifted.pk, emptied.pk]).values_list("pk", "chunk_count")
    ) == {drifted.pk: 2, emptied.pk: 0}
