"""Accounting documents (invoices, receipts, credit notes), their gap-free numbering and
the double-entry ledger behind them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round

from agnt.db import BaseModel, TimestampedModel, choices_check
from billing.state import DocumentStatus


class DocumentType(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    RECEIPT = "receipt", "Receipt"
    CREDIT_NOTE = "credit_note", "Credit note"


DOCUMENT_NUMBER_PREFIX: dict[str, str] = {
    DocumentType.INVOICE: "INV",
    DocumentType.RECEIPT: "RCT",
    DocumentType.CREDIT_NOTE: "CN",
}


class LedgerAccount(models.TextChoices):
    """The chart of accounts. Codes follow the usual ranges: 1xxx assets, 2xxx liabilities,
    4xxx revenue, 5xxx expenses."""

    CASH_STRIPE = "1000", "1000 · Cash — Stripe balance"
    CASH_BANK = "1010", "1010 · Cash — bank"
    ACCOUNTS_RECEIVABLE = "1100", "1100 · Accounts receivable"
    VENUE_PAYABLES = "2000", "2000 · Payables to venues"
    TAX_PAYABLE = "2100", "2100 · Tax payable (PPN)"
    CUSTOMER_CREDITS = "2200", "2200 · Customer credits (deferred revenue)"
    REFERRAL_FEE_REVENUE = "4000", "4000 · Referral fee revenue"
    SUBSCRIPTION_REVENUE = "4100", "4100 · Subscription revenue"
    API_USAGE_REVENUE = "4200", "4200 · API usage revenue"
    AFFILIATE_REVENUE = "4300", "4300 · Affiliate commission revenue"
    OTHER_REVENUE = "4900", "4900 · Other revenue"
    PAYMENT_FEES = "5000", "5000 · Payment processing fees"
    DISCOUNTS = "5100", "5100 · Discounts and write-offs"


REVENUE_ACCOUNTS = frozenset(a for a in LedgerAccount if a.value.startswith("4"))


class DocumentSequence(TimestampedModel):
    """The last number handed out for one document type in one year.

    Issuing locks this row (``SELECT … FOR UPDATE``) and increments it in the issuing
    transaction, so numbers are gap-free: a rolled-back issue rolls the counter back too.
    """

    doc_type = models.CharField(max_length=12, choices=DocumentType.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta(TimestampedModel.Meta):
        ordering = ["-year", "doc_type"]
        constraints = [
            models.UniqueConstraint(fields=["doc_type", "year"], name="document_sequence_type_year_unique"),
            choices_check("doc_type", DocumentType, name="document_sequence_doc_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{DOCUMENT_NUMBER_PREFIX.get(self.doc_type, self.doc_type)}-{self.year}: {self.last_number}"


class AccountingDocument(TimestampedModel):
    """An invoice, receipt or credit note to a venue or a consumer.

    Drafts have no number; issuing allocates the next gap-free number for the type and
    year and posts balanced AccountingLedgerEntry lines in the same transaction. Once
    numbered, the amounts and number are frozen by a database trigger; mistakes are
    corrected with a credit note (or by voiding an unpaid document).
    """

    Type = DocumentType
    Status = DocumentStatus

    doc_type = models.CharField(max_length=12, choices=DocumentType.choices, default=DocumentType.INVOICE)
    status = models.CharField(max_length=8, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT)
    year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    number = models.CharField(max_length=32, unique=True, null=True, blank=True, editable=False)
    venue = models.ForeignKey(
        "venues.Venue", null=True, blank=True, on_delete=models.PROTECT, related_name="accounting_documents"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounting_documents",
        help_text="The user billed (a consumer, or the owner's account for a venue).",
    )
    bill_to_name = models.CharField(max_length=200)
    bill_to_address = models.TextField(blank=True)
    bill_to_tax_id = models.CharField("bill-to tax id (NPWP)", max_length=32, blank=True)
    bill_to_email = models.EmailField(blank=True)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    period_start = models.DateField(null=True, blank=True, help_text="Billing period covered (monthly invoicing).")
    period_end = models.DateField(null=True, blank=True, help_text="Exclusive end of the billing period.")
    currency = models.CharField(max_length=3, default="IDR")
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    tax = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    related_document = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="related_documents",
        help_text="For a credit note or receipt: the invoice it refers to.",
    )
    stripe_invoice_id = models.CharField(max_length=64, blank=True, db_index=True)
    notes = models.TextField(blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("doc_type", DocumentType, name="accounting_document_doc_type_valid"),
            choices_check("status", DocumentStatus, name="accounting_document_status_valid"),
            models.UniqueConstraint(fields=["doc_type", "year", "sequence"], name="accounting_document_number_unique"),
            models.CheckConstraint(
                condition=Q(venue__isnull=False) | Q(customer__isnull=False), name="accounting_document_has_party"
            ),
            # numbers are allocated on issue only: drafts never hold one, issued/paid always do
            models.CheckConstraint(
                condition=(
                    Q(status=DocumentStatus.DRAFT, number__isnull=True, sequence__isnull=True, year__isnull=True)
                    | Q(
                        status__in=[DocumentStatus.ISSUED, DocumentStatus.PAID],
                        number__isnull=False,
                        sequence__isnull=False,
                        year__isnull=False,
                        issue_date__isnull=False,
                    )
                    | Q(status=DocumentStatus.VOID)
                ),
                name="accounting_document_numbered_when_issued",
            ),
            models.CheckConstraint(
                condition=~Q(doc_type=DocumentType.CREDIT_NOTE) | Q(related_document__isnull=False),
                name="accounting_document_credit_note_has_invoice",
            ),
            models.CheckConstraint(
                condition=Q(total=F("subtotal") + F("tax")), name="accounting_document_total_adds_up"
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True) | Q(period_end__gt=F("period_start")),
                name="accounting_document_period_ordered",
            ),
            # one live invoice per venue and billing period: monthly invoicing is safe to re-run
            models.UniqueConstraint(
                fields=["venue", "period_start"],
                name="accounting_document_one_invoice_per_period",
                condition=Q(doc_type=DocumentType.INVOICE, period_start__isnull=False) & ~Q(status=DocumentStatus.VOID),
            ),
        ]
        indexes = [
            models.Index(fields=["venue", "-created_at"], name="acct_doc_venue_recent"),
            models.Index(fields=["customer", "-created_at"], name="acct_doc_customer_recent"),
            models.Index(fields=["status", "due_date"], name="acct_doc_status_due"),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft {self.get_doc_type_display().lower()} · {self.bill_to_name}"


class AccountingDocumentLine(TimestampedModel):
    """A line item shown on a document (display amounts); editable only while the document is a draft.

    ``account`` is the ledger account the line posts to when the document is issued:
    a revenue account for invoices and credit notes, accounts receivable for receipts.
    """

    document = models.ForeignKey(AccountingDocument, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("1.00"))
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="quantity × unit price, rounded to cents.")
    tax_rate = models.DecimalField("tax rate %", max_digits=5, decimal_places=2, default=Decimal("0.00"))
    account = models.CharField(max_length=4, choices=LedgerAccount.choices, default=LedgerAccount.REFERRAL_FEE_REVENUE)
    booking = models.ForeignKey(
        "bookings.VenueBooking", null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    commerce_entry = models.ForeignKey(
        "billing.CommerceLedger",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice_lines",
        help_text="The fee this line bills; an entry on a live invoice is not invoiced again.",
    )

    class Meta(TimestampedModel.Meta):
        ordering = ["document", "position", "created_at"]
        constraints = [
            choices_check("account", LedgerAccount, name="accounting_line_account_valid"),
            models.CheckConstraint(
                condition=Q(amount=Round(F("quantity") * F("unit_price"), 2)), name="accounting_line_amount_matches"
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="accounting_line_tax_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return self.description


class LedgerPosting(models.TextChoices):
    ISSUE = "issue", "Issue"
    VOID = "void", "Void (reversal)"


class AccountingLedgerEntry(BaseModel):
    """One debit or credit line of the double-entry books, posted for a document. Append-only.

    A deferred constraint trigger checks at commit that each document's debits equal its
    credits (per currency), so an unbalanced posting cannot be committed.
    """

    Account = LedgerAccount

    document = models.ForeignKey(AccountingDocument, on_delete=models.PROTECT, related_name="ledger_entries")
    account = models.CharField(max_length=4, choices=LedgerAccount.choices)
    debit_cents = models.BigIntegerField(default=0)
    credit_cents = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    posting = models.CharField(max_length=8, choices=LedgerPosting.choices, default=LedgerPosting.ISSUE)
    memo = models.CharField(max_length=300, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ["created_at"]
        verbose_name_plural = "accounting ledger entries"
        constraints = [
            choices_check("account", LedgerAccount, name="accounting_ledger_account_valid"),
            choices_check("posting", LedgerPosting, name="accounting_ledger_posting_valid"),
            models.CheckConstraint(
                condition=Q(debit_cents__gte=0, credit_cents__gte=0)
                & (Q(debit_cents__gt=0, credit_cents=0) | Q(debit_cents=0, credit_cents__gt=0)),
                name="accounting_ledger_one_sided",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "created_at"], name="acct_ledger_account_time"),
        ]

    def __str__(self) -> str:
        from agnt.money import money_from_minor

        if self.debit_cents:
            return f"{self.get_account_display()} Dr {money_from_minor(self.debit_cents, self.currency)}"
        return f"{self.get_account_display()} Cr {money_from_minor(self.credit_cents, self.currency)}"


class AccountingDocumentEvent(BaseModel):
    """One status change of an accounting document: who issued, paid or voided it, and why. Append-only."""

    document = models.ForeignKey(AccountingDocument, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=8)
    to_status = models.CharField(max_length=8)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ["created_at"]
        indexes = [models.Index(fields=["document", "created_at"], name="acct_doc_event_doc_time")]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"
