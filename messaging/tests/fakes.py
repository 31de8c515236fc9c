"""Local fake provider servers speaking the real wire formats, for tests anywhere in the project.

Each fake is a threading HTTP server on 127.0.0.1 with a free port. It records every request
and answers like the provider; tests can script failures (429 with retry_after, 5xx, 403…).
Use the pytest fixtures — they point the matching settings at the fake:

    from messaging.tests.fakes import fake_telegram  # noqa: F401  (a fixture)

    def test_x(fake_telegram):
        ...
        assert fake_telegram.texts() == ["Hello"]

- FakeTelegram (TELEGRAM_API_BASE_URL, TELEGRAM_BOT_TOKEN): sendMessage, getFile, /file/bot<token>/<path>.
- Fake360Dialog (WHATSAPP_API_BASE_URL, D360_API_KEY): POST /messages, GET /<media-id>, media download.
- FakeInstagram (INSTAGRAM_API_BASE_URL, INSTAGRAM_ACCESS_TOKEN): POST /<version>/me/messages, CDN attachments.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


@dataclass
class Scripted:
    status: int
    body: Any
    headers: dict[str, str]
    path_contains: str
    after: int = 0  # let this many matching requests through first


class FakeServer:
    """Base: records requests, serves scripted answers first, then ``handle`` (override)."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[Recorded] = []
        self._script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # one write per response and no Nagle delay: keeps each fake call ~1 ms, so
            # timing-sensitive tests (rate limits) measure our code, not TCP
            disable_nagle_algorithm = True
            wbufsize = 64 * 1024

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with fake._lock:
                    fake.requests.append(recorded)
                    scripted = fake._take_script(self.path)
                if scripted is not None:
                    status, payload, headers = scripted.status, scripted.body, scripted.headers
                else:
                    status, payload, headers = fake.handle(recorded)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                content_type = headers.pop("Content-Type", None) or (
                    "application/octet-stream" if isinstance(payload, bytes) else "application/json"
                )
                self.send_header("Content-Type", content_type)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _take_script(self, path: str) -> Scripted | None:
        for item in list(self._script):
            if item.path_contains in path:
                if item.after > 0:
                    item.after -= 1
                    return None
                self._script.remove(item)
                return Scripted(item.status, item.body, dict(item.headers), item.path_contains)
        return None

    def script(
        self,
        status: int,
        body: Any,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        path_contains: str = "",
        after: int = 0,
    ) -> None:
        """Answer ``times`` requests whose path contains ``path_contains`` with this, after
        letting ``after`` of them through normally."""
        for index in range(times):
            self._script.append(Scripted(status, body, dict(headers or {}), path_contains, after if index == 0 else 0))

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:  # pragma: no cover - overridden
        return 404, {"error": "not found"}, {}


class FakeTelegram(FakeServer):
    """Bot API: ``POST /bot<token>/sendMessage`` → ``{"ok": true, "result": {"message_id": n}}``."""

    token = "123456:TEST-TOKEN"

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1001)
        self.files: dict[str, tuple[bytes, str]] = {}  # file_id → (bytes, file_path)

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        path = urlsplit(request.path).path
        prefix = f"/bot{self.token}/"
        if path.startswith(f"/file/bot{self.token}/"):
            file_path = path[len(f"/file/bot{self.token}/") :]
            for data, stored_path in self.files.values():
                if stored_path == file_path:
                    return 200, data, {"Content-Type": "application/octet-stream"}
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}, {}
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, {}
        method = path[len(prefix) :]
        params = request.json or {}
        if method == "sendMessage":
            text = params.get("text", "")
            if not text or len(text.encode("utf-16-le")) // 2 > 4096:
                return (
                    400,
                    {
                        "ok": False,
                        "error_code": 400,
                        "description": "Bad Request: message is too long"
                        if text
                        else "Bad Request: message text is empty",
                    },
                    {},
                )
            return (
                200,
                {
                    "ok": True,
                    "result": {"message_id": next(self._ids), "chat": {"id": params.get("chat_id")}, "text": text},
                },
                {},
            )
        if method == "getFile":
            file_id = params.get("file_id")
            if file_id not in self.files:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}, {}
            data, file_path = self.files[file_id]
            return 200, {"ok": True, "result": {"file_id": file_id, "file_size": len(data), "file_path": file_path}}, {}
        if method in ("answerCallbackQuery", "setWebhook"):
            return 200, {"ok": True, "result": True}, {}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}, {}

    # --- what tests read and script
    def sent(self) -> list[dict]:
        return [r.json for r in self.requests if r.path.endswith("/sendMessage")]

    def texts(self) -> list[str]:
        return [p.get("text", "") for p in self.sent()]

    def rate_limit_next(self, *, retry_after: int = 1, times: int = 1) -> None:
        self.script(
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            },
            times=times,
            path_contains="/sendMessage",
        )

    def fail_next(self, *, status: int = 502, description: str = "Bad Gateway", times: int = 1, after: int = 0) -> None:
        self.script(
            status,
            {"ok": False, "error_code": status, "description": description},
            times=times,
            path_contains="/sendMessage",
            after=after,
        )

    def block_bot(self, *, times: int = 1) -> None:
        self.fail_next(status=403, description="Forbidden: bot was blocked by the user", times=times)


class Fake360Dialog(FakeServer):
    """360dialog (Cloud API format): ``POST /messages`` → ``{"messages": [{"id": "wamid…"}]}``."""

    api_key = "test-d360-key"

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)
        self.media: dict[str, tuple[bytes, str]] = {}  # media id → (bytes, mime)

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.headers.get("d360-api-key") != self.api_key:
            return 401, {"meta": {"success": False, "http_code": 401, "developer_message": "Invalid api key"}}, {}
        parts = urlsplit(request.path)
        if request.method == "POST" and parts.path == "/messages":
            body = request.json or {}
            if body.get("messaging_product") != "whatsapp" or not body.get("to"):
                return 400, {"error": {"code": 100, "message": "Invalid parameter", "type": "OAuthException"}}, {}
            wamid = f"wamid.FAKE{next(self._ids):06d}"
            return (
                200,
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                    "messages": [{"id": wamid}],
                },
                {},
            )
        if request.method == "GET" and parts.path == "/whatsapp_business/attachments/":
            mid = parse_qs(parts.query).get("mid", [""])[0]
            if mid in self.media:
                data, mime = self.media[mid]
                return 200, data, {"Content-Type": mime}
            return 404, {"error": {"code": 100, "message": "media not found"}}, {}
        media_id = parts.path.strip("/")
        if request.method == "GET" and media_id in self.media:
            data, mime = self.media[media_id]
            return (
                200,
                {
                    "messaging_product": "whatsapp",
                    "id": media_id,
                    "mime_type": mime,
                    "file_size": len(data),
                    "url": f"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid={media_id}&ext=1&hash=x",
                },
                {},
            )
        return 404, {"error": {"code": 100, "message": "Unsupported request"}}, {}

    def sent(self) -> list[dict]:
        return [r.json for r in self.requests if r.method == "POST" and urlsplit(r.path).path == "/messages"]

    def texts(self) -> list[str]:
        return [m["text"]["body"] for m in self.sent() if m.get("type") == "text"]

    def templates(self) -> list[dict]:
        return [m["template"] for m in self.sent() if m.get("type") == "template"]

    def fail_next(
        self,
        *,
        status: int = 500,
        code: int = 131000,
        message: str = "Something went wrong",
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.script(
            status,
            {
                "error": {
                    "code": code,
                    "message": message,
                    "type": "OAuthException",
                    "error_data": {"messaging_product": "whatsapp", "details": message},
                }
            },
            times=times,
            headers=headers,
            path_contains="/messages",
        )


class FakeInstagram(FakeServer):
    """Instagram Graph: ``POST /<version>/me/messages`` → ``{"recipient_id", "message_id"}``."""

    token = "IGQ-test-token"

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)
        self.attachments: dict[str, tuple[bytes, str]] = {}  # name → (bytes, mime), served at /cdn/<name>

    def attachment_url(self, name: str) -> str:
        return f"{self.base_url}/cdn/{name}"

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(request.path)
        if parts.path.startswith("/cdn/"):
            name = parts.path[len("/cdn/") :]
            if name in self.attachments:
                data, mime = self.attachments[name]
                return 200, data, {"Content-Type": mime}
            return 404, b"", {}
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}, {}
        if request.method == "POST" and parts.path.endswith("/me/messages"):
            body = request.json or {}
            recipient = (body.get("recipient") or {}).get("id")
            if not recipient:
                return (
                    400,
                    {"error": {"message": "(#100) Param recipient is required", "type": "OAuthException", "code": 100}},
                    {},
                )
            return 200, {"recipient_id": recipient, "message_id": f"aWdfZAG1fake{next(self._ids):06d}"}, {}
        return 404, {"error": {"message": "Unknown path", "code": 803}}, {}

    def sent(self) -> list[dict]:
        return [r.json for r in self.requests if r.method == "POST" and r.path.endswith("/me/messages")]

    def texts(self) -> list[str]:
        return [m["message"]["text"] for m in self.sent()]

    def fail_next(
        self, *, status: int = 500, code: int = 2, message: str = "Service temporarily unavailable", times: int = 1
    ) -> None:
        self.script(
            status,
            {"error": {"message": message, "type": "OAuthException", "code": code}},
            times=times,
            path_contains="/me/messages",
        )


def _serving(fake: FakeServer, settings, *, base_url_setting: str, credential_setting: str, credential: str):
    """Start ``fake``, point the client's base URL and credential settings at it, stop it after."""
    fake.start()
    setattr(settings, base_url_setting, fake.base_url)
    setattr(settings, credential_setting, credential)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_telegram(settings) -> Iterator[FakeTelegram]:
    yield from _serving(
        FakeTelegram(),
        settings,
        base_url_setting="TELEGRAM_API_BASE_URL",
        credential_setting="TELEGRAM_BOT_TOKEN",
        credential=FakeTelegram.token,
    )


@pytest.fixture
def fake_360dialog(settings) -> Iterator[Fake360Dialog]:
    yield from _serving(
        Fake360Dialog(),
        settings,
        base_url_setting="WHATSAPP_API_BASE_URL",
        credential_setting="D360_API_KEY",
        credential=Fake360Dialog.api_key,
    )


@pytest.fixture
def fake_instagram(settings) -> Iterator[FakeInstagram]:
    yield from _serving(
        FakeInstagram(),
        settings,
        base_url_setting="INSTAGRAM_API_BASE_URL",
        credential_setting="INSTAGRAM_ACCESS_TOKEN",
        credential=FakeInstagram.token,
    )
