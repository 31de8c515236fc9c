"""Channel clients against the local fakes: wire format, media download, typed errors."""

import pytest

from messaging import clients
from messaging.clients import (
    ProviderNotConfigured,
    ProviderPermanentError,
    ProviderRateLimited,
    ProviderTemporaryError,
    instagram,
    telegram,
    whatsapp,
)
from messaging.tests.fakes import fake_360dialog, fake_instagram, fake_telegram  # noqa: F401 (fixtures)
from messaging.types import MediaRef

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


def test_telegram_send_message_returns_the_message_id_and_passes_reply_markup(fake_telegram):
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "YES"}]]}
    assert telegram.send_message("42", "Book it?", reply_markup=markup) == 1001
    assert fake_telegram.sent()[0]["reply_markup"] == markup


def test_telegram_errors_are_typed(fake_telegram):
    fake_telegram.rate_limit_next(retry_after=7)
    with pytest.raises(ProviderRateLimited) as limited:
        telegram.send_message("42", "x")
    assert limited.value.retry_after == 7
    fake_telegram.fail_next(status=500, description="Internal Server Error")
    with pytest.raises(ProviderTemporaryError):
        telegram.send_message("42", "x")
    fake_telegram.block_bot()
    with pytest.raises(ProviderPermanentError) as blocked:
        telegram.send_message("42", "x")
    assert blocked.value.recipient_gone
    fake_telegram.fail_next(status=400, description="Bad Request: can't parse entities")
    with pytest.raises(ProviderPermanentError) as bad:
        telegram.send_message("42", "x")
    assert not bad.value.recipient_gone


def test_telegram_without_a_token_is_not_configured(settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    settings.TELEGRAM_API_BASE_URL = "https://api.telegram.org"
    with pytest.raises(ProviderNotConfigured):
        telegram.send_message("42", "x")


def test_without_credentials_a_stand_in_base_url_still_gets_the_messages(
    settings, fake_telegram, fake_360dialog, fake_instagram
):
    from messaging.clients import instagram, whatsapp

    settings.TELEGRAM_BOT_TOKEN = settings.D360_API_KEY = settings.INSTAGRAM_ACCESS_TOKEN = ""
    # the stand-ins accept the placeholder credential, as a developer's fake server would
    fake_telegram.token = "0:not-configured"
    fake_360dialog.api_key = fake_instagram.token = "not-configured"
    telegram.send_message("42", "hello telegram")
    whatsapp.send_text("628111", "hello whatsapp")
    instagram.send_text("IGSID-1", "hello instagram")
    assert (
        fake_telegram.texts() == ["hello telegram"]
        and "/bot0:not-configured/sendMessage" in fake_telegram.requests[-1].path
    )
    assert fake_360dialog.texts() == ["hello whatsapp"]
    assert fake_instagram.texts() == ["hello instagram"]


def test_an_unreachable_provider_is_a_temporary_error(settings):
    settings.TELEGRAM_BOT_TOKEN = "1:x"
    settings.TELEGRAM_API_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(ProviderTemporaryError):
        telegram.send_message("42", "x")


def test_telegram_photo_bytes_come_through_get_file(fake_telegram):
    fake_telegram.files["large"] = (JPEG, "photos/file_7.jpg")
    data, mime = telegram.get_file_bytes("large")
    assert data == JPEG and mime == "image/jpeg"
    assert clients.media_bytes(
        "telegram", MediaRef(type="image", provider_id="large", mime_type="image/jpeg"), 10_000
    ) == (JPEG, "image/jpeg")


def test_media_bytes_is_none_when_missing_or_too_big(fake_telegram, fake_instagram):
    assert clients.media_bytes("telegram", MediaRef(type="image", provider_id="nope"), 10_000) is None
    fake_telegram.files["big"] = (JPEG, "photos/big.jpg")
    assert clients.media_bytes("telegram", MediaRef(type="image", provider_id="big"), 100) is None
    fake_instagram.attachments["huge.jpg"] = (JPEG * 10, "image/jpeg")
    assert (
        clients.media_bytes("instagram", MediaRef(type="image", url=fake_instagram.attachment_url("huge.jpg")), 500)
        is None
    )
    assert clients.media_bytes("instagram", MediaRef(type="image", url="file:///etc/passwd"), 500) is None
    assert clients.media_bytes("web", MediaRef(type="image"), 500) is None


def test_whatsapp_media_is_fetched_through_360dialog_not_from_meta(fake_360dialog):
    fake_360dialog.media["MEDIA123"] = (JPEG, "image/jpeg")
    data, mime = whatsapp.get_media_bytes("MEDIA123")
    assert data == JPEG and mime == "image/jpeg"
    paths = [r.path for r in fake_360dialog.requests]
    assert paths[0] == "/MEDIA123" and paths[1].startswith("/whatsapp_business/attachments/?mid=MEDIA123")
    assert all(r.headers["d360-api-key"] == "test-d360-key" for r in fake_360dialog.requests)


def test_whatsapp_errors_are_typed(fake_360dialog):
    fake_360dialog.fail_next(status=429, code=130429, message="Rate limit hit", headers={"Retry-After": "3"})
    with pytest.raises(ProviderRateLimited) as limited:
        whatsapp.send_text("628", "x")
    assert limited.value.retry_after == 3
    fake_360dialog.fail_next(status=400, code=131026, message="Message undeliverable")
    with pytest.raises(ProviderPermanentError) as gone:
        whatsapp.send_text("628", "x")
    assert gone.value.recipient_gone
    fake_360dialog.fail_next(status=500, code=131000, message="Something went wrong")
    with pytest.raises(ProviderTemporaryError):
        whatsapp.send_text("628", "x")


def test_a_wrong_360dialog_key_is_a_permanent_error(fake_360dialog, settings):
    settings.D360_API_KEY = "wrong"
    with pytest.raises(ProviderPermanentError):
        whatsapp.send_text("628", "x")


def test_template_parameters_have_no_newlines_and_a_bounded_length():
    flat = whatsapp.template_parameter("line one\n\n  line two\t\t  end " + "x" * 2000)
    assert "\n" not in flat and "\t" not in flat and "  " not in flat and len(flat) <= 1000 and flat.endswith("…")


def test_instagram_send_and_attachment(fake_instagram):
    assert instagram.send_text("IGSID-1", "hello").startswith("aWdfZAG1fake")
    assert fake_instagram.requests[0].headers["authorization"] == "Bearer IGQ-test-token"
    fake_instagram.attachments["a.jpg"] = (JPEG, "image/jpeg")
    assert instagram.get_attachment_bytes(fake_instagram.attachment_url("a.jpg")) == (JPEG, "image/jpeg")
    fake_instagram.fail_next(status=400, code=613, message="Calls to this api have exceeded the rate limit.")
    with pytest.raises(ProviderRateLimited):
        instagram.send_text("IGSID-1", "x")
