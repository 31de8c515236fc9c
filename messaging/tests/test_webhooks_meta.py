"""/webhooks/whatsapp and /webhooks/instagram: Meta verification, X-Hub-Signature-256, payload shapes."""

import hashlib
import hmac
import json

import pytest
from model_bakery import baker

from messaging.models import Interaction, UserChannel

APP_SECRET = "meta-app-secret"
VERIFY = "verify-me"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.META_APP_SECRET = APP_SECRET
    settings.WHATSAPP_VERIFY_TOKEN = VERIFY


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(client, url, payload, *, signature="auto", raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {}
    if signature == "auto":
        headers["HTTP_X_HUB_SIGNATURE_256"] = sign(body)
    elif signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.post(url, data=body, content_type="application/json", **headers)


def wa_value(messages=(), statuses=(), contacts=None):
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100000", "phone_number_id": "1099"},
    }
    if messages:
        value["contacts"] = contacts or [{"profile": {"name": "Made"}, "wa_id": "6281234567"}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return value


def wa_payload(*values, entries=1):
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": f"WABA{e}", "changes": [{"value": v, "field": "messages"} for v in values]} for e in range(entries)
        ],
    }


def wa_text(wamid, body="hello", sender="6281234567"):
    return {"from": sender, "id": wamid, "timestamp": "1763793000", "type": "text", "text": {"body": body}}


# --------------------------------------------------------------------------- verification


@pytest.mark.parametrize("url", ["/webhooks/whatsapp", "/webhooks/instagram"])
def test_the_verification_handshake_echoes_the_challenge_as_plain_text(client, url):
    response = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"})
    assert response.status_code == 200 and response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("url", ["/webhooks/whatsapp", "/webhooks/instagram"])
@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"},
        {},
    ],
)
def test_a_wrong_verify_token_or_mode_is_refused(client, url, params):
    assert client.get(url, params).status_code == 403


def test_verification_fails_closed_without_a_configured_token(client, settings):
    settings.WHATSAPP_VERIFY_TOKEN = ""
    assert (
        client.get(
            "/webhooks/whatsapp", {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
        ).status_code
        == 403
    )


# --------------------------------------------------------------------------- signature


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/webhooks/whatsapp", "/webhooks/instagram"])
@pytest.mark.parametrize("signature", [None, "", "sha256=", "sha1=abc", "sha256=" + "0" * 64, sign(b"other body")])
def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(client, url, signature):
    payload = wa_payload(wa_value(messages=[wa_text("wamid.S1")]))
    assert post(client, url, payload, signature=signature).status_code == 403
    assert not Interaction.objects.exists() and not UserChannel.objects.exists()


@pytest.mark.django_db
def test_an_unset_app_secret_fails_closed(client, settings, caplog):
    settings.META_APP_SECRET = ""
    payload = wa_payload(wa_value(messages=[wa_text("wamid.S2")]))
    body = json.dumps(payload).encode()
    assert post(client, "/webhooks/whatsapp", payload, signature=sign(body, "")).status_code == 403
    assert "META_APP_SECRET is not set" in caplog.text
    assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_the_signature_is_over_the_raw_bytes_not_reserialised_json(client):
    raw = (
        b'{"object":"whatsapp_business_account",  "entry":[{"id":"1","changes":[{"field":"messages","value":'
        + json.dumps(wa_value(messages=[wa_text("wamid.RAW", body="caf\u00e9")])).encode()
        + b"}]}]}"
    )
    assert post(client, "/webhooks/whatsapp", None, raw=raw, signature=sign(raw)).status_code == 200
    assert Interaction.objects.get().text == "café"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/webhooks/whatsapp", "/webhooks/instagram"])
def test_malformed_json_is_a_400_and_oversized_is_a_413(client, settings, url):
    raw = b"{broken"
    assert post(client, url, None, raw=raw, signature=sign(raw)).status_code == 400
    settings.WEBHOOK_MAX_BODY_BYTES = 100
    big = json.dumps({"entry": [], "pad": "x" * 500}).encode()
    assert post(client, url, None, raw=big, signature=sign(big)).status_code == 413


# --------------------------------------------------------------------------- WhatsApp messages


@pytest.mark.django_db
def test_several_entries_and_changes_in_one_post_are_all_stored(client, django_capture_on_commit_callbacks):
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "W1",
                "changes": [
                    {
                        "field": "messages",
                        "value": wa_value(messages=[wa_text("wamid.A1", "one"), wa_text("wamid.A2", "two")]),
                    },
                    {
                        "field": "messages",
                        "value": wa_value(
                            messages=[wa_text("wamid.B1", "three", sender="6289999")],
                            contacts=[{"profile": {"name": "Nyoman"}, "wa_id": "6289999"}],
                        ),
                    },
                ],
            },
            {"id": "W2", "changes": [{"field": "messages", "value": wa_value(messages=[wa_text("wamid.C1", "four")])}]},
        ],
    }
    with django_capture_on_commit_callbacks() as callbacks:
        assert post(client, "/webhooks/whatsapp", payload).status_code == 200
    assert sorted(Interaction.objects.values_list("text", flat=True)) == ["four", "one", "three", "two"]
    assert dict(UserChannel.objects.values_list("external_id", "display_name")) == {
        "6281234567": "Made",
        "6289999": "Nyoman",
    }
    assert len(callbacks) == 4


@pytest.mark.django_db
def test_a_redelivered_whatsapp_message_is_stored_once(client, django_capture_on_commit_callbacks):
    payload = wa_payload(wa_value(messages=[wa_text("wamid.DUP")]))
    post(client, "/webhooks/whatsapp", payload)
    with django_capture_on_commit_callbacks() as callbacks:
        assert post(client, "/webhooks/whatsapp", payload).status_code == 200
    assert Interaction.objects.filter(provider_message_id="wamid.DUP").count() == 1
    assert callbacks == []


@pytest.mark.django_db
def test_image_interactive_and_button_messages_are_understood(client):
    messages = [
        {
            "from": "6281234567",
            "id": "wamid.IMG",
            "timestamp": "1",
            "type": "image",
            "image": {"caption": "is this vegan?", "mime_type": "image/jpeg", "sha256": "abc", "id": "MEDIA123"},
        },
        {
            "from": "6281234567",
            "id": "wamid.BTN",
            "timestamp": "2",
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": "confirm", "title": "Yes, book it"}},
        },
        {
            "from": "6281234567",
            "id": "wamid.LST",
            "timestamp": "3",
            "type": "interactive",
            "interactive": {
                "type": "list_reply",
                "list_reply": {"id": "v2", "title": "La Brisa", "description": "Canggu"},
            },
        },
        {
            "from": "6281234567",
            "id": "wamid.TPL",
            "timestamp": "4",
            "type": "button",
            "button": {"payload": "STOP_PROMO", "text": "Stop promotions"},
        },
        {"from": "6281234567", "id": "wamid.AUD", "timestamp": "5", "type": "audio", "audio": {"id": "A1"}},
        {
            "from": "6281234567",
            "id": "wamid.RCT",
            "timestamp": "6",
            "type": "reaction",
            "reaction": {"message_id": "x", "emoji": "👍"},
        },
    ]
    assert post(client, "/webhooks/whatsapp", wa_payload(wa_value(messages=messages))).status_code == 200
    stored = {i.provider_message_id: (i.kind, i.text) for i in Interaction.objects.all()}
    assert stored == {
        "wamid.IMG": ("image", "is this vegan?"),
        "wamid.BTN": ("interactive", "Yes, book it"),
        "wamid.LST": ("interactive", "La Brisa"),
        "wamid.TPL": ("interactive", "Stop promotions"),
    }
    from messaging.parsing import parse_whatsapp

    parsed, _ = parse_whatsapp(wa_payload(wa_value(messages=messages[:1])))
    assert parsed[0].media[0].provider_id == "MEDIA123" and parsed[0].media[0].mime_type == "image/jpeg"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {},
        [],
        {"entry": "x"},
        {"entry": [None, 1, {"changes": "no"}]},
        {
            "entry": [
                {"changes": [{"field": "messages", "value": {"messages": [{"id": 5}], "statuses": [{"id": None}]}}]}
            ]
        },
        {
            "entry": [
                {
                    "changes": [
                        {
                            "field": "messages",
                            "value": {"messages": [{"from": "1", "id": "w", "type": "text", "text": "flat"}]},
                        }
                    ]
                }
            ]
        },
        {"entry": [{"changes": [{"field": "account_update", "value": {"event": "x"}}]}]},
        {
            "entry": [
                {
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messages": [{"from": "1" * 500, "id": "w2", "type": "text", "text": {"body": "hi"}}]
                            },
                        }
                    ]
                }
            ]
        },
    ],
)
def test_unexpected_whatsapp_shapes_are_200_and_never_500(client, payload):
    assert post(client, "/webhooks/whatsapp", payload).status_code == 200


@pytest.mark.django_db
def test_statuses_move_our_outbound_message_and_unknown_ids_are_ignored(client):
    sent = baker.make(
        Interaction,
        platform="whatsapp",
        direction="outbound",
        source="concierge",
        status="sent",
        provider_message_id="wamid.OUT1",
        text="your table is booked",
    )
    failing = baker.make(
        Interaction,
        platform="whatsapp",
        direction="outbound",
        source="concierge",
        status="sent",
        provider_message_id="wamid.OUT2",
        text="hi",
    )
    statuses = [
        {"id": "wamid.OUT1", "status": "delivered", "timestamp": "1763793100", "recipient_id": "6281234567"},
        {"id": "wamid.OUT1", "status": "read", "timestamp": "1763793200", "recipient_id": "6281234567"},
        {
            "id": "wamid.OUT2",
            "status": "failed",
            "timestamp": "1763793300",
            "recipient_id": "6281234567",
            "errors": [
                {"code": 131026, "title": "Message undeliverable", "error_data": {"details": "Receiver is incapable"}}
            ],
        },
        {"id": "wamid.NOT-OURS", "status": "delivered", "timestamp": "1763793300", "recipient_id": "1"},
        {"id": "wamid.OUT1", "status": "sent", "timestamp": "1763793000"},  # late, out of order: ignored
    ]
    assert post(client, "/webhooks/whatsapp", wa_payload(wa_value(statuses=statuses))).status_code == 200
    sent.refresh_from_db()
    failing.refresh_from_db()
    assert sent.status == "read" and sent.delivered_at is not None and sent.read_at.timestamp() == 1763793200
    assert failing.status == "failed" and "131026" in failing.error and "Receiver is incapable" in failing.error
    assert Interaction.objects.count() == 2


# --------------------------------------------------------------------------- Instagram


def ig_payload(*events):
    return {"object": "instagram", "entry": [{"time": 1763793000000, "id": "17841400000", "messaging": list(events)}]}


def ig_message(mid, text=None, attachments=None, sender="IGSID-1", **extra):
    message = {"mid": mid, **extra}
    if text is not None:
        message["text"] = text
    if attachments is not None:
        message["attachments"] = attachments
    return {
        "sender": {"id": sender},
        "recipient": {"id": "17841400000"},
        "timestamp": 1763793000000,
        "message": message,
    }


@pytest.mark.django_db
def test_instagram_text_and_image_are_stored_and_echoes_reads_reactions_skipped(client):
    events = [
        ig_message("mid.T1", text="any rooftop bars in Seminyak?"),
        ig_message(
            "mid.I1",
            attachments=[
                {"type": "image", "payload": {"url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"}}
            ],
        ),
        ig_message("mid.E1", text="our own reply", is_echo=True, sender="17841400000"),
        ig_message("mid.D1", text="gone", is_deleted=True),
        {"sender": {"id": "IGSID-1"}, "recipient": {"id": "1"}, "timestamp": 1, "read": {"mid": "mid.T0"}},
        {
            "sender": {"id": "IGSID-1"},
            "recipient": {"id": "1"},
            "timestamp": 1,
            "reaction": {"mid": "mid.T0", "action": "react", "emoji": "❤"},
        },
        ig_message("mid.A1", attachments=[{"type": "audio", "payload": {"url": "https://x/a.mp4"}}]),
    ]
    assert post(client, "/webhooks/instagram", ig_payload(*events)).status_code == 200
    stored = {i.provider_message_id: (i.kind, i.text) for i in Interaction.objects.all()}
    assert stored == {"mid.T1": ("text", "any rooftop bars in Seminyak?"), "mid.I1": ("image", "")}
    assert UserChannel.objects.get().external_id == "IGSID-1"


@pytest.mark.django_db
def test_a_redelivered_instagram_message_is_stored_once(client):
    payload = ig_payload(ig_message("mid.DUP", text="hi"))
    post(client, "/webhooks/instagram", payload)
    assert post(client, "/webhooks/instagram", payload).status_code == 200
    assert Interaction.objects.filter(provider_message_id="mid.DUP").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"entry": [{"messaging": [None, "x", {"sender": "me"}]}]},
        {"entry": [{"messaging": [{"sender": {"id": "1"}, "message": {"mid": ["x"], "text": "a"}}]}]},
        {"entry": [{"messaging": [{"sender": {"id": "1"}, "message": {"mid": "m", "attachments": "no"}}]}]},
        {"entry": [{"messaging": [{"sender": {"id": "1"}, "postback": {"mid": "pb1"}}]}]},
    ],
)
def test_unexpected_instagram_shapes_are_200(client, payload):
    assert post(client, "/webhooks/instagram", payload).status_code == 200
