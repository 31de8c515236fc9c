"""The consumer API for knowledge: cited search, and what is remembered / forgetting it."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from model_bakery import baker
from rest_framework.test import APIClient

from knowledge.models import UserMemory, VenueChunk
from knowledge.services import knowledge_source_create
from knowledge.tests.embedding_fakes import fake_embeddings  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.django_db
PASSWORD = "pw-knowledge-1!"


def _client_for(user) -> APIClient:
    api = APIClient()
    tokens = api.post(reverse("api-token"), {"username": user.username, "password": PASSWORD}, format="json").json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return api


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="komang", password=PASSWORD)


@pytest.fixture
def api(user):
    return _client_for(user)


@pytest.fixture
def menus(db):
    canggu = baker.make("venues.City", slug="canggu", name="Canggu")
    ubud = baker.make("venues.City", slug="ubud", name="Ubud")
    brisa = baker.make(
        "venues.Venue", city=canggu, slug="la-brisa", name="La Brisa", category="restaurant", max_party_size=10
    )
    bodhi = baker.make(
        "venues.Venue", city=ubud, slug="bodhi", name="Bodhi Leaf", category="restaurant", max_party_size=10
    )
    for venue, heading, content in (
        (brisa, "Desserts", "Tiramisu and coconut panna cotta"),
        (brisa, "Kids", "A kids menu with small pasta plates"),
        (bodhi, "Desserts", "Raw cacao tiramisu, fully vegan"),
    ):
        source = knowledge_source_create(venue=venue, kind="text", title=f"{venue.name} menu", text=content)
        VenueChunk.objects.create(
            venue=venue,
            source=source,
            ordinal=VenueChunk.objects.filter(source=source).count(),
            heading=heading,
            content=content,
        )
    return {"brisa": brisa, "bodhi": bodhi}


def test_search_answers_with_cited_passages_filtered_by_city(api, menus):
    response = api.get(reverse("api-knowledge-search"), {"q": "tiramisu", "city": "ubud"})
    assert response.status_code == 200
    [passage] = response.json()
    assert passage["venue_slug"] == "bodhi" and "vegan" in passage["text"]
    assert passage["citation"] == {
        "venue": "Bodhi Leaf",
        "source": "Bodhi Leaf menu",
        "kind": "text",
        "url": None,
        "section": "Desserts",
        "page": None,
    }


def test_search_by_venue_slug_or_id(api, menus):
    by_slug = api.get(reverse("api-knowledge-search"), {"q": "tiramisu", "venue": "la-brisa"}).json()
    by_id = api.get(reverse("api-knowledge-search"), {"q": "tiramisu", "venue": str(menus["brisa"].pk)}).json()
    assert [p["venue_slug"] for p in by_slug] == ["la-brisa"] and by_slug == by_id


@pytest.mark.parametrize(
    "params, code, field",
    [
        ({}, 400, "q"),
        ({"q": "x"}, 400, "q"),
        ({"q": "tiramisu", "limit": "500"}, 400, "limit"),
        ({"q": "tiramisu", "category": "casino"}, 400, "category"),
        ({"q": "tiramisu", "city": "atlantis"}, 400, "city"),
        ({"q": "tiramisu", "venue": "no-such-venue"}, 404, "venue"),
        ({"q": "tiramisu", "venue": str(uuid.uuid4())}, 404, "venue"),
    ],
)
def test_bad_search_input_gets_a_clear_error(api, menus, params, code, field):
    response = api.get(reverse("api-knowledge-search"), params)
    assert response.status_code == code and field in response.json()


def test_the_api_needs_a_token(menus):
    assert APIClient().get(reverse("api-knowledge-search"), {"q": "tiramisu"}).status_code == 401
    assert APIClient().get(reverse("api-memories")).status_code == 401


def test_a_user_sees_their_memories_only_faded_ones_marked(api, user):
    from django.utils import timezone

    baker.make(UserMemory, user=user, kind="allergy", content="Allergic to peanuts", importance=0.9)
    baker.make(
        UserMemory, user=user, kind="preference", content="Likes jazz", importance=0.1, archived_at=timezone.now()
    )
    baker.make(UserMemory, content="someone else's secret")
    body = api.get(reverse("api-memories")).json()["results"]
    assert [(m["content"], m["faded"]) for m in body] == [("Allergic to peanuts", False), ("Likes jazz", True)]


def test_forgetting_one_memory_deletes_it_and_someone_elses_is_not_found(api, user):
    mine = baker.make(UserMemory, user=user, content="Allergic to peanuts")
    theirs = baker.make(UserMemory, content="Vegan")
    assert api.delete(reverse("api-memory", args=[mine.pk])).status_code == 204
    assert not UserMemory.objects.filter(pk=mine.pk).exists()
    assert api.delete(reverse("api-memory", args=[theirs.pk])).status_code == 404
    assert api.delete(reverse("api-memory", args=[mine.pk])).status_code == 404  # already gone
    assert UserMemory.objects.filter(pk=theirs.pk).exists()


def test_forgetting_everything_deletes_every_row_of_that_user_only(api, user):
    baker.make(UserMemory, user=user, _quantity=3)
    other = baker.make(UserMemory)
    response = api.delete(reverse("api-memories"))
    assert response.json() == {"deleted": 3}
    assert not UserMemory.objects.filter(user=user).exists() and UserMemory.objects.filter(pk=other.pk).exists()


def test_the_schema_documents_the_knowledge_routes(client):
    schema = client.get(reverse("api-schema")).content.decode()
    assert "/api/knowledge/search" in schema and "/api/memories/{id}" in schema
