"""Credit balances and referrals.

A credit balance changes only in :func:`credit_adjust`, under ``SELECT … FOR UPDATE`` on
the user row, together with the append-only ledger row that explains it.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from agnt.models import User
from agnt.transitions import transition
from billing import state
from billing.models import (
    CREDIT_KINDS_ADDING,
    CREDIT_KINDS_REMOVING,
    CreditKind,
    CreditTransaction,
    Referral,
    ReferralStatus,
)
from billing.services.errors import (
    IdempotencyConflict,
    InsufficientCredits,
    InvalidTransition,
    ReferralError,
)
from venues.models import AmbassadorStatus, CityAmbassador

Reference = Model | tuple[str, str] | None


def _reference(reference: Reference) -> tuple[str, str]:
    if reference is None:
        return "", ""
    if isinstance(reference, Model):
        return reference._meta.label_lower, str(reference.pk)
    kind, ident = reference
    return str(kind)[:64], str(ident)[:64]


def _replayed_credit(key: str, *, user_id, amount: int, kind: str) -> CreditTransaction | None:
    existing = CreditTransaction.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if existing.user_id != user_id or existing.amount != amount or existing.kind != kind:
        raise IdempotencyConflict(f"idempotency key {key!r} was already used for a different credit change")
    return existing


# The row lock on the user is held from SELECT … FOR UPDATE until COMMIT, so on a busy
# account throughput is 1 / (time the lock is held). We therefore lock, check, append and
# move the balance in ONE statement: the lock is taken inside it and only COMMIT follows.
# - ``locked`` takes the row lock; under READ COMMITTED, a call that queued behind
#   another reads the balance that one committed (never a stale one: no lost update);
# - ``entry`` appends the ledger row only if the new balance is not negative, and not if a
#   concurrent call with the same idempotency key committed first (ON CONFLICT);
# - the UPDATE moves the balance only if the ledger row was written.
# No row back means: a replay, or not enough credits (the caller sorts out which).
# bench/credits.py measures it against a plain UPDATE of one row.
_SPEND_SQL = """
WITH locked AS (
    SELECT id, credits + %(amount)s AS balance FROM {users} WHERE id = %(user_id)s FOR UPDATE
), entry AS (
    INSERT INTO {ledger} ({columns})
    SELECT {values} FROM locked WHERE locked.balance >= 0
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING balance_after, created_at
)
UPDATE {users} AS u SET credits = entry.balance_after, updated_at = entry.created_at
  FROM entry WHERE u.id = %(user_id)s
RETURNING u.credits, entry.created_at
"""
# ledger columns and what the statement puts in them ("locked.*" comes from the locked row)
# created_at is clock_timestamp(), read once the lock is held, not the transaction's start
# (the column default): a call that began before ours but queued behind us on the lock
# must sort after us, so "the latest row" always carries the current balance.
_LEDGER_VALUES = {
    "id": "%(id)s",
    "created_at": "clock_timestamp()",
    "user": "locked.id",
    "amount": "%(amount)s",
    "balance_after": "locked.balance",
    "kind": "%(kind)s",
    "reason": "%(reason)s",
    "reference_type": "%(reference_type)s",
    "reference_id": "%(reference_id)s",
    "idempotency_key": "%(idempotency_key)s",
    "expires_at": "%(expires_at)s",
    "created_by": "%(created_by_id)s",
}


@functools.cache
def _spend_sql() -> str:
    quote = connection.ops.quote_name
    fields = [CreditTransaction._meta.get_field(name) for name in _LEDGER_VALUES]
    values = [
        # typed placeholders: an untyped NULL in INSERT … SELECT would be read as text
        f"CAST({expression} AS {field.db_type(connection)})" if expression.startswith("%(") else expression
        for field, expression in zip(fields, _LEDGER_VALUES.values(), strict=True)
    ]
    return _SPEND_SQL.format(
        users=quote(User._meta.db_table),
        ledger=quote(CreditTransaction._meta.db_table),
        columns=", ".join(quote(f.column) for f in fields),
        values=", ".join(values),
    )


@transaction.atomic
def credit_adjust(
    *,
    user: User,
    amount: int,
    kind: str,
    reason: str,
    reference: Reference = None,
    idempotency_key: str | None = None,
    expires_at: dt.datetime | None = None,
    created_by: User | None = None,
) -> CreditTransaction:
    """Change a user's credit balance by ``amount`` and append the ledger row that explains it.

    Locks the user row first, so concurrent spends queue up instead of both reading the
    same balance. Refuses to go below zero (:class:`InsufficientCredits`). A repeated
    ``idempotency_key`` returns the row written the first time and changes nothing.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise ValueError("amount must be a non-zero integer")
    if kind not in CreditKind.values:
        raise ValueError(f"unknown credit kind {kind!r}")
    if (kind in CREDIT_KINDS_ADDING and amount < 0) or (kind in CREDIT_KINDS_REMOVING and amount > 0):
        raise ValueError(f"a {kind} cannot move credits by {amount:+d}")
    if expires_at is not None and amount < 0:
        raise ValueError("only added credits can expire")

    # No look-up of the idempotency key first: the statement's ON CONFLICT finds a replay,
    # and every query we save is CPU the account's next debit does not wait for.
    reference_type, reference_id = _reference(reference)
    entry = CreditTransaction(
        user_id=user.pk,
        amount=amount,
        kind=kind,
        reason=reason[:300],
        reference_type=reference_type,
        reference_id=reference_id,
        idempotency_key=idempotency_key or None,
        expires_at=expires_at,
        created_by=created_by,
    )
    params = {
        "id": entry.id,
        "user_id": user.pk,
        "amount": amount,
        "kind": kind,
        "reason": entry.reason,
        "reference_type": reference_type,
        "reference_id": reference_id,
        "idempotency_key": entry.idempotency_key,
        "expires_at": expires_at,
        "created_by_id": created_by.pk if created_by else None,
    }
    with connection.cursor() as cursor:
        cursor.execute(_spend_sql(), params)
        moved = cursor.fetchone()
    if moved is None:
        # We hold the lock now (the statement took it). Either the key was used before — a
        # replay, possibly by a call that committed while we waited — or the balance does not
        # cover the debit.
        if idempotency_key and (done := _replayed_credit(idempotency_key, user_id=user.pk, amount=amount, kind=kind)):
            return done
        current = User.objects.filter(pk=user.pk).values_list("credits", flat=True).first()
        if current is None:
            raise User.DoesNotExist(f"no user {user.pk}")
        raise InsufficientCredits(balance=current, requested=-amount)
    balance, entry.created_at = moved
    entry.balance_after = balance
    entry._state.adding = False
    entry._state.db = connection.alias
    user.credits = balance  # keep the caller's instance truthful
    return entry


def credit_grant(
    *,
    user: User,
    amount: int,
    reason: str,
    kind: str = CreditKind.GRANT,
    reference: Reference = None,
    idempotency_key: str | None = None,
    expires_at: dt.datetime | None = None,
    created_by: User | None = None,
) -> CreditTransaction:
    """Add ``amount`` (> 0) credits: a grant, purchase, refund, monthly grant or reward."""
    if amount <= 0:
        raise ValueError("a grant adds a positive number of credits")
    return credit_adjust(
        user=user,
        amount=amount,
        kind=kind,
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
        expires_at=expires_at,
        created_by=created_by,
    )


def credit_spend(
    *, user: User, amount: int, reason: str, reference: Reference = None, idempotency_key: str | None = None
) -> CreditTransaction:
    """Take ``amount`` (> 0) credits; raises InsufficientCredits rather than going negative."""
    if amount <= 0:
        raise ValueError("a spend removes a positive number of credits")
    return credit_adjust(
        user=user,
        amount=-amount,
        kind=CreditKind.SPEND,
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
    )


def _referral_window() -> dt.timedelta:
    return dt.timedelta(days=settings.REFERRAL_QUALIFY_DAYS)


def _referral_move(referral: Referral, target: str, **stamps) -> Referral:
    """Move a referral the caller holds locked; its timestamps are its history (no event table)."""
    moved, _ = transition(
        referral,
        to_status=target,
        table=state.REFERRAL_TRANSITIONS,
        changes=stamps,
        refuse=lambda row, from_status: InvalidTransition(f"a {from_status} referral cannot become {target}"),
        locked=referral,
    )
    return moved


@transaction.atomic
def referral_create(*, referred: User, code: str, reward_credits: int | None = None) -> Referral:
    """Record that ``referred`` signed up with someone's referral code."""
    code = code.strip().upper()
    ambassador = None
    referrer = User.objects.filter(referral_code__iexact=code).first()
    if referrer is None:
        # a city ambassador's code: the sign-up counts for them
        ambassador = (
            CityAmbassador.objects.select_related("user")
            .filter(referral_code__iexact=code, status=AmbassadorStatus.ACTIVE)
            .first()
        )
        referrer = ambassador.user if ambassador is not None else None
    if referrer is None:
        raise ReferralError(f"unknown referral code {code!r}")
    if referrer.pk == referred.pk:
        raise ReferralError("a user cannot refer themselves")
    if Referral.objects.filter(referred=referred).exists():
        raise ReferralError(f"{referred} was already referred")
    if Referral.objects.filter(referrer=referred, referred=referrer).exists():
        raise ReferralError("two users cannot refer each other")
    if reward_credits is None:
        reward_credits = settings.REFERRAL_REWARD_CREDITS
    return Referral.objects.create(
        referrer=referrer,
        referred=referred,
        code=code,
        ambassador=ambassador,
        reward_credits=reward_credits,
        expires_at=timezone.now() + _referral_window(),
    )


@transaction.atomic
def referral_qualify(*, referral: Referral, now: dt.datetime | None = None) -> Referral:
    """The referred user did the qualifying thing (e.g. a first completed booking)."""
    now = now or timezone.now()
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.status in (ReferralStatus.QUALIFIED, ReferralStatus.REWARDED):
        return referral
    if referral.status == ReferralStatus.PENDING and referral.expires_at <= now:
        raise ReferralError("the referral window has passed")
    return _referral_move(referral, ReferralStatus.QUALIFIED, qualified_at=now)


@transaction.atomic
def referral_reward(*, referral: Referral, now: dt.datetime | None = None) -> Referral:
    """Pay the referrer their reward credits, once (qualifying a pending referral on the way)."""
    now = now or timezone.now()
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.status == ReferralStatus.REWARDED:
        return referral
    if referral.status == ReferralStatus.PENDING:
        referral = referral_qualify(referral=referral, now=now)
    if referral.status != ReferralStatus.QUALIFIED:
        raise InvalidTransition(f"a {referral.status} referral cannot be rewarded")
    entry = None
    if referral.reward_credits:
        entry = credit_adjust(
            user=referral.referrer,
            amount=referral.reward_credits,
            kind=CreditKind.REFERRAL_REWARD,
            reason=f"Referral reward: {referral.referred} joined",
            reference=referral,
            idempotency_key=f"referral-reward:{referral.pk}",
        )
    return _referral_move(referral, ReferralStatus.REWARDED, rewarded_at=now, reward_transaction=entry)


@transaction.atomic
def referral_cancel(*, referral: Referral) -> Referral:
    """Cancel a referral that has not been rewarded (fraud, duplicate account…)."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    return _referral_move(referral, ReferralStatus.CANCELLED)


def referral_expire_due(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Expire pending referrals past their window; returns how many (the referral_expiry job)."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        due = (
            Referral.objects.select_for_update(skip_locked=True)
            .filter(status=ReferralStatus.PENDING, expires_at__lte=now)
            .order_by("expires_at")[:limit]
        )
        for referral in due:
            _referral_move(referral, ReferralStatus.EXPIRED)
            expired += 1
    return expired
