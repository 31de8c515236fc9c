"""The hosted-agent admin: pages load, saving versions, staff adjust allowances with a reason."""

from __future__ import annotations

import pytest

from agents.hosted.allowance import allowance_snapshot
from agents.hosted.models import Allowance, UsageEntry
from agents.hosted.tests.conftest import make_agent, run_now

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "def handler(event):\n    log('x')\n    return {}\n"


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser(username="root", password="x", email="r@x")
    client.force_login(admin)
    client.admin = admin
    return client


def test_every_hosted_admin_page_loads(admin_client, owner):
    _, deployment = make_agent(owner, code=CODE)
    run = run_now(deployment, {}, payer=owner)
    for path in (
        "hostedagent",
        "deployment",
        "agentrun",
        "usageentry",
        "allowance",
        "providerkey",
        "demoapp",
        "agentsession",
    ):
        assert admin_client.get(f"/admin/agents/{path}/").status_code == 200, path
    assert admin_client.get(f"/admin/agents/agentrun/{run.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/agents/hostedagent/{deployment.agent_id}/change/").status_code == 200


def test_staff_adjust_an_allowance_with_a_reason_and_the_ledger_records_it(admin_client, owner):
    allowance_snapshot(user=owner)
    allowance = Allowance.objects.get(user=owner)
    url = f"/admin/agents/allowance/{allowance.pk}/change/"
    admin_client.post(url, {"adjust_micros": "5000", "reason": "conference credit"})
    row = UsageEntry.objects.get(kind="adjust")
    assert row.amount_micros == 5000 and row.reason == "conference credit" and row.actor == admin_client.admin
    allowance.refresh_from_db()
    assert allowance.allowance_micros == 1_005_000


def test_the_cancel_action_cancels_a_pending_run(admin_client, owner):
    from agents.hosted import services
    from agents.hosted.models import AgentRun

    _, deployment = make_agent(owner, code=CODE)
    run, _ = services.run_create(deployment=deployment, input={}, caller_kind="user", caller_ref="u", payer=owner)
    admin_client.post("/admin/agents/agentrun/", {"action": "cancel_runs", "_selected_action": [str(run.pk)]})
    assert AgentRun.objects.get(pk=run.pk).status == "cancelled"
