"""POST /webhooks/telegram: secret check, parsing, dedupe on update_id, size/JSON errors."""

import io
import json

import pytest

from messaging.models import Interaction, UserChannel

URL = "/webhooks/telegram"
SECRET = "tg-secret-123"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET


def post(client, payload, *, secret=SECRET, raw=None, **extra):
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
    body = raw if raw is not None else json.dumps(payload)
    return client.post(URL, data=body, content_type="application/json", **headers, **extra)


def text_update(update_id=10001, text="find me a beach club in Canggu", chat_id=55501):
    return {
        "update_id": update_id,
        "message": {
            "message_id": 7,
            "from": {
                "id": chat_id,
                "is_bot": False,
                "first_name": "Kadek",
                "last_name": "Ayu",
                "username": "kadek",
                "language_code": "en",
            },
            "chat": {"id": chat_id, "first_name": "Kadek", "username": "kadek", "type": "private"},
            "date": 1763793000,
            "text": text,
        },
    }


@pytest.mark.django_db
def test_a_text_message_is_stored_and_processing_is_enqueued_once(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, text_update())
    assert response.status_code == 200
    interaction = Interaction.objects.get()
    assert (interaction.platform, interaction.direction, interaction.kind) == ("telegram", "inbound", "text")
    assert interaction.provider_message_id == "10001" and interaction.text == "find me a beach club in Canggu"
    channel = UserChannel.objects.get()
    assert (channel.external_id, channel.username, channel.display_name, channel.language_code) == (
        "55501",
        "kadek",
        "Kadek Ayu",
        "en",
    )
    assert interaction.channel == channel and interaction.user == channel.user
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_a_retried_identical_post_stores_one_interaction_and_does_not_enqueue_again(
    client, django_capture_on_commit_callbacks
):
    post(client, text_update())
    with django_capture_on_commit_callbacks() as callbacks:
        again = post(client, text_update())
    assert again.status_code == 200
    assert Interaction.objects.count() == 1
    assert callbacks == []


@pytest.mark.django_db
@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
def test_a_missing_or_wrong_secret_is_refused_and_nothing_is_stored(client, secret):
    response = post(client, text_update(), secret=secret)
    assert response.status_code == 403
    assert not Interaction.objects.exists() and not UserChannel.objects.exists()


@pytest.mark.django_db
def test_an_unset_secret_fails_closed_with_a_log_line(client, settings, caplog):
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    response = post(client, text_update(), secret="")
    assert response.status_code == 403
    assert "TELEGRAM_WEBHOOK_SECRET is not set" in caplog.text
    assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_malformed_json_is_a_400(client):
    assert post(client, None, raw="{not json").status_code == 400
    assert post(client, None, raw=b"\xff\xfe\x00garbage").status_code == 400
    assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_a_body_over_the_limit_is_a_413_before_anything_is_parsed(client, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1000
    big = text_update(text="x" * 2000)
    assert post(client, big).status_code == 413
    assert not Interaction.objects.exists()
    assert post(client, text_update(text="small")).status_code == 200


@pytest.mark.django_db
def test_a_lying_content_length_is_caught_after_reading(rf, settings):
    from messaging.webhooks import telegram_webhook

    settings.WEBHOOK_MAX_BODY_BYTES = 1000
    request = rf.post(
        URL,
        data=json.dumps(text_update(text="y" * 3000)),
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
    )
    # no Content-Length to go by (e.g. a chunked upload): the limit holds on what is read
    request.META.pop("CONTENT_LENGTH")
    request._stream = io.BytesIO(request._stream.read())
    assert telegram_webhook(request).status_code == 413


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {},
        [],
        "just a string",
        42,
        {"update_id": "x"},
        {"update_id": 5, "message": "not a dict"},
        {"update_id": 6, "message": {"chat": {"id": None}, "text": "hi"}},
        {"update_id": 7, "message": {"chat": {"id": 1, "type": "private"}, "text": ["list"]}},
        {"update_id": 8, "message": {"chat": {"id": 1, "type": "private"}, "photo": "nope"}},
        {"update_id": 9, "message": {"chat": {"id": 1, "type": "private"}, "photo": [{"width": "big"}]}},
        {"update_id": 10, "edited_message": text_update()["message"]},
        {"update_id": 11, "my_chat_member": {"chat": {"id": 1}}},
        {"update_id": 12, "message": {"chat": {"id": -100200, "type": "group"}, "text": "hello group"}},
        {"update_id": 13, "message": {"chat": {"id": 1, "type": "private"}, "sticker": {"file_id": "s"}}},
        {"update_id": 14, "callback_query": {"id": "c", "from": {"id": 1}, "data": None}},
        {"update_id": True, "message": {"chat": {"id": 1, "type": "private"}, "text": "bool id"}},
        {"update_id": 15, "message": {"chat": {"id": {"nested": 1}, "type": "private"}, "text": "x"}},
    ],
)
def test_unexpected_shapes_are_answered_200_and_ignored(client, payload):
    response = post(client, payload)
    assert response.status_code == 200
    assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_a_photo_keeps_the_largest_size_and_the_caption(client):
    update = text_update(update_id=20002)
    del update["message"]["text"]
    update["message"]["caption"] = "what is this dish?"
    update["message"]["photo"] = [
        {"file_id": "small", "file_unique_id": "a", "width": 90, "height": 67, "file_size": 1200},
        {"file_id": "large", "file_unique_id": "c", "width": 1280, "height": 960, "file_size": 98000},
        {"file_id": "medium", "file_unique_id": "b", "width": 320, "height": 240, "file_size": 14000},
    ]
    assert post(client, update).status_code == 200
    interaction = Interaction.objects.get()
    assert interaction.kind == "image" and interaction.text == "what is this dish?"
    assert "large" in json.dumps(interaction.payload)

    from messaging.parsing import parse_telegram

    message = parse_telegram(update)
    assert [m.provider_id for m in message.media] == ["large"] and message.media[0].caption == "what is this dish?"


@pytest.mark.django_db
def test_start_with_a_referral_code_is_a_command_carrying_the_code(client):
    assert post(client, text_update(update_id=30003, text="/start REF42abc")).status_code == 200
    interaction = Interaction.objects.get()
    assert interaction.kind == "command" and interaction.text == "/start REF42abc"
    assert UserChannel.objects.get().referral_code_used == "REF42abc"


def test_start_with_a_junk_argument_carries_no_referral_code():
    from messaging.parsing import parse_telegram

    message = parse_telegram(text_update(text="/start <script>alert(1)</script>"))
    assert message.kind == "command" and message.referral_code == ""


@pytest.mark.django_db
def test_an_inline_button_press_is_an_interactive_reply(client):
    update = {
        "update_id": 40004,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": {"id": 55501, "first_name": "Kadek", "username": "kadek"},
            "message": {
                "message_id": 9,
                "chat": {"id": 55501, "type": "private"},
                "date": 1763793000,
                "text": "Book it?",
            },
            "chat_instance": "-1",
            "data": "YES",
        },
    }
    assert post(client, update).status_code == 200
    interaction = Interaction.objects.get()
    assert interaction.kind == "interactive" and interaction.text == "YES"


@pytest.mark.django_db
def test_get_is_not_allowed_and_is_not_a_500(client):
    assert client.get(URL).status_code == 405
