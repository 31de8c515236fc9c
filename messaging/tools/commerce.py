"""Shopping tools: cheaper look-alikes from the marketplace catalogue, and price watches.

Both talk to the marketplace provider through billing.marketplace_client (MARKETPLACE_API_BASE_URL;
the local stand-in in development and tests). Every product link handed to the user is a
tracked ``/go/`` link (billing.affiliate).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.parse import urlparse

from pydantic import Field

from messaging.tools.base import Tool, ToolArgs, ToolFailure

DUPE_MIN_SIMILARITY = 55  # rapidfuzz token_set_ratio (0–100) between the product and a candidate
DUPE_RESULTS = 3
NAMED_PRODUCT_SIMILARITY = 90  # a name this close to a listing means "that product": look-alikes must beat its price


class DupeSearchArgs(ToolArgs):
    product: str = Field(..., min_length=2, description="The product (a name, or its Shopee/Tokopedia/Lazada link).")
    max_price: int | None = Field(None, ge=0, description="Budget in IDR.")


def _similarity(a: str, b: str) -> float:
    from rapidfuzz import fuzz, utils

    return fuzz.token_set_ratio(a, b, processor=utils.default_process)


def _describe(product) -> str:
    return " ".join([product.title, product.brand, product.category, *product.tags])


def _product_line(product, ctx, *, campaign: str) -> dict:
    from billing.affiliate import tracked_link
    from billing.services.marketplace import money

    return {
        "title": product.title,
        "marketplace": product.marketplace,
        "price": money(product.price, product.currency),
        "price_value": str(product.price),
        "rating": product.rating,
        "link": tracked_link(
            product.url, partner=product.marketplace, user_id=getattr(ctx.user, "pk", None), campaign=campaign
        ),
    }


def run_dupe_search(args: DupeSearchArgs, ctx) -> dict:
    """Look-alikes: candidates from the provider's search, ranked here by similarity to the original."""
    from billing import marketplace_client as market
    from billing.services.marketplace import money

    text = args.product.strip()
    original = None
    if urlparse(text).scheme in ("http", "https"):
        try:
            original = market.product_lookup(text)
        except market.MarketplaceUnavailable:
            raise ToolFailure("the marketplace isn't answering right now; try again in a few minutes") from None
        except market.MarketplaceError as exc:
            raise ToolFailure(str(exc)) from None
        reference = _describe(original)
        query = " ".join([original.category, *original.tags]) or original.title
    else:
        reference = query = text
    budget = Decimal(args.max_price) if args.max_price else None
    try:
        candidates = market.product_search(query, category=original.category if original else None, limit=30)
    except market.MarketplaceUnavailable:
        raise ToolFailure("the marketplace isn't answering right now; try again in a few minutes") from None
    except market.MarketplaceError as exc:
        raise ToolFailure(str(exc)) from None
    if original is None and candidates:
        # "a cheaper Ray-Ban Wayfarer": the named product is the closest match; look-alikes must beat its price
        best = max(candidates, key=lambda p: _similarity(text, _describe(p)))
        if _similarity(text, _describe(best)) >= NAMED_PRODUCT_SIMILARITY:
            original = best
            reference = _describe(best)
    ceiling = original.price if original else None
    if budget is not None:
        ceiling = budget if ceiling is None else min(ceiling, budget)
    scored = []
    for product in candidates:
        if original is not None and (product.url == original.url or product.product_id == original.product_id):
            continue
        if ceiling is not None and product.price >= ceiling:
            continue
        score = _similarity(reference, _describe(product))
        if score >= DUPE_MIN_SIMILARITY:
            scored.append((score, product))
    scored.sort(key=lambda row: (-row[0], row[1].price))
    found = [product for _, product in scored[:DUPE_RESULTS]]
    if not found:
        what = original.title if original else text
        raise ToolFailure(
            f"I couldn't find a cheaper look-alike of {what}"
            + (f" under {money(ceiling, original.currency if original else 'IDR')}" if ceiling else "")
        )
    return {
        "original": {"title": original.title, "price": money(original.price, original.currency)} if original else None,
        "results": [_product_line(product, ctx, campaign="dupe") for product in found],
    }


class PriceWatchArgs(ToolArgs):
    product_url: str = Field(..., description="Link to the product on Shopee, Tokopedia or Lazada.")
    target_price: float | None = Field(None, gt=0, description="Tell the user when the price drops to this (IDR).")
    marketplace: str | None = Field(None, description="shopee, tokopedia or lazada (guessed from the link if omitted).")


def run_price_watch(args: PriceWatchArgs, ctx) -> dict:
    from billing import marketplace_client as market
    from billing.affiliate import tracked_link
    from billing.models.marketplace import NotifyChannel
    from billing.services.errors import BillingError
    from billing.services.marketplace import TargetAlreadyReached, money, price_watch_start

    url = args.product_url.strip()
    try:
        market.marketplace_of(url)
    except market.UnknownMarketplace as exc:
        raise ToolFailure(str(exc)) from None
    if args.target_price is None:
        raise ToolFailure("what price should I watch for? ask the user for a target price")
    try:
        target = Decimal(str(args.target_price)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ToolFailure("target_price must be a number") from None
    channel = ctx.platform if ctx.platform in NotifyChannel.values else None
    try:
        watcher = price_watch_start(user=ctx.user, product_url=url, target_price=target, notify_channel=channel)
    except TargetAlreadyReached as exc:
        raise ToolFailure(
            str(exc),
            current_price=money(exc.price, exc.currency),
            link=tracked_link(exc.url, user_id=getattr(ctx.user, "pk", None), campaign="price-watch"),
        ) from None
    except market.MarketplaceUnavailable:
        raise ToolFailure("the marketplace isn't answering right now; try again in a few minutes") from None
    except (market.MarketplaceError, BillingError, ValueError) as exc:
        raise ToolFailure(str(exc)) from None
    return {
        "status": "watching",
        "watch_id": str(watcher.pk),
        "product": watcher.product_title,
        "marketplace": watcher.marketplace,
        "current_price": money(watcher.last_price, watcher.currency),
        "target_price": money(watcher.target_price, watcher.currency),
        "expires": f"{watcher.expires_at:%d %b %Y}" if watcher.expires_at else None,
        "note": "the user is told on this channel when the price reaches the target",
    }


TOOLS = [
    Tool(
        "dupe_search",
        "Find cheaper look-alikes of a product (by name or marketplace link) on Shopee/Tokopedia/Lazada; "
        "returns products with prices and links to share as they are.",
        DupeSearchArgs,
        run_dupe_search,
    ),
    Tool(
        "price_watch",
        "Watch a Shopee/Tokopedia/Lazada product link and tell the user when it drops to a price.",
        PriceWatchArgs,
        run_price_watch,
    ),
]
