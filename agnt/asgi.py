"""ASGI entry point: HTTP through Django, WebSocket/long-lived routes through Channels.

A few HTTP paths are served by ASGI apps the official SDKs build (the MCP server, the
platform agent's A2A JSON-RPC endpoint; agnt/routing.py): Channels routes those before
Django, and every other path goes to Django unchanged.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agnt.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402 - needs Django set up first
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from agnt.routing import http_urlpatterns, websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": URLRouter([*http_urlpatterns, re_path(r"", django_asgi_app)]),
        "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
    }
)
