"""What billing lets each staff role do (consumed by the setup_roles command).

Credit balances are deliberately absent from every list: they change only through
billing.services.credit_adjust, never through a model permission.
"""

from __future__ import annotations

from django.apps import apps

APP = "billing"


def _view_all() -> list[tuple[str, str]]:
    return [(APP, f"view_{model._meta.model_name}") for model in apps.get_app_config(APP).get_models()]


def venue_owner_permission_codenames() -> list[tuple[str, str]]:
    """Owners read their own venues' fees and invoices (the admin scopes rows to their venues)."""
    return [
        (APP, "view_commerceledger"),
        (APP, "view_accountingdocument"),
        (APP, "view_accountingdocumentline"),
        (APP, "view_stripesubscription"),  # their venue's plan (and the checkout link page)
    ]


def finance_permission_codenames() -> list[tuple[str, str]]:
    """Finance sees all of billing and drafts, issues, voids and marks invoices paid."""
    return sorted(
        {
            *_view_all(),
            (APP, "add_accountingdocument"),
            (APP, "change_accountingdocument"),
            (APP, "add_accountingdocumentline"),
            (APP, "change_accountingdocumentline"),
            (APP, "delete_accountingdocumentline"),
            (APP, "change_referral"),
            (APP, "change_pricewatcher"),
            # "reverse booking fee" on the commerce ledger appends a reversal row (never an edit)
            (APP, "add_commerceledger"),
            # Stripe: reprocess an event, sync a subscription, open a customer portal, venue checkout links
            (APP, "change_stripeevent"),
            (APP, "change_stripesubscription"),
            # money-collect: refund/credit booking fees, the Stripe reconciliation page
            (APP, "refund_fee"),
            (APP, "view_reconciliation"),
        }
    )


def support_permission_codenames() -> list[tuple[str, str]]:
    """Support answers "where did my credits go?": read the credit ledger, referrals and price watches."""
    return [
        (APP, "view_credittransaction"),
        (APP, "view_referral"),
        (APP, "view_pricewatcher"),
        (APP, "view_affiliateclick"),
    ]
