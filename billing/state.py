"""Billing state machines, declared once.

The services in billing.services check these tables, the database re-checks them with
triggers generated from the same tables (billing/migrations/0002_billing_db_rules.py via
agnt.db.EnforceTransitions). Accounting-document transitions write an
AccountingDocumentEvent; referral and price-watch transitions stamp their own timestamp
columns (``qualified_at``, ``rewarded_at``, ``triggered_at``…).
"""

from django.db import models


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


D = DocumentStatus
DOCUMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    # draft → void discards a draft that never got a number
    D.DRAFT: frozenset({D.ISSUED, D.VOID}),
    D.ISSUED: frozenset({D.PAID, D.VOID}),
    # a paid invoice is corrected with a credit note, never voided
    D.PAID: frozenset(),
    D.VOID: frozenset(),
}


class ReferralStatus(models.TextChoices):
    PENDING = "pending", "Pending (waiting for the referred user to qualify)"
    QUALIFIED = "qualified", "Qualified"
    REWARDED = "rewarded", "Rewarded"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


R = ReferralStatus
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    R.PENDING: frozenset({R.QUALIFIED, R.EXPIRED, R.CANCELLED}),
    # once qualified the reward is owed even if the window has since passed
    R.QUALIFIED: frozenset({R.REWARDED, R.CANCELLED}),
    R.REWARDED: frozenset(),
    R.EXPIRED: frozenset(),
    R.CANCELLED: frozenset(),
}


class PriceWatchStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    TRIGGERED = "triggered", "Triggered (target price reached)"
    PAUSED = "paused", "Paused"
    EXPIRED = "expired", "Expired"


P = PriceWatchStatus
PRICE_WATCH_TRANSITIONS: dict[str, frozenset[str]] = {
    P.ACTIVE: frozenset({P.TRIGGERED, P.PAUSED, P.EXPIRED}),
    P.PAUSED: frozenset({P.ACTIVE, P.EXPIRED}),
    # triggered → active: the user re-arms the watch (usually with a new target)
    P.TRIGGERED: frozenset({P.ACTIVE, P.EXPIRED}),
    P.EXPIRED: frozenset(),
}
