"""Credit balance changes: row lock, no negative balances, idempotency, real concurrency."""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from model_bakery import baker

from agnt.models import User
from billing import selectors, services
from billing.models import CreditKind, CreditTransaction
from billing.services import InsufficientCredits


@pytest.mark.django_db
def test_credit_adjust_locks_the_user_row_before_changing_the_balance(user):
    with CaptureQueriesContext(connection) as queries:
        services.credit_grant(user=user, amount=5, reason="welcome")
    sqls = [q["sql"] for q in queries.captured_queries]
    # one statement locks the row (SELECT … FOR UPDATE in its first CTE), appends the ledger
    # row and only then updates the balance
    [statement] = [sql for sql in sqls if 'UPDATE "agnt_user"' in sql]
    lock = statement.index('FROM "agnt_user" WHERE id =')
    assert statement.index("FOR UPDATE") > lock
    assert lock < statement.index('INSERT INTO "billing_credittransaction"') < statement.index('UPDATE "agnt_user"')


@pytest.mark.django_db
def test_credit_adjust_appends_a_ledger_row_with_the_running_balance(user):
    services.credit_grant(user=user, amount=30, reason="welcome", kind=CreditKind.GRANT)
    spend = services.credit_spend(user=user, amount=12, reason="booking", reference=("bookings.venuebooking", "b-1"))
    user.refresh_from_db()
    assert user.credits == 18
    assert (spend.amount, spend.balance_after, spend.kind) == (-12, 18, "spend")
    assert (spend.reference_type, spend.reference_id) == ("bookings.venuebooking", "b-1")
    assert selectors.credit_balance_from_ledger(user=user) == 18


@pytest.mark.django_db
def test_it_refuses_to_spend_more_credits_than_the_user_has(user):
    services.credit_grant(user=user, amount=5, reason="welcome")
    with pytest.raises(InsufficientCredits) as refused:
        services.credit_spend(user=user, amount=6, reason="too much")
    assert (refused.value.balance, refused.value.requested) == (5, 6)
    user.refresh_from_db()
    assert user.credits == 5
    assert CreditTransaction.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_a_repeated_idempotency_key_returns_the_first_row_and_changes_nothing(user):
    first = services.credit_grant(
        user=user, amount=50, reason="monthly", kind=CreditKind.MONTHLY_GRANT, idempotency_key="monthly:2026-11:maya"
    )
    again = services.credit_grant(
        user=user, amount=50, reason="monthly", kind=CreditKind.MONTHLY_GRANT, idempotency_key="monthly:2026-11:maya"
    )
    user.refresh_from_db()
    assert again.pk == first.pk
    assert user.credits == 50
    assert CreditTransaction.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_it_refuses_an_idempotency_key_reused_for_a_different_change(user):
    services.credit_grant(user=user, amount=50, reason="x", idempotency_key="k-1")
    other = baker.make(User)
    with pytest.raises(services.IdempotencyConflict):
        services.credit_grant(user=other, amount=50, reason="x", idempotency_key="k-1")
    with pytest.raises(services.IdempotencyConflict):
        services.credit_grant(user=user, amount=49, reason="x", idempotency_key="k-1")


@pytest.mark.django_db
def test_it_rejects_amounts_whose_sign_contradicts_the_kind(user):
    with pytest.raises(ValueError):
        services.credit_adjust(user=user, amount=5, kind=CreditKind.SPEND, reason="backwards")
    with pytest.raises(ValueError):
        services.credit_adjust(user=user, amount=-5, kind=CreditKind.REFUND, reason="backwards")
    with pytest.raises(ValueError):
        services.credit_adjust(user=user, amount=0, kind=CreditKind.ADJUSTMENT, reason="nothing")
    with pytest.raises(ValueError):
        services.credit_adjust(user=user, amount=-1, kind=CreditKind.ADJUSTMENT, reason="x", expires_at=timezone.now())
    assert not CreditTransaction.objects.exists()


@pytest.mark.django_db
def test_a_staff_adjustment_records_who_made_it(user, staff_user):
    entry = services.credit_adjust(
        user=user, amount=7, kind=CreditKind.ADJUSTMENT, reason="goodwill", created_by=staff_user
    )
    assert entry.created_by == staff_user


def _spend_in_thread(user_id, results, *, hold: threading.Event | None = None, locked: threading.Event | None = None):
    try:
        with transaction.atomic():
            services.credit_spend(user=User(pk=user_id), amount=10, reason="race")
            if locked is not None:
                locked.set()
                # keep the transaction (and the row lock) open while the other thread tries
                hold.wait(timeout=5)
                time.sleep(0.2)
        results.append("spent")
    except InsufficientCredits:
        results.append("refused")
    except Exception as exc:  # pragma: no cover - surfaced by the assertion below
        results.append(repr(exc))
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_a_second_spend_waits_for_the_first_and_then_sees_the_new_balance():
    user = baker.make(User)
    services.credit_grant(user=user, amount=10, reason="seed")
    results: list[str] = []
    locked, hold = threading.Event(), threading.Event()
    first = threading.Thread(target=_spend_in_thread, args=(user.pk, results), kwargs={"hold": hold, "locked": locked})
    first.start()
    assert locked.wait(timeout=10)
    second = threading.Thread(target=_spend_in_thread, args=(user.pk, results))
    second.start()
    hold.set()
    first.join(10)
    second.join(10)
    assert not first.is_alive() and not second.is_alive()
    assert sorted(results) == ["refused", "spent"]
    user.refresh_from_db()
    assert user.credits == 0
    assert CreditTransaction.objects.filter(user=user, kind=CreditKind.SPEND).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_spenders_never_take_the_balance_below_zero():
    user = baker.make(User)
    services.credit_grant(user=user, amount=50, reason="seed")
    results: list[str] = []
    start = threading.Barrier(8)

    def spend():
        try:
            start.wait(timeout=10)
            services.credit_spend(user=User(pk=user.pk), amount=10, reason="race")
            results.append("spent")
        except InsufficientCredits:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(results) == ["refused"] * 3 + ["spent"] * 5
    user.refresh_from_db()
    assert user.credits == 0
    balances = sorted(CreditTransaction.objects.filter(user=user).values_list("balance_after", flat=True))
    assert balances == [0, 10, 20, 30, 40, 50]


@pytest.mark.django_db(transaction=True)
def test_the_same_idempotency_key_racing_on_one_user_writes_one_row():
    user = baker.make(User)
    services.credit_grant(user=user, amount=100, reason="seed")
    results: list = []
    start = threading.Barrier(6)

    def spend():
        try:
            start.wait(timeout=10)
            results.append(
                services.credit_spend(user=User(pk=user.pk), amount=60, reason="race", idempotency_key="same").pk
            )
        except Exception as exc:  # pragma: no cover - surfaced by the assertion below
            results.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    # every caller gets the one row back; none is told "insufficient credits" by its own replay
    assert len(results) == 6 and len(set(results)) == 1, results
    user.refresh_from_db()
    assert user.credits == 40
    assert CreditTransaction.objects.filter(user=user, kind=CreditKind.SPEND).count() == 1
