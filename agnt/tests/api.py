"""Helpers for tests of the first-party API: a client holding a real bearer token."""

from __future__ import annotations

from rest_framework.test import APIClient

from agnt import services


def bearer_client(user) -> APIClient:
    """An APIClient that sends ``Authorization: Bearer <access>`` for a real session of ``user``."""
    pair = services.session_login(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access}")
    return client
