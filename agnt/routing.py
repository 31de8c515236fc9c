"""ASGI routes served ahead of Django (agnt/asgi.py). Apps append their consumers here."""

import re

from django.urls import re_path

from agents.api.a2a_jsonrpc import build_asgi_app as a2a_jsonrpc_app
from agents.api.mcp import build_asgi_apps as mcp_apps

websocket_urlpatterns: list = []

# --- open network (agents/api): SDK-built ASGI apps served ahead of Django -----------------
# Paths as ASGI gives them (leading slash). Everything else is Django's WSGI app.
_mcp_http, _mcp_sse = mcp_apps()
_a2a_jsonrpc = a2a_jsonrpc_app()
asgi_http_routes: list = [
    (re.compile(r"^/mcp/?$"), _mcp_http),  # MCP Streamable HTTP (stateless)
    (re.compile(r"^/mcp/(?:sse|messages/)"), _mcp_sse),  # MCP legacy HTTP+SSE: GET /mcp/sse, POST /mcp/messages/
    (re.compile(r"^/a2a/jsonrpc/?$"), _a2a_jsonrpc),  # the platform agent's A2A JSON-RPC endpoint
    (re.compile(r"^/agents/(?P<slug>[-a-z0-9]+)/a2a/jsonrpc/?$"), _a2a_jsonrpc),  # one venue's own agent
]

# The same routes as Channels URL patterns (paths without the leading slash), for a
# Channels URLRouter in front of Django's own ASGI handler.
http_urlpatterns: list = [
    re_path(r"^mcp/?$", _mcp_http),
    re_path(r"^mcp/(?:sse|messages/)", _mcp_sse),
    re_path(r"^a2a/jsonrpc/?$", _a2a_jsonrpc),
    re_path(r"^agents/(?P<slug>[-a-z0-9]+)/a2a/jsonrpc/?$", _a2a_jsonrpc),
]
