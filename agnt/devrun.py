"""`make run`: the whole platform on one machine, with one command.

Starts the embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset,
migrates, loads the demo data, makes sure a staff superuser exists (printing a
generated password the first time), then runs the web server, a Celery worker and
celery-beat side by side until Ctrl-C, when everything is stopped in order.

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
    queues = ",".join(settings.CELERY_WORKER_QUEUES)
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
        "worker": [
            str(BIN / "celery"),
            "-A",
            "agnt",
            "--quiet",
            "worker",
            "-Q",
            queues,
            "-c",
            "2",
            "--loglevel",
            "WARNING",
            "-n",
            "dev@%h",
        ],
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
    processes: dict[str, subprocess.Popen] = {}
    for name, command in commands.items():
        processes[name] = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)

    base = f"http://{host}:{port}"
    print(
        "\nAGNT is running.\n"
        f"  Back office   {base}/admin/\n"
        f"  Consumer API  {base}/api/docs/\n"
        f"  Agent API     {base}/a2a/v1/docs   MCP {base}/mcp   A2A {base}/.well-known/agent-card.json\n"
        f"  Health        {base}/health   Metrics {base}/metrics\n"
        f"  Demo chat     {base}/chat/   (or: .venv/bin/python manage.py chat)\n"
        f"  Webhooks      {base}/webhooks/telegram · /webhooks/whatsapp · /webhooks/instagram"
        f" · /webhooks/stripe (secrets in .env; LLM provider: {settings.LLM_PROVIDER})\n"
        f"  Stripe        {'local stand-in on ' + settings.STRIPE_API_BASE + ' (its page lists every request)' if stripe_client.using_standin() else settings.STRIPE_API_BASE}\n"
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
    exit_code = 0
    while not stopping:
        for name, proc in processes.items():
            if proc.poll() is not None:
                print(
                    f"make run: the {name} process exited with code {proc.returncode}; stopping the rest.",
                    file=sys.stderr,
                )
                exit_code = 1
                stopping = True
                break
        time.sleep(0.5)

    print("\nStopping…", flush=True)
    for proc in processes.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in processes.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    if settings.EMBEDDED_REDIS or settings.EMBEDDED_POSTGRES:
        from django.db import connections

        from agnt import devinfra

        connections.close_all()
        if settings.EMBEDDED_REDIS:
            devinfra.stop_redis()
        if settings.EMBEDDED_POSTGRES:
            devinfra.stop_postgres()
    print("Stopped.")
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
