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
            problem = whatsapp_interactive_problem(body) if body.get("type") == "interactive" else ""
            if problem:
                return 400, {"error": {"code": 131009, "message": problem, "type": "OAuthException"}}, {}
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
        """Every text the guest saw: plain texts and the bodies of interactive (button) messages."""
        return [
            m["text"]["body"] if m.get("type") == "text" else m["interactive"]["body"]["text"]
            for m in self.sent()
            if m.get("type") in ("text", "interactive")
        ]

    def buttons(self) -> list[list[dict]]:
        """The reply buttons of each interactive message sent, as the Cloud API got them."""
        return [m["interactive"]["action"]["buttons"] for m in self.sent() if m.get("type") == "interactive"]

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
            problem = instagram_quick_replies_problem(body.get("message") or {})
            if problem:
                return 400, {"error": {"message": f"(#100) {problem}", "type": "OAuthException", "code": 100}}, {}
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


def whatsapp_interactive_problem(body: dict) -> str:
    """What the Cloud API refuses in an interactive reply-button message ("" when it is valid).

    The documented limits: ``interactive.type`` "button"; a ``body.text`` of at most 1024
    characters; one to three ``action.buttons``, each ``{"type": "reply", "reply": {"id",
    "title"}}`` with an id of at most 256 characters and a title of at most 20, both unique."""
    interactive = body.get("interactive") or {}
    if interactive.get("type") != "button":
        return "interactive.type must be button for reply buttons"
    text = (interactive.get("body") or {}).get("text")
    if not isinstance(text, str) or not text or len(text) > 1024:
        return "interactive.body.text is required, at most 1024 characters"
    buttons = (interactive.get("action") or {}).get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return "interactive.action.buttons needs 1 to 3 buttons"
    ids, titles = [], []
    for button in buttons:
        reply = button.get("reply") if isinstance(button, dict) else None
        if button.get("type") != "reply" or not isinstance(reply, dict):
            return "each button is {type: reply, reply: {id, title}}"
        if not isinstance(reply.get("id"), str) or not 1 <= len(reply["id"]) <= 256:
            return "button reply.id is required, at most 256 characters"
        if not isinstance(reply.get("title"), str) or not 1 <= len(reply["title"]) <= 20:
            return "button reply.title is required, at most 20 characters"
        ids.append(reply["id"])
        titles.append(reply["title"])
    if len(set(ids)) != len(ids) or len(set(titles)) != len(titles):
        return "button ids and titles must be unique"
    return ""


def instagram_quick_replies_problem(message: dict) -> str:
    """What the Instagram Messaging API refuses in a message's quick replies ("" when valid):
    a text to carry them, at most 13, each ``{"content_type": "text", "title", "payload"}``
    with a title of at most 20 characters and a payload of at most 1000."""
    replies = message.get("quick_replies")
    if replies is None:
        return ""
    if not message.get("text"):
        return "quick_replies need a text"
    if not isinstance(replies, list) or not 1 <= len(replies) <= 13:
        return "quick_replies takes 1 to 13 items"
    for reply in replies:
        if not isinstance(reply, dict) or reply.get("content_type") != "text":
            return "quick reply content_type must be text"
        if not isinstance(reply.get("title"), str) or not 1 <= len(reply["title"]) <= 20:
            return "quick reply title is required, at most 20 characters"
        if not isinstance(reply.get("payload"), str) or not 1 <= len(reply["payload"]) <= 1000:
            return "quick reply payload is required, at most 1000 characters"
    return ""


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
