"""GET/PATCH /api/me: the profile, changed only in the fields a user owns."""

import pytest
from django.urls import reverse
from model_bakery import baker

from agnt.tests.api import bearer_client
from venues.tests.factories import make_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return baker.make("agnt.User", username="made", display_name="Made", credits=0)


def test_a_user_changes_their_profile(user):
    city = make_city(slug="ubud", name="Ubud")
    api = bearer_client(user)

    response = api.patch(
        reverse("api-me"),
        {
            "display_name": "Made W.",
            "language": "id",
            "city": "ubud",
            "timezone": "Asia/Jakarta",
            "marketing_opt_in": True,
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["display_name"] == "Made W." and body["city"] == "ubud" and body["language"] == "id"
    user.refresh_from_db()
    assert user.city == city and user.timezone == "Asia/Jakarta" and user.marketing_opt_in


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"language": "xx"}, "language"),
        ({"city": "atlantis"}, "city"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"credits": 1_000_000}, "credits"),
        ({"plan": "pro"}, "plan"),
        ({"display_name": "x" * 121}, "display_name"),
    ],
)
def test_bad_or_forbidden_changes_are_refused_naming_the_field(user, payload, field):
    response = bearer_client(user).patch(reverse("api-me"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    user.refresh_from_db()
    assert user.credits == 0 and user.plan == "free" and user.language == "en"
