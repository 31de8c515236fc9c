"""Demo Stripe history: the events Stripe would have sent for a consumer's Plus plan, a venue's
Pro plan and a venue's Connect onboarding, stored and processed through the real webhook
services (no network: the payloads are built here, as Stripe shapes them).

Idempotent: event ids are fixed per party, so seeding twice stores nothing new.

Under ``make run`` without a Stripe key the same objects (customers, subscriptions, their
first invoice and payment, the Connect account) are also added to the local stand-in's state
file (billing/standin_state.py), so every Stripe id the demo stores is one the stand-in knows:
the fee collection and subscription sync jobs find them. Tests write no file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone

from billing import plans, standin_state, stripe_client
from billing.models import StripeEventSource
from billing.services import stripe_event_process, stripe_event_store


def _event(event_id: str, type_: str, created: int, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": type_,
        "created": created,
        "livemode": False,
        "api_version": "demo",
        "data": {"object": obj},
    }


def _subscription_events(
    *,
    tag: str,
    customer: str,
    plan_code: str,
    metadata: dict[str, str],
    amount: int,
    now: int,
    standin: list[dict[str, Any]],
    party: str,
    email: str = "",
    name: str = "",
) -> list[dict]:
    """The events of one paid subscription; appends to ``standin`` the objects Stripe would hold for it."""
    plan = plans.PLANS[plan_code]
    start = now - 12 * 86400
    sub = {
        "id": f"sub_demo_{tag}",
        "object": "subscription",
        "customer": customer,
        "status": "active",
        "cancel_at_period_end": False,
        "canceled_at": None,
        "metadata": metadata,
        "latest_invoice": f"in_demo_{tag}",
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_demo_{tag}",
                    "price": {"id": plan.price_id, "object": "price"},
                    "current_period_start": start,
                    "current_period_end": start + 30 * 86400,
                }
            ],
        },
    }
    invoice = {
        "id": f"in_demo_{tag}",
        "object": "invoice",
        "customer": customer,
        "status": "paid",
        "currency": "usd",
        "amount_paid": amount,
        "billing_reason": "subscription_create",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": sub["id"], "metadata": metadata},
        },
        "payments": {
            "object": "list",
            "data": [{"payment": {"type": "payment_intent", "payment_intent": f"pi_demo_{tag}"}}],
        },
    }
    session = {
        "id": f"cs_demo_{tag}",
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "customer": customer,
        "subscription": sub["id"],
        "metadata": metadata,
    }
    common = {"created": start, "livemode": False}
    standin += [
        {
            "id": customer,
            "object": "customer",
            "email": email or None,
            "name": name or None,
            "metadata": {"agnt_party": party},
            **common,
        },
        {**sub, "ended_at": None, **common},
        {
            **invoice,
            "amount_due": amount,
            "total": amount,
            "amount_remaining": 0,
            "metadata": {},
            "lines": {"object": "list", "data": []},
            "period_start": start,
            "period_end": start + 30 * 86400,
            **common,
        },
        {
            "id": f"pi_demo_{tag}",
            "object": "payment_intent",
            "amount": amount,
            "currency": "usd",
            "customer": customer,
            "status": "succeeded",
            "latest_charge": f"ch_demo_{tag}",
            "metadata": {},
            "last_payment_error": None,
            **common,
        },
        {
            "id": f"ch_demo_{tag}",
            "object": "charge",
            "amount": amount,
            "amount_refunded": 0,
            "currency": "usd",
            "customer": customer,
            "payment_intent": f"pi_demo_{tag}",
            "paid": True,
            "refunded": False,
            "status": "succeeded",
            "refunds": {"object": "list", "data": []},
            "metadata": {},
            **common,
        },
        {**session, "payment_status": "paid", **common},
    ]
    return [
        _event(f"evt_demo_{tag}_checkout", "checkout.session.completed", start, session),
        _event(f"evt_demo_{tag}_sub", "customer.subscription.created", start, sub),
        _event(f"evt_demo_{tag}_paid", "invoice.paid", start, invoice),
    ]


def seed_stripe_demo(*, users: Sequence, venues: Sequence) -> int:
    """Returns how many demo events were newly stored."""
    now = int(timezone.now().timestamp())
    events: list[dict] = []
    standin: list[dict[str, Any]] = []  # what Stripe holds for these ids: the local stand-in gets the same
    if users:
        user = users[0]
        events += _subscription_events(
            tag=f"user{user.pk}",
            customer=user.stripe_customer_id or f"cus_demo_user{user.pk}",
            plan_code="plus",
            metadata={"agnt_user_id": str(user.pk), "agnt_kind": "consumer", "agnt_plan": "plus"},
            amount=2900,
            now=now,
            standin=standin,
            party=f"user:{user.pk}",
            email=getattr(user, "email", "") or "",
        )
    if venues:
        venue = venues[0]
        events += _subscription_events(
            tag=f"venue{venue.pk}",
            customer=f"cus_demo_venue{venue.pk}",
            plan_code="venue_pro",
            metadata={"agnt_venue_id": str(venue.pk), "agnt_kind": "venue", "agnt_plan": "venue_pro"},
            amount=4900,
            now=now,
            standin=standin,
            party=f"venue:{venue.pk}",
            name=getattr(venue, "name", "") or "",
        )
        account = venue.stripe_account_id or f"acct_demo_{str(venue.pk)[:12]}"
        if not venue.stripe_account_id:
            type(venue).objects.filter(pk=venue.pk).update(stripe_account_id=account)
        account_obj = {
            "id": account,
            "object": "account",
            "charges_enabled": True,
            "payouts_enabled": False,
            "details_submitted": True,
            "requirements": {"currently_due": ["external_account"]},
        }
        events.append(_event(f"evt_demo_acct_{venue.pk}", "account.updated", now - 86400, account_obj))
        standin.append({**account_obj, "created": now - 86400})
    standin_objects_add(standin)
    stored = 0
    for payload in events:
        event, created = stripe_event_store(payload=payload, source=StripeEventSource.WEBHOOK)
        stored += int(created)
        stripe_event_process(event=event)
    return stored


def standin_objects_add(objects: Sequence[dict[str, Any]]) -> int:
    """Add ``objects`` the local stand-in does not hold yet to its state file (only without a Stripe key,
    and never in tests: ``STRIPE_STANDIN_STATE_FILE`` is empty there). Returns how many were added."""
    path = settings.STRIPE_STANDIN_STATE_FILE
    if not path or not stripe_client.using_standin() or not objects:
        return 0
    return standin_state.add_objects(path, objects)
