"""Demo pages: a form from the input schema, escaped output, token, rate limit, spend cap, privacy."""

from __future__ import annotations

import re

import pytest

from agents.hosted.models import AgentRun, DemoApp
from agents.hosted.tests.conftest import make_agent

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "def handler(event):\n    return {'html': '<script>alert(1)</script>', 'n': event['guests'] * 2}\n"


@pytest.fixture
def demo(owner):
    agent, _ = make_agent(
        owner,
        code=CODE,
        friendly_name="doubler",
        input_schema={
            "type": "object",
            "properties": {"guests": {"type": "integer", "title": "Guests"}},
            "required": ["guests"],
        },
    )
    return DemoApp.objects.create(agent=agent, slug="doubler", title="Doubler", is_public=True, rate_limit_per_minute=3)


def _token(page) -> str:
    return re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)


def test_the_page_renders_a_form_from_the_schema_and_shows_escaped_output(client, demo):
    page = client.get("/demos/doubler")
    assert (
        page.status_code == 200
        and 'name="guests"' in page.content.decode()
        and 'type="number"' in page.content.decode()
    )

    result = client.post("/demos/doubler", {"token": _token(page), "guests": "4"})
    body = result.content.decode()
    assert result.status_code == 200 and "&quot;n&quot;: 8" in body
    assert "<script>alert" not in body and "&lt;script&gt;" in body
    run = AgentRun.objects.get()
    assert run.caller_kind == "demo" and run.payer_id == demo.agent.owner_id
    demo.refresh_from_db()
    assert demo.spent_micros == run.cost_micros > 0


def test_a_post_without_the_demo_token_is_refused(client, demo):
    assert client.post("/demos/doubler", {"token": "forged", "guests": "1"}).status_code == 403
    assert not AgentRun.objects.exists()


def test_the_demo_has_its_own_rate_limit_and_spend_cap(client, demo):
    token = _token(client.get("/demos/doubler"))
    statuses = [client.post("/demos/doubler", {"token": token, "guests": "1"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    DemoApp.objects.filter(pk=demo.pk).update(spend_cap_micros=1, rate_limit_per_minute=100)
    assert client.post("/demos/doubler", {"token": token, "guests": "1"}).status_code == 402


def test_a_bad_value_names_the_field(client, demo):
    token = _token(client.get("/demos/doubler"))
    page = client.post("/demos/doubler", {"token": token, "guests": "many"})
    assert page.status_code == 422 and "Guests must be a integer" in page.content.decode()


def test_a_private_demo_needs_the_owners_login(client, demo, owner, stranger):
    DemoApp.objects.filter(pk=demo.pk).update(is_public=False)
    assert client.get("/demos/doubler").status_code == 404
    client.force_login(stranger)
    assert client.get("/demos/doubler").status_code == 404
    client.force_login(owner)
    assert client.get("/demos/doubler").status_code == 200


def test_a_chat_agent_keeps_the_conversation_as_a_session(client, owner):
    from agents.hosted.models import AgentSession

    agent, _ = make_agent(
        owner,
        code="def handler(event):\n    return {'reply': 'You said ' + event['message'] + ' (' + str(len(event['history'])) + ')'}\n",
        friendly_name="chatty",
        interaction="chat",
    )
    DemoApp.objects.create(agent=agent, slug="chatty", title="Chatty", is_public=True)
    token = _token(client.get("/demos/chatty"))
    client.post("/demos/chatty", {"token": token, "message": "hi"})
    page = client.post("/demos/chatty", {"token": token, "message": "again"})
    assert "You said again (2)" in page.content.decode()
    assert len(AgentSession.objects.get().messages) == 4
