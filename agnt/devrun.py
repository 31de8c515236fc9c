"""`make run`: the whole platform on one machine, with one command.

Starts the embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset,
migrates, loads the demo data, makes sure a staff superuser exists (printing a
generated password the first time), then runs the web server, two Celery workers (the
messaging queue on its own pool, every other queue on a second one) and celery-beat side
by side until Ctrl-C, when everything is stopped in order. A child that dies is restarted
with a backoff and a one-line notice; nothing but Ctrl-C stops the platform.

Problems a newcomer can cause (a busy port, a broken .env) end in one line saying
what to do, not a traceback.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from agnt.env import BASE_DIR, DOTENV_PATH, ConfigError, read_dotenv

BIN = Path(sys.executable).parent


def fail(message: str) -> None:
    sys.stderr.write(f"make run: {message}\n")
    sys.exit(2)


# Webhook secrets a provider must present. `make run` generates development values so the
# webhooks work (and can be tried with curl) on a fresh machine; real ones go in .env.
DEV_WEBHOOK_SECRETS = ("TELEGRAM_WEBHOOK_SECRET", "WHATSAPP_VERIFY_TOKEN", "META_APP_SECRET", "STRIPE_WEBHOOK_SECRET")


RESTART_BACKOFF_FIRST = 1.0  # seconds before the first restart of a child that died
RESTART_BACKOFF_MAX = 30.0
RESTART_BACKOFF_RESET_AFTER = 60.0  # a child that ran this long starts again from the first backoff


class Supervisor:
    """Keeps every child of `make run` running: one that dies is started again after a
    backoff (1 s, doubling up to 30 s, back to 1 s once it has run for a minute), with a
    one-line notice. Only :meth:`stop` (Ctrl-C) ends them.

    ``clock`` is injectable so the restart schedule is testable without waiting.
    """

    def __init__(self, commands: dict[str, list[str]], *, cwd, env, clock=time.monotonic, out=sys.stderr) -> None:
        self.commands = commands
        self.cwd = cwd
        self.env = env
        self.clock = clock
        self.out = out
        self.processes: dict[str, subprocess.Popen] = {}
        self.started_at: dict[str, float] = {}
        self.backoff: dict[str, float] = {}
        self.restart_at: dict[str, float] = {}
        self.restarts: dict[str, int] = {}

    def start_all(self) -> None:
        for name in self.commands:
            self._start(name)

    def _start(self, name: str) -> None:
        self.processes[name] = subprocess.Popen(self.commands[name], cwd=self.cwd, env=self.env, start_new_session=True)
        self.started_at[name] = self.clock()

    def poll(self) -> None:
        """Notice children that exited and restart the ones whose backoff has passed."""
        now = self.clock()
        for name, proc in self.processes.items():
            if name in self.restart_at:
                if now >= self.restart_at[name]:
                    del self.restart_at[name]
                    self._start(name)
                    self.restarts[name] = self.restarts.get(name, 0) + 1
                continue
            code = proc.poll()
            if code is None:
                continue
            ran = now - self.started_at.get(name, now)
            delay = self.backoff.get(name, 0.0)
            delay = (
                RESTART_BACKOFF_FIRST
                if ran >= RESTART_BACKOFF_RESET_AFTER or not delay
                else min(RESTART_BACKOFF_MAX, delay * 2)
            )
            self.backoff[name] = delay
            self.restart_at[name] = now + delay
            reason = f"signal {-code}" if code < 0 else f"code {code}"
            print(
                f"make run: the {name} process exited ({reason}); restarting it in {delay:.0f} s.",
                file=self.out,
                flush=True,
            )

    def stop(self, timeout: float = 15.0) -> None:
        self.restart_at.clear()
        for proc in self.processes.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + timeout
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def messaging_concurrency() -> int:
    """Pool size of the messaging worker: CELERY_MESSAGING_CONCURRENCY, else sized to the machine.

    A concierge turn waits on PostgreSQL, Redis and the provider's HTTP API for much of its
    time, so the pool is larger than the core count (bench/chat_load.py measured it).
    """
    from django.conf import settings

    return settings.CELERY_MESSAGING_CONCURRENCY or max(2, (os.cpu_count() or 1) * 2)


def worker_command(*, queues: list[str], concurrency: int, name: str) -> list[str]:
    return [
        str(BIN / "celery"),
        "-A",
        "agnt",
        "--quiet",
        "worker",
        "-Q",
        ",".join(queues),
        "-c",
        str(concurrency),
        "--loglevel",
        "WARNING",
        "-n",
        f"{name}@%h",
    ]


def ensure_dotenv() -> None:
    from cryptography.fernet import Fernet

    if not DOTENV_PATH.exists():
        DOTENV_PATH.write_text(
            "# Written by `make run` for local development. See .env.example for every setting.\n"
            "DEBUG=true\n"
            f"SECRET_KEY={secrets.token_urlsafe(48)}\n"
            f"FERNET_KEYS={Fernet.generate_key().decode()}\n"
        )
        print(f"Wrote {DOTENV_PATH.name} with fresh development secrets.")
    existing = DOTENV_PATH.read_text()
    defined = {
        line.split("=", 1)[0].strip()
        for line in existing.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    missing = [name for name in DEV_WEBHOOK_SECRETS if name not in defined and not os.environ.get(name)]
    if missing:
        with DOTENV_PATH.open("a") as handle:
            if not existing.endswith("\n"):
                handle.write("\n")
            handle.write("# Development webhook secrets (replace with your providers' real values)\n")
            for name in missing:
                handle.write(f"{name}={secrets.token_urlsafe(24)}\n")
        print(f"Added development {', '.join(missing)} to {DOTENV_PATH.name}.")
    # Web Push needs a VAPID key pair; development gets one, generated once and kept in .env
    # (browsers subscribed with the public key stop working if it changes).
    if not any(name in defined or os.environ.get(name) for name in ("VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY")):
        from agnt.webpush import generate_vapid_keys

        private, public = generate_vapid_keys()
        with DOTENV_PATH.open("a") as handle:
            handle.write(
                "# Development Web Push (VAPID) keys; production generates its own (docs/consumer-features.md)\n"
                f"VAPID_PRIVATE_KEY={private}\nVAPID_PUBLIC_KEY={public}\n"
            )
        print(f"Added development VAPID keys to {DOTENV_PATH.name}.")

    if "METRICS_TOKEN" not in defined and not os.environ.get("METRICS_TOKEN"):
        ends_cleanly = DOTENV_PATH.read_text().endswith("\n")
        with DOTENV_PATH.open("a") as handle:
            handle.write("" if ends_cleanly else "\n")
            handle.write(
                f"# Bearer token for /metrics (Prometheus: authorization credentials)\nMETRICS_TOKEN={secrets.token_urlsafe(24)}\n"
            )
        print(f"Added a development METRICS_TOKEN to {DOTENV_PATH.name}.")


CHANNELS_STANDIN = "http://127.0.0.1:12115"
# channel → (its base URL setting, its credential setting)
CHANNEL_PROVIDERS = {
    "Telegram": ("TELEGRAM_API_BASE_URL", "TELEGRAM_BOT_TOKEN"),
    "WhatsApp": ("WHATSAPP_API_BASE_URL", "D360_API_KEY"),
    "Instagram": ("INSTAGRAM_API_BASE_URL", "INSTAGRAM_ACCESS_TOKEN"),
}


def channel_standin_env(settings) -> dict[str, str]:
    """Base URLs pointing the channels that have no credential, and still the provider's own
    base URL, at the local stand-in (a channel with a key, or pointed elsewhere, is left alone)."""
    from messaging.clients import instagram, telegram, whatsapp

    provider_bases = {
        "Telegram": telegram.PROVIDER_BASE_URL,
        "WhatsApp": whatsapp.PROVIDER_BASE_URL,
        "Instagram": instagram.PROVIDER_BASE_URL,
    }
    env = {}
    for label, (base_setting, credential_setting) in CHANNEL_PROVIDERS.items():
        base = getattr(settings, base_setting).rstrip("/")
        if not getattr(settings, credential_setting) and base == provider_bases[label]:
            env[base_setting] = f"{CHANNELS_STANDIN}/{label.lower()}"
    return env


def _local_standin_port(base: str) -> int | None:
    """The port to serve a stand-in on when ``base`` is a free port on 127.0.0.1 (else None: a real
    provider is configured, or another run already serves the stand-in and is reused)."""
    from urllib.parse import urlsplit

    parts = urlsplit(base or "")
    if parts.hostname != "127.0.0.1" or not parts.port:
        return None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return parts.port if sock.connect_ex(("127.0.0.1", parts.port)) != 0 else None


def check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            fail(
                f"port {port} on {host} is already in use (another `make run`?). Stop that process or use: PORT={port + 1} make run"
            )


def prepare() -> tuple[str, str | None]:
    """Migrate, seed, ensure the admin. Returns (admin username, new password or None)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agnt.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    print("Applying migrations…", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)
    call_command("setup_roles", verbosity=0)
    from agnt.services import admin_user_ensure

    admin = admin_user_ensure(username=os.environ.get("AGNT_ADMIN_USERNAME", "admin"))
    print("Loading demo data…", flush=True)
    call_command("seed_demo", verbosity=1)
    return admin


def main() -> None:
    try:
        ensure_dotenv()
        read_dotenv()
        port = int(os.environ.get("PORT", "8000") or 8000)
    except ConfigError as exc:
        fail(f"{exc}")
    except ValueError:
        fail(f"PORT={os.environ.get('PORT')!r} is not a number; use e.g. PORT=8001 make run")
    host = os.environ.get("HOST", "127.0.0.1")
    check_port(host, port)
    # A developer trying webhooks receives them on localhost: let subscriptions target
    # private addresses in this development run unless .env says otherwise.
    if not os.environ.get("WEBHOOKS_ALLOW_PRIVATE_TARGETS"):
        os.environ["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = "true"
    # Absolute links (calendar files, AgentCards, the built-in gateway's URL) follow the
    # port this run serves on, unless PUBLIC_BASE_URL says otherwise.
    if not os.environ.get("PUBLIC_BASE_URL"):
        os.environ["PUBLIC_BASE_URL"] = f"http://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{port}"

    # Sent mail (e-mail verification, claim links, password resets) is written to files
    # under .data/mail and listed at /for-venues/dev/outbox/, unless .env sets EMAIL_URL.
    dotenv_keys = {
        line.split("=", 1)[0].strip()
        for line in (DOTENV_PATH.read_text().splitlines() if DOTENV_PATH.exists() else [])
        if "=" in line and not line.lstrip().startswith("#")
    }
    if not os.environ.get("EMAIL_URL") and "EMAIL_URL" not in dotenv_keys:
        data_dir = Path(os.environ.get("AGNT_DATA_DIR") or Path(__file__).resolve().parent.parent / ".data")
        (data_dir / "mail").mkdir(parents=True, exist_ok=True)
        os.environ["EMAIL_URL"] = f"filemail:///{(data_dir / 'mail').resolve()}"

    try:
        username, password = prepare()
    except ConfigError as exc:
        fail(f"configuration error: {exc}")
    except Exception as exc:  # noqa: BLE001 - first-run problems must read as one line
        fail(
            f"could not prepare the platform: {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        )

    from django.conf import settings

    # Dev machines and containers often run as root; Celery's root warning would be the
    # first thing a newcomer reads, so it is silenced here (and only here).
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONWARNINGS="ignore::UserWarning:celery.platforms")
    other_queues = [queue for queue in settings.CELERY_WORKER_QUEUES if queue not in settings.CELERY_MESSAGING_QUEUES]
    commands = {
        "web": [
            str(BIN / "uvicorn"),
            "agnt.asgi:application",
            "--host",
            host,
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        # Two workers: the concierge's queue has its own pool, so a burst of guests is never
        # stuck behind slow jobs (knowledge ingestion, billing runs) on the other queues.
        "worker": worker_command(
            queues=settings.CELERY_MESSAGING_QUEUES, concurrency=messaging_concurrency(), name="messaging"
        ),
        "worker-jobs": worker_command(queues=other_queues, concurrency=2, name="jobs"),
        "beat": [
            str(BIN / "celery"),
            "-A",
            "agnt",
            "--quiet",
            "beat",
            "-S",
            "django_celery_beat.schedulers:DatabaseScheduler",
            "--loglevel",
            "WARNING",
        ],
    }
    # Stripe without a key: the local stand-in (billing/tests/fake_stripe.py) answers the client
    # and delivers signed events to /webhooks/stripe, so subscriptions work end to end offline.
    from billing import stripe_client

    stripe_standin = stripe_client.using_standin() and settings.STRIPE_API_BASE == stripe_client.STANDIN_API_BASE
    if stripe_standin:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            stripe_standin = sock.connect_ex(("127.0.0.1", 12111)) != 0  # already served (another run): reuse it
        env["STRIPE_STANDIN_WEBHOOK_URL"] = f"{os.environ['PUBLIC_BASE_URL'].rstrip('/')}/webhooks/stripe"
    if stripe_standin:
        # its state (and the demo's Stripe objects) persist in the data dir, like the database
        commands["stripe"] = [
            sys.executable,
            "-m",
            "billing.tests.fake_stripe",
            "--port",
            "12111",
            "--state-file",
            settings.STRIPE_STANDIN_STATE_FILE,
        ]
    # Weather without a provider URL: the local Open-Meteo stand-in (messaging/tests/fake_weather.py)
    weather_standin = settings.WEATHER_API_BASE_URL.rstrip("/") == settings.WEATHER_STANDIN_BASE_URL
    if weather_standin:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            if sock.connect_ex(("127.0.0.1", 12114)) != 0:  # not already served by another run
                commands["weather"] = [sys.executable, "-m", "messaging.tests.fake_weather", "--port", "12114"]
    # Telegram, WhatsApp and Instagram without credentials: one local stand-in of their APIs
    # (messaging/tests/fake_channels.py), so replies are delivered and readable on its page.
    channel_env = channel_standin_env(settings)
    env.update(channel_env)
    channel_standins = [label for label, (setting, _) in CHANNEL_PROVIDERS.items() if setting in channel_env]
    if channel_standins and _local_standin_port(CHANNELS_STANDIN) is not None:
        data_dir = Path(os.environ.get("AGNT_DATA_DIR") or BASE_DIR / ".data")
        commands["channels"] = [
            sys.executable,
            "-m",
            "messaging.tests.fake_channels",
            "--port",
            CHANNELS_STANDIN.rsplit(":", 1)[1],
            "--state-file",
            str(data_dir / "channels-standin.jsonl"),
        ]
    # Web Push and the marketplace without real providers: their local stand-ins (state in the data dir)
    for name, module, base, state_file in (
        ("push", "agnt.tests.fake_push", settings.WEB_PUSH_SERVICE_BASE_URL, settings.WEB_PUSH_STANDIN_STATE_FILE),
        (
            "marketplace",
            "billing.tests.fake_marketplace",
            settings.MARKETPLACE_API_BASE_URL,
            settings.MARKETPLACE_STANDIN_STATE_FILE,
        ),
    ):
        standin = _local_standin_port(base)
        if standin is not None:
            commands[name] = [sys.executable, "-m", module, "--port", str(standin), "--state-file", state_file]
    supervisor = Supervisor(commands, cwd=BASE_DIR, env=env)
    supervisor.start_all()

    base = f"http://{host}:{port}"
    if settings.METRICS_TOKEN:
        metrics_hint = f"\n                curl -H 'Authorization: Bearer {settings.METRICS_TOKEN}' {base}/metrics"
    else:
        metrics_hint = " (open: DEBUG is on and METRICS_TOKEN is unset)"
    print(
        "\nAGNT is running.\n"
        f"  Back office   {base}/admin/\n"
        f"  Consumer API  {base}/api/docs/\n"
        f"  Agent API     {base}/a2a/v1/docs   MCP {base}/mcp   A2A {base}/.well-known/agent-card.json\n"
        f"  Health        {base}/health   Metrics {base}/metrics"
        f"{metrics_hint}\n"
        f"  Demo chat     {base}/chat/   (or: .venv/bin/python manage.py chat)\n"
        f"  Webhooks      {base}/webhooks/telegram · /webhooks/whatsapp · /webhooks/instagram"
        f" · /webhooks/stripe (secrets in .env; LLM provider: {settings.LLM_PROVIDER})\n"
        f"  Stripe        {'local stand-in on ' + settings.STRIPE_API_BASE + ' (its page lists every request)' if stripe_client.using_standin() else settings.STRIPE_API_BASE}\n"
        + (
            f"  Channels      local stand-in on {CHANNELS_STANDIN}/ for {', '.join(channel_standins)}"
            " (its page lists every reply sent)\n"
            if channel_standins
            else ""
        )
        + f"  Weather       {'local stand-in on ' + settings.WEATHER_API_BASE_URL + ' (not real forecasts)' if weather_standin else settings.WEATHER_API_BASE_URL}\n"
        f"  Web Push      {settings.WEB_PUSH_SERVICE_BASE_URL or 'browsers’ push services'} (stand-in lists deliveries at /deliveries)\n"
        f"  Marketplace   {settings.MARKETPLACE_API_BASE_URL}\n"
        f"  Data          {'embedded under .data/' if settings.EMBEDDED_POSTGRES else 'DATABASE_URL'}"
        f" · Redis {'embedded' if settings.EMBEDDED_REDIS else 'REDIS_URL'}\n"
    )
    if password:
        print(
            f"  Admin login   {username} / {password}\n  (shown once — change it in the admin, or run: .venv/bin/python manage.py changepassword {username})\n"
        )
    else:
        print(
            f"  Admin login   {username} (password was shown on the first run; reset: .venv/bin/python manage.py changepassword {username})\n"
        )
    print("Press Ctrl-C to stop.", flush=True)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    # A child that dies (a killed worker, a crashed beat) is restarted; only Ctrl-C stops the platform.
    while not stopping:
        supervisor.poll()
        time.sleep(0.5)

    print("\nStopping…", flush=True)
    supervisor.stop()
    if settings.EMBEDDED_REDIS or settings.EMBEDDED_POSTGRES:
        from django.db import connections

        from agnt import devinfra

        connections.close_all()
        if settings.EMBEDDED_REDIS:
            devinfra.stop_redis()
        if settings.EMBEDDED_POSTGRES:
            devinfra.stop_postgres()
    print("Stopped.")


if __name__ == "__main__":
    main()
