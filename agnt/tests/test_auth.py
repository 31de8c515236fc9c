"""JWT bearer auth for the first-party API: issue, refresh, revoke, and no header-borne identity."""

import pytest
from django.urls import reverse
from model_bakery import baker
from rest_framework.test import APIClient

from agnt.models import Session, User

PASSWORD = "correct horse battery staple"


@pytest.fixture
def user(db):
    person = baker.make(User, username="made", display_name="Made")
    person.set_password(PASSWORD)
    person.save()
    return person


@pytest.fixture
def api():
    return APIClient()


def login(api, username="made", password=PASSWORD):
    return api.post(reverse("api-token"), {"username": username, "password": password}, format="json")


def test_it_issues_an_access_and_refresh_pair_anchored_on_a_session(api, user):
    response = login(api)
    assert response.status_code == 201
    body = response.json()
    assert Session.objects.filter(pk=body["session_id"], user=user, revoked_at__isnull=True).exists()
    me = api.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200
    assert me.json()["username"] == "made"


def test_it_rejects_a_wrong_password_without_opening_a_session(api, user):
    assert login(api, password="nope").status_code == 401
    assert not Session.objects.exists()


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_session(api, user):
    first = login(api).json()
    second = api.post(reverse("api-token-refresh"), {"refresh": first["refresh"]}, format="json")
    assert second.status_code == 200
    assert second.json()["refresh"] != first["refresh"]
    replay = api.post(reverse("api-token-refresh"), {"refresh": first["refresh"]}, format="json")
    assert replay.status_code == 401
    session = Session.objects.get(pk=first["session_id"])
    assert session.revoked_reason == "refresh_reuse"
    # the thief's replay also kills the legitimate holder's latest tokens
    assert api.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Bearer {second.json()['access']}").status_code == 401


def test_logout_revokes_the_access_token_at_once(api, user):
    tokens = login(api).json()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access']}"}
    assert api.post(reverse("api-logout"), **auth).status_code == 204
    assert api.get(reverse("api-me"), **auth).status_code == 401
    assert api.post(reverse("api-token-refresh"), {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_an_access_token_cannot_be_used_as_a_refresh_token(api, user):
    tokens = login(api).json()
    assert api.post(reverse("api-token-refresh"), {"refresh": tokens["access"]}, format="json").status_code == 401


def test_a_tampered_token_is_rejected(api, user):
    tokens = login(api).json()
    forged = tokens["access"][:-4] + ("AAAA" if not tokens["access"].endswith("AAAA") else "BBBB")
    assert api.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Bearer {forged}").status_code == 401


def test_identity_comes_from_the_token_never_from_an_x_user_id_header(api, user):
    other = baker.make(User, username="intruder-target")
    # No token: the header alone authenticates nobody.
    assert api.get(reverse("api-me"), HTTP_X_USER_ID=str(other.pk)).status_code == 401
    # With a token: the header cannot switch identity.
    tokens = login(api).json()
    me = api.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Bearer {tokens['access']}", HTTP_X_USER_ID=str(other.pk))
    assert me.status_code == 200
    assert me.json()["id"] == str(user.pk)


def test_staff_can_revoke_a_session_from_the_admin(staff_client, api, user):
    tokens = login(api).json()
    response = staff_client.post(
        reverse("admin:agnt_session_changelist"),
        {"action": "revoke", "_selected_action": [tokens["session_id"]]},
        follow=True,
    )
    assert response.status_code == 200
    assert api.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Bearer {tokens['access']}").status_code == 401
