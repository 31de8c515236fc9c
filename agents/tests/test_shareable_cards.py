"""Shareable cards: made from the concierge (Telegram) or the API, a public page with an
Open Graph image drawn by the server, answers without an account (CSRF, rate-limited per
IP), and a clear 410 once the card has expired."""

import datetime as dt
import io
import json
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from PIL import Image

from agents.models import CardResponse, ShareableCard
from agents.sharing import card_og_png, shareable_card_create
from agnt.tests.api import bearer_client
from messaging.tests.fakes import fake_telegram  # noqa: F401 (fixture)
from venues.tests.factories import make_booking, make_city, make_venue

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 12, 4, 0, tzinfo=dt.UTC)
SECRET = "tg-secret-cards"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ubud():
    return make_city(slug="ubud", name="Ubud", timezone="Asia/Makassar")


@pytest.fixture
def venue(ubud):
    return make_venue(city=ubud, slug="mozaic", name="Mozaic", area="Sayan")


def _telegram(client, update_id: int, text: str, captured, chat_id: int = 8080):
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "text": text,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Made"},
            "chat": {"id": chat_id, "type": "private"},
        },
    }
    with captured(execute=True):
        response = client.post(
            "/webhooks/telegram",
            data=json.dumps(update),
            content_type="application/json",
            HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
        )
    assert response.status_code == 200


def test_the_concierge_makes_a_card_whose_public_page_shows_the_open_graph_image(
    client, settings, venue, fake_telegram, django_capture_on_commit_callbacks
):
    from agnt.models import User

    settings.LLM_PROVIDER = "offline"
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    _telegram(client, 1, "hi", django_capture_on_commit_callbacks)
    guest = User.objects.get(channels__external_id="8080")
    booking = make_booking(venue=venue, status="confirmed", user=guest, hours_ahead=28, party_size=4)

    _telegram(client, 2, "make a card for our anniversary dinner", django_capture_on_commit_callbacks)

    reply = fake_telegram.texts()[-1]
    card = ShareableCard.objects.get()
    assert card.title == "Our anniversary dinner" and card.booking == booking and card.creator == guest
    url = f"{settings.PUBLIC_BASE_URL}/c/{card.token}"
    assert url in reply and len(card.token) >= 21

    page = client.get(f"/c/{card.token}")
    assert page.status_code == 200
    html = page.content.decode()
    og_image = re.search(r'<meta property="og:image" content="([^"]+)"', html).group(1)
    assert og_image == f"{settings.PUBLIC_BASE_URL}/c/{card.token}/og.png"
    assert '<meta property="og:title" content="Our anniversary dinner">' in html
    assert "Fri 13 Mar, 16:00 · 4 guests" in html and "Mozaic — Sayan, Ubud" in html
    assert f'<img class="og" src="{og_image}"' in html

    png = client.get(f"/c/{card.token}/og.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    assert image.format == "PNG" and image.size == (1200, 630)


def test_the_open_graph_image_is_drawn_once_and_served_from_the_cache(venue, django_user_model, monkeypatch):
    from agents import sharing

    guest = django_user_model.objects.create_user(username="g")
    card = shareable_card_create(creator=guest, venues=[venue])
    drawn = []
    real_draw = sharing._draw
    monkeypatch.setattr(sharing, "_draw", lambda c: drawn.append(c.pk) or real_draw(c))
    first, second = card_og_png(card), card_og_png(card)
    assert first == second and drawn == [card.pk]


def _csrf_client() -> Client:
    return Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.7")


def _answer(browser: Client, card, name: str, answer: str):
    page = browser.get(f"/c/{card.token}")
    token = browser.cookies["csrftoken"].value
    return browser.post(f"/c/{card.token}/answer", {"name": name, "answer": answer, "csrfmiddlewaretoken": token}), page


def test_friends_answer_without_an_account_and_can_change_their_answer(venue, django_user_model):
    card = shareable_card_create(creator=django_user_model.objects.create_user(username="g"), venues=[venue])
    browser = _csrf_client()
    response, _ = _answer(browser, card, "Nyoman", "going")
    assert response.status_code == 302 and response["Location"].endswith(f"/c/{card.token}?answered=going")
    _answer(browser, card, "Komang", "maybe")
    _answer(browser, card, "nyoman", "not")  # the same friend changes their mind
    answers = dict(CardResponse.objects.filter(shared_card=card).values_list("responder_handle", "answer"))
    assert answers == {"Nyoman": "not", "Komang": "maybe"}
    page = browser.get(f"/c/{card.token}?answered=not").content.decode()
    assert "Not going: 1 — Nyoman" in page and "Maybe: 1 — Komang" in page


def test_an_answer_without_the_csrf_token_is_refused(venue, django_user_model):
    card = shareable_card_create(creator=django_user_model.objects.create_user(username="g"), venues=[venue])
    response = _csrf_client().post(f"/c/{card.token}/answer", {"name": "Eve", "answer": "going"})
    assert response.status_code == 403 and not CardResponse.objects.exists()


def test_a_bad_answer_gets_the_form_back_with_a_message(venue, django_user_model):
    card = shareable_card_create(creator=django_user_model.objects.create_user(username="g"), venues=[venue])
    response, _ = _answer(_csrf_client(), card, "", "perhaps")
    assert response.status_code == 400 and "please tell us your name" in response.content.decode()
    assert not CardResponse.objects.exists()


def test_answers_are_rate_limited_per_ip(venue, django_user_model):
    card = shareable_card_create(creator=django_user_model.objects.create_user(username="g"), venues=[venue])
    browser = _csrf_client()
    for i in range(20):
        assert _answer(browser, card, f"friend {i}", "going")[0].status_code == 302
    blocked, _ = _answer(browser, card, "friend 21", "going")
    assert blocked.status_code == 429 and "Too many answers" in blocked.content.decode()
    assert CardResponse.objects.count() == 20
    other_ip = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.9")
    assert _answer(other_ip, card, "friend 22", "going")[0].status_code == 302


def test_an_expired_card_link_answers_410_with_a_clear_page_and_keeps_its_answers(venue, django_user_model):
    guest = django_user_model.objects.create_user(username="g")
    booking = make_booking(venue=venue, status="confirmed", user=guest, hours_ahead=5)
    card = shareable_card_create(creator=guest, booking=booking, title="Birthday lunch")
    browser = _csrf_client()
    _answer(browser, card, "Wayan", "going")
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        page = browser.get(f"/c/{card.token}")
        assert page.status_code == 410 and "This card has expired" in page.content.decode()
        assert browser.get(f"/c/{card.token}/og.png").status_code == 410
        late = browser.post(f"/c/{card.token}/answer", {"name": "Late", "answer": "going"})
        assert late.status_code in (403, 410)
    assert list(CardResponse.objects.values_list("responder_handle", flat=True)) == ["Wayan"]


def test_an_unknown_card_is_404(client):
    assert client.get("/c/not-a-real-token").status_code == 404


def test_the_api_makes_a_card_for_a_list_of_venues_and_shows_its_answers(venue, ubud, django_user_model):
    other = make_venue(city=ubud, slug="locavore", name="Locavore NXT", area="Ubud")
    me = django_user_model.objects.create_user(username="me")
    api = bearer_client(me)
    created = api.post(
        reverse("api-cards"), {"title": "Friday dinner?", "venues": ["mozaic", "locavore"]}, format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (
        body["kind"] == "poll"
        and sorted(body["venues"]) == ["locavore", "mozaic"]
        and body["url"].endswith(body["token"])
    )
    assert body["og_image"].endswith(f"/c/{body['token']}/og.png")
    _answer(_csrf_client(), ShareableCard.objects.get(), "Ketut", "maybe")
    detail = api.get(reverse("api-card", kwargs={"token": body["token"]})).json()
    assert detail["responses"] == {"going": [], "maybe": ["Ketut"], "not": []}
    assert api.post(reverse("api-cards"), {"venues": ["nowhere"]}, format="json").status_code == 400
    assert api.post(reverse("api-cards"), {}, format="json").status_code == 400
    stranger = bearer_client(django_user_model.objects.create_user(username="x"))
    assert stranger.get(reverse("api-card", kwargs={"token": body["token"]})).status_code == 404
    assert other.name == "Locavore NXT"
