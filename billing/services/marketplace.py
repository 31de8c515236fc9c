"""Marketplace side-revenue: price watches on Shopee/Tokopedia/Lazada products and affiliate clicks."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agnt.models import User
from agnt.transitions import lock_objects, transition
from billing import state
from billing.models import AffiliateClick, PricePoint, PriceWatcher, PriceWatchStatus
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


def _watch_move(watcher: PriceWatcher, target: str, *, changes: dict | None = None) -> PriceWatcher:
    """Move a watch the caller holds locked (with ``changes`` in the same save); its
    timestamps are its history (no event table)."""
    moved, _ = transition(
        watcher,
        to_status=target,
        table=state.PRICE_WATCH_TRANSITIONS,
        changes=changes,
        refuse=lambda row, from_status: InvalidTransition(f"a {from_status} price watch cannot become {target}"),
        locked=watcher,
    )
    return moved


@transaction.atomic
def price_watcher_set_status(*, watcher: PriceWatcher, status: str) -> PriceWatcher:
    """Pause, resume (re-arm) or expire a watch."""
    watcher = PriceWatcher.objects.select_for_update().get(pk=watcher.pk)
    if watcher.status == status:
        return watcher
    changes = {"triggered_at": None, "notified_at": None} if status == PriceWatchStatus.ACTIVE else {}
    return _watch_move(watcher, status, changes=changes)


@transaction.atomic
def price_watcher_record_price(
    *, watcher: PriceWatcher, price: Decimal, checked_at: dt.datetime | None = None
) -> PriceWatcher:
    """Store a fresh price; an active watch at or under its target becomes triggered."""
    checked_at = checked_at or timezone.now()
    watcher = PriceWatcher.objects.select_for_update().get(pk=watcher.pk)
    price = Decimal(price)
    seen = {
        "last_price": price,
        "lowest_price": price if watcher.lowest_price is None else min(watcher.lowest_price, price),
        "last_checked_at": checked_at,
        "check_failures": 0,
    }
    PricePoint.objects.create(watcher=watcher, price=price, currency=watcher.currency, checked_at=checked_at)
    if watcher.status == PriceWatchStatus.ACTIVE and price <= watcher.target_price:
        moved = _watch_move(watcher, PriceWatchStatus.TRIGGERED, changes={**seen, "triggered_at": checked_at})
        from billing.signals import price_watch_triggered

        transaction.on_commit(
            lambda: price_watch_triggered.send(
                sender=PriceWatcher, watcher_id=moved.pk, price=price, currency=moved.currency
            )
        )
        return moved
    for name, value in seen.items():
        setattr(watcher, name, value)
    watcher.save(update_fields=[*seen, "updated_at"])
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


# --------------------------------------------------------------------------- watches on live prices


class TargetAlreadyReached(BillingError):
    """The product already costs the target price or less: nothing to watch."""

    def __init__(self, message: str, *, price: Decimal, currency: str, url: str, title: str) -> None:
        super().__init__(message)
        self.price, self.currency, self.url, self.title = price, currency, url, title


def money(amount: Decimal, currency: str = "IDR") -> str:
    """``Rp 129.000`` for rupiah (Indonesian grouping), ``USD 12.50`` otherwise."""
    if currency.upper() == "IDR":
        return "Rp " + f"{Decimal(amount):,.0f}".replace(",", ".")
    return f"{currency.upper()} {Decimal(amount):,.2f}"


def price_watch_start(
    *, user: User, product_url: str, target_price: Decimal, notify_channel: str | None = None
) -> PriceWatcher:
    """Look the product up at its marketplace and start watching it for ``target_price``.

    Raises marketplace_client.MarketplaceError subclasses (unknown shop, no such product,
    marketplace down) and TargetAlreadyReached when the price is already at or under the
    target — in every case nothing is stored, so the user can simply try again.
    """
    from billing import marketplace_client

    url = (product_url or "").strip()
    target = Decimal(target_price).quantize(Decimal("0.01"))
    if target <= 0:
        raise ValueError("the target price must be more than zero")
    product = marketplace_client.product_lookup(url)
    if product.price <= target:
        raise TargetAlreadyReached(
            f"{product.title or 'that product'} already costs {money(product.price, product.currency)}, "
            f"at or under your target of {money(target, product.currency)}, so there is nothing to wait for",
            price=product.price,
            currency=product.currency,
            url=product.url or url,
            title=product.title,
        )
    now = timezone.now()
    with transaction.atomic():
        watcher = price_watcher_create(
            user=user,
            marketplace=product.marketplace or marketplace_client.marketplace_of(url),
            product_url=url,
            target_price=target,
            currency=product.currency,
            product_title=product.title,
            product_id=product.product_id,
            notify_channel=notify_channel,
            expires_at=now + dt.timedelta(days=settings.PRICE_WATCH_DAYS),
        )
        if product.image_url:
            watcher.image_url = product.image_url[:1000]
            watcher.save(update_fields=["image_url", "updated_at"])
        price_watcher_record_price(watcher=watcher, price=product.price, checked_at=now)
    watcher.refresh_from_db()
    return watcher


def price_watch_expire_due(*, now: dt.datetime | None = None) -> int:
    """Expire watches whose ``expires_at`` passed (every live status may expire), each through
    the state machine; the rows are locked in primary-key order."""
    now = now or timezone.now()
    with transaction.atomic():
        due = lock_objects(
            PriceWatcher.objects.filter(
                status__in=[PriceWatchStatus.ACTIVE, PriceWatchStatus.PAUSED, PriceWatchStatus.TRIGGERED],
                expires_at__lte=now,
            )
        )
        for watcher in due:
            _watch_move(watcher, PriceWatchStatus.EXPIRED)
    return len(due)


def price_watch_check(*, limit: int | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """The price_watch_check job: expire old watches, then look up the price of due active ones.

    A watch is due when it was never checked or not within PRICE_WATCH_RECHECK_MINUTES,
    least recently checked first. Each fresh price is recorded (a PricePoint); a watch
    reaching its target becomes triggered and ``price_watch_triggered`` is sent on commit
    (messaging tells the guest, once). A failed lookup counts in ``check_failures``; a
    product gone from the marketplace (404) for three checks in a row expires the watch.
    """
    from django.db.models import F, Q

    from billing import marketplace_client

    now = now or timezone.now()
    limit = limit or settings.PRICE_WATCH_BATCH_SIZE
    counts = {"expired": price_watch_expire_due(now=now), "checked": 0, "triggered": 0, "failed": 0}
    due_before = now - dt.timedelta(minutes=settings.PRICE_WATCH_RECHECK_MINUTES)
    due = list(
        PriceWatcher.objects.filter(status=PriceWatchStatus.ACTIVE)
        .filter(Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=due_before))
        .order_by(F("last_checked_at").asc(nulls_first=True), "created_at")[:limit]
    )
    for watcher in due:
        try:
            product = marketplace_client.product_lookup(watcher.product_url)
        except marketplace_client.MarketplaceError as exc:
            counts["failed"] += 1
            gone = isinstance(exc, marketplace_client.ProductNotFound | marketplace_client.UnknownMarketplace)
            with transaction.atomic():
                rows = PriceWatcher.objects.filter(pk=watcher.pk, status=PriceWatchStatus.ACTIVE)
                rows.update(check_failures=F("check_failures") + 1, last_checked_at=now, updated_at=now)
                if gone:
                    lost = rows.filter(check_failures__gte=3).select_for_update().first()
                    if lost is not None:
                        _watch_move(lost, PriceWatchStatus.EXPIRED)
            continue
        updated = price_watcher_record_price(watcher=watcher, price=product.price, checked_at=now)
        counts["checked"] += 1
        if updated.status == PriceWatchStatus.TRIGGERED and updated.triggered_at == now:
            counts["triggered"] += 1
    return counts


@transaction.atomic
def price_watcher_mark_notified(*, watcher_id) -> PriceWatcher | None:
    """Claim the one notification of a triggered watch: returns the watch the first time, then None."""
    watcher = PriceWatcher.objects.select_for_update().filter(pk=watcher_id).first()
    if watcher is None or watcher.status != PriceWatchStatus.TRIGGERED or watcher.notified_at is not None:
        return None
    watcher.notified_at = timezone.now()
    watcher.save(update_fields=["notified_at", "updated_at"])
    return watcher


# --------------------------------------------------------------------------- affiliate clicks


def affiliate_click_track(*, target, ip: str | None, user_agent: str) -> AffiliateClick | None:
    """Record a click on a ``/go/`` link (billing.affiliate.LinkTarget) unless it should not count.

    Not counted: bots and link previews (User-Agent), and a repeat of the same link by the
    same user — or, for links without a user, the same visitor IP hash — within an hour.
    Returns the new click, or None when it was not counted. The redirect happens either way.
    """
    from billing.affiliate import is_bot

    if is_bot(user_agent):
        return None
    ip_hash = hash_ip(ip)
    since = timezone.now() - dt.timedelta(hours=1)
    user_id = target.user_id if target.user_id and User.objects.filter(pk=target.user_id).exists() else None
    recent = AffiliateClick.objects.filter(url=target.url[:1000], clicked_at__gte=since)
    if user_id:
        recent = recent.filter(user_id=user_id)
    elif ip_hash:
        recent = recent.filter(user__isnull=True, ip_hash=ip_hash)
    else:
        recent = recent.none()
    with transaction.atomic():
        # serialise clicks on one link so two fast taps cannot both pass the dedupe check
        from agnt.scheduling import advisory_xact_lock

        with advisory_xact_lock(f"affiliate:{user_id or ip_hash}:{target.url}"):
            if recent.exists():
                return None
            from venues.models import Venue

            venue_id = (
                target.venue_id if target.venue_id and Venue.objects.filter(pk=target.venue_id).exists() else None
            )
            watcher_id = (
                target.price_watcher_id
                if target.price_watcher_id and PriceWatcher.objects.filter(pk=target.price_watcher_id).exists()
                else None
            )
            return AffiliateClick.objects.create(
                partner=target.partner if target.partner in _partners() else "other",
                url=target.url[:1000],
                user_id=user_id,
                venue_id=venue_id,
                price_watcher_id=watcher_id,
                campaign=target.campaign[:80],
                ip_hash=ip_hash,
                user_agent=(user_agent or "")[:400],
                clicked_at=timezone.now(),
            )


def _partners() -> set[str]:
    from billing.models import AffiliatePartner

    return set(AffiliatePartner.values)


def affiliate_click_rollup(*, days: int = 2, now: dt.datetime | None = None) -> int:
    """Recompute AffiliateClickDaily for the last ``days`` days (today included); returns rows written.

    Counts are recomputed from the clicks (re-running is harmless); days are UTC dates.
    """
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import TruncDate

    from billing.models import AffiliateClickDaily

    now = now or timezone.now()
    since = (now - dt.timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        AffiliateClick.objects.filter(clicked_at__gte=since)
        .annotate(day=TruncDate("clicked_at", tzinfo=dt.UTC))
        .values("day", "partner", "venue_id")
        .annotate(
            clicks=Count("id"),
            unique_users=Count("user", distinct=True),
            conversions=Count("id", filter=Q(converted_at__isnull=False)),
            commission=Sum("commission"),
        )
    )
    written = 0
    with transaction.atomic():
        for row in rows:
            AffiliateClickDaily.objects.update_or_create(
                day=row["day"],
                partner=row["partner"],
                venue_id=row["venue_id"],
                defaults={
                    "clicks": row["clicks"],
                    "unique_users": row["unique_users"],
                    "conversions": row["conversions"],
                    "commission": row["commission"] or 0,
                },
            )
            written += 1
    return written
