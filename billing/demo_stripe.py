"""Demo Stripe history: the events Stripe would have sent for a consumer's Plus plan, a venue's
Pro plan and a venue's Connect onboarding, stored and processed through the real webhook
services (no network: the payloads are built here, as Stripe shapes them).

Idempotent: event ids are fixed per party, so seeding twice stores nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from billing import plans
from billing.models import StripeEventSource
from billing.services import stripe_event_process, stripe_event_store


def _event(event_id: str, type_: str, created: int, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": type_, "created": created, "livemode": False,
            "api_version": "demo", "data": {"object": obj}}


def _subscription_events(*, tag: str, customer: str, plan_code: str, metadata: dict[str, str], amount: int, now: int) -> list[dict]:
    plan = plans.PLANS[plan_code]
    start = now - 12 * 86400
    sub = {"id": f"sub_demo_{tag}", "object": "subscription", "customer": customer, "status": "active",
           "cancel_at_period_end": False, "canceled_at": None, "metadata": metadata, "latest_invoice": f"in_demo_{tag}",
           "items": {"object": "list", "data": [{"id": f"si_demo_{tag}", "price": {"id": plan.price_id, "object": "price"},
                                                 "current_period_start": start, "current_period_end": start + 30 * 86400}]}}
    invoice = {"id": f"in_demo_{tag}", "object": "invoice", "customer": customer, "status": "paid", "currency": "usd",
               "amount_paid": amount, "billing_reason": "subscription_create",
               "parent": {"type": "subscription_details", "subscription_details": {"subscription": sub["id"], "metadata": metadata}},
               "payments": {"object": "list", "data": [{"payment": {"type": "payment_intent", "payment_intent": f"pi_demo_{tag}"}}]}}
    session = {"id": f"cs_demo_{tag}", "object": "checkout.session", "mode": "subscription", "status": "complete",
               "customer": customer, "subscription": sub["id"], "metadata": metadata}
    return [
        _event(f"evt_demo_{tag}_checkout", "checkout.session.completed", start, session),
        _event(f"evt_demo_{tag}_sub", "customer.subscription.created", start, sub),
        _event(f"evt_demo_{tag}_paid", "invoice.paid", start, invoice),
    ]


def seed_stripe_demo(*, users: Sequence, venues: Sequence) -> int:
    """Returns how many demo events were newly stored."""
    now = int(timezone.now().timestamp())
    events: list[dict] = []
    if users:
        user = users[0]
        events += _subscription_events(tag=f"user{user.pk}", customer=user.stripe_customer_id or f"cus_demo_user{user.pk}",
                                       plan_code="plus", metadata={"agnt_user_id": str(user.pk), "agnt_kind": "consumer",
                                                                   "agnt_plan": "plus"}, amount=2900, now=now)
    if venues:
        venue = venues[0]
        events += _subscription_events(tag=f"venue{venue.pk}", customer=f"cus_demo_venue{venue.pk}", plan_code="venue_pro",
                                       metadata={"agnt_venue_id": str(venue.pk), "agnt_kind": "venue", "agnt_plan": "venue_pro"},
                                       amount=4900, now=now)
        account = venue.stripe_account_id or f"acct_demo_{str(venue.pk)[:12]}"
        if not venue.stripe_account_id:
            type(venue).objects.filter(pk=venue.pk).update(stripe_account_id=account)
        events.append(_event(f"evt_demo_acct_{venue.pk}", "account.updated", now - 86400,
                             {"id": account, "object": "account", "charges_enabled": True, "payouts_enabled": False,
                              "details_submitted": True, "requirements": {"currently_due": ["external_account"]}}))
    stored = 0
    for payload in events:
        event, created = stripe_event_store(payload=payload, source=StripeEventSource.WEBHOOK)
        stored += int(created)
        stripe_event_process(event=event)
    return stored
