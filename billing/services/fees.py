"""Booking fees from booking outcomes, and the monthly venue invoices that bill them.

A completed booking owes the venue's referral fee (recorded once in CommerceLedger under
``booking-fee:<booking id>``); a booking that ends cancelled or as a no-show owes none, and
a fee already recorded for it is reversed (``booking-fee-reversal:<booking id>``). The
decision is taken from the booking's status *when the task runs*, so a late, repeated or
out-of-order task cannot record a fee for a booking that did not happen.

Collecting the fee (Stripe invoice items) is a separate job; this module keeps the books.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agnt.models import User
from billing.models import CommerceEntryType, CommerceLedger, DocumentStatus
from billing.services.accounting import accounting_document_issue, invoice_create_for_venue
from billing.services.commerce import commerce_booking_fee_record, commerce_booking_fee_reverse
from billing.services.errors import BillingError, NothingToInvoice

logger = logging.getLogger(__name__)

# Booking statuses that change what the booking owes (bookings.state.BookingStatus values).
FEE_OWED_STATUS = "completed"
FEE_REVERSED_STATUSES = frozenset({"cancelled", "no_show"})
FEE_STATUSES = frozenset({FEE_OWED_STATUS, *FEE_REVERSED_STATUSES})


def booking_fee_sync(*, booking_id) -> CommerceLedger | None:
    """Bring a booking's fee in line with its status: record it when completed, reverse it when the
    booking ended cancelled or as a no-show. Idempotent; returns the row written (or found)."""
    from bookings.models import VenueBooking

    try:
        booking = VenueBooking.objects.select_related("venue", "user").filter(pk=booking_id).first()
    except (ValidationError, ValueError):  # not a booking id at all
        booking = None
    if booking is None:
        logger.warning("booking fee: booking %s does not exist", booking_id)
        return None
    if booking.status == FEE_OWED_STATUS:
        return commerce_booking_fee_record(booking=booking)
    if booking.status in FEE_REVERSED_STATUSES:
        return commerce_booking_fee_reverse(booking=booking, reason=f"booking {booking.get_status_display().lower()}")
    return None


def commerce_fee_entry_reverse(*, entry: CommerceLedger, reason: str) -> CommerceLedger:
    """Reverse one recorded booking fee (a dispute, a goodwill gesture): the staff action on the ledger."""
    if entry.entry_type != CommerceEntryType.BOOKING_FEE or entry.booking_id is None:
        raise BillingError(f"{entry} is not a booking fee; only booking fees can be reversed here")
    reversal = commerce_booking_fee_reverse(booking=entry.booking, reason=reason)
    if reversal is None:  # the fee row exists, so this cannot happen short of a changed key scheme
        raise BillingError(f"{entry} has no fee recorded under its booking's key")
    return reversal


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """``[first day of last month, first day of this month)``."""
    end = today.replace(day=1)
    return (end - dt.timedelta(days=1)).replace(day=1), end


@dataclass
class InvoicingSummary:
    period_start: dt.date
    period_end: dt.date
    issued: list[str] = field(default_factory=list)  # numbers issued by this run
    already: list[str] = field(default_factory=list)  # venues whose invoice for the period existed
    skipped: list[str] = field(default_factory=list)  # venues whose fees net to nothing billable


def invoice_monthly_run(*, today: dt.date | None = None, actor: User | None = None) -> InvoicingSummary:
    """The monthly_invoicing job: for every venue with fees last month, draft its invoice of the
    uninvoiced fee entries and issue it (gap-free number, ledger posted).

    Safe to re-run: a venue that already has a live invoice for the period is left alone
    (the database also allows only one). A venue whose month nets to zero or less (only
    reversals of fees billed earlier) gets no invoice; the run reports it.
    """
    from billing.selectors import _local_midnight
    from venues.models import Venue

    today = today or timezone.localdate()
    period_start, period_end = previous_month(today)
    summary = InvoicingSummary(period_start=period_start, period_end=period_end)
    venue_ids = (
        CommerceLedger.objects.filter(
            entry_type__in=[CommerceEntryType.BOOKING_FEE, CommerceEntryType.FEE_REVERSAL],
            occurred_at__gte=_local_midnight(period_start),
            occurred_at__lt=_local_midnight(period_end),
        )
        .values_list("venue_id", flat=True)
        .distinct()
    )
    for venue in Venue.objects.filter(pk__in=venue_ids).order_by("name", "pk"):
        try:
            with transaction.atomic():
                invoice = invoice_create_for_venue(
                    venue=venue, period_start=period_start, period_end=period_end, created_by=actor
                )
                if invoice.status != DocumentStatus.DRAFT:
                    summary.already.append(str(venue))
                    continue
                if invoice.total <= 0:
                    raise _NotBillable(f"{venue}: fees net to {invoice.total} {invoice.currency}")
                invoice = accounting_document_issue(document=invoice, actor=actor, issue_date=today)
                summary.issued.append(invoice.number)
        except NothingToInvoice:
            summary.already.append(str(venue))
        except (_NotBillable, BillingError) as exc:
            summary.skipped.append(str(exc))
            logger.warning("monthly_invoicing: no invoice for %s: %s", venue, exc)
    logger.info(
        "monthly_invoicing %s–%s: issued %d, already invoiced %d, skipped %d",
        period_start,
        period_end,
        len(summary.issued),
        len(summary.already),
        len(summary.skipped),
    )
    return summary


class _NotBillable(Exception):
    """Raised inside the savepoint so the draft is rolled back with it."""
