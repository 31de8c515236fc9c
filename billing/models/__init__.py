"""Billing models: credits and referrals, the commerce ledger and metered usage, accounting
documents with their double-entry ledger, and marketplace price watches / affiliate clicks."""

from billing.models.accounting import (
    DOCUMENT_NUMBER_PREFIX,
    REVENUE_ACCOUNTS,
    AccountingDocument,
    AccountingDocumentEvent,
    AccountingDocumentLine,
    AccountingLedgerEntry,
    DocumentSequence,
    DocumentType,
    LedgerAccount,
    LedgerPosting,
)
from billing.models.collection import (
    FeeCollection,
    FeeCollectionOutcome,
    UsageBilling,
    UsageBillingOutcome,
)
from billing.models.commerce import (
    COMMERCE_TYPES_NEGATIVE,
    COMMERCE_TYPES_POSITIVE,
    ApiKeyUsageEvent,
    CommerceEntryType,
    CommerceLedger,
)
from billing.models.credits import (
    CREDIT_KINDS_ADDING,
    CREDIT_KINDS_REMOVING,
    CreditKind,
    CreditTransaction,
    Referral,
)
from billing.models.integrity import IntegrityCheck, IntegrityFinding, IntegrityRun
from billing.models.marketplace import (
    AffiliateClick,
    AffiliatePartner,
    Marketplace,
    NotifyChannel,
    PriceWatcher,
)
from billing.models.stripe import (
    LIVE_SUBSCRIPTION_STATUSES,
    TERMINAL_SUBSCRIPTION_STATUSES,
    StripeConnectAccount,
    StripeEvent,
    StripeEventSource,
    StripeSubscription,
    SubscriptionKind,
    SubscriptionStatus,
    VenueStripeCustomer,
)
from billing.state import DocumentStatus, PriceWatchStatus, ReferralStatus

__all__ = [
    "COMMERCE_TYPES_NEGATIVE",
    "COMMERCE_TYPES_POSITIVE",
    "CREDIT_KINDS_ADDING",
    "CREDIT_KINDS_REMOVING",
    "DOCUMENT_NUMBER_PREFIX",
    "LIVE_SUBSCRIPTION_STATUSES",
    "TERMINAL_SUBSCRIPTION_STATUSES",
    "REVENUE_ACCOUNTS",
    "AccountingDocument",
    "AccountingDocumentEvent",
    "AccountingDocumentLine",
    "AccountingLedgerEntry",
    "AffiliateClick",
    "AffiliatePartner",
    "ApiKeyUsageEvent",
    "CommerceEntryType",
    "CommerceLedger",
    "CreditKind",
    "CreditTransaction",
    "DocumentSequence",
    "DocumentStatus",
    "DocumentType",
    "IntegrityCheck",
    "IntegrityFinding",
    "IntegrityRun",
    "FeeCollection",
    "FeeCollectionOutcome",
    "LedgerAccount",
    "LedgerPosting",
    "Marketplace",
    "NotifyChannel",
    "PriceWatchStatus",
    "PriceWatcher",
    "Referral",
    "ReferralStatus",
    "StripeConnectAccount",
    "StripeEvent",
    "StripeEventSource",
    "StripeSubscription",
    "SubscriptionKind",
    "SubscriptionStatus",
    "VenueStripeCustomer",
    "UsageBilling",
    "UsageBillingOutcome",
]
