"""The one client for marketplace product data: search and price lookup (Shopee / Tokopedia / Lazada).

Configuration: MARKETPLACE_API_BASE_URL (and MARKETPLACE_API_KEY, sent as a Bearer token
when set). Without a provider ``make run`` serves the local stand-in on
127.0.0.1:12113 (billing/tests/fake_marketplace.py, seeded from
billing/data/marketplace_catalogue.json); tests start one on a free port.

Provider interface
------------------
The marketplaces' own affiliate/open-platform APIs differ (Shopee Affiliate Open API,
Tokopedia/Lazada open platforms), so AGNT speaks one small JSON interface and a real
deployment puts a thin adapter (or an aggregator that already speaks it) at the base URL:

``GET /v1/products/lookup?url=<product page URL>``
    ``200 {"product": Product}`` — the product behind a marketplace page, with its current
    price; ``404 {"error": {"code": "not_found", "message": …}}`` when the URL is not a
    product the provider knows.

``GET /v1/products/search?q=<text>&marketplace=<m>&max_price=<n>&category=<c>&limit=<n>``
    ``200 {"results": [Product, …]}`` — products matching the text (title, brand, tags),
    any marketplace unless one is given, cheapest first within relevance.

``Product``: ``{"marketplace": "shopee"|"tokopedia"|"lazada", "product_id": str,
"title": str, "brand": str, "category": str, "tags": [str], "price": number (major units),
"currency": "IDR", "url": str, "image_url": str, "rating": number|null, "sold": int|null}``

Errors: 4xx other than 404 → :class:`MarketplaceError` with the provider's message; no
answer, 5xx or 429 → :class:`MarketplaceUnavailable` (callers retry later).

Which marketplace a product URL belongs to is decided here, from its host, before any
request: links from other shops are refused with a message naming the ones we support.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import httpx
from django.conf import settings

# host suffix → marketplace (Marketplace.values in billing.models.marketplace)
MARKETPLACE_HOSTS = {
    "shopee.co.id": "shopee",
    "shopee.com": "shopee",
    "shp.ee": "shopee",
    "tokopedia.com": "tokopedia",
    "tokopedia.link": "tokopedia",
    "lazada.co.id": "lazada",
    "lazada.com": "lazada",
}
SUPPORTED = "Shopee, Tokopedia and Lazada"


class MarketplaceError(Exception):
    """The provider refused the request; the message is fit to show the user."""


class UnknownMarketplace(MarketplaceError):
    """The URL is not a product page of a marketplace we support."""


class ProductNotFound(MarketplaceError):
    """The marketplace has no product at that URL (removed, or not a product page)."""


class MarketplaceUnavailable(MarketplaceError):
    """No usable answer (timeout, connection error, 5xx, 429): try again later."""


@dataclass(frozen=True)
class Product:
    marketplace: str
    product_id: str
    title: str
    price: Decimal
    currency: str
    url: str
    image_url: str = ""
    brand: str = ""
    category: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    rating: float | None = None
    sold: int | None = None

    @classmethod
    def from_json(cls, data: dict) -> Product:
        try:
            price = Decimal(str(data["price"]))
        except (KeyError, InvalidOperation) as exc:
            raise MarketplaceUnavailable("the marketplace answered a product without a price") from exc
        return cls(
            marketplace=str(data.get("marketplace", "")),
            product_id=str(data.get("product_id", "")),
            title=str(data.get("title", ""))[:300],
            price=price,
            currency=str(data.get("currency") or "IDR").upper()[:3],
            url=str(data.get("url", "")),
            image_url=str(data.get("image_url") or ""),
            brand=str(data.get("brand") or ""),
            category=str(data.get("category") or ""),
            tags=tuple(str(t) for t in data.get("tags") or ()),
            rating=data.get("rating"),
            sold=data.get("sold"),
        )


def marketplace_of(url: str) -> str:
    """``shopee`` / ``tokopedia`` / ``lazada`` for a product link, else UnknownMarketplace."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnknownMarketplace(f"that isn't a product link; send the full https:// link from {SUPPORTED}")
    host = parts.hostname.lower()
    for suffix, marketplace in MARKETPLACE_HOSTS.items():
        if host == suffix or host.endswith("." + suffix):
            return marketplace
    raise UnknownMarketplace(f"I can only follow products on {SUPPORTED} ({host} isn't one of them)")


def _client() -> httpx.Client:
    headers = {"Accept": "application/json", "User-Agent": "AGNT-Marketplace/1.0"}
    if settings.MARKETPLACE_API_KEY:
        headers["Authorization"] = f"Bearer {settings.MARKETPLACE_API_KEY}"
    return httpx.Client(
        base_url=settings.MARKETPLACE_API_BASE_URL.rstrip("/"),
        headers=headers,
        timeout=httpx.Timeout(settings.MARKETPLACE_TIMEOUT_SECONDS),
        trust_env=False,
    )


def _get(path: str, params: dict) -> dict:
    try:
        with _client() as client:
            response = client.get(path, params={k: v for k, v in params.items() if v not in (None, "")})
    except httpx.HTTPError as exc:
        raise MarketplaceUnavailable(f"the marketplace could not be reached ({type(exc).__name__})") from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    message = ((body.get("error") or {}).get("message") if isinstance(body, dict) else "") or ""
    if response.status_code == 404:
        raise ProductNotFound(message or "the marketplace has no product at that link")
    if response.status_code == 429 or response.status_code >= 500:
        raise MarketplaceUnavailable(f"the marketplace is unavailable ({response.status_code})")
    if response.status_code >= 400:
        raise MarketplaceError(message or f"the marketplace refused the request ({response.status_code})")
    if not isinstance(body, dict):
        raise MarketplaceUnavailable("the marketplace answered something that is not JSON")
    return body


def product_lookup(url: str) -> Product:
    """The product behind a marketplace link, with its current price."""
    marketplace_of(url)  # refuse other shops before asking anyone
    body = _get("/v1/products/lookup", {"url": url.strip()})
    return Product.from_json(body.get("product") or {})


def product_search(
    query: str,
    *,
    marketplace: str | None = None,
    max_price: Decimal | int | None = None,
    category: str | None = None,
    limit: int = 10,
) -> list[Product]:
    """Products matching ``query`` (see the module docstring for the parameters)."""
    body = _get(
        "/v1/products/search",
        {
            "q": query.strip()[:200],
            "marketplace": marketplace,
            "max_price": str(max_price) if max_price is not None else None,
            "category": category,
            "limit": max(1, min(int(limit), 50)),
        },
    )
    return [Product.from_json(item) for item in body.get("results") or []]
