"""The fee ledger (CommerceLedger) and metered API usage: append-only, idempotent recording."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from agnt.models import User
from billing.models import ApiKeyUsageEvent, CommerceEntryType, CommerceLedger
from billing.services.errors import IdempotencyConflict

if TYPE_CHECKING:
    from django.db.models import Model as ApiKey  # an agents.ApiKey (billing does not import agents)

    from bookings.models import VenueBooking
    from venues.models import Venue


def _check_replay(entry: CommerceLedger, *, entry_type: str, amount_cents: int, currency: str) -> CommerceLedger:
    if (entry.entry_type, entry.amount_cents, entry.currency) != (entry_type, amount_cents, currency):
        raise IdempotencyConflict(f"idempotency key {entry.idempotency_key!r} was already used for a different entry")
    return entry


@transaction.atomic
def commerce_ledger_record(
    *,
    entry_type: str,
    amount_cents: int,
    idempotency_key: str,
    currency: str = "IDR",
    venue: Venue | None = None,
    booking: VenueBooking | None = None,
    user: User | None = None,
    api_key: ApiKey | None = None,
    description: str = "",
    stripe_payment_intent_id: str = "",
    stripe_invoice_id: str = "",
    stripe_charge_id: str = "",
    stripe_event_id: str = "",
    occurred_at: dt.datetime | None = None,
) -> CommerceLedger:
    """Append one fee/refund/payout row; recording the same ``idempotency_key`` twice returns the first row."""
    if not idempotency_key:
        raise ValueError("every commerce ledger entry needs an idempotency key")
    if entry_type not in CommerceEntryType.values:
        raise ValueError(f"unknown entry type {entry_type!r}")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents == 0:
        raise ValueError("amount_cents must be a non-zero integer")
    currency = currency.upper()
    existing = CommerceLedger.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _check_replay(existing, entry_type=entry_type, amount_cents=amount_cents, currency=currency)
    fields = dict(
        entry_type=entry_type,
        amount_cents=amount_cents,
        currency=currency,
        idempotency_key=idempotency_key,
        venue_id=venue.pk if venue else (booking.venue_id if booking else None),
        booking=booking,
        user=user,
        api_key=api_key,
        description=description[:300],
        stripe_payment_intent_id=stripe_payment_intent_id,
        stripe_invoice_id=stripe_invoice_id,
        stripe_charge_id=stripe_charge_id,
        stripe_event_id=stripe_event_id,
        occurred_at=occurred_at or timezone.now(),
    )
    try:
        # a savepoint: a concurrent writer of the same key surfaces here as a unique violation
        with transaction.atomic():
            return CommerceLedger.objects.create(**fields)
    except IntegrityError:
        existing = CommerceLedger.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _check_replay(existing, entry_type=entry_type, amount_cents=amount_cents, currency=currency)


def to_cents(amount: Decimal) -> int:
    """Decimal money → integer minor units, rounding half away from zero (as PostgreSQL does)."""
    return int((Decimal(amount) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def booking_fee_basis(booking: VenueBooking) -> tuple[Decimal, str, str] | None:
    """What the referral fee is a percentage of: ``(spend, currency, how it was estimated)``.

    The spend the booking carries (the guest's or venue agent's estimate) comes first.
    Without one, the venue's average spend per person × the party size stands in — the
    same estimate the concierge quotes to guests. Without either there is no fee: we never
    invent a price for a venue.
    """
    if booking.spend_estimate:
        return Decimal(booking.spend_estimate), booking.currency, f"estimated spend {booking.spend_estimate}"
    venue = booking.venue
    if venue.average_spend:
        spend = Decimal(venue.average_spend) * booking.party_size
        return spend, venue.currency, f"average spend {venue.average_spend} × {booking.party_size} guests"
    return None


def booking_fee_cents(booking: VenueBooking) -> int:
    """The platform's referral fee on a booking, in integer cents: the venue's fee % of the spend basis."""
    basis = booking_fee_basis(booking)
    if basis is None:
        return 0
    return to_cents(basis[0] * booking.venue.referral_fee_pct / 100)


def commerce_booking_fee_record(*, booking: VenueBooking) -> CommerceLedger | None:
    """Record the referral fee owed for a booking (once; safe to call again). None when there is no fee."""
    basis = booking_fee_basis(booking)
    fee = booking_fee_cents(booking)
    if basis is None or fee <= 0:
        return None
    _, currency, label = basis
    return commerce_ledger_record(
        entry_type=CommerceEntryType.BOOKING_FEE,
        amount_cents=fee,
        currency=currency,
        venue=booking.venue,
        booking=booking,
        user=booking.user,
        description=f"Referral fee {booking.venue.referral_fee_pct}% of {label} {currency}",
        idempotency_key=f"booking-fee:{booking.pk}",
    )


def commerce_booking_fee_reverse(*, booking: VenueBooking, reason: str = "") -> CommerceLedger | None:
    """Reverse a booking's recorded fee (cancellation, no-show dispute); once. None if no fee was recorded."""
    fee = CommerceLedger.objects.filter(idempotency_key=f"booking-fee:{booking.pk}").first()
    if fee is None:
        return None
    return commerce_ledger_record(
        entry_type=CommerceEntryType.FEE_REVERSAL,
        amount_cents=-fee.amount_cents,
        currency=fee.currency,
        booking=booking,
        user=booking.user,
        description=f"Fee reversal: {reason}"[:300] if reason else "Fee reversal",
        idempotency_key=f"booking-fee-reversal:{booking.pk}",
    )


# Price list for paid intents, in USD cents per call. Intents not listed are free.
USAGE_PRICES_CENTS: dict[str, int] = {
    "booking.confirm": 50,
    "booking.create": 10,
    "booking.search": 1,
    "availability.check": 1,
    "knowledge.ask": 2,
}


@transaction.atomic
def api_usage_record(
    *,
    api_key: ApiKey,
    intent: str,
    request_id: str,
    quantity: int = 1,
    unit_price_cents: int | None = None,
    currency: str = "USD",
    booking: VenueBooking | None = None,
    metadata: dict | None = None,
    occurred_at: dt.datetime | None = None,
) -> ApiKeyUsageEvent:
    """Meter one billable API call. The same ``request_id`` is metered once, however often it is retried."""
    if not request_id:
        raise ValueError("usage events need the API request id")
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    existing = ApiKeyUsageEvent.objects.filter(request_id=request_id).first()
    if existing is not None:
        return existing
    if unit_price_cents is None:
        unit_price_cents = USAGE_PRICES_CENTS.get(intent, 0)
    try:
        with transaction.atomic():
            return ApiKeyUsageEvent.objects.create(
                api_key=api_key,
                intent=intent,
                request_id=request_id,
                quantity=quantity,
                unit_price_cents=unit_price_cents,
                currency=currency.upper(),
                booking=booking,
                metadata=metadata or {},
                occurred_at=occurred_at or timezone.now(),
            )
    except IntegrityError:
        existing = ApiKeyUsageEvent.objects.filter(request_id=request_id).first()
        if existing is None:
            raise
        return existing


def api_key_usage_rollup(*, days: int = 2, now: dt.datetime | None = None) -> int:
    """Recompute ApiKeyUsageDaily (per key, intent and UTC day) for the last ``days`` days.

    One grouped query over ApiKeyUsageEvent and one upsert statement; re-running replaces
    the same rows, so a late event is counted on the next run.
    """
    from django.db import connection

    from billing.models import ApiKeyUsageDaily, ApiKeyUsageEvent

    now = now or timezone.now()
    since = (now - dt.timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    daily = ApiKeyUsageDaily._meta.db_table
    events = ApiKeyUsageEvent._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {daily} (day, api_key_id, intent, currency, events, quantity, amount_cents)
            SELECT (occurred_at AT TIME ZONE 'UTC')::date, api_key_id, intent, currency,
                   count(*), sum(quantity), sum(quantity * unit_price_cents)
              FROM {events}
             WHERE occurred_at >= %s
             GROUP BY 1, 2, 3, 4
            ON CONFLICT (day, api_key_id, intent, currency) DO UPDATE
               SET events = EXCLUDED.events, quantity = EXCLUDED.quantity, amount_cents = EXCLUDED.amount_cents
            """,
            [since],
        )
        return cursor.rowcount
