"""The one module that talks to Stripe (official ``stripe`` library, ``StripeClient``).

Configuration: ``STRIPE_SECRET_KEY`` and ``STRIPE_API_BASE``. Without a key the client
uses a stand-in key against the local base (``http://127.0.0.1:12111`` by default, where
``make run`` serves the local Stripe stand-in), so nothing ever crashes for lack of
credentials; tests point ``STRIPE_API_BASE`` at billing/tests/fake_stripe.py.

Idempotency keys
----------------
Every POST carries an ``Idempotency-Key`` we derive from the domain object and the
operation — never a random one — so a retry of the same logical operation (a Celery
retry, a double click, a worker crash and rerun) is answered by Stripe with the stored
first response instead of doing the work again::

    {namespace}:{operation}:{domain key}

- ``namespace`` is ``STRIPE_IDEMPOTENCY_NAMESPACE`` (default ``agnt``): two installs that
  share one Stripe account (staging after a database reset reuses ids) must not replay
  each other's responses.
- ``operation`` names the call: ``customer``, ``checkout``, ``portal``, ``invoiceitem``,
  ``invoice``, ``invoice-finalize``, ``refund``, ``meter-event``.
- ``domain key`` identifies the logical operation:

  ======================  ==================================================================
  customer                ``user:{id}`` / ``venue:{id}`` — one Stripe customer per party
  checkout                ``{subject}:{price}:{attempt}`` — the app sends an attempt nonce
                          (its ``Idempotency-Key`` header); the admin uses the UTC date,
                          so the same link comes back all day
  portal                  ``{customer}:{attempt}``
  invoiceitem / invoice   the caller's source key, e.g. ``booking-fee:{booking id}``
  invoice-finalize        the Stripe invoice id
  refund                  ``{charge or payment intent}:{source key}`` (credit note id…)
  meter-event             the ApiKeyUsageEvent id — also sent as the meter event
                          ``identifier``, which Stripe dedupes on its own
  ======================  ==================================================================

Stripe keeps idempotency keys for 24 hours; beyond that the domain side must remember
what it already sent (a stored customer id, a "billed" mark), which is why every caller
stores Stripe's id in the same transaction that decides to call again.

The library's own automatic retries (``STRIPE_MAX_NETWORK_RETRIES``) reuse the key we set,
so they are safe too. Stripe errors become :class:`StripeFailure` subclasses (in
billing/services/errors.py) whose message is fit to show an operator; so does a reply we
cannot read — not JSON, a missing ``id``, a field of the wrong type — as the retryable
:class:`StripeMalformedReply`, never a KeyError.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import stripe
from django.conf import settings

from billing.services.errors import (
    StripeAuthenticationFailed,
    StripeCardDeclined,
    StripeFailure,
    StripeIdempotencyMismatch,
    StripeInvalidRequest,
    StripeMalformedReply,
    StripeRateLimited,
    StripeUnavailable,
)

STANDIN_SECRET_KEY = "sk_test_agnt_local_standin"
STANDIN_API_BASE = "http://127.0.0.1:12111"

T = TypeVar("T")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Customer:
    id: str
    email: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    customer: str
    status: str


@dataclass(frozen=True)
class PortalSession:
    id: str
    url: str


@dataclass(frozen=True)
class MeterEvent:
    identifier: str
    event_name: str
    value: int


# --------------------------------------------------------------------------- plumbing


def idempotency_key(operation: str, domain_key: str) -> str:
    """``{namespace}:{operation}:{domain key}`` — see the module docstring."""
    if not operation or not domain_key:
        raise ValueError("an idempotency key needs an operation and a domain key")
    key = f"{settings.STRIPE_IDEMPOTENCY_NAMESPACE}:{operation}:{domain_key}"
    if len(key) > 255:  # Stripe's limit
        raise ValueError(f"idempotency key too long ({len(key)} > 255): {key[:60]}…")
    return key


def secret_key() -> str:
    return settings.STRIPE_SECRET_KEY or STANDIN_SECRET_KEY


def api_base() -> str:
    return (settings.STRIPE_API_BASE or STANDIN_API_BASE).rstrip("/")


def using_standin() -> bool:
    return not settings.STRIPE_SECRET_KEY


def client() -> stripe.StripeClient:
    """A StripeClient for the configured key and base (cheap to build; settings may change in tests)."""
    base = api_base()
    return stripe.StripeClient(
        secret_key(),
        base_addresses={"api": base, "connect": base, "files": base, "meter_events": base},
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


def _translate(exc: stripe.StripeError) -> StripeFailure:
    message = exc.user_message or str(exc) or type(exc).__name__
    request_id = getattr(exc, "request_id", None) or ""
    code = getattr(exc, "code", None) or ""
    if isinstance(exc, stripe.CardError):
        return StripeCardDeclined(
            message, code=code, decline_code=getattr(exc.error, "decline_code", "") or "", request_id=request_id
        )
    if isinstance(exc, stripe.IdempotencyError):
        return StripeIdempotencyMismatch(message, code=code, request_id=request_id)
    if isinstance(exc, stripe.RateLimitError):
        return StripeRateLimited(message, code=code, request_id=request_id)
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return StripeAuthenticationFailed(message, code=code, request_id=request_id)
    if isinstance(exc, stripe.InvalidRequestError):
        return StripeInvalidRequest(message, code=code, param=getattr(exc, "param", "") or "", request_id=request_id)
    if isinstance(exc, stripe.APIConnectionError):
        return StripeUnavailable(f"Stripe could not be reached: {message}", code=code, request_id=request_id)
    return StripeUnavailable(f"Stripe error: {message}", code=code, request_id=request_id)


def _mapped(func: Callable[..., T]) -> Callable[..., T]:
    """Every failure of a call becomes a StripeFailure: Stripe's errors by kind, and a reply
    the library or we cannot read (not JSON, a list where an object belongs, a field of the
    wrong type) as StripeMalformedReply."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        except (_ReplyUnreadable, KeyError, TypeError, AttributeError) as exc:
            # KeyError / TypeError / AttributeError: the library choking on a reply of the
            # wrong shape (a list page whose data is not a list…)
            raise StripeMalformedReply(
                f"Stripe sent a reply that could not be read ({func.__name__}: {exc.__class__.__name__}: {exc})"
            ) from exc

    return wrapper


class _ReplyUnreadable(ValueError):
    """A field of Stripe's reply is missing or of the wrong type."""


def _str_field(obj: dict[str, Any], name: str, *, required: bool = False) -> str:
    """``obj[name]`` as a string ("" when absent and optional); _ReplyUnreadable otherwise."""
    value = obj.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise _ReplyUnreadable(f"field {name!r} is {type(value).__name__}, not a string")
    return value


def _map_field(obj: dict[str, Any], name: str) -> dict[str, Any]:
    value = obj.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _ReplyUnreadable(f"field {name!r} is {type(value).__name__}, not an object")
    return dict(value)


def _post_options(operation: str, domain_key: str, *, stripe_account: str = "") -> dict[str, Any]:
    options: dict[str, Any] = {"idempotency_key": idempotency_key(operation, domain_key)}
    if stripe_account:
        options["stripe_account"] = stripe_account
    return options


def _plain(obj: Any) -> dict[str, Any]:
    """A StripeObject as plain nested dicts (what handlers and webhook payloads share)."""
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict(recursive=True, for_json=True)
    if isinstance(obj, dict):
        return dict(obj)
    raise _ReplyUnreadable(f"expected an object, got {type(obj).__name__}")


# --------------------------------------------------------------------------- customers


def _customer(obj: dict[str, Any]) -> Customer:
    return Customer(
        id=_str_field(obj, "id", required=True), email=_str_field(obj, "email"), metadata=_map_field(obj, "metadata")
    )


@_mapped
def customer_create(
    *, party_key: str, email: str = "", name: str = "", metadata: dict[str, str] | None = None
) -> Customer:
    """Create the Stripe customer for one party (``user:{id}`` / ``venue:{id}``); a retry returns the same one."""
    params: dict[str, Any] = {"metadata": {"agnt_party": party_key, **(metadata or {})}}
    if email:
        params["email"] = email
    if name:
        params["name"] = name
    obj = _plain(client().v1.customers.create(params=params, options=_post_options("customer", party_key)))
    return _customer(obj)


@_mapped
def customer_retrieve(customer_id: str) -> Customer:
    obj = _plain(client().v1.customers.retrieve(customer_id))
    return _customer(obj)


# --------------------------------------------------------------------------- checkout and portal


@_mapped
def checkout_session_create_subscription(
    *,
    customer_id: str,
    price_id: str,
    subject_key: str,
    attempt: str,
    success_url: str,
    cancel_url: str,
    client_reference_id: str,
    metadata: dict[str, str],
) -> CheckoutSession:
    """A Checkout Session in ``mode=subscription`` for one price. ``metadata`` is copied onto the
    subscription too, so a ``customer.subscription.*`` event alone identifies our party."""
    params: dict[str, Any] = {
        "mode": "subscription",
        "customer": customer_id,
        "line_items": [{"price": price_id, "quantity": 1}],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": client_reference_id,
        "metadata": metadata,
        "subscription_data": {"metadata": metadata},
    }
    obj = _plain(
        client().v1.checkout.sessions.create(
            params=params, options=_post_options("checkout", f"{subject_key}:{price_id}:{attempt}")
        )
    )
    customer = obj.get("customer")
    return CheckoutSession(
        id=_str_field(obj, "id", required=True),
        url=_str_field(obj, "url"),
        # expanded, the customer is an object; we only keep its id
        customer=(_str_field(customer, "id") if isinstance(customer, dict) else _str_field(obj, "customer"))
        or customer_id,
        status=_str_field(obj, "status"),
    )


@_mapped
def checkout_session_retrieve(session_id: str) -> dict[str, Any]:
    return _plain(client().v1.checkout.sessions.retrieve(session_id))


@_mapped
def portal_session_create(*, customer_id: str, return_url: str, attempt: str) -> PortalSession:
    obj = _plain(
        client().v1.billing_portal.sessions.create(
            params={"customer": customer_id, "return_url": return_url},
            options=_post_options("portal", f"{customer_id}:{attempt}"),
        )
    )
    return PortalSession(id=_str_field(obj, "id", required=True), url=_str_field(obj, "url"))


# --------------------------------------------------------------------------- subscriptions, events


@_mapped
def subscription_retrieve(subscription_id: str) -> dict[str, Any]:
    return _plain(client().v1.subscriptions.retrieve(subscription_id))


@_mapped
def subscriptions_list(*, customer_id: str = "", status: str = "all", limit: int = 100) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"status": status, "limit": limit}
    if customer_id:
        params["customer"] = customer_id
    return [_plain(s) for s in client().v1.subscriptions.list(params=params).auto_paging_iter()]


@_mapped
def events_since(*, created_gte: int, types: list[str] | None = None, page_size: int = 100) -> Iterator[dict[str, Any]]:
    """Events created at or after ``created_gte`` (unix seconds), newest first, every page."""
    params: dict[str, Any] = {"created": {"gte": created_gte}, "limit": page_size}
    if types:
        params["types"] = types
    return iter([_plain(e) for e in client().v1.events.list(params=params).auto_paging_iter()])


# --------------------------------------------------------------------------- invoices, refunds


@_mapped
def invoice_item_create(
    *,
    source_key: str,
    customer_id: str,
    amount_cents: int,
    currency: str,
    description: str,
    subscription_id: str = "",
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A pending invoice item (e.g. a booking fee) picked up by the customer's next invoice."""
    params: dict[str, Any] = {
        "customer": customer_id,
        "amount": amount_cents,
        "currency": currency.lower(),
        "description": description[:500],
        "metadata": {"agnt_source": source_key, **(metadata or {})},
    }
    if subscription_id:
        params["subscription"] = subscription_id
    return _plain(client().v1.invoice_items.create(params=params, options=_post_options("invoiceitem", source_key)))


@_mapped
def invoice_create(
    *, source_key: str, customer_id: str, metadata: dict[str, str] | None = None, auto_advance: bool = True
) -> dict[str, Any]:
    params = {
        "customer": customer_id,
        "auto_advance": auto_advance,
        "pending_invoice_items_behavior": "include",
        "metadata": {"agnt_source": source_key, **(metadata or {})},
    }
    return _plain(client().v1.invoices.create(params=params, options=_post_options("invoice", source_key)))


@_mapped
def invoice_finalize(invoice_id: str) -> dict[str, Any]:
    return _plain(
        client().v1.invoices.finalize_invoice(invoice_id, options=_post_options("invoice-finalize", invoice_id))
    )


@_mapped
def invoice_retrieve(invoice_id: str) -> dict[str, Any]:
    return _plain(client().v1.invoices.retrieve(invoice_id))


@_mapped
def refund_create(
    *,
    source_key: str,
    charge_id: str = "",
    payment_intent_id: str = "",
    amount_cents: int | None = None,
    reason: str = "requested_by_customer",
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Refund a charge (or payment intent), fully or ``amount_cents`` of it; once per ``source_key``."""
    if bool(charge_id) == bool(payment_intent_id):
        raise ValueError("refund exactly one of charge_id / payment_intent_id")
    params: dict[str, Any] = {"reason": reason, "metadata": {"agnt_source": source_key, **(metadata or {})}}
    if charge_id:
        params["charge"] = charge_id
    else:
        params["payment_intent"] = payment_intent_id
    if amount_cents is not None:
        params["amount"] = amount_cents
    target = charge_id or payment_intent_id
    return _plain(client().v1.refunds.create(params=params, options=_post_options("refund", f"{target}:{source_key}")))


# --------------------------------------------------------------------------- fee collection (money-collect)


@_mapped
def invoice_items_list_pending(*, customer_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The customer's invoice items not yet on an invoice (every page)."""
    params: dict[str, Any] = {"customer": customer_id, "pending": True, "limit": limit}
    return [_plain(i) for i in client().v1.invoice_items.list(params=params).auto_paging_iter()]


@_mapped
def invoice_items_created_between(*, created_gte: int, created_lt: int, page_size: int = 100) -> list[dict[str, Any]]:
    """Every invoice item created in ``[created_gte, created_lt)`` (unix seconds), all pages."""
    params: dict[str, Any] = {"created": {"gte": created_gte, "lt": created_lt}, "limit": page_size}
    return [_plain(i) for i in client().v1.invoice_items.list(params=params).auto_paging_iter()]


# --------------------------------------------------------------------------- metered usage


@_mapped
def meter_event_create(
    *, event_name: str, stripe_customer_id: str, value: int, identifier: str, timestamp: int
) -> MeterEvent:
    """One Billing Meter event. ``identifier`` is our usage event id: Stripe refuses a second
    event with the same identifier, and the idempotency key is derived from it as well."""
    params = {
        "event_name": event_name,
        "identifier": identifier,
        "timestamp": timestamp,
        "payload": {"stripe_customer_id": stripe_customer_id, "value": str(value)},
    }
    obj = _plain(
        client().v1.billing.meter_events.create(params=params, options=_post_options("meter-event", identifier))
    )
    return MeterEvent(
        identifier=_str_field(obj, "identifier") or identifier,
        event_name=_str_field(obj, "event_name") or event_name,
        value=value,
    )


__all__ = [
    "STANDIN_API_BASE",
    "STANDIN_SECRET_KEY",
    "CheckoutSession",
    "Customer",
    "MeterEvent",
    "PortalSession",
    "api_base",
    "checkout_session_create_subscription",
    "checkout_session_retrieve",
    "client",
    "customer_create",
    "customer_retrieve",
    "events_since",
    "idempotency_key",
    "invoice_create",
    "invoice_finalize",
    "invoice_item_create",
    "invoice_items_created_between",
    "invoice_items_list_pending",
    "invoice_retrieve",
    "meter_event_create",
    "portal_session_create",
    "refund_create",
    "secret_key",
    "subscription_retrieve",
    "subscriptions_list",
    "using_standin",
]
