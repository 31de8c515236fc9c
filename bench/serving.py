"""Benchmark: the same requests against the old serving layout and the new ones, in one run.

Run with ``make bench-serving`` (``ARGS="--help"`` for the knobs). It starts its own embedded
PostgreSQL + Redis under ``.data/bench`` (never dev or test data), migrates, seeds the demo
cities and venues, creates a pro API key, and starts each layout with ``--workers 2`` (the
Procfile's default) serving the real URLconf plus ``/bench/trivial``:

* ``asgi-django`` — the layout before this change: uvicorn (h11, asyncio loop) on Channels'
  router in front of Django's ASGI handler;
* ``a2wsgi`` — the layout shipped in agnt/asgi.py: uvicorn (httptools, uvloop) with the SDK
  apps (/mcp, /a2a/jsonrpc) native and Django's WSGI handler on a thread pool (a2wsgi);
* ``gunicorn`` — the two-port alternative: gunicorn gthread workers for Django's WSGI app, and
  uvicorn on agnt.asgi for the ASGI routes (the MCP call goes there).

Requests: a trivial view (``/bench/trivial``, the API's headers), the filtered venue search
(``/a2a/v1/venues?city=…&category=…``), availability
(``/a2a/v1/venues/<slug>/availability``) and an MCP tool call (``POST /mcp`` ``tools/call
search_venues``), all authenticated with the API key.

Measured per layout and request, in ``--rounds`` interleaved rounds (round 1: every layout,
every request; round 2: again …), reporting the median over rounds:

1. saturation: ``--clients`` keep-alive connections in a closed loop for ``--seconds`` →
   req/s, p50/p99, and the **CPU time of the server processes per request** (user + system of
   the server's whole process tree, read with psutil before and after);
2. half of saturation: an open-loop schedule at 50 % of the slowest layout's saturated rate in
   that round — the same offered load for every layout — with latency counted from the
   scheduled send time → p99.

Goals (issue 17): ≤ 1.5 ms CPU for the trivial request and ≤ 3 ms for the venue search, ≥ 2×
less than ``asgi-django`` side by side, p99 at half of saturation no worse. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.api_search import BENCH_USER, FILTERED, _bench_env, _prepare  # noqa: E402
from bench.webhook_ingest import RESULTS_DIR, _free_port, _stop_server, closed_loop, open_loop  # noqa: E402

LAYOUTS = ("asgi-django", "a2wsgi", "gunicorn")
REQUESTS = ("trivial", "search", "availability", "mcp_tool")


# --- the apps each layout serves (imported in each server process) ------------------------


def _django(urlconf: str = "bench.serving") -> None:
    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = urlconf


def legacy_asgi_app():
    """uvicorn ``--factory``: agnt/asgi.py before this change (Channels router + Django ASGI)."""
    _django()
    from channels.routing import ProtocolTypeRouter, URLRouter
    from django.core.asgi import get_asgi_application
    from django.urls import re_path

    django_asgi_app = get_asgi_application()
    from agnt.routing import http_urlpatterns

    return ProtocolTypeRouter({"http": URLRouter([*http_urlpatterns, re_path(r"", django_asgi_app)])})


def asgi_app():
    """uvicorn ``--factory``: agnt/asgi.py as shipped, with this module as the URLconf."""
    _django()
    from agnt.asgi import application

    return application


def wsgi_app():
    """gunicorn ``bench.serving:wsgi_app()``: Django's WSGI handler, this module as the URLconf."""
    _django()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def __getattr__(name: str):
    if name == "urlpatterns":
        from django.http import HttpResponse
        from django.urls import path

        from agnt.urls import urlpatterns

        def trivial(request):
            return HttpResponse(b'{"ok": true}', content_type="application/json")

        return [path("bench/trivial", trivial), *urlpatterns]
    raise AttributeError(name)


# --- servers ------------------------------------------------------------------------------


def _uvicorn(port: int, app: str, workers: int, fast: bool) -> list[str]:
    command = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    if not fast:  # the previous Procfile: plain `uvicorn`, without httptools/uvloop installed
        command += ["--http", "h11", "--loop", "asyncio"]
    return command


def _gunicorn(port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "bench.serving:wsgi_app()",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "75",  # behind a load balancer idle connections stay open; gunicorn's default closes them after 2 s
        "--log-level",
        "warning",
    ]


def _wait(server: subprocess.Popen, port: int) -> None:
    deadline = time.time() + 90
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"GET /bench/trivial HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                if conn.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server on port {port} did not answer within 90 s")


class Layout:
    """One layout's server processes: ``http_port`` serves Django, ``asgi_port`` the SDK apps."""

    def __init__(self, name: str, workers: int, threads: int):
        self.name = name
        env = dict(_bench_env(), WEB_THREADS=str(threads))
        self.servers: list[subprocess.Popen] = []
        self.http_port = _free_port()
        if name == "asgi-django":
            commands = [_uvicorn(self.http_port, "bench.serving:legacy_asgi_app", workers, fast=False)]
            self.asgi_port = self.http_port
        elif name == "a2wsgi":
            commands = [_uvicorn(self.http_port, "bench.serving:asgi_app", workers, fast=True)]
            self.asgi_port = self.http_port
        else:
            self.asgi_port = _free_port()
            commands = [
                _gunicorn(self.http_port, workers, threads),
                _uvicorn(self.asgi_port, "bench.serving:asgi_app", workers, fast=True),
            ]
        for command in commands:
            self.servers.append(subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True))
        for server, port in zip(self.servers, dict.fromkeys([self.http_port, self.asgi_port]), strict=False):
            _wait(server, port)

    def cpu_seconds(self) -> float:
        import psutil

        total = 0.0
        for server in self.servers:
            root = psutil.Process(server.pid)
            for proc in [root, *root.children(recursive=True)]:
                try:
                    times = proc.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                total += times.user + times.system
        return total

    def stop(self) -> None:
        for server in self.servers:
            _stop_server(server)


# --- requests -----------------------------------------------------------------------------


class Requests:
    def __init__(self, token: str, day: date, venue_slugs: list[str]):
        self.token = token
        self.filtered = itertools.cycle(FILTERED)
        self.venues = itertools.cycle(venue_slugs)
        self.day = day
        self.ids = itertools.count(1)

    def _raw(self, method: str, target: str, body: bytes = b"", extra: tuple[str, ...] = ()) -> bytes:
        head = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {self.token}", *extra]
        if method == "POST":
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        else:
            head.append("Accept: application/json")
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body

    def trivial(self) -> bytes:
        return self._raw("GET", "/bench/trivial")

    def search(self) -> bytes:
        return self._raw("GET", "/a2a/v1/venues?" + urlencode(next(self.filtered)))

    def availability(self) -> bytes:
        query = urlencode({"date": self.day.isoformat(), "party_size": 2})
        return self._raw("GET", f"/a2a/v1/venues/{next(self.venues)}/availability?{query}")

    def mcp_tool(self) -> bytes:
        call = {
            "jsonrpc": "2.0",
            "id": next(self.ids),
            "method": "tools/call",
            "params": {"name": "search_venues", "arguments": dict(next(self.filtered))},
        }
        return self._raw(
            "POST",
            "/mcp",
            json.dumps(call).encode(),
            ("Accept: application/json, text/event-stream", "MCP-Protocol-Version: 2025-06-18"),
        )


def _check(port: int, raw: bytes) -> dict:
    """One answer per request kind: its status and size, so the report shows what was measured."""

    async def fetch():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw)
        await writer.drain()
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        length = int(
            next((line.split(":", 1)[1] for line in head.split("\r\n") if line.lower().startswith("content-length")), 0)
        )
        body = await reader.readexactly(length)
        writer.close()
        return {"status": int(head.split()[1]), "bytes": len(body), "start": body[:120].decode("utf-8", "replace")}

    return asyncio.run(fetch())


# --- orchestration ------------------------------------------------------------------------


def _cleanup() -> dict:
    """Revoke this run's API key (its metered usage rows are append-only: they stay)."""
    from django.utils import timezone

    from agents.models import ApiKey

    revoked = ApiKey.objects.filter(owner__username=BENCH_USER, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return {"api_keys_revoked": revoked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each measured phase")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians are reported)")
    parser.add_argument("--clients", type=int, default=16, help="connections in the saturation runs")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes per layout")
    parser.add_argument("--threads", type=int, default=8, help="threads per process (a2wsgi pool, gunicorn gthread)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up traffic per request kind")
    parser.add_argument("--layouts", default=",".join(LAYOUTS), help=f"comma-separated subset of {LAYOUTS}")
    parser.add_argument("--skip-half", action="store_true", help="only the saturation runs")
    args = parser.parse_args()
    layouts_wanted = [name for name in args.layouts.split(",") if name]

    run_started = time.time()
    os.environ.update(_bench_env())
    import django

    django.setup()
    from django.db import connection

    from venues.models import Venue

    token = _prepare()
    slugs = list(Venue.objects.filter(status="listed").order_by("slug").values_list("slug", flat=True)[:5])
    connection.close()
    requests = Requests(token, (datetime.now(UTC) + timedelta(days=7)).date(), slugs)
    layouts = [Layout(name, args.workers, args.threads) for name in layouts_wanted]
    rounds: dict = {layout.name: {kind: [] for kind in REQUESTS} for layout in layouts}
    samples: dict = {}
    try:
        for layout in layouts:
            samples[layout.name] = {
                kind: _check(layout.asgi_port if kind == "mcp_tool" else layout.http_port, getattr(requests, kind)())
                for kind in REQUESTS
            }

        async def warm() -> None:
            for layout in layouts:
                for kind in REQUESTS:
                    port = layout.asgi_port if kind == "mcp_tool" else layout.http_port
                    await closed_loop(port, getattr(requests, kind), args.clients, args.warmup)

        asyncio.run(warm())
        for round_no in range(args.rounds):
            order = layouts if round_no % 2 == 0 else list(reversed(layouts))
            for kind in REQUESTS:
                make = getattr(requests, kind)
                for layout in order:
                    port = layout.asgi_port if kind == "mcp_tool" else layout.http_port
                    cpu_before = layout.cpu_seconds()
                    saturated = asyncio.run(closed_loop(port, make, args.clients, args.seconds))
                    cpu = layout.cpu_seconds() - cpu_before
                    entry = {**saturated, "cpu_ms_per_request": cpu * 1000 / max(1, saturated["requests"])}
                    rounds[layout.name][kind].append(entry)
                    print(
                        f"round {round_no + 1} {layout.name:<12} {kind:<13} {entry['rps']:7.1f} req/s "
                        f"{entry['cpu_ms_per_request']:6.2f} ms CPU/req",
                        flush=True,
                    )
                if args.skip_half:
                    continue
                # the same offered load for every layout: half of the slowest layout's saturation
                rate = min(rounds[layout.name][kind][-1]["rps"] for layout in layouts) / 2
                for layout in order:
                    port = layout.asgi_port if kind == "mcp_tool" else layout.http_port
                    half = asyncio.run(open_loop(port, make, rate, args.seconds))
                    rounds[layout.name][kind][-1]["half"] = {"rate": rate, **half}
                    print(
                        f"round {round_no + 1} {layout.name:<12} {kind:<13} p99 {half['p99_ms']:6.1f} ms at {rate:.0f}/s"
                    )
    finally:
        for layout in layouts:
            layout.stop()
    _report(rounds, samples, args, time.time() - run_started)
    print(f"cleanup: {_cleanup()}")


def _median(entries: list[dict], *keys: str) -> float:
    values = []
    for entry in entries:
        for key in keys:
            entry = entry[key]
        values.append(entry)
    return statistics.median(values)


def _report(rounds: dict, samples: dict, args, total: float) -> None:
    lines = [
        f"=== serving benchmark — {datetime.now(UTC).isoformat(timespec='seconds')} ===",
        f"--workers {args.workers} per layout, {args.threads} threads, {args.clients} connections, "
        f"{args.seconds:g} s per phase, {args.rounds} interleaved rounds (medians); {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()}; load generator on the same machine",
        "",
        "layout        request        req/s  CPU ms/req  p50 ms  p99 ms  errors | half: rate  p99 ms",
    ]
    summary: dict = {}
    for name, kinds in rounds.items():
        summary[name] = {}
        for kind, entries in kinds.items():
            if not entries:
                continue
            row = {
                "rps": _median(entries, "rps"),
                "cpu_ms": _median(entries, "cpu_ms_per_request"),
                "p50_ms": _median(entries, "p50_ms"),
                "p99_ms": _median(entries, "p99_ms"),
                "errors": sum(entry["errors"] for entry in entries),
            }
            if "half" in entries[0]:
                row["half_rate"] = _median(entries, "half", "rate")
                row["half_p99_ms"] = _median(entries, "half", "p99_ms")
            summary[name][kind] = row
            half = f"{row['half_rate']:10.1f} {row['half_p99_ms']:7.1f}" if "half_p99_ms" in row else ""
            lines.append(
                f"{name:<13} {kind:<13} {row['rps']:7.1f} {row['cpu_ms']:10.2f} {row['p50_ms']:7.1f} "
                f"{row['p99_ms']:7.1f} {row['errors']:7d} | {half}"
            )
    goals: dict = {}
    base = summary.get("asgi-django")
    if base:
        lines += ["", "ratios to asgi-django (CPU per request: old ÷ new; req/s: new ÷ old)"]
        for name, kinds in summary.items():
            if name == "asgi-django":
                continue
            for kind, row in kinds.items():
                old = base[kind]
                p99 = ""
                if "half_p99_ms" in row:
                    p99 = f"  p99@half {row['half_p99_ms']:.1f} vs {old['half_p99_ms']:.1f} ms"
                lines.append(
                    f"  {name:<11} {kind:<13} CPU ×{old['cpu_ms'] / row['cpu_ms']:.2f}  req/s ×{row['rps'] / old['rps']:.2f}{p99}"
                )
        lines += ["", "goals (issue 17)"]
        for name, kinds in summary.items():
            if name == "asgi-django":
                continue
            for kind, limit in (("trivial", 1.5), ("search", 3.0)):
                if kind not in kinds:
                    continue
                row, old = kinds[kind], base[kind]
                ratio = old["cpu_ms"] / row["cpu_ms"]
                ok = row["cpu_ms"] <= limit and ratio >= 2
                if "half_p99_ms" in row:
                    ok = ok and row["half_p99_ms"] <= old["half_p99_ms"]
                goals[f"{name}:{kind}"] = ok
                lines.append(
                    f"  {name:<11} {kind:<8} ≤ {limit} ms CPU and ≥ 2× less, p99@half no worse: "
                    f"{row['cpu_ms']:.2f} ms, ×{ratio:.2f}  {'PASS' if ok else 'FAIL'}"
                )
    lines.append(f"total run time {total / 60:.1f} min")
    print("\n".join(lines))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"serving-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(
        json.dumps(
            {"args": vars(args), "summary": summary, "rounds": rounds, "samples": samples, "goals": goals},
            indent=2,
            default=str,
        )
    )
    print(f"samples: {json.dumps(samples)[:2000]}")
    print(f"full figures: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
