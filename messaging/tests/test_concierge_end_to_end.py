"""The whole concierge, provider to provider: a webhook in, the offline planner and real
tools, the send queue, and the reply captured by a local fake of the provider's API."""

import json
import re

import pytest

from bookings.models import VenueBooking
from messaging.models import Interaction
from messaging.tests.fakes import fake_360dialog, fake_instagram, fake_telegram  # noqa: F401 (fixtures)
from messaging.tests.test_llm_offline import bali  # noqa: F401 (fixture)
from messaging.tests.test_webhooks_meta import sign, wa_payload, wa_text, wa_value

pytestmark = pytest.mark.django_db

SECRET = "tg-secret-e2e"


@pytest.fixture(autouse=True)
def _config(settings):
    settings.LLM_PROVIDER = "offline"
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    settings.META_APP_SECRET = "meta-secret-e2e"
    settings.WHATSAPP_VERIFY_TOKEN = "verify-e2e"


def _telegram(client, update_id: int, text: str, chat_id: int = 424242):
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1763793000,
            "text": text,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Kadek", "username": "kadek", "language_code": "en"},
            "chat": {"id": chat_id, "first_name": "Kadek", "type": "private"},
        },
    }
    return client.post(
        "/webhooks/telegram",
        data=json.dumps(update),
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
    )


def test_a_telegram_question_gets_a_useful_reply_at_the_telegram_api(
    client, bali, fake_telegram, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _telegram(client, 9001, "find me a beach club in Canggu")
    assert response.status_code == 200
    [reply] = fake_telegram.texts()
    from venues.models import Venue

    beach_clubs = Venue.objects.filter(city__slug="canggu", category="beach_club").values_list("name", flat=True)
    assert any(name in reply for name in beach_clubs), reply
    [sent] = fake_telegram.sent()
    assert str(sent["chat_id"]) == "424242"
    outbound = Interaction.objects.get(direction="outbound")
    assert outbound.status == "sent" and outbound.provider_message_id


def test_a_telegram_booking_is_confirmed_by_the_venue_agent_through_the_gateway(
    client, bali, fake_telegram, django_capture_on_commit_callbacks
):
    from agents.models import A2AEnvelope

    with django_capture_on_commit_callbacks(execute=True):
        _telegram(client, 9101, "book dinner for 2 at 7pm tomorrow at Luma Trattoria")
    ask = fake_telegram.texts()[-1]
    assert "YES" in ask.upper() and not VenueBooking.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        _telegram(client, 9102, "yes")
    booking = VenueBooking.objects.get()
    assert booking.venue.name == "Luma Trattoria" and booking.party_size == 2 and booking.status == "confirmed"
    confirmation = fake_telegram.texts()[-1]
    assert confirmation.startswith("✅ Confirmed: Luma Trattoria") and booking.external_ref in confirmation
    assert f"/bookings/{booking.external_ref}/calendar.ics?t=" in confirmation
    # the negotiation is on record: the request to the venue agent and its answer, both processed
    intents = dict(A2AEnvelope.objects.filter(booking=booking).values_list("intent", "status"))
    assert intents == {"booking.request": "processed", "booking.accepted": "processed"}
    assert list(booking.events.values_list("to_status", flat=True).order_by("created_at")) == ["requested", "confirmed"]


def test_a_whatsapp_message_is_answered_through_360dialog(
    client, bali, fake_360dialog, django_capture_on_commit_callbacks
):
    body = json.dumps(wa_payload(wa_value(messages=[wa_text("wamid.E2E1", "vegan cafe in Ubud")]))).encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/webhooks/whatsapp",
            data=body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=sign(body, "meta-secret-e2e"),
        )
    assert response.status_code == 200
    [reply] = fake_360dialog.texts()
    assert re.search(r"Ubud", reply), reply
    assert fake_360dialog.sent()[0]["to"] == "6281234567"


def test_an_instagram_message_is_answered_through_the_graph_api(
    client, bali, fake_instagram, django_capture_on_commit_callbacks
):
    payload = {
        "object": "instagram",
        "entry": [
            {
                "id": "17841400000",
                "time": 1763793000,
                "messaging": [
                    {
                        "sender": {"id": "IGSID-77"},
                        "recipient": {"id": "17841400000"},
                        "timestamp": 1763793000,
                        "message": {"mid": "aWdfZAE2E", "text": "a spa in Ubud"},
                    },
                ],
            }
        ],
    }
    body = json.dumps(payload).encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/webhooks/instagram",
            data=body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=sign(body, "meta-secret-e2e"),
        )
    assert response.status_code == 200
    [reply] = fake_instagram.texts()
    assert "Ubud" in reply, reply
