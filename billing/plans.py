"""The plans AGNT sells through Stripe and what each one entitles, declared once.

Price ids come from settings (``STRIPE_PRICE_*``, with local stand-in defaults), so the
same code runs against the fake, Stripe test mode and live mode. The entitlements table is
what the rest of the code gates on, through billing.selectors.user_entitlements.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from agnt.models import ApiTier, ConsumerPlan
from billing.models import SubscriptionKind


@dataclass(frozen=True)
class Plan:
    code: str
    kind: str
    name: str
    price_setting: str
    api_tier: str  # tier given to the subscriber's API keys
    monthly_credits: int  # credits granted each month while the plan is live

    @property
    def price_id(self) -> str:
        return getattr(settings, self.price_setting)


@dataclass(frozen=True)
class Entitlements:
    """What a user may do right now, from their live consumer subscription (or the free plan)."""

    plan: str
    api_tier: str
    monthly_credits: int


PLANS: dict[str, Plan] = {
    p.code: p
    for p in (
        Plan("plus", SubscriptionKind.CONSUMER, "AGNT Plus", "STRIPE_PRICE_PLUS", ApiTier.PRO, 100),
        Plan("premium", SubscriptionKind.CONSUMER, "AGNT Premium", "STRIPE_PRICE_PREMIUM", ApiTier.ENTERPRISE, 300),
        Plan("venue_pro", SubscriptionKind.VENUE, "Venue Pro", "STRIPE_PRICE_VENUE_PRO", ApiTier.PRO, 0),
    )
}

FREE = Entitlements(plan=ConsumerPlan.FREE, api_tier=ApiTier.FREE, monthly_credits=0)

# consumer plan codes are the values of User.plan
assert {c for c, p in PLANS.items() if p.kind == SubscriptionKind.CONSUMER} <= set(ConsumerPlan.values)


def plan_for_price(price_id: str) -> Plan | None:
    return next((p for p in PLANS.values() if p.price_id == price_id), None)


def plans_of_kind(kind: str) -> list[Plan]:
    return [p for p in PLANS.values() if p.kind == kind]


def entitlements_for(plan_code: str) -> Entitlements:
    plan = PLANS.get(plan_code)
    if plan is None or plan.kind != SubscriptionKind.CONSUMER:
        return FREE
    return Entitlements(plan=plan.code, api_tier=plan.api_tier, monthly_credits=plan.monthly_credits)
