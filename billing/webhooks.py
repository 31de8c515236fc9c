"""``POST /webhooks/stripe``: verify, store once, answer — processing happens after commit.

Steps: bound the body size (413), verify ``Stripe-Signature`` with
``stripe.Webhook.construct_event`` and a 300 s tolerance (400, nothing stored — also when
STRIPE_WEBHOOK_SECRET is unset: fail closed), parse JSON (400), store the event by its
Stripe id (a redelivery is a 200 no-op) and enqueue processing on commit. 503 when the
database is down, so Stripe redelivers; 200 for every event type, handled or not.
"""

from __future__ import annotations

import json
import logging

import stripe
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.services.stripe_events import MalformedStripeEvent, stripe_event_store
from messaging.webhooks import _read_body, _refuse

logger = logging.getLogger(__name__)

SIGNATURE_TOLERANCE_SECONDS = 300


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    body = _read_body(request)
    if body is None:
        return _refuse(413, "payload too large")
    secret = settings.STRIPE_WEBHOOK_SECRET or ""
    if not secret:
        logger.error(
            "Stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set, so no event can be verified (fail closed)"
        )
        return _refuse(400, "webhook secret not configured")
    try:
        # construct_event verifies the signature and the timestamp before it parses anything
        stripe.Webhook.construct_event(
            body, request.headers.get("Stripe-Signature", ""), secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as exc:
        logger.warning("Stripe webhook refused: %s", exc)
        return _refuse(400, "bad signature")
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError, KeyError):
        # the signature was good (it is checked first) but the body is not an event object:
        # the library's parser fails with whatever the shape provokes (a list → AttributeError)
        return _refuse(400, "malformed event")
    try:
        payload = json.loads(body)
        event, created = stripe_event_store(payload=payload)
    except (ValueError, UnicodeDecodeError):
        return _refuse(400, "malformed JSON")
    except MalformedStripeEvent as exc:
        return _refuse(400, str(exc))
    except (OperationalError, InterfaceError) as exc:
        logger.error("Stripe webhook storage unavailable, asking Stripe to retry: %s", exc)
        return _refuse(503, "temporarily unavailable")
    return JsonResponse({"received": True, "duplicate": not created, "id": event.stripe_id})
