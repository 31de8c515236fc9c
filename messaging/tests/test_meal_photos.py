"""Meal photos through the Telegram webhook: photo → analysis → the guest confirms → diary.

The photo is downloaded from the fake Telegram API (getFile + /file/…); with Anthropic
configured the vision call goes to the fake Messages API; offline the caption is read
against the nutrition table. Nothing is logged before the guest says yes.
"""

import base64
import datetime as dt
import json

import pytest
import time_machine

from knowledge.models import FoodDiary
from messaging.tests.fake_anthropic import FakeAnthropic, tool_use
from messaging.tests.fakes import fake_telegram  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

SECRET = "tg-secret-meals"
NOW = dt.datetime(2026, 3, 12, 12, 30, tzinfo=dt.UTC)  # 20:30 in Bali
JPEG = b"\xff\xd8\xff\xe0" + b"meal-photo-bytes" * 20


@pytest.fixture(autouse=True)
def _config(settings):
    settings.LLM_PROVIDER = "offline"
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _post(client, update: dict, captured):
    with captured(execute=True):
        response = client.post(
            "/webhooks/telegram",
            data=json.dumps(update),
            content_type="application/json",
            HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
        )
    assert response.status_code == 200


def _sender(chat_id: int = 5150) -> dict:
    return {
        "from": {"id": chat_id, "is_bot": False, "first_name": "Ayu", "language_code": "en"},
        "chat": {"id": chat_id, "first_name": "Ayu", "type": "private"},
    }


def send_photo(client, captured, update_id: int, *, caption: str | None = None, file_id: str = "AgPhoto1"):
    message = {
        "message_id": update_id,
        "date": 1773318600,
        "photo": [
            {"file_id": "AgThumb", "file_unique_id": "t", "width": 90, "height": 90, "file_size": 900},
            {"file_id": file_id, "file_unique_id": "b", "width": 1280, "height": 960, "file_size": len(JPEG)},
        ],
        **_sender(),
    }
    if caption is not None:
        message["caption"] = caption
    _post(client, {"update_id": update_id, "message": message}, captured)


def send_text(client, captured, update_id: int, text: str):
    _post(client, {"update_id": update_id, "message": {"message_id": update_id, "text": text, **_sender()}}, captured)


def test_a_photo_with_a_caption_is_logged_after_the_guest_confirms(
    client, fake_telegram, django_capture_on_commit_callbacks
):
    fake_telegram.files["AgPhoto1"] = (JPEG, "photos/file_1.jpg")
    send_photo(client, django_capture_on_commit_callbacks, 7001, caption="nasi goreng and an iced latte for dinner")

    proposal = fake_telegram.texts()[-1]
    assert "nasi goreng — 640 kcal" in proposal and "iced coffee with milk — 220 kcal" in proposal
    assert "Total: 860 kcal" in proposal and "Log this as dinner?" in proposal
    assert not FoodDiary.objects.exists()  # nothing logged before the guest says yes

    send_text(client, django_capture_on_commit_callbacks, 7002, "yes")

    entry = FoodDiary.objects.get()
    assert entry.calories == 860 and entry.meal_type == "dinner" and entry.eaten_at == NOW
    assert [item["name"] for item in entry.items] == ["nasi goreng", "iced coffee with milk"]
    assert "Logged in your food diary: 860 kcal" in fake_telegram.texts()[-1]

    send_text(client, django_capture_on_commit_callbacks, 7003, "yes")  # a second yes logs nothing more
    assert FoodDiary.objects.count() == 1


def test_the_guest_corrects_the_items_before_they_are_logged(client, fake_telegram, django_capture_on_commit_callbacks):
    send_photo(client, django_capture_on_commit_callbacks, 7101, caption="nasi goreng")
    send_text(client, django_capture_on_commit_callbacks, 7102, "no wait, it was mie goreng and a coconut")

    corrected = fake_telegram.texts()[-1]
    assert corrected.startswith("🍽 Corrected:") and "mie goreng — 580 kcal" in corrected
    assert not FoodDiary.objects.exists()

    send_text(client, django_capture_on_commit_callbacks, 7103, "yes please")
    entry = FoodDiary.objects.get()
    assert [item["name"] for item in entry.items] == ["mie goreng", "fresh coconut"] and entry.calories == 670


def test_declining_a_meal_logs_nothing(client, fake_telegram, django_capture_on_commit_callbacks):
    send_photo(client, django_capture_on_commit_callbacks, 7201, caption="pizza")
    send_text(client, django_capture_on_commit_callbacks, 7202, "no")
    assert fake_telegram.texts()[-1] == "OK — I haven't logged that meal."
    send_text(client, django_capture_on_commit_callbacks, 7203, "yes")
    assert not FoodDiary.objects.exists()


def test_a_photo_without_a_caption_offline_gets_a_clear_message_and_nothing_is_logged(
    client, fake_telegram, django_capture_on_commit_callbacks
):
    send_photo(client, django_capture_on_commit_callbacks, 7301)
    assert "there was no caption, so I haven't logged anything" in fake_telegram.texts()[-1]
    send_text(client, django_capture_on_commit_callbacks, 7302, "yes")
    assert not FoodDiary.objects.exists()


def test_a_caption_that_names_no_dish_logs_nothing(client, fake_telegram, django_capture_on_commit_callbacks):
    send_photo(client, django_capture_on_commit_callbacks, 7401, caption="sunset from the cliff")
    assert "couldn't recognise a dish" in fake_telegram.texts()[-1]
    assert not FoodDiary.objects.exists()


@pytest.fixture
def anthropic(settings):
    with FakeAnthropic() as server:
        settings.LLM_PROVIDER = "anthropic"
        settings.ANTHROPIC_API_KEY = "sk-test"
        settings.ANTHROPIC_BASE_URL = server.url
        settings.ANTHROPIC_MODEL = "claude-test"
        yield server


def test_with_a_vision_model_the_photo_itself_is_analysed(
    client, fake_telegram, anthropic, django_capture_on_commit_callbacks
):
    fake_telegram.files["AgPhoto1"] = (JPEG, "photos/file_1.jpg")
    anthropic.script(
        tool_use(
            "meal_from_photo",
            {
                "is_food": True,
                "confidence": 0.8,
                "items": [
                    {"name": "babi guling", "calories": 820, "protein_g": 40, "carbs_g": 70, "fat_g": 41},
                    {"name": "sambal matah", "calories": 60, "protein_g": 1, "carbs_g": 3, "fat_g": 5},
                ],
            },
        )
    )
    send_photo(client, django_capture_on_commit_callbacks, 7501, caption="lunch!")

    [request] = anthropic.requests
    content = request["body"]["messages"][0]["content"]
    assert content[0]["type"] == "image" and base64.b64decode(content[0]["source"]["data"]) == JPEG
    assert request["body"]["tool_choice"] == {"type": "tool", "name": "meal_from_photo"}
    assert any("/getFile" in r.path for r in fake_telegram.requests)
    assert "I can see:" in fake_telegram.texts()[-1] and "babi guling — 820 kcal" in fake_telegram.texts()[-1]

    send_text(client, django_capture_on_commit_callbacks, 7502, "yes")
    entry = FoodDiary.objects.get()
    assert entry.calories == 880 and entry.confidence == 0.8 and entry.meal_type == "lunch"


def test_a_photo_that_is_not_food_gets_a_clear_message_and_nothing_is_logged(
    client, fake_telegram, anthropic, django_capture_on_commit_callbacks
):
    fake_telegram.files["AgPhoto1"] = (JPEG, "photos/file_1.jpg")
    anthropic.script(tool_use("meal_from_photo", {"is_food": False, "confidence": 0.95, "items": []}))
    send_photo(client, django_capture_on_commit_callbacks, 7601, caption="log this")
    assert "doesn't look like a meal" in fake_telegram.texts()[-1]
    send_text(client, django_capture_on_commit_callbacks, 7602, "yes")
    assert not FoodDiary.objects.exists()


def test_when_the_photo_cannot_be_downloaded_the_caption_is_used(
    client, fake_telegram, anthropic, django_capture_on_commit_callbacks
):
    # no file registered at the fake: getFile answers 400 "invalid file_id"
    send_photo(client, django_capture_on_commit_callbacks, 7701, caption="gado-gado")
    assert anthropic.requests == []
    assert "From your caption I have:" in fake_telegram.texts()[-1]


def test_what_did_i_eat_this_week_answers_from_the_diary(client, fake_telegram, django_capture_on_commit_callbacks):
    from agnt.models import User
    from knowledge.services import food_diary_log

    send_text(client, django_capture_on_commit_callbacks, 7801, "hi")
    user = User.objects.get(channels__external_id="5150")
    food_diary_log(
        user=user,
        description="nasi campur",
        items=[{"name": "nasi campur", "calories": 700, "protein_g": 28, "carbs_g": 85, "fat_g": 26}],
        eaten_at=NOW - dt.timedelta(days=2),
        meal_type="lunch",
    )
    food_diary_log(
        user=user,
        description="old pizza",
        items=[{"name": "margherita pizza", "calories": 1050}],
        eaten_at=NOW - dt.timedelta(days=10),
    )
    send_text(client, django_capture_on_commit_callbacks, 7802, "what did I eat this week?")
    reply = fake_telegram.texts()[-1]
    assert "nasi campur — 700 kcal" in reply and "Tue 10 Mar" in reply
    assert "pizza" not in reply and "Total: 700 kcal over 1 meals" in reply
