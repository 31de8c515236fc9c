"""The monthly allowance: reserve before a costed call, settle after it, under a row lock.

Rules (docs/hosted-agents.md, "Allowance"):

- amounts are integer micro-dollars; the row is always taken with ``SELECT … FOR UPDATE``;
- ``allowance − spent − reserved`` never goes below zero (a CHECK constraint too);
- a reservation the allowance cannot cover raises :class:`AllowanceExhausted` (402) on the
  free plan; paid plans go on and what they use past the allowance is *overage*, metered
  to Stripe in whole cents through billing's usage events (the existing meter-event path);
- a call that costs more than it reserved is charged at most what is left (free plans) —
  the balance never goes negative;
- the period is a calendar month (UTC). It rolls over lazily on the first use after its
  end and in the ``allowance_monthly_reset`` job: the unused remainder expires (ledger
  row) and the plan's allowance is granted again (ledger row);
- only staff change an allowance by hand (admin), with a reason, through
  :func:`allowance_adjust` — which writes a ledger row. There is no user-facing way.

The entries of one period always sum to ``remaining_micros`` (``allowance − spent``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from agents.hosted.models import Allowance, UsageEntry, UsageKind
from agents.hosted.plans import plan_for
from agnt.models import ApiTier
from agnt.roles import is_platform_staff

MICROS_PER_CENT = 10_000
_TIER_RANK = {ApiTier.FREE: 0, ApiTier.PRO: 1, ApiTier.ENTERPRISE: 2}


class AllowanceExhausted(Exception):
    """The payer's allowance cannot cover this call (free plan)."""

    def __init__(self, detail: str, *, available: int = 0):
        super().__init__(detail)
        self.detail = detail
        self.available = available


@dataclass
class Reservation:
    user_id: object
    amount: int  # µ$ held on the allowance
    overage_ok: bool  # a paid plan may use more than it reserved


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    now = now.astimezone(UTC)
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def user_plan(user) -> str:
    """The user's hosted plan: the best tier among their active API keys (free without one)."""
    from agents.models import ApiKey

    tiers = ApiKey.objects.filter(owner=user, revoked_at__isnull=True).values_list("tier", flat=True)
    return max(tiers, key=lambda t: _TIER_RANK.get(t, 0), default=ApiTier.FREE)


def _entry(allowance: Allowance, *, kind: str, amount: int, overage: int = 0, **extra) -> UsageEntry:
    return UsageEntry.objects.create(
        user_id=allowance.user_id,
        kind=kind,
        amount_micros=amount,
        overage_micros=overage,
        balance_after_micros=allowance.remaining_micros,
        period_start=allowance.period_start,
        **extra,
    )


def _open_period(allowance: Allowance, *, now: datetime) -> None:
    start, end = month_bounds(now)
    plan = user_plan(allowance.user)
    allowance.plan = plan
    allowance.period_start, allowance.period_end = start, end
    allowance.allowance_micros = plan_for(plan).allowance_micros
    allowance.spent_micros = 0
    allowance.reserved_micros = 0
    allowance.overage_micros = 0
    allowance.overage_metered_cents = 0
    allowance.save()
    _entry(allowance, kind=UsageKind.GRANT, amount=allowance.allowance_micros, description=f"{plan} plan allowance")


def _roll(allowance: Allowance, *, now: datetime) -> None:
    """Close a period that has ended: expire what is left, grant the next period."""
    if now < allowance.period_end:
        return
    if allowance.reserved_micros:
        # calls still in flight keep their hold; the period rolls on the next use after they settle
        return
    left = allowance.remaining_micros
    if left:
        allowance.spent_micros = allowance.allowance_micros
        allowance.save(update_fields=["spent_micros", "updated_at"])
        _entry(allowance, kind=UsageKind.EXPIRE, amount=-left, description="unused allowance expired")
    _open_period(allowance, now=now)


def allowance_locked(*, user, now: datetime | None = None) -> Allowance:
    """The user's allowance row, locked, with its period current. Call inside a transaction."""
    now = now or timezone.now()
    allowance = Allowance.objects.select_for_update().filter(user=user).first()
    if allowance is None:
        start, end = month_bounds(now)
        Allowance.objects.get_or_create(user=user, defaults={"period_start": start, "period_end": start})
        allowance = Allowance.objects.select_for_update().get(user=user)
        if allowance.period_end <= allowance.period_start:  # brand new: open its first period
            _open_period(allowance, now=now)
            return allowance
    _roll(allowance, now=now)
    return allowance


@transaction.atomic
def allowance_reserve(*, user, amount: int, now: datetime | None = None) -> Reservation:
    allowance = allowance_locked(user=user, now=now)
    plan = plan_for(allowance.plan)
    if allowance.available_micros >= amount:
        held = amount
    elif plan.overage_metered:
        held = allowance.available_micros
    else:
        raise AllowanceExhausted(
            f"the {allowance.plan} allowance is used up for this month "
            f"({allowance.available_micros} µ$ available, {amount} µ$ needed); it renews on "
            f"{allowance.period_end.date().isoformat()}",
            available=allowance.available_micros,
        )
    allowance.reserved_micros += held
    allowance.save(update_fields=["reserved_micros", "updated_at"])
    return Reservation(user_id=user.pk, amount=held, overage_ok=plan.overage_metered)


@transaction.atomic
def allowance_settle(
    *,
    reservation: Reservation,
    cost: int,
    run=None,
    description: str = "",
    api_key=None,
    now: datetime | None = None,
) -> int:
    """Release ``reservation`` and charge ``cost``; returns what was charged to the allowance
    (the rest, on a paid plan, is overage)."""
    from agnt.models import User

    user = User.objects.get(pk=reservation.user_id)
    allowance = allowance_locked(user=user, now=now)
    allowance.reserved_micros = max(0, allowance.reserved_micros - reservation.amount)
    cost = max(0, int(cost))
    charged = min(cost, allowance.available_micros)
    excess = cost - charged if reservation.overage_ok else 0
    allowance.spent_micros += charged
    allowance.overage_micros += excess
    allowance.save(update_fields=["reserved_micros", "spent_micros", "overage_micros", "updated_at"])
    agent_id = getattr(run, "agent_id", None)
    if charged:
        _entry(allowance, kind=UsageKind.CHARGE, amount=-charged, run=run, agent_id=agent_id, description=description)
    if excess:
        _entry(
            allowance,
            kind=UsageKind.OVERAGE,
            amount=0,
            overage=excess,
            run=run,
            agent_id=agent_id,
            description=description,
        )
        _meter_overage(allowance, api_key=api_key)
    return charged


def _meter_overage(allowance: Allowance, *, api_key=None) -> None:
    """Send the overage's new whole cents to billing's usage events (Stripe meter events)."""
    from agents.models import ApiKey
    from billing.services.commerce import api_usage_record

    cents = allowance.overage_micros // MICROS_PER_CENT
    new = cents - allowance.overage_metered_cents
    if new <= 0:
        return
    key = api_key if api_key is not None and api_key.owner_id == allowance.user_id else None
    key = (
        key
        or ApiKey.objects.filter(owner_id=allowance.user_id, revoked_at__isnull=True).order_by("-created_at").first()
    )
    if key is None:
        return
    api_usage_record(
        api_key=key,
        intent="hosted.overage",
        request_id=f"hosted-overage:{allowance.pk}:{allowance.period_start:%Y%m}:{allowance.overage_metered_cents}",
        quantity=new,
        unit_price_cents=1,
        metadata={"period_start": allowance.period_start.isoformat()},
    )
    allowance.overage_metered_cents = cents
    allowance.save(update_fields=["overage_metered_cents", "updated_at"])


@transaction.atomic
def allowance_adjust(*, user, amount: int, reason: str, actor, now: datetime | None = None) -> Allowance:
    """Staff only: add (or take back) ``amount`` µ$ of this period's allowance, with a reason."""
    if actor is None or not is_platform_staff(actor):
        raise PermissionError("only staff may adjust an allowance")
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("an adjustment needs a reason")
    allowance = allowance_locked(user=user, now=now)
    if allowance.allowance_micros + amount < allowance.spent_micros + allowance.reserved_micros:
        raise ValueError("that would take the allowance below what is already spent")
    allowance.allowance_micros += amount
    allowance.save(update_fields=["allowance_micros", "updated_at"])
    _entry(allowance, kind=UsageKind.ADJUST, amount=amount, reason=reason[:300], actor=actor, description="staff")
    return allowance


@transaction.atomic
def allowance_reset(*, user, reason: str, actor, now: datetime | None = None) -> Allowance:
    """Staff only: start the period over (unused remainder expires, the plan's allowance is granted)."""
    if actor is None or not is_platform_staff(actor):
        raise PermissionError("only staff may reset an allowance")
    if not (reason or "").strip():
        raise ValueError("a reset needs a reason")
    allowance = allowance_locked(user=user, now=now)
    left = allowance.remaining_micros
    if left:
        allowance.spent_micros = allowance.allowance_micros
        allowance.save(update_fields=["spent_micros", "updated_at"])
        _entry(allowance, kind=UsageKind.EXPIRE, amount=-left, reason=reason[:300], actor=actor)
    _open_period(allowance, now=now or timezone.now())
    return allowance


def allowances_roll_due(*, now: datetime | None = None) -> int:
    """Roll every allowance whose period has ended (the allowance_monthly_reset job)."""
    now = now or timezone.now()
    rolled = 0
    for user_id in Allowance.objects.filter(period_end__lte=now).values_list("user_id", flat=True):
        with transaction.atomic():
            allowance = Allowance.objects.select_for_update().get(user_id=user_id)
            before = allowance.period_start
            _roll(allowance, now=now)
            rolled += allowance.period_start != before
    return rolled


@dataclass
class Snapshot:
    plan: str
    available_micros: int
    remaining_micros: int
    overage_ok: bool
    period_end: datetime


@transaction.atomic
def allowance_snapshot(*, user, now: datetime | None = None) -> Snapshot:
    """The allowance as it stands (rolling its period if due)."""
    allowance = allowance_locked(user=user, now=now)
    return Snapshot(
        plan=allowance.plan,
        available_micros=allowance.available_micros,
        remaining_micros=allowance.remaining_micros,
        overage_ok=plan_for(allowance.plan).overage_metered,
        period_end=allowance.period_end,
    )
