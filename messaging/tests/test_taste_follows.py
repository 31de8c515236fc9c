"""Taste follows through Telegram: a guest asks to follow a friend's taste, the friend
accepts on their own channel, and "what would Wayan pick in Ubud?" ranks by Wayan's
bookings, ratings and lists. Ambassadors' tastes are public."""

import json

import pytest
from model_bakery import baker

from agnt.models import UserFollowsTaste
from messaging.models import UserChannel
from messaging.tests.fakes import fake_telegram  # noqa: F401 (fixture)
from venues.models import CityAmbassador
from venues.tests.factories import make_booking, make_city, make_venue

pytestmark = pytest.mark.django_db

SECRET = "tg-secret-follow"


@pytest.fixture(autouse=True)
def _config(settings):
    settings.LLM_PROVIDER = "offline"
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET


@pytest.fixture
def people(django_user_model):
    kadek = django_user_model.objects.create_user(username="kadek", display_name="Kadek")
    wayan = django_user_model.objects.create_user(username="wayan", display_name="Wayan")
    UserChannel.objects.create(user=kadek, platform="telegram", external_id="601")
    UserChannel.objects.create(user=wayan, platform="telegram", external_id="602")
    return kadek, wayan


@pytest.fixture
def ubud():
    city = make_city(slug="ubud", name="Ubud")
    return {
        "favourite": make_venue(city=city, slug="warung-wayan", name="Warung Biah Biah", rating_average=4.1),
        "famous": make_venue(city=city, slug="locavore", name="Locavore NXT", rating_average=4.9),
        "listed": make_venue(city=city, slug="clear-cafe", name="Clear Cafe", rating_average=4.0),
        "elsewhere": make_venue(city=make_city(slug="canggu", name="Canggu"), slug="la-brisa", name="La Brisa"),
    }


def _send(client, captured, update: dict):
    with captured(execute=True):
        client.post(
            "/webhooks/telegram",
            data=json.dumps(update),
            content_type="application/json",
            HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
        )


def text_from(client, captured, update_id: int, chat_id: int, text: str):
    _send(
        client,
        captured,
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "text": text,
                "from": {"id": chat_id, "is_bot": False, "first_name": "X"},
                "chat": {"id": chat_id, "type": "private"},
            },
        },
    )


def tap(client, captured, update_id: int, chat_id: int, data: str):
    _send(
        client,
        captured,
        {
            "update_id": update_id,
            "callback_query": {
                "id": f"cb{update_id}",
                "data": data,
                "from": {"id": chat_id, "is_bot": False, "first_name": "X"},
                "message": {"message_id": 1, "chat": {"id": chat_id, "type": "private"}},
            },
        },
    )


def _to(fake, chat_id: int) -> list[dict]:
    return [m for m in fake.sent() if str(m["chat_id"]) == str(chat_id)]


def test_a_friend_accepts_and_their_taste_ranks_the_picks(
    client, people, ubud, fake_telegram, django_capture_on_commit_callbacks
):
    kadek, wayan = people
    captured = django_capture_on_commit_callbacks
    make_booking(venue=ubud["favourite"], user=wayan, status="completed", hours_ahead=-48)
    make_booking(venue=ubud["favourite"], user=wayan, status="confirmed", hours_ahead=48)
    favourites = baker.make("venues.UserList", user=wayan, name="Ubud faves", slug="ubud-faves")
    baker.make("venues.UserListItem", user_list=favourites, venue=ubud["listed"])

    text_from(client, captured, 1, 601, "follow wayan")
    assert "I've asked Wayan" in _to(fake_telegram, 601)[-1]["text"]
    [request] = _to(fake_telegram, 602)
    assert "Kadek would like to follow your taste" in request["text"]
    follow = UserFollowsTaste.objects.get(user=kadek, followee=wayan)
    assert follow.status == "requested"
    assert request["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"follow:accept:{follow.pk}"

    text_from(client, captured, 2, 601, "what would Wayan pick in Ubud?")
    assert "hasn't accepted" in _to(fake_telegram, 601)[-1]["text"]

    tap(client, captured, 3, 602, f"follow:accept:{follow.pk}")
    follow.refresh_from_db()
    assert follow.status == "accepted" and follow.decided_at is not None
    assert "Kadek now follows your taste" in _to(fake_telegram, 602)[-1]["text"]
    assert "Wayan accepted" in _to(fake_telegram, 601)[-1]["text"]

    text_from(client, captured, 4, 601, "what would Wayan pick in Ubud?")
    reply = _to(fake_telegram, 601)[-1]["text"]
    assert reply.startswith("What Wayan would pick in Ubud:")
    lines = [line for line in reply.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert lines[0].startswith("1. Warung Biah Biah") and lines[1].startswith("2. Clear Cafe")
    assert "booked 2×" in reply and "on their list “Ubud faves”" in reply
    assert "La Brisa" not in reply and "Locavore" not in reply


def test_a_declined_follow_gives_no_picks(client, people, ubud, fake_telegram, django_capture_on_commit_callbacks):
    captured = django_capture_on_commit_callbacks
    text_from(client, captured, 1, 601, "follow @wayan")
    text_from(client, captured, 2, 602, "decline follow")
    assert UserFollowsTaste.objects.get().status == "declined"
    assert "won't follow your taste" in _to(fake_telegram, 602)[-1]["text"]
    text_from(client, captured, 3, 601, "what would Wayan pick in Ubud?")
    assert "hasn't accepted" in _to(fake_telegram, 601)[-1]["text"]


def test_only_the_followee_can_accept(client, people, fake_telegram, django_capture_on_commit_callbacks):
    kadek, wayan = people
    captured = django_capture_on_commit_callbacks
    text_from(client, captured, 1, 601, "follow wayan")
    follow = UserFollowsTaste.objects.get()
    tap(client, captured, 2, 601, f"follow:accept:{follow.pk}")  # Kadek tries to accept his own request
    follow.refresh_from_db()
    assert follow.status == "requested"


def test_an_ambassadors_taste_is_public(client, people, ubud, fake_telegram, django_capture_on_commit_callbacks):
    kadek, wayan = people
    CityAmbassador.objects.create(user=wayan, city=ubud["favourite"].city, status="active", referral_code="UBUD-W")
    text_from(client, django_capture_on_commit_callbacks, 1, 601, "follow wayan")
    assert UserFollowsTaste.objects.get().status == "accepted"
    assert "You now follow Wayan's taste" in _to(fake_telegram, 601)[-1]["text"]
    assert _to(fake_telegram, 602) == []  # nobody needs to be asked


def test_following_someone_unknown_or_yourself_is_a_clear_message(
    client, people, fake_telegram, django_capture_on_commit_callbacks
):
    text_from(client, django_capture_on_commit_callbacks, 1, 601, "follow nobody-here")
    assert "I don't know anyone called 'nobody-here'" in _to(fake_telegram, 601)[-1]["text"]
    text_from(client, django_capture_on_commit_callbacks, 2, 601, "follow kadek")
    assert "can't follow your own taste" in _to(fake_telegram, 601)[-1]["text"]
    assert not UserFollowsTaste.objects.exists()
