"""Owners manage their agents' demo pages through /a2a/v1: create, list, change, delete."""

from __future__ import annotations

import re

import pytest

from agents.hosted.models import DemoApp
from agents.hosted.tests.test_api import _create_and_deploy, call
from agents.services import api_key_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dev(django_user_model):
    user = django_user_model.objects.create_user(username="demo-dev", password="x")
    return api_key_create(owner=user, name="dev key", tier="free")


@pytest.fixture
def other(django_user_model):
    user = django_user_model.objects.create_user(username="demo-other", password="x")
    return api_key_create(owner=user, name="other key", tier="free")


DEMO = {
    "slug": "greeter-demo",
    "title": "Say hello",
    "visibility": "public",
    "rate_limit_per_minute": 5,
    "spend_cap_micros": 50_000,
}


def test_an_owner_creates_a_demo_and_its_public_page_runs_the_agent(client, dev, settings):
    settings.PUBLIC_BASE_URL = "https://agnt.example"
    agent = _create_and_deploy(client, dev)

    created = call(client, "post", f"/hosted-agents/{agent['id']}/demos", dev, DEMO)

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["url"] == "https://agnt.example/demos/greeter-demo"
    assert (body["visibility"], body["rate_limit_per_minute"], body["spend_cap_micros"]) == ("public", 5, 50_000)
    page = client.get("/demos/greeter-demo")
    assert page.status_code == 200 and "Say hello" in page.content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    ran = client.post("/demos/greeter-demo", {"token": token, "name": "Ana"})
    assert "Hello Ana" in ran.content.decode()
    listed = call(client, "get", f"/hosted-agents/{agent['id']}/demos", dev).json()["items"]
    assert [d["slug"] for d in listed] == ["greeter-demo"] and listed[0]["spent_micros"] > 0


def test_an_owner_changes_and_deletes_a_demo(client, dev):
    agent = _create_and_deploy(client, dev)
    call(client, "post", f"/hosted-agents/{agent['id']}/demos", dev, DEMO)

    changed = call(
        client,
        "patch",
        f"/hosted-agents/{agent['id']}/demos/greeter-demo",
        dev,
        {"visibility": "private", "title": "Hello, privately", "spend_cap_micros": 0},
    )

    assert changed.status_code == 200, changed.content
    assert changed.json()["visibility"] == "private" and changed.json()["title"] == "Hello, privately"
    assert client.get("/demos/greeter-demo").status_code == 404  # private: only the signed-in owner
    gone = call(client, "delete", f"/hosted-agents/{agent['id']}/demos/greeter-demo", dev)
    assert gone.status_code == 204 and not DemoApp.objects.exists()
    assert call(client, "get", f"/hosted-agents/{agent['id']}/demos/greeter-demo", dev).status_code == 404


def test_another_users_agent_and_demos_are_not_found(client, dev, other):
    agent = _create_and_deploy(client, dev)
    call(client, "post", f"/hosted-agents/{agent['id']}/demos", dev, DEMO)

    assert call(client, "post", f"/hosted-agents/{agent['id']}/demos", other, {**DEMO, "slug": "x"}).status_code == 404
    assert call(client, "get", f"/hosted-agents/{agent['id']}/demos", other).status_code == 404
    refused = call(client, "patch", f"/hosted-agents/{agent['id']}/demos/greeter-demo", other, {"title": "mine"})
    assert refused.status_code == 404 and refused["content-type"] == "application/problem+json"
    assert call(client, "delete", f"/hosted-agents/{agent['id']}/demos/greeter-demo", other).status_code == 404
    assert DemoApp.objects.get().title == "Say hello"


@pytest.mark.parametrize("slug", ["Bad Slug", "-edge", "x" * 65, "ünïcode", ""])
def test_a_bad_slug_is_a_422_naming_the_field(client, dev, slug):
    agent = _create_and_deploy(client, dev)

    refused = call(client, "post", f"/hosted-agents/{agent['id']}/demos", dev, {**DEMO, "slug": slug})

    assert refused.status_code == 422, refused.content
    assert [e["field"] for e in refused.json()["errors"]] == ["slug"]
    assert not DemoApp.objects.exists()


def test_a_taken_slug_is_a_conflict_and_an_undeployed_agent_gets_no_demo(client, dev, other):
    agent = _create_and_deploy(client, dev)
    call(client, "post", f"/hosted-agents/{agent['id']}/demos", dev, DEMO)
    theirs = _create_and_deploy(client, other, name="their-greeter")

    taken = call(client, "post", f"/hosted-agents/{theirs['id']}/demos", other, DEMO)
    assert taken.status_code == 409 and taken.json()["errors"][0]["field"] == "slug"

    call(client, "delete", f"/hosted-agents/{theirs['id']}/deployment", other)
    undeployed = call(client, "post", f"/hosted-agents/{theirs['id']}/demos", other, {**DEMO, "slug": "theirs"})
    assert undeployed.status_code == 409
    bad = call(
        client, "post", f"/hosted-agents/{agent['id']}/demos", dev, {**DEMO, "slug": "ok", "spend_cap_micros": -1}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "spend_cap_micros"
