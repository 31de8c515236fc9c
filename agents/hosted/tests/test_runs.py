"""Runs: the state machine (service and database), schemas, tools, call_agent, cancel, sweeper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, InternalError, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from agents.hosted import services
from agents.hosted.errors import Conflict, InvalidRequest, NotFound, RunNotCancellable
from agents.hosted.models import AgentRun, CallerKind, HostedAgentVersion, UsageEntry
from agents.hosted.state import RunStatus
from agents.hosted.tests.conftest import make_agent, run_now

pytestmark = pytest.mark.django_db(transaction=True)

ECHO = "def handler(event):\n    log('got', event)\n    return {'echo': event['text']}\n"


def test_a_run_succeeds_with_output_trace_cost_and_timings(owner):
    _, deployment = make_agent(owner, code=ECHO, input_schema={"text": "string"}, output_schema={"echo": "string"})

    run = run_now(deployment, {"text": "hi"}, payer=owner)

    assert run.status == RunStatus.SUCCEEDED and run.output == {"echo": "hi"}
    assert run.cost_micros > 0 and run.duration_ms is not None and run.finished_at is not None
    kinds = list(run.events.values_list("kind", flat=True))
    assert kinds[0] == "status" and "log" in kinds and "output" in kinds
    assert UsageEntry.objects.filter(run=run, kind="charge").exists()


def test_flat_gofannon_schemas_become_json_schema_and_input_is_checked_by_field(owner):
    agent, deployment = make_agent(owner, code=ECHO, input_schema={"text": "string", "count": "integer"})

    assert agent.input_schema["properties"]["count"] == {"type": "integer"}
    with pytest.raises(InvalidRequest) as refused:
        services.run_create(
            deployment=deployment,
            input={"text": "x", "count": "three"},
            caller_kind=CallerKind.USER,
            caller_ref="user:1",
            payer=owner,
        )
    assert refused.value.field == "count"
    with pytest.raises(InvalidRequest) as missing:
        services.run_create(
            deployment=deployment, input={"count": 1}, caller_kind=CallerKind.USER, caller_ref="user:1", payer=owner
        )
    assert missing.value.field == "text"


def test_output_that_breaks_the_output_schema_fails_the_run(owner):
    _, deployment = make_agent(
        owner, code="def handler(event):\n    return {'echo': 5}\n", output_schema={"echo": "string"}
    )
    run = run_now(deployment, {}, payer=owner)
    assert run.status == RunStatus.FAILED and run.error_code == "output_schema" and "echo" in run.error


def test_the_database_refuses_a_transition_the_state_machine_forbids(owner):
    _, deployment = make_agent(owner, code=ECHO)
    run = run_now(deployment, {"text": "x"}, payer=owner)
    with pytest.raises(DatabaseError), transaction.atomic():
        AgentRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    with pytest.raises(RunNotCancellable):
        services.run_cancel(run=run)


def test_versions_are_immutable_and_every_save_makes_one(owner):
    agent, _ = make_agent(owner, code=ECHO)
    services.hosted_agent_update(agent=agent, actor=owner, description="second")
    assert list(agent.versions.values_list("number", flat=True)) == [2, 1]
    with pytest.raises((InternalError, IntegrityError, DatabaseError)), transaction.atomic():
        HostedAgentVersion.objects.filter(agent=agent).update(code="x")


def test_friendly_names_must_be_url_safe_and_unique(owner, stranger):
    agent, _ = make_agent(owner, code=ECHO, friendly_name="taken")
    other = services.hosted_agent_create(owner=stranger, name="Other", code=ECHO)
    with pytest.raises(Conflict):
        services.deployment_create(agent=other, friendly_name="taken")
    for bad in ("Has Caps", "../x", "a_b", "-x", ""):
        with pytest.raises(InvalidRequest):
            services.deployment_create(agent=other, friendly_name=bad)


def test_deleting_an_agent_undeploys_it(owner):
    agent, _ = make_agent(owner, code=ECHO, friendly_name="gone")
    services.hosted_agent_delete(agent=agent)
    with pytest.raises(NotFound):
        services.deployment_for_caller(friendly_name="gone", owner_id=owner.pk)


def test_someone_elses_private_agent_is_not_found_and_a_public_one_runs(owner, stranger):
    _, deployment = make_agent(owner, code=ECHO, friendly_name="mine")
    with pytest.raises(NotFound):
        services.deployment_for_caller(friendly_name="mine", owner_id=stranger.pk)
    services.deployment_create(agent=deployment.agent, friendly_name="mine", visibility="public")
    assert services.deployment_for_caller(friendly_name="mine", owner_id=stranger.pk).agent_id == deployment.agent_id


def test_an_idempotency_key_returns_the_first_run(owner):
    _, deployment = make_agent(owner, code=ECHO)
    kwargs = dict(
        deployment=deployment, input={"text": "a"}, caller_kind=CallerKind.USER, caller_ref="user:x", payer=owner
    )
    first, created = services.run_create(**kwargs, idempotency_key="k1")
    again, created_again = services.run_create(**kwargs, idempotency_key="k1")
    assert created and not created_again and first.pk == again.pk


def test_declared_tools_reach_agnt_venue_search(owner):
    from agents.tests.test_venue_agent import make_test_venue

    venue = make_test_venue(category="beach_club")
    code = (
        "def handler(event):\n"
        "    found = call_tool('venue_search', {'category': 'beach_club'})\n"
        "    return {'slugs': [v['slug'] for v in found['venues']]}\n"
    )
    _, deployment = make_agent(owner, code=code, tools=["venue_search"])
    run = run_now(deployment, {}, payer=owner)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.output == {"slugs": [venue.slug]}
    assert run.events.filter(kind="tool").exists()


def test_call_agent_rolls_cost_up_and_refuses_cycles_and_depth(owner):
    make_agent(owner, code=ECHO, name="Leaf", friendly_name="leaf")
    _, parent = make_agent(
        owner,
        code="def handler(event):\n    return call_agent('leaf', {'text': 'inner'})\n",
        name="Parent",
        friendly_name="parent",
        dependencies=["leaf"],
    )
    run = run_now(parent, {}, payer=owner)
    assert run.status == RunStatus.SUCCEEDED and run.output == {"echo": "inner"}
    child = run.children.get()
    assert child.status == RunStatus.SUCCEEDED and run.cost_micros > child.cost_micros > 0

    loop = "def handler(event):\n    return call_agent('ping', {})\n"
    _, ping = make_agent(
        owner, code=loop.replace("ping", "pong"), name="Ping", friendly_name="ping", dependencies=["pong"]
    )
    make_agent(owner, code=loop, name="Pong", friendly_name="pong", dependencies=["ping"])
    cycled = run_now(ping, {}, payer=owner)
    assert cycled.status == RunStatus.FAILED and cycled.error_code == "agent_cycle"

    chain = ["d0", "d1", "d2", "d3", "d4"]
    for here, there in zip(chain, chain[1:] + ["end"], strict=True):
        make_agent(
            owner,
            code=f"def handler(event):\n    return call_agent('{there}', {{}})\n",
            name=here,
            friendly_name=here,
            dependencies=[there],
        )
    make_agent(owner, code="def handler(event):\n    return {}\n", name="end", friendly_name="end")
    deep = run_now(services.deployment_for_caller(friendly_name="d0", owner_id=owner.pk), {}, payer=owner)
    assert deep.status == RunStatus.FAILED and deep.error_code == "depth_limit", deep.error


def test_kv_is_scoped_to_the_agents_owner_not_the_caller(owner, stranger):
    _, deployment = make_agent(
        owner,
        code="def handler(event):\n    n = kv_get('n', 0) + 1\n    kv_set('n', n)\n    return {'n': n}\n",
        friendly_name="counter",
        visibility="public",
    )
    assert run_now(deployment, {}, payer=owner).output == {"n": 1}
    assert run_now(deployment, {}, payer=stranger).output == {"n": 2}


def test_cancel_a_pending_run_and_it_never_starts(owner):
    from agents.hosted.runner import execute

    _, deployment = make_agent(owner, code=ECHO)
    run, _ = services.run_create(
        deployment=deployment, input={"text": "x"}, caller_kind=CallerKind.USER, caller_ref="u", payer=owner
    )
    services.run_cancel(run=run)
    assert execute(run_id=run.pk).status == RunStatus.CANCELLED


def test_cancel_while_running_stops_at_the_next_host_call(owner):
    code = (
        "def handler(event):\n    log('before')\n    for i in range(50):\n        log(i)\n    return {'done': True}\n"
    )
    _, deployment = make_agent(owner, code=code)
    from agents.hosted import runner

    original = runner.RunHost.log

    def log_and_cancel(self, *values):
        if values == (3,):
            services.run_cancel(run=self.run)
        return original(self, *values)

    runner.RunHost.log = log_and_cancel
    try:
        run_now_run = run_now(deployment, {}, payer=owner)
    finally:
        runner.RunHost.log = original
    assert run_now_run.status == RunStatus.CANCELLED and run_now_run.output is None
    # 'before', 0, 1, 2 were logged; the call for 3 found the run cancelled
    assert run_now_run.events.filter(kind="log").count() == 4


def test_the_sweeper_fails_a_run_whose_worker_died_and_releases_its_hold(owner):
    from agents.hosted.allowance import allowance_reserve, allowance_snapshot

    _, deployment = make_agent(owner, code=ECHO)
    run, _ = services.run_create(
        deployment=deployment, input={"text": "x"}, caller_kind=CallerKind.USER, caller_ref="u", payer=owner
    )
    started = timezone.now() - timedelta(minutes=5)
    services.run_start(run_id=run.pk, now=started)
    allowance_reserve(user=owner, amount=5000)
    services.run_hold(run=run, delta=5000)
    before = allowance_snapshot(user=owner).available_micros

    result = services.runs_sweep_stuck(now=started + timedelta(seconds=31))

    run.refresh_from_db()
    assert result["failed"] == 1 and run.status == RunStatus.FAILED and run.error_code == "worker_lost"
    assert allowance_snapshot(user=owner).available_micros == before + 5000
    assert services.runs_sweep_stuck(now=started + timedelta(seconds=29))["failed"] == 0


def test_an_async_run_executes_on_the_hosted_queue(owner, settings):
    from agents.hosted.jobs import hosted_run_execute

    assert hosted_run_execute.queue == "hosted"
    _, deployment = make_agent(owner, code=ECHO)
    run, _ = services.run_create(
        deployment=deployment,
        input={"text": "later"},
        caller_kind=CallerKind.USER,
        caller_ref="u",
        payer=owner,
        is_async=True,
    )
    run.refresh_from_db()  # eager Celery in tests: ran on commit
    assert run.status == RunStatus.SUCCEEDED and run.output == {"echo": "later"}
