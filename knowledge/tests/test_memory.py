import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from model_bakery import baker

from knowledge.models import UserMemory
from knowledge.selectors import user_memories_nearest
from knowledge.services import user_memory_forget


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
    assert [m.pk for m in user_memories_nearest(user=user, embedding=vector)] == [live.pk]
