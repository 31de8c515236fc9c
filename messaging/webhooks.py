"""Inbound webhooks: Telegram, WhatsApp (Cloud API via 360dialog) and Instagram.

Every webhook does the same five steps and nothing else: verify the sender (shared
secret or Meta's HMAC signature over the raw body), bound the body size, parse JSON,
hand each message to messaging.router.inbound_accept (which dedupes on the provider
message id through a DB unique constraint and enqueues processing on commit), answer 200.

Status codes: 403 bad/missing secret or signature (nothing stored, and also when our own
secret is not configured — fail closed); 413 body over WEBHOOK_MAX_BODY_BYTES; 400 not
JSON or nested deeper than JSON_MAX_DEPTH (agnt.jsonbody); 200 for everything else a provider can send, including shapes we do not handle
(a non-2xx would make the provider retry a payload that will never parse). The one
exception is 503 when the database is unreachable: then a retry is exactly what we want.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from agnt.jsonbody import MalformedJson, json_parse
from agnt.jsonbody import plain_refusal as _refuse
from agnt.jsonbody import webhook_body_read as _read_body
from messaging import outbound, parsing
from messaging.types import InboundMessage

logger = logging.getLogger(__name__)

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
META_SIGNATURE_HEADER = "X-Hub-Signature-256"


class _Unavailable(Exception):
    """Storage is down: answer 503 so the provider redelivers later."""


def _ok() -> JsonResponse:
    return JsonResponse({"ok": True})


def _parse_json(body: bytes) -> tuple[bool, Any]:
    try:
        return True, json_parse(body)
    except MalformedJson:
        return False, None


def _accept(message: InboundMessage) -> bool:
    """Hand one message to the router; returns whether it was new. Raises _Unavailable if the DB is down."""
    from messaging import router  # the lead's module; imported late so webhooks load without it

    try:
        _, created = router.inbound_accept(message)
    except (OperationalError, InterfaceError) as exc:
        raise _Unavailable(str(exc)) from exc
    except (DataError, IntegrityError, ValueError):
        # something in this message does not fit our tables: a retry would fail the same way
        logger.exception("%s message %s could not be stored; ignored", message.platform, message.provider_message_id)
        return False
    except Exception:
        # the row may be stored and processing not enqueued: stuck_inbound_requeue recovers it
        logger.exception("%s message %s: error after accepting", message.platform, message.provider_message_id)
        return False
    if not created:
        logger.info("%s message %s is a redelivery; already stored", message.platform, message.provider_message_id)
    return created


def _accept_all(messages: list[InboundMessage]) -> HttpResponse:
    try:
        for message in messages:
            _accept(message)
    except _Unavailable as exc:
        logger.error("webhook storage unavailable, asking the provider to retry: %s", exc)
        return _refuse(503, "temporarily unavailable")
    return _ok()


# --------------------------------------------------------------------------- Telegram


@csrf_exempt
@require_http_methods(["POST"])
def telegram_webhook(request: HttpRequest) -> HttpResponse:
    """Bot API updates (set with setWebhook ... secret_token=TELEGRAM_WEBHOOK_SECRET)."""
    secret = settings.TELEGRAM_WEBHOOK_SECRET or ""
    if not secret:
        logger.error(
            "Telegram webhook refused: TELEGRAM_WEBHOOK_SECRET is not set, so no request can be "
            "authenticated (fail closed). Set it and pass the same value as secret_token to setWebhook."
        )
        return _refuse(403, "forbidden")
    given = request.headers.get(TELEGRAM_SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), secret.encode("utf-8")):
        logger.warning("Telegram webhook refused: %s header missing or wrong", TELEGRAM_SECRET_HEADER)
        return _refuse(403, "forbidden")
    body = _read_body(request)
    if body is None:
        return _refuse(413, "payload too large")
    ok, update = _parse_json(body)
    if not ok:
        return _refuse(400, "malformed JSON")
    message = parsing.parse_telegram(update)
    return _accept_all([message] if message is not None else [])


# --------------------------------------------------------------------------- Meta (WhatsApp, Instagram)


def _meta_verify(request: HttpRequest, expected_token: str, name: str) -> HttpResponse:
    """Meta's subscription handshake: echo hub.challenge when hub.verify_token matches."""
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if not expected_token:
        logger.error("%s webhook verification refused: its verify token setting is not set (fail closed)", name)
        return _refuse(403, "forbidden")
    if mode != "subscribe" or not hmac.compare_digest(token.encode(), expected_token.encode()):
        logger.warning("%s webhook verification refused: wrong mode or verify token", name)
        return _refuse(403, "forbidden")
    return HttpResponse(challenge[:512], content_type="text/plain")


def _meta_signature_valid(request: HttpRequest, body: bytes, name: str) -> bool:
    secret = settings.META_APP_SECRET or ""
    if not secret:
        logger.error(
            "%s webhook refused: META_APP_SECRET is not set, so the X-Hub-Signature-256 signature "
            "cannot be checked (fail closed).",
            name,
        )
        return False
    header = request.headers.get(META_SIGNATURE_HEADER, "")
    scheme, _, signature = header.partition("=")
    if scheme != "sha256" or not signature:
        logger.warning("%s webhook refused: %s missing or malformed", name, META_SIGNATURE_HEADER)
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode("ascii", "replace")):
        logger.warning("%s webhook refused: bad signature", name)
        return False
    return True


def _meta_post(request: HttpRequest, name: str) -> tuple[HttpResponse | None, Any]:
    """Size, signature and JSON checks shared by the Meta webhooks: (error response, payload)."""
    body = _read_body(request)
    if body is None:
        return _refuse(413, "payload too large"), None
    if not _meta_signature_valid(request, body, name):
        return _refuse(403, "forbidden"), None
    ok, payload = _parse_json(body)
    if not ok:
        return _refuse(400, "malformed JSON"), None
    return None, payload


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    """Cloud API notifications (messages and delivery statuses), forwarded by 360dialog."""
    if request.method == "GET":
        return _meta_verify(request, settings.WHATSAPP_VERIFY_TOKEN or "", "WhatsApp")
    error, payload = _meta_post(request, "WhatsApp")
    if error is not None:
        return error
    messages, statuses = parsing.parse_whatsapp(payload)
    response = _accept_all(messages)
    if response.status_code != 200:
        return response
    for update in statuses:
        try:
            outbound.delivery_status_apply(platform="whatsapp", update=update)
        except (OperationalError, InterfaceError) as exc:
            logger.error("whatsapp status not stored, asking for a retry: %s", exc)
            return _refuse(503, "temporarily unavailable")
        except Exception:
            logger.exception("whatsapp status %s for %s ignored", update.status, update.provider_message_id)
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def instagram_webhook(request: HttpRequest) -> HttpResponse:
    """Instagram messaging notifications (``entry[].messaging[]``)."""
    if request.method == "GET":
        token = getattr(settings, "INSTAGRAM_VERIFY_TOKEN", "") or settings.WHATSAPP_VERIFY_TOKEN or ""
        return _meta_verify(request, token, "Instagram")
    error, payload = _meta_post(request, "Instagram")
    if error is not None:
        return error
    return _accept_all(parsing.parse_instagram(payload))
