"""The messaging providers' local stand-in for ``make run``: Telegram's Bot API, 360dialog's
WhatsApp API and Instagram's Send API on one port, so a fresh instance answers guests
end to end without real credentials and a developer can read every reply it sent.

- ``/telegram/bot<any token>/sendMessage`` (and ``answerCallbackQuery``, ``setWebhook``)
- ``/whatsapp/messages`` (any ``D360-API-KEY``)
- ``/instagram/<version>/me/messages`` (any bearer token)
- ``/`` a page listing the replies, newest first; ``/deliveries`` the same as JSON.

Each provider's wire format comes from the fakes the tests use (messaging/tests/fakes.py),
with any credential accepted. Deliveries are appended to ``--state-file`` (JSON lines) so the
page survives a restart. ``agnt/devrun.py`` points TELEGRAM_API_BASE_URL,
WHATSAPP_API_BASE_URL and INSTAGRAM_API_BASE_URL here when those providers are not set up.
"""

from __future__ import annotations

import html
import json
import os
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from messaging.tests.fakes import Fake360Dialog, FakeInstagram, FakeServer, FakeTelegram, Recorded

PORT = 12115
KEEP = 500  # deliveries shown


class ChannelStandin(FakeServer):
    def __init__(self, port: int = 0, *, state_path: str | None = None) -> None:
        super().__init__(port)
        self.telegram, self.whatsapp, self.instagram = FakeTelegram(), Fake360Dialog(), FakeInstagram()
        for fake in (self.telegram, self.whatsapp, self.instagram):
            fake._server.server_close()  # only their wire format is used, not their sockets
        self._state_path = state_path
        self._deliveries: deque[dict] = deque(maxlen=KEEP)
        self._deliveries_lock = threading.Lock()
        if state_path and os.path.exists(state_path):
            with open(state_path, encoding="utf-8") as handle:
                for line in handle:
                    try:
                        self._deliveries.append(json.loads(line))
                    except ValueError:
                        continue

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        with self._lock:  # a long-running stand-in keeps its page, not every raw request
            del self.requests[:-100]
        path = urlsplit(request.path).path
        if request.method == "GET" and path in ("/", ""):
            return 200, self._page().encode(), {"Content-Type": "text/html; charset=utf-8"}
        if request.method == "GET" and path == "/deliveries":
            with self._deliveries_lock:
                return 200, list(reversed(self._deliveries)), {}
        for prefix, fake, platform in (
            ("/telegram", self.telegram, "telegram"),
            ("/whatsapp", self.whatsapp, "whatsapp"),
            ("/instagram", self.instagram, "instagram"),
        ):
            if path.startswith(prefix + "/"):
                inner = Recorded(request.method, request.path[len(prefix) :], request.headers, request.body)
                with self._lock:  # one credential at a time: the stand-in accepts whatever it is given
                    self._accept_credentials(platform, inner)
                    status, payload, headers = fake.handle(inner)
                if status == 200 and request.method == "POST":
                    self._record(platform, inner)
                return status, payload, headers
        return 404, {"error": "not found"}, {}

    def _accept_credentials(self, platform: str, request: Recorded) -> None:
        if platform == "telegram":
            token = urlsplit(request.path).path.removeprefix("/file").removeprefix("/bot").split("/", 1)[0]
            self.telegram.token = token or self.telegram.token
        elif platform == "whatsapp":
            self.whatsapp.api_key = request.headers.get("d360-api-key") or self.whatsapp.api_key
        else:
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            self.instagram.token = bearer or self.instagram.token

    def _record(self, platform: str, request: Recorded) -> None:
        body = request.json or {}
        if platform == "telegram":
            if not request.path.endswith("/sendMessage"):
                return
            to, text = body.get("chat_id"), body.get("text", "")
            buttons = [
                b.get("text") for row in (body.get("reply_markup") or {}).get("inline_keyboard") or [] for b in row
            ]
        elif platform == "whatsapp":
            to = body.get("to")
            text = (body.get("text") or {}).get("body") or ((body.get("interactive") or {}).get("body") or {}).get(
                "text"
            )
            action = (body.get("interactive") or {}).get("action") or {}
            buttons = [(b.get("reply") or {}).get("title") for b in action.get("buttons") or []]
        else:
            to = (body.get("recipient") or {}).get("id")
            message = body.get("message") or {}
            text = message.get("text", "")
            buttons = [q.get("title") for q in message.get("quick_replies") or []]
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "platform": platform,
            "to": str(to),
            "text": text or "",
            "buttons": [b for b in buttons if b],
        }
        with self._deliveries_lock:
            self._deliveries.append(entry)
            if self._state_path:
                with open(self._state_path, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def _page(self) -> str:
        with self._deliveries_lock:
            rows = list(reversed(self._deliveries))
        items = "".join(
            f"<tr><td>{html.escape(d['at'])}</td><td>{html.escape(d['platform'])}</td><td>{html.escape(d['to'])}</td>"
            f"<td><pre>{html.escape(d['text'])}</pre>"
            + (f"<p>[{' ] [ '.join(html.escape(b) for b in d['buttons'])}]</p>" if d["buttons"] else "")
            + "</td></tr>"
            for d in rows
        )
        return (
            "<!doctype html><meta charset=utf-8><title>AGNT messaging stand-in</title>"
            "<style>body{font:14px system-ui;margin:2em}td{vertical-align:top;border-bottom:1px solid #ddd;"
            "padding:.4em}pre{white-space:pre-wrap;margin:0}</style>"
            "<h1>Replies sent to Telegram, WhatsApp and Instagram</h1>"
            "<p>The local stand-in of the messaging providers (no real messages leave this machine). "
            "Newest first; JSON at <a href=/deliveries>/deliveries</a>.</p>"
            f"<table><tr><th>sent (UTC)</th><th>channel</th><th>to</th><th>message</th></tr>{items}</table>"
        )


def main() -> None:  # pragma: no cover - the `make run` stand-in (agnt/devrun.py)
    import argparse

    parser = argparse.ArgumentParser(description="Local stand-in of the messaging providers for make run")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--state-file", default="")
    args = parser.parse_args()
    ChannelStandin(args.port, state_path=args.state_file or None).start()
    print(f"messaging stand-in on http://127.0.0.1:{args.port}/ (Telegram, WhatsApp, Instagram)", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":  # pragma: no cover
    main()
