"""Benchmark: CPU, SQL statements and Redis round trips per concierge message, in one process.

Run with ``make bench-chat-cpu`` (``ARGS="--profile worker"`` prints the cProfile top).
Where ``bench/chat_load.py`` measures wall-clock throughput (noisy on a shared machine),
this measures what sets saturation on a quiet one: the CPU time the web process spends on
one webhook and the worker spends answering one message.

``--guests`` Telegram guests each send ``--rounds`` messages of the load bench's mix.
Per round: every guest's update goes through the real webhook view (Django's test
client, full middleware; the Celery task is published to Redis and left there), then
the worker side runs the task body (``process_channel_messages``) for each guest, in
this process, replying to a local fake Telegram Bot API. CPU is the main thread's
(``time.thread_time``; the fake API's threads are excluded) and the process's
(``time.process_time``, which also counts the lock heartbeat and the fake API).

Its own PostgreSQL + Redis under ``.data/bench`` (as the other benches), optionally
seeded with the demo network (``--seed-demo``: 70+ venues, so venue searches find some).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATA_DIR = Path(os.environ.get("CHAT_CPU_DATA_DIR") or REPO / ".data" / "bench")
BASELINE_REF = "d659b5b"  # main before the CPU-per-message work
RESULTS_DIR = REPO / "bench" / "results"
TEXTS = ["hello", "what can you do?", "/help", "any beach club in Canggu?", "thanks!"]  # chat_load's mix
SECRET = "cpu-bench-secret"


class Counters:
    """SQL statements (a Django execute wrapper) and Redis round trips (every packed send)."""

    def __init__(self) -> None:
        self.sql = 0
        self.redis = 0
        self.on = False
        self.log: list[str] | None = None  # statements and commands, when tracing one message

    def sql_wrapper(self, execute, sql, params, many, context):
        if self.on:
            self.sql += 1
            if self.log is not None:
                self.log.append("SQL   " + " ".join(sql.split())[:150])
        return execute(sql, params, many, context)

    def install_redis(self) -> None:
        import redis.connection

        original = redis.connection.AbstractConnection.send_packed_command
        counters = self

        def send_packed_command(conn, command, check_health=True):
            if counters.on:
                counters.redis += 1
                if counters.log is not None:
                    raw = command if isinstance(command, bytes | str) else b"".join(command)
                    raw = raw.encode() if isinstance(raw, str) else raw
                    words = [w for w in raw.split(b"\r\n") if w and w[:1] not in (b"*", b"$")]
                    counters.log.append("Redis " + " ".join(w.decode(errors="replace")[:40] for w in words[:4]))
            return original(conn, command, check_health)

        redis.connection.AbstractConnection.send_packed_command = send_packed_command


def _phase(counters: Counters, fn, profile: cProfile.Profile | None) -> dict:
    counters.sql = counters.redis = 0
    counters.on = True
    cpu0, proc0, wall0 = time.thread_time(), time.process_time(), time.perf_counter()
    if profile is not None:
        profile.enable()
    try:
        fn()
    finally:
        if profile is not None:
            profile.disable()
        counters.on = False
    return {
        "thread_cpu_s": time.thread_time() - cpu0,
        "process_cpu_s": time.process_time() - proc0,
        "wall_s": time.perf_counter() - wall0,
        "sql": counters.sql,
        "redis": counters.redis,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=8, help="messages per guest")
    parser.add_argument("--warmup", type=int, default=1, help="rounds run first and not counted")
    parser.add_argument("--seed-demo", action="store_true", help="load the demo network (70+ venues) first")
    parser.add_argument("--profile", choices=["", "web", "worker"], default="", help="print a cProfile top")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument(
        "--trace", action="store_true", help="list the SQL and Redis calls of one webhook and one answer"
    )
    parser.add_argument(
        "--baseline-ref", default="", help=f"also measure this git ref, alternately (e.g. {BASELINE_REF})"
    )
    parser.add_argument("--repeat", type=int, default=1, help="with --baseline-ref: rounds of baseline + current")
    parser.add_argument("--json-out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_ref:
        compare(args)
        return
    measure(args)


def _run_variant(tree: Path, args, out: Path) -> dict:
    """This script, run from ``tree`` (its code) on this repository's bench data directory."""
    script = tree / "bench" / "chat_cpu.py"
    if tree != REPO:
        script.write_text((REPO / "bench" / "chat_cpu.py").read_text())
    command = [sys.executable, str(script), "--guests", str(args.guests), "--rounds", str(args.rounds)]
    command += ["--warmup", str(args.warmup), "--json-out", str(out)] + (["--seed-demo"] if args.seed_demo else [])
    env = {**os.environ, "CHAT_CPU_DATA_DIR": str(DATA_DIR), "PYTHONPATH": str(tree)}
    subprocess.run(command, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def compare(args) -> None:
    """Baseline and current code alternately, ``--repeat`` times; medians of the per-message figures."""
    tree = DATA_DIR / f"baseline-{args.baseline_ref}"
    if not (tree / "manage.py").exists():
        subprocess.run(["git", "worktree", "prune"], cwd=REPO, check=False)
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), args.baseline_ref], cwd=REPO, check=True)
    runs: dict[str, list[dict]] = {"baseline": [], "current": []}
    for i in range(args.repeat):
        for name, code in (("baseline", tree), ("current", REPO)):
            out = DATA_DIR / f"chat_cpu-{name}-{i}.json"
            runs[name].append(_run_variant(code, args, out))
            print(f"{name} #{i + 1}: worker {runs[name][-1]['worker_per_message']}", flush=True)
    keys = ("thread_cpu_s", "process_cpu_s", "wall_s", "sql", "redis")

    def median(name: str, side: str) -> dict:
        return {k: statistics.median(r[side][k] for r in runs[name]) for k in keys}

    lines = [
        f"=== chat CPU per message — baseline {args.baseline_ref} vs current, {args.repeat} run(s) each, "
        f"{args.guests} guests × {args.rounds} messages, medians ===",
        "                      cpu ms (thread)    cpu ms (process)   SQL            Redis",
    ]
    summary = {}
    for side, label in (("web_per_message", "webhook (web)"), ("worker_per_message", "answer (worker)")):
        b, c = median("baseline", side), median("current", side)
        summary[side] = {"baseline": b, "current": c}
        lines.append(
            f"{label:20s} {b['thread_cpu_s']:6.2f} → {c['thread_cpu_s']:6.2f}   {b['process_cpu_s']:6.2f} → "
            f"{c['process_cpu_s']:6.2f}   {b['sql']:4.1f} → {c['sql']:4.1f}   {b['redis']:4.1f} → {c['redis']:4.1f}"
            f"   (cpu ×{c['thread_cpu_s'] / b['thread_cpu_s']:.2f})"
        )
    print("\n".join(lines))
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"chat_cpu-compare-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps({"args": vars(args), "summary": summary, "runs": runs}, indent=2, default=str))
    print(f"full figures: {path.relative_to(REPO)}")


def measure(args) -> None:
    from messaging.tests.pipeline import BOT_TOKEN, FakeTelegram

    telegram = FakeTelegram()
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AGNT_DATA_DIR": str(DATA_DIR),
            "AGNT_TESTING": "true",
            "DJANGO_SETTINGS_MODULE": "agnt.settings",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DEBUG": "false",
            "LLM_PROVIDER": "offline",
            "EMBEDDINGS_PROVIDER": os.environ.get("PIPELINE_EMBEDDINGS_PROVIDER", "local"),
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
            "LOG_LEVEL": "WARNING",
            "PYTHONWARNINGS": "ignore",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from messaging.models import Interaction, UserChannel
    from messaging.tasks import process_channel_messages

    call_command("migrate", verbosity=0)
    if args.seed_demo:
        call_command("seed_demo", verbosity=0)
    from venues.models import Venue

    counters = Counters()
    counters.install_redis()
    connection.execute_wrappers.append(counters.sql_wrapper)
    client = Client()
    base = 7_000_000_000 + int(time.time()) % 100_000 * 1000
    chats = [str(base + i) for i in range(args.guests)]
    offsets = {chat: random.Random(chat).randrange(len(TEXTS)) for chat in chats}
    update_id = [int.from_bytes(os.urandom(4), "big") * 1000]

    def webhooks(round_no: int) -> None:
        for chat in chats:
            update_id[0] += 1
            body = {
                "update_id": update_id[0],
                "message": {
                    "message_id": update_id[0],
                    "date": 1_700_000_000,
                    "text": TEXTS[(offsets[chat] + round_no) % len(TEXTS)],
                    "chat": {"id": int(chat), "type": "private"},
                    "from": {"id": int(chat), "is_bot": False, "first_name": "Guest"},
                },
            }
            response = client.post(
                "/webhooks/telegram",
                data=json.dumps(body),
                content_type="application/json",
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            assert response.status_code == 200, response.content[:200]

    channel_ids: dict[str, str] = {}

    def drains() -> None:
        for chat in chats:
            process_channel_messages(channel_ids[chat])

    web_profile = cProfile.Profile(time.thread_time) if args.profile == "web" else None
    worker_profile = cProfile.Profile(time.thread_time) if args.profile == "worker" else None
    web, worker = [], []
    for round_no in range(args.warmup + args.rounds):
        counted = round_no >= args.warmup
        web.append(_phase(counters, lambda r=round_no: webhooks(r), web_profile if counted else None))
        if not channel_ids:
            channel_ids.update(
                {
                    c.external_id: str(c.pk)
                    for c in UserChannel.objects.filter(platform="telegram", external_id__in=chats)
                }
            )
        worker.append(_phase(counters, drains, worker_profile if counted else None))
        time.sleep(max(0.0, 1.1 - worker[-1]["wall_s"]))  # Telegram's 1 message/s per chat, as the send queue keeps
        if not counted:
            web.pop()
            worker.pop()

    messages = args.guests * args.rounds
    answered = sum(telegram.count(chat) for chat in chats) - args.guests * args.warmup
    unanswered = Interaction.objects.filter(channel__external_id__in=chats, direction="in").exclude(
        status__in=["processed", "ignored"]
    )

    def per_message(rows: list[dict]) -> dict:
        return {
            key: round(sum(r[key] for r in rows) / messages * (1000 if key.endswith("_s") else 1), 2)
            for key in ("thread_cpu_s", "process_cpu_s", "wall_s", "sql", "redis")
        }

    web_pm, worker_pm = per_message(web), per_message(worker)
    results = {
        "args": vars(args),
        "venues": Venue.objects.count(),
        "messages": messages,
        "answered": answered,
        "not_processed": unanswered.count(),
        "web_per_message": web_pm,
        "worker_per_message": worker_pm,
    }
    lines = [
        f"=== chat CPU per message — {datetime.now(UTC).isoformat(timespec='seconds')} — "
        f"{messages} messages, {args.guests} guests, {results['venues']} venues ===",
        "                      cpu ms (thread)  cpu ms (process)  wall ms   SQL   Redis",
    ]
    for name, pm in (("webhook (web)", web_pm), ("answer (worker)", worker_pm)):
        lines.append(
            f"{name:20s} {pm['thread_cpu_s']:16.2f} {pm['process_cpu_s']:17.2f} {pm['wall_s']:8.2f} "
            f"{pm['sql']:5.1f} {pm['redis']:7.1f}"
        )
    lines.append(f"answered {answered} of {messages}; inbound not processed: {results['not_processed']}")
    if args.trace:
        chats[:] = chats[:1]
        time.sleep(1.1)
        for name, fn in (("webhook", lambda: webhooks(args.warmup + args.rounds)), ("answer", drains)):
            counters.log = []
            _phase(counters, fn, None)
            lines += [f"--- one {name}: {len(counters.log)} calls", *counters.log]
        counters.log = None
    print("\n".join(lines))
    for profile in (web_profile, worker_profile):
        if profile is not None:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
            print(out.getvalue())
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    else:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"chat_cpu-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
        path.write_text(json.dumps(results, indent=2))
        print(f"full figures: {path.relative_to(REPO)}")
    telegram.stop()
    from agnt import devinfra

    connection.close()
    devinfra.stop_redis()
    devinfra.stop_postgres()


if __name__ == "__main__":
    main()
