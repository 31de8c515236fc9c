"""Shopping tools: cheaper look-alikes (not connected) and marketplace price watches."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.parse import urlparse

from pydantic import Field

from messaging.tools.base import Tool, ToolArgs, ToolFailure


class DupeSearchArgs(ToolArgs):
    product: str = Field(..., min_length=2, description="The product to find cheaper look-alikes of.")
    max_price: int | None = Field(None, ge=0, description="Budget in IDR.")


def run_dupe_search(args: DupeSearchArgs, ctx) -> dict:
    # No marketplace catalogue provider is connected: say so rather than invent products.
    raise ToolFailure("product look-alike search is not connected yet; offer a price watch on a product link instead")


class PriceWatchArgs(ToolArgs):
    product_url: str = Field(..., description="Link to the product on Shopee, Tokopedia or Lazada.")
    target_price: float | None = Field(None, gt=0, description="Tell the user when the price drops to this (IDR).")
    marketplace: str | None = Field(None, description="shopee, tokopedia or lazada (guessed from the link if omitted).")


def _marketplace(url: str, given: str | None) -> str:
    from billing.models.marketplace import Marketplace

    if given:
        value = given.strip().lower()
        if value not in Marketplace.values:
            raise ToolFailure(f"marketplace must be one of {', '.join(Marketplace.values)}")
        return value
    host = (urlparse(url).hostname or "").lower()
    for value in Marketplace.values:
        if value in host:
            return value
    raise ToolFailure("I can watch prices on Shopee, Tokopedia and Lazada links only")


def run_price_watch(args: PriceWatchArgs, ctx) -> dict:
    from billing.models.marketplace import NotifyChannel
    from billing.services.errors import BillingError
    from billing.services.marketplace import price_watcher_create

    url = args.product_url.strip()
    if urlparse(url).scheme not in ("http", "https") or not urlparse(url).hostname:
        raise ToolFailure("product_url must be a full link (https://…)")
    marketplace = _marketplace(url, args.marketplace)
    if args.target_price is None:
        raise ToolFailure("what price should I watch for? ask the user for a target price")
    try:
        target = Decimal(str(args.target_price)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ToolFailure("target_price must be a number") from None
    channel = ctx.platform if ctx.platform in NotifyChannel.values else None
    try:
        watcher = price_watcher_create(
            user=ctx.user, marketplace=marketplace, product_url=url, target_price=target, notify_channel=channel
        )
    except (BillingError, ValueError) as exc:
        raise ToolFailure(str(exc)) from None
    return {
        "status": "watching",
        "watch_id": str(watcher.pk),
        "marketplace": marketplace,
        "target_price": f"{watcher.currency} {watcher.target_price:,.0f}",
        "note": "the user is told on this channel when the price reaches the target",
    }


TOOLS = [
    Tool(
        "dupe_search",
        "Find cheaper look-alikes of a product (not connected yet: reports that truthfully).",
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
