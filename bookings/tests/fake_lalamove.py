"""A local fake of the Lalamove v3 API that checks the HMAC signature like the real one.

def test_x(fake_lalamove):   # points LALAMOVE_BASE_URL/KEY/SECRET at the fake
    ...
    assert fake_lalamove.orders == [...]
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from messaging.tests.fakes import FakeServer, Recorded

API_KEY = "pk_test_agnt"
API_SECRET = "sk_test_agnt_secret"


class FakeLalamove(FakeServer):
    """POST /v3/quotations, POST /v3/orders, GET /v3/orders/{id}; 401 on a bad signature."""

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)
        self.quotations: dict[str, dict] = {}
        self.orders: list[dict] = []
        self.price = "45000"
        self.signature_failures = 0

    def _verify(self, request: Recorded) -> bool:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("hmac "):
            return False
        try:
            key, timestamp, signature = auth[5:].split(":")
        except ValueError:
            return False
        path = urlsplit(request.path).path
        body = request.body.decode()
        raw = f"{timestamp}\r\n{request.method}\r\n{path}\r\n\r\n{body}"
        expected = hmac.new(API_SECRET.encode(), raw.encode(), hashlib.sha256).hexdigest()
        return key == API_KEY and hmac.compare_digest(expected, signature) and bool(request.headers.get("market"))

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if not self._verify(request):
            self.signature_failures += 1
            return 401, {"errors": [{"id": "ERR_UNAUTHORIZED", "message": "Invalid signature"}]}, {}
        path = urlsplit(request.path).path
        data = (request.json or {}).get("data") if request.method == "POST" else None
        if request.method == "POST" and not isinstance(data, dict):
            return 422, {"errors": [{"id": "ERR_INVALID_FIELD", "message": "data is required"}]}, {}
        if request.method == "POST" and path == "/v3/quotations":
            stops = data.get("stops") or []
            if len(stops) < 2 or any("lat" not in (s.get("coordinates") or {}) for s in stops):
                return 422, {"errors": [{"id": "ERR_INVALID_FIELD", "message": "stops need coordinates"}]}, {}
            quotation_id = f"Q{next(self._ids):018d}"
            quote = {
                "quotationId": quotation_id,
                "scheduleAt": datetime.now(UTC).isoformat(),
                "expiresAt": (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.00Z"),
                "serviceType": data.get("serviceType"),
                "language": data.get("language"),
                "stops": [{"stopId": f"S{quotation_id}{i}", **stop} for i, stop in enumerate(stops)],
                "isRouteOptimized": False,
                "priceBreakdown": {
                    "base": self.price,
                    "totalExcludePriorityFee": self.price,
                    "total": self.price,
                    "currency": "IDR",
                },
                "distance": {"value": "5230", "unit": "m"},
            }
            self.quotations[quotation_id] = quote
            return 201, {"data": quote}, {}
        if request.method == "POST" and path == "/v3/orders":
            quote = self.quotations.get(data.get("quotationId"))
            if quote is None:
                return 422, {"errors": [{"id": "ERR_INVALID_QUOTATION_ID", "message": "Invalid quotation"}]}, {}
            order = {
                "orderId": f"{next(self._ids):019d}",
                "quotationId": quote["quotationId"],
                "priceBreakdown": quote["priceBreakdown"],
                "driverId": "",
                "status": "ASSIGNING_DRIVER",
                "shareLink": "https://share.sandbox.lalamove.com/?ID123",
                "distance": quote["distance"],
                "stops": quote["stops"],
                "sender": data.get("sender"),
                "recipients": data.get("recipients"),
            }
            self.orders.append(order)
            return 201, {"data": order}, {}
        if request.method == "GET" and path.startswith("/v3/orders/"):
            order_id = path.rsplit("/", 1)[-1]
            for order in self.orders:
                if order["orderId"] == order_id:
                    return 200, {"data": order}, {}
            return 404, {"errors": [{"id": "ERR_ORDER_NOT_FOUND", "message": "Order not found"}]}, {}
        return 404, {"errors": [{"id": "ERR_NOT_FOUND", "message": "Not found"}]}, {}


@pytest.fixture
def fake_lalamove(settings) -> Iterator[FakeLalamove]:
    fake = FakeLalamove().start()
    settings.LALAMOVE_BASE_URL = fake.base_url
    settings.LALAMOVE_API_KEY = API_KEY
    settings.LALAMOVE_API_SECRET = API_SECRET
    try:
        yield fake
    finally:
        fake.stop()
