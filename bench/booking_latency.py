"""Benchmark: end-to-end chat booking latency through the built-in gateway, and the last
table under concurrent requests.

Run with ``make bench-bookings`` (``ARGS="--bookings 40"`` for a quicker run). It starts
its own embedded PostgreSQL + Redis under ``.data/bench``, migrates, creates two bench
venues, and launches the real processes: uvicorn (the project's ASGI app, Procfile
style) and a Celery worker, with the offline LLM provider, the built-in gateway
(CLAWPULSE_GATEWAY default) and a local fake Telegram Bot API that records what it is
sent and when.

Per booking, one guest's Telegram chat: "book Bench Bistro tomorrow at HH:MM for 2" →
(concierge asks for YES) → "yes" is POSTed to /webhooks/telegram at t0; we then measure

* **enqueued**: t0 → the confirmation message row (the guest notification) exists in
  the database — the issue's "confirmation message enqueued";
* **delivered**: t0 → the fake Telegram API receives "✅ Confirmed …".

Baseline in the same run: a "/help" message, webhook → reply at the fake Telegram API —
the floor of any answer in this setup. The polling design of the original system had a
floor of 30 s (inbox polls every 30–60 s).

Last table: ``--contenders`` guests ask for the same slot at a venue that can seat one
party at a time, all at once; afterwards exactly one booking for that slot may be
confirmed (the rest rejected or counter-offered).

Goals (issue 4): p95 ≤ 2 s over ≥ 100 bookings; zero double bookings.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO / ".data" / "bench"
RESULTS_DIR = REPO / "bench" / "results"
TELEGRAM_SECRET = "bench-telegram-secret"
BOT_TOKEN = "123456:BENCH"
# Every run gets its own venues and chats: booking history is append-only (the database
# refuses deletes), so runs leave their rows in the private bench database and must not
# see each other's. `make clean-data` removes .data/bench altogether.
RUN = int(time.time())
RUN_TAG = "".join(chr(ord("a") + (RUN // 26**i) % 26) for i in range(4))
CHAT_BASE = 7_000_000_000 + (RUN % 9000) * 100_000
BISTRO = f"Bench Bistro {RUN_TAG.capitalize()}"
LAST_TABLE = f"Bench Last Table {RUN_TAG.capitalize()}"
BISTRO_SLUG = f"bench-bistro-{RUN_TAG}"
LAST_SLUG = f"bench-last-table-{RUN_TAG}"


# --- the fake Telegram Bot API ----------------------------------------------------------


class Telegram:
    """Records sendMessage calls with their arrival time; answers like the Bot API."""

    def __init__(self) -> None:
        self.messages: list[tuple[float, str, str]] = []  # (time, chat_id, text)
        self.lock = threading.Lock()
        self.condition = threading.Condition(self.lock)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with fake.condition:
                    fake.messages.append((time.time(), str(body.get("chat_id")), str(body.get("text", ""))))
                    fake.condition.notify_all()
                    message_id = len(fake.messages)
                out = json.dumps(
                    {"ok": True, "result": {"message_id": message_id, "date": 0, "chat": {"id": 1}}}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, chat_id: str, needle: str, after: float, timeout: float = 30.0) -> float | None:
        """Arrival time of the first message to ``chat_id`` containing ``needle`` after ``after``."""
        deadline = time.time() + timeout
        with self.condition:
            while True:
                for at, chat, text in self.messages:
                    if chat == chat_id and at >= after and needle.lower() in text.lower():
                        return at
                remaining = deadline - time.time()
                if remaining <= 0:
                    return None
                self.condition.wait(remaining)


# --- processes ---------------------------------------------------------------------------


def _env(telegram: Telegram, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        {
            "AGNT_DATA_DIR": str(DATA_DIR),
            "AGNT_TESTING": "true",  # settings skip .env …
            "DATABASE_POOL": "true",  # … but keep the production connection pool
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DEBUG": "false",
            "LLM_PROVIDER": "offline",
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "DJANGO_SETTINGS_MODULE": "agnt.settings",
            "PYTHONPATH": str(REPO),
            "TOKENIZERS_PARALLELISM": "false",
        }
    )
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(env: dict[str, str], port: int, workers: int, concurrency: int) -> list[subprocess.Popen]:
    from django.conf import settings

    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "agnt.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "agnt",
            "--quiet",
            "worker",
            "-Q",
            ",".join(settings.CELERY_WORKER_QUEUES),
            "-c",
            str(concurrency),
            "--loglevel",
            "WARNING",
            "-n",
            f"bench-{port}@%h",
        ],
        cwd=REPO,
        env=env,
        start_new_session=True,
    )
    processes = [web, worker]
    deadline = time.time() + 90
    while time.time() < deadline:
        for proc in processes:
            if proc.poll() is not None:
                _stop(processes)
                raise SystemExit(f"a bench process exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                time.sleep(3)  # let the worker connect to the broker too
                return processes
        except OSError:
            time.sleep(0.3)
    _stop(processes)
    raise SystemExit("the web server did not start within 90 s")


def _stop(processes: list[subprocess.Popen]) -> None:
    for proc in processes:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in processes:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


# --- data --------------------------------------------------------------------------------


def _setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def _hours() -> dict:
    return {day: [["10:00", "23:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _venues():
    from venues.models import City, Venue

    city, _ = City.objects.get_or_create(slug="bench-city", defaults={"name": "Benchtown", "timezone": "Asia/Makassar"})
    common = {
        "city": city,
        "category": "restaurant",
        "status": "active",
        "opening_hours": _hours(),
        "slot_minutes": 30,
        "booking_duration_minutes": 90,
        "booking_lead_minutes": 0,
        "booking_window_days": 60,
        "min_party_size": 1,
        "max_party_size": 8,
        "price_level": 2,
        "description": "Benchmark venue",
    }
    bistro, _ = Venue.objects.update_or_create(
        slug=BISTRO_SLUG, defaults={**common, "name": BISTRO, "capacity": 100_000, "covers_per_slot": 30_000}
    )
    last, _ = Venue.objects.update_or_create(
        slug=LAST_SLUG, defaults={**common, "name": LAST_TABLE, "capacity": 2, "covers_per_slot": 2}
    )
    return bistro, last


def _cleanup() -> dict:
    """Close this run's venues (so later runs' searches don't see them) and drop the
    broker's leftover tasks. Bookings, their events and envelopes stay: append-only."""
    import redis
    from django.conf import settings

    from bookings.models import VenueBooking
    from venues.models import Venue

    closed = Venue.objects.filter(slug__in=[BISTRO_SLUG, LAST_SLUG]).update(status="closed")
    redis.Redis.from_url(settings.REDIS_BROKER_URL).flushdb()
    return {
        "venues_closed": closed,
        "bookings_kept": VenueBooking.objects.filter(venue__slug__in=[BISTRO_SLUG, LAST_SLUG]).count(),
    }


# --- the conversations --------------------------------------------------------------------


class Client:
    def __init__(self, port: int) -> None:
        import httpx

        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        self.update_id = int(time.time() * 1000) % 1_000_000_000
        self.lock = threading.Lock()

    def say(self, chat_id: str, text: str) -> float:
        with self.lock:
            self.update_id += 1
            update_id = self.update_id
        body = {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "text": text,
                "chat": {"id": int(chat_id), "type": "private"},
                "from": {"id": int(chat_id), "is_bot": False, "first_name": "Bench"},
            },
        }
        sent = time.time()
        response = self.http.post(
            "/webhooks/telegram", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        )
        response.raise_for_status()
        return sent


def _confirmation_enqueued_at(chat_id: str, after: float, timeout: float = 30.0) -> float | None:
    from messaging.models import Interaction

    deadline = time.time() + timeout
    since = datetime.fromtimestamp(after, UTC)
    while time.time() < deadline:
        row = (
            Interaction.objects.filter(
                channel__external_id=chat_id,
                direction="outbound",
                created_at__gte=since,
                payload__notification__endswith=":confirmed",
            )
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if row is not None:
            return row.timestamp()
        time.sleep(0.01)
    return None


def one_booking(client: Client, telegram: Telegram, index: int, slot: str) -> dict:
    chat = str(CHAT_BASE + index)
    asked = client.say(chat, f"book {BISTRO} tomorrow at {slot} for 2")
    if telegram.wait_for(chat, "YES", asked) is None:
        return {"ok": False, "error": "no confirmation question"}
    t0 = client.say(chat, "yes")
    delivered = telegram.wait_for(chat, "✅ Confirmed", t0)
    enqueued = _confirmation_enqueued_at(chat, t0 - 1)
    if delivered is None or enqueued is None:
        return {"ok": False, "error": "no confirmation within 30 s"}
    return {"ok": True, "enqueued": enqueued - t0, "delivered": delivered - t0}


def one_help(client: Client, telegram: Telegram, index: int) -> float | None:
    chat = str(CHAT_BASE + 50_000 + index)
    t0 = client.say(chat, "/help")
    at = telegram.wait_for(chat, "what I can do", t0)
    return None if at is None else at - t0


def last_table(client: Client, telegram: Telegram, contenders: int, last) -> dict:
    """Everyone asks for the same slot at once; at most one may be confirmed."""
    from bookings.models import VenueBooking

    chats = [str(CHAT_BASE + 90_000 + i) for i in range(contenders)]
    with ThreadPoolExecutor(contenders) as pool:
        asked = list(pool.map(lambda chat: client.say(chat, f"book {LAST_TABLE} tomorrow at 20:00 for 2"), chats))
    for chat, at in zip(chats, asked):
        telegram.wait_for(chat, "YES", at)
    with ThreadPoolExecutor(contenders) as pool:
        said_yes = list(pool.map(lambda chat: client.say(chat, "yes"), chats))
    for chat, at in zip(chats, said_yes):  # every guest hears back (booked, or told the slot went)
        telegram.wait_for(chat, "", at)
    deadline = time.time() + 60
    while time.time() < deadline and VenueBooking.objects.filter(venue=last, status="requested").exists():
        time.sleep(0.2)
    statuses = dict.fromkeys(["confirmed", "rejected", "counter_offered", "requested", "pending_owner"], 0)
    for status in VenueBooking.objects.filter(venue=last).values_list("status", flat=True):
        statuses[status] = statuses.get(status, 0) + 1
    booked = sum(statuses.values())
    return {
        "contenders": contenders,
        "statuses": statuses,
        "refused_before_booking": contenders - booked,
        "double_booked": statuses["confirmed"] > 1,
    }


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=120, help="chat bookings measured (default 120)")
    parser.add_argument("--parallel", type=int, default=4, help="conversations in flight at once (default 4)")
    parser.add_argument("--contenders", type=int, default=10, help="guests racing for the last table (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--concurrency", type=int, default=4, help="Celery worker processes")
    args = parser.parse_args()

    started = time.time()
    telegram = Telegram()
    port = _free_port()
    env = _env(telegram, port)
    _setup_django(env)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    bistro, last = _venues()
    connection.close()
    processes = _start(env, port, args.workers, args.concurrency)
    client = Client(port)
    results: dict = {}
    try:
        # warm-up: every worker process loads its code paths once
        for i in range(4):
            one_help(client, telegram, 900 + i)
            one_booking(client, telegram, 800 + i, f"{10 + i}:00")
        slots = [f"{h:02d}:{m:02d}" for h in range(10, 22) for m in (0, 30)]
        with ThreadPoolExecutor(args.parallel) as pool:
            helps = [
                x for x in pool.map(lambda i: one_help(client, telegram, i), range(args.bookings)) if x is not None
            ]
            outcomes = list(
                pool.map(lambda i: one_booking(client, telegram, i, slots[i % len(slots)]), range(args.bookings))
            )
        ok = [o for o in outcomes if o["ok"]]
        if not ok or not helps:
            sample = [m for m in telegram.messages if m[1] == str(CHAT_BASE)][-4:]
            raise SystemExit(f"no booking was confirmed: {outcomes[:3]}; last messages to the first chat: {sample}")
        results["baseline_help"] = {"n": len(helps), "p50": statistics.median(helps), "p95": _pct(helps, 95)}
        results["booking_enqueued"] = {
            "n": len(ok),
            "p50": statistics.median(o["enqueued"] for o in ok),
            "p95": _pct([o["enqueued"] for o in ok], 95),
        }
        results["booking_delivered"] = {
            "n": len(ok),
            "p50": statistics.median(o["delivered"] for o in ok),
            "p95": _pct([o["delivered"] for o in ok], 95),
        }
        results["failures"] = [o["error"] for o in outcomes if not o["ok"]]
        results["last_table"] = last_table(client, telegram, args.contenders, last)
    finally:
        _stop(processes)
        results["cleanup"] = _cleanup()
    _report(results, args, time.time() - started)


def _report(results: dict, args, total: float) -> None:
    base, enq, dlv, last = (
        results["baseline_help"],
        results["booking_enqueued"],
        results["booking_delivered"],
        results["last_table"],
    )
    lines = [
        f"=== booking latency benchmark — {datetime.now(UTC).isoformat(timespec='seconds')} ===",
        f"{args.bookings} chat bookings, {args.parallel} conversations in flight; uvicorn --workers {args.workers}, "
        f"celery -c {args.concurrency}; offline LLM; built-in gateway; {os.cpu_count()} CPUs",
        "",
        "                                               n     p50 s    p95 s   ratio (p50 / baseline p50)",
        f"  baseline: '/help' webhook → reply at Telegram {base['n']:4d}  {base['p50']:7.3f}  {base['p95']:7.3f}   1.0",
        f"  booking: 'yes' → confirmation enqueued      {enq['n']:4d}  {enq['p50']:7.3f}  {enq['p95']:7.3f}   {enq['p50'] / base['p50']:.1f}",
        f"  booking: 'yes' → confirmation at Telegram   {dlv['n']:4d}  {dlv['p50']:7.3f}  {dlv['p95']:7.3f}   {dlv['p50'] / base['p50']:.1f}",
        f"  failed bookings: {len(results['failures'])} {sorted(set(results['failures']))}",
        "",
        f"last table: {last['contenders']} guests said yes at once for one slot that seats one party → bookings "
        f"{last['statuses']}; {last['refused_before_booking']} told the slot had gone before a booking was made",
        "",
        "goals (issue “Agent-to-agent bookings”)",
        f"  p95 'yes' → confirmation enqueued ≤ 2 s        {enq['p95']:.3f} s  {'PASS' if enq['p95'] <= 2 and enq['n'] >= 100 else 'FAIL'}"
        f"{'' if enq['n'] >= 100 else ' (fewer than 100 bookings measured)'}",
        f"  zero double bookings                           {'PASS' if not last['double_booked'] else 'FAIL'}",
        f"cleanup: {results['cleanup']}; total run time {total / 60:.1f} min",
    ]
    print("\n".join(lines))
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"booking_latency-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps({"args": vars(args), **results}, indent=2, default=str))
    print(f"full figures: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
