"""Credit jobs: monthly grants by plan, FIFO expiry of promotional credits, referral expiry,
and 50 real concurrent debits on one user."""

import datetime as dt
import threading

import pytest
from django.db import connections
from django.utils import timezone
from model_bakery import baker

from agnt.models import User
from agnt.scheduling import REGISTRY, load_all_jobs
from billing import selectors, services, tasks
from billing.models import CreditKind, CreditTransaction, Referral, ReferralStatus
from billing.services import InsufficientCredits

pytestmark = pytest.mark.django_db


def _state(*users: User) -> list[tuple]:
    rows = []
    for user in users:
        user.refresh_from_db()
        rows.append((user.pk, user.credits, CreditTransaction.objects.filter(user=user).count()))
    return rows


def test_billing_jobs_are_registered_with_an_advisory_lock():
    load_all_jobs()
    for name in (
        "monthly_credit_grants",
        "credits_expiry",
        "referral_expiry",
        "monthly_invoicing",
        "ledger_integrity_check",
    ):
        assert REGISTRY[name].advisory_lock, name
        assert REGISTRY[name].queue == "billing"


def test_monthly_grants_give_each_plan_its_credits_once_per_month(settings):
    settings.CREDITS_MONTHLY_GRANTS = {"free": 0, "plus": 100, "premium": 300}
    settings.CREDITS_MONTHLY_GRANT_VALID_DAYS = 62
    free, plus, premium = (baker.make(User, plan=plan) for plan in ("free", "plus", "premium"))
    inactive = baker.make(User, plan="premium", is_active=False)

    assert tasks.monthly_credit_grants() == 2
    first = _state(free, plus, premium, inactive)
    assert [credits for _, credits, _ in first] == [0, 100, 300, 0]
    grant = CreditTransaction.objects.get(user=premium)
    month = timezone.localdate().replace(day=1)
    assert grant.kind == CreditKind.MONTHLY_GRANT
    assert grant.idempotency_key == f"monthly-grant:{premium.pk}:{month:%Y-%m}"
    assert timezone.localtime(grant.expires_at).date() == month + dt.timedelta(days=62)

    assert tasks.monthly_credit_grants() == 0  # run twice → same state
    assert _state(free, plus, premium, inactive) == first


def test_next_month_grants_again_and_an_upgrade_mid_month_is_not_granted_twice(settings):
    settings.CREDITS_MONTHLY_GRANTS = {"plus": 100, "premium": 300}
    user = baker.make(User, plan="plus")
    services.credit_monthly_grants_run(today=dt.date(2026, 11, 1))
    user.plan = "premium"
    user.save(update_fields=["plan"])
    assert services.credit_monthly_grants_run(today=dt.date(2026, 11, 15)) == 0
    assert services.credit_monthly_grants_run(today=dt.date(2026, 12, 1)) == 1
    user.refresh_from_db()
    assert user.credits == 400
    assert sorted(CreditTransaction.objects.filter(user=user).values_list("idempotency_key", flat=True)) == [
        f"monthly-grant:{user.pk}:2026-11",
        f"monthly-grant:{user.pk}:2026-12",
    ]


def _grant(user, amount, *, expires_in_days=None, key=None):
    expires_at = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days is not None else None
    return services.credit_grant(user=user, amount=amount, reason="promo", expires_at=expires_at, idempotency_key=key)


def test_spends_count_against_the_soonest_lapsing_grant_first(user):
    permanent = _grant(user, 100)
    later = _grant(user, 50, expires_in_days=20)
    sooner = _grant(user, 30, expires_in_days=10)
    services.credit_spend(user=user, amount=40, reason="booking")
    lots = {lot.transaction_id: lot.remaining for lot in services.credit_lots(user=user)}
    assert lots == {str(sooner.pk): 0, str(later.pk): 40, str(permanent.pk): 100}


def test_expiry_removes_only_what_is_left_of_a_lapsed_grant(user):
    _grant(user, 100)  # never lapses
    promo = _grant(user, 50, expires_in_days=5)
    services.credit_spend(user=user, amount=30, reason="booking")  # drawn from the promo first
    assert services.credit_expire_due(now=timezone.now() + dt.timedelta(days=6)) == 1
    user.refresh_from_db()
    assert user.credits == 100
    expiry = CreditTransaction.objects.get(user=user, kind=CreditKind.EXPIRY)
    assert (expiry.amount, expiry.reference_id, expiry.idempotency_key) == (
        -20,
        str(promo.pk),
        f"credit-expiry:{promo.pk}",
    )


def test_a_fully_spent_grant_expires_nothing_and_the_job_is_idempotent(user):
    promo = _grant(user, 50, expires_in_days=5)
    _grant(user, 10, expires_in_days=1)
    services.credit_spend(user=user, amount=55, reason="booking")  # 10 from the sooner grant, 45 from promo
    later = timezone.now() + dt.timedelta(days=6)
    assert services.credit_expire_due(now=later) == 1
    before = _state(user)
    assert services.credit_expire_due(now=later) == 0  # run twice → same state
    assert _state(user) == before
    assert before[0][1] == 0
    assert CreditTransaction.objects.get(user=user, kind=CreditKind.EXPIRY).reference_id == str(promo.pk)


def test_expiry_never_drives_the_balance_below_zero(user):
    _grant(user, 50, expires_in_days=1)
    # drift: the cached balance is lower than the ledger explains (the integrity check reports
    # it); expiry must still stop at zero rather than fail or go negative
    User.objects.filter(pk=user.pk).update(credits=20)
    assert services.credit_expire_due(now=timezone.now() + dt.timedelta(days=2)) == 1
    user.refresh_from_db()
    assert user.credits == 0
    assert CreditTransaction.objects.get(user=user, kind=CreditKind.EXPIRY).amount == -20


def test_the_credits_expiry_job_runs_through_the_scheduler_wrapper(user):
    _grant(user, 25, expires_in_days=-1)  # lapsed yesterday
    assert tasks.credits_expiry() == 1
    assert tasks.credits_expiry() == 0
    user.refresh_from_db()
    assert user.credits == 0


def test_referral_expiry_job_expires_pending_referrals_past_their_window(user):
    referrer = baker.make(User, referral_code="FRIEND01")
    referral = services.referral_create(referred=user, code="FRIEND01")
    Referral.objects.filter(pk=referral.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert tasks.referral_expiry() == 1
    assert tasks.referral_expiry() == 0
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.EXPIRED
    referrer.refresh_from_db()
    assert referrer.credits == 0


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_debits_on_one_user_end_at_the_exact_balance():
    user = baker.make(User)
    services.credit_grant(user=user, amount=400, reason="seed")
    results: list[str] = []
    start = threading.Barrier(50)
    lock = threading.Lock()

    def debit(n: int) -> None:
        try:
            start.wait(timeout=20)
            services.credit_spend(user=User(pk=user.pk), amount=10, reason="race", idempotency_key=f"race:{n}")
            outcome = "spent"
        except InsufficientCredits:
            outcome = "refused"
        except Exception as exc:  # pragma: no cover - surfaced by the assertion below
            outcome = repr(exc)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=debit, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(results) == ["refused"] * 10 + ["spent"] * 40  # over-spends refused, none lost
    user.refresh_from_db()
    assert user.credits == 0
    spends = CreditTransaction.objects.filter(user=user, kind=CreditKind.SPEND)
    assert spends.count() == 40
    assert sorted(spends.values_list("balance_after", flat=True)) == list(range(0, 400, 10))
    # the latest row carries the balance even though the transactions started in a different order
    assert selectors.credit_balance_from_ledger(user=user) == 0
    assert services.ledger_integrity_check().findings_count == 0
