"""Yes / No buttons under a booking confirmation question, on WhatsApp (interactive reply
buttons) and Instagram (quick replies): the question reaches the provider's fake API in the
provider's documented wire format, and a tap confirms the booking exactly like a typed "yes"."""

import json

import pytest

from bookings.models import VenueBooking
from messaging.tests.fakes import (  # noqa: F401 (fixtures)
    fake_360dialog,
    fake_instagram,
    instagram_quick_replies_problem,
    whatsapp_interactive_problem,
)
from messaging.tests.test_llm_offline import bali  # noqa: F401 (fixture)
from messaging.tests.test_webhooks_meta import sign, wa_payload, wa_text, wa_value
from venues.selectors import venue_timezone

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

APP_SECRET = "meta-secret-buttons"
ASK = "book Luma Trattoria tomorrow at 7pm for 2"
ASK_ID = "pesan meja di Luma Trattoria besok jam 7 malam untuk 2 orang"


@pytest.fixture(autouse=True)
def _config(settings):
    settings.LLM_PROVIDER = "offline"
    settings.META_APP_SECRET = APP_SECRET
    settings.WHATSAPP_VERIFY_TOKEN = "verify-buttons"


def _post(client, capture, url: str, payload: dict) -> None:
    body = json.dumps(payload).encode()
    with capture(execute=True):
        response = client.post(
            url, data=body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=sign(body, APP_SECRET)
        )
    assert response.status_code == 200


# --------------------------------------------------------------------------- WhatsApp


def _wa_send(client, capture, message: dict) -> None:
    _post(client, capture, "/webhooks/whatsapp", wa_payload(wa_value(messages=[message])))


def _wa_button_reply(wamid: str, button_id: str, title: str, *, question: str) -> dict:
    """A tap on one of our reply buttons, as the Cloud API's messages webhook carries it."""
    return {
        "context": {"from": "6281100000", "id": question},
        "from": "6281234567",
        "id": wamid,
        "timestamp": "1763793100",
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": button_id, "title": title}},
    }


def test_a_whatsapp_booking_question_carries_yes_no_reply_buttons_in_the_cloud_api_format(
    client, bali, fake_360dialog, django_capture_on_commit_callbacks
):
    _wa_send(client, django_capture_on_commit_callbacks, wa_text("wamid.Q1", ASK))
    [question] = fake_360dialog.sent()
    assert question["type"] == "interactive" and question["to"] == "6281234567"
    assert whatsapp_interactive_problem(question) == ""
    assert question["interactive"]["type"] == "button"
    assert "Luma Trattoria" in question["interactive"]["body"]["text"]
    assert "YES" in question["interactive"]["body"]["text"]
    assert question["interactive"]["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
        {"type": "reply", "reply": {"id": "no", "title": "No"}},
    ]
    assert not VenueBooking.objects.exists()


def test_a_whatsapp_search_answer_carries_no_buttons(client, bali, fake_360dialog, django_capture_on_commit_callbacks):
    _wa_send(client, django_capture_on_commit_callbacks, wa_text("wamid.S1", "vegan cafe in Ubud"))
    assert [m["type"] for m in fake_360dialog.sent()] == ["text"]


@pytest.mark.parametrize("answer", ["typed", "button"])
def test_a_whatsapp_yes_button_confirms_the_booking_exactly_like_typing_yes(
    answer, client, bali, fake_360dialog, django_capture_on_commit_callbacks
):
    _wa_send(client, django_capture_on_commit_callbacks, wa_text("wamid.Q2", ASK))
    question_wamid = "wamid.FAKE000001"
    yes = (
        wa_text("wamid.A2", "yes")
        if answer == "typed"
        else _wa_button_reply("wamid.A2", "yes", "Yes", question=question_wamid)
    )
    _wa_send(client, django_capture_on_commit_callbacks, yes)
    booking = VenueBooking.objects.get()
    assert (booking.venue.slug, booking.party_size, booking.status) == ("luma-trattoria-canggu", 2, "confirmed")
    assert booking.slot_start.astimezone(venue_timezone(booking.venue)).strftime("%H:%M") == "19:00"
    texts = fake_360dialog.texts()
    assert any(booking.external_ref in text for text in texts[1:]), texts
    assert any(text.startswith("✅ Confirmed: Luma Trattoria") for text in texts), texts


def test_a_whatsapp_no_button_cancels_the_request_in_the_guests_language(
    client, bali, fake_360dialog, django_capture_on_commit_callbacks
):
    _wa_send(client, django_capture_on_commit_callbacks, wa_text("wamid.Q3", ASK_ID))
    [question] = fake_360dialog.sent()
    assert [b["reply"] for b in question["interactive"]["action"]["buttons"]] == [
        {"id": "yes", "title": "Ya"},
        {"id": "no", "title": "Tidak"},
    ]
    _wa_send(
        client,
        django_capture_on_commit_callbacks,
        _wa_button_reply("wamid.A3", "no", "Tidak", question="wamid.FAKE000001"),
    )
    assert not VenueBooking.objects.exists()
    assert "tidak saya lanjutkan" in fake_360dialog.texts()[-1]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda b: b["interactive"].update(type="list"), "interactive.type"),
        (lambda b: b["interactive"]["body"].update(text="x" * 1025), "body.text"),
        (lambda b: b["interactive"]["action"].update(buttons=[]), "1 to 3 buttons"),
        (lambda b: b["interactive"]["action"]["buttons"][0]["reply"].update(title="x" * 21), "reply.title"),
        (lambda b: b["interactive"]["action"]["buttons"][1]["reply"].update(id="yes"), "unique"),
    ],
)
def test_the_fake_cloud_api_refuses_what_the_real_one_refuses(change, problem):
    body = {
        "messaging_product": "whatsapp",
        "to": "1",
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Book it?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                    {"type": "reply", "reply": {"id": "no", "title": "No"}},
                ]
            },
        },
    }
    assert whatsapp_interactive_problem(body) == ""
    change(body)
    assert problem in whatsapp_interactive_problem(body)


# --------------------------------------------------------------------------- Instagram


def _ig_event(mid: str, text: str, *, payload: str | None = None) -> dict:
    message: dict = {"mid": mid, "text": text}
    if payload is not None:
        message["quick_reply"] = {"payload": payload}  # a tap on one of our quick replies
    return {
        "object": "instagram",
        "entry": [
            {
                "id": "17841400000",
                "time": 1763793000,
                "messaging": [
                    {
                        "sender": {"id": "IGSID-88"},
                        "recipient": {"id": "17841400000"},
                        "timestamp": 1763793000,
                        "message": message,
                    }
                ],
            }
        ],
    }


def test_an_instagram_booking_question_carries_yes_no_quick_replies_in_the_graph_format(
    client, bali, fake_instagram, django_capture_on_commit_callbacks
):
    _post(client, django_capture_on_commit_callbacks, "/webhooks/instagram", _ig_event("aWdfQ1", ASK))
    [question] = fake_instagram.sent()
    assert question["recipient"] == {"id": "IGSID-88"}
    assert instagram_quick_replies_problem(question["message"]) == ""
    assert "Luma Trattoria" in question["message"]["text"]
    assert question["message"]["quick_replies"] == [
        {"content_type": "text", "title": "Yes", "payload": "yes"},
        {"content_type": "text", "title": "No", "payload": "no"},
    ]


@pytest.mark.parametrize("answer", ["typed", "quick_reply"])
def test_an_instagram_yes_quick_reply_confirms_the_booking_exactly_like_typing_yes(
    answer, client, bali, fake_instagram, django_capture_on_commit_callbacks
):
    _post(client, django_capture_on_commit_callbacks, "/webhooks/instagram", _ig_event("aWdfQ2", ASK))
    yes = _ig_event("aWdfA2", "yes") if answer == "typed" else _ig_event("aWdfA2", "Yes", payload="yes")
    _post(client, django_capture_on_commit_callbacks, "/webhooks/instagram", yes)
    booking = VenueBooking.objects.get()
    assert (booking.venue.slug, booking.party_size, booking.status) == ("luma-trattoria-canggu", 2, "confirmed")
    assert any(text.startswith("✅ Confirmed: Luma Trattoria") for text in fake_instagram.texts())


def test_an_instagram_quick_reply_in_russian_confirms_by_its_payload(
    client, bali, fake_instagram, django_capture_on_commit_callbacks
):
    ask = "забронируй столик в Luma Trattoria завтра в 19:00 на двоих"
    _post(client, django_capture_on_commit_callbacks, "/webhooks/instagram", _ig_event("aWdfQ4", ask))
    [question] = fake_instagram.sent()
    assert [q["title"] for q in question["message"]["quick_replies"]] == ["Да", "Нет"]
    _post(
        client,
        django_capture_on_commit_callbacks,
        "/webhooks/instagram",
        _ig_event("aWdfA4", "Да", payload="yes"),
    )
    assert VenueBooking.objects.get().status == "confirmed"


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ({"quick_replies": [{"content_type": "text", "title": "Yes", "payload": "yes"}]}, "need a text"),
        ({"text": "?", "quick_replies": [{"content_type": "text", "title": "Y", "payload": "y"}] * 14}, "1 to 13"),
        ({"text": "?", "quick_replies": [{"content_type": "image", "title": "Y", "payload": "y"}]}, "content_type"),
        ({"text": "?", "quick_replies": [{"content_type": "text", "title": "", "payload": "y"}]}, "title"),
        ({"text": "?", "quick_replies": [{"content_type": "text", "title": "Y"}]}, "payload"),
    ],
)
def test_the_fake_instagram_api_refuses_malformed_quick_replies(message, problem):
    assert problem in instagram_quick_replies_problem(message)
