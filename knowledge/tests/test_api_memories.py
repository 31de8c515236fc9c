"""/api/memories: list, add and really delete what the concierge remembers about me."""

import pytest
from django.urls import reverse
from model_bakery import baker

from agnt.tests.api import bearer_client
from knowledge.models import UserMemory
from knowledge.tests.embedding_fakes import fake_embeddings  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def me():
    return baker.make("agnt.User")


def test_a_user_adds_a_preference_and_sees_it_listed(me):
    api = bearer_client(me)

    created = api.post(reverse("api-memories"), {"kind": "allergy", "content": "  allergic to peanuts "}, format="json")
    repeated = api.post(reverse("api-memories"), {"kind": "allergy", "content": "allergic to peanuts"}, format="json")

    assert created.status_code == 201 and created.json()["content"] == "allergic to peanuts"
    assert repeated.status_code == 200 and repeated.json()["id"] == created.json()["id"]
    listed = api.get(reverse("api-memories"), {"kind": "allergy"}).json()
    assert listed["count"] == 1 and listed["results"][0]["kind"] == "allergy"
    assert api.get(reverse("api-memories"), {"kind": "budget"}).json()["count"] == 0


def test_another_users_memories_are_invisible_and_undeletable(me):
    theirs = baker.make(
        UserMemory, user=baker.make("agnt.User"), kind="preference", content="likes jazz", embedding=None
    )
    baker.make(UserMemory, user=me, kind="preference", content="likes sushi", embedding=None)
    api = bearer_client(me)

    assert [row["content"] for row in api.get(reverse("api-memories")).json()["results"]] == ["likes sushi"]
    assert api.delete(reverse("api-memory", kwargs={"pk": theirs.pk})).status_code == 404
    assert UserMemory.objects.filter(pk=theirs.pk).exists()


def test_deleting_a_memory_really_deletes_the_row(me):
    memory = baker.make(UserMemory, user=me, kind="fact", content="lives in Ubud", embedding=None)

    assert bearer_client(me).delete(reverse("api-memory", kwargs={"pk": memory.pk})).status_code == 204
    assert not UserMemory.objects.filter(pk=memory.pk).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"kind": "zodiac", "content": "leo"}, "kind"), ({"kind": "fact"}, "content"), ({"content": "   "}, "content")],
)
def test_invalid_memories_are_refused_naming_the_field(me, payload, field):
    response = bearer_client(me).post(reverse("api-memories"), payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not UserMemory.objects.filter(user=me).exists()


def test_an_unknown_kind_filter_is_a_400_naming_kind(me):
    response = bearer_client(me).get(reverse("api-memories"), {"kind": "zodiac"})
    assert response.status_code == 400 and "kind" in response.json()
