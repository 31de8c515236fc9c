"""Benchmark: venue search through the external agent API (/a2a/v1) against a trivial
endpoint served by the same server processes in the same run.

Run with ``.venv/bin/python bench/api_search.py`` (``--help`` for the knobs) or
``make bench-api``. It starts its own embedded PostgreSQL + Redis under ``.data/bench``
(never dev or test data), migrates, seeds the demo cities and venues, creates a pro API
key for the run, launches uvicorn as the Procfile does (``--workers 2``) with a URLconf
holding the real /a2a/v1 API plus ``/bench/trivial``, and drives both with the asyncio
HTTP/1.1 keep-alive load generator of bench/webhook_ingest.py:

1. saturation: ``--clients`` connections in a closed loop for ``--seconds`` each →
   requests/s and p50/p99 for the trivial endpoint, a filtered venue search
   (``GET /a2a/v1/venues?city=…&category=…``) and a full-text search (``?query=…``);
2. half of saturation: an open-loop schedule at 50 % of each search's saturated rate
   (latency from the *scheduled* send time) and the trivial endpoint at that same rate.

Every API request is fully authenticated (key lookup in PostgreSQL) and counted by the
Redis rate limiter (the key's budget is set high enough never to refuse), exactly as a
developer agent's request is.

Goals (issue 6): search throughput ≥ 30 % of the trivial endpoint's, and p99 ≤ 50 ms at
half of saturation. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.webhook_ingest import (  # noqa: E402 - the shared load generator and server helpers
    DATA_DIR,
    RESULTS_DIR,
    _free_port,
    _stop_server,
    closed_loop,
    open_loop,
)

BENCH_USER = "bench-api-developer"

# What agents ask for: a city + category filter page, and a few free-text searches.
FILTERED = [
    {"city": "canggu", "category": "restaurant"},
    {"city": "ubud", "category": "cafe"},
    {"city": "seminyak", "category": "beach_club"},
    {"city": "uluwatu"},
    {"city": "sanur", "party_size": 4},
]
TEXT = [
    {"query": "sunset cocktails"},
    {"query": "vegan brunch", "city": "canggu"},
    {"query": "sushi"},
    {"query": "spa massage", "city": "ubud"},
    {"query": "live music"},
]


def _bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        {
            "AGNT_DATA_DIR": str(DATA_DIR),
            "AGNT_TESTING": "true",  # settings skip .env …
            "DATABASE_POOL": "true",  # … but keep the production connection pool
            "DEBUG": "false",
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
    settings.ROOT_URLCONF = "bench.api_search"
    from django.core.asgi import get_asgi_application

    return get_asgi_application()


def __getattr__(name: str):
    # the URLconf, built lazily (Django must be set up first)
    if name == "urlpatterns":
        from django.http import HttpResponse
        from django.urls import path

        from agents.api import ninja as network_api

        def trivial(request):
            return HttpResponse(b'{"ok": true}', content_type="application/json")

        return [path("bench/trivial", trivial), path("a2a/v1/", network_api.urls)]
    raise AttributeError(name)


# --- load generation --------------------------------------------------------------------


class Requests:
    def __init__(self, host: str, token: str):
        self.host = host
        self.token = token
        self.filtered = itertools.cycle(FILTERED)
        self.text = itertools.cycle(TEXT)

    def _get(self, target: str, auth: bool) -> bytes:
        head = [f"GET {target} HTTP/1.1", f"Host: {self.host}", "Accept: application/json"]
        if auth:
            head.append(f"Authorization: Bearer {self.token}")
        return ("\r\n".join(head) + "\r\n\r\n").encode()

    def trivial(self) -> bytes:
        # the same headers as a search, so both pay for parsing them
        return self._get("/bench/trivial", auth=True)

    def search(self) -> bytes:
        return self._get("/a2a/v1/venues?" + urlencode(next(self.filtered)), auth=True)

    def search_text(self) -> bytes:
        return self._get("/a2a/v1/venues?" + urlencode(next(self.text)), auth=True)


# --- orchestration ----------------------------------------------------------------------


def _setup_django() -> None:
    os.environ.update(_bench_env())
    import django

    django.setup()


def _prepare() -> str:
    """Migrate, seed the demo cities and venues, and return a fresh pro key for this run."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from agents.services import api_key_create
    from agnt.management.demo import DemoSeeder

    call_command("migrate", verbosity=0)
    seeder = DemoSeeder(log=lambda *args, **kwargs: None)
    seeder.cities()
    seeder.venues()
    user, _ = get_user_model().objects.get_or_create(username=BENCH_USER)
    api_key, plaintext = api_key_create(owner=user, name=f"bench {datetime.now(UTC):%Y-%m-%d %H:%M}", tier="pro")
    api_key.rate_limit_per_minute = 100_000_000  # counted by the limiter on every request, never refused
    api_key.save(update_fields=["rate_limit_per_minute"])
    return plaintext


def _cleanup() -> dict:
    from agents.models import ApiKey

    deleted, _ = ApiKey.objects.filter(owner__username=BENCH_USER).delete()
    return {"api_keys_deleted": deleted}


def _start_server(port: int, workers: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.api_search:asgi_app",
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
                conn.sendall(b"GET /bench/trivial HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                if conn.recv(64).startswith(b"HTTP/1.1 200"):
                    return server
        except OSError:
            pass
        time.sleep(0.3)
    _stop_server(server)
    raise SystemExit("uvicorn did not answer within 60 s")


def _sample(port: int, requests: Requests) -> dict:
    """One search answer, to show what was measured (and that it found venues)."""

    async def fetch():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(requests.search())
        await writer.drain()
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        length = int(
            next(line.split(":", 1)[1] for line in head.split("\r\n") if line.lower().startswith("content-length"))
        )
        body = json.loads(await reader.readexactly(length))
        writer.close()
        return {
            "status": head.split()[1],
            "items": len(body.get("items", [])),
            "ratelimit": [line for line in head.split("\r\n") if line.lower().startswith("ratelimit-limit")],
        }

    return asyncio.run(fetch())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each measured phase")
    parser.add_argument("--clients", type=int, default=16, help="connections in the saturation (closed-loop) runs")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (Procfile default: 2)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up traffic per endpoint")
    args = parser.parse_args()

    run_started = time.time()
    _setup_django()
    from django.db import connection

    token = _prepare()
    connection.close()
    port = _free_port()
    server = _start_server(port, args.workers)
    results: dict = {}
    try:
        requests = Requests(f"127.0.0.1:{port}", token)
        results["sample"] = _sample(port, requests)
        endpoints = {"trivial": requests.trivial, "search": requests.search, "search_text": requests.search_text}

        async def run() -> None:
            for make in endpoints.values():  # warm every worker, connection pool and cache
                await closed_loop(port, make, args.clients, args.warmup)
            results["saturation"] = {}
            for name, make in endpoints.items():
                results["saturation"][name] = await closed_loop(port, make, args.clients, args.seconds)
            results["half"] = {}
            for name in ("search", "search_text"):
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

    _report(results, args, time.time() - run_started)


def _report(results: dict, args, total: float) -> None:
    sat, half = results["saturation"], results["half"]
    lines = [
        f"=== /a2a/v1 venue search benchmark — {datetime.now(UTC).isoformat(timespec='seconds')} ===",
        f"uvicorn --workers {args.workers}, {args.clients} client connections, {args.seconds:g} s per phase; "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}; load generator on the same machine",
        f"sample search answer: {results['sample']}",
        "",
        "saturation (closed loop)                     req/s    p50 ms   p99 ms   errors   ratio",
    ]
    base = sat["trivial"]["rps"]
    for name in ("trivial", "search", "search_text"):
        r = sat[name]
        lines.append(
            f"  {name:<40} {r['rps']:8.1f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['errors']:8d}   {r['rps'] / base:5.2f}"
        )
    lines += ["", "half of the search's saturation (open loop)   rate     p50 ms   p99 ms   max ms   errors"]
    for name, r in half.items():
        lines.append(
            f"  {name:<40} {r['rate']:7.1f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['max_ms']:8.2f} {r['errors']:6d}"
        )
    lines += ["", "goals (issue “The open network”)"]
    goals = {}
    for name in ("search", "search_text"):
        ratio = sat[name]["rps"] / base
        p99 = half[name]["p99_ms"]
        goals[f"{name}_throughput_ratio"], goals[f"{name}_p99_half_ms"] = ratio, p99
        lines.append(
            f"  {name}: throughput ≥ 30% of trivial          {ratio * 100:5.1f}%  {'PASS' if ratio >= 0.3 else 'FAIL'}"
        )
        lines.append(f"  {name}: p99 ≤ 50 ms at half of saturation    {p99:5.1f}  {'PASS' if p99 <= 50 else 'FAIL'}")
    lines.append(f"cleanup: {results['cleanup']}; total run time {total / 60:.1f} min")
    print("\n".join(lines))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"api_search-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(
        json.dumps(
            {"args": vars(args), "results": results, "goals": goals, "cpus": os.cpu_count()}, indent=2, default=str
        )
    )
    print(f"full figures: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
