"""The hosted-agent routes of /a2a/v1: a developer's whole path, and what callers may not do."""

from __future__ import annotations

import json

import pytest

from agents.hosted.models import AgentRun, ProviderKey
from agents.services import api_key_create

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "def handler(event):\n    log('hello', event['name'])\n    return {'greeting': 'Hello ' + event['name']}\n"


@pytest.fixture
def dev(django_user_model):
    user = django_user_model.objects.create_user(username="hosted-dev", password="x")
    return api_key_create(owner=user, name="dev key", tier="free")


@pytest.fixture
def other(django_user_model):
    user = django_user_model.objects.create_user(username="other-dev", password="x")
    return api_key_create(owner=user, name="other key", tier="free")


def call(client, method, path, pair, body=None, **headers):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {pair[1]}", **{f"HTTP_{k.upper()}": v for k, v in headers.items()}}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    elif method == "post":
        kwargs.update(data="", content_type="application/json")
    return getattr(client, method)(f"/a2a/v1{path}", **kwargs)


def _create_and_deploy(client, pair, name="greeter", visibility="private"):
    created = call(
        client,
        "post",
        "/hosted-agents",
        pair,
        {"name": "Greeter", "code": CODE, "input_schema": {"name": "string"}, "output_schema": {"greeting": "string"}},
    )
    assert created.status_code == 201, created.content
    agent = created.json()
    deployed = call(
        client,
        "post",
        f"/hosted-agents/{agent['id']}/deployment",
        pair,
        {"friendly_name": name, "visibility": visibility},
    )
    assert deployed.status_code == 201, deployed.content
    return agent


def test_a_developer_creates_deploys_runs_follows_and_sees_the_cost(client, dev):
    agent = _create_and_deploy(client, dev)
    assert agent["input_schema"]["required"] == ["name"] and agent["version"] == 1

    ran = call(client, "post", "/agents/greeter/run", dev, {"name": "Ana"})
    assert ran.status_code == 200, ran.content
    run = ran.json()
    assert run["status"] == "succeeded" and run["output"] == {"greeting": "Hello Ana"} and run["cost_micros"] > 0

    started = call(client, "post", "/agents/greeter/runs", dev, {"name": "Budi"}, Idempotency_Key="once")
    assert started.status_code == 202
    again = call(client, "post", "/agents/greeter/runs", dev, {"name": "Budi"}, Idempotency_Key="once")
    assert again.status_code == 200 and again.json()["id"] == started.json()["id"]
    fetched = call(client, "get", f"/runs/{started.json()['id']}", dev).json()
    assert fetched["status"] == "succeeded" and fetched["output"] == {"greeting": "Hello Budi"}

    events = call(client, "get", f"/runs/{run['id']}/events", dev)
    assert events["Content-Type"].startswith("text/event-stream")
    text = events.content.decode()
    assert "event: log" in text and "hello" in text and "event: end" in text

    usage = call(client, "get", "/usage", dev).json()
    assert usage["spent_micros"] == run["cost_micros"] + fetched["cost_micros"]
    assert usage["remaining_micros"] == usage["allowance_micros"] - usage["spent_micros"]
    assert [e["kind"] for e in usage["entries"]][-1] == "grant"

    versions = call(client, "get", f"/hosted-agents/{agent['id']}/versions", dev).json()["items"]
    patched = call(client, "patch", f"/hosted-agents/{agent['id']}", dev, {"description": "v2"}).json()
    assert patched["version"] == 2 and len(versions) == 1
    assert patched["deployment"]["version"] == 1  # the deployment stays pinned


def test_schema_invalid_input_is_a_422_naming_the_field(client, dev):
    _create_and_deploy(client, dev)
    refused = call(client, "post", "/agents/greeter/run", dev, {"name": 5})
    assert refused.status_code == 422 and refused["Content-Type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == "name"


def test_a_run_on_someone_elses_private_agent_is_404(client, dev, other):
    _create_and_deploy(client, dev)
    assert call(client, "post", "/agents/greeter/run", other, {"name": "x"}).status_code == 404
    run = call(client, "post", "/agents/greeter/run", dev, {"name": "x"}).json()
    assert call(client, "get", f"/runs/{run['id']}", other).status_code == 404
    assert call(client, "post", f"/runs/{run['id']}/cancel", other).status_code == 404


def test_a_taken_or_unsafe_friendly_name_is_refused(client, dev, other):
    _create_and_deploy(client, dev)
    created = call(client, "post", "/hosted-agents", other, {"name": "Mine", "code": CODE}).json()
    taken = call(client, "post", f"/hosted-agents/{created['id']}/deployment", other, {"friendly_name": "greeter"})
    assert taken.status_code == 409
    unsafe = call(client, "post", f"/hosted-agents/{created['id']}/deployment", other, {"friendly_name": "../etc"})
    assert unsafe.status_code == 422 and unsafe.json()["errors"][0]["field"] == "friendly_name"


def test_deleting_an_agent_undeploys_it(client, dev):
    agent = _create_and_deploy(client, dev)
    assert call(client, "delete", f"/hosted-agents/{agent['id']}", dev).status_code == 204
    assert call(client, "post", "/agents/greeter/run", dev, {"name": "x"}).status_code == 404
    assert call(client, "get", f"/hosted-agents/{agent['id']}", dev).status_code == 404


def test_cancel_a_finished_run_is_a_409(client, dev):
    _create_and_deploy(client, dev)
    run = call(client, "post", "/agents/greeter/run", dev, {"name": "x"}).json()
    assert call(client, "post", f"/runs/{run['id']}/cancel", dev).status_code == 409


def test_provider_keys_are_encrypted_and_never_returned(client, dev, settings):
    from cryptography.fernet import Fernet

    put = call(client, "put", "/provider-keys/anthropic", dev, {"key": "sk-ant-secret-1234"})
    assert put.status_code == 200 and "sk-ant" not in put.content.decode() and put.json()["last_four"] == "1234"
    listed = call(client, "get", "/provider-keys", dev)
    assert "secret" not in listed.content.decode() and listed.json()["items"][0]["last_four"] == "1234"
    row = ProviderKey.objects.get()
    assert "secret" not in row.key_encrypted

    from agents.hosted.services import provider_keys_rotate
    from agnt.crypto import decrypt_text

    settings.FERNET_KEYS = [Fernet.generate_key().decode(), *settings.FERNET_KEYS]
    assert provider_keys_rotate() == 1
    settings.FERNET_KEYS = settings.FERNET_KEYS[:1]
    row.refresh_from_db()
    assert decrypt_text(row.key_encrypted) == "sk-ant-secret-1234"

    unknown = call(client, "put", "/provider-keys/openai-ish", dev, {"key": "sk-whatever-1"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "provider"
    assert call(client, "delete", "/provider-keys/anthropic", dev).status_code == 204


def test_generate_returns_a_working_template_offline(client, dev):
    generated = call(
        client,
        "post",
        "/hosted-agents/generate",
        dev,
        {
            "description": "Find venues",
            "input_schema": {"query": "string"},
            "output_schema": {"summary": "string"},
            "tools": ["venue_search"],
        },
    )
    assert generated.status_code == 200, generated.content
    body = generated.json()
    assert body["source"] == "template" and "def handler(event)" in body["code"]
    created = call(
        client,
        "post",
        "/hosted-agents",
        dev,
        {
            "name": "Gen",
            "code": body["code"],
            "input_schema": body["input_schema"],
            "output_schema": body["output_schema"],
            "tools": ["venue_search"],
        },
    ).json()
    call(client, "post", f"/hosted-agents/{created['id']}/deployment", dev, {"friendly_name": "gen"})
    run = call(client, "post", "/agents/gen/run", dev, {"query": "sunset"}).json()
    assert run["status"] == "succeeded", run["error"]


def test_an_exhausted_allowance_is_a_402_problem(client, dev, django_user_model):
    from agents.hosted.allowance import allowance_adjust, allowance_snapshot

    staff = django_user_model.objects.create_user(username="ops", password="x", is_staff=True, is_superuser=True)
    _create_and_deploy(client, dev)
    owner = dev[0].owner
    allowance_adjust(user=owner, amount=-allowance_snapshot(user=owner).remaining_micros, reason="test", actor=staff)
    refused = call(client, "post", "/agents/greeter/run", dev, {"name": "x"})
    assert refused.status_code == 402 and refused.json()["code"] == "allowance_exhausted"
    assert not AgentRun.objects.exists()
