"""The scheduled side of credits: monthly grants by plan and the expiry of promotional credits.

Both go through :func:`billing.services.credit_adjust` (row lock, ledger row, idempotency
key), so running a job twice, or two workers running it at once, changes nothing more.

Expiry follows FIFO consumption: credits spent count against the grants that lapse
soonest (credits that never lapse are spent last). When a grant lapses, only what is
left of it is removed — never more than the balance.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast
from django.utils import timezone

from agnt.models import User
from billing.models import CreditKind, CreditTransaction
from billing.services.credits import credit_adjust

logger = logging.getLogger(__name__)

GRANT_REFERENCE = CreditTransaction._meta.label_lower  # what an expiry row points at
EXPIRY_LOOKBACK = dt.timedelta(days=90)  # grants that lapsed longer ago than this were dealt with


@dataclass
class CreditLot:
    """What is left of one credit-adding ledger row, after FIFO consumption."""

    transaction_id: str
    granted: int
    remaining: int
    expires_at: dt.datetime | None
    expired: bool = False  # an expiry row already removed what was left

    def sort_key(self, position: int) -> tuple:
        # soonest-lapsing first; credits that never lapse are spent last
        return (self.expires_at is None, self.expires_at or dt.datetime.max.replace(tzinfo=dt.UTC), position)


def credit_lots(*, user: User) -> list[CreditLot]:
    """Replay the user's credit ledger and say what is left of every credit-adding row.

    Spends (and negative adjustments) draw from the soonest-lapsing lots first; an expiry
    row removes what was left of the grant it references.
    """
    rows = (
        CreditTransaction.objects.filter(user=user)
        .order_by("created_at", "id")
        .values_list("id", "amount", "kind", "expires_at", "reference_type", "reference_id")
    )
    lots: dict[str, CreditLot] = {}
    order: list[str] = []
    for pk, amount, kind, expires_at, reference_type, reference_id in rows.iterator(chunk_size=2000):
        key = str(pk)
        if amount > 0:
            lots[key] = CreditLot(transaction_id=key, granted=amount, remaining=amount, expires_at=expires_at)
            order.append(key)
            continue
        if kind == CreditKind.EXPIRY and reference_type == GRANT_REFERENCE and reference_id in lots:
            lot = lots[reference_id]
            lot.remaining = max(0, lot.remaining + amount)
            lot.expired = True
            continue
        _consume(lots, order, -amount)
    return [lots[key] for key in order]


def _consume(lots: dict[str, CreditLot], order: list[str], amount: int) -> None:
    positions = {key: i for i, key in enumerate(order)}
    for key in sorted((k for k in order if lots[k].remaining > 0), key=lambda k: lots[k].sort_key(positions[k])):
        if amount <= 0:
            return
        take = min(amount, lots[key].remaining)
        lots[key].remaining -= take
        amount -= take


@transaction.atomic
def credit_expire_for_user(*, user: User, now: dt.datetime | None = None) -> list[CreditTransaction]:
    """Remove what is left of the user's lapsed grants (one expiry row per grant, never below zero)."""
    now = now or timezone.now()
    # lock first: the lots are computed from a ledger nobody else is appending to right now
    locked = User.objects.select_for_update().only("pk", "credits").get(pk=user.pk)
    balance = locked.credits
    written = []
    for lot in credit_lots(user=locked):
        if lot.expired or lot.expires_at is None or lot.expires_at > now or lot.remaining <= 0:
            continue
        amount = min(lot.remaining, balance)
        if amount <= 0:
            continue
        entry = credit_adjust(
            user=locked,
            amount=-amount,
            kind=CreditKind.EXPIRY,
            reason=f"{amount} of {lot.granted} promotional credits lapsed on {timezone.localtime(lot.expires_at):%d %b %Y}",
            reference=(GRANT_REFERENCE, lot.transaction_id),
            idempotency_key=f"credit-expiry:{lot.transaction_id}",
        )
        balance -= amount
        written.append(entry)
    user.credits = balance
    return written


def credit_expire_due(*, now: dt.datetime | None = None, lookback: dt.timedelta = EXPIRY_LOOKBACK) -> int:
    """The credits_expiry job: expire lapsed grants of every affected user; returns the rows written."""
    now = now or timezone.now()
    already_expired = CreditTransaction.objects.filter(
        kind=CreditKind.EXPIRY, reference_type=GRANT_REFERENCE, reference_id=Cast(OuterRef("id"), CharField())
    )
    user_ids = (
        CreditTransaction.objects.filter(expires_at__lte=now, expires_at__gt=now - lookback)
        .exclude(Exists(already_expired))
        .values_list("user_id", flat=True)
        .distinct()
    )
    written = 0
    for user_id in list(user_ids):
        written += len(credit_expire_for_user(user=User(pk=user_id), now=now))
    logger.info("credits_expiry: %d expiry rows written", written)
    return written


def monthly_grant_amount(plan: str) -> int:
    return int(settings.CREDITS_MONTHLY_GRANTS.get(plan, 0))


def _month_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day.replace(day=1), dt.time.min, tzinfo=timezone.get_current_timezone())


def credit_monthly_grant(*, user: User, month: dt.date) -> CreditTransaction | None:
    """Give the user this month's credits for their plan, once (key ``monthly-grant:{user}:{yyyy-mm}``)."""
    amount = monthly_grant_amount(user.plan)
    if amount <= 0:
        return None
    valid_days = settings.CREDITS_MONTHLY_GRANT_VALID_DAYS
    expires_at = _month_start(month) + dt.timedelta(days=valid_days) if valid_days > 0 else None
    return credit_adjust(
        user=user,
        amount=amount,
        kind=CreditKind.MONTHLY_GRANT,
        reason=f"Monthly {user.plan} plan credits, {month:%B %Y}",
        idempotency_key=f"monthly-grant:{user.pk}:{month:%Y-%m}",
        expires_at=expires_at,
    )


def credit_monthly_grants_run(*, today: dt.date | None = None) -> int:
    """The monthly_credit_grants job: every active user on a plan with credits gets this month's grant once.

    Returns how many grants were written now (users already granted this month are skipped).
    """
    month = (today or timezone.localdate()).replace(day=1)
    plans = [plan for plan, amount in settings.CREDITS_MONTHLY_GRANTS.items() if amount > 0]
    done_keys = CreditTransaction.objects.filter(
        kind=CreditKind.MONTHLY_GRANT,
        idempotency_key__startswith="monthly-grant:",
        idempotency_key__endswith=f":{month:%Y-%m}",
    ).values("user_id")
    users = (
        User.objects.filter(is_active=True, plan__in=plans)
        .exclude(pk__in=done_keys)
        .only("pk", "plan", "credits")
        .order_by("pk")
    )
    written = 0
    for user in users.iterator(chunk_size=500):
        if credit_monthly_grant(user=user, month=month) is not None:
            written += 1
    logger.info("monthly_credit_grants: %d users granted credits for %s", written, f"{month:%Y-%m}")
    return written
