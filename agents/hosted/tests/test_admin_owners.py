"""The "Hosted agent owners" group: people who write agents get a back office showing only
their own agents, versions, deployments, runs, usage, provider keys (masked) and demos."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from agents.hosted import services
from agents.hosted.allowance import allowance_snapshot
from agents.hosted.models import DemoApp, HostedAgent, ProviderKey
from agents.hosted.tests.conftest import make_agent, run_now
from agnt.roles import HOSTED_AGENT_OWNERS
from agnt.roles_setup import roles_sync

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "def handler(event):\n    log('x')\n    return {'ok': True}\n"


@pytest.fixture
def two_owners(django_user_model):
    roles_sync()
    rows = {}
    for name in ("first", "second"):
        user = django_user_model.objects.create_user(username=f"{name}-owner", password="x")
        agent, deployment = make_agent(user, code=CODE, name=f"{name} agent", friendly_name=f"{name}-agent")
        run = run_now(deployment, {}, payer=user)
        demo = services.demo_app_create(agent=agent, slug=f"{name}-demo", title=f"{name} demo", is_public=True)
        key = services.provider_key_set(owner=user, provider="anthropic", key=f"sk-ant-{name}-secret-1234")
        allowance_snapshot(user=user)
        user.refresh_from_db()
        rows[name] = {"user": user, "agent": agent, "deployment": deployment, "run": run, "demo": demo, "key": key}
    return rows


def test_writing_an_agent_puts_its_author_in_the_hosted_agent_owners_group(two_owners):
    user = two_owners["first"]["user"]
    assert user.is_staff and not user.is_superuser
    assert user.groups.filter(name=HOSTED_AGENT_OWNERS).exists()
    assert Group.objects.get(name=HOSTED_AGENT_OWNERS).permissions.filter(codename="view_agentrun").exists()


def test_an_owner_sees_only_their_own_rows_in_every_hosted_admin_list(client, two_owners):
    first, second = two_owners["first"], two_owners["second"]
    client.force_login(first["user"])
    for model, mine, theirs in (
        ("hostedagent", "first agent", "second agent"),
        ("deployment", "first-agent", "second-agent"),
        ("demoapp", "first-demo", "second-demo"),
        ("agentrun", str(first["run"].pk), str(second["run"].pk)),
        ("usageentry", first["user"].username, second["user"].username),
        ("allowance", first["user"].username, second["user"].username),
        ("providerkey", first["user"].username, second["user"].username),
    ):
        page = client.get(f"/admin/agents/{model}/")
        assert page.status_code == 200, model
        text = page.content.decode()
        assert mine in text and theirs not in text, model
    sidebar = client.get("/admin/").content.decode()
    assert "Your hosted agents" in sidebar and "Your venue" not in sidebar


def test_a_second_owner_gets_404_on_the_first_owners_objects_by_url(client, two_owners):
    first, second = two_owners["first"], two_owners["second"]
    client.force_login(second["user"])
    for model, obj in (
        ("hostedagent", first["agent"]),
        ("deployment", first["deployment"]),
        ("agentrun", first["run"]),
        ("demoapp", first["demo"]),
        ("providerkey", first["key"]),
    ):
        assert client.get(f"/admin/agents/{model}/{obj.pk}/change/").status_code == 404, model
        assert client.get(f"/admin/agents/{model}/{second[model_key(model)].pk}/change/").status_code == 200, model


def model_key(model: str) -> str:
    return {
        "hostedagent": "agent",
        "deployment": "deployment",
        "agentrun": "run",
        "demoapp": "demo",
        "providerkey": "key",
    }[model]


def test_provider_keys_are_masked_and_read_only_for_owners(client, two_owners):
    first = two_owners["first"]
    client.force_login(first["user"])
    page = client.get(f"/admin/agents/providerkey/{first['key'].pk}/change/").content.decode()
    assert "••••1234" in page and "secret" not in page and first["key"].key_encrypted not in page
    assert client.post(f"/admin/agents/providerkey/{first['key'].pk}/delete/", {"post": "yes"}).status_code == 403
    assert ProviderKey.objects.filter(pk=first["key"].pk).exists()


def test_an_owner_adds_an_agent_as_their_own_and_cannot_aim_a_demo_at_anothers_agent(client, two_owners):
    first, second = two_owners["first"], two_owners["second"]
    client.force_login(first["user"])
    form = client.get("/admin/agents/hostedagent/add/").content.decode()
    assert 'name="owner"' not in form
    created = client.post(
        "/admin/agents/hostedagent/add/",
        {
            "name": "Third",
            "code": CODE,
            "input_schema": "{}",
            "output_schema": "{}",
            "mcp_servers": "[]",
            "interaction": "form",
            "deployment-TOTAL_FORMS": "0",
            "deployment-INITIAL_FORMS": "0",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    third = HostedAgent.objects.get(name="Third")
    assert third.owner == first["user"] and third.current_version == 1

    refused = client.post(
        "/admin/agents/demoapp/add/",
        {
            "agent": str(second["agent"].pk),
            "slug": "hijack",
            "title": "Not mine",
            "rate_limit_per_minute": "10",
            "spend_cap_micros": "1000",
            "is_active": "on",
        },
    )
    assert refused.status_code == 200 and not DemoApp.objects.filter(slug="hijack").exists()
    added = client.post(
        "/admin/agents/demoapp/add/",
        {
            "agent": str(first["agent"].pk),
            "slug": "first-again",
            "title": "Mine",
            "rate_limit_per_minute": "10",
            "spend_cap_micros": "1000",
            "is_active": "on",
            "is_public": "on",
        },
    )
    assert added.status_code == 302 and DemoApp.objects.get(slug="first-again").agent == first["agent"]


def test_owners_cannot_adjust_allowances(client, two_owners):
    from agents.hosted.allowance import allowance_adjust
    from agents.hosted.models import Allowance

    first = two_owners["first"]
    client.force_login(first["user"])
    allowance = Allowance.objects.get(user=first["user"])
    client.post(f"/admin/agents/allowance/{allowance.pk}/change/", {"adjust_micros": "999999", "reason": "me"})
    with pytest.raises(PermissionError):
        allowance_adjust(user=first["user"], amount=10**6, reason="is_staff is not platform staff", actor=first["user"])
    allowance.refresh_from_db()
    assert allowance.allowance_micros == 1_000_000
