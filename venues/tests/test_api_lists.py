"""/api/lists: my venue lists — create, read, change, delete, and the venues on them."""

import pytest
from django.urls import reverse
from model_bakery import baker

from agnt.tests.api import bearer_client
from venues.models import UserList, UserListItem
from venues.services import user_list_add_venue, user_list_create
from venues.tests.factories import make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def me():
    return baker.make("agnt.User")


def test_a_user_builds_a_list_of_venues(me):
    brisa, lacalita = make_venue(slug="la-brisa", name="La Brisa"), make_venue(slug="la-calita", name="La Calita")
    api = bearer_client(me)

    created = api.post(reverse("api-lists"), {"name": "Sunset spots", "is_public": True}, format="json")
    assert created.status_code == 201, created.json()
    list_id = created.json()["id"]
    assert created.json()["slug"] == "sunset-spots"
    api.post(
        reverse("api-list-venues", kwargs={"pk": list_id}), {"venue": "la-brisa", "note": "go at 17:30"}, format="json"
    )
    added = api.post(reverse("api-list-venues", kwargs={"pk": list_id}), {"venue": "la-calita"}, format="json")

    assert added.status_code == 201
    items = added.json()["items"]
    assert [(item["venue"], item["note"], item["position"]) for item in items] == [
        ("la-brisa", "go at 17:30", 0),
        ("la-calita", "", 1),
    ]
    assert api.get(reverse("api-lists")).json()[0]["venue_count"] == 2

    removed = api.delete(reverse("api-list-venue", kwargs={"pk": list_id, "venue_slug": "la-brisa"}))
    assert removed.status_code == 204
    assert list(UserListItem.objects.filter(user_list_id=list_id).values_list("venue__slug", flat=True)) == [
        "la-calita"
    ]
    assert api.delete(reverse("api-list-venue", kwargs={"pk": list_id, "venue_slug": "la-brisa"})).status_code == 404
    del brisa, lacalita


def test_a_user_renames_and_deletes_a_list(me):
    user_list = user_list_create(user=me, name="Try")
    api = bearer_client(me)

    renamed = api.patch(reverse("api-list", kwargs={"pk": user_list.pk}), {"name": "Must try"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Must try"
    assert renamed.json()["slug"] == "try"  # shared links keep working

    assert api.delete(reverse("api-list", kwargs={"pk": user_list.pk})).status_code == 204
    assert not UserList.objects.filter(pk=user_list.pk).exists()


def test_another_users_list_is_not_found_for_any_verb(me):
    venue = make_venue(slug="la-brisa")
    theirs = user_list_create(user=baker.make("agnt.User"), name="Secret")
    user_list_add_venue(user_list=theirs, venue=venue)
    api = bearer_client(me)

    assert api.get(reverse("api-list", kwargs={"pk": theirs.pk})).status_code == 404
    assert api.patch(reverse("api-list", kwargs={"pk": theirs.pk}), {"name": "Mine"}, format="json").status_code == 404
    assert api.delete(reverse("api-list", kwargs={"pk": theirs.pk})).status_code == 404
    assert (
        api.post(reverse("api-list-venues", kwargs={"pk": theirs.pk}), {"venue": "la-brisa"}, format="json").status_code
        == 404
    )
    assert api.delete(reverse("api-list-venue", kwargs={"pk": theirs.pk, "venue_slug": "la-brisa"})).status_code == 404
    assert api.get(reverse("api-lists")).json() == []
    theirs.refresh_from_db()
    assert theirs.name == "Secret" and theirs.items.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "Fav", "kind": "everything"}, "kind"),
        ({"name": "   "}, "name"),
    ],
)
def test_invalid_lists_are_refused_naming_the_field(me, payload, field):
    response = bearer_client(me).post(reverse("api-lists"), payload, format="json")
    assert response.status_code == 400 and field in response.json()


def test_a_second_wishlist_is_refused_naming_kind(me):
    api = bearer_client(me)
    assert api.post(reverse("api-lists"), {"name": "Wishlist", "kind": "wishlist"}, format="json").status_code == 201
    second = api.post(reverse("api-lists"), {"name": "Another", "kind": "wishlist"}, format="json")
    assert second.status_code == 400 and "already have a wishlist" in second.json()["kind"][0]


def test_adding_an_unknown_venue_names_the_venue_field(me):
    user_list = user_list_create(user=me, name="Try")
    response = bearer_client(me).post(
        reverse("api-list-venues", kwargs={"pk": user_list.pk}), {"venue": "nowhere"}, format="json"
    )
    assert response.status_code == 400 and "venue" in response.json()
