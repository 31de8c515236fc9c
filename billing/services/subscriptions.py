"""Subscriptions through Stripe: customers, Checkout (``mode=subscription``), the customer
portal, applying Stripe's subscription snapshots, and keeping plan gates in sync."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from agnt.models import ConsumerPlan, User
from billing import plans, stripe_client
from billing.models import (
    LIVE_SUBSCRIPTION_STATUSES,
    TERMINAL_SUBSCRIPTION_STATUSES,
    StripeSubscription,
    SubscriptionKind,
    SubscriptionStatus,
    VenueStripeCustomer,
)
from billing.services.errors import BillingError
from billing.signals import plan_synced

if TYPE_CHECKING:
    from venues.models import Venue


# --------------------------------------------------------------------------- customers


def stripe_customer_ensure_for_user(*, user: User) -> str:
    """The user's Stripe customer id, creating the customer once (row lock + idempotency key)."""
    if user.stripe_customer_id:
        return user.stripe_customer_id
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.stripe_customer_id:
            customer = stripe_client.customer_create(
                party_key=f"user:{locked.pk}",
                email=locked.email,
                name=locked.get_full_name() or locked.username,
                metadata={"agnt_user_id": str(locked.pk)},
            )
            locked.stripe_customer_id = customer.id
            locked.save(update_fields=["stripe_customer_id"])
    user.stripe_customer_id = locked.stripe_customer_id
    return user.stripe_customer_id


def stripe_customer_ensure_for_venue(*, venue: Venue) -> str:
    """The venue's Stripe customer id, creating the customer once."""
    existing = VenueStripeCustomer.objects.filter(venue=venue).values_list("stripe_customer_id", flat=True).first()
    if existing:
        return existing
    from venues.models import Venue as VenueModel

    with transaction.atomic():
        VenueModel.objects.select_for_update().filter(pk=venue.pk).first()
        existing = VenueStripeCustomer.objects.filter(venue=venue).values_list("stripe_customer_id", flat=True).first()
        if existing:
            return existing
        customer = stripe_client.customer_create(
            party_key=f"venue:{venue.pk}",
            email=getattr(venue, "email", "") or "",
            name=venue.name,
            metadata={"agnt_venue_id": str(venue.pk)},
        )
        VenueStripeCustomer.objects.create(venue=venue, stripe_customer_id=customer.id)
        return customer.id


def party_for_customer(customer_id: str) -> tuple[User | None, Venue | None]:
    """Which of our parties a Stripe customer id belongs to."""
    if not customer_id:
        return None, None
    user = User.objects.filter(stripe_customer_id=customer_id).first()
    if user is not None:
        return user, None
    link = VenueStripeCustomer.objects.select_related("venue").filter(stripe_customer_id=customer_id).first()
    return None, (link.venue if link else None)


# --------------------------------------------------------------------------- checkout and portal


def _live_subscription_exists(*, user: User | None, venue: Venue | None) -> bool:
    qs = StripeSubscription.objects.filter(status__in=LIVE_SUBSCRIPTION_STATUSES)
    qs = qs.filter(user=user, kind=SubscriptionKind.CONSUMER) if user is not None else qs.filter(venue=venue)
    return qs.exists()


def subscription_checkout_start(
    *,
    plan_code: str,
    attempt: str,
    success_url: str,
    cancel_url: str,
    user: User | None = None,
    venue: Venue | None = None,
) -> stripe_client.CheckoutSession:
    """Open a Stripe Checkout session (``mode=subscription``) for ``plan_code``.

    ``attempt`` names this logical attempt (the app's Idempotency-Key; the admin's date):
    the same attempt returns the same session. A party with a live subscription is sent to
    the portal instead, so two completed checkouts cannot stack two subscriptions.
    """
    if (user is None) == (venue is None):
        raise ValueError("a checkout is for exactly one of user / venue")
    plan = plans.PLANS.get(plan_code)
    kind = SubscriptionKind.CONSUMER if user is not None else SubscriptionKind.VENUE
    if plan is None or plan.kind != kind:
        choices = ", ".join(p.code for p in plans.plans_of_kind(kind))
        raise BillingError(f"unknown {kind} plan {plan_code!r}; choose one of: {choices}")
    if not attempt or len(attempt) > 100:
        raise BillingError("an attempt key (1–100 characters) is required so a retry cannot open a second checkout")
    if _live_subscription_exists(user=user, venue=venue):
        raise BillingError("already subscribed: change or cancel the plan in the billing portal")
    if user is not None:
        customer_id = stripe_customer_ensure_for_user(user=user)
        subject, metadata = f"user:{user.pk}", {"agnt_user_id": str(user.pk)}
    else:
        customer_id = stripe_customer_ensure_for_venue(venue=venue)
        subject, metadata = f"venue:{venue.pk}", {"agnt_venue_id": str(venue.pk)}
    metadata |= {"agnt_kind": kind, "agnt_plan": plan.code}
    return stripe_client.checkout_session_create_subscription(
        customer_id=customer_id,
        price_id=plan.price_id,
        subject_key=subject,
        attempt=attempt,
        success_url=success_url,
        cancel_url=cancel_url,
        client_reference_id=subject,
        metadata=metadata,
    )


def subscription_portal_open(
    *, return_url: str, attempt: str, user: User | None = None, venue: Venue | None = None
) -> stripe_client.PortalSession:
    """A Stripe customer-portal session where the party manages its plan and cards."""
    if user is not None:
        customer_id = user.stripe_customer_id
    else:
        customer_id = (
            VenueStripeCustomer.objects.filter(venue=venue).values_list("stripe_customer_id", flat=True).first() or ""
        )
    if not customer_id:
        raise BillingError("no Stripe customer yet: start a subscription first")
    return stripe_client.portal_session_create(customer_id=customer_id, return_url=return_url, attempt=attempt)


# --------------------------------------------------------------------------- snapshots from Stripe


def _ts(value: Any) -> dt.datetime | None:
    if value in (None, "", 0):
        return None
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)


def _item(obj: dict[str, Any]) -> dict[str, Any]:
    data = (obj.get("items") or {}).get("data") or []
    return data[0] if data else {}


def _price_id(obj: dict[str, Any]) -> str:
    price = _item(obj).get("price") or obj.get("plan") or {}
    return price.get("id", "") if isinstance(price, dict) else str(price)


# Within one Stripe second, which of two snapshots is the later one: Stripe moves a
# subscription forward from incomplete, and a payment problem follows an active state.
_STATUS_RANK = {
    SubscriptionStatus.INCOMPLETE: 0,
    SubscriptionStatus.TRIALING: 1,
    SubscriptionStatus.ACTIVE: 2,
    SubscriptionStatus.PAST_DUE: 3,
    SubscriptionStatus.UNPAID: 4,
    SubscriptionStatus.PAUSED: 4,
    SubscriptionStatus.INCOMPLETE_EXPIRED: 5,
    SubscriptionStatus.CANCELED: 5,
}


def _is_newer(row: StripeSubscription, *, status: str, state_at: dt.datetime) -> bool:
    if row.status in TERMINAL_SUBSCRIPTION_STATUSES:
        return False  # Stripe never revives a canceled subscription: anything else is stale
    if status in TERMINAL_SUBSCRIPTION_STATUSES:
        return True
    if state_at != row.stripe_state_at:
        return state_at > row.stripe_state_at
    return _STATUS_RANK.get(status, 0) > _STATUS_RANK.get(row.status, 0)


def _identify(obj: dict[str, Any]) -> tuple[str, User | None, Venue | None, str] | None:
    """(kind, user, venue, plan code) for a Stripe subscription, or None when it is not ours."""
    metadata = obj.get("metadata") or {}
    plan = plans.plan_for_price(_price_id(obj))
    plan_code = metadata.get("agnt_plan") or (plan.code if plan else "")
    user = venue = None
    if metadata.get("agnt_user_id"):
        user = User.objects.filter(pk=metadata["agnt_user_id"]).first()
    elif metadata.get("agnt_venue_id"):
        from venues.models import Venue as VenueModel

        venue = VenueModel.objects.filter(pk=metadata["agnt_venue_id"]).first()
    else:
        user, venue = party_for_customer(obj.get("customer") or "")
    if (user is None and venue is None) or plan_code not in plans.PLANS:
        return None
    return plans.PLANS[plan_code].kind, user, venue, plan_code


def subscription_apply_snapshot(*, obj: dict[str, Any], state_at: dt.datetime) -> tuple[StripeSubscription | None, str]:
    """Apply a Stripe subscription object seen at ``state_at``; an older snapshot never
    overwrites a newer one. Returns (row, what happened)."""
    sub_id = obj.get("id") or ""
    status = obj.get("status") or ""
    if not sub_id.startswith("sub_") or status not in SubscriptionStatus.values:
        raise BillingError(f"not a Stripe subscription snapshot: id={sub_id!r} status={status!r}")
    item = _item(obj)
    fields = dict(
        status=status,
        price_id=_price_id(obj),
        stripe_customer_id=obj.get("customer") or "",
        current_period_start=_ts(item.get("current_period_start") or obj.get("current_period_start")),
        current_period_end=_ts(item.get("current_period_end") or obj.get("current_period_end")),
        cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
        canceled_at=_ts(obj.get("canceled_at")),
        latest_invoice_id=(obj.get("latest_invoice") or {}).get("id", "")
        if isinstance(obj.get("latest_invoice"), dict)
        else (obj.get("latest_invoice") or ""),
        stripe_state_at=state_at,
        synced_at=timezone.now(),
    )
    with transaction.atomic():
        row = StripeSubscription.objects.select_for_update().filter(stripe_subscription_id=sub_id).first()
        if row is None:
            identity = _identify(obj)
            if identity is None:
                return None, f"subscription {sub_id} is not an AGNT plan (no AGNT metadata or known price); ignored"
            kind, user, venue, plan_code = identity
            try:
                with transaction.atomic():
                    row = StripeSubscription.objects.create(
                        stripe_subscription_id=sub_id, kind=kind, user=user, venue=venue, plan=plan_code, **fields
                    )
            except IntegrityError:
                # a concurrent delivery created it first: fall through to the newer-than check
                row = StripeSubscription.objects.select_for_update().get(stripe_subscription_id=sub_id)
            else:
                _sync_party(row)
                return row, f"subscription {sub_id} recorded: {status}"
        if not _is_newer(row, status=status, state_at=state_at):
            row.synced_at = timezone.now()
            row.save(update_fields=["synced_at", "updated_at"])
            return (
                row,
                f"subscription {sub_id}: snapshot from {state_at:%Y-%m-%d %H:%M:%S} is not newer; kept {row.status}",
            )
        plan = plans.plan_for_price(fields["price_id"])
        if plan is not None and plan.kind == row.kind:
            row.plan = plan.code  # changed in the portal (upgrade / downgrade)
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
        _sync_party(row)
        return row, f"subscription {sub_id}: {status}"


def subscription_payment_failed_record(*, subscription_id: str, failed_at: dt.datetime) -> StripeSubscription | None:
    with transaction.atomic():
        row = StripeSubscription.objects.select_for_update().filter(stripe_subscription_id=subscription_id).first()
        if row is None:
            return None
        if row.last_payment_failed_at is None or failed_at > row.last_payment_failed_at:
            row.last_payment_failed_at = failed_at
            row.save(update_fields=["last_payment_failed_at", "updated_at"])
        return row


# --------------------------------------------------------------------------- plan gates


_PLAN_ORDER = {ConsumerPlan.FREE: 0, ConsumerPlan.PLUS: 1, ConsumerPlan.PREMIUM: 2}


def _sync_party(row: StripeSubscription) -> None:
    if row.kind == SubscriptionKind.CONSUMER and row.user_id:
        user_plan_sync(user=row.user)


@transaction.atomic
def user_plan_sync(*, user: User) -> str:
    """Set ``User.plan`` from the user's live consumer subscriptions (the best one wins) and
    announce it (``billing.signals.plan_synced``: agents moves the user's active API keys to
    the plan's tier in this transaction). Returns the plan."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    live = StripeSubscription.objects.filter(
        user=locked, kind=SubscriptionKind.CONSUMER, status__in=LIVE_SUBSCRIPTION_STATUSES
    ).values_list("plan", flat=True)
    best = max(live, key=lambda code: _PLAN_ORDER.get(code, 0), default=ConsumerPlan.FREE)
    if best not in ConsumerPlan.values:
        best = ConsumerPlan.FREE
    if locked.plan != best:
        locked.plan = best
        locked.save(update_fields=["plan"])
    plan_synced.send(sender=user_plan_sync, user=locked, plan=best, api_tier=plans.entitlements_for(best).api_tier)
    user.plan = best
    return best


def subscription_sync_from_stripe(*, subscription: StripeSubscription) -> str:
    """Pull the subscription from Stripe and apply it (the pull is the newest state there is)."""
    obj = stripe_client.subscription_retrieve(subscription.stripe_subscription_id)
    # Stripe's own clock is not in the object; our now is later than any event it has sent
    _, outcome = subscription_apply_snapshot(obj=obj, state_at=timezone.now())
    return outcome
