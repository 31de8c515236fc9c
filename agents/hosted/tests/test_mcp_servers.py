"""Declared MCP servers: reached over Streamable HTTP through the SSRF guard, with a timeout."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agents.hosted.state import RunStatus
from agents.hosted.tests.conftest import make_agent, run_now

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "def handler(event):\n    return call_tool('mcp:calc/add', {'a': 2, 'b': 3})\n"


class FakeMcp(BaseHTTPRequestHandler):
    """A stateless MCP server speaking JSON-RPC tools/call (the wire format, no SDK)."""

    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeMcp.received.append(body)
        args = body["params"]["arguments"]
        result = {"content": [{"type": "text", "text": "5"}], "structuredContent": {"sum": args["a"] + args["b"]}}
        payload = json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def mcp_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeMcp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/mcp"
    server.shutdown()


def test_a_declared_mcp_server_on_a_private_address_is_refused(owner, mcp_server):
    _, deployment = make_agent(owner, code=CODE, mcp_servers=[{"name": "calc", "url": mcp_server}])
    run = run_now(deployment, {}, payer=owner)
    assert run.status == RunStatus.FAILED and "loopback" in run.error
    assert FakeMcp.received == []


def test_a_declared_mcp_server_is_called_when_allowed(owner, mcp_server, settings):
    settings.HOSTED_MCP_ALLOW_PRIVATE = True  # development setting: the fake server is on loopback
    _, deployment = make_agent(owner, code=CODE, mcp_servers=[{"name": "calc", "url": mcp_server}])
    run = run_now(deployment, {}, payer=owner)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.output == {"sum": 5} and FakeMcp.received[-1]["method"] == "tools/call"


def test_an_undeclared_mcp_server_is_refused(owner):
    _, deployment = make_agent(owner, code=CODE)
    run = run_now(deployment, {}, payer=owner)
    assert run.status == RunStatus.FAILED and run.error_code == "undeclared_tool"
