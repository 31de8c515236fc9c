"""The system prompt (soul) and the Ollama provider against a local fake /api/chat."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from model_bakery import baker

from agnt.llm.gateway import run_turn
from agnt.llm.types import ToolContext
from messaging.concierge.soul import build_system_prompt
from messaging.tests.fake_weather import fake_weather  # noqa: F401  (fixture)
from messaging.tests.test_llm_gateway import RecordingRegistry

pytestmark = pytest.mark.django_db


@pytest.fixture
def canggu():
    return baker.make(
        "venues.City", name="Canggu", slug="canggu", latitude="-8.65", longitude="115.13", timezone="Asia/Makassar"
    )


@pytest.fixture
def user(django_user_model, canggu):
    return django_user_model.objects.create_user(
        username="nyoman", password="x", display_name="Nyoman", city=canggu, timezone="Asia/Makassar"
    )


def test_the_soul_prompt_carries_persona_city_time_weather_memory_habits_and_pending_action(user, canggu, fake_weather):  # noqa: F811
    from bookings.services import booking_create
    from knowledge.memory import user_memory_remember
    from messaging.tools.confirmation import pending_action_create

    venue = baker.make(
        "venues.Venue",
        city=canggu,
        name="Luma Trattoria",
        slug="luma",
        category="restaurant",
        status="listed",
        opening_hours={d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        booking_lead_minutes=0,
    )
    booking = booking_create(
        venue=venue,
        user=user,
        party_size=3,
        slot_start=datetime.now(ZoneInfo("UTC")).replace(microsecond=0) + timedelta(days=2),
        source="telegram",
    )
    user_memory_remember(user=user, kind="allergy", content="Allergic to peanuts")
    pending_action_create(
        user=user, tool="create_booking", arguments={"venue": "luma"}, summary="Table for 3 at Luma Trattoria"
    )
    fixed = datetime(2026, 3, 11, 4, 0, tzinfo=ZoneInfo("UTC"))  # 12:00 in Bali

    persona, context = build_system_prompt(ToolContext(user=user, platform="whatsapp", now=fixed))

    assert "AGNT" in persona["text"] and "Never invent a venue" in persona["text"] and "YES" in persona["text"]
    text = context["text"]
    assert "Wednesday 11 March 2026, 12:00 local time (Asia/Makassar)" in text
    assert "city: Canggu" in text and "Channel: whatsapp" in text
    assert "29.4°C" in text and "light rain" in text
    assert "peanuts" in text
    assert "Luma Trattoria" in text and "usual party size 3" in text and booking.external_ref in text
    assert "Awaiting the user's confirmation: Table for 3 at Luma Trattoria" in text


def test_the_soul_prompt_survives_missing_city_and_weather(django_user_model):
    user = django_user_model.objects.create_user(username="anon", password="x")
    persona, context = build_system_prompt(ToolContext(user=user, platform="web"))
    assert "city is not known" in context["text"] and "Weather" not in context["text"]


class FakeOllama:
    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                fake.requests.append({"path": self.path, "body": body})
                data = json.dumps(fake.answers.pop(0)).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_ollama_tool_calls_round_trip_through_the_anthropic_history_format(user, settings):
    fake = FakeOllama(
        [
            {
                "model": "m",
                "message": {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [{"function": {"name": "lookup", "arguments": {"q": "pizza"}}}],
                },
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": 50,
                "eval_count": 7,
            },
            {
                "model": "m",
                "message": {"role": "assistant", "content": "Pizza found."},
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": 60,
                "eval_count": 4,
            },
        ]
    )
    settings.LLM_PROVIDER = "ollama"
    settings.OLLAMA_BASE_URL = fake.url
    settings.OLLAMA_MODEL = "llama-test"
    try:
        result = run_turn(
            ctx=ToolContext(user=user, platform="web"),
            history=[],
            user_content=[{"type": "text", "text": "pizza?"}],
            registry=RecordingRegistry(),
        )
    finally:
        fake.server.shutdown()
    assert result.reply_text == "Pizza found." and result.provider == "ollama"
    assert (result.tokens_in, result.tokens_out) == (110, 11)
    first, second = fake.requests[0]["body"], fake.requests[1]["body"]
    assert fake.requests[0]["path"] == "/api/chat" and first["model"] == "llama-test" and first["stream"] is False
    assert first["messages"][0]["role"] == "system" and first["messages"][-1] == {"role": "user", "content": "pizza?"}
    assert first["tools"][0]["function"]["name"] == "lookup"
    assert second["messages"][-2]["tool_calls"][0]["function"] == {"name": "lookup", "arguments": {"q": "pizza"}}
    assert second["messages"][-1]["role"] == "tool" and json.loads(second["messages"][-1]["content"]) == {
        "answer": "found pizza"
    }
    # stored history is Anthropic-format
    assert result.new_messages[1]["content"][0]["type"] == "tool_use"
    assert result.new_messages[2]["content"][0]["type"] == "tool_result"
