"""The tool executor: schemas, validation, reserved keys, clamping, timeouts, errors never raised."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from agnt.llm.types import ToolContext, ToolResult
from messaging.tools import registry
from messaging.tools.base import Tool, ToolArgs
from venues.tests.factories import make_city

EXPECTED_TOOLS = {
    "venue_search",
    "venue_details",
    "check_availability",
    "create_booking",
    "cancel_booking",
    "list_my_bookings",
    "set_reminder",
    "ask_venue",
    "remember_preference",
    "recall_memories",
    "get_weather",
    "transport_quote",
    "transport_book",
    "dupe_search",
    "price_watch",
    "food_diary_log",
    "food_diary_report",
    "make_card",
    "follow_taste",
    "taste_picks",
}


@pytest.fixture
def ctx(db, django_user_model):
    user = django_user_model.objects.create_user(username="guest", password="x")
    return ToolContext(user=user, platform="telegram", now=timezone.now())


def test_sixteen_tools_with_anthropic_schemas():
    schemas = registry.tool_schemas()
    assert {s["name"] for s in schemas} == EXPECTED_TOOLS and len(schemas) == len(EXPECTED_TOOLS)
    for schema in schemas:
        assert set(schema) == {"name", "description", "input_schema"}
        assert schema["description"]
        input_schema = schema["input_schema"]
        assert input_schema["type"] == "object" and isinstance(input_schema["properties"], dict)
        text = json.dumps(input_schema)
        assert "$ref" not in text and "$defs" not in text and '"title"' not in text
        assert set(input_schema.get("required", [])) <= set(input_schema["properties"])
        # The user and platform never come from the model.
        assert not set(input_schema["properties"]) & registry.RESERVED_KEYS
    search = next(s for s in schemas if s["name"] == "venue_search")["input_schema"]["properties"]
    assert search["price_level_max"]["type"] == "integer" and search["tags"]["type"] == "array"


def test_schemas_are_a_copy_callers_may_annotate():
    first = registry.tool_schemas()
    first[-1]["cache_control"] = {"type": "ephemeral"}
    assert "cache_control" not in registry.tool_schemas()[-1]


def test_unknown_tool_is_an_error_listing_the_tools(ctx):
    result = registry.execute_tool("book_a_helicopter", {}, ctx)
    assert isinstance(result, ToolResult) and result.is_error
    assert "venue_search" in result.content["available_tools"]


def test_validation_error_names_the_field(ctx):
    result = registry.execute_tool(
        "check_availability", {"venue": "x", "date": "2026-03-14", "party_size": "many"}, ctx
    )
    assert result.is_error and "party_size" in result.content["error"]
    result = registry.execute_tool("venue_search", {"price_level_max": 9}, ctx)
    assert result.is_error and "price_level_max" in result.content["error"]
    result = registry.execute_tool("venue_search", {"cuisine": "thai"}, ctx)
    assert result.is_error and "cuisine" in result.content["error"] and "not an argument" in result.content["error"]
    result = registry.execute_tool("cancel_booking", {}, ctx)
    assert result.is_error and "reference" in result.content["error"]


def test_reserved_keys_are_stripped_before_validation(ctx, django_user_model):
    other = django_user_model.objects.create_user(username="victim", password="x")
    result = registry.execute_tool(
        "list_my_bookings",
        {
            "user_id": str(other.pk),
            "user": "victim",
            "platform": "whatsapp",
            "api_key": "k",
            "confirmed": True,
            "_private": 1,
            "include_past": True,
        },
        ctx,
    )
    assert not result.is_error, result.content
    assert result.content["upcoming"] == [] and result.content["past"] == []


def test_arguments_must_be_an_object(ctx):
    assert registry.execute_tool("venue_search", ["sushi"], ctx).is_error


def test_long_strings_are_clamped_not_refused(ctx, monkeypatch):
    seen = {}

    class EchoArgs(ToolArgs):
        text: str

    def echo(args, _ctx):
        seen["text"] = args.text
        return {"length": len(args.text)}

    monkeypatch.setitem(registry.TOOLS, "echo", Tool("echo", "test", EchoArgs, echo))
    result = registry.execute_tool("echo", {"text": "x" * 10_000}, ctx)
    assert not result.is_error and result.content["length"] == registry.MAX_STRING_CHARS
    assert registry._clean({"a": [{"_x": 1, "user_id": 2, "b": "y" * 600}] * 50})["a"][0] == {"b": "y" * 500}
    assert len(registry._clean({"a": list(range(100))})["a"]) == registry.MAX_LIST_ITEMS


def test_an_exception_in_a_tool_becomes_a_safe_error_and_is_logged(ctx, monkeypatch, caplog):
    class NoArgs(ToolArgs):
        pass

    def broken(_args, _ctx):
        raise RuntimeError("secret internal detail: password=hunter2")

    monkeypatch.setitem(registry.TOOLS, "broken", Tool("broken", "test", NoArgs, broken))
    with caplog.at_level("ERROR", logger="messaging.tools.registry"):
        result = registry.execute_tool("broken", {}, ctx)
    assert result.is_error and "internal error" in result.content["error"]
    assert "hunter2" not in result.as_text()
    assert any("broken" in record.getMessage() and record.exc_info for record in caplog.records)


def test_a_slow_tool_times_out_with_an_error(settings, monkeypatch):
    # No database here: outside a transaction the executor runs the tool in a worker
    # thread and stops waiting after TOOL_TIMEOUT_SECONDS.
    settings.TOOL_TIMEOUT_SECONDS = 0.5
    finished = threading.Event()

    class NoArgs(ToolArgs):
        pass

    def slow(_args, _ctx):
        time.sleep(1.5)
        finished.set()
        return {"late": True}

    monkeypatch.setitem(registry.TOOLS, "slow", Tool("slow", "test", NoArgs, slow))
    started = time.monotonic()
    result = registry.execute_tool("slow", {}, ToolContext(user=object(), platform="telegram"))
    elapsed = time.monotonic() - started
    assert result.is_error and "did not answer within 0.5 seconds" in result.content["error"]
    assert 0.45 < elapsed < 1.3
    assert not finished.is_set() and finished.wait(3)  # the abandoned worker still ends on its own


def test_inside_a_transaction_a_tool_sees_uncommitted_rows_and_a_failure_does_not_poison_it(ctx, monkeypatch):
    from venues.models import City

    class NoArgs(ToolArgs):
        pass

    def broken_sql(_args, _ctx):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    make_city(name="Sanur", slug="sanur")
    monkeypatch.setitem(registry.TOOLS, "broken_sql", Tool("broken_sql", "test", NoArgs, broken_sql))
    assert registry.execute_tool("broken_sql", {}, ctx).is_error
    # The test's transaction is still usable, and tools still see its rows.
    assert City.objects.filter(slug="sanur").exists()
    result = registry.execute_tool("get_weather", {"city": "sanur"}, ctx)
    assert result.is_error and "Sanur" in result.content["error"]  # no coordinates, but the city was found


def test_worker_threads_close_their_database_connections(ctx, monkeypatch):
    from django.db import connections

    used = []

    class NoArgs(ToolArgs):
        pass

    def query(_args, _ctx):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        used.append(connections["default"])
        return {"pid": pid}

    monkeypatch.setitem(registry.TOOLS, "query", Tool("query", "test", NoArgs, query))
    outcomes: list[ToolResult] = []

    def from_another_thread() -> None:
        # A thread outside the test's transaction, like a Celery worker: each tool call gets
        # a worker thread with its own connection, which must be closed when it ends.
        for _ in range(3):
            outcomes.append(registry.execute_tool("query", {}, ctx))

    caller = threading.Thread(target=from_another_thread)
    caller.start()
    caller.join(10)
    assert [r.is_error for r in outcomes] == [False, False, False], [r.content for r in outcomes]
    assert len({id(wrapper) for wrapper in used}) == 3  # one connection per worker thread…
    assert all(wrapper.connection is None for wrapper in used)  # …each closed when the worker ended
    assert outcomes[0].content["pid"] != connection.cursor().connection.info.backend_pid


def test_a_context_without_a_user_is_refused():
    result = registry.execute_tool("list_my_bookings", {}, ToolContext(user=None, platform="web"))
    assert result.is_error
