"""Benchmark: the concierge's reply time on the conversation set, next to the baseline commit.

Run with ``make bench-conversations`` (``ARGS="--sample 20"`` for a quicker run).
A fixed sample of the conversations in messaging/tests/conversations.yaml (every k-th one,
so the sample spans searches, details, availability, bookings and the other languages) is
played turn by turn as Telegram guests through the real webhook (uvicorn) → stored
Interaction → Celery → router → offline planner → send queue → a local fake Telegram Bot
API. A turn's reply time runs from the webhook POST to the reply's arrival at the fake API.
Inline-button taps ("press") are sent as the typed word, which the baseline understands too.

The **baseline** is this repository at ``--baseline-ref`` (5bb5bbd, the commit before the
concierge rework), checked out with ``git worktree`` under ``.data/bench/`` like
bench/chat_load.py does. Both pipelines run at the same time, each with its own Redis, on
one database with the demo data (``seed_demo``, as ``make run`` loads it); every
conversation is played on the baseline and then on the current code before the next one
starts, so both sides see the same machine noise. One guest at a time: this measures
latency, not throughput (bench/chat_load.py does throughput).

Reported per side: median and p95 reply time and the ratio current / baseline; the full
figures go to bench/results/conversations-<UTC timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATA_DIR = REPO / ".data" / "bench"
RESULTS_DIR = REPO / "bench" / "results"
BASELINE_REF = "5bb5bbd"  # main before the concierge rework (dialogue state, languages, meaning)
CONVERSATIONS = REPO / "messaging" / "tests" / "conversations.yaml"
QUEUES = ["default", "messaging", "bookings", "agents", "billing", "knowledge", "crm", "maintenance"]

from bench.chat_load import _baseline_tree, _pct  # noqa: E402
from messaging.tests.pipeline import TELEGRAM_SECRET, FakeTelegram, Guests, Pipeline, PrivateRedis, database_url  # noqa: E402


class Speaker(Guests):
    """A Telegram guest with a language (the client's ``language_code``)."""

    def say_as(self, chat_id: str, text: str, lang: str) -> float:
        with self.lock:
            self.update_id += 1
            update_id = self.update_id
        sender = {"id": int(chat_id), "is_bot": False, "first_name": "Guest", "language_code": lang}
        body = {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1_700_000_000,
                "text": text,
                "chat": {"id": int(chat_id), "type": "private"},
                "from": sender,
            },
        }
        sent = time.monotonic()
        response = self.http.post(
            "/webhooks/telegram", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        )
        response.raise_for_status()
        return sent


def sample(k: int) -> list[dict]:
    import yaml

    conversations = yaml.safe_load(CONVERSATIONS.read_text(encoding="utf-8"))
    step = max(1, len(conversations) // k)
    return conversations[::step][:k]


def settle(telegram: FakeTelegram, chat: str, quiet: float = 0.4, limit: float = 8.0) -> None:
    """Wait until no further message reaches ``chat`` for ``quiet`` s (a booking's venue
    answer follows the reply), so the next turn's reply is not confused with it."""
    deadline = time.monotonic() + limit
    seen = telegram.count(chat)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = telegram.count(chat)
        if now == seen:
            return
        seen = now


def play(side: Speaker, telegram: FakeTelegram, chat: str, conversation: dict, timeout: float) -> list[float | None]:
    lang = conversation.get("lang", "en")
    times: list[float | None] = []
    for turn in conversation["turns"]:
        text = turn.get("say") or turn.get("press")
        before = telegram.count(chat)
        sent = side.say_as(chat, text, lang)
        arrived = telegram.wait_count(chat, before + 1, timeout)
        times.append(None if arrived is None else arrived - sent)
        if arrived is None:
            break
        settle(telegram, chat)
    return times


def summary(times: list[float | None]) -> dict:
    done = [t for t in times if t is not None]
    return {
        "turns": len(times),
        "unanswered": len(times) - len(done),
        "median_ms": statistics.median(done) * 1000 if done else float("nan"),
        "p95_ms": _pct(done, 95) * 1000 if done else float("nan"),
        "mean_ms": statistics.fmean(done) * 1000 if done else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=40, help="conversations played (every k-th of the set)")
    parser.add_argument("--baseline-ref", default=BASELINE_REF, help="git ref measured as the baseline")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for one reply")
    args = parser.parse_args()

    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.update(
        {"AGNT_DATA_DIR": str(DATA_DIR), "AGNT_TESTING": "true", "DJANGO_SETTINGS_MODULE": "agnt.settings"}
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    db_url = database_url(connection.settings_dict)
    connection.close()

    conversations = sample(args.sample)
    started = time.time()
    telegram = FakeTelegram()
    redis = {name: PrivateRedis(_redis_dir(name)) for name in ("baseline", "current")}
    pipelines: dict[str, Pipeline] = {}
    speakers: dict[str, Speaker] = {}
    times: dict[str, list[float | None]] = {"baseline": [], "current": []}
    per_conversation: list[dict] = []
    try:
        for name, r in redis.items():
            r.start()
            pipelines[name] = Pipeline(
                database_url=db_url,
                redis_url=r.url,
                telegram=telegram,
                workers={"worker": (QUEUES, 2)},
                web_workers=1,
                cwd=_baseline_tree(args.baseline_ref) if name == "baseline" else REPO,
            )
            pipelines[name].start()
            speakers[name] = Speaker(pipelines[name].port)
        chat_base = 9_000_000_000 + (int(time.time()) % 10_000) * 10_000
        for name in ("baseline", "current"):  # warm-up: the model, the parsers and every pool child
            for i, text in enumerate(("hello", "find me a beach club in Canggu", "ресторан в Убуде", "hello")):
                chat = str(chat_base + (0 if name == "baseline" else 5000) + i)
                speakers[name].say_as(chat, text, "en")
                telegram.wait_count(chat, 1, args.timeout)
        for index, conversation in enumerate(conversations, 1):
            row = {"id": conversation["id"]}
            for name in ("baseline", "current"):
                chat = str(chat_base + (0 if name == "baseline" else 5000) + 10 + index)
                played = play(speakers[name], telegram, chat, conversation, args.timeout)
                times[name] += played
                row[name] = [round(t * 1000) if t is not None else None for t in played]
            per_conversation.append(row)
            print(f"{index:3d}/{len(conversations)} {conversation['id']}: {row['baseline']} | {row['current']} ms")
    finally:
        for speaker in speakers.values():
            speaker.close()
        for pipeline in pipelines.values():
            pipeline.stop()
        for r in redis.values():
            r.stop()
        telegram.stop()
        from agnt import devinfra

        connection.close()
        devinfra.stop_redis()
        devinfra.stop_postgres()
    results = {
        "args": vars(args),
        "cpus": os.cpu_count(),
        "conversations": len(conversations),
        "baseline": summary(times["baseline"]),
        "current": summary(times["current"]),
        "per_conversation": per_conversation,
        "total_minutes": (time.time() - started) / 60,
    }
    _report(results)


def _redis_dir(name: str) -> Path:
    directory = DATA_DIR / f"conversations-redis-{name}"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _report(results: dict) -> None:
    b, c = results["baseline"], results["current"]
    lines = [
        f"=== conversation reply time — {datetime.now(UTC).isoformat(timespec='seconds')} — {results['cpus']} CPUs ===",
        f"{results['conversations']} conversations of conversations.yaml, {c['turns']} turns, one guest at a time;"
        " webhook → Celery → offline planner → fake Telegram",
        "",
        "side                 | median ms |  p95 ms | mean ms | unanswered",
        f"baseline {results['args']['baseline_ref']:<11} | {b['median_ms']:9.0f} | {b['p95_ms']:7.0f} | {b['mean_ms']:7.0f} | {b['unanswered']}",
        f"current              | {c['median_ms']:9.0f} | {c['p95_ms']:7.0f} | {c['mean_ms']:7.0f} | {c['unanswered']}",
        "",
        f"ratio current / baseline: median {c['median_ms'] / b['median_ms']:.2f}×, p95 {c['p95_ms'] / b['p95_ms']:.2f}×",
        f"goal: median no worse than the baseline's  {'PASS' if c['median_ms'] <= b['median_ms'] else 'FAIL'}",
        f"total run time {results['total_minutes']:.1f} min",
    ]
    print("\n".join(lines))
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"conversations-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"full figures: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
