"""A local Stripe speaking Stripe's wire format, for tests (and ``make run`` without a key).

What it speaks, like api.stripe.com:

- form-encoded request bodies and query strings with bracket nesting
  (``line_items[0][price]=…``, ``metadata[k]=v``, ``created[gte]=…``, ``types[]=…``);
- JSON objects with ``object`` and ``id``; lists as ``{"object": "list", "data": […], "has_more"}``
  with ``starting_after`` pagination;
- error envelopes ``{"error": {"type", "code", "message", "param"}}`` with Stripe's statuses
  (400 invalid_request_error, 401, 402 card_error, 404 resource_missing, 429);
- idempotency: the same ``Idempotency-Key`` with the same parameters replays the stored
  response (with ``Idempotent-Replayed: true``); the same key with other parameters is a 400
  ``idempotency_error``;
- Billing Meter events refuse a second event with the same ``identifier``.

It keeps customers, checkout sessions, subscriptions, invoices, invoice items, charges,
payment intents, refunds, meter events and Connect accounts, and records every request
(``fake.posts()`` gives each POST with its idempotency key). Tests drive Stripe-side
happenings with ``complete_checkout``, ``fail_renewal``, ``update_subscription``,
``cancel_subscription``, ``refund_charge``, ``update_account``: each appends the events
Stripe would send (served by ``GET /v1/events`` for reconcile) and returns them so a test
can deliver them to our webhook with :func:`signed_delivery`.

    def test_x(fake_stripe): ...       # the fixture points STRIPE_API_BASE at it

Tests keep everything in memory. ``FakeStripe(state_path=…)`` — what ``make run``'s stand-in
(:func:`main`) uses — loads objects, events, idempotency records and the id counter from that
JSON file at start and saves them atomically after each request that changes them, picking up
objects the demo seeder added meanwhile (billing/standin_state.py).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

from billing import standin_state
from messaging.tests.fakes import FakeServer, Recorded

WEBHOOK_SECRET = "whsec_test_agnt_fake"
TEST_SECRET_KEY = "sk_test_agnt_fake"

Response = tuple[int, Any, dict[str, str]]


# --------------------------------------------------------------------------- wire format


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracket form encoding → nested dicts/lists (``a[b][0][c]=1``, ``a[]=x``)."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        head, _, rest = raw_key.partition("[")
        parts = [head] + ([p.rstrip("]") for p in ("[" + rest).split("[")[1:]] if rest else [])
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            nxt = None if last else parts[index + 1]
            container_for_next: Any = [] if nxt is not None and (nxt == "" or nxt.isdigit()) else {}
            if isinstance(node, list):
                if part == "":
                    if last:
                        node.append(value)
                        break
                    node.append(container_for_next)
                    node = node[-1]
                    continue
                slot = int(part)
                while len(node) <= slot:
                    node.append(None)
                if last:
                    node[slot] = value
                else:
                    if node[slot] is None:
                        node[slot] = container_for_next
                    node = node[slot]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, container_for_next)
    return root


def error(
    status: int, message: str, *, type_: str = "invalid_request_error", code: str = "", param: str = "", **extra
) -> Response:
    body: dict[str, Any] = {"type": type_, "message": message}
    if code:
        body["code"] = code
    if param:
        body["param"] = param
    body.update(extra)
    return status, {"error": body}, {"Request-Id": f"req_{secrets.token_hex(7)}"}


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("true", "1")


# --------------------------------------------------------------------------- the fake


class FakeStripe(FakeServer):
    """Stripe's v1 API for the objects AGNT uses, with its idempotency semantics."""

    def __init__(self, *, state_path: str | os.PathLike | None = None) -> None:
        super().__init__()
        self._seq = 1
        self._seq_lock = threading.Lock()
        self.clock = int(time.time()) - 3600  # Stripe's `created` seconds; tests may move it
        self.objects: dict[str, dict[str, dict[str, Any]]] = {
            kind: {}
            for kind in (
                "customer",
                "checkout.session",
                "subscription",
                "invoice",
                "invoiceitem",
                "charge",
                "payment_intent",
                "refund",
                "billing.meter_event",
                "account",
                "billing_portal.session",
            )
        }
        self.events: list[dict[str, Any]] = []  # oldest first
        self._idempotency: dict[str, tuple[str, Any, Response]] = {}
        self.declining_customers: set[str] = set()
        self._post_lock = threading.Lock()
        self.webhook_url = ""  # set by the `make run` stand-in: deliver events like Stripe does
        self.webhook_secret = WEBHOOK_SECRET  # payments of these customers fail (card_declined)
        # `make run`'s stand-in keeps its state in a file (billing/standin_state.py) across restarts;
        # tests pass nothing and keep everything in memory.
        self.state_path = os.fspath(state_path) if state_path else ""
        self._state_signature: tuple[int, int, int] | None = None
        if self.state_path:
            with standin_state.locked(self.state_path):
                self._reload_if_changed()

    # ---- bookkeeping ----------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        with self._seq_lock:
            seq, self._seq = self._seq, self._seq + 1
        return f"{prefix}_{seq:06d}{secrets.token_hex(4)}"

    # ---- persistence (the `make run` stand-in only) -----------------------------------

    def state(self) -> dict[str, Any]:
        """Everything Stripe-side as JSON-ready data: objects, events, idempotency records, id counter, clock."""
        with self._lock:
            events = list(self.events)
            idempotency = {
                key: {"path": path, "params": params, "status": status, "body": body, "headers": headers}
                for key, (path, params, (status, body, headers)) in self._idempotency.items()
                if not isinstance(body, bytes)
            }
        return {
            "version": standin_state.VERSION,
            "seq": self._seq,
            "clock": self.clock,
            "objects": self.objects,
            "events": events,
            "idempotency": idempotency,
            "declining_customers": sorted(self.declining_customers),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Take over a saved :meth:`state`. The clock never goes back, nor lags real time by more than an hour."""
        objects = {kind: {} for kind in self.objects}
        for kind, by_id in (state.get("objects") or {}).items():
            objects.setdefault(kind, {}).update(by_id)
        with self._lock:
            self.objects = objects
            self.events = list(state.get("events") or [])
            self._idempotency = {
                key: (record["path"], record["params"], (record["status"], record["body"], dict(record["headers"])))
                for key, record in (state.get("idempotency") or {}).items()
            }
        self.declining_customers = set(state.get("declining_customers") or [])
        with self._seq_lock:
            self._seq = max(self._seq, int(state.get("seq") or 1))
        self.clock = max(int(state.get("clock") or 0), int(time.time()) - 3600)

    def _reload_if_changed(self) -> None:
        """(Under the file lock.) Load the file when someone else wrote it since we last did (the demo seeder)."""
        current = standin_state.signature(self.state_path)
        if current is None or current == self._state_signature:
            return
        try:
            saved = standin_state.read(self.state_path)
        except ValueError as exc:
            aside = f"{self.state_path}.unreadable-{int(time.time())}"
            os.replace(self.state_path, aside)
            sys.stderr.write(f"Stripe stand-in: {exc}; moved it to {aside} and started empty.\n")
            self._state_signature = None
            return
        if saved is not None:
            self.load_state(saved)
        self._state_signature = current

    def _save_state(self) -> None:
        """(Under the file lock.) Write the state atomically."""
        standin_state.write(self.state_path, self.state())
        self._state_signature = standin_state.signature(self.state_path)

    @contextmanager
    def _serialised(self, *, changes: bool) -> Iterator[None]:
        """One request at a time against the state; with a state file: reload others' writes first, save after."""
        with self._post_lock:
            if not self.state_path:
                yield
                return
            with standin_state.locked(self.state_path):
                self._reload_if_changed()
                yield
                if changes:
                    self._save_state()

    def tick(self, seconds: int = 1) -> int:
        self.clock += seconds
        return self.clock

    def _store(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["object"]][obj["id"]] = obj
        return obj

    def emit(self, type_: str, obj: dict[str, Any], *, previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """Record one event carrying a snapshot of ``obj`` now (like Stripe's snapshot events)."""
        data: dict[str, Any] = {"object": json.loads(json.dumps(obj))}
        if previous:
            data["previous_attributes"] = previous
        event = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": stripe.api_version,
            "created": self.clock,
            "type": type_,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": data,
        }
        with self._lock:
            self.events.append(event)
        if self.webhook_url:  # the `make run` stand-in also delivers, signed, like Stripe
            threading.Thread(target=self._push, args=(event,), daemon=True).start()
        return event

    def _push(self, event: dict[str, Any]) -> None:
        import urllib.request

        body, header = signed_delivery(event, secret=self.webhook_secret)
        request = urllib.request.Request(
            self.webhook_url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
        )
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except OSError:
            pass  # Stripe would retry; here the reconcile job lists the event instead

    def posts(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Every POST received: (path, Idempotency-Key header or "", decoded params)."""
        return [
            (
                urlsplit(r.path).path,
                r.headers.get("idempotency-key", ""),
                decode_form(parse_qsl(r.body.decode(), keep_blank_values=True)),
            )
            for r in self.requests
            if r.method == "POST"
        ]

    def created(self, kind: str) -> list[dict[str, Any]]:
        return list(self.objects[kind].values())

    # ---- HTTP ---------------------------------------------------------------------------

    def handle(self, request: Recorded) -> Response:
        url = urlsplit(request.path)
        if request.method == "GET" and url.path.startswith(("/c/pay/", "/p/session/")):
            with self._serialised(changes=url.path.startswith("/c/pay/")):  # paying completes the checkout
                return self._hosted_page(url.path)
        if self.state_path and request.method == "GET":
            with self._serialised(changes=False):
                pass  # picks up the demo seeder's writes before answering
        if request.method == "GET" and url.path in ("", "/"):
            return self._request_log_page()
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer sk_"):
            return error(401, "Invalid API Key provided.", type_="invalid_request_error", code="api_key_invalid")
        path = url.path.rstrip("/")
        if request.method == "GET":
            return self._get(path, decode_form(parse_qsl(url.query, keep_blank_values=True)))
        params = decode_form(parse_qsl(request.body.decode(), keep_blank_values=True))
        # POSTs are serialised: two concurrent requests with one key cannot both do the work
        with self._serialised(changes=True):
            return self._post_idempotent(path, params, request.headers.get("idempotency-key", ""))

    def _post_idempotent(self, path: str, params: dict[str, Any], key: str) -> Response:
        if key:
            with self._lock:
                seen = self._idempotency.get(key)
            if seen is not None:
                seen_path, seen_params, response = seen
                if seen_path != path or seen_params != params:
                    return error(
                        400,
                        f"Keys for idempotent requests can only be used with the same parameters they were first used with. "
                        f"Try using a key other than '{key}' if you meant to execute a different request.",
                        type_="idempotency_error",
                    )
                status, body, headers = response
                return status, body, {**headers, "Idempotent-Replayed": "true"}
        response = self._post(path, params)
        if key and response[0] < 500:
            with self._lock:
                self._idempotency[key] = (path, params, (response[0], response[1], dict(response[2])))
        return response

    def _get(self, path: str, query: dict[str, Any]) -> Response:
        parts = path.split("/")[2:]  # drop "", "v1"
        if parts == ["events"]:
            return self._list_events(query)
        if parts == ["subscriptions"]:
            subs = [
                s
                for s in self.objects["subscription"].values()
                if (not query.get("customer") or s["customer"] == query["customer"])
                and (query.get("status") in (None, "all") or s["status"] == query["status"])
            ]
            return self._page(subs, query, "/v1/subscriptions")
        # ---- money-collect: pending invoice items of a customer
        if parts == ["invoiceitems"]:
            items = [
                i
                for i in self.objects["invoiceitem"].values()
                if (not query.get("customer") or i["customer"] == query["customer"])
                and ("pending" not in query or (i["invoice"] is None) == _truthy(query["pending"]))
            ]
            created = query.get("created") or {}
            if isinstance(created, dict):
                items = [
                    i
                    for i in items
                    if int(created.get("gte", i["date"])) <= i["date"]
                    and ("lt" not in created or i["date"] < int(created["lt"]))
                ]
            return self._page(items, query, "/v1/invoiceitems")
        kinds = {
            "customers": "customer",
            "subscriptions": "subscription",
            "invoices": "invoice",
            "charges": "charge",
            "payment_intents": "payment_intent",
            "refunds": "refund",
            "accounts": "account",
        }
        if len(parts) == 2 and parts[0] in kinds:
            return self._retrieve(kinds[parts[0]], parts[1])
        if len(parts) == 3 and parts[:2] == ["checkout", "sessions"]:
            return self._retrieve("checkout.session", parts[2])
        return error(404, f"Unrecognized request URL (GET: {path}).")

    def _retrieve(self, kind: str, object_id: str) -> Response:
        obj = self.objects[kind].get(object_id)
        if obj is None:
            return error(404, f"No such {kind.split('.')[-1]}: '{object_id}'", code="resource_missing", param="id")
        return 200, obj, {}

    def _page(self, items: list[dict[str, Any]], query: dict[str, Any], url: str) -> Response:
        limit = max(1, min(100, int(query.get("limit") or 10)))
        after = query.get("starting_after")
        if after:
            ids = [i["id"] for i in items]
            items = items[ids.index(after) + 1 :] if after in ids else []
        page = items[:limit]
        return 200, {"object": "list", "url": url, "has_more": len(items) > limit, "data": page}, {}

    def _list_events(self, query: dict[str, Any]) -> Response:
        with self._lock:
            events = list(reversed(self.events))  # newest first, like Stripe
        created = query.get("created") or {}
        if isinstance(created, dict):
            if "gte" in created:
                events = [e for e in events if e["created"] >= int(created["gte"])]
            if "gt" in created:
                events = [e for e in events if e["created"] > int(created["gt"])]
        types = query.get("types") or ([query["type"]] if query.get("type") else [])
        if types:
            events = [e for e in events if e["type"] in types]
        return self._page(events, query, "/v1/events")

    def _post(self, path: str, params: dict[str, Any]) -> Response:
        parts = path.split("/")[2:]
        handler = {
            ("customers",): self._customer_create,
            ("checkout", "sessions"): self._checkout_create,
            ("billing_portal", "sessions"): self._portal_create,
            ("invoiceitems",): self._invoice_item_create,
            ("invoices",): self._invoice_create,
            ("refunds",): self._refund_create,
            ("billing", "meter_events"): self._meter_event_create,
        }.get(tuple(parts))
        if handler is not None:
            return handler(params)
        if len(parts) == 3 and parts[0] == "invoices" and parts[2] == "finalize":
            return self._invoice_finalize(parts[1])
        return error(404, f"Unrecognized request URL (POST: {path}).")

    def _request_log_page(self) -> Response:
        """``GET /``: every POST the stand-in received, newest first, with its Idempotency-Key —
        what staff compare against the admin's ledgers when they follow a payment under ``make run``."""
        from html import escape

        rows = []
        for path, key, params in reversed(self.posts()):
            summary = ", ".join(
                f"{name}={value}"
                for name, value in params.items()
                if name
                in ("customer", "amount", "currency", "event_name", "identifier", "charge", "mode", "description")
            )
            rows.append(
                f"<tr><td>POST {escape(path)}</td><td><code>{escape(key or '— none —')}</code></td>"
                f"<td>{escape(summary[:300])}</td></tr>"
            )
        events = "".join(
            f"<tr><td>{escape(e['id'])}</td><td>{escape(e['type'])}</td><td>{e['created']}</td></tr>"
            for e in list(reversed(self.events))[:200]
        )
        body = (
            "<!doctype html><meta charset=utf-8><title>Stripe stand-in</title>"
            "<style>body{font:14px system-ui;margin:2em}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}"
            "code{font-size:12px}</style><h1>Local Stripe stand-in</h1>"
            f"<p>State: {escape(self.state_path or 'in memory only')}. "
            "Requests AGNT sent since this stand-in started (every POST must carry an Idempotency-Key), newest first.</p>"
            f"<table><tr><th>request</th><th>Idempotency-Key</th><th>parameters</th></tr>{''.join(rows)}</table>"
            f"<h2>Events</h2><table><tr><th>id</th><th>type</th><th>created</th></tr>{events}</table>"
        )
        return 200, body.encode(), {"Content-Type": "text/html; charset=utf-8"}

    def _hosted_page(self, path: str) -> Response:
        """Stand-ins for Stripe's hosted pages: opening a Checkout link pays it (a test card that
        always succeeds); the portal page just says where it would be."""
        if path.startswith("/c/pay/"):
            session = self.objects["checkout.session"].get(path.removeprefix("/c/pay/"))
            if session is None:
                return 404, b"No such checkout session", {"Content-Type": "text/plain"}
            if session["status"] == "open":
                self.complete_checkout(session["id"])
            # Stripe fills in the {CHECKOUT_SESSION_ID} template variable of the success URL.
            location = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
            return 303, b"", {"Location": location, "Content-Type": "text/plain"}
        body = b"<h1>Stripe customer portal (local stand-in)</h1><p>Plans are changed in real Stripe.</p>"
        return 200, body, {"Content-Type": "text/html"}

    # ---- resources ----------------------------------------------------------------------

    def _customer_create(self, params: dict[str, Any]) -> Response:
        obj = self._store(
            {
                "id": self.new_id("cus"),
                "object": "customer",
                "created": self.clock,
                "email": params.get("email"),
                "name": params.get("name"),
                "metadata": params.get("metadata") or {},
                "livemode": False,
            }
        )
        return 200, obj, {}

    def _checkout_create(self, params: dict[str, Any]) -> Response:
        if params.get("mode") != "subscription":
            return error(400, "This fake only supports mode=subscription.", param="mode")
        items = params.get("line_items") or []
        if not items or not items[0].get("price"):
            return error(
                400,
                "Missing required param: line_items[0][price].",
                code="parameter_missing",
                param="line_items[0][price]",
            )
        for url_param in ("success_url", "cancel_url"):
            if not params.get(url_param):
                return error(400, f"Missing required param: {url_param}.", code="parameter_missing", param=url_param)
        customer = params.get("customer")
        if customer and customer not in self.objects["customer"]:
            return error(400, f"No such customer: '{customer}'", code="resource_missing", param="customer")
        session_id = self.new_id("cs_test")
        obj = self._store(
            {
                "id": session_id,
                "object": "checkout.session",
                "mode": "subscription",
                "status": "open",
                "payment_status": "unpaid",
                "customer": customer,
                "client_reference_id": params.get("client_reference_id"),
                "metadata": params.get("metadata") or {},
                "subscription": None,
                "created": self.clock,
                "url": f"{self.base_url}/c/pay/{session_id}",
                "success_url": params["success_url"],
                "cancel_url": params["cancel_url"],
                "line_items_price": items[0]["price"],
                "subscription_data": params.get("subscription_data") or {},
                "livemode": False,
            }
        )
        return 200, obj, {}

    def _portal_create(self, params: dict[str, Any]) -> Response:
        customer = params.get("customer")
        if customer not in self.objects["customer"]:
            return error(400, f"No such customer: '{customer}'", code="resource_missing", param="customer")
        session_id = self.new_id("bps")
        return (
            200,
            self._store(
                {
                    "id": session_id,
                    "object": "billing_portal.session",
                    "customer": customer,
                    "return_url": params.get("return_url"),
                    "url": f"{self.base_url}/p/session/{session_id}",
                    "created": self.clock,
                }
            ),
            {},
        )

    def _invoice_item_create(self, params: dict[str, Any]) -> Response:
        if params.get("customer") not in self.objects["customer"]:
            return error(
                400, f"No such customer: '{params.get('customer')}'", code="resource_missing", param="customer"
            )
        try:
            amount = int(params.get("amount", ""))
        except ValueError:
            return error(400, "Invalid integer: amount", param="amount")
        return (
            200,
            self._store(
                {
                    "id": self.new_id("ii"),
                    "object": "invoiceitem",
                    "customer": params["customer"],
                    "amount": amount,
                    "currency": params.get("currency"),
                    "description": params.get("description"),
                    "subscription": params.get("subscription"),
                    "invoice": None,
                    "metadata": params.get("metadata") or {},
                    "date": self.clock,
                }
            ),
            {},
        )

    def _invoice_create(self, params: dict[str, Any]) -> Response:
        customer = params.get("customer")
        if customer not in self.objects["customer"]:
            return error(400, f"No such customer: '{customer}'", code="resource_missing", param="customer")
        invoice = self._new_invoice(
            customer=customer, subscription=None, status="draft", metadata=params.get("metadata") or {}
        )
        pending = [
            i for i in self.objects["invoiceitem"].values() if i["customer"] == customer and i["invoice"] is None
        ]
        for item in pending:
            item["invoice"] = invoice["id"]
        invoice["amount_due"] = invoice["total"] = sum(i["amount"] for i in pending)
        invoice["lines"]["data"] = [
            {"id": i["id"], "amount": i["amount"], "description": i["description"]} for i in pending
        ]
        return 200, invoice, {}

    def _invoice_finalize(self, invoice_id: str) -> Response:
        invoice = self.objects["invoice"].get(invoice_id)
        if invoice is None:
            return error(404, f"No such invoice: '{invoice_id}'", code="resource_missing", param="invoice")
        if invoice["status"] != "draft":
            return error(400, f"This invoice is already {invoice['status']}.", code="invoice_not_editable")
        invoice["status"] = "open"
        self.emit("invoice.finalized", invoice)
        return 200, invoice, {}

    def _refund_create(self, params: dict[str, Any]) -> Response:
        charge = self.objects["charge"].get(params.get("charge") or "")
        if charge is None and params.get("payment_intent"):
            charge = next(
                (c for c in self.objects["charge"].values() if c["payment_intent"] == params["payment_intent"]), None
            )
        if charge is None:
            return error(404, "No such charge.", code="resource_missing", param="charge")
        remaining = charge["amount"] - charge["amount_refunded"]
        amount = int(params.get("amount") or remaining)
        if amount <= 0 or amount > remaining:
            return error(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                code="amount_too_large",
                param="amount",
            )
        refund = self._refund(charge, amount, metadata=params.get("metadata") or {})
        return 200, refund, {}

    def _meter_event_create(self, params: dict[str, Any]) -> Response:
        identifier = params.get("identifier") or self.new_id("mev")
        for name in ("event_name", "payload"):
            if not params.get(name):
                return error(400, f"Missing required param: {name}.", code="parameter_missing", param=name)
        if identifier in self.objects["billing.meter_event"]:
            return error(
                400,
                f"An event already exists with identifier {identifier}.",
                code="resource_already_exists",
                param="identifier",
            )
        obj = {
            "object": "billing.meter_event",
            "id": identifier,
            "identifier": identifier,
            "event_name": params["event_name"],
            "payload": params["payload"],
            "timestamp": int(params.get("timestamp") or self.clock),
            "created": self.clock,
            "livemode": False,
        }
        self._store(obj)
        return 200, obj, {}

    # ---- Stripe-side happenings (tests call these) ------------------------------------

    def _new_invoice(
        self, *, customer: str, subscription: str | None, status: str, metadata=None, amount: int = 0
    ) -> dict[str, Any]:
        return self._store(
            {
                "id": self.new_id("in"),
                "object": "invoice",
                "customer": customer,
                "status": status,
                "created": self.clock,
                "currency": "usd",
                "amount_due": amount,
                "amount_paid": 0,
                "total": amount,
                "metadata": metadata or {},
                "billing_reason": "subscription_create" if subscription else "manual",
                "parent": {"type": "subscription_details", "subscription_details": {"subscription": subscription}}
                if subscription
                else None,
                "payments": {"object": "list", "data": []},
                "lines": {"object": "list", "data": []},
                "period_start": self.clock,
                "period_end": self.clock,
                "livemode": False,
            }
        )

    def _pay_invoice(self, invoice: dict[str, Any]) -> list[dict[str, Any]]:
        """Charge an invoice: a payment intent + charge; events as Stripe sends them."""
        amount = invoice["amount_due"]
        declined = invoice["customer"] in self.declining_customers
        intent = self._store(
            {
                "id": self.new_id("pi"),
                "object": "payment_intent",
                "amount": amount,
                "currency": invoice["currency"],
                "customer": invoice["customer"],
                "status": "requires_payment_method" if declined else "succeeded",
                "created": self.clock,
                "metadata": {},
                "latest_charge": None,
                "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds"}
                if declined
                else None,
            }
        )
        invoice["payments"]["data"] = [
            {"object": "invoice_payment", "payment": {"type": "payment_intent", "payment_intent": intent["id"]}}
        ]
        if declined:
            invoice["status"] = "open"
            invoice["attempt_count"] = invoice.get("attempt_count", 0) + 1
            return [self.emit("payment_intent.payment_failed", intent), self.emit("invoice.payment_failed", invoice)]
        charge = self._store(
            {
                "id": self.new_id("ch"),
                "object": "charge",
                "amount": amount,
                "amount_refunded": 0,
                "currency": invoice["currency"],
                "customer": invoice["customer"],
                "payment_intent": intent["id"],
                "paid": True,
                "refunded": False,
                "status": "succeeded",
                "created": self.clock,
                "refunds": {"object": "list", "data": []},
                "metadata": {},
            }
        )
        intent["latest_charge"] = charge["id"]
        invoice.update(status="paid", amount_paid=amount, amount_remaining=0)
        return [
            self.emit("charge.succeeded", charge),
            self.emit("payment_intent.succeeded", intent),
            self.emit("invoice.paid", invoice),
        ]

    def complete_checkout(self, session_id: str, *, amount: int = 999, period_days: int = 30) -> list[dict[str, Any]]:
        """The customer pays on the Checkout page: a subscription, its first invoice and payment."""
        session = self.objects["checkout.session"][session_id]
        self.tick()
        start = self.clock
        sub_id = self.new_id("sub")
        item = {
            "id": self.new_id("si"),
            "object": "subscription_item",
            "price": {"id": session["line_items_price"], "object": "price"},
            "quantity": 1,
            "current_period_start": start,
            "current_period_end": start + period_days * 86400,
        }
        sub = self._store(
            {
                "id": sub_id,
                "object": "subscription",
                "customer": session["customer"],
                "status": "incomplete",
                "cancel_at_period_end": False,
                "canceled_at": None,
                "ended_at": None,
                "created": start,
                "metadata": (session.get("subscription_data") or {}).get("metadata") or {},
                "items": {"object": "list", "data": [item]},
                "latest_invoice": None,
                "livemode": False,
            }
        )
        invoice = self._new_invoice(customer=session["customer"], subscription=sub_id, status="open", amount=amount)
        invoice["period_start"], invoice["period_end"] = start, start + period_days * 86400
        sub["latest_invoice"] = invoice["id"]
        events = [self.emit("customer.subscription.created", sub), self.emit("invoice.created", invoice)]
        events += self._pay_invoice(invoice)
        paid = invoice["status"] == "paid"
        sub["status"] = "active" if paid else "incomplete"
        if paid:
            events.append(self.emit("customer.subscription.updated", sub, previous={"status": "incomplete"}))
        session.update(status="complete", payment_status="paid" if paid else "unpaid", subscription=sub_id)
        events.append(self.emit("checkout.session.completed", session))
        return events

    def renew(self, subscription_id: str, *, amount: int = 999, period_days: int = 30) -> list[dict[str, Any]]:
        """The next billing period: a renewal invoice, paid or (for a declining customer) failed → past_due."""
        sub = self.objects["subscription"][subscription_id]
        self.tick(period_days * 86400)
        item = sub["items"]["data"][0]
        previous = {"items": json.loads(json.dumps(sub["items"])), "status": sub["status"]}
        item["current_period_start"], item["current_period_end"] = self.clock, self.clock + period_days * 86400
        invoice = self._new_invoice(
            customer=sub["customer"], subscription=subscription_id, status="open", amount=amount
        )
        invoice["billing_reason"] = "subscription_cycle"
        sub["latest_invoice"] = invoice["id"]
        events = [self.emit("invoice.created", invoice)]
        events += self._pay_invoice(invoice)
        sub["status"] = "active" if invoice["status"] == "paid" else "past_due"
        events.append(self.emit("customer.subscription.updated", sub, previous=previous))
        return events

    def update_subscription(self, subscription_id: str, **changes: Any) -> list[dict[str, Any]]:
        sub = self.objects["subscription"][subscription_id]
        self.tick()
        previous = {k: sub.get(k) for k in changes}
        sub.update(changes)
        return [self.emit("customer.subscription.updated", sub, previous=previous)]

    def cancel_subscription(self, subscription_id: str) -> list[dict[str, Any]]:
        sub = self.objects["subscription"][subscription_id]
        self.tick()
        sub.update(status="canceled", canceled_at=self.clock, ended_at=self.clock)
        return [self.emit("customer.subscription.deleted", sub)]

    def refund_charge(self, charge_id: str, amount: int | None = None) -> list[dict[str, Any]]:
        charge = self.objects["charge"][charge_id]
        self.tick()
        self._refund(charge, amount if amount is not None else charge["amount"] - charge["amount_refunded"])
        return [self.events[-1]]

    def _refund(self, charge: dict[str, Any], amount: int, metadata=None) -> dict[str, Any]:
        refund = self._store(
            {
                "id": self.new_id("re"),
                "object": "refund",
                "amount": amount,
                "charge": charge["id"],
                "payment_intent": charge["payment_intent"],
                "currency": charge["currency"],
                "status": "succeeded",
                "created": self.clock,
                "metadata": metadata or {},
            }
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        charge["refunds"]["data"].insert(0, refund)
        self.emit("charge.refunded", charge)
        return refund

    def charge_for_invoice(self, invoice_id: str) -> dict[str, Any]:
        invoice = self.objects["invoice"][invoice_id]
        intent_id = invoice["payments"]["data"][0]["payment"]["payment_intent"]
        return next(c for c in self.objects["charge"].values() if c["payment_intent"] == intent_id)

    def add_account(self, account_id: str | None = None, **fields: Any) -> dict[str, Any]:
        account = {
            "id": account_id or self.new_id("acct"),
            "object": "account",
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "requirements": {"currently_due": []},
            "created": self.clock,
            **fields,
        }
        return self._store(account)

    def update_account(self, account_id: str, **changes: Any) -> list[dict[str, Any]]:
        account = self.objects["account"].get(account_id) or self.add_account(account_id)
        self.tick()
        previous = {k: account.get(k) for k in changes}
        account.update(changes)
        return [self.emit("account.updated", account, previous=previous)]


# --------------------------------------------------------------------------- webhook delivery


def signed_delivery(
    event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> tuple[bytes, str]:
    """The body and ``Stripe-Signature`` header Stripe would send for ``event`` (the real scheme)."""
    payload = json.dumps(event, separators=(",", ":"))
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return payload.encode(), header


def deliver(client, event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """POST ``event`` to /webhooks/stripe with a valid signature; returns the response."""
    body, header = signed_delivery(event, secret=secret, timestamp=timestamp)
    return client.post("/webhooks/stripe", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


@pytest.fixture
def fake_stripe(settings) -> Iterator[FakeStripe]:
    """A running FakeStripe; STRIPE_API_BASE, the key and the webhook secret point at it."""
    fake = FakeStripe().start()
    settings.STRIPE_API_BASE = fake.base_url
    settings.STRIPE_SECRET_KEY = TEST_SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    try:
        yield fake
    finally:
        fake.stop()


def main() -> None:  # pragma: no cover - the `make run` stand-in
    import os
    from http.server import ThreadingHTTPServer

    parser = argparse.ArgumentParser(
        description="AGNT's local Stripe stand-in (state kept in a JSON file across restarts)."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--webhook-url", default=os.environ.get("STRIPE_STANDIN_WEBHOOK_URL", ""))
    parser.add_argument(
        "--state-file",
        default=os.environ.get("STRIPE_STANDIN_STATE_FILE") or str(standin_state.default_path()),
        help="where objects, events and idempotency records are kept ('' keeps them in memory only); "
        "default $AGNT_DATA_DIR/stripe-standin.json",
    )
    args = parser.parse_args()
    fake = FakeStripe(state_path=args.state_file or None)
    handler = fake._server.RequestHandlerClass
    fake._server.server_close()
    fake._server = ThreadingHTTPServer((args.host, args.port), handler)
    fake._server.daemon_threads = True
    fake.base_url = f"http://{args.host}:{args.port}"
    fake.webhook_url = args.webhook_url
    fake.webhook_secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "") or WEBHOOK_SECRET
    try:
        fake._server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":  # pragma: no cover
    main()
