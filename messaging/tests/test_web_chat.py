"""The first-party web channel: /api/chat (JWT), the staff demo page, and manage.py chat."""

from io import StringIO

import pytest
from django.core.management import call_command

from messaging.models import Interaction, UserChannel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _offline(settings):
    settings.LLM_PROVIDER = "offline"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="nadia", password="pw-nadia-123!", display_name="Nadia")


@pytest.fixture
def api(client, user):
    response = client.post(
        "/api/auth/token", {"username": "nadia", "password": "pw-nadia-123!"}, content_type="application/json"
    )
    access = response.json()["access"]
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {access}"
    return client


def test_posting_a_message_returns_the_concierges_reply(api, user):
    response = api.post("/api/chat", {"message": "/help", "client_message_id": "m-1"}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["duplicate"] is False and body["message"]["text"] == "/help"
    assert len(body["replies"]) == 1 and "what I can do" in body["replies"][0]["text"]
    assert UserChannel.objects.get(user=user, platform="web").external_id == str(user.pk)


def test_a_retried_post_with_the_same_client_id_is_answered_once(api, user):
    first = api.post(
        "/api/chat", {"message": "/help", "client_message_id": "same"}, content_type="application/json"
    ).json()
    second = api.post(
        "/api/chat", {"message": "/help", "client_message_id": "same"}, content_type="application/json"
    ).json()
    assert second["duplicate"] is True and second["replies"] == first["replies"]
    assert Interaction.objects.filter(user=user, direction="inbound").count() == 1


def test_the_conversation_can_be_listed_oldest_first(api):
    api.post("/api/chat", {"message": "/help"}, content_type="application/json")
    messages = api.get("/api/chat").json()
    assert [m["direction"] for m in messages] == ["inbound", "outbound"]


def test_chat_needs_a_bearer_token(client):
    assert client.post("/api/chat", {"message": "hi"}, content_type="application/json").status_code == 401


@pytest.mark.parametrize("body", [{}, {"message": ""}, {"message": "x" * 4001}])
def test_an_empty_or_oversized_message_is_a_400_naming_the_field(api, body):
    response = api.post("/api/chat", body, content_type="application/json")
    assert response.status_code == 400 and "message" in response.json()


def test_malformed_json_is_a_400(api):
    response = api.post("/api/chat", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_the_demo_page_is_for_staff_only(staff_client, django_user_model):
    from django.test import Client

    assert Client().get("/chat/").status_code == 302  # to the admin login
    consumer = Client()
    consumer.force_login(django_user_model.objects.create_user(username="ana", password="pw-ana-12345!"))
    assert consumer.get("/chat/").status_code == 302
    page = staff_client.get("/chat/")
    assert page.status_code == 200 and b"/api/chat" in page.content


def test_the_demo_page_posts_through_the_admin_session_with_csrf(staff_user):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_user)
    browser.get("/chat/")
    token = browser.cookies["csrftoken"].value
    refused = browser.post("/api/chat", {"message": "/help"}, content_type="application/json")
    answered = browser.post("/api/chat", {"message": "/help"}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert refused.status_code == 403 and answered.status_code == 200


def test_manage_py_chat_answers_through_the_same_pipeline(django_user_model):
    out = StringIO()
    call_command("chat", "-m", "/help", "--tools", stdout=out)
    assert "agnt › Here is what I can do" in out.getvalue()
    terminal = django_user_model.objects.get(username="terminal")
    assert Interaction.objects.filter(user=terminal, platform="web", direction="outbound").count() == 1


def test_manage_py_chat_refuses_an_unknown_user():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no user called 'ghost'"):
        call_command("chat", "--user", "ghost", "-m", "hi")
