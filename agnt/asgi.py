"""ASGI entry point: one process, one port, and ASGI only where it is needed.

* ``/mcp``, ``/mcp/sse``, ``/mcp/messages/`` and ``/a2a/jsonrpc`` are ASGI apps the official
  SDKs build (agnt/routing.py): served natively on the event loop (streams, SSE).
* WebSocket connections go through Channels (agnt/routing.py ``websocket_urlpatterns``).
* Every other HTTP request is Django's **WSGI** handler run on a thread pool by a2wsgi.
  Django's own ASGI handler runs each sync view through ``sync_to_async`` on one thread per
  process and pays for the async/sync bridge on every request (about 3 ms of CPU for a request
  that does nothing, against about 1 ms this way; bench/serving.py measures both side by side).
  Under WSGI, static files (whitenoise) are plain file iterators, not the "synchronous
  iterator" Django's ASGI handler warns about.

``WEB_THREADS`` (default 8) is the thread pool size per process: at most that many Django
requests run at once per process, each holding one pooled database connection, so keep it
≤ ``DATABASE_POOL_MAX``. docs/operations.md ("Serving") explains the layout.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agnt.settings")
django_wsgi_app = get_wsgi_application()

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402 - needs Django set up first
from channels.routing import URLRouter  # noqa: E402

from agnt.routing import asgi_http_routes, websocket_urlpatterns  # noqa: E402

django_http = WSGIMiddleware(django_wsgi_app, workers=int(os.environ.get("WEB_THREADS", "8") or 8))
websocket_app = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))


async def application(scope, receive, send):
    kind = scope["type"]
    if kind == "http":
        path = scope["path"]
        for pattern, app in asgi_http_routes:
            match = pattern.match(path)
            if match:
                # what Channels' URLRouter gives a routed app: the path's named groups
                scope = dict(scope, url_route={"args": (), "kwargs": match.groupdict()})
                return await app(scope, receive, send)
        return await django_http(scope, receive, send)
    if kind == "websocket":
        return await websocket_app(scope, receive, send)
    if kind == "lifespan":
        # nothing to start or stop: acknowledge so servers do not log "lifespan unsupported"
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    raise ValueError(f"unsupported ASGI scope type {kind!r}")
