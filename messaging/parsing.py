"""Provider webhook payloads → messaging.types.InboundMessage (and WhatsApp delivery statuses).

Providers send many shapes we do not handle (stickers, reactions, read receipts, edits…)
and, on a bad day, shapes nobody documented. Every function here is total: anything it
cannot read is skipped with a log line, never raised, so the webhook answers 200 and the
provider does not retry a payload that will never parse.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from messaging.models import InteractionKind
from messaging.types import InboundMessage, MediaRef

logger = logging.getLogger(__name__)

# Field sizes of UserChannel / Interaction: longer values are cut here, not refused by the DB.
_EXTERNAL_ID_MAX = 128
_PROVIDER_ID_MAX = 191
_USERNAME_MAX = 120
_DISPLAY_NAME_MAX = 160
_LANGUAGE_MAX = 16
_TEXT_MAX = 20_000
_REFERRAL_RE = re.compile(r"^[A-Za-z0-9_-]{1,24}$")  # user codes are 16, ambassadors' up to 24


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery receipt for one of our outbound messages (WhatsApp ``statuses[]``)."""

    provider_message_id: str
    status: str  # sent | delivered | read | failed
    recipient_id: str = ""
    error: str = ""
    timestamp: int | None = None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _str(value: Any, limit: int = _TEXT_MAX) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (str, int)):
        return str(value)[:limit]
    return ""


def _id(value: Any, limit: int) -> str:
    """A provider identifier: a non-empty string or integer, else ''."""
    text = _str(value, limit).strip()
    return text


# --------------------------------------------------------------------------- Telegram


def parse_telegram(update: Any) -> InboundMessage | None:
    """One Telegram Update → an InboundMessage, or None for updates the concierge ignores.

    Handled: private-chat ``message`` with text, photo (largest size, caption) or an image
    document; ``/start <code>`` (kind command, referral code); ``callback_query`` from an
    inline button (kind interactive, text = the button data). Ignored: edited messages,
    channel posts, group chats, stickers, voice, and every other update type.
    """
    try:
        return _parse_telegram(_dict(update))
    except Exception:  # defensive: a shape we did not foresee must not become a 500
        logger.exception("telegram update could not be parsed; ignored")
        return None


def _parse_telegram(update: dict) -> InboundMessage | None:
    update_id = _id(update.get("update_id"), _PROVIDER_ID_MAX)
    if not update_id:
        logger.info("telegram update without update_id ignored")
        return None
    if "message" in update:
        return _telegram_message(update_id, _dict(update.get("message")))
    if "callback_query" in update:
        return _telegram_callback(update_id, _dict(update.get("callback_query")))
    logger.info("telegram update %s ignored: type %s", update_id, ",".join(k for k in update if k != "update_id")[:80])
    return None


def _telegram_sender(sender: dict) -> dict[str, str]:
    first, last = _str(sender.get("first_name"), 80), _str(sender.get("last_name"), 80)
    return {
        "username": _str(sender.get("username"), _USERNAME_MAX),
        "display_name": " ".join(p for p in (first, last) if p)[:_DISPLAY_NAME_MAX],
        "language_code": _str(sender.get("language_code"), _LANGUAGE_MAX),
    }


def _telegram_message(update_id: str, message: dict) -> InboundMessage | None:
    chat = _dict(message.get("chat"))
    chat_id = _id(chat.get("id"), _EXTERNAL_ID_MAX)
    if not chat_id:
        logger.info("telegram update %s ignored: message without chat id", update_id)
        return None
    if chat.get("type", "private") != "private":
        # the concierge is one-to-one; a group would bind a whole room as one user
        logger.info("telegram update %s ignored: %s chat", update_id, _str(chat.get("type"), 20))
        return None
    sender = _telegram_sender(_dict(message.get("from")))
    common = {
        "platform": "telegram",
        "external_id": chat_id,
        "provider_message_id": update_id,
        "payload": message,
        **sender,
    }

    text = _str(message.get("text"))
    if text:
        if text.startswith("/"):
            command, _, argument = text.partition(" ")
            referral = ""
            if command.split("@")[0] == "/start":
                candidate = argument.strip()
                referral = candidate if _REFERRAL_RE.match(candidate) else ""
            return InboundMessage(kind=InteractionKind.COMMAND, text=text, referral_code=referral, **common)
        return InboundMessage(kind=InteractionKind.TEXT, text=text, **common)

    caption = _str(message.get("caption"))
    photos = [p for p in _list(message.get("photo")) if isinstance(p, dict) and _id(p.get("file_id"), 256)]
    if photos:
        largest = max(photos, key=lambda p: (_int(p.get("width")) * _int(p.get("height")), _int(p.get("file_size"))))
        media = MediaRef(
            type="image", provider_id=_id(largest["file_id"], 256), mime_type="image/jpeg", caption=caption
        )
        return InboundMessage(kind=InteractionKind.IMAGE, text=caption, media=(media,), **common)

    document = _dict(message.get("document"))
    mime = _str(document.get("mime_type"), 100)
    if mime.startswith("image/") and _id(document.get("file_id"), 256):
        media = MediaRef(type="image", provider_id=_id(document["file_id"], 256), mime_type=mime, caption=caption)
        return InboundMessage(kind=InteractionKind.IMAGE, text=caption, media=(media,), **common)

    logger.info("telegram update %s ignored: message without text or photo", update_id)
    return None


def _telegram_callback(update_id: str, query: dict) -> InboundMessage | None:
    message = _dict(query.get("message"))
    chat = _dict(message.get("chat"))
    sender = _dict(query.get("from"))
    chat_id = _id(chat.get("id"), _EXTERNAL_ID_MAX) or _id(sender.get("id"), _EXTERNAL_ID_MAX)
    data = _str(query.get("data"), 256)
    if not chat_id or not data or chat.get("type", "private") != "private":
        logger.info("telegram callback_query %s ignored", update_id)
        return None
    return InboundMessage(
        platform="telegram",
        external_id=chat_id,
        provider_message_id=update_id,
        kind=InteractionKind.INTERACTIVE,
        text=data,
        payload=query,
        **_telegram_sender(sender),
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# --------------------------------------------------------------------------- WhatsApp


def parse_whatsapp(payload: Any) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    """A Cloud API webhook (``entry[].changes[].value``) → user messages and delivery statuses.

    Several entries and changes may arrive in one POST. Messages of type text, image,
    interactive (button_reply / list_reply) and button (quick reply of a template) are
    kept; audio, stickers, locations, reactions, system messages… are skipped.
    """
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    for entry in _list(_dict(payload).get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            if change.get("field", "messages") != "messages":
                continue
            value = _dict(change.get("value"))
            names = {}
            for contact in _list(value.get("contacts")):
                contact = _dict(contact)
                wa_id = _id(contact.get("wa_id"), _EXTERNAL_ID_MAX)
                if wa_id:
                    names[wa_id] = _str(_dict(contact.get("profile")).get("name"), _DISPLAY_NAME_MAX)
            metadata = _dict(value.get("metadata"))
            for raw in _list(value.get("messages")):
                try:
                    parsed = _whatsapp_message(_dict(raw), names, metadata)
                except Exception:
                    logger.exception("whatsapp message could not be parsed; ignored")
                    parsed = None
                if parsed is not None:
                    messages.append(parsed)
            for raw in _list(value.get("statuses")):
                status = _whatsapp_status(_dict(raw))
                if status is not None:
                    statuses.append(status)
    return messages, statuses


def _whatsapp_message(raw: dict, names: dict[str, str], metadata: dict) -> InboundMessage | None:
    wamid = _id(raw.get("id"), _PROVIDER_ID_MAX)
    sender = _id(raw.get("from"), _EXTERNAL_ID_MAX)
    kind_name = _str(raw.get("type"), 40)
    if not wamid or not sender:
        logger.info("whatsapp message without id or sender ignored")
        return None
    common = {
        "platform": "whatsapp",
        "external_id": sender,
        "provider_message_id": wamid,
        "display_name": names.get(sender, ""),
        "payload": {**raw, "_phone_number_id": _str(metadata.get("phone_number_id"), 64)},
    }
    if kind_name == "text":
        text = _str(_dict(raw.get("text")).get("body"))
        if text:
            return InboundMessage(kind=InteractionKind.TEXT, text=text, **common)
    elif kind_name == "image":
        image = _dict(raw.get("image"))
        media_id = _id(image.get("id"), 256)
        if media_id:
            caption = _str(image.get("caption"))
            media = MediaRef(
                type="image", provider_id=media_id, mime_type=_str(image.get("mime_type"), 100), caption=caption
            )
            return InboundMessage(kind=InteractionKind.IMAGE, text=caption, media=(media,), **common)
    elif kind_name == "interactive":
        interactive = _dict(raw.get("interactive"))
        reply = _dict(interactive.get("button_reply")) or _dict(interactive.get("list_reply"))
        title = _str(reply.get("title"), 256) or _str(reply.get("id"), 256)
        if _str(reply.get("id"), 16) in ("yes", "no"):  # our Yes / No buttons: the id is the answer
            title = _str(reply.get("id"), 16)
        if title:
            return InboundMessage(kind=InteractionKind.INTERACTIVE, text=title, **common)
    elif kind_name == "button":
        button = _dict(raw.get("button"))
        text = _str(button.get("text"), 256) or _str(button.get("payload"), 256)
        if text:
            return InboundMessage(kind=InteractionKind.INTERACTIVE, text=text, **common)
    logger.info("whatsapp message %s of type %r ignored", wamid, kind_name)
    return None


def _whatsapp_status(raw: dict) -> StatusUpdate | None:
    wamid = _id(raw.get("id"), _PROVIDER_ID_MAX)
    status = _str(raw.get("status"), 20)
    if not wamid or status not in ("sent", "delivered", "read", "failed"):
        return None
    error = ""
    errors = [e for e in _list(raw.get("errors")) if isinstance(e, dict)]
    if errors:
        first = errors[0]
        details = _str(_dict(first.get("error_data")).get("details"), 300)
        error = f"{_str(first.get('code'), 20)} {_str(first.get('title') or first.get('message'), 200)}".strip()
        if details:
            error += f": {details}"
    timestamp = raw.get("timestamp")
    try:
        ts = int(timestamp) if timestamp is not None else None
    except (TypeError, ValueError):
        ts = None
    return StatusUpdate(
        provider_message_id=wamid,
        status=status,
        recipient_id=_str(raw.get("recipient_id"), _EXTERNAL_ID_MAX),
        error=error[:500],
        timestamp=ts,
    )


# --------------------------------------------------------------------------- Instagram


def parse_instagram(payload: Any) -> list[InboundMessage]:
    """An Instagram messaging webhook (``entry[].messaging[]``) → user messages.

    Kept: messages with text and/or image attachments (by URL), quick replies and
    postbacks (interactive). Skipped: echoes of our own messages (``is_echo``), deleted
    messages, read receipts, reactions, and attachments we cannot read.
    """
    messages: list[InboundMessage] = []
    for entry in _list(_dict(payload).get("entry")):
        for event in _list(_dict(entry).get("messaging")):
            try:
                parsed = _instagram_event(_dict(event))
            except Exception:
                logger.exception("instagram event could not be parsed; ignored")
                parsed = None
            if parsed is not None:
                messages.append(parsed)
    return messages


def _instagram_event(event: dict) -> InboundMessage | None:
    sender = _id(_dict(event.get("sender")).get("id"), _EXTERNAL_ID_MAX)
    if not sender:
        return None
    if "postback" in event:
        postback = _dict(event.get("postback"))
        mid = _id(postback.get("mid"), _PROVIDER_ID_MAX)
        title = _str(postback.get("title"), 256) or _str(postback.get("payload"), 256)
        if mid and title:
            return InboundMessage(
                platform="instagram",
                external_id=sender,
                provider_message_id=mid,
                kind=InteractionKind.INTERACTIVE,
                text=title,
                payload=event,
            )
        return None
    message = _dict(event.get("message"))
    if not message:
        return None  # read receipts, reactions, referrals…
    if message.get("is_echo") or message.get("is_deleted") or message.get("is_unsupported"):
        return None
    mid = _id(message.get("mid"), _PROVIDER_ID_MAX)
    if not mid:
        return None
    common = {"platform": "instagram", "external_id": sender, "provider_message_id": mid, "payload": event}
    text = _str(message.get("text"))
    quick_reply = _dict(message.get("quick_reply"))
    media = []
    for attachment in _list(message.get("attachments")):
        attachment = _dict(attachment)
        url = _str(_dict(attachment.get("payload")).get("url"), 2000)
        if attachment.get("type") == "image" and url.startswith(("https://", "http://")):
            media.append(MediaRef(type="image", url=url, caption=text))
    if media:
        return InboundMessage(kind=InteractionKind.IMAGE, text=text, media=tuple(media), **common)
    if quick_reply and text:
        if _str(quick_reply.get("payload"), 16) in ("yes", "no"):  # our Yes / No quick replies
            text = _str(quick_reply.get("payload"), 16)
        return InboundMessage(kind=InteractionKind.INTERACTIVE, text=text, **common)
    if text:
        return InboundMessage(kind=InteractionKind.TEXT, text=text, **common)
    logger.info("instagram message %s ignored: no text or image", mid)
    return None
