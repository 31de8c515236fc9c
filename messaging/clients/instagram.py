"""Instagram messaging through the Graph API (Instagram API with Instagram Login).

``POST {INSTAGRAM_API_BASE_URL}/{version}/me/messages`` with the INSTAGRAM_ACCESS_TOKEN as a
bearer token; body ``{"recipient": {"id": IGSID}, "message": {"text": …}}`` →
``{"recipient_id": …, "message_id": …}``. Errors are Graph ``{"error": {"code", "message", …}}``.
"""

from __future__ import annotations

from django.conf import settings

from messaging.clients import (
    ProviderPermanentError,
    ProviderRateLimited,
    ProviderTemporaryError,
    credential,
    download,
    request,
    retry_after_header,
)

# Instagram refuses text messages over 1000 characters.
MAX_TEXT_LENGTH = 1000
# Graph throttling codes (app, user, page, custom rate limits)
_RATE_LIMIT_CODES = {4, 17, 32, 613, 80002, 80006}
_TEMPORARY_CODES = {1, 2}
# 551: "This person isn't available right now"; 10 with subcode 2018278: outside the messaging window
_GONE_CODES = {551}


def _version() -> str:
    return getattr(settings, "INSTAGRAM_API_VERSION", "v21.0")


PROVIDER_BASE_URL = "https://graph.instagram.com"


def _headers() -> dict[str, str]:
    token = credential(
        settings.INSTAGRAM_ACCESS_TOKEN,
        name="INSTAGRAM_ACCESS_TOKEN",
        base_url=settings.INSTAGRAM_API_BASE_URL,
        provider_base_url=PROVIDER_BASE_URL,
    )
    return {"Authorization": f"Bearer {token}"}


def _raise_for(response) -> None:
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else {}
    code = error.get("code")
    message = (
        f"instagram {code or response.status_code}: {error.get('message') or 'HTTP ' + str(response.status_code)}"[:400]
    )
    if response.status_code == 429 or code in _RATE_LIMIT_CODES:
        raise ProviderRateLimited(
            message, retry_after=retry_after_header(response, 60.0), status_code=response.status_code, code=code
        )
    if response.status_code >= 500 or code in _TEMPORARY_CODES or error.get("is_transient") is True:
        raise ProviderTemporaryError(message, status_code=response.status_code, code=code)
    raise ProviderPermanentError(
        message, status_code=response.status_code, code=code, recipient_gone=code in _GONE_CODES
    )


def send_text(recipient_id: str, text: str, *, quick_replies: list[dict[str, str]] | None = None) -> str:
    """Send a DM to an Instagram-scoped user id (IGSID). Returns the message id (mid).

    ``quick_replies`` (id, title) become Instagram quick replies; a tap comes back as a
    message whose ``quick_reply.payload`` is the id."""
    url = f"{settings.INSTAGRAM_API_BASE_URL.rstrip('/')}/{_version()}/me/messages"
    message: dict = {"text": text}
    if quick_replies:
        message["quick_replies"] = [
            {"content_type": "text", "title": q["title"][:20], "payload": q["id"]} for q in quick_replies[:13]
        ]
    response = request("POST", url, json={"recipient": {"id": recipient_id}, "message": message}, headers=_headers())
    if response.status_code != 200:
        _raise_for(response)
    try:
        return str(response.json()["message_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderTemporaryError("instagram /me/messages: no message_id in the answer") from exc


def get_attachment_bytes(url: str, *, max_bytes: int = 10 * 1024 * 1024) -> tuple[bytes, str]:
    """Attachments arrive as (signed CDN) URLs in the webhook; fetch them directly, size-capped."""
    return download(url, max_bytes=max_bytes)
