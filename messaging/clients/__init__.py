"""Clients for the messaging providers (Telegram Bot API, 360dialog WhatsApp, Instagram Graph).

Each provider sits behind one module with a base URL from settings, so tests point it at a
local fake server. All of them raise the same small error hierarchy, which is what the
send queue decides on:

- ProviderRateLimited(retry_after): the provider said "slow down" (HTTP 429 or its own
  throttling codes) — retry after that many seconds, it is not a failure.
- ProviderTemporaryError: 5xx, timeouts, connection errors — retry with backoff.
- ProviderPermanentError: the request itself is refused (400/401/403, bot blocked by the
  user, recipient unknown, not configured) — retrying the same call cannot help.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from typing import Any

import httpx
from django.conf import settings

from messaging.types import MediaRef

logger = logging.getLogger(__name__)


class ProviderError(Exception):
    """Base of every error a channel client raises."""

    def __init__(self, message: str, *, status_code: int | None = None, code: Any = None):
        super().__init__(message)
        self.status_code = status_code
        self.code = code


class ProviderRateLimited(ProviderError):
    def __init__(self, message: str, *, retry_after: float, status_code: int | None = 429, code: Any = None):
        super().__init__(message, status_code=status_code, code=code)
        self.retry_after = max(0.0, float(retry_after))


class ProviderTemporaryError(ProviderError):
    pass


class ProviderPermanentError(ProviderError):
    """``recipient_gone`` is set when the user blocked the bot / left: the channel should go inactive."""

    def __init__(self, message: str, *, status_code: int | None = None, code: Any = None, recipient_gone: bool = False):
        super().__init__(message, status_code=status_code, code=code)
        self.recipient_gone = recipient_gone


class ProviderNotConfigured(ProviderPermanentError):
    """The token / API key for this provider is not set."""


class WindowClosed(ProviderPermanentError):
    """WhatsApp refused free-form text: the 24-hour customer-service window is closed (code 131047)."""


STAND_IN_CREDENTIAL = "not-configured"


def credential(value: str, *, name: str, base_url: str, provider_base_url: str) -> str:
    """A provider credential, or a placeholder when a local stand-in is configured instead.

    With the provider's real base URL an unset credential is a configuration error (no
    point sending a request the provider must refuse). With the base URL pointed somewhere
    else — a local fake, a staging proxy — the request goes out with a placeholder, so the
    whole pipeline can be exercised without real keys.
    """
    if value:
        return value
    if base_url.rstrip("/") != provider_base_url.rstrip("/"):
        return STAND_IN_CREDENTIAL
    raise ProviderNotConfigured(f"{name} is not configured")


_client: httpx.Client | None = None
_client_lock = threading.Lock()


def http() -> httpx.Client:
    """One pooled HTTP client per process (keep-alive to the provider APIs).

    trust_env=False: proxy variables from the environment must not reroute bot tokens.
    """
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                timeout = float(getattr(settings, "CHANNEL_HTTP_TIMEOUT_SECONDS", 10))
                _client = httpx.Client(timeout=httpx.Timeout(timeout, connect=5.0), trust_env=False)
    return _client


def request(method: str, url: str, **kwargs) -> httpx.Response:
    """An HTTP call with network failures mapped to ProviderTemporaryError."""
    try:
        return http().request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ProviderTemporaryError(f"timeout calling {_safe(url)}") from exc
    except httpx.HTTPError as exc:
        raise ProviderTemporaryError(f"network error calling {_safe(url)}: {type(exc).__name__}") from exc


def _safe(url: str) -> str:
    # Telegram puts the bot token in the path; never log it.
    if "/bot" in url:
        head, _, tail = url.partition("/bot")
        return head + "/bot***/" + tail.partition("/")[2]
    return url


def retry_after_header(response: httpx.Response, default: float = 1.0) -> float:
    try:
        return float(response.headers.get("Retry-After", default))
    except ValueError:
        return default


def download(url: str, *, max_bytes: int, headers: dict[str, str] | None = None) -> tuple[bytes, str]:
    """GET ``url`` streaming, refusing bodies over ``max_bytes``; returns (bytes, mime type)."""
    if not url.startswith(("https://", "http://")):
        raise ProviderPermanentError("media URL must be http(s)")
    try:
        with http().stream("GET", url, headers=headers or {}, follow_redirects=True) as response:
            if response.status_code == 429:
                raise ProviderRateLimited("media download rate limited", retry_after=retry_after_header(response))
            if response.status_code >= 500:
                raise ProviderTemporaryError(
                    f"media download answered {response.status_code}", status_code=response.status_code
                )
            if response.status_code >= 400:
                raise ProviderPermanentError(
                    f"media download answered {response.status_code}", status_code=response.status_code
                )
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise ProviderPermanentError(f"media is {declared} bytes, over the {max_bytes} limit")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise ProviderPermanentError(f"media is over the {max_bytes} byte limit")
                chunks.append(chunk)
            mime = response.headers.get("Content-Type", "").split(";")[0].strip()
    except httpx.HTTPError as exc:
        raise ProviderTemporaryError(f"network error downloading media: {type(exc).__name__}") from exc
    if not mime or mime == "application/octet-stream":
        mime = mimetypes.guess_type(url.split("?")[0])[0] or "application/octet-stream"
    return b"".join(chunks), mime


def media_bytes(platform: str, media: MediaRef, max_bytes: int) -> tuple[bytes, str] | None:
    """The bytes and MIME type of an inbound attachment, or None when it cannot be fetched.

    Never raises: a missing picture must not break the conversation turn (the caller says
    truthfully that it could not see the image).
    """
    try:
        if platform == "telegram" and media.provider_id:
            from messaging.clients import telegram

            data, mime = telegram.get_file_bytes(media.provider_id, max_bytes=max_bytes)
        elif platform == "whatsapp" and media.provider_id:
            from messaging.clients import whatsapp

            data, mime = whatsapp.get_media_bytes(media.provider_id, max_bytes=max_bytes)
        elif platform == "instagram" and media.url:
            from messaging.clients import instagram

            data, mime = instagram.get_attachment_bytes(media.url, max_bytes=max_bytes)
        else:
            return None
    except ProviderError as exc:
        logger.warning("could not fetch %s media: %s", platform, exc)
        return None
    except Exception:  # a provider answering nonsense must not break the turn
        logger.exception("unexpected error fetching %s media", platform)
        return None
    return data, (media.mime_type or mime)


__all__ = [
    "ProviderError",
    "ProviderRateLimited",
    "ProviderTemporaryError",
    "ProviderPermanentError",
    "ProviderNotConfigured",
    "WindowClosed",
    "media_bytes",
]
