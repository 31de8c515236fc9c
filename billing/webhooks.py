"""``POST /webhooks/stripe``: verify, store once, answer — processing happens after commit.

Steps: bound the body size (413), verify ``Stripe-Signature`` with
``stripe.WebhookSignature.verify_header`` and a 300 s tolerance both ways — too old or
stamped in the future (400, nothing stored — also when STRIPE_WEBHOOK_SECRET is unset:
fail closed), parse JSON with agnt.jsonbody's depth limit (400), store the event by its
Stripe id (a redelivery is a 200 no-op) and enqueue processing on commit. 503 when the
database is down, so Stripe redelivers; 200 for every event type, handled or not.
"""

from __future__ import annotations

import logging
import time

import stripe
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from agnt.jsonbody import MalformedJson, json_parse, plain_refusal, webhook_body_read
from billing.services.stripe_events import MalformedStripeEvent, stripe_event_store

logger = logging.getLogger(__name__)

SIGNATURE_TOLERANCE_SECONDS = 300


def _refuse_future_timestamp(header: str) -> None:
    """The library only refuses a signature older than the tolerance; one stamped further
    ahead than that is refused too (a clock that far off, or a delivery prepared for later)."""
    stamps = [part.partition("=")[2] for part in header.split(",") if part.strip().startswith("t=")]
    signed_at = int(stamps[0]) if stamps and stamps[0].strip().isdigit() else 0
    if signed_at > time.time() + SIGNATURE_TOLERANCE_SECONDS:
        raise stripe.SignatureVerificationError("Timestamp is in the future beyond the tolerance zone", header)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    body = webhook_body_read(request)
    if body is None:
        return plain_refusal(413, "payload too large")
    secret = settings.STRIPE_WEBHOOK_SECRET or ""
    if not secret:
        logger.error(
            "Stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set, so no event can be verified (fail closed)"
        )
        return plain_refusal(400, "webhook secret not configured")
    header = request.headers.get("Stripe-Signature", "")
    try:
        stripe.WebhookSignature.verify_header(body, header, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS)
        _refuse_future_timestamp(header)
    except stripe.SignatureVerificationError as exc:
        logger.warning("Stripe webhook refused: %s", exc)
        return plain_refusal(400, "bad signature")
    except UnicodeDecodeError:
        return plain_refusal(400, "malformed event")
    try:
        payload = json_parse(body)
        event, created = stripe_event_store(payload=payload)
    except MalformedJson:
        return plain_refusal(400, "malformed JSON")
    except MalformedStripeEvent as exc:
        return plain_refusal(400, str(exc))
    except (OperationalError, InterfaceError) as exc:
        logger.error("Stripe webhook storage unavailable, asking Stripe to retry: %s", exc)
        return plain_refusal(503, "temporarily unavailable")
    return JsonResponse({"received": True, "duplicate": not created, "id": event.stripe_id})
