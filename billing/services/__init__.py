"""Write-side operations of billing, one module per area; import them from here.

Safety rules kept here without exception:
- a credit balance changes only in :func:`credit_adjust`, under ``SELECT … FOR UPDATE``
  on the user row, together with the ledger row that explains it;
- ledgers are append-only (the database refuses UPDATE/DELETE): corrections are new rows;
- every recording that can be retried carries an idempotency key (or request id);
- document numbers come from a locked DocumentSequence row inside the issuing
  transaction, so they are gap-free;
- Stripe is called only through billing/stripe_client.py, every POST with an idempotency key
  derived from the domain object, and Stripe's events are stored once before any handler runs.
"""

from billing.services.accounting import (
    LineSpec,
    accounting_document_create,
    accounting_document_issue,
    accounting_document_line_delete,
    accounting_document_line_save,
    accounting_document_mark_paid,
    accounting_document_recalculate,
    accounting_document_void,
    credit_note_create_for_invoice,
    default_tax_rate,
    invoice_create_for_venue,
    line_amount,
)
from billing.services.collection import (
    FeeRefund,
    booking_fee_refund,
    fee_collect,
    fees_collect_pending,
    usage_bill,
    usage_bill_unbilled,
    venue_fees_invoice,
    venues_invoice_pending_fees,
)
from billing.services.commerce import (
    USAGE_PRICES_CENTS,
    api_usage_record,
    booking_fee_basis,
    booking_fee_cents,
    commerce_booking_fee_record,
    commerce_booking_fee_reverse,
    commerce_ledger_record,
    from_cents,
    to_cents,
)
from billing.services.credit_jobs import (
    credit_expire_due,
    credit_expire_for_user,
    credit_lots,
    credit_monthly_grant,
    credit_monthly_grants_run,
)
from billing.services.credit_notes import credit_note_create_partial
from billing.services.credits import (
    credit_adjust,
    credit_grant,
    credit_spend,
    referral_cancel,
    referral_create,
    referral_expire_due,
    referral_qualify,
    referral_reward,
)
from billing.services.errors import (
    BillingError,
    IdempotencyConflict,
    InsufficientCredits,
    InvalidTransition,
    NothingToInvoice,
    ReferralError,
    StripeAuthenticationFailed,
    StripeCardDeclined,
    StripeFailure,
    StripeIdempotencyMismatch,
    StripeInvalidRequest,
    StripeRateLimited,
    StripeUnavailable,
)
from billing.services.fees import booking_fee_sync, commerce_fee_entry_reverse, invoice_monthly_run
from billing.services.integrity import ledger_integrity_check
from billing.services.marketplace import (
    affiliate_click_convert,
    affiliate_click_record,
    hash_ip,
    price_watcher_create,
    price_watcher_record_price,
    price_watcher_set_status,
)
from billing.services.stripe_events import (
    stripe_event_process,
    stripe_event_reconcile,
    stripe_event_store,
    stripe_events_process_pending,
    subscription_status_sync,
)
from billing.services.subscriptions import (
    stripe_customer_ensure_for_user,
    stripe_customer_ensure_for_venue,
    subscription_apply_snapshot,
    subscription_checkout_start,
    subscription_portal_open,
    subscription_sync_from_stripe,
    user_plan_sync,
)

__all__ = [
    "FeeRefund",
    "booking_fee_refund",
    "fee_collect",
    "fees_collect_pending",
    "usage_bill",
    "usage_bill_unbilled",
    "venue_fees_invoice",
    "venues_invoice_pending_fees",
    "USAGE_PRICES_CENTS",
    "BillingError",
    "IdempotencyConflict",
    "InsufficientCredits",
    "InvalidTransition",
    "LineSpec",
    "NothingToInvoice",
    "ReferralError",
    "StripeAuthenticationFailed",
    "StripeCardDeclined",
    "StripeFailure",
    "StripeIdempotencyMismatch",
    "StripeInvalidRequest",
    "StripeRateLimited",
    "StripeUnavailable",
    "accounting_document_create",
    "accounting_document_issue",
    "accounting_document_line_delete",
    "accounting_document_line_save",
    "accounting_document_mark_paid",
    "accounting_document_recalculate",
    "accounting_document_void",
    "affiliate_click_convert",
    "affiliate_click_record",
    "api_usage_record",
    "booking_fee_basis",
    "booking_fee_cents",
    "booking_fee_sync",
    "commerce_fee_entry_reverse",
    "credit_expire_due",
    "credit_expire_for_user",
    "credit_lots",
    "credit_monthly_grant",
    "credit_monthly_grants_run",
    "invoice_monthly_run",
    "ledger_integrity_check",
    "commerce_booking_fee_record",
    "commerce_booking_fee_reverse",
    "commerce_ledger_record",
    "credit_adjust",
    "credit_grant",
    "credit_note_create_for_invoice",
    "credit_note_create_partial",
    "credit_spend",
    "default_tax_rate",
    "from_cents",
    "hash_ip",
    "invoice_create_for_venue",
    "line_amount",
    "price_watcher_create",
    "price_watcher_record_price",
    "price_watcher_set_status",
    "referral_cancel",
    "referral_create",
    "referral_expire_due",
    "referral_qualify",
    "referral_reward",
    "stripe_customer_ensure_for_user",
    "stripe_customer_ensure_for_venue",
    "stripe_event_process",
    "stripe_event_reconcile",
    "stripe_event_store",
    "stripe_events_process_pending",
    "subscription_apply_snapshot",
    "subscription_checkout_start",
    "subscription_portal_open",
    "subscription_status_sync",
    "subscription_sync_from_stripe",
    "to_cents",
    "user_plan_sync",
]
