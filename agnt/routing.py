"""Channels routes. Apps append their consumers here (e.g. the live dashboard, MCP SSE)."""

websocket_urlpatterns: list = []
