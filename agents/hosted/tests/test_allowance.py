"""The allowance: reserve/settle under a row lock, never below zero, ledger = balance, resets."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.db.models import Sum

from agents.hosted import services
from agents.hosted.allowance import (
    AllowanceExhausted,
    allowance_adjust,
    allowance_reserve,
    allowance_settle,
    allowance_snapshot,
    allowances_roll_due,
)
from agents.hosted.errors import AllowanceExhaustedError
from agents.hosted.models import Allowance, CallerKind, UsageEntry
from agents.hosted.plans import RUN_FEE_MICROS
from agents.hosted.state import RunStatus
from agents.hosted.tests.conftest import make_agent

pytestmark = pytest.mark.django_db(transaction=True)

ECHO = "def handler(event):\n    return {'ok': True}\n"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(username="ops", password="x", is_staff=True, is_superuser=True)


def _ledger_sum(user) -> int:
    allowance = Allowance.objects.get(user=user)
    return (
        UsageEntry.objects.filter(user=user, period_start=allowance.period_start).aggregate(s=Sum("amount_micros"))["s"]
        or 0
    )


def test_twenty_concurrent_runs_against_an_allowance_for_five_never_go_below_zero(owner, staff):
    _, deployment = make_agent(owner, code=ECHO)
    snapshot = allowance_snapshot(user=owner)
    allowance_adjust(
        user=owner, amount=5 * RUN_FEE_MICROS - snapshot.remaining_micros, reason="test: room for five", actor=staff
    )
    outcomes: list[str] = []
    barrier = threading.Barrier(20)

    def one(index: int) -> None:
        from agents.hosted.runner import execute

        try:
            barrier.wait(timeout=30)
            try:
                run, _ = services.run_create(
                    deployment=deployment,
                    input={},
                    caller_kind=CallerKind.USER,
                    caller_ref=f"user:{owner.pk}",
                    payer=owner,
                    idempotency_key=f"c{index}",
                )
            except AllowanceExhaustedError:
                outcomes.append("refused")
                return
            outcomes.append(execute(run_id=run.pk).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    allowance = Allowance.objects.get(user=owner)
    assert len(outcomes) == 20
    assert outcomes.count(RunStatus.SUCCEEDED) == 5
    assert allowance.remaining_micros == 0 and allowance.reserved_micros == 0
    assert _ledger_sum(owner) == allowance.remaining_micros
    failed = [o for o in outcomes if o not in (RunStatus.SUCCEEDED,)]
    assert all(o in ("refused", RunStatus.FAILED) for o in failed)


def test_an_exhausted_free_allowance_refuses_with_402(owner, staff):
    _, deployment = make_agent(owner, code=ECHO)
    snapshot = allowance_snapshot(user=owner)
    allowance_adjust(user=owner, amount=-snapshot.remaining_micros, reason="test: empty", actor=staff)
    with pytest.raises(AllowanceExhaustedError) as refused:
        services.run_create(deployment=deployment, input={}, caller_kind="user", caller_ref="u", payer=owner)
    assert refused.value.status == 402
    with pytest.raises(AllowanceExhausted):
        allowance_reserve(user=owner, amount=1)


def test_a_call_costing_more_than_left_is_capped_so_the_balance_stays_at_zero(owner, staff):
    snapshot = allowance_snapshot(user=owner)
    allowance_adjust(user=owner, amount=100 - snapshot.remaining_micros, reason="test", actor=staff)
    reservation = allowance_reserve(user=owner, amount=80)
    charged = allowance_settle(reservation=reservation, cost=500)
    allowance = Allowance.objects.get(user=owner)
    assert charged == 100 and allowance.remaining_micros == 0 and _ledger_sum(owner) == 0


def test_users_cannot_raise_their_own_allowance(owner):
    with pytest.raises(PermissionError):
        allowance_adjust(user=owner, amount=10**9, reason="more please", actor=owner)


def test_a_staff_adjustment_needs_a_reason_and_writes_a_ledger_row(owner, staff):
    with pytest.raises(ValueError):
        allowance_adjust(user=owner, amount=1000, reason=" ", actor=staff)
    allowance_adjust(user=owner, amount=1000, reason="goodwill", actor=staff)
    row = UsageEntry.objects.get(user=owner, kind="adjust")
    assert row.reason == "goodwill" and row.actor == staff and row.amount_micros == 1000


def test_the_period_resets_at_the_month_boundary_lazily_and_by_the_job(owner, django_user_model, staff):
    other = django_user_model.objects.create_user(username="other", password="x")
    with time_machine.travel(datetime(2026, 3, 20, tzinfo=UTC), tick=False):
        allowance_snapshot(user=owner)
        allowance_snapshot(user=other)
        allowance_settle(reservation=allowance_reserve(user=owner, amount=500), cost=500)
    with time_machine.travel(datetime(2026, 4, 1, 0, 10, tzinfo=UTC), tick=False):
        assert allowances_roll_due() == 2
        after = Allowance.objects.get(user=owner)
        assert after.period_start == datetime(2026, 4, 1, tzinfo=UTC) and after.spent_micros == 0
        assert _ledger_sum(owner) == after.remaining_micros
        assert UsageEntry.objects.filter(user=owner, kind="expire").exists()
    with time_machine.travel(datetime(2026, 5, 2, tzinfo=UTC), tick=False):
        lazily = allowance_snapshot(user=owner)  # no job ran: the first use rolls it
        assert Allowance.objects.get(user=owner).period_start == datetime(2026, 5, 1, tzinfo=UTC)
        assert lazily.remaining_micros == Allowance.objects.get(user=owner).allowance_micros


def test_paid_plans_overage_is_metered_through_billing_usage_events(owner, staff):
    from agents.services import api_key_create
    from billing.models import ApiKeyUsageEvent

    api_key, _ = api_key_create(owner=owner, name="paid", tier="pro")
    snapshot = allowance_snapshot(user=owner)
    allowance_adjust(user=owner, amount=-snapshot.remaining_micros, reason="test: used up", actor=staff)

    reservation = allowance_reserve(user=owner, amount=30_000)  # pro: goes on past the allowance
    allowance_settle(reservation=reservation, cost=30_000, api_key=api_key)

    allowance = Allowance.objects.get(user=owner)
    assert allowance.remaining_micros == 0 and allowance.overage_micros == 30_000
    event = ApiKeyUsageEvent.objects.get(intent="hosted.overage")
    assert event.quantity * event.unit_price_cents == 3  # cents
    assert _ledger_sum(owner) == 0
