"""A real uvicorn server serving agnt.asgi:application in a thread, against the test database.

For tests of the SDK-built apps (MCP, A2A JSON-RPC) that only a real HTTP client through
a real ASGI server exercises: Channels routing, streaming responses, the thread-sensitive
ORM executor. Use with ``@pytest.mark.django_db(transaction=True)``: the server's threads
see only committed rows.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(app=None) -> Iterator[str]:
    """Serve ``app`` (default: agnt.asgi:application) on a free port in a thread; yields its base URL."""
    import uvicorn

    if app is None:
        from agnt.asgi import application as app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test ASGI server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def asgi_server(transactional_db):
    with serving() as url:
        yield url


@pytest.fixture
def second_asgi_server(transactional_db):
    """Another server process's stand-in: its own event loop, so its own MCP sessions."""
    with serving() as url:
        yield url
