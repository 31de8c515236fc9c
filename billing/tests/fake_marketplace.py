"""A local marketplace product API (the interface in billing/marketplace_client.py), for tests and ``make run``.

Seeded from billing/data/marketplace_catalogue.json (Shopee, Tokopedia and Lazada style
listings with IDR prices). It answers:

- ``GET /v1/products/lookup?url=…`` → ``{"product": …}`` or 404 (the URL is compared
  without scheme, ``www.``, query string or trailing slash, like a shared link);
- ``GET /v1/products/search?q=…&marketplace=&max_price=&category=&limit=`` → ``{"results": […]}``:
  products sharing a word with the query (title, brand, category, tags), most shared
  words first, then cheapest;
- the admin/test hook ``POST /_admin/prices`` ``{"url"|"product_id": …, "price": n}``
  changes a price (what a flash sale does), ``GET /_admin/products`` lists the catalogue.

``make run`` serves it on 127.0.0.1:12113 with price changes kept in a JSON file in the
data directory; tests use the ``fake_marketplace`` fixture, which points
MARKETPLACE_API_BASE_URL at it.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from messaging.tests.fakes import FakeServer, Recorded

CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "marketplace_catalogue.json"
Response = tuple[int, Any, dict[str, str]]


def normalise_url(url: str) -> str:
    parts = urlsplit((url or "").strip())
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    return f"{host}{parts.path.rstrip('/')}".lower()


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 1}


class FakeMarketplace(FakeServer):
    def __init__(self, *, state_path: str | None = None) -> None:
        super().__init__()
        with open(CATALOGUE) as handle:
            self.products: list[dict[str, Any]] = json.load(handle)["products"]
        self._state_path = state_path
        self._state_lock = threading.Lock()
        if state_path and os.path.exists(state_path):
            with open(state_path) as handle:
                prices = json.load(handle).get("prices", {})
            for product in self.products:
                if product["product_id"] in prices:
                    product["price"] = prices[product["product_id"]]

    # --- what tests use
    def product(self, product_id: str) -> dict[str, Any]:
        return next(p for p in self.products if p["product_id"] == product_id)

    def set_price(self, key: str, price: int | float) -> dict[str, Any]:
        """Change the price of the product with this id or URL."""
        with self._state_lock:
            for product in self.products:
                if key == product["product_id"] or normalise_url(key) == normalise_url(product["url"]):
                    product["price"] = price
                    self._save()
                    return copy.deepcopy(product)
        raise KeyError(key)

    def lookups(self) -> list[str]:
        return [parse_qs(urlsplit(r.path).query).get("url", [""])[0] for r in self.requests if "/lookup" in r.path]

    # --- the wire
    def handle(self, request: Recorded) -> Response:
        parts = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if request.method == "GET" and parts.path == "/v1/products/lookup":
            wanted = normalise_url(query.get("url", ""))
            for product in self.products:
                if normalise_url(product["url"]) == wanted:
                    return 200, {"product": product}, {}
            return 404, {"error": {"code": "not_found", "message": "no product at that link"}}, {}
        if request.method == "GET" and parts.path == "/v1/products/search":
            return 200, {"results": self._search(query)}, {}
        if request.method == "POST" and parts.path == "/_admin/prices":
            body = request.json or {}
            key = str(body.get("product_id") or body.get("url") or "")
            try:
                price = float(body["price"])
                if price <= 0:
                    raise ValueError
                return 200, {"product": self.set_price(key, int(price) if price.is_integer() else price)}, {}
            except (KeyError, TypeError, ValueError):
                return (
                    400,
                    {"error": {"code": "invalid", "message": "give product_id or url, and a positive price"}},
                    {},
                )
        if request.method == "GET" and parts.path in ("/", "/_admin/products"):
            return 200, {"products": self.products}, {}
        return 404, {"error": {"code": "not_found", "message": "unknown path"}}, {}

    def _search(self, query: dict[str, str]) -> list[dict[str, Any]]:
        words = _words(query.get("q", ""))
        try:
            max_price = float(query["max_price"]) if query.get("max_price") else None
            limit = max(1, min(int(query.get("limit", 10)), 50))
        except ValueError:
            return []
        scored = []
        for product in self.products:
            if query.get("marketplace") and product["marketplace"] != query["marketplace"]:
                continue
            if query.get("category") and product["category"] != query["category"]:
                continue
            if max_price is not None and product["price"] > max_price:
                continue
            text = _words(" ".join([product["title"], product["brand"], product["category"], *product["tags"]]))
            shared = len(words & text)
            if words and not shared:
                continue
            scored.append((-shared, product["price"], product))
        scored.sort(key=lambda row: (row[0], row[1]))
        return [row[2] for row in scored[:limit]]

    def _save(self) -> None:
        if not self._state_path:
            return
        directory = os.path.dirname(self._state_path) or "."
        os.makedirs(directory, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=directory, delete=False) as handle:
            json.dump({"prices": {p["product_id"]: p["price"] for p in self.products}}, handle)
        os.replace(handle.name, self._state_path)


@pytest.fixture
def fake_marketplace(settings) -> Iterator[FakeMarketplace]:
    fake = FakeMarketplace().start()
    settings.MARKETPLACE_API_BASE_URL = fake.base_url
    try:
        yield fake
    finally:
        fake.stop()


def main() -> None:  # pragma: no cover - the `make run` stand-in
    from agnt.tests.fake_push import serve

    parser = argparse.ArgumentParser(description="AGNT's local marketplace product API stand-in.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12113)
    parser.add_argument("--state-file", default=os.environ.get("MARKETPLACE_STANDIN_STATE_FILE", ""))
    args = parser.parse_args()
    serve(FakeMarketplace(state_path=args.state_file or None), args.host, args.port)


if __name__ == "__main__":  # pragma: no cover
    main()
