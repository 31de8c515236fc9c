"""Benchmark: webhook ingestion (verify, dedupe, store, enqueue, 200) against a trivial
endpoint served by the same server processes in the same run.

Run with ``.venv/bin/python bench/webhook_ingest.py`` (``--help`` for the knobs). It
starts its own embedded PostgreSQL + Redis under ``.data/bench`` (never dev or test
data), migrates, launches uvicorn exactly as the Procfile does (``--workers 2``) with a
URLconf holding the real webhook routes plus ``/bench/trivial``, and drives both with an
asyncio HTTP/1.1 keep-alive load generator:

1. saturation: ``--clients`` connections in a closed loop for ``--seconds`` each →
   requests/s and p50/p99 for the trivial endpoint, the Telegram webhook and the
   WhatsApp webhook (HMAC signature);
2. half of saturation: an open-loop schedule at 50 % of each webhook's saturated rate
   (latency measured from the *scheduled* send time, so queueing is counted) and the
   trivial endpoint at that same rate.

Goals (issue 3): webhook throughput ≥ 40 % of the trivial endpoint's, and p99 ≤ 50 ms
at half of saturation. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO / ".data" / "bench"
RESULTS_DIR = REPO / "bench" / "results"

TELEGRAM_SECRET = "bench-telegram-secret"
META_SECRET = "bench-meta-app-secret"
CHAT_BASE = 9_100_000_000  # Telegram chat ids / wa_ids of the synthetic users (cleaned up at the end)
WA_PREFIX = "9911"
CHATS = 500


def _bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        {
            "AGNT_DATA_DIR": str(DATA_DIR),
            "AGNT_TESTING": "true",  # settings skip .env …
            "DATABASE_POOL": "true",  # … but keep the production connection pool
            "CELERY_TASK_ALWAYS_EAGER": "false",  # processing is enqueued to Redis, not run inline
            "DEBUG": "false",
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "META_APP_SECRET": META_SECRET,
            "DJANGO_SETTINGS_MODULE": "agnt.settings",
            "PYTHONPATH": str(REPO),
        }
    )
    return env


# --- served by uvicorn (imported in each worker) ----------------------------------------


def asgi_app():
    """uvicorn ``--factory`` entry: Django's HTTP app with this module as the URLconf."""
    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = "bench.webhook_ingest"
    from django.core.asgi import get_asgi_application

    return get_asgi_application()


def __getattr__(name: str):
    # the URLconf, built lazily (Django must be set up first)
    if name == "urlpatterns":
        from django.http import HttpResponse
        from django.urls import include, path
        from django.views.decorators.csrf import csrf_exempt

        @csrf_exempt
        def trivial(request):
            request.read()  # read the body like the webhook does, then do nothing
            return HttpResponse(b'{"ok": true}', content_type="application/json")

        return [path("bench/trivial", trivial), path("webhooks/", include("messaging.urls"))]
    raise AttributeError(name)


# --- load generation --------------------------------------------------------------------


class Requests:
    """Builds request bytes; every webhook request carries a fresh provider message id."""

    def __init__(self, host: str, run_id: int):
        self.host = host
        self.run_id = run_id
        self.counter = 0

    def _raw(self, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {self.host}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            *[f"{k}: {v}" for k, v in headers.items()],
        ]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body

    def trivial(self) -> bytes:
        self.counter += 1
        return self._raw("/bench/trivial", self._telegram_body(), {})

    def _telegram_body(self) -> bytes:
        chat = CHAT_BASE + self.counter % CHATS
        update = {
            "update_id": self.run_id * 10_000_000 + self.counter,
            "message": {
                "message_id": self.counter,
                "date": int(time.time()),
                "text": "find me a beach club in Canggu for 4",
                "from": {
                    "id": chat,
                    "is_bot": False,
                    "first_name": "Bench",
                    "username": f"bench{chat}",
                    "language_code": "en",
                },
                "chat": {"id": chat, "type": "private", "first_name": "Bench"},
            },
        }
        return json.dumps(update).encode()

    def telegram(self) -> bytes:
        self.counter += 1
        return self._raw(
            "/webhooks/telegram", self._telegram_body(), {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        )

    def whatsapp(self) -> bytes:
        self.counter += 1
        wa_id = f"{WA_PREFIX}{self.counter % CHATS:08d}"
        payload = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "WABA",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"display_phone_number": "628110000", "phone_number_id": "1099"},
                                "contacts": [{"profile": {"name": "Bench"}, "wa_id": wa_id}],
                                "messages": [
                                    {
                                        "from": wa_id,
                                        "id": f"wamid.BENCH{self.run_id}.{self.counter}",
                                        "timestamp": str(int(time.time())),
                                        "type": "text",
                                        "text": {"body": "any vegan cafe in Ubud open now?"},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
        body = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return self._raw("/webhooks/whatsapp", body, {"X-Hub-Signature-256": signature})


async def _exchange(reader, writer, raw: bytes) -> int:
    writer.write(raw)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("server closed the connection")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        elif name.strip().lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:  # a streamed answer (the MCP server's SSE): read every chunk to the last
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                break
            await reader.readexactly(size + 2)
    elif length:
        await reader.readexactly(length)
    return status


async def closed_loop(port: int, make, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds

    async def worker():
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            raw = make()
            started = time.perf_counter()
            status = await _exchange(reader, writer, raw)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
            if status != 200:
                errors += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return _summary(latencies, elapsed, errors, statuses)


async def open_loop(port: int, make, rate: float, seconds: float, max_connections: int = 64) -> dict:
    """Send at a fixed rate; latency counts from the scheduled time (no coordinated omission)."""
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(max_connections):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05

    async def one(index: int):
        nonlocal errors
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        raw = make()
        reader, writer = await pool.get()
        try:
            status = await _exchange(reader, writer, raw)
        finally:
            pool.put_nowait((reader, writer))
        latencies.append(time.perf_counter() - scheduled)
        statuses[status] = statuses.get(status, 0) + 1
        if status != 200:
            errors += 1

    await asyncio.gather(*(one(i) for i in range(total)))
    elapsed = time.perf_counter() - start
    while not pool.empty():
        _, writer = pool.get_nowait()
        writer.close()
    return _summary(latencies, elapsed, errors, statuses)


def _summary(latencies: list[float], elapsed: float, errors: int, statuses: dict[int, int]) -> dict:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else float("nan")

    return {
        "requests": len(ordered),
        "seconds": round(elapsed, 2),
        "rps": len(ordered) / elapsed if elapsed else 0.0,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": ordered[-1] * 1000 if ordered else float("nan"),
        "errors": errors,
        "statuses": statuses,
    }


# --- orchestration ----------------------------------------------------------------------


def _setup_django() -> None:
    os.environ.update(_bench_env())
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int, workers: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.webhook_ingest:asgi_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=REPO, env=_bench_env(), start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"uvicorn exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"POST /bench/trivial HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
                if conn.recv(64).startswith(b"HTTP/1.1 200"):
                    return server
        except OSError:
            pass
        time.sleep(0.3)
    _stop_server(server)
    raise SystemExit("uvicorn did not answer within 60 s")


def _stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)  # our own process group (start_new_session)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def _cleanup() -> dict:
    """Remove the synthetic users, their messages, and the processing tasks left in the broker."""
    import redis
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from messaging.models import Interaction, UserChannel

    channels = UserChannel.objects.filter(external_id__startswith=str(CHAT_BASE)[:4]) | UserChannel.objects.filter(
        external_id__startswith=WA_PREFIX
    )
    user_ids = list(channels.values_list("user_id", flat=True))
    deleted_interactions, _ = Interaction.objects.filter(channel__in=channels).delete()
    get_user_model().objects.filter(pk__in=user_ids).delete()
    # the bench Redis is private to .data/bench: drop the tasks nobody will consume
    redis.Redis.from_url(settings.REDIS_BROKER_URL).flushdb()
    return {"interactions_deleted": deleted_interactions, "users_deleted": len(user_ids)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each measured phase")
    parser.add_argument("--clients", type=int, default=16, help="connections in the saturation (closed-loop) runs")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (Procfile default: 2)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up traffic per endpoint")
    args = parser.parse_args()

    run_started = time.time()
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    connection.close()
    port = _free_port()
    server = _start_server(port, args.workers)
    results: dict = {}
    try:
        requests = Requests(f"127.0.0.1:{port}", run_id=int(run_started))
        endpoints = {"trivial": requests.trivial, "telegram": requests.telegram, "whatsapp": requests.whatsapp}

        async def run() -> None:
            for name, make in endpoints.items():  # warm every worker, connection pool and cache
                await closed_loop(port, make, args.clients, args.warmup)
            results["saturation"] = {}
            for name, make in endpoints.items():
                results["saturation"][name] = await closed_loop(port, make, args.clients, args.seconds)
            results["half"] = {}
            for name in ("telegram", "whatsapp"):
                rate = results["saturation"][name]["rps"] / 2
                results["half"][name] = {"rate": rate, **await open_loop(port, endpoints[name], rate, args.seconds)}
                results["half"][f"trivial@{name}"] = {
                    "rate": rate,
                    **await open_loop(port, requests.trivial, rate, args.seconds),
                }

        asyncio.run(run())
    finally:
        _stop_server(server)
        results["cleanup"] = _cleanup()

    _report(results, args, settings, time.time() - run_started)


def _report(results: dict, args, settings, total: float) -> None:
    sat, half = results["saturation"], results["half"]
    lines = [
        f"=== webhook ingestion benchmark — {datetime.now(UTC).isoformat(timespec='seconds')} ===",
        f"uvicorn --workers {args.workers}, {args.clients} client connections, {args.seconds:g} s per phase; "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}; load generator on the same machine",
        "",
        "saturation (closed loop)                     req/s    p50 ms   p99 ms   errors   ratio",
    ]
    base = sat["trivial"]["rps"]
    for name in ("trivial", "telegram", "whatsapp"):
        r = sat[name]
        lines.append(
            f"  {name:<40} {r['rps']:8.1f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['errors']:8d}   {r['rps'] / base:5.2f}"
        )
    lines += ["", "half of the webhook's saturation (open loop)  rate     p50 ms   p99 ms   max ms   errors"]
    for name, r in half.items():
        lines.append(
            f"  {name:<40} {r['rate']:7.1f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['max_ms']:8.2f} {r['errors']:6d}"
        )
    lines += ["", "goals (issue “Conversational concierge”)"]
    goals = {}
    for name in ("telegram", "whatsapp"):
        ratio = sat[name]["rps"] / base
        goals[f"{name}_throughput_ratio"] = ratio
        goals[f"{name}_p99_half_ms"] = half[name]["p99_ms"]
        lines.append(
            f"  {name}: throughput ≥ 40% of trivial            {ratio * 100:5.1f}%  {'PASS' if ratio >= 0.4 else 'FAIL'}"
        )
        p99 = half[name]["p99_ms"]
        lines.append(f"  {name}: p99 ≤ 50 ms at half of saturation      {p99:5.1f}  {'PASS' if p99 <= 50 else 'FAIL'}")
    lines.append(f"cleanup: {results['cleanup']}; total run time {total / 60:.1f} min")
    print("\n".join(lines))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"webhook_ingest-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(
        json.dumps(
            {"args": vars(args), "results": results, "goals": goals, "cpus": os.cpu_count()}, indent=2, default=str
        )
    )
    print(f"full figures: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
