"""Bookings as A2A Tasks on the JSON-RPC endpoints: lifecycle, history, listing, cancel,
streaming, push notifications, venue agents' own endpoints, and times with offsets on
every transport. Against a real uvicorn, with the stock a2a-sdk client where a client is needed.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import httpx2
import pytest
from a2a.client import ClientConfig, create_client
from a2a.helpers import get_data_parts, new_data_part, new_message
from a2a.types import (
    AuthenticationInfo,
    GetTaskRequest,
    Role,
    SendMessageConfiguration,
    SendMessageRequest,
    TaskPushNotificationConfig,
    TaskState,
)
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from agents.models import A2ATask
from agents.platform.external import venue_timezone
from agents.services import api_key_create
from agents.tests.live_asgi import asgi_server  # noqa: F401 - fixture
from agents.tests.test_venue_agent import _owner_policy, days_ahead, make_test_venue
from agents.tests.webhook_receiver import webhook_receiver  # noqa: F401 - fixture
from bookings.models import VenueBooking

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def venue():
    return make_test_venue(category="beach_club", area="Echo Beach", tags=["sunset"])


@pytest.fixture
def key_pair(django_user_model):
    developer = django_user_model.objects.create_user(username="a2a-tasks", password="x")
    return api_key_create(owner=developer, name="Partner agent", tier="pro")


@pytest.fixture
def server(asgi_server, settings):
    settings.PUBLIC_BASE_URL = asgi_server
    settings.CLAWPULSE_GATEWAY = f"{asgi_server}/gateway"
    return asgi_server


def _run(coroutine, timeout: float = 60):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


def rpc(server: str, token: str, method: str, params: dict, *, path: str = "/a2a/jsonrpc", version: str = "1.0"):
    headers = {"Authorization": f"Bearer {token}", "A2A-Version": version}
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    response = httpx.post(f"{server}{path}", json=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def booking_message(venue, day, *, time_="19:00", party_size=2, **extra) -> dict:
    data = {"skill": "booking.request", "venue": venue.slug, "date": day.isoformat(), "time": time_}
    return {
        "messageId": str(uuid.uuid4()),
        "role": "ROLE_USER",
        "parts": [{"data": {**data, "party_size": party_size, **extra}}],
    }


# --- times ---------------------------------------------------------------------------------------


def test_noon_utc_books_20_00_venue_time_through_mcp_a2a_and_the_rest_api(server, venue, key_pair, client):
    api_key, token = key_pair
    day = days_ahead(3)

    async def through_mcp():
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            async with streamable_http_client(f"{server}/mcp", http_client=http) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
                    result = await session.call_tool(
                        "create_booking",
                        {"venue": venue.slug, "date": day.isoformat(), "time": "12:00:00Z", "party_size": 2},
                    )
                    return tools["create_booking"].input_schema, json.loads(result.content[0].text)

    schema, by_mcp = _run(through_mcp())
    by_a2a = rpc(server, token, "SendMessage", {"message": booking_message(venue, day, time_="12:00:00Z")})
    by_rest = client.post(
        "/a2a/v1/bookings",
        {"venue": venue.slug, "slot_start": f"{day.isoformat()}T12:00:00Z", "party_size": 2},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    ).json()

    expected = f"{day.isoformat()}T20:00:00+08:00"
    assert by_mcp["booking"]["slot_start"] == expected
    artifact = by_a2a["result"]["task"]["artifacts"][0]
    assert artifact["parts"][1]["data"]["result"]["booking"]["slot_start"] == expected
    assert by_rest["slot_start"] == expected
    time_schema = schema["properties"]["time"]
    assert "pattern" in time_schema and "format" not in time_schema and "offset" in time_schema["description"]
    assert VenueBooking.objects.filter(api_key=api_key).count() == 3


# --- tasks -----------------------------------------------------------------------------------------


def test_a_booking_request_is_a_task_that_completes_with_the_booking_as_artifact(
    server, venue, key_pair, django_user_model
):
    api_key, token = key_pair
    answer = rpc(server, token, "SendMessage", {"message": booking_message(venue, days_ahead(3))})["result"]["task"]

    assert answer["status"]["state"] == "TASK_STATE_COMPLETED"
    text, data = answer["artifacts"][0]["parts"]
    booking = data["data"]["result"]["booking"]
    assert booking["status"] == "confirmed" and booking["reference"] in text["text"]
    assert booking["party_size"] == 2 and isinstance(booking["party_size"], int)  # not 2.0

    got = rpc(server, token, "GetTask", {"id": answer["id"]})["result"]
    roles = [m["role"] for m in got["history"]]
    assert roles[0] == "ROLE_USER" and "ROLE_AGENT" in roles
    assert rpc(server, token, "GetTask", {"id": answer["id"], "historyLength": 1})["result"]["history"][0]["role"]

    listed = rpc(server, token, "ListTasks", {})["result"]
    assert [t["id"] for t in listed["tasks"]] == [answer["id"]] and listed["totalSize"] == 1
    other = api_key_create(owner=django_user_model.objects.create_user(username="other"), name="x", tier="pro")[1]
    assert rpc(server, other, "ListTasks", {})["result"].get("tasks", []) == []
    assert rpc(server, other, "GetTask", {"id": answer["id"]})["error"]["code"] == -32001
    again = rpc(server, token, "CancelTask", {"id": answer["id"]})
    assert again["error"]["code"] == -32002  # a completed task is not cancelable


def test_a_booking_waiting_on_the_owner_is_input_required_with_the_deadline_and_cancel_cancels_the_booking(
    server, venue, key_pair
):
    _owner_policy(venue, owner_approval_above_party_size=6, owner_decision_minutes=90)
    _, token = key_pair

    task = rpc(server, token, "SendMessage", {"message": booking_message(venue, days_ahead(2), party_size=8)})
    task = task["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"
    assert (
        "owner" in task["status"]["message"]["parts"][0]["text"]
        and "until" in task["status"]["message"]["parts"][0]["text"]
    )

    cancelled = rpc(server, token, "CancelTask", {"id": task["id"]})["result"]

    assert cancelled["status"]["state"] == "TASK_STATE_CANCELED"
    assert A2ATask.objects.get(task_id=task["id"]).booking.status == "cancelled"


def test_a_booking_short_of_a_detail_asks_for_it_on_the_same_task(server, venue, key_pair):
    _, token = key_pair
    first = {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "book Tanah Ember for 2 please"}]}
    task = rpc(server, token, "SendMessage", {"message": first})["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"

    day = days_ahead(3)
    more = {
        "messageId": "m2",
        "role": "ROLE_USER",
        "taskId": task["id"],
        "parts": [{"data": {"date": day.isoformat(), "time": "19:30"}}],
    }
    done = rpc(server, token, "SendMessage", {"message": more})["result"]["task"]

    assert done["id"] == task["id"] and done["status"]["state"] == "TASK_STATE_COMPLETED"
    assert [m["messageId"] for m in done["history"] if m["role"] == "ROLE_USER"] == ["m1", "m2"]
    finished = dict(more, messageId="m3")
    assert rpc(server, token, "SendMessage", {"message": finished})["error"]["code"] == -32004


def test_a_free_text_booking_reads_adults_and_kids_as_the_party_and_its_children(server, venue, key_pair):
    _, token = key_pair
    day = days_ahead(3)
    text = f"table for 2 adults and 2 kids on {day.isoformat()} at 7pm at Tanah Ember"
    message = {"messageId": "kids-1", "role": "ROLE_USER", "parts": [{"text": text}]}

    task = rpc(server, token, "SendMessage", {"message": message})["result"]["task"]

    booking = A2ATask.objects.get(task_id=task["id"]).booking
    assert (booking.party_size, booking.children) == (4, 2)
    assert booking.slot_start.astimezone(venue_timezone(venue)).strftime("%H:%M") == "19:00"
    shown = task["status"]["message"]["parts"][1]["data"]["result"]["booking"]
    assert shown["party_size"] == 4 and shown["children"] == 2


def test_a_follow_up_naming_kids_completes_the_party_with_its_children(server, venue, key_pair):
    _, token = key_pair
    first = {"messageId": "kids-2", "role": "ROLE_USER", "parts": [{"text": "book Tanah Ember please"}]}
    task = rpc(server, token, "SendMessage", {"message": first})["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"

    more = {
        "messageId": "kids-3",
        "role": "ROLE_USER",
        "taskId": task["id"],
        "parts": [{"text": f"3 adults and one child on {days_ahead(4).isoformat()} at 19:30"}],
    }
    rpc(server, token, "SendMessage", {"message": more})

    booking = A2ATask.objects.get(task_id=task["id"]).booking
    assert (booking.party_size, booking.children) == (4, 1)


def _countered_task(server, token, venue, settings):
    """A party of 8 waits on the owner, who offers 18:00 or 18:30 instead of 19:00."""
    from agents.booking.commands import booking_venue_counter
    from agents.tests.test_venue_agent import at

    settings.CELERY_TASK_ALWAYS_EAGER = True
    _owner_policy(venue, owner_approval_above_party_size=6)
    day = days_ahead(2)
    task = rpc(server, token, "SendMessage", {"message": booking_message(venue, day, party_size=8)})["result"]["task"]
    booking = A2ATask.objects.get(task_id=task["id"]).booking
    booking_venue_counter(booking=booking, slots=[at(day, "18:00"), at(day, "18:30")])
    countered = rpc(server, token, "GetTask", {"id": task["id"]})["result"]
    assert countered["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"
    assert "offers" in countered["status"]["message"]["parts"][0]["text"]
    return task["id"], day


def answer(task_id: str, part: dict, message_id: str) -> dict:
    return {"message": {"messageId": message_id, "role": "ROLE_USER", "taskId": task_id, "parts": [part]}}


def test_accepting_a_counter_offer_on_the_task_books_the_offered_time(server, venue, key_pair, settings):
    _, token = key_pair
    task_id, day = _countered_task(server, token, venue, settings)

    wrong = rpc(server, token, "SendMessage", answer(task_id, {"data": {"answer": "accept", "slot": "21:00"}}, "a1"))
    done = rpc(server, token, "SendMessage", answer(task_id, {"data": {"answer": "accept", "slot": "18:30"}}, "a2"))

    assert wrong["result"]["task"]["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"
    assert "not one of the offered times" in wrong["result"]["task"]["status"]["message"]["parts"][0]["text"]
    task = done["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    booking = task["artifacts"][0]["parts"][1]["data"]["result"]["booking"]
    assert booking["status"] == "confirmed" and booking["slot_start"] == f"{day.isoformat()}T18:30:00+08:00"
    row = VenueBooking.objects.get(external_ref=booking["reference"])
    assert row.status == "confirmed" and row.events.filter(reason="the guest took the offered time").exists()


def test_a_plain_yes_takes_the_first_offered_time(server, venue, key_pair, settings):
    _, token = key_pair
    task_id, day = _countered_task(server, token, venue, settings)

    done = rpc(server, token, "SendMessage", answer(task_id, {"text": "yes please"}, "y1"))["result"]["task"]

    booking = done["artifacts"][0]["parts"][1]["data"]["result"]["booking"]
    assert done["status"]["state"] == "TASK_STATE_COMPLETED"
    assert booking["slot_start"] == f"{day.isoformat()}T18:00:00+08:00"


def test_declining_a_counter_offer_cancels_the_booking_through_the_guest_cancel_command(
    server, venue, key_pair, settings
):
    _, token = key_pair
    task_id, _ = _countered_task(server, token, venue, settings)

    done = rpc(server, token, "SendMessage", answer(task_id, {"text": "decline"}, "d1"))["result"]["task"]

    assert done["status"]["state"] == "TASK_STATE_CANCELED"
    booking = A2ATask.objects.get(task_id=task_id).booking
    assert booking.status == "cancelled" and booking.status_reason == "counter-offer declined"
    # the venue's agent was told (booking.cancel), as booking_guest_cancel does
    assert booking.envelopes.filter(intent="booking.cancel").exists()


# --- protocol details ----------------------------------------------------------------------------


def test_the_endpoint_answers_with_and_without_a_trailing_slash_and_speaks_0_3(server, venue, key_pair):
    _, token = key_pair
    headers = {"Authorization": f"Bearer {token}"}
    body = {"jsonrpc": "2.0", "id": 3, "method": "ListTasks", "params": {}}
    slash = httpx.post(f"{server}/a2a/jsonrpc/", json=body, headers={**headers, "A2A-Version": "1.0"}, timeout=10)
    legacy = httpx.post(
        f"{server}/a2a/jsonrpc",
        json={
            "jsonrpc": "2.0",
            "id": 4,
            "method": "message/send",
            "params": {"message": {"messageId": "x", "role": "user", "parts": [{"kind": "text", "text": "spas"}]}},
        },
        headers=headers,
        timeout=30,
    )
    garbage = httpx.post(f"{server}/a2a/jsonrpc", content=b"\xff\xfe{", headers=headers, timeout=10)
    as_text = httpx.post(
        f"{server}/a2a/jsonrpc", content=b"{}", headers={**headers, "Content-Type": "text/plain"}, timeout=10
    )

    assert slash.status_code == 200 and "result" in slash.json()
    assert legacy.status_code == 200 and legacy.json()["result"]["kind"] == "task", legacy.text
    assert garbage.json()["error"]["code"] == -32700
    assert as_text.json()["error"]["code"] == -32005


# --- a venue's own agent: stock client, streaming, push ------------------------------------------


def test_a_stock_client_books_at_a_venue_through_its_card_streams_to_completed_and_gets_the_push(
    server, venue, key_pair, webhook_receiver, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    _, token = key_pair
    day = days_ahead(4)

    async def scenario():
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            card_url = f"{server}/agents/{venue.slug}"
            client = await create_client(card_url, client_config=ClientConfig(httpx_client=http, streaming=True))
            card = client._card
            message = new_message(
                [new_data_part({"date": day.isoformat(), "time": "19:00", "party_size": 2})],
                role=Role.ROLE_USER,
            )
            config = SendMessageConfiguration(
                task_push_notification_config=TaskPushNotificationConfig(
                    url=webhook_receiver.url("/a2a/push"),
                    token="tok-123",
                    authentication=AuthenticationInfo(scheme="Bearer", credentials="push-secret"),
                )
            )
            events = [
                event async for event in client.send_message(SendMessageRequest(message=message, configuration=config))
            ]
            task_id = next(e.task.id for e in events if e.HasField("task"))
            final = await client.get_task(GetTaskRequest(id=task_id))
            return card, events, final

    card, events, final = _run(scenario())

    assert card.capabilities.streaming and card.capabilities.push_notifications
    assert card.supported_interfaces[0].url == f"{server}/agents/{venue.slug}/a2a/jsonrpc"
    states = [
        TaskState.Name(e.status_update.status.state)
        if e.HasField("status_update")
        else TaskState.Name(e.task.status.state)
        for e in events
        if e.HasField("status_update") or e.HasField("task")
    ]
    assert states[-1] == "TASK_STATE_COMPLETED", states
    # the booking (decided within the request here) comes as an artifact on the task or as an update
    assert any(e.HasField("artifact_update") or (e.HasField("task") and e.task.artifacts) for e in events)
    assert TaskState.Name(final.status.state) == "TASK_STATE_COMPLETED"
    booking = get_data_parts(final.artifacts[0].parts)[0]["result"]["booking"]
    assert booking["venue"] == venue.slug

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
        (r.json or {}).get("task", {}).get("status", {}).get("state") == "TASK_STATE_COMPLETED"
        for r in webhook_receiver.requests
    ):
        time.sleep(0.1)
    pushed = [r for r in webhook_receiver.requests if r.path == "/a2a/push"]
    assert pushed, "no push notification arrived"
    last = pushed[-1]
    assert last.headers.get("authorization") == "Bearer push-secret"
    assert last.headers.get("x-a2a-notification-token") == "tok-123"
    assert last.json["task"]["id"] == final.id and last.json["task"]["status"]["state"] == "TASK_STATE_COMPLETED"
    assert last.headers.get("webhook-signature", "").startswith("v1,")


def test_push_configs_are_created_read_listed_and_deleted_per_task(server, venue, key_pair, webhook_receiver):
    _, token = key_pair
    search = {"messageId": "s1", "role": "ROLE_USER", "parts": [{"text": "beach clubs"}]}
    task = rpc(server, token, "SendMessage", {"message": search})["result"]["task"]
    config = {"taskId": task["id"], "id": "cfg-1", "url": webhook_receiver.url("/p"), "token": "t"}

    created = rpc(server, token, "CreateTaskPushNotificationConfig", config)["result"]
    got = rpc(server, token, "GetTaskPushNotificationConfig", {"taskId": task["id"], "id": "cfg-1"})["result"]
    listed = rpc(server, token, "ListTaskPushNotificationConfigs", {"taskId": task["id"]})["result"]
    refused = rpc(server, token, "CreateTaskPushNotificationConfig", {**config, "url": "ftp://example.com/x"})
    rpc(server, token, "DeleteTaskPushNotificationConfig", {"taskId": task["id"], "id": "cfg-1"})
    rpc(server, token, "DeleteTaskPushNotificationConfig", {"taskId": task["id"], "id": "cfg-1"})
    gone = rpc(server, token, "GetTaskPushNotificationConfig", {"taskId": task["id"], "id": "cfg-1"})

    assert created["id"] == got["id"] == "cfg-1" and got["url"] == config["url"]
    assert [c["id"] for c in listed["configs"]] == ["cfg-1"]
    assert refused["error"]["code"] == -32602
    assert gone["error"]["code"] == -32001
