"""The messaging providers' stand-in that `make run` serves when no real credentials are set:
the real clients deliver through it, and its page lists what each guest was sent."""

import json

import httpx
import pytest

from messaging.clients import instagram, telegram, whatsapp
from messaging.tests.fake_channels import ChannelStandin


@pytest.fixture
def standin(settings, tmp_path):
    server = ChannelStandin(state_path=str(tmp_path / "channels.jsonl")).start()
    settings.TELEGRAM_BOT_TOKEN = settings.D360_API_KEY = settings.INSTAGRAM_ACCESS_TOKEN = ""
    settings.TELEGRAM_API_BASE_URL = f"{server.base_url}/telegram"
    settings.WHATSAPP_API_BASE_URL = f"{server.base_url}/whatsapp"
    settings.INSTAGRAM_API_BASE_URL = f"{server.base_url}/instagram"
    yield server
    server.stop()


def test_replies_on_every_channel_are_delivered_without_credentials_and_listed(standin, tmp_path):
    keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}, {"text": "No", "callback_data": "no"}]]}
    assert telegram.send_message(4242, "Table for 2 at Luma Trattoria?", reply_markup=keyboard) > 0
    assert whatsapp.send_text("6281234567", "Halo dari AGNT")
    assert instagram.send_text("1789", "Hi from AGNT")

    deliveries = httpx.get(f"{standin.base_url}/deliveries").json()
    assert [(d["platform"], d["to"], d["text"]) for d in deliveries] == [
        ("instagram", "1789", "Hi from AGNT"),
        ("whatsapp", "6281234567", "Halo dari AGNT"),
        ("telegram", "4242", "Table for 2 at Luma Trattoria?"),
    ]
    assert deliveries[-1]["buttons"] == ["Yes", "No"]
    page = httpx.get(standin.base_url + "/")
    assert page.headers["content-type"].startswith("text/html")
    assert "Table for 2 at Luma Trattoria?" in page.text and "[Yes ] [ No]" in page.text

    # the page survives a restart of the stand-in
    again = ChannelStandin(state_path=str(tmp_path / "channels.jsonl"))
    try:
        assert len(again._deliveries) == 3
    finally:
        again._server.server_close()
    assert [json.loads(line)["platform"] for line in (tmp_path / "channels.jsonl").read_text().splitlines()] == [
        "telegram",
        "whatsapp",
        "instagram",
    ]


def test_the_standin_keeps_each_providers_error_format(standin):
    response = httpx.post(f"{standin.base_url}/telegram/bot0:x/sendMessage", json={"chat_id": 1, "text": ""})
    assert response.status_code == 400 and response.json()["description"] == "Bad Request: message text is empty"
    assert httpx.get(f"{standin.base_url}/nowhere").status_code == 404


def test_make_run_points_only_unconfigured_channels_at_the_standin(settings):
    from agnt.devrun import channel_standin_env

    settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_API_BASE_URL = "", "https://api.telegram.org/"
    settings.D360_API_KEY, settings.WHATSAPP_API_BASE_URL = "real-key", "https://waba-v2.360dialog.io"
    settings.INSTAGRAM_ACCESS_TOKEN, settings.INSTAGRAM_API_BASE_URL = "", "http://127.0.0.1:9999"
    assert channel_standin_env(settings) == {"TELEGRAM_API_BASE_URL": "http://127.0.0.1:12115/telegram"}
