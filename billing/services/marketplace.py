"""Marketplace side-revenue: price watches on Shopee/Tokopedia/Lazada products and affiliate clicks."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agnt.models import User
from billing import state
from billing.models import AffiliateClick, PriceWatcher, PriceWatchStatus
from billing.services.errors import BillingError, InvalidTransition

if TYPE_CHECKING:
    from venues.models import Venue


@transaction.atomic
def price_watcher_create(
    *,
    user: User,
    marketplace: str,
    product_url: str,
    target_price: Decimal,
    currency: str = "IDR",
    product_title: str = "",
    product_id: str = "",
    notify_channel: str | None = None,
    expires_at: dt.datetime | None = None,
) -> PriceWatcher:
    """Start watching a product for a price drop (one live watch per user and product)."""
    if Decimal(target_price) <= 0:
        raise ValueError("target price must be positive")
    live = PriceWatcher.objects.filter(
        user=user, product_url=product_url, status__in=[PriceWatchStatus.ACTIVE, PriceWatchStatus.PAUSED]
    ).first()
    if live is not None:
        raise BillingError("you are already watching this product")
    fields = {"notify_channel": notify_channel} if notify_channel else {}
    return PriceWatcher.objects.create(
        user=user,
        marketplace=marketplace,
        product_url=product_url,
        target_price=target_price,
        currency=currency.upper(),
        product_title=product_title[:300],
        product_id=product_id,
        expires_at=expires_at,
        **fields,
    )


def _watch_move(watcher: PriceWatcher, target: str, *, extra: Iterable[str] = ()) -> PriceWatcher:
    if not state.can_transition(state.PRICE_WATCH_TRANSITIONS, watcher.status, target):
        raise InvalidTransition(f"a {watcher.status} price watch cannot become {target}")
    watcher.status = target
    watcher.save(update_fields=["status", *extra, "updated_at"])
    return watcher


@transaction.atomic
def price_watcher_set_status(*, watcher: PriceWatcher, status: str) -> PriceWatcher:
    """Pause, resume (re-arm) or expire a watch."""
    watcher = PriceWatcher.objects.select_for_update().get(pk=watcher.pk)
    if watcher.status == status:
        return watcher
    extra = []
    if status == PriceWatchStatus.ACTIVE:
        watcher.triggered_at = watcher.notified_at = None
        extra = ["triggered_at", "notified_at"]
    return _watch_move(watcher, status, extra=extra)


@transaction.atomic
def price_watcher_record_price(
    *, watcher: PriceWatcher, price: Decimal, checked_at: dt.datetime | None = None
) -> PriceWatcher:
    """Store a fresh price; an active watch at or under its target becomes triggered."""
    checked_at = checked_at or timezone.now()
    watcher = PriceWatcher.objects.select_for_update().get(pk=watcher.pk)
    price = Decimal(price)
    watcher.last_price = price
    watcher.lowest_price = price if watcher.lowest_price is None else min(watcher.lowest_price, price)
    watcher.last_checked_at = checked_at
    watcher.check_failures = 0
    fields = ["last_price", "lowest_price", "last_checked_at", "check_failures"]
    if watcher.status == PriceWatchStatus.ACTIVE and price <= watcher.target_price:
        watcher.triggered_at = checked_at
        return _watch_move(watcher, PriceWatchStatus.TRIGGERED, extra=[*fields, "triggered_at"])
    watcher.save(update_fields=[*fields, "updated_at"])
    return watcher


def hash_ip(ip: str | None) -> str:
    """Keyed hash of a visitor IP: enough to spot repeat clicks, useless to identify anyone."""
    if not ip:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()


def affiliate_click_record(
    *,
    partner: str,
    url: str,
    user: User | None = None,
    venue: Venue | None = None,
    price_watcher: PriceWatcher | None = None,
    campaign: str = "",
    ip: str | None = None,
    user_agent: str = "",
) -> AffiliateClick:
    return AffiliateClick.objects.create(
        partner=partner,
        url=url,
        user=user,
        venue=venue,
        price_watcher=price_watcher,
        campaign=campaign[:80],
        ip_hash=hash_ip(ip),
        user_agent=user_agent[:400],
        clicked_at=timezone.now(),
    )


@transaction.atomic
def affiliate_click_convert(
    *, click: AffiliateClick, commission: Decimal, order_ref: str = "", converted_at: dt.datetime | None = None
) -> AffiliateClick:
    """Attach the partner's reported conversion and commission to a click (first report wins)."""
    click = AffiliateClick.objects.select_for_update().get(pk=click.pk)
    if click.converted_at is not None:
        return click
    click.converted_at = converted_at or timezone.now()
    click.commission = Decimal(commission)
    click.order_ref = order_ref[:80]
    click.save(update_fields=["converted_at", "commission", "order_ref"])
    return click
