"""Channels routes. Apps append their consumers here (e.g. the live dashboard, MCP SSE)."""

from django.urls import re_path

from agents.api.a2a_jsonrpc import build_asgi_app as a2a_jsonrpc_app
from agents.api.mcp import build_asgi_apps as mcp_apps

websocket_urlpatterns: list = []

# --- open network (agents/api): SDK-built ASGI apps served ahead of Django -----------------
_mcp_http, _mcp_sse = mcp_apps()
_a2a_jsonrpc = a2a_jsonrpc_app()
http_urlpatterns: list = [
    re_path(r"^mcp/?$", _mcp_http),  # MCP Streamable HTTP (stateless)
    re_path(r"^mcp/(?:sse|messages/)", _mcp_sse),  # MCP legacy HTTP+SSE: GET /mcp/sse, POST /mcp/messages/
    re_path(r"^a2a/jsonrpc/?$", _a2a_jsonrpc),  # the platform agent's A2A JSON-RPC endpoint
    re_path(r"^agents/(?P<slug>[-a-z0-9]+)/a2a/jsonrpc/?$", _a2a_jsonrpc),  # one venue's own agent
]
