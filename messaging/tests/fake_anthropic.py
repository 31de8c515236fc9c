"""A local stand-in for the Anthropic Messages API (POST /v1/messages), for the SDK to talk to.

The official SDK speaks HTTP through its own httpx build, so tests point it at this real
server (settings.ANTHROPIC_BASE_URL) instead of patching anything. Responses are scripted
in order; every request is recorded (headers + JSON body) so tests can assert what the SDK
sent: cache_control breakpoints, tool_result blocks, retries.

    with FakeAnthropic() as fake:
        fake.script(tool_use("venue_search", {"query": "sushi"}), text("Here you go"))
        ...
        fake.requests[1]["body"]["messages"][-1]  # the tool_result message
"""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ids = itertools.count(1)


def usage(input_tokens: int = 10, output_tokens: int = 5, cache_read: int = 0, cache_write: int = 0) -> dict[str, int]:
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_read_input_tokens": cache_read,
        "cache_creation_input_tokens": cache_write,
    }


def message(content: list[dict], *, stop_reason: str = "end_turn", **usage_kwargs) -> dict[str, Any]:
    """A Messages API response body."""
    return {
        "id": f"msg_fake{next(_ids):04d}",
        "type": "message",
        "role": "assistant",
        "model": "claude-fake",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage(**usage_kwargs),
    }


def text(reply: str, **usage_kwargs) -> dict[str, Any]:
    return message([{"type": "text", "text": reply}], **usage_kwargs)


def tool_use(
    name: str, arguments: dict, *, preface: str = "", tool_id: str | None = None, **usage_kwargs
) -> dict[str, Any]:
    blocks: list[dict] = [{"type": "text", "text": preface}] if preface else []
    blocks.append(
        {"type": "tool_use", "id": tool_id or f"toolu_fake{next(_ids):04d}", "name": name, "input": arguments}
    )
    return message(blocks, stop_reason="tool_use", **usage_kwargs)


class Status:
    """A scripted non-200 answer: Status(429, headers={"retry-after": "0"})."""

    def __init__(self, code: int, *, error_type: str = "rate_limit_error", headers: dict[str, str] | None = None):
        self.code = code
        self.error_type = error_type
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"type": "error", "error": {"type": self.error_type, "message": f"fake {self.code}"}}


class FakeAnthropic:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._script: list[Any] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                with fake._lock:
                    fake.requests.append(
                        {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                    )
                    answer = fake._script.pop(0) if fake._script else text("(fake: script exhausted)")
                if self.path.split("?")[0] != "/v1/messages":
                    answer = Status(404, error_type="not_found_error")
                if isinstance(answer, Status):
                    self._send(answer.code, answer.body(), answer.headers)
                else:
                    self._send(200, answer, {})

            def _send(self, code: int, payload: dict, headers: dict[str, str]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("request-id", f"req_fake{next(_ids)}")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def script(self, *answers: Any) -> None:
        """Queue responses (message dicts or Status) served in order, one per request."""
        with self._lock:
            self._script.extend(answers)

    def start(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
