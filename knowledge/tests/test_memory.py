"""User memory: extraction, remember/dedupe, recall, forget (really deletes), the prompt block."""

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from model_bakery import baker

from knowledge.memory import (
    extract_memories,
    soul_prompt_memory_block,
    user_memory_describe,
    user_memory_forget_matching,
    user_memory_learn_from_message,
    user_memory_recall,
    user_memory_remember,
)
from knowledge.models import UserMemory
from knowledge.services import user_memory_forget
from knowledge.tests.embedding_fakes import FAKE_MODEL, fake_embeddings, fake_vector  # noqa: F401 (autouse fixture)


@pytest.mark.django_db
def test_forgetting_a_memory_really_deletes_the_row():
    memory = baker.make(UserMemory, content="allergic to peanuts", kind="allergy")
    user_memory_forget(user=memory.user, memory=memory)
    assert not UserMemory.objects.filter(pk=memory.pk).exists()


@pytest.mark.django_db
def test_a_user_cannot_forget_someone_elses_memory():
    memory = baker.make(UserMemory, content="likes sunsets")
    with pytest.raises(PermissionDenied):
        user_memory_forget(user=baker.make("agnt.User"), memory=memory)
    assert UserMemory.objects.filter(pk=memory.pk).exists()


@pytest.mark.django_db
def test_the_database_keeps_importance_between_zero_and_one_and_kind_known():
    memory = baker.make(UserMemory, content="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserMemory.objects.filter(pk=memory.pk).update(importance=1.5)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserMemory.objects.filter(pk=memory.pk).update(kind="rumour")


@pytest.mark.django_db
def test_recall_skips_archived_memories_and_other_users():
    user = baker.make("agnt.User")
    vector = [1.0] + [0.0] * 383
    live = baker.make(UserMemory, user=user, content="loves natural wine", embedding=vector)
    baker.make(UserMemory, user=user, content="old", embedding=vector, archived_at="2025-01-01T00:00:00Z")
    baker.make(UserMemory, content="someone else", embedding=vector)
    assert [m.pk for m in user_memory_recall(user=user)] == [live.pk]


# --- knowledge.memory: extraction, remember, recall, forget, prompt ---------------------


@pytest.fixture
def user(db):
    return baker.make("agnt.User")


@pytest.mark.parametrize(
    ("text", "kind", "content"),
    [
        ("I'm allergic to peanuts", "allergy", "Allergic to peanuts"),
        ("Just so you know, I am severely allergic to shellfish.", "allergy", "Allergic to shellfish"),
        ("My son is allergic to eggs and sesame", "allergy", "Allergic to sesame"),
        ("I have a severe nut allergy", "allergy", "Allergic to nuts"),
        ("Can you remember that I'm allergic to shrimp?", "allergy", "Allergic to shrimp"),
        ("no shellfish please", "allergy", "Avoids shellfish"),
        ("I don't eat pork", "allergy", "Avoids pork"),
        ("I'm vegan", "allergy", "Vegan"),
        ("We're vegetarian, what do you recommend?", "allergy", "Vegetarian"),
        ("I'm gluten-free", "allergy", "Gluten-free"),
        ("I am lactose intolerant", "allergy", "Lactose intolerant"),
        ("we love Berawa", "area", "Likes Berawa (Canggu)"),
        ("We love Batu Belig, do you know a good café there?", "area", "Likes Batu Belig (Seminyak)"),
        ("We're staying in Ubud this week", "area", "Staying in Ubud"),
        ("Our favourite area is Pererenan", "area", "Favourite area: Pererenan (Canggu)"),
        ("usually 4 of us", "party_size", "Usually books for 4"),
        ("table for two please", "party_size", "Usually books for 2"),
        ("we're a family of 5", "party_size", "Usually books for 5"),
        ("We usually book for 6", "party_size", "Usually books for 6"),
        ("something mid-range", "budget", "Budget: mid-range"),
        ("under 300k per person", "budget", "Budget: under IDR 300k per person"),
        ("Around 300.000 IDR a head is perfect", "budget", "Budget: around IDR 300k per person"),
        ("cheap eats are our thing", "budget", "Budget: cheap eats, budget-friendly"),
        ("It's our anniversary, we want to splurge", "budget", "Budget: happy to splurge"),
        ("I love natural wine", "preference", "Loves natural wine"),
        ("I prefer sunset views", "preference", "Prefers sunset views"),
        ("quiet places", "preference", "Prefers quiet places"),
        ("I don't like loud music", "preference", "Dislikes loud music"),
    ],
)
def test_the_extractor_finds_what_a_statement_says_about_its_author(text, kind, content):
    found = {(c.kind, c.content) for c in extract_memories(text)}
    assert (kind, content) in found
    assert all(0 < c.confidence <= 1 for c in extract_memories(text))


@pytest.mark.parametrize(
    "text",
    [
        "is there a vegan menu?",
        "Is there a vegan menu",
        "Do you have gluten free pasta?",
        "Any vegan options?",
        "vegan menu?",
        "What's good for vegetarians?",
        "Where do vegans eat in Ubud?",
        "Is Berawa nice?",
        "Are there cheap eats in Canggu?",
        "Can we get a table for two tonight?",
        "I'm not vegan",
        "I'm not allergic to anything",
        "I would like a table",
        "I'd love a table in Berawa",
        "I love it!",
        "It takes under 30 minutes",
        "",
    ],
)
def test_the_extractor_learns_nothing_from_questions_and_non_statements(text):
    assert extract_memories(text) == []


def test_a_list_of_allergens_becomes_one_memory_each():
    contents = {c.content for c in extract_memories("I'm allergic to peanuts and shellfish.")}
    assert contents == {"Allergic to peanuts", "Allergic to shellfish"}


@pytest.mark.parametrize("sign_off", ["thanks a lot", "thank you", "cheers", "ok"])
def test_a_sign_off_after_a_list_of_allergens_is_not_an_allergen(sign_off):
    contents = {c.content for c in extract_memories(f"I'm allergic to shellfish, {sign_off}")}
    assert contents == {"Allergic to shellfish"}


def test_remembering_stores_content_with_its_embedding(user):
    memory, created = user_memory_remember(user=user, kind="allergy", content="  Allergic to   peanuts ")
    assert created
    memory.refresh_from_db()
    assert memory.content == "Allergic to peanuts"
    assert memory.embedding_model == FAKE_MODEL
    assert np.allclose(memory.embedding, fake_vector("Allergic to peanuts"), atol=1e-6)


def test_remembering_the_same_text_reinforces_instead_of_inserting(user):
    first, _ = user_memory_remember(
        user=user, kind="preference", content="Loves natural wine", confidence=0.6, importance=0.4
    )
    again, created = user_memory_remember(
        user=user, kind="preference", content="loves natural wine!", confidence=0.9, importance=0.3
    )
    assert not created and again.pk == first.pk
    first.refresh_from_db()
    assert (first.confidence, first.importance) == (0.9, 0.4)
    assert UserMemory.objects.filter(user=user).count() == 1


def test_remembering_a_near_duplicate_by_embedding_reinforces_it(user):
    user_memory_remember(user=user, kind="preference", content="Prefers quiet places with sea views and good cocktails")
    _, created = user_memory_remember(
        user=user,
        kind="preference",
        content="Prefers quiet places with sea views and good cocktails too",
        confidence=0.95,
    )
    assert not created
    assert list(UserMemory.objects.filter(user=user).values_list("confidence", flat=True)) == [0.95]


def test_different_allergies_are_never_merged_even_when_they_embed_alike(user, monkeypatch):
    same = np.zeros((1, 384), dtype=np.float32)
    same[0, 0] = 1.0
    monkeypatch.setattr("knowledge.embeddings.embed_texts", lambda texts, **kw: np.repeat(same, len(texts), axis=0))
    user_memory_remember(user=user, kind="allergy", content="Allergic to peanuts")
    _, created = user_memory_remember(user=user, kind="allergy", content="Allergic to tree nuts")
    assert created
    # …while two preferences with identical vectors are one memory
    user_memory_remember(user=user, kind="preference", content="Likes jazz")
    _, created = user_memory_remember(user=user, kind="preference", content="Enjoys live jazz nights")
    assert not created
    assert UserMemory.objects.filter(user=user).count() == 3


def test_a_new_usual_party_size_replaces_the_old_one_even_when_they_embed_alike(user, monkeypatch):
    same = np.zeros((1, 384), dtype=np.float32)
    same[0, 0] = 1.0
    monkeypatch.setattr("knowledge.embeddings.embed_texts", lambda texts, **kw: np.repeat(same, len(texts), axis=0))
    user_memory_remember(user=user, kind="party_size", content="Usually books for 2", confidence=0.9)
    memory, created = user_memory_remember(user=user, kind="party_size", content="Usually books for 4", confidence=0.9)
    assert not created
    assert list(UserMemory.objects.filter(user=user).values_list("content", flat=True)) == ["Usually books for 4"]
    # a weaker one-off hint ("table for two") does not overwrite a confident usual size
    user_memory_remember(user=user, kind="party_size", content="Usually books for 2", confidence=0.5)
    memory.refresh_from_db()
    assert memory.content == "Usually books for 4"


def test_a_provider_outage_still_keeps_the_memory(user, monkeypatch):
    def broken(texts, **kw):
        raise RuntimeError("provider down")

    monkeypatch.setattr("knowledge.embeddings.embed_texts", broken)
    memory, created = user_memory_remember(user=user, kind="allergy", content="Allergic to peanuts")
    memory.refresh_from_db()
    assert created and memory.embedding is None and memory.embedding_model == ""


def test_learning_from_a_message_remembers_each_fact_with_its_interaction(user):
    interaction_id = "0190a5b0-0000-7000-8000-000000000001"
    memories = user_memory_learn_from_message(
        user=user,
        text="Hi! I'm allergic to peanuts. We love Berawa, usually 4 of us. Is Lumbung open?",
        interaction_id=interaction_id,
    )
    stored = {(m.kind, m.content) for m in UserMemory.objects.filter(user=user)}
    assert stored == {
        ("allergy", "Allergic to peanuts"),
        ("area", "Likes Berawa (Canggu)"),
        ("party_size", "Usually books for 4"),
    }
    assert len(memories) == 3
    assert {str(m.source_interaction_id) for m in memories} == {interaction_id}
    allergy = UserMemory.objects.get(user=user, kind="allergy")
    assert allergy.importance == pytest.approx(0.9)
    # the same message again adds nothing
    user_memory_learn_from_message(user=user, text="I'm allergic to peanuts")
    assert UserMemory.objects.filter(user=user).count() == 3


def test_recall_with_a_query_puts_the_relevant_memory_first_and_marks_only_what_it_returned(
    user, django_assert_num_queries
):
    wine, _ = user_memory_remember(user=user, kind="preference", content="Loves natural wine", importance=0.3)
    quiet, _ = user_memory_remember(user=user, kind="preference", content="Prefers quiet places", importance=0.9)
    with django_assert_num_queries(2):  # one read, one UPDATE for every recalled memory
        recalled = user_memory_recall(user=user, query="natural wine bar tonight", limit=1)
    assert [m.pk for m in recalled] == [wine.pk]
    wine.refresh_from_db()
    quiet.refresh_from_db()
    assert wine.recall_count == 1 and wine.last_recalled_at is not None
    assert wine.importance == pytest.approx(0.32)
    assert quiet.recall_count == 0 and quiet.last_recalled_at is None


def test_recall_without_a_query_orders_by_importance_and_skips_archived(user):
    low = baker.make(UserMemory, user=user, content="Likes jazz", importance=0.2)
    high = baker.make(UserMemory, user=user, content="Allergic to peanuts", kind="allergy", importance=0.9)
    baker.make(UserMemory, user=user, content="faded", importance=1.0, archived_at=timezone.now())
    assert [m.pk for m in user_memory_recall(user=user)] == [high.pk, low.pk]
    assert UserMemory.objects.get(pk=low.pk).recall_count == 1


def test_forgetting_a_phrase_really_deletes_only_the_matching_rows(user):
    peanuts, _ = user_memory_remember(user=user, kind="allergy", content="Allergic to peanuts")
    user_memory_remember(user=user, kind="area", content="Likes Berawa (Canggu)")
    other_user_peanuts = baker.make(UserMemory, content="Allergic to peanuts", kind="allergy")
    assert user_memory_forget_matching(user=user, text="Please forget that I'm allergic to peanuts") == 1
    assert not UserMemory.objects.filter(pk=peanuts.pk).exists()
    assert UserMemory.objects.filter(user=user).count() == 1
    assert UserMemory.objects.filter(pk=other_user_peanuts.pk).exists()
    assert user_memory_forget_matching(user=user, text="forget sushi") == 0
    assert user_memory_forget_matching(user=user, text="forget about Berawa") == 1
    assert not UserMemory.objects.filter(user=user).exists()


def test_forgetting_my_allergy_finds_the_allergic_to_memory(user):
    user_memory_remember(user=user, kind="allergy", content="Allergic to peanuts")
    user_memory_remember(user=user, kind="allergy", content="Allergic to shellfish")
    assert user_memory_forget_matching(user=user, text="forget my peanut allergy") == 1
    assert list(UserMemory.objects.filter(user=user).values_list("content", flat=True)) == ["Allergic to shellfish"]


def test_forget_everything_deletes_all_of_the_users_memories_archived_ones_too(user):
    baker.make(UserMemory, user=user, content="Likes jazz", _quantity=3)
    baker.make(UserMemory, user=user, content="old", archived_at=timezone.now())
    kept = baker.make(UserMemory, content="someone else's")
    assert user_memory_forget_matching(user=user, text="Forget everything about me") == 4
    assert not UserMemory.objects.filter(user=user).exists()
    assert UserMemory.objects.filter(pk=kept.pk).exists()


def test_describe_lists_what_is_remembered_grouped_by_kind(user):
    assert user_memory_describe(user=user) == "I don't remember anything about you yet."
    user_memory_remember(user=user, kind="allergy", content="Allergic to peanuts")
    user_memory_remember(user=user, kind="area", content="Likes Berawa (Canggu)")
    baker.make(UserMemory, user=user, kind="preference", content="Likes karaoke", archived_at=timezone.now())
    text = user_memory_describe(user=user)
    assert "Allergies & diet:\n- Allergic to peanuts" in text
    assert "Places you like:\n- Likes Berawa (Canggu)" in text
    assert "still stored until you ask me to forget them):\n- Likes karaoke" in text
    assert "forget everything" in text


def test_the_prompt_block_always_includes_allergies_even_past_the_limit(user):
    user_memory_remember(user=user, kind="allergy", content="Allergic to peanuts", importance=0.1)
    for i in range(5):
        user_memory_remember(
            user=user, kind="preference", content=f"Likes cocktail bar number {i} wine", importance=0.9
        )
    block = soul_prompt_memory_block(user=user, query="a wine bar with cocktails", limit=3)
    lines = block.splitlines()
    assert lines[0].startswith("What you remember about this user")
    assert "- Allergy / dietary: Allergic to peanuts" in lines
    assert len(lines) == 1 + 3
    assert UserMemory.objects.get(user=user, kind="allergy").recall_count == 1


def test_the_prompt_block_is_empty_for_a_user_we_know_nothing_about(user):
    assert soul_prompt_memory_block(user=user, query="dinner") == ""
