"""A hosted agent's A2A endpoint: a run is an A2A Task kept in PostgreSQL, driven by a real
Celery worker on the ``hosted`` queue, watched by a stock a2a-sdk client against uvicorn."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from a2a.client import ClientConfig, create_client
from a2a.helpers import get_data_parts, new_data_part, new_message
from a2a.types import (
    AuthenticationInfo,
    CancelTaskRequest,
    GetTaskRequest,
    Role,
    SendMessageConfiguration,
    SendMessageRequest,
    TaskPushNotificationConfig,
    TaskState,
)

from agents.hosted.models import AgentRun
from agents.hosted.tests.conftest import make_agent
from agents.models import A2ATask
from agents.services import api_key_create
from agents.tests.live_asgi import asgi_server  # noqa: F401 - fixture
from agents.tests.webhook_receiver import webhook_receiver  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)

# Works for a while within the plan's limits: `steps` rounds of arithmetic, a log line after
# each (a host call: where a cancelled run stops).
SLOW = """
def handler(event):
    total = 0
    for step in range(event["steps"]):
        for i in range(event["spin"]):
            total += i % 7
        log("step", step)
    return {"steps": event["steps"], "total": total}
"""
SCHEMA = {"input_schema": {"steps": "integer", "spin": "integer"}}


@pytest.fixture
def server(asgi_server, settings):
    settings.PUBLIC_BASE_URL = asgi_server
    return asgi_server


@pytest.fixture
def worker(transactional_db):
    """A real Celery worker (in a thread) on the hosted and agents queues: async runs and push
    deliveries go through the broker instead of running inside the request."""
    from celery.contrib.testing.worker import start_worker

    from agnt.celery import app

    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", queues=["hosted", "agents"], perform_ping_check=False, loglevel="ERROR"):
            yield
    finally:
        app.conf.task_always_eager = True


@pytest.fixture
def developer(django_user_model):
    user = django_user_model.objects.create_user(username="a2a-runs", password="x")
    _, token = api_key_create(owner=user, name="Partner agent", tier="pro")
    make_agent(user, code=SLOW, name="Slow worker", friendly_name="slow-worker", visibility="public", **SCHEMA)
    return user, token


def _run(coroutine, timeout: float = 90):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


def _message(steps: int, spin: int):
    return new_message([new_data_part({"steps": steps, "spin": spin})], role=Role.ROLE_USER)


def _state(event) -> str | None:
    if event.HasField("status_update"):
        return TaskState.Name(event.status_update.status.state)
    if event.HasField("task"):
        return TaskState.Name(event.task.status.state)
    return None


async def _client(server: str, token: str, http: httpx.AsyncClient, *, streaming: bool):
    return await create_client(
        f"{server}/agents/hosted/slow-worker", client_config=ClientConfig(httpx_client=http, streaming=streaming)
    )


def test_a_slow_run_streams_from_working_to_completed_with_its_output_and_push(
    server, worker, developer, webhook_receiver
):
    user, token = developer

    async def scenario():
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
            client = await _client(server, token, http, streaming=True)
            config = SendMessageConfiguration(
                task_push_notification_config=TaskPushNotificationConfig(
                    url=webhook_receiver.url("/push"),
                    token="tok-run",
                    authentication=AuthenticationInfo(scheme="Bearer", credentials="push-secret"),
                )
            )
            request = SendMessageRequest(message=_message(6, 20_000), configuration=config)
            events = [event async for event in client.send_message(request)]
            task_id = next(e.task.id for e in events if e.HasField("task"))
            final = await client.get_task(GetTaskRequest(id=task_id))
            return client._card, events, final

    card, events, final = _run(scenario())

    assert card.capabilities.streaming and card.capabilities.push_notifications
    states = [s for s in (_state(e) for e in events) if s]
    assert states[0] in ("TASK_STATE_SUBMITTED", "TASK_STATE_WORKING"), states
    assert "TASK_STATE_WORKING" in states and states[-1] == "TASK_STATE_COMPLETED", states
    assert TaskState.Name(final.status.state) == "TASK_STATE_COMPLETED"
    assert get_data_parts(final.artifacts[0].parts)[0] == {"steps": 6, "total": 6 * sum(i % 7 for i in range(20_000))}
    assert final.artifacts[0].parts[0].text.startswith('{"steps": 6')

    task = A2ATask.objects.get(task_id=final.id)
    run = AgentRun.objects.get(pk=task.hosted_run_id)
    assert run.status == "succeeded" and run.is_async and run.payer == user and run.idempotency_key == final.id
    assert task.hosted_name == "slow-worker"

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not any(
        (r.json or {}).get("task", {}).get("status", {}).get("state") == "TASK_STATE_COMPLETED"
        for r in webhook_receiver.requests
    ):
        time.sleep(0.1)
    pushed = [r for r in webhook_receiver.requests if r.path == "/push"]
    assert pushed, "no push notification arrived"
    assert pushed[-1].headers.get("x-a2a-notification-token") == "tok-run"
    assert pushed[-1].headers.get("authorization") == "Bearer push-secret"
    assert pushed[-1].json["task"]["status"]["state"] == "TASK_STATE_COMPLETED"


def test_send_message_answers_working_for_a_long_run_and_cancel_task_cancels_the_run(
    server, worker, developer, settings
):
    _, token = developer
    settings.HOSTED_A2A_WAIT_SECONDS = 1

    async def scenario():
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
            client = await _client(server, token, http, streaming=False)
            responses = [r async for r in client.send_message(SendMessageRequest(message=_message(190, 60_000)))]
            task = responses[-1].task
            seen = TaskState.Name(task.status.state)
            deadline = time.monotonic() + 30
            while seen != "TASK_STATE_WORKING" and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
                seen = TaskState.Name((await client.get_task(GetTaskRequest(id=task.id))).status.state)
            cancelled = await client.cancel_task(CancelTaskRequest(id=task.id))
            await asyncio.sleep(1)
            again = await client.get_task(GetTaskRequest(id=task.id))
            return responses[-1].task, seen, cancelled, again

    first, seen, cancelled, again = _run(scenario())

    assert TaskState.Name(first.status.state) in ("TASK_STATE_SUBMITTED", "TASK_STATE_WORKING")
    assert seen == "TASK_STATE_WORKING"
    assert TaskState.Name(cancelled.status.state) == "TASK_STATE_CANCELED"
    assert TaskState.Name(again.status.state) == "TASK_STATE_CANCELED"
    run = AgentRun.objects.get(a2a_tasks__task_id=first.id)
    assert run.status == "cancelled" and run.error_code == "cancelled"
    # the worker stops it at its next host call (a log line), far short of 190 of them:
    # the trace stops growing
    logs = run.events.filter(kind="log")
    deadline = time.monotonic() + 30
    count, steady_since = logs.count(), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - steady_since < 3:
        time.sleep(0.2)
        if logs.count() != count:
            count, steady_since = logs.count(), time.monotonic()
    assert time.monotonic() - steady_since >= 3, "the cancelled run kept logging"
    assert count < 190
    errors = list(run.events.filter(kind="error").values_list("data__code", flat=True))
    assert errors in ([], ["cancelled"]), errors
    run.refresh_from_db()
    assert run.status == "cancelled" and run.output is None


def test_a_quick_run_answers_completed_and_other_endpoints_do_not_see_its_task(server, worker, developer):
    _, token = developer
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "SendMessage",
        "params": {
            "message": {
                "messageId": str(uuid.uuid4()),
                "role": "ROLE_USER",
                "parts": [{"data": {"steps": 1, "spin": 10}}],
            }
        },
    }
    url = f"{server}/agents/hosted/slow-worker/a2a/jsonrpc"
    task = httpx.post(url, json=body, headers={**headers, "A2A-Version": "1.0"}, timeout=30).json()["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert task["artifacts"][0]["parts"][1]["data"] == {"steps": 1, "total": sum(i % 7 for i in range(10))}

    get = {"jsonrpc": "2.0", "id": 2, "method": "GetTask", "params": {"id": task["id"]}}
    platform = httpx.post(f"{server}/a2a/jsonrpc", json=get, headers={**headers, "A2A-Version": "1.0"}, timeout=30)
    assert platform.json()["error"]["code"] == -32001  # TaskNotFound: tasks belong to their endpoint
    again = httpx.post(url, json=get, headers={**headers, "A2A-Version": "1.0"}, timeout=30).json()["result"]
    assert again["status"]["state"] == "TASK_STATE_COMPLETED"


def test_a_run_the_input_schema_refuses_is_a_failed_task_naming_the_field(server, developer):
    _, token = developer
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "SendMessage",
        "params": {
            "message": {"messageId": "m-bad", "role": "ROLE_USER", "parts": [{"data": {"steps": "many", "spin": 1}}]}
        },
    }
    url = f"{server}/agents/hosted/slow-worker/a2a/jsonrpc"
    task = httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}", "A2A-Version": "1.0"}).json()
    task = task["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_FAILED"
    error = task["status"]["message"]["parts"][1]["data"]["error"]
    assert error["code"] == "invalid_request" and error["field"] == "steps"
    assert not AgentRun.objects.exists()


def _start(token_owner_key, payload):
    from agents.platform import a2a_tasks

    api_key = token_owner_key
    message = {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"data": payload}]}
    return a2a_tasks.a2a_task_run_start(api_key=api_key, friendly_name="slow-worker", message=message, payload=payload)


@pytest.fixture
def developer_key(developer):
    from agents.models import ApiKey

    return ApiKey.objects.get(owner=developer[0])


def test_a_run_cancelled_through_the_rest_api_cancels_its_task(client, developer, developer_key):
    from agnt.celery import app

    app.conf.task_always_eager = False  # no worker: the run stays queued
    try:
        task = _start(developer_key, {"steps": 1, "spin": 1})
    finally:
        app.conf.task_always_eager = True
        with app.connection_for_write() as connection:  # no later worker picks the message up
            connection.default_channel.queue_purge("hosted")
    assert task.state == "submitted" and task.hosted_run.status == "pending"

    cancelled = client.post(
        f"/a2a/v1/runs/{task.hosted_run_id}/cancel",
        data="",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {developer[1]}",
    )

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    task.refresh_from_db()
    assert task.state == "canceled" and task.task["status"]["state"] == "TASK_STATE_CANCELED"


def test_a_failing_handler_fails_its_task_with_the_error_code(developer, developer_key):
    from agents.hosted import services
    from agents.hosted.models import HostedAgent

    services.hosted_agent_update(
        agent=HostedAgent.objects.get(name="Slow worker"),
        actor=developer[0],
        code="def handler(event):\n    return 1 / 0\n",
    )
    deployment = HostedAgent.objects.get(name="Slow worker").deployment
    services.deployment_create(agent=deployment.agent, friendly_name="slow-worker", visibility="public")

    task = _start(developer_key, {"steps": 1, "spin": 1})  # eager: the run ends at commit

    task.refresh_from_db()
    run = AgentRun.objects.get(pk=task.hosted_run_id)
    assert run.status == "failed" and task.state == "failed"
    error = task.task["status"]["message"]["parts"][1]["data"]["error"]
    assert error["code"] == run.error_code and task.task["status"]["message"]["parts"][0]["text"].startswith(
        run.error_code
    )
    assert not task.task.get("artifacts")
