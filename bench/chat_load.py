"""Benchmark: the concierge pipeline under load and faults, next to the baseline commit.

Run with ``make bench-chat`` (``ARGS="--seconds 5 --guests 1,8,32"`` for a quicker run).
N simulated Telegram guests talk through the real webhook (uvicorn) → stored Interaction
→ Celery → router → offline planner → send queue → a local fake Telegram Bot API, each in
a closed loop (send, wait for the answer, send the next). Per N: answered messages/s and
p50/p95 from the webhook POST to the reply's arrival at the fake API. Then a burst of
``--burst`` new guests writing once within 5 s, time until every one is answered.

The same figures are measured in the same run for the **baseline** — this repository at
``--baseline-ref`` (the commit before the faults work), checked out with ``git worktree``
under ``.data/bench/`` and run exactly as ``make run`` ran it (one worker, every queue,
``-c 2``). Then, for the current code only, two faults: a pool child SIGKILLed mid-stream
(others' p95 before and after; the time the affected guest waited), and Redis stopped for
``--outage`` seconds during a stream (every message accepted during the outage: time from
Redis's return to its answer). Every run checks that each message was answered exactly once.

Its own embedded PostgreSQL under ``.data/bench`` and its own redis-server (no
persistence, so an outage loses the queue) — never dev or test data.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATA_DIR = REPO / ".data" / "bench"
RESULTS_DIR = REPO / "bench" / "results"
BASELINE_REF = "5bb5bbd"  # main before the faults-and-load work (issue 19)
TEXTS = ["hello", "what can you do?", "/help", "any beach club in Canggu?", "thanks!"]
ALL_QUEUES = ["default", "messaging", "bookings", "agents", "billing", "knowledge", "crm", "maintenance"]

from messaging.tests.pipeline import FakeTelegram, Guests, Pipeline, PrivateRedis, database_url  # noqa: E402


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


class Run:
    """One pipeline variant and its guests; chat ids never repeat within a run."""

    next_chat = 8_000_000_000 + (int(time.time()) % 10_000) * 100_000

    def __init__(self, pipeline: Pipeline, telegram: FakeTelegram) -> None:
        self.pipeline, self.telegram = pipeline, telegram
        self.guests = Guests(pipeline.port)
        self.sent: dict[str, int] = {}
        self.lock = threading.Lock()

    def new_chats(self, n: int) -> list[str]:
        with self.lock:
            chats = [str(Run.next_chat + i) for i in range(n)]
            Run.next_chat += n
        return chats

    def say(self, chat: str, text: str) -> tuple[float, int]:
        with self.lock:
            self.sent[chat] = self.sent.get(chat, 0) + 1
            n = self.sent[chat]
        return self.guests.say(chat, text), n

    def converse(self, chat: str, until: float, samples: list, timeout: float = 60.0) -> None:
        """Closed loop until ``until``: (sent at, answered at) per message."""
        i = random.randrange(len(TEXTS))
        while time.monotonic() < until:
            at, n = self.say(chat, TEXTS[i % len(TEXTS)])
            answered = self.telegram.wait_count(chat, n, timeout)
            samples.append((chat, at, answered))
            if answered is None:
                return
            i += 1

    def closed_loop(self, n: int, seconds: float) -> dict:
        chats = self.new_chats(n)
        samples: list = []
        cpu_before = self.cpu()
        start = time.monotonic()
        until = start + seconds
        threads = [threading.Thread(target=self.converse, args=(chat, until, samples)) for chat in chats]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done = [(a, b) for _, a, b in samples if b is not None]
        window = [b - a for a, b in done if b <= until]
        latencies = [b - a for a, b in done]
        cpu = {name: (after - cpu_before[name]) / max(1, len(done)) * 1000 for name, after in self.cpu().items()}
        return {
            "guests": n,
            "cpu_ms_per_message": cpu,
            "answered": len(done),
            "lost": len(samples) - len(done),
            "messages_per_s": len(window) / seconds,
            "p50": statistics.median(latencies) if latencies else float("nan"),
            "p95": _pct(latencies, 95),
            "p99": _pct(latencies, 99),
            "max": max(latencies) if latencies else float("nan"),
        }

    def burst(self, n: int, over: float) -> dict:
        chats = self.new_chats(n)
        start = time.monotonic()

        def send(index: int) -> None:
            delay = start + over * index / n - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.say(chats[index], "hi, any sushi in Seminyak tonight?")

        with ThreadPoolExecutor(32) as pool:
            list(pool.map(send, range(n)))
        deadline = time.monotonic() + 120
        arrivals = [self.telegram.wait_count(chat, 1, max(0.0, deadline - time.monotonic())) for chat in chats]
        answered = [a for a in arrivals if a is not None]
        return {
            "guests": n,
            "answered": len(answered),
            "seconds": (max(answered) - start) if answered else float("nan"),
        }

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of the web server and of the workers answering messages."""
        workers = [name for name in self.pipeline.processes if name.startswith("worker")]
        return {
            "web": self.pipeline.cpu_seconds("web"),
            "workers": sum(self.pipeline.cpu_seconds(name) for name in workers),
        }

    def exactly_once(self, settle: float = 3.0) -> dict:
        time.sleep(settle)  # a duplicate would arrive after the original
        twice = sum(1 for chat, n in self.sent.items() if self.telegram.count(chat) > n)
        missing = sum(1 for chat, n in self.sent.items() if self.telegram.count(chat) < n)
        return {"messages": sum(self.sent.values()), "answered_twice": twice, "unanswered": missing}


def kill_child_mid_stream(run: Run, guests: int, seconds: float) -> dict:
    """Closed loop; halfway, SIGKILL one pool child of the messaging worker."""
    chats = run.new_chats(guests)
    samples: list = []
    start = time.monotonic()
    until = start + seconds
    threads = [threading.Thread(target=run.converse, args=(chat, until, samples, 90)) for chat in chats]
    for thread in threads:
        thread.start()
    time.sleep(seconds / 2)
    victim = run.pipeline.pool_children("worker")[0]
    killed_at = time.monotonic()
    os.kill(victim, 9)
    for thread in threads:
        thread.join()
    done = [(chat, a, b) for chat, a, b in samples if b is not None]
    # the affected guest: whose message was in flight at the kill and waited longest
    in_flight = [(b - a, chat) for chat, a, b in done if a <= killed_at <= b]
    affected_wait, affected = max(in_flight) if in_flight else (0.0, None)
    before = [b - a for chat, a, b in done if b < killed_at and chat != affected]
    after = [b - a for chat, a, b in done if a > killed_at and chat != affected]
    return {
        "guests": guests,
        "p95_before": _pct(before, 95),
        "p95_after": _pct(after, 95),
        "affected_guest_wait": affected_wait,
        "lost": sum(1 for _, _, b in samples if b is None),
    }


def redis_outage(run: Run, redis: PrivateRedis, guests: int, outage: float) -> dict:
    """Guests write every second; Redis is gone for ``outage`` seconds in the middle."""
    chats = run.new_chats(guests)
    sent: list[tuple[str, float, int]] = []
    stop = threading.Event()
    errors: list[str] = []

    def talk(chat: str) -> None:
        while not stop.is_set():
            try:
                at, n = run.say(chat, random.choice(TEXTS))
                sent.append((chat, at, n))
            except Exception as exc:  # noqa: BLE001 - a refused webhook is what we count
                errors.append(type(exc).__name__)
            stop.wait(1.0)

    threads = [threading.Thread(target=talk, args=(chat,)) for chat in chats]
    for thread in threads:
        thread.start()
    time.sleep(3)
    down_at = time.monotonic()
    redis.stop()
    time.sleep(outage)
    redis.start()
    back_at = time.monotonic()
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join()
    during = [(chat, n) for chat, at, n in sent if down_at <= at <= back_at]
    waits = []
    deadline = back_at + 90
    for chat, n in during:  # one shared deadline: a stuck pipeline costs 90 s, not 90 s a message
        answered = run.telegram.wait_count(chat, n, max(0.0, deadline - time.monotonic()))
        waits.append(None if answered is None else max(0.0, answered - back_at))
    answered = [w for w in waits if w is not None]
    return {
        "outage_s": outage,
        "accepted_during_outage": len(during),
        "webhook_errors": len(errors),
        "answered": len(answered),
        "max_after_return": max(answered) if answered else float("nan"),
        "p95_after_return": _pct(answered, 95),
    }


def _baseline_tree(ref: str) -> Path:
    tree = DATA_DIR / f"baseline-{ref}"
    if not (tree / "manage.py").exists():
        subprocess.run(["git", "worktree", "prune"], cwd=REPO, check=False)
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), ref], cwd=REPO, check=True)
    return tree


def measure(name: str, pipeline: Pipeline, telegram: FakeTelegram, args, redis: PrivateRedis | None) -> dict:
    pipeline.start()
    run = Run(pipeline, telegram)
    out: dict = {"variant": name, "workers": {k: v for k, v in pipeline.commands.items() if k != "web"}}
    try:
        run.closed_loop(4, 4)  # warm-up: every pool child loads its code paths
        out["closed_loop"] = [run.closed_loop(n, args.seconds) for n in args.guests]
        out["burst"] = run.burst(args.burst, 5.0)
        if args.faults and redis is not None:
            out["kill"] = kill_child_mid_stream(run, 16, max(12.0, args.seconds * 2))
            out["outage"] = redis_outage(run, redis, 8, args.outage)
        out["exactly_once"] = run.exactly_once()
    finally:
        run.guests.close()
        pipeline.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guests", default="1,8,32,64", help="concurrent guests per closed-loop run")
    parser.add_argument("--seconds", type=float, default=10, help="length of each closed-loop run")
    parser.add_argument("--burst", type=int, default=300, help="new guests writing once within 5 s")
    parser.add_argument("--outage", type=float, default=20, help="seconds Redis is down in the outage run")
    parser.add_argument("--baseline-ref", default=BASELINE_REF, help="git ref measured as the baseline")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--no-faults", dest="faults", action="store_false", help="skip the kill and outage runs")
    parser.add_argument("--concurrency", type=int, default=0, help="messaging worker pool (0: as make run sizes it)")
    parser.add_argument("--pool", default="prefork", help="messaging worker pool: prefork or threads")
    parser.add_argument(
        "--telegram-rate",
        type=int,
        default=1000,
        help="TELEGRAM_MESSAGES_PER_SECOND for the current code (30: Telegram's free bot-wide limit, "
        "which caps any bot at 30 answers/s; up to 1000 as paid broadcasts)",
    )
    args = parser.parse_args()
    args.guests = [int(n) for n in args.guests.split(",") if n]

    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.update(
        {"AGNT_DATA_DIR": str(DATA_DIR), "AGNT_TESTING": "true", "DJANGO_SETTINGS_MODULE": "agnt.settings"}
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from agnt.devrun import messaging_concurrency

    call_command("migrate", verbosity=0)
    db_url = database_url(connection.settings_dict)
    connection.close()
    concurrency = args.concurrency or messaging_concurrency()

    started = time.time()
    redis_dir = DATA_DIR / "chat-redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    redis = PrivateRedis(redis_dir)
    telegram = FakeTelegram()
    results: dict = {"args": vars(args), "cpus": os.cpu_count(), "messaging_concurrency": concurrency}
    try:
        if not args.skip_baseline:
            redis.start()
            tree = _baseline_tree(args.baseline_ref)
            baseline = Pipeline(
                database_url=db_url,
                redis_url=redis.url,
                telegram=telegram,
                workers={"worker": (ALL_QUEUES, 2)},
                web_workers=2,
                cwd=tree,
            )
            results["baseline"] = measure(
                f"baseline {args.baseline_ref}",
                baseline,
                telegram,
                argparse.Namespace(**{**vars(args), "faults": False}),
                None,
            )
            redis.stop()
        redis.start()
        messaging = ["messaging"]
        current = Pipeline(
            database_url=db_url,
            redis_url=redis.url,
            telegram=telegram,
            workers={
                "worker": (messaging, concurrency),
                "worker-jobs": ([q for q in ALL_QUEUES if q not in messaging], 2),
            },
            beat=True,
            web_workers=2,
            extra_env={"TELEGRAM_MESSAGES_PER_SECOND": str(args.telegram_rate)},
        )
        if args.pool != "prefork":
            current.commands["worker"] += ["-P", args.pool]
        results["current"] = measure("current", current, telegram, args, redis)
    finally:
        redis.stop()
        telegram.stop()
        from agnt import devinfra

        connection.close()
        devinfra.stop_redis()
        devinfra.stop_postgres()
    results["total_minutes"] = (time.time() - started) / 60
    _report(results)


def _report(results: dict) -> None:
    current, baseline = results["current"], results.get("baseline")
    lines = [
        f"=== chat load benchmark — {datetime.now(UTC).isoformat(timespec='seconds')} — {results['cpus']} CPUs ===",
        f"current: messaging worker -c {results['messaging_concurrency']} ({results['args']['pool']}) + jobs worker -c 2,"
        f" Telegram paced to {results['args'].get('telegram_rate', 30)} msg/s per bot and 1 msg/s per chat;"
        " baseline: one worker, every queue, -c 2, paced to 30 msg/s per bot; uvicorn --workers 2; offline LLM",
        "",
        "guests | baseline msg/s  p50 s  p95 s | current msg/s  p50 s  p95 s | ratio msg/s",
    ]
    base_rows = {row["guests"]: row for row in (baseline or {}).get("closed_loop", [])}
    for row in current["closed_loop"]:
        b = base_rows.get(row["guests"])
        left = f"{b['messages_per_s']:14.1f} {b['p50']:6.2f} {b['p95']:6.2f}" if b else " " * 28
        ratio = f"{row['messages_per_s'] / b['messages_per_s']:.2f}×" if b and b["messages_per_s"] else "—"
        lines.append(
            f"{row['guests']:6d} | {left} | {row['messages_per_s']:13.1f} {row['p50']:6.2f} {row['p95']:6.2f} | {ratio}"
        )
    lines += ["", "CPU ms per answered message (all processes of each kind; baseline → current)"]
    for row in current["closed_loop"]:
        b = base_rows.get(row["guests"])
        cb = (b or {}).get("cpu_ms_per_message") or {}
        cc = row["cpu_ms_per_message"]
        lines.append(
            f"{row['guests']:6d} guests | web {cb.get('web', float('nan')):6.1f} → {cc['web']:6.1f} | "
            f"workers {cb.get('workers', float('nan')):6.1f} → {cc['workers']:6.1f}"
        )
    sat_c = max(r["messages_per_s"] for r in current["closed_loop"])
    sat_b = max((r["messages_per_s"] for r in base_rows.values()), default=float("nan"))
    lines += [
        "",
        f"saturation: baseline {sat_b:.1f} msg/s, current {sat_c:.1f} msg/s ({sat_c / sat_b:.2f}×)",
        f"burst of {current['burst']['guests']} new guests in 5 s: baseline "
        f"{(baseline or {}).get('burst', {}).get('seconds', float('nan')):.1f} s, current {current['burst']['seconds']:.1f} s "
        f"({current['burst']['answered']} answered)",
    ]
    if "kill" in current:
        k = current["kill"]
        lines.append(
            f"pool child killed mid-stream ({k['guests']} guests): others' p95 {k['p95_before']:.2f} s before, "
            f"{k['p95_after']:.2f} s after; affected guest answered after {k['affected_guest_wait']:.1f} s; lost {k['lost']}"
        )
    if "outage" in current:
        o = current["outage"]
        lines.append(
            f"Redis down {o['outage_s']:.0f} s: {o['accepted_during_outage']} messages accepted during it "
            f"({o['webhook_errors']} webhook errors), {o['answered']} answered, at most {o['max_after_return']:.1f} s "
            f"after Redis returned (p95 {o['p95_after_return']:.1f} s)"
        )
    for name in ("baseline", "current"):
        if name in results:
            lines.append(f"exactly once ({name}): {results[name]['exactly_once']}")
    c32 = next((r for r in current["closed_loop"] if r["guests"] == 32), None)
    lines += [
        "",
        "goals (issue 19)",
        f"  saturation ≥ 2× baseline                 {sat_c / sat_b:.2f}×  {'PASS' if sat_c >= 2 * sat_b else 'FAIL'}",
    ]
    if c32:
        lines.append(
            f"  p95 ≤ 2 s at 32 guests                   {c32['p95']:.2f} s  {'PASS' if c32['p95'] <= 2 else 'FAIL'}"
        )
    lines.append(
        f"  300-guest burst ≤ 15 s                   {current['burst']['seconds']:.1f} s  "
        f"{'PASS' if current['burst']['seconds'] <= 15 and current['burst']['answered'] == current['burst']['guests'] else 'FAIL'}"
    )
    if "kill" in current:
        k = current["kill"]
        ok = k["p95_after"] <= 2 * k["p95_before"] and k["affected_guest_wait"] <= 30 and not k["lost"]
        lines.append(f"  kill: others' p95 within 2×, affected ≤ 30 s   {'PASS' if ok else 'FAIL'}")
    if "outage" in current:
        o = current["outage"]
        ok = o["answered"] == o["accepted_during_outage"] and o["max_after_return"] <= 30
        lines.append(f"  outage: all answered ≤ 30 s after return  {'PASS' if ok else 'FAIL'}")
    lines.append(f"total run time {results['total_minutes']:.1f} min")
    print("\n".join(lines))
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"chat_load-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"full figures: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
