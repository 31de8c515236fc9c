"""Benchmark: every admin changelist, search and change page at 1× and 100× data, in one run.

Run with ``make bench-admin`` (``ARGS="--help"`` for the knobs). It starts its own embedded
PostgreSQL + Redis under ``.data/bench-admin`` (never dev, test or the other benchmarks' data),
migrates, loads the demo cities, then:

1. generates the **1×** data set (500 users, 20 venues, 2k bookings, 10k interactions, 3k
   credit rows, 5k API usage events) with set-based SQL (``INSERT … SELECT … FROM
   generate_series``), and times every registered admin page;
2. grows it to **100×** (50k users, 2k venues, 200k bookings, 1M interactions, 300k credit
   rows, 500k API usage events; ``--scale 0.1`` for a quicker 10× run), ``ANALYZE``, and
   times the same pages again.

One user in a hundred rows is the same "heavy" user (1 % of the bookings, messages, credits):
the change page timed for users is that user's, the worst case of a page that lists a user's
rows. Pages per registered ModelAdmin: the changelist, the changelist searched
(``?q=u4242``, a username fragment), and the change page of one row. Each page is requested
``--repeat`` times through Django's test client as a logged-in superuser; the report gives
the median server time (the whole request through the middleware, no network) and the number
of SQL queries (``CaptureQueriesContext``). The hourly ``no_show_strikes_recompute`` job is
timed at both sizes too.

Goal (issue 17): every page ≤ 300 ms at 100× with a bounded query count. See bench/README.md.
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
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATA_DIR = REPO / ".data" / "bench-admin"
RESULTS_DIR = REPO / "bench" / "results"

# rows at 1× (100× is a hundred times as many)
BASE = {"users": 500, "venues": 20, "bookings": 2_000, "interactions": 10_000, "credits": 3_000, "usage": 5_000}
SEARCH = "u4242"
# Free-text searches of message text (full-text, GIN index): a word in every message, and
# two words that pick out one message of the million.
TEXT_SEARCHES = {
    "messaging.Interaction": {"search text (every row)": "tonight", "search text (one row)": "message 4242"}
}
GOAL_MS = 300


def _env() -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.update(
        {
            "AGNT_DATA_DIR": str(DATA_DIR),
            "AGNT_TESTING": "true",  # settings skip .env
            "DEBUG": "false",
            "DJANGO_SETTINGS_MODULE": "agnt.settings",
        }
    )


# --- set-based generation -----------------------------------------------------------------


def _insert_series(model, first: int, last: int, exprs: dict[str, str], arrays: dict[str, str] | None = None) -> None:
    """INSERT rows ``first..last`` of ``model`` in one statement.

    ``exprs`` maps a column to an SQL expression of ``g`` (the row number) and of the arrays
    named in ``arrays`` (``name → SELECT array_agg(...)``); every other column gets the model
    field's Python default (or its database default, or NULL).
    """
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    if last < first:
        return
    template = model()
    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.column in exprs:
            columns.append(field.column)
            values.append(exprs[field.column])
        elif field.db_default is not NOT_PROVIDED:
            continue
        elif field.null and not field.has_default():
            continue
        else:
            columns.append(field.column)
            values.append("%s")
            params.append(field.get_db_prep_save(getattr(template, field.attname), connection))
    arrays = arrays or {}
    withs = ", ".join(f"{name} AS (SELECT ({query}) AS a)" for name, query in arrays.items())
    sources = "".join(f", {name}" for name in arrays)
    sql = (
        (f"WITH {withs} " if withs else "")
        + f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        + f"SELECT {', '.join(values)} FROM generate_series({int(first)}, {int(last)}) AS g{sources}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# A row's user: one row in a hundred belongs to the heavy user u1, the rest spread evenly.
USER_OF = "CASE WHEN mod(g, 100) = 0 THEN users.a[1] ELSE users.a[1 + mod(g::bigint * 7919, array_length(users.a, 1))::int] END"
USERS = "SELECT array_agg(id ORDER BY username COLLATE \"C\") FROM agnt_user WHERE username ~ '^u[0-9]+$'"
# spread over the last 400 days and the next 100 (bookings), or the last 400 (everything else)
PAST = "now() - make_interval(days => mod(g * 37, 400), mins => mod(g * 13, 1440))"


def generate(counts: dict[str, int], have: dict[str, int]) -> dict[str, float]:
    """Grow each table from ``have`` rows to ``counts`` rows; returns seconds per table."""
    from agents.models import ApiKey
    from agnt.models import User
    from billing.models import ApiKeyUsageEvent, CreditTransaction
    from bookings.models import VenueBooking
    from messaging.models import Interaction
    from venues.models import City, Venue

    seconds: dict[str, float] = {}

    def timed(name, fn):
        started = time.perf_counter()
        fn()
        seconds[name] = round(time.perf_counter() - started, 2)

    timed(
        "users",
        lambda: _insert_series(
            User,
            have["users"] + 1,
            counts["users"],
            {
                "username": "'u' || g",
                "email": "'u' || g || '@example.com'",
                "password": "'!'",
                "display_name": "'Guest ' || g",
                "phone": "'+62' || (810000000 + g)",
                "referral_code": "'B' || g",
                "date_joined": PAST,
                "created_at": PAST,
                "last_seen_at": "now() - make_interval(days => mod(g, 30))",
            },
        ),
    )
    cities = "SELECT array_agg(id ORDER BY slug) FROM venues_city"
    assert City.objects.exists()
    timed(
        "venues",
        lambda: _insert_series(
            Venue,
            have["venues"] + 1,
            counts["venues"],
            {
                "name": "'Venue ' || g",
                "slug": "'venue-' || g",
                "city_id": "cities.a[1 + mod(g, array_length(cities.a, 1))]",
                "status": "'listed'",
                "category": "(ARRAY['restaurant','cafe','bar','beach_club','spa'])[1 + mod(g, 5)]",
            },
            {"cities": cities},
        ),
    )
    venues = "SELECT array_agg(id ORDER BY slug) FROM venues_venue"
    timed(
        "bookings",
        lambda: _insert_series(
            VenueBooking,
            have["bookings"] + 1,
            counts["bookings"],
            {
                "venue_id": "venues.a[1 + mod(g * 31, array_length(venues.a, 1))]",
                "user_id": USER_OF,
                "status": "(ARRAY['completed','completed','confirmed','cancelled','no_show','requested'])[1 + mod(g, 6)]",
                "source": "'web'",
                "party_size": "1 + mod(g, 8)",
                "slot_start": "now() + make_interval(days => mod(g * 37, 500) - 400, hours => mod(g, 12))",
                "slot_end": "now() + make_interval(days => mod(g * 37, 500) - 400, hours => mod(g, 12) + 2)",
                "contact_name": "'Guest ' || g",
                "external_ref": "'BK' || lpad(g::text, 8, '0')",
                "created_at": PAST,
            },
            {"venues": venues, "users": USERS},
        ),
    )
    timed(
        "interactions",
        lambda: _insert_series(
            Interaction,
            have["interactions"] + 1,
            counts["interactions"],
            {
                "user_id": USER_OF,
                "platform": "(ARRAY['telegram','whatsapp','instagram','web'])[1 + mod(g, 4)]",
                "direction": "CASE WHEN mod(g, 2) = 0 THEN 'inbound' ELSE 'outbound' END",
                "source": "CASE WHEN mod(g, 2) = 0 THEN 'user' ELSE 'concierge' END",
                "status": "CASE WHEN mod(g, 2) = 0 THEN 'processed' ELSE 'delivered' END",
                "text": "'message ' || g || ' about a table for ' || (1 + mod(g, 8)) || ' tonight'",
                "created_at": PAST,
            },
            {"users": USERS},
        ),
    )
    timed(
        "credits",
        lambda: _insert_series(
            CreditTransaction,
            have["credits"] + 1,
            counts["credits"],
            {
                "user_id": USER_OF,
                "amount": "CASE WHEN mod(g, 3) = 0 THEN -1 ELSE 5 END",
                "balance_after": "mod(g, 50)",
                "kind": "CASE WHEN mod(g, 3) = 0 THEN 'spend' ELSE 'grant' END",
                "reason": "'bench credit ' || g",
                "reference_type": "'bench'",
                "reference_id": "g::text",
                "idempotency_key": "'bench-credit-' || g",
                # the heavy user's rows fall in the last 90 days: the window the user page shows
                "created_at": "now() - make_interval(days => mod(g * 37, CASE WHEN mod(g, 100) = 0 THEN 90 ELSE 400 END))",
            },
            {"users": USERS},
        ),
    )
    keys = "SELECT array_agg(id ORDER BY prefix) FROM agents_apikey"
    timed(
        "usage",
        lambda: _insert_series(
            ApiKeyUsageEvent,
            have["usage"] + 1,
            counts["usage"],
            {
                "api_key_id": "keys.a[1 + mod(g, array_length(keys.a, 1))]",
                "intent": "(ARRAY['booking.search','availability.check','booking.confirm','knowledge.ask'])[1 + mod(g, 4)]",
                "unit_price_cents": "mod(g, 4) * 5",
                "request_id": "'req-' || g",
                "occurred_at": PAST,
                "created_at": PAST,
            },
            {"keys": keys},
        ),
    )
    assert ApiKey.objects.exists()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return seconds


def _ensure_keys() -> None:
    """Twenty developer keys (owned by u2…u21) for the usage events."""
    from agents.models import ApiKey
    from agents.services import api_key_create
    from agnt.models import User

    if ApiKey.objects.filter(name__startswith="bench-admin").count() >= 20:
        return
    for index in range(2, 22):
        api_key_create(owner=User.objects.get(username=f"u{index}"), name=f"bench-admin {index}", tier="pro")


# --- timing every admin page --------------------------------------------------------------


def _pages(only: str = ""):
    """(label, url) for each registered model: changelist, search, change page of one row."""
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    from agnt.models import User

    heavy = User.objects.filter(username="u1").values_list("pk", flat=True).first()
    pages = []
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        info = (model._meta.app_label, model._meta.model_name)
        try:
            changelist = reverse("admin:{}_{}_changelist".format(*info))
        except NoReverseMatch:
            continue
        label = model._meta.label
        if only and only not in label:
            continue
        pages.append((label, "list", changelist))
        if model_admin.search_fields:
            pages.append((label, "search", f"{changelist}?q={SEARCH}"))
        for kind, term in TEXT_SEARCHES.get(label, {}).items():
            pages.append((label, kind, f"{changelist}?{urlencode({'q': term})}"))
        pk = heavy if model is User else model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if pk is not None:
            try:
                pages.append((label, "change", reverse("admin:{}_{}_change".format(*info), args=[pk])))
            except NoReverseMatch:
                pass
    return pages


def time_pages(client, repeat: int, only: str = "") -> dict[str, dict]:
    """Each page ``repeat`` times: medians of the server time (wall clock), the CPU time of
    this process (the whole request in Python: middleware, ORM, templates) and the SQL time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = {}
    for label, kind, url in _pages(only):
        times, cpu_times, sql_times, queries, status = [], [], [], 0, 0
        for _ in range(repeat):
            connection.queries_log.clear()  # a page of thousands of queries must not fill the log for the next
            with CaptureQueriesContext(connection) as captured:
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(url)
                cpu_times.append((time.process_time() - cpu_started) * 1000)
                times.append((time.perf_counter() - started) * 1000)
            queries, status = len(captured), response.status_code
            sql_times.append(sum(float(query["time"]) for query in captured.captured_queries) * 1000)
        ms, cpu_ms, sql_ms = statistics.median(times), statistics.median(cpu_times), statistics.median(sql_times)
        results[f"{label} {kind}"] = {
            "ms": ms,
            "cpu_ms": cpu_ms,
            "sql_ms": sql_ms,
            "queries": queries,
            "status": status,
        }
        print(
            f"  {label} {kind:<7} {ms:8.1f} ms (CPU {cpu_ms:7.1f}, SQL {sql_ms:7.1f}) {queries:4d} q  {status}",
            flush=True,
        )
    return results


def time_strikes_job() -> dict:
    from bookings.tasks import no_show_strikes_recompute

    started = time.perf_counter()
    guests = no_show_strikes_recompute()
    return {"ms": (time.perf_counter() - started) * 1000, "guests": guests}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the 100× data set (0.1 → 10×)")
    parser.add_argument("--repeat", type=int, default=3, help="requests per page (median reported)")
    parser.add_argument("--only", default="", help="time only pages whose label contains this text")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the large set left by the previous run with the same --scale (no generation, no 1× pass)",
    )
    args = parser.parse_args()

    run_started = time.time()
    _env()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    # Not setup_test_environment(): it instruments every template render (a signal and a copy
    # of the context per template, a tenth of a big page's CPU), which production does not pay.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    sizes = {"1x": BASE, "100x": {name: int(count * 100 * args.scale) for name, count in BASE.items()}}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM agnt_user WHERE username ~ '^u[0-9]+$'")
        generated_users = cursor.fetchone()[0]
    if args.reuse and generated_users != sizes["100x"]["users"]:
        sys.exit(
            f"--reuse: found {generated_users} generated users, not the {sizes['100x']['users']} of --scale {args.scale:g}"
        )
    if args.reuse:
        sizes = {"100x": sizes["100x"]}
        print("reusing the previous run's large set: migrations applied, ANALYZE, then timing", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    elif generated_users:
        # a fresh data set every run: the tables the generator fills are emptied first
        print("dropping the previous run's data…", flush=True)
        call_command("flush", interactive=False, verbosity=0)
    from agnt.management.demo import DemoSeeder
    from agnt.models import User

    DemoSeeder(log=lambda *a, **k: None).cities()
    admin_user = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        "bench-admin", "bench-admin@example.com", "unused-password"
    )
    client = Client()
    client.force_login(admin_user)

    results: dict = {"generation": {}, "pages": {}, "job": {}}
    have = dict.fromkeys(BASE, 0)
    for size, counts in sizes.items():
        if not args.reuse:
            print(f"generating {size}: {counts}", flush=True)
            if size == "1x":
                identity = {"username": "'u' || g", "email": "'u' || g || '@example.com'", "password": "'!'"}
                _insert_series(User, 1, 21, {**identity, "referral_code": "'B' || g"})
                have["users"] = 21
                _ensure_keys()
            results["generation"][size] = generate(counts, have)
            have = dict(counts)
        print(f"timing every admin page at {size}…", flush=True)
        results["pages"][size] = time_pages(client, args.repeat, args.only)
        results["job"][size] = time_strikes_job()
    _report(results, args, time.time() - run_started)


def _report(results: dict, args, total: float) -> None:
    small, big = results["pages"].get("1x", {}), results["pages"]["100x"]
    lines = [
        f"=== admin at 1× and 100× — {datetime.now(UTC).isoformat(timespec='seconds')} ===",
        f"--scale {args.scale:g} ({int(100 * args.scale)}× is the large set), median of {args.repeat} requests per page; "
        f"generation seconds: {results['generation']}",
        "server = CPU of the request in Python + its SQL time: what the page costs on an idle core (the wall",
        f"clock, 'wall', waits for a CPU on a busy machine); ok = server ≤ {GOAL_MS} ms and no query count growing",
        "",
        f"{'page':<52} {'1× wall':>8} {'server':>7} {'q':>4} {'100× wall':>9} {'CPU':>7} {'SQL':>6} {'server':>7} {'q':>4}  ok",
    ]
    failing = []
    for key in big:
        a, b = small.get(key, {}), big[key]
        server = b["cpu_ms"] + b["sql_ms"]
        small_server = a["cpu_ms"] + a["sql_ms"] if a else float("nan")
        grows = bool(a) and b["queries"] > a["queries"] + 5
        ok = server <= GOAL_MS and b["status"] < 500 and not grows
        if not ok:
            failing.append(key)
        verdict = "ok" if ok else "SLOW" if server > GOAL_MS else "QUERIES" if b["status"] < 500 else b["status"]
        lines.append(
            f"{key:<52} {a.get('ms', float('nan')):8.1f} {small_server:7.1f} {a.get('queries', 0):4d} "
            f"{b['ms']:9.1f} {b['cpu_ms']:7.1f} {b['sql_ms']:6.1f} {server:7.1f} {b['queries']:4d}  {verdict}"
        )
    job = results["job"]
    lines += [
        "",
        "no_show_strikes_recompute: "
        + ", ".join(f"{size} {entry['ms']:.0f} ms ({entry['guests']} guests)" for size, entry in job.items()),
        f"pages over {GOAL_MS} ms of server time or with a query count growing with the data at 100×: "
        f"{len(failing)} of {len(big)}",
        *(f"  {key}" for key in failing),
        f"total run time {total / 60:.1f} min",
    ]
    print("\n".join(lines))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"admin_scale-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps({"args": vars(args), **results}, indent=2, default=str))
    print(f"full figures: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
