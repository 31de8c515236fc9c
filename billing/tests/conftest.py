"""Shared test data for billing tests."""

from __future__ import annotations

from decimal import Decimal

import pytest
from model_bakery import baker

from agnt.models import User
from billing import services
from billing.models import AccountingDocument, LedgerAccount
from venues.tests.factories import make_venue


@pytest.fixture
def user(db) -> User:
    return baker.make(User, username="maya", email="maya@example.com")


@pytest.fixture
def venue(db):
    return make_venue(name="Warung Biru", currency="IDR", referral_fee_pct=Decimal("10.00"))


def draft_invoice(venue, *amounts: str, tax_rate: str = "11", **kwargs) -> AccountingDocument:
    """A draft invoice to ``venue`` with one referral-fee line per amount."""
    lines = [
        services.LineSpec(
            description=f"Fee {n}",
            unit_price=Decimal(a),
            tax_rate=Decimal(tax_rate),
            account=LedgerAccount.REFERRAL_FEE_REVENUE,
        )
        for n, a in enumerate(amounts or ("100.00",), start=1)
    ]
    return services.accounting_document_create(venue=venue, lines=lines, **kwargs)
