"""Demo rows for billing, written through the services (for the seed_demo command and tests).

Idempotent: every write carries an idempotency key or is looked up first, so seeding twice
adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.utils import timezone

from billing import services
from billing.models import (
    AccountingDocument,
    CreditKind,
    DocumentType,
    IntegrityRun,
    LedgerAccount,
    PriceWatcher,
    Referral,
)


def seed_billing_demo(*, users: Sequence, venues: Sequence, staff=None) -> dict[str, int]:
    """Credits, a referral, fees, invoices (issued, paid, draft), a credit note, price watches and clicks."""
    if len(users) < 2 or not venues:
        raise ValueError("the billing demo needs at least two users and one venue")
    first, second = users[0], users[1]
    for user in users:
        services.credit_grant(
            user=user,
            amount=100,
            reason="Welcome credits",
            kind=CreditKind.GRANT,
            idempotency_key=f"demo:welcome:{user.pk}",
        )
    services.credit_spend(user=first, amount=15, reason="Priority booking", idempotency_key=f"demo:spend:{first.pk}")
    if (
        not Referral.objects.filter(referred=second).exists()
        and not Referral.objects.filter(referred=first, referrer=second).exists()
    ):
        referral = services.referral_create(referred=second, code=first.referral_code, reward_credits=50)
        services.referral_reward(referral=referral)

    today = timezone.localdate()
    period_end = today.replace(day=1)
    period_start = (period_end - dt.timedelta(days=1)).replace(day=1)
    for n, venue in enumerate(venues):
        for i in range(3):
            services.commerce_ledger_record(
                entry_type="booking_fee",
                amount_cents=(150_000 + 25_000 * i) * 100,
                currency=venue.currency,
                venue=venue,
                description=f"Referral fee, demo booking {i + 1}",
                idempotency_key=f"demo:fee:{venue.pk}:{i}",
                occurred_at=timezone.make_aware(
                    dt.datetime.combine(period_start + dt.timedelta(days=3 + i), dt.time(19))
                ),
            )
        invoice = services.invoice_create_for_venue(
            venue=venue, period_start=period_start, period_end=period_end, created_by=staff
        )
        if invoice.status == "draft" and n % 3 != 2:  # every third venue keeps a draft to show
            invoice = services.accounting_document_issue(document=invoice, actor=staff)
            if n % 3 == 0:
                services.accounting_document_mark_paid(document=invoice, actor=staff, stripe_charge_id=f"ch_demo_{n}")
            elif not invoice.related_documents.filter(doc_type=DocumentType.CREDIT_NOTE).exists():
                line = invoice.lines.first()
                note = services.credit_note_create_for_invoice(
                    invoice=invoice,
                    reason="One booking disputed",
                    created_by=staff,
                    lines=[
                        services.LineSpec(
                            description=f"Credit: {line.description}",
                            unit_price=line.unit_price,
                            tax_rate=line.tax_rate,
                            account=LedgerAccount.REFERRAL_FEE_REVENUE,
                        )
                    ],
                )
                services.accounting_document_issue(document=note, actor=staff)

    services.commerce_ledger_record(
        entry_type="subscription",
        amount_cents=29_00,
        currency="USD",
        user=first,
        description="Plus plan, monthly",
        idempotency_key="demo:subscription:1",
    )
    if not PriceWatcher.objects.filter(user=first).exists():
        watcher = services.price_watcher_create(
            user=first,
            marketplace="shopee",
            # a listing of the marketplace stand-in's catalogue, so `make run`'s price_watch_check follows it
            product_url="https://shopee.co.id/rattan-round-beach-bag-handwoven-bali-ata-grass-i.1501.15019",
            product_title="Rattan Round Beach Bag Handwoven Bali Ata Grass",
            product_id="SP-1501",
            target_price=Decimal("185000"),
            expires_at=timezone.now() + dt.timedelta(days=90),
        )
        services.price_watcher_record_price(watcher=watcher, price=Decimal("275000"))
        click = services.affiliate_click_record(
            partner="shopee",
            url=watcher.product_url,
            user=first,
            price_watcher=watcher,
            campaign="price-watch",
            ip="203.0.113.7",
        )
        services.affiliate_click_convert(click=click, commission=Decimal("9250"), order_ref="SHP-DEMO-1")
        if venues:
            # a guest opening a venue's website from the concierge (a tracked /go/ link)
            services.affiliate_click_record(
                partner="other", url="https://warung.example/menu", venue=venues[0], campaign="venue", ip="203.0.113.8"
            )
    services.affiliate_click_rollup(days=30)
    from billing.services.commerce import api_key_usage_rollup

    api_key_usage_rollup(days=30)
    # A fee from three months ago that never reached an invoice (it was recorded after its
    # month had been invoiced): the nightly integrity check's one finding in the demo.
    services.commerce_ledger_record(
        entry_type="booking_fee",
        amount_cents=85_000_00,
        currency=venues[0].currency,
        venue=venues[0],
        description="Referral fee, late-recorded demo booking",
        idempotency_key=f"demo:fee:{venues[0].pk}:late",
        occurred_at=timezone.make_aware(dt.datetime.combine(period_start - dt.timedelta(days=45), dt.time(20))),
    )
    if not IntegrityRun.objects.exists():
        services.ledger_integrity_check()
    from billing.demo_stripe import seed_stripe_demo  # Stripe subscriptions, events, Connect status

    seed_stripe_demo(users=users, venues=venues)
    return {"documents": AccountingDocument.objects.count()}
