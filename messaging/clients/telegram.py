"""Telegram Bot API client (https://core.telegram.org/bots/api), base TELEGRAM_API_BASE_URL."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.conf import settings

from messaging.clients import (
    STAND_IN_CREDENTIAL,
    ProviderPermanentError,
    ProviderRateLimited,
    ProviderTemporaryError,
    credential,
    download,
    request,
)

# Bot API limit on a text message (UTF-16 code units after entity parsing).
MAX_TEXT_LENGTH = 4096

# Phrases of a 403/400 that mean the chat is gone for good: the binding should go inactive.
_GONE = ("bot was blocked", "user is deactivated", "chat not found", "bot was kicked", "bot can't initiate")


PROVIDER_BASE_URL = "https://api.telegram.org"


def _token() -> str:
    token = credential(
        settings.TELEGRAM_BOT_TOKEN,
        name="TELEGRAM_BOT_TOKEN",
        base_url=settings.TELEGRAM_API_BASE_URL,
        provider_base_url=PROVIDER_BASE_URL,
    )
    # a stand-in still gets a token-shaped path segment: /bot0:not-configured/sendMessage
    return token if token != STAND_IN_CREDENTIAL else f"0:{STAND_IN_CREDENTIAL}"


def _url(method: str) -> str:
    return f"{settings.TELEGRAM_API_BASE_URL.rstrip('/')}/bot{_token()}/{method}"


def call(method: str, params: dict[str, Any]) -> Any:
    """POST a Bot API method and return ``result``, mapping errors to the typed hierarchy."""
    response = request("POST", _url(method), json=params)
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code == 200 and body.get("ok") is True:
        return body.get("result")
    code = body.get("error_code") or response.status_code
    description = str(body.get("description") or f"HTTP {response.status_code}")[:300]
    parameters = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
    if code == 429 or response.status_code == 429:
        retry_after = parameters.get("retry_after") or response.headers.get("Retry-After") or 1
        try:
            retry_after = float(retry_after)
        except (TypeError, ValueError):
            retry_after = 1.0
        raise ProviderRateLimited(f"telegram {method}: {description}", retry_after=retry_after, code=code)
    if response.status_code >= 500 or (isinstance(code, int) and code >= 500):
        raise ProviderTemporaryError(f"telegram {method}: {description}", status_code=response.status_code, code=code)
    gone = any(phrase in description.lower() for phrase in _GONE)
    raise ProviderPermanentError(
        f"telegram {method}: {description}", status_code=response.status_code, code=code, recipient_gone=gone
    )


def send_message(chat_id: str | int, text: str, reply_markup: dict | None = None) -> int:
    """Send one text message (≤ 4096 characters; the send queue splits longer texts). Returns message_id."""
    params: dict[str, Any] = {"chat_id": chat_id, "text": text, "disable_web_page_preview": True}
    if reply_markup:
        params["reply_markup"] = reply_markup
    if settings.TELEGRAM_MESSAGES_PER_SECOND > 30:
        # above the free 30 msg/s Telegram accepts only paid broadcasts (0.1 Star a message)
        params["allow_paid_broadcast"] = True
    result = call("sendMessage", params)
    if not isinstance(result, dict) or "message_id" not in result:
        raise ProviderTemporaryError("telegram sendMessage: no message_id in the answer")
    return int(result["message_id"])


def get_file_bytes(file_id: str, *, max_bytes: int = 10 * 1024 * 1024) -> tuple[bytes, str]:
    """Download a file (photo) the user sent: getFile, then GET /file/bot<token>/<file_path>."""
    result = call("getFile", {"file_id": file_id})
    file_path = result.get("file_path") if isinstance(result, dict) else None
    if not file_path:
        raise ProviderPermanentError("telegram getFile: no file_path (file too big or expired)")
    size = result.get("file_size")
    if isinstance(size, int) and size > max_bytes:
        raise ProviderPermanentError(f"telegram file is {size} bytes, over the {max_bytes} limit")
    url = f"{settings.TELEGRAM_API_BASE_URL.rstrip('/')}/file/bot{_token()}/{file_path}"
    data, mime = download(url, max_bytes=max_bytes)
    if mime in ("application/octet-stream", ""):
        mime = mimetypes.guess_type(file_path)[0] or "image/jpeg"
    return data, mime
