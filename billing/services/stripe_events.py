"""Stripe events: store each once by id, then process it — idempotently and in any order.

The webhook view and the reconcile job both call :func:`stripe_event_store`; processing runs
after commit in a Celery task calling :func:`stripe_event_process`. Every handler is safe to
run twice and in any order:

- subscription snapshots carry the event's ``created`` time and never overwrite newer ones
  (billing.services.subscriptions.subscription_apply_snapshot);
- money lands in CommerceLedger with an idempotency key from Stripe's object id
  (``stripe-invoice-paid:{invoice}``, ``stripe-refund:{refund}``);
- document changes check the document's state first (a paid invoice is not paid again; a
  refund gets one credit note, found by its refund id);
- an event that needs something not there yet (a payment failure for a subscription we have
  not heard of) is *deferred*: left unprocessed with the reason, and retried by the
  ``stripe_event_reconcile`` job.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import (
    AccountingDocument,
    CommerceEntryType,
    CommerceLedger,
    DocumentStatus,
    DocumentType,
    LedgerAccount,
    StripeConnectAccount,
    StripeEvent,
    StripeEventSource,
    StripeSubscription,
    VenueStripeCustomer,
)
from billing.services import subscriptions
from billing.services.accounting import (
    LineSpec,
    accounting_document_issue,
    accounting_document_mark_paid,
    credit_note_create_for_invoice,
)
from billing.services.commerce import commerce_ledger_record, from_cents, to_cents
from billing.services.errors import BillingError

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 20  # after this many failures an event waits for a human (admin "reprocess")


class StripeEventDeferred(Exception):
    """The event depends on another one we have not processed yet; retry it later."""


class MalformedStripeEvent(BillingError):
    """The payload is not a Stripe event (no id/type/created)."""


# --------------------------------------------------------------------------- storing


def stripe_event_store(*, payload: dict[str, Any], source: str = StripeEventSource.WEBHOOK) -> tuple[StripeEvent, bool]:
    """Store one event by its Stripe id (once) and enqueue processing on commit. Returns (event, created)."""
    if not isinstance(payload, dict):
        raise MalformedStripeEvent("a Stripe event is a JSON object")
    event_id, event_type, created = payload.get("id"), payload.get("type"), payload.get("created")
    if not (isinstance(event_id, str) and event_id.startswith("evt_") and len(event_id) <= 64):
        raise MalformedStripeEvent(f"not a Stripe event id: {str(event_id)[:70]!r}")
    if not (isinstance(event_type, str) and 0 < len(event_type) <= 80):
        raise MalformedStripeEvent("the event has no type")
    if isinstance(created, bool) or not isinstance(created, int):
        raise MalformedStripeEvent("the event has no created time")
    if payload.get("object") not in (None, "event") or not isinstance(payload.get("data"), dict):
        raise MalformedStripeEvent("the event has no data object")
    existing = StripeEvent.objects.filter(stripe_id=event_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            event = StripeEvent.objects.create(
                stripe_id=event_id,
                type=event_type,
                stripe_created=dt.datetime.fromtimestamp(created, tz=dt.UTC),
                livemode=bool(payload.get("livemode")),
                api_version=str(payload.get("api_version") or "")[:40],
                payload=payload,
                source=source,
            )
    except IntegrityError:
        existing = StripeEvent.objects.filter(stripe_id=event_id).first()
        if existing is None:
            raise
        return existing, False
    transaction.on_commit(lambda: _enqueue(event.pk))
    return event, True


def _enqueue(event_pk) -> None:
    from billing.stripe_jobs import stripe_event_process_task

    stripe_event_process_task.delay(str(event_pk))


# --------------------------------------------------------------------------- processing


def stripe_event_process(*, event: StripeEvent, force: bool = False) -> StripeEvent:
    """Run the handler for one stored event, once. A failure is recorded on the row (and the
    handler's partial work rolled back); ``force`` reprocesses an already processed event
    (staff "reprocess": handlers are idempotent, so this repairs rather than doubles)."""
    with transaction.atomic():
        locked = StripeEvent.objects.select_for_update(skip_locked=True).filter(pk=event.pk).first()
        if locked is None:
            return event  # another worker is processing it right now
        if locked.processed_at is not None and not force:
            return locked
        locked.attempts += 1
        handler = HANDLERS.get(locked.type)
        try:
            with transaction.atomic():
                outcome = handler(locked) if handler else f"{locked.type} is not handled; stored only"
        except StripeEventDeferred as exc:
            locked.processing_error = f"deferred: {exc}"
            locked.save(update_fields=["attempts", "processing_error"])
            return locked
        except Exception as exc:  # noqa: BLE001 - recorded on the row; reconcile retries it
            logger.exception("stripe event %s (%s) failed", locked.stripe_id, locked.type)
            locked.processing_error = f"{type(exc).__name__}: {exc}"[:2000]
            locked.save(update_fields=["attempts", "processing_error"])
            return locked
        locked.processed_at = timezone.now()
        locked.processing_error = ""
        locked.outcome = str(outcome)[:300]
        locked.save(update_fields=["attempts", "processed_at", "processing_error", "outcome"])
        return locked


def stripe_events_process_pending(*, older_than: dt.timedelta = dt.timedelta(0), limit: int = 500) -> int:
    """Process stored events that are still unprocessed (failed, deferred or never enqueued)."""
    cutoff = timezone.now() - older_than
    pending = list(
        StripeEvent.objects.filter(
            processed_at__isnull=True, received_at__lte=cutoff, attempts__lt=MAX_ATTEMPTS
        ).order_by("stripe_created")[:limit]
    )
    done = 0
    for event in pending:
        if stripe_event_process(event=event).processed_at is not None:
            done += 1
    return done


def _created(event: StripeEvent) -> dt.datetime:
    return event.stripe_created


# --------------------------------------------------------------------------- handlers


def _handle_subscription(event: StripeEvent) -> str:
    _, outcome = subscriptions.subscription_apply_snapshot(obj=event.data_object, state_at=_created(event))
    return outcome


def _handle_checkout_completed(event: StripeEvent) -> str:
    session = event.data_object
    if session.get("mode") != "subscription":
        return f"checkout {session.get('id')} in mode {session.get('mode')!r}; nothing to do"
    metadata = session.get("metadata") or {}
    customer = session.get("customer") or ""
    # the customer was made (and linked) before checkout; these only repair a link lost to a
    # crash between Stripe's answer and our write
    if metadata.get("agnt_user_id") and customer:
        from agnt.models import User

        User.objects.filter(pk=metadata["agnt_user_id"], stripe_customer_id="").update(stripe_customer_id=customer)
    elif metadata.get("agnt_venue_id") and customer:
        from venues.models import Venue

        venue = Venue.objects.filter(pk=metadata["agnt_venue_id"]).first()
        if venue is not None and not VenueStripeCustomer.objects.filter(venue=venue).exists():
            with transaction.atomic():
                VenueStripeCustomer.objects.get_or_create(stripe_customer_id=customer, defaults={"venue": venue})
    sub_id = session.get("subscription") or ""
    row = StripeSubscription.objects.filter(stripe_subscription_id=sub_id).first() if sub_id else None
    if row is None:
        return (
            f"checkout {session.get('id')} completed; subscription {sub_id or '—'} arrives with customer.subscription.*"
        )
    return f"checkout {session.get('id')} completed for {row}"


def _invoice_subscription_id(invoice: dict[str, Any]) -> str:
    legacy = invoice.get("subscription")
    if legacy:
        return legacy if isinstance(legacy, str) else legacy.get("id", "")
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    sub = details.get("subscription") or ""
    return sub if isinstance(sub, str) else sub.get("id", "")


def _invoice_payment_intent(invoice: dict[str, Any]) -> str:
    if invoice.get("payment_intent"):  # API versions before 2025-03-31
        pi = invoice["payment_intent"]
        return pi if isinstance(pi, str) else pi.get("id", "")
    for payment in (invoice.get("payments") or {}).get("data") or []:
        pi = (payment.get("payment") or {}).get("payment_intent")
        if pi:
            return pi if isinstance(pi, str) else pi.get("id", "")
    return ""


def _credit_refunds(document: AccountingDocument, *, payment_intent: str) -> int:
    """Issue one credit note per recorded refund of this invoice's payment that has none yet."""
    if not payment_intent or document.status not in (DocumentStatus.ISSUED, DocumentStatus.PAID):
        return 0
    issued = 0
    document = AccountingDocument.objects.select_for_update().get(pk=document.pk)
    for refund in CommerceLedger.objects.filter(
        entry_type=CommerceEntryType.REFUND, stripe_payment_intent_id=payment_intent
    ).order_by("occurred_at"):
        refund_id = refund.idempotency_key.removeprefix("stripe-refund:")
        if (
            document.related_documents.filter(doc_type=DocumentType.CREDIT_NOTE, notes__contains=refund_id)
            .exclude(status=DocumentStatus.VOID)
            .exists()
        ):
            continue
        _credit_note_for_refund(document, refund_cents=-refund.amount_cents, refund_id=refund_id)
        issued += 1
    return issued


def _credit_note_for_refund(invoice: AccountingDocument, *, refund_cents: int, refund_id: str) -> AccountingDocument:
    total_cents = to_cents(invoice.total)
    if refund_cents >= total_cents:
        lines = None  # a full refund credits every line
    else:
        # a partial refund: one line, net of the invoice's tax rate, so net + tax ≈ the refund
        rates = {line.tax_rate for line in invoice.lines.all()}
        rate = rates.pop() if len(rates) == 1 else Decimal("0")
        net_cents = int((Decimal(refund_cents) * 100 / (100 + rate)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        account = invoice.lines.values_list("account", flat=True).first() or LedgerAccount.OTHER_REVENUE
        lines = [
            LineSpec(
                description=f"Refund {refund_id}", unit_price=from_cents(net_cents), tax_rate=rate, account=account
            )
        ]
    note = credit_note_create_for_invoice(invoice=invoice, reason=f"Stripe refund {refund_id}", lines=lines)
    return accounting_document_issue(document=note)


def _handle_invoice_paid(event: StripeEvent) -> str:
    invoice = event.data_object
    invoice_id = invoice.get("id") or ""
    amount = int(invoice.get("amount_paid") or 0)
    currency = (invoice.get("currency") or "usd").upper()
    sub_id = _invoice_subscription_id(invoice)
    payment_intent = _invoice_payment_intent(invoice)
    user, venue = subscriptions.party_for_customer(invoice.get("customer") or "")
    said = []
    if amount > 0 and sub_id:
        commerce_ledger_record(
            entry_type=CommerceEntryType.SUBSCRIPTION,
            amount_cents=amount,
            currency=currency,
            idempotency_key=f"stripe-invoice-paid:{invoice_id}",
            user=user,
            venue=venue,
            description=f"Subscription {sub_id} invoice {invoice_id}",
            stripe_invoice_id=invoice_id,
            stripe_payment_intent_id=payment_intent,
            stripe_event_id=event.stripe_id,
            occurred_at=_created(event),
        )
        said.append(f"subscription payment {amount} {currency} recorded")
    document = (
        AccountingDocument.objects.select_for_update()
        .filter(stripe_invoice_id=invoice_id, doc_type=DocumentType.INVOICE)
        .first()
        if invoice_id
        else None
    )
    if document is not None:
        if document.status == DocumentStatus.ISSUED:
            accounting_document_mark_paid(document=document, paid_at=_created(event), stripe_charge_id=payment_intent)
            said.append(f"{document.number} marked paid")
        else:
            said.append(f"{document} already {document.status}")
        if (
            payment_intent
            and not CommerceLedger.objects.filter(idempotency_key=f"stripe-invoice-paid:{invoice_id}").exists()
        ):
            # fee invoices: remember which payment paid which invoice, for refunds later
            _remember_invoice_payment(document, invoice_id=invoice_id, payment_intent=payment_intent)
        credited = _credit_refunds(document, payment_intent=payment_intent)
        if credited:
            said.append(f"{credited} credit note(s) for earlier refunds")
    return "; ".join(said) or f"invoice {invoice_id} paid; no AGNT record to update"


def _remember_invoice_payment(document: AccountingDocument, *, invoice_id: str, payment_intent: str) -> None:
    """Nothing to book (the fees were booked when earned), but refunds need to find the invoice
    from the payment intent: the accounting document keeps the Stripe invoice id, and the
    payment intent goes in its notes once."""
    if payment_intent in (document.notes or ""):
        return
    document.notes = f"{document.notes}\nStripe payment {payment_intent}".strip()
    document.save(update_fields=["notes", "updated_at"])


def _handle_invoice_payment_failed(event: StripeEvent) -> str:
    invoice = event.data_object
    sub_id = _invoice_subscription_id(invoice)
    if not sub_id:
        return f"invoice {invoice.get('id')} payment failed (not a subscription invoice)"
    row = subscriptions.subscription_payment_failed_record(subscription_id=sub_id, failed_at=_created(event))
    if row is None:
        if subscriptions.party_for_customer(invoice.get("customer") or "") == (None, None):
            return f"invoice {invoice.get('id')}: not an AGNT customer; ignored"
        raise StripeEventDeferred(f"subscription {sub_id} not recorded yet")
    return f"payment failed for {row}; Stripe retries (status follows customer.subscription.updated)"


def _handle_payment_intent(event: StripeEvent) -> str:
    intent = event.data_object
    document_id = (intent.get("metadata") or {}).get("agnt_document_id")
    if not document_id:
        return f"payment intent {intent.get('id')} {intent.get('status')}; invoices carry subscription payments"
    document = (
        AccountingDocument.objects.select_for_update().filter(pk=document_id, doc_type=DocumentType.INVOICE).first()
    )
    if document is None:
        return f"payment intent {intent.get('id')}: document {document_id} not found"
    if event.type == "payment_intent.payment_failed":
        error = (intent.get("last_payment_error") or {}).get("code") or "failed"
        return f"payment of {document} failed ({error})"
    if document.status == DocumentStatus.ISSUED:
        accounting_document_mark_paid(
            document=document, paid_at=_created(event), stripe_charge_id=intent.get("latest_charge") or intent.get("id")
        )
        return f"{document.number} marked paid"
    return f"{document} already {document.status}"


def _handle_charge_refunded(event: StripeEvent) -> str:
    charge = event.data_object
    payment_intent = charge.get("payment_intent") or ""
    if not isinstance(payment_intent, str):
        payment_intent = payment_intent.get("id", "")
    user, venue = subscriptions.party_for_customer(charge.get("customer") or "")
    currency = (charge.get("currency") or "usd").upper()
    # Only what the payload says goes on the row (API versions before 2025-03-31 name the
    # invoice): a row that depended on which other event came first would differ by order.
    # The payment intent links the refund to the payment it reverses either way.
    invoice_id = charge.get("invoice") or ""
    recorded = 0
    for refund in (charge.get("refunds") or {}).get("data") or []:
        if refund.get("status") not in ("succeeded", "pending"):
            continue
        commerce_ledger_record(
            entry_type=CommerceEntryType.REFUND,
            amount_cents=-int(refund["amount"]),
            currency=currency,
            idempotency_key=f"stripe-refund:{refund['id']}",
            user=user,
            venue=venue,
            description=f"Stripe refund {refund['id']} of charge {charge.get('id')}",
            stripe_charge_id=charge.get("id") or "",
            stripe_payment_intent_id=payment_intent,
            stripe_invoice_id=invoice_id or "",
            stripe_event_id=event.stripe_id,
            occurred_at=dt.datetime.fromtimestamp(int(refund.get("created") or event.payload["created"]), tz=dt.UTC),
        )
        recorded += 1
    said = [f"{recorded} refund(s) of {charge.get('id')} on the ledger"]
    document = None
    if invoice_id:
        document = AccountingDocument.objects.filter(
            stripe_invoice_id=invoice_id, doc_type=DocumentType.INVOICE
        ).first()
    elif payment_intent:
        document = AccountingDocument.objects.filter(
            doc_type=DocumentType.INVOICE, notes__contains=f"Stripe payment {payment_intent}"
        ).first()
    if document is not None:
        credited = _credit_refunds(document, payment_intent=payment_intent)
        said.append(f"{credited} credit note(s) against {document.number}")
    return "; ".join(said)


def _handle_account_updated(event: StripeEvent) -> str:
    account = event.data_object
    account_id = account.get("id") or ""
    if not account_id.startswith("acct_"):
        raise BillingError(f"not a Connect account: {account_id!r}")
    from venues.models import Venue

    venue = Venue.objects.filter(stripe_account_id=account_id).first()
    requirements = account.get("requirements") or {}
    fields = dict(
        charges_enabled=bool(account.get("charges_enabled")),
        payouts_enabled=bool(account.get("payouts_enabled")),
        details_submitted=bool(account.get("details_submitted")),
        requirements_due=list(requirements.get("currently_due") or []),
        disabled_reason=str(requirements.get("disabled_reason") or "")[:120],
        stripe_state_at=_created(event),
    )
    row = StripeConnectAccount.objects.select_for_update().filter(stripe_account_id=account_id).first()
    if row is None:
        try:
            with transaction.atomic():
                row = StripeConnectAccount.objects.create(stripe_account_id=account_id, venue=venue, **fields)
                return f"Connect account {account_id} recorded ({'ready' if row.is_ready else 'onboarding'})"
        except IntegrityError:
            row = StripeConnectAccount.objects.select_for_update().get(stripe_account_id=account_id)
    if row.venue_id is None and venue is not None:
        row.venue = venue
    if fields["stripe_state_at"] < row.stripe_state_at:
        row.save()
        return f"Connect account {account_id}: older snapshot ignored"
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    return f"Connect account {account_id}: {'ready' if row.is_ready else 'onboarding'}"


HANDLERS: dict[str, Callable[[StripeEvent], str]] = {
    "checkout.session.completed": _handle_checkout_completed,
    "customer.subscription.created": _handle_subscription,
    "customer.subscription.updated": _handle_subscription,
    "customer.subscription.deleted": _handle_subscription,
    "invoice.paid": _handle_invoice_paid,
    "invoice.payment_failed": _handle_invoice_payment_failed,
    "payment_intent.succeeded": _handle_payment_intent,
    "payment_intent.payment_failed": _handle_payment_intent,
    "charge.refunded": _handle_charge_refunded,
    "account.updated": _handle_account_updated,
}

# the types a Stripe webhook endpoint should send us (docs/billing.md), and reconcile lists
HANDLED_EVENT_TYPES = sorted(HANDLERS)


# --------------------------------------------------------------------------- reconcile


def stripe_event_reconcile(*, lookback: dt.timedelta) -> dict[str, int]:
    """List recent events from Stripe, store the ones we never received, and process every
    stored event still pending. Safe to run any time: storing and handlers are idempotent."""
    from billing import stripe_client

    since = int((timezone.now() - lookback).timestamp())
    listed = stored = 0
    for payload in stripe_client.events_since(created_gte=since, types=HANDLED_EVENT_TYPES):
        listed += 1
        _, created = stripe_event_store(payload=payload, source=StripeEventSource.RECONCILE)
        stored += int(created)
    processed = stripe_events_process_pending()
    return {"listed": listed, "stored": stored, "processed": processed}


def subscription_status_sync(*, stale_after: dt.timedelta, limit: int = 200) -> dict[str, int]:
    """Pull from Stripe the subscriptions we have not heard about for ``stale_after`` (not ended ones)."""
    cutoff = timezone.now() - stale_after
    rows = list(
        StripeSubscription.objects.filter(synced_at__lt=cutoff)
        .exclude(status__in=["canceled", "incomplete_expired"])
        .order_by("synced_at")[:limit]
    )
    synced = failed = 0
    for row in rows:
        try:
            subscriptions.subscription_sync_from_stripe(subscription=row)
            synced += 1
        except BillingError as exc:
            failed += 1
            logger.warning("subscription %s not synced: %s", row.stripe_subscription_id, exc)
    return {"synced": synced, "failed": failed}
