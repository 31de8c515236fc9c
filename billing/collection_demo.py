"""Demo rows for fee collection and usage billing (called by the demo seeder, agnt/management/demo.py).

Only the settlements that need no Stripe call are seeded — a disputed fee reversed before
collection (both rows skipped) and a free API call (not billable) — so seeding works with
no Stripe at all. With the Stripe stand-in running, the ``collect_booking_fees`` and
``charge_unbilled_usage`` jobs collect the rest. Idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence

from billing import services
from billing.models import CommerceLedger


def seed_collection_demo(*, bookings: Sequence, api_key, request_id: str) -> None:
    mine = CommerceLedger.objects.filter(booking__in=list(bookings))
    if not mine.filter(entry_type="fee_reversal").exists():
        # a fee not collected yet (a re-seed after the jobs ran must not send a credit to Stripe)
        fees = mine.filter(entry_type="booking_fee", fee_collection__isnull=True).order_by("occurred_at")
        disputed = fees.first()
        if disputed is not None and fees.count() > 1:
            reversal = services.commerce_booking_fee_reverse(
                booking=disputed.booking, reason="Demo: the guest disputed the visit"
            )
            services.fee_collect(entry=reversal)  # reversed before collection: fee and reversal skipped
    free_call = services.api_usage_record(
        api_key=api_key, intent="venue.details", request_id=request_id, unit_price_cents=0
    )
    services.usage_bill(event=free_call)  # a free intent: settled as not billable
