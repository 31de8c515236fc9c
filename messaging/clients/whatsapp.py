"""WhatsApp Cloud API through 360dialog: base WHATSAPP_API_BASE_URL, header D360-API-KEY.

Request and response bodies are Meta's Cloud API format (360dialog proxies them):
``POST /messages`` → ``{"messages": [{"id": "wamid…"}]}``; errors ``{"error": {"code", "message", …}}``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from messaging.clients import (
    ProviderPermanentError,
    ProviderRateLimited,
    ProviderTemporaryError,
    WindowClosed,
    credential,
    download,
    request,
    retry_after_header,
)

MAX_TEXT_LENGTH = 4096
# A template body parameter may not contain newlines/tabs or > 4 consecutive spaces (error 132018).
MAX_TEMPLATE_PARAM_LENGTH = 1000

# Meta error codes: throughput / spam / pair-rate limits → retry later.
_RATE_LIMIT_CODES = {4, 80007, 130429, 131048, 131056}
_WINDOW_CLOSED_CODES = {131047}
# recipient not on WhatsApp / not a valid user: the binding cannot be reached
_GONE_CODES = {131026, 131030, 131021}
_TEMPORARY_CODES = {1, 2, 131000, 131016, 133004}


PROVIDER_BASE_URL = "https://waba-v2.360dialog.io"


def _headers() -> dict[str, str]:
    key = credential(
        settings.D360_API_KEY,
        name="D360_API_KEY",
        base_url=settings.WHATSAPP_API_BASE_URL,
        provider_base_url=PROVIDER_BASE_URL,
    )
    return {"D360-API-KEY": key, "Content-Type": "application/json"}


def _base() -> str:
    return settings.WHATSAPP_API_BASE_URL.rstrip("/")


def _raise_for(response) -> None:
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else {}
    code = error.get("code")
    details = ""
    if isinstance(error.get("error_data"), dict):
        details = str(error["error_data"].get("details") or "")
    message = f"whatsapp {code or response.status_code}: {error.get('message') or error.get('title') or 'HTTP ' + str(response.status_code)}"
    if details:
        message += f" ({details})"
    message = message[:400]
    if response.status_code == 429 or code in _RATE_LIMIT_CODES:
        raise ProviderRateLimited(
            message, retry_after=retry_after_header(response, 6.0), status_code=response.status_code, code=code
        )
    if code in _WINDOW_CLOSED_CODES:
        raise WindowClosed(message, status_code=response.status_code, code=code)
    if response.status_code >= 500 or code in _TEMPORARY_CODES:
        raise ProviderTemporaryError(message, status_code=response.status_code, code=code)
    raise ProviderPermanentError(
        message, status_code=response.status_code, code=code, recipient_gone=code in _GONE_CODES
    )


def _send(body: dict[str, Any]) -> str:
    response = request(
        "POST",
        f"{_base()}/messages",
        json={"messaging_product": "whatsapp", "recipient_type": "individual", **body},
        headers=_headers(),
    )
    if response.status_code not in (200, 201):
        _raise_for(response)
    try:
        return str(response.json()["messages"][0]["id"])
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ProviderTemporaryError("whatsapp /messages: no message id in the answer") from exc


def send_text(to: str, text: str) -> str:
    """A free-form text (only inside the 24 h window). Returns the wamid."""
    return _send({"to": to, "type": "text", "text": {"body": text, "preview_url": False}})


def send_buttons(to: str, text: str, buttons: list[dict[str, str]]) -> str:
    """An interactive message with up to three reply buttons (id, title); a tap comes back as
    an ``interactive.button_reply`` carrying the button's id. Returns the wamid."""
    return _send(
        {
            "to": to,
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": text[:1024]},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": b["id"][:256], "title": b["title"][:20]}} for b in buttons[:3]
                    ]
                },
            },
        }
    )


def template_parameter(text: str) -> str:
    """Make free text acceptable as a template body parameter (no newlines, bounded length)."""
    flat = re.sub(r"\s*\n\s*", " · ", text.strip())
    flat = re.sub(r"[\t ]{2,}", " ", flat)
    if len(flat) > MAX_TEMPLATE_PARAM_LENGTH:
        flat = flat[: MAX_TEMPLATE_PARAM_LENGTH - 1].rstrip() + "…"
    return flat


def send_template(to: str, name: str, language: str, body_parameters: list[str]) -> str:
    """An approved template message (allowed outside the 24 h window). Returns the wamid."""
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if body_parameters:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": template_parameter(p)} for p in body_parameters]}
        ]
    return _send({"to": to, "type": "template", "template": template})


def get_media_bytes(media_id: str, *, max_bytes: int = 10 * 1024 * 1024) -> tuple[bytes, str]:
    """Download media a user sent: GET /{media-id} for its URL, then fetch it through 360dialog.

    360dialog answers Meta's lookaside URL; it must be fetched through 360dialog's host
    (same path and query) with the D360-API-KEY header, not from Meta directly.
    """
    response = request("GET", f"{_base()}/{media_id}", headers=_headers())
    if response.status_code != 200:
        _raise_for(response)
    try:
        info = response.json()
        url = str(info["url"])
        mime = str(info.get("mime_type") or "")
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderTemporaryError("whatsapp media: no url in the answer") from exc
    parts = urlsplit(url)
    if parts.hostname and parts.hostname.endswith("fbsbx.com"):
        url = f"{_base()}{parts.path}" + (f"?{parts.query}" if parts.query else "")
    data, fetched_mime = download(url, max_bytes=max_bytes, headers={"D360-API-KEY": _headers()["D360-API-KEY"]})
    return data, mime or fetched_mime
