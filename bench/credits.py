"""Benchmark: credit debits per second through billing.services.credit_spend (row lock +
ledger row + idempotency key), on one hot user row and spread over many rows, next to
baselines measured in the same run.

Run with ``make bench-credits`` (``ARGS="--help"`` for the knobs). It starts its own
embedded PostgreSQL + Redis under ``.data/bench`` (never dev or test data), migrates, and
runs ``--threads`` Python threads, each with its own database connection, for
``--seconds`` per phase and ``--rounds`` rounds:

1. ``select1``      — ``SELECT 1`` round trips (what one database call costs here);
2. ``update_hot``   — a plain single-row ``UPDATE … WHERE id = <hot user>`` in its own
   transaction, every thread on the same row (the row lock alone, no ledger);
3. ``debit_hot``    — ``credit_spend(amount=1)`` by every thread on the same user;
4. ``debit_spread`` — ``credit_spend(amount=1)`` on a random user out of ``--users``.

After every debit phase it checks that nothing was lost: each user's balance moved by
exactly the number of debits that returned, the ledger gained exactly that many rows, and
the cached balance equals the ledger sum and the latest row's balance_after.

Goal (issue 5): ≥ 300 debits/s on one row on the 2-core machine. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO / ".data" / "bench"
RESULTS_DIR = REPO / "bench" / "results"
GOAL_HOT_PER_SECOND = 300
USERNAME_PREFIX = "bench-credits-"


def _setup_django() -> None:
    # Our own data dir and servers, never dev (.data) or test (.data/test) data; no
    # DATABASE_URL/REDIS_URL either: the bench must not be pointed at a real database.
    os.environ["AGNT_DATA_DIR"] = str(DATA_DIR)
    os.environ["AGNT_TESTING"] = "true"  # settings skip .env and the connection pool
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agnt.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def _prepare(users: int):
    """The hot user (a balance no run can exhaust) and the ``users`` spread users, reused across runs."""
    from agnt.models import User
    from billing import services

    def ensure(name: str) -> User:
        user, _ = User.objects.get_or_create(
            username=f"{USERNAME_PREFIX}{name}", defaults={"email": f"{name}@bench.invalid"}
        )
        if user.credits < 10_000_000:
            services.credit_grant(user=user, amount=1_000_000_000, reason="bench float")
        return user

    hot = ensure("hot")
    baseline = ensure("baseline")  # the plain-UPDATE baseline touches this row only (updated_at), never its credits
    spread = [ensure(f"u{i:05d}") for i in range(users)]
    return hot, baseline, spread


def _run_threads(threads: int, seconds: float, body) -> tuple[float, list[Counter]]:
    """Run ``body(thread_index, counter)`` in a loop on every thread until the deadline; returns
    (elapsed seconds, per-thread counters of successes keyed by user id or "ops")."""
    from django.db import connections

    start = threading.Barrier(threads + 1)
    counters = [Counter() for _ in range(threads)]
    errors: list[BaseException] = []
    deadline_box: list[float] = []

    def run(index: int) -> None:
        try:
            start.wait()
            deadline = deadline_box[0]
            while time.perf_counter() < deadline:
                body(index, counters[index])
        except BaseException as exc:  # noqa: BLE001 - reported after the phase
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    deadline_box.append(time.perf_counter() + seconds)
    began = time.perf_counter()
    start.wait()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"a bench thread failed: {errors[0]!r}")
    return elapsed, counters


def _snapshot(user_ids) -> dict:
    from django.db.models import Count, Sum

    from agnt.models import User
    from billing.models import CreditTransaction

    balances = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "credits"))
    ledger = {
        row["user_id"]: (row["n"], row["total"])
        for row in CreditTransaction.objects.filter(user_id__in=user_ids)
        .values("user_id")
        .annotate(n=Count("id"), total=Sum("amount"))
    }
    return {pk: (balances[pk], *ledger.get(pk, (0, 0))) for pk in user_ids}


def _verify(before: dict, after: dict, done: Counter) -> dict:
    """Zero lost updates: every returned debit moved the balance by 1 and added one ledger row."""
    from agnt.models import User
    from billing.selectors import credit_balance_from_ledger

    problems = []
    for pk, (credits, rows, total) in after.items():
        b_credits, b_rows, _ = before[pk]
        n = done.get(pk, 0)
        if b_credits - credits != n or rows - b_rows != n or credits != total:
            problems.append(
                f"user {pk}: {n} debits returned, balance {b_credits}→{credits}, rows {b_rows}→{rows}, ledger sum {total}"
            )
        elif n and credit_balance_from_ledger(user=User(pk=pk)) != credits:
            problems.append(f"user {pk}: latest ledger row disagrees with the balance {credits}")
    return {
        "debits": sum(done.values()),
        "users": len(after),
        "lost_or_inconsistent": len(problems),
        "problems": problems[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=8, help="concurrent threads, each with its own DB connection")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each phase in each round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians are reported")
    parser.add_argument("--users", type=int, default=1000, help="users the spread phase draws from")
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=sys.getswitchinterval(),
        help="sys.setswitchinterval for the bench threads (Python's default 0.005 s)",
    )
    args = parser.parse_args()
    sys.setswitchinterval(args.switch_interval)

    run_started = time.time()
    _setup_django()
    from django.core.management import call_command
    from django.db import connection, transaction

    from agnt.models import User
    from billing import services

    call_command("migrate", verbosity=0)
    hot, baseline, spread = _prepare(args.users)
    spread_ids = [u.pk for u in spread]
    connection.close()
    run_id = int(run_started)

    def select1(index: int, counter: Counter) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        counter["ops"] += 1

    def update_hot(index: int, counter: Counter) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'UPDATE "{User._meta.db_table}" SET updated_at = now() WHERE id = %s', [baseline.pk])
        counter["ops"] += 1

    sequence = iter(range(10**12))  # next() on a shared iterator is atomic under the GIL

    def debit(user_pk) -> None:
        services.credit_spend(
            user=User(pk=user_pk), amount=1, reason="bench debit", idempotency_key=f"bench:{run_id}:{next(sequence)}"
        )

    def debit_hot(index: int, counter: Counter) -> None:
        debit(hot.pk)
        counter[hot.pk] += 1

    rng = [random.Random(run_id + i) for i in range(args.threads)]

    def debit_spread(index: int, counter: Counter) -> None:
        pk = rng[index].choice(spread_ids)
        debit(pk)
        counter[pk] += 1

    phases = {"select1": select1, "update_hot": update_hot, "debit_hot": debit_hot, "debit_spread": debit_spread}
    # warm every connection and code path once
    for body in phases.values():
        _run_threads(args.threads, 0.5, body)

    rounds: list[dict] = []
    checks: list[dict] = []
    for number in range(args.rounds):
        this_round = {}
        for name, body in phases.items():
            watched = [hot.pk] if name == "debit_hot" else spread_ids if name == "debit_spread" else []
            before = _snapshot(watched) if watched else None
            elapsed, counters = _run_threads(args.threads, args.seconds, body)
            done = sum(counters, Counter())
            ops = sum(done.values())
            this_round[name] = ops / elapsed
            if watched:
                check = _verify(before, _snapshot(watched), done)
                checks.append({"round": number + 1, "phase": name, **check})
        rounds.append(this_round)
        print(f"round {number + 1}: " + ", ".join(f"{k} {v:,.0f}/s" for k, v in this_round.items()), flush=True)

    _report(rounds, checks, args, time.time() - run_started)


def _report(rounds: list[dict], checks: list[dict], args, total: float) -> None:
    medians = {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}
    lost = sum(c["lost_or_inconsistent"] for c in checks)
    debits = sum(c["debits"] for c in checks)
    lines = [
        f"=== credit debits benchmark — {datetime.now(UTC).isoformat(timespec='seconds')} ===",
        f"{args.threads} threads (one DB connection each), {args.seconds:g} s per phase, {args.rounds} rounds, "
        f"{args.users} spread users; {os.cpu_count()} CPUs; Python {platform.python_version()}",
        "",
        "phase (median of rounds)                     ops/s    vs update_hot   vs select1",
    ]
    for name, value in medians.items():
        lines.append(
            f"  {name:<40} {value:9,.0f}   {value / medians['update_hot']:8.2f}     {value / medians['select1']:8.3f}"
        )
    lines += [
        "",
        f"lost updates: {lost} inconsistent users over {debits:,} verified debits "
        f"({'none lost' if lost == 0 else 'LOST: ' + '; '.join(p for c in checks for p in c['problems'])})",
        f"goal: ≥ {GOAL_HOT_PER_SECOND} debits/s on one row              {medians['debit_hot']:7,.0f}  "
        f"{'PASS' if medians['debit_hot'] >= GOAL_HOT_PER_SECOND and lost == 0 else 'FAIL'}",
        f"total run time {total / 60:.1f} min",
    ]
    print("\n".join(lines))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"credits-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(
        json.dumps(
            {"args": vars(args), "rounds": rounds, "medians": medians, "checks": checks, "cpus": os.cpu_count()},
            indent=2,
            default=str,
        )
    )
    print(f"full figures: {out.relative_to(REPO)}")


def stop_servers() -> None:
    """Stop the bench's own PostgreSQL and Redis: `make clean-data` does not know about them."""
    if "django" not in sys.modules:
        return
    from django.db import connections

    from agnt import devinfra

    connections.close_all()
    devinfra.stop_redis()
    devinfra.stop_postgres()


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_servers()
