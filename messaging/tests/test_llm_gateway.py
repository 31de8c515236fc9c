"""The LLM gateway against a local fake Anthropic Messages API: tool loop, errors, retries,
prompt caching, token budget and per-user concurrency."""

from __future__ import annotations

import json
import time

import pytest

from agnt.llm import gateway, limits
from agnt.llm.gateway import run_turn, sanitize_history
from agnt.llm.types import ToolContext, ToolResult
from messaging.tests.fake_anthropic import FakeAnthropic, Status, text, tool_use

pytestmark = pytest.mark.django_db


class RecordingRegistry:
    """A two-tool registry for driving the loop: `lookup` answers, `boom` fails."""

    def __init__(self, *, raise_in_boom: bool = False):
        self.calls: list[tuple[str, dict]] = []
        self.raise_in_boom = raise_in_boom

    def tool_schemas(self):
        return [
            {
                "name": "lookup",
                "description": "Look a thing up.",
                "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
            },
            {"name": "boom", "description": "Always fails.", "input_schema": {"type": "object", "properties": {}}},
        ]

    def execute_tool(self, name, arguments, ctx):
        self.calls.append((name, arguments))
        if name == "lookup":
            return ToolResult(content={"answer": f"found {arguments.get('q')}"})
        if self.raise_in_boom:
            raise RuntimeError("kaboom")
        return ToolResult(content="the boom service is down", is_error=True)


@pytest.fixture
def fake(settings):
    with FakeAnthropic() as server:
        settings.LLM_PROVIDER = "anthropic"
        settings.ANTHROPIC_API_KEY = "sk-test"
        settings.ANTHROPIC_BASE_URL = server.url
        settings.ANTHROPIC_MODEL = "claude-test"
        settings.LLM_MAX_RETRIES = 2
        yield server


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="wayan", password="x", display_name="Wayan")


def _ctx(user):
    return ToolContext(user=user, platform="telegram")


def _say(content: str):
    return [{"type": "text", "text": content}]


def test_tool_loop_runs_requested_tools_and_stops_when_the_model_stops_asking(fake, user):
    fake.script(
        tool_use("lookup", {"q": "sushi"}, tool_id="toolu_1", input_tokens=100, output_tokens=20),
        text("Sushi it is.", input_tokens=150, output_tokens=10),
    )
    registry = RecordingRegistry()
    result = run_turn(ctx=_ctx(user), history=[], user_content=_say("sushi?"), registry=registry)

    assert result.reply_text == "Sushi it is."
    assert result.provider == "anthropic" and result.refused == ""
    assert registry.calls == [("lookup", {"q": "sushi"})]
    assert [c.name for c in result.tool_calls] == ["lookup"]
    assert (result.tokens_in, result.tokens_out) == (250, 30)
    assert len(fake.requests) == 2
    tool_message = fake.requests[1]["body"]["messages"][-1]
    assert tool_message["role"] == "user"
    block = tool_message["content"][0]
    assert block["type"] == "tool_result" and block["tool_use_id"] == "toolu_1" and block["is_error"] is False
    assert json.loads(block["content"]) == {"answer": "found sushi"}
    # user, assistant tool_use, tool_result, assistant answer — ready to append to history
    assert [m["role"] for m in result.new_messages] == ["user", "assistant", "user", "assistant"]


@pytest.mark.parametrize("raise_in_boom", [False, True])
def test_a_failing_tool_goes_back_to_the_model_as_an_is_error_result(fake, user, raise_in_boom):
    fake.script(tool_use("boom", {}, tool_id="toolu_b"), text("Sorry, that service is down."))
    result = run_turn(
        ctx=_ctx(user), history=[], user_content=_say("go"), registry=RecordingRegistry(raise_in_boom=raise_in_boom)
    )

    assert result.reply_text == "Sorry, that service is down."
    block = fake.requests[1]["body"]["messages"][-1]["content"][0]
    assert block["tool_use_id"] == "toolu_b" and block["is_error"] is True
    assert result.tool_calls[0].is_error is True


def test_the_tool_loop_ends_gracefully_at_the_iteration_bound(fake, user, settings):
    settings.LLM_MAX_TOOL_ITERATIONS = 2
    fake.script(*[tool_use("lookup", {"q": str(i)}) for i in range(6)])
    registry = RecordingRegistry()
    result = run_turn(ctx=_ctx(user), history=[], user_content=_say("loop forever"), registry=registry)

    assert len(fake.requests) == 3  # two tool rounds, then the model asked again and was stopped
    assert len(registry.calls) == 2
    assert result.reply_text == gateway.REPLY_TOO_MANY_STEPS
    # The history stays valid for the next turn: every tool_use is answered, the turn ends on the assistant.
    last_uses = {b["id"] for b in result.new_messages[-3]["content"] if b["type"] == "tool_use"}
    answered = {b["tool_use_id"] for b in result.new_messages[-2]["content"]}
    assert last_uses == answered
    assert result.new_messages[-1]["role"] == "assistant"


def test_it_retries_on_429_and_529_then_succeeds(fake, user):
    fake.script(
        Status(429, headers={"retry-after-ms": "10"}),
        Status(529, error_type="overloaded_error", headers={"retry-after-ms": "10"}),
        text("Made it."),
    )
    result = run_turn(ctx=_ctx(user), history=[], user_content=_say("hi"), registry=RecordingRegistry())
    assert result.reply_text == "Made it."
    assert len(fake.requests) == 3
    assert fake.requests[2]["headers"].get("x-stainless-retry-count") == "2"


def test_a_huge_retry_after_is_capped_so_a_worker_does_not_sleep_for_an_hour(fake, user, settings):
    settings.LLM_RETRY_AFTER_MAX_SECONDS = 0.05
    fake.script(Status(429, headers={"retry-after": "3600"}), text("Quick."))
    started = time.monotonic()
    result = run_turn(ctx=_ctx(user), history=[], user_content=_say("hi"), registry=RecordingRegistry())
    assert result.reply_text == "Quick."
    assert time.monotonic() - started < 5


def test_a_provider_that_keeps_failing_gets_a_polite_reply_not_an_exception(fake, user, settings):
    settings.LLM_MAX_RETRIES = 1
    settings.LLM_RETRY_AFTER_MAX_SECONDS = 0.01
    fake.script(
        Status(500, error_type="api_error", headers={"retry-after-ms": "1"}), Status(500, error_type="api_error")
    )
    result = run_turn(ctx=_ctx(user), history=[], user_content=_say("hi"), registry=RecordingRegistry())
    assert result.reply_text == gateway.REPLY_PROVIDER_DOWN
    assert len(fake.requests) == 2
    assert [m["role"] for m in result.new_messages] == ["user", "assistant"]


def test_prompt_caching_marks_tools_persona_and_the_conversation_tail(fake, user):
    fake.script(tool_use("lookup", {"q": "x"}), text("done"))
    history = [
        {"role": "user", "content": [{"type": "text", "text": "earlier"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "earlier answer"}]},
    ]
    result = run_turn(ctx=_ctx(user), history=history, user_content=_say("now"), registry=RecordingRegistry())

    body = fake.requests[0]["body"]
    assert body["model"] == "claude-test" and body["max_tokens"] > 0
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert "AGNT" in body["system"][0]["text"]
    assert "cache_control" not in body["system"][1]  # the per-turn context changes every time
    assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert sum("cache_control" in tool for tool in body["tools"]) == 1
    assert body["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert body["messages"][0]["content"][0]["text"] == "earlier"
    second = fake.requests[1]["body"]["messages"]
    assert second[-1]["content"][-1]["type"] == "tool_result" and "cache_control" in second[-1]["content"][-1]
    # Breakpoints live in the request only, never in what the session store keeps.
    assert "cache_control" not in json.dumps(result.new_messages)


def test_the_default_registry_is_messaging_tools(fake, user):
    fake.script(text("hello"))
    run_turn(ctx=_ctx(user), history=[], user_content=_say("hi"))
    names = [tool["name"] for tool in fake.requests[0]["body"]["tools"]]
    assert "venue_search" in names and "create_booking" in names


def test_a_user_over_the_daily_token_budget_is_refused_politely(fake, user, settings):
    settings.LLM_DAILY_TOKEN_BUDGET = 100
    fake.script(text("first", input_tokens=80, output_tokens=40, cache_read=5))
    first = run_turn(ctx=_ctx(user), history=[], user_content=_say("hi"), registry=RecordingRegistry())
    assert first.refused == "" and limits.tokens_used_today(user=user) == 125

    second = run_turn(
        ctx=_ctx(user), history=first.new_messages, user_content=_say("again"), registry=RecordingRegistry()
    )
    assert second.refused == "budget"
    assert second.reply_text == gateway.REPLY_BUDGET
    assert len(fake.requests) == 1  # the model was not called
    assert [m["role"] for m in second.new_messages] == ["user", "assistant"]


def test_the_budget_is_per_user(fake, user, settings, django_user_model):
    settings.LLM_DAILY_TOKEN_BUDGET = 100
    limits.token_usage_add(user=user, tokens=500)
    other = django_user_model.objects.create_user(username="ketut", password="x")
    fake.script(text("hi ketut"))
    assert run_turn(ctx=_ctx(other), history=[], user_content=_say("hi"), registry=RecordingRegistry()).refused == ""


def test_a_user_at_the_concurrency_limit_is_refused_until_a_slot_frees(fake, user, settings, django_user_model):
    settings.LLM_USER_CONCURRENCY = 1
    held = limits.user_slot_acquire(user=user)
    assert held is not None
    busy = run_turn(ctx=_ctx(user), history=[], user_content=_say("hi"), registry=RecordingRegistry())
    assert busy.refused == "concurrency" and busy.reply_text == gateway.REPLY_BUSY
    assert fake.requests == []

    other = django_user_model.objects.create_user(username="made", password="x")
    fake.script(text("other user fine"), text("now fine"))
    assert run_turn(ctx=_ctx(other), history=[], user_content=_say("hi"), registry=RecordingRegistry()).refused == ""

    held.release()
    assert (
        run_turn(ctx=_ctx(user), history=[], user_content=_say("hi"), registry=RecordingRegistry()).reply_text
        == "now fine"
    )
    # and the turn gave its own slot back
    assert limits.redis_client().zcard(limits.concurrency_key(user=user)) == 0


def test_a_slot_whose_lease_expired_is_reclaimed(user):
    first = limits.user_slot_acquire(user=user, limit=1, lease=0.05)
    assert first is not None
    assert limits.user_slot_acquire(user=user, limit=1, lease=0.05) is None
    time.sleep(0.1)  # the holder "crashed" without releasing
    assert limits.user_slot_acquire(user=user, limit=1, lease=5) is not None
    assert first.refresh() is False  # an expired lease cannot be revived over the new holder


def test_sanitize_history_drops_half_rounds_a_trimmed_store_leaves_behind():
    history = [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "gone", "content": "x"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "orphan answer"}]},
        {"role": "user", "content": [{"type": "text", "text": "hello"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "let me look"},
                {"type": "tool_use", "id": "t1", "name": "lookup", "input": {}},
            ],
        },
    ]
    clean = sanitize_history(history)
    assert clean == [
        {"role": "user", "content": [{"type": "text", "text": "hello"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "let me look"}]},
    ]
