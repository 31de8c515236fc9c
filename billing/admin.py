"""Back office for credits, referrals, the fee ledger, metered usage, accounting documents
and marketplace price watches.

Ledgers are read-only here (and append-only in the database); every state change is an
action that calls billing.services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from unfold.admin import TabularInline
from unfold.decorators import display

from agnt.admin_tools import (
    AgntModelAdmin,
    EstimatedCountPaginator,
    EventLogInline,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    VenueScopedAdminMixin,
)
from billing import services
from billing.collection_admin import FeeCollectionOnLedgerMixin, UsageBillingOnUsageMixin  # also registers their admins
from billing.models import (
    AccountingDocument,
    AccountingDocumentEvent,
    AccountingDocumentLine,
    AccountingLedgerEntry,
    AffiliateClick,
    ApiKeyUsageEvent,
    CommerceLedger,
    CreditTransaction,
    DocumentSequence,
    DocumentStatus,
    DocumentType,
    PriceWatcher,
    PriceWatchStatus,
    Referral,
    ReferralStatus,
)

DOCUMENT_STATUS_LABELS = {
    DocumentStatus.DRAFT: "",
    DocumentStatus.ISSUED: "info",
    DocumentStatus.PAID: "success",
    DocumentStatus.VOID: "danger",
}
REFERRAL_STATUS_LABELS = {
    ReferralStatus.PENDING: "info",
    ReferralStatus.QUALIFIED: "warning",
    ReferralStatus.REWARDED: "success",
    ReferralStatus.EXPIRED: "",
    ReferralStatus.CANCELLED: "danger",
}
WATCH_STATUS_LABELS = {
    PriceWatchStatus.ACTIVE: "info",
    PriceWatchStatus.TRIGGERED: "success",
    PriceWatchStatus.PAUSED: "warning",
    PriceWatchStatus.EXPIRED: "",
}


def _cents(cents: int, currency: str) -> str:
    return f"{cents / 100:+,.2f} {currency}"


class _ServiceActionsMixin:
    """Runs a service over the selected rows and reports what worked and what the rules refused."""

    def _run(self, request: HttpRequest, queryset: QuerySet, label: str, call: Callable, errors=(services.BillingError,)) -> None:
        done, refused = [], []
        for obj in queryset:
            try:
                result = call(obj)
                done.append(str(result if isinstance(result, type(obj)) else obj))  # e.g. the new number
            except errors as exc:
                refused.append(f"{obj}: {exc}")
        if done:
            self.message_user(request, f"{label} {len(done)}: {', '.join(done)}.", messages.SUCCESS)
        if refused:
            self.message_user(request, f"Refused {len(refused)} — " + "; ".join(refused), messages.WARNING)


# --------------------------------------------------------------------------- credits


class UserCreditTransactionInline(ReadOnlyInline):
    """Recent credit ledger rows on the user page (agnt.admin adds it to the user page)."""

    model = CreditTransaction
    fk_name = "user"
    fields = ("created_at", "amount", "balance_after", "kind", "reason", "expires_at", "created_by")
    ordering = ("-created_at",)
    show_change_link = True
    verbose_name_plural = "credit ledger (last 90 days; the full ledger is under Billing)"

    def get_queryset(self, request):
        # a long-lived account has thousands of rows; the user page shows the recent ones
        return super().get_queryset(request).filter(created_at__gte=timezone.now() - timedelta(days=90)).select_related("created_by")


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("created_at", "user", "amount_display", "balance_after", "kind", "reason", "reference", "created_by")
    list_filter = ("kind", ("expires_at", admin.EmptyFieldListFilter))
    list_select_related = ("user", "created_by")
    search_fields = ("user__username", "user__email", "reason", "idempotency_key", "reference_id")
    search_help_text = "Username, e-mail, reason, idempotency key or reference id"
    date_hierarchy = "created_at"
    paginator = EstimatedCountPaginator

    @display(description="Amount", ordering="amount", label={"+": "success", "-": "danger"})
    def amount_display(self, obj: CreditTransaction):
        return ("+" if obj.amount > 0 else "-"), f"{obj.amount:+,d}"

    @display(description="Reference")
    def reference(self, obj: CreditTransaction) -> str:
        return f"{obj.reference_type}:{obj.reference_id}" if obj.reference_type else "—"


@admin.register(Referral)
class ReferralAdmin(_ServiceActionsMixin, AgntModelAdmin):
    list_display = ("created_at", "referrer", "referred", "code", "status_badge", "reward_credits", "expires_at", "rewarded_at")
    list_filter = ("status",)
    list_select_related = ("referrer", "referred")
    search_fields = ("code", "referrer__username", "referrer__email", "referred__username", "referred__email")
    date_hierarchy = "created_at"
    autocomplete_fields = ("referrer", "referred")
    readonly_fields = (
        "referrer", "referred", "code", "status", "qualified_at", "rewarded_at", "reward_transaction", "created_at",
        "updated_at",
    )
    fields = ("referrer", "referred", "code", "status", "reward_credits", "expires_at", "qualified_at", "rewarded_at", "reward_transaction", "created_at", "updated_at")
    actions = ("qualify", "reward", "cancel")

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # referrals come from sign-ups (billing.services.referral_create)

    @display(description="Status", ordering="status", label=REFERRAL_STATUS_LABELS)
    def status_badge(self, obj: Referral):
        return obj.status, obj.get_status_display()

    @admin.action(description="Mark qualified", permissions=["change"])
    def qualify(self, request, queryset):
        self._run(request, queryset, "Qualified", lambda r: services.referral_qualify(referral=r))

    @admin.action(description="Pay the referral reward (credits the referrer once)", permissions=["change"])
    def reward(self, request, queryset):
        self._run(request, queryset, "Rewarded", lambda r: services.referral_reward(referral=r))

    @admin.action(description="Cancel referral", permissions=["change"])
    def cancel(self, request, queryset):
        self._run(request, queryset, "Cancelled", lambda r: services.referral_cancel(referral=r))


# --------------------------------------------------------------------------- commerce ledger, usage


@admin.register(CommerceLedger)
class CommerceLedgerAdmin(FeeCollectionOnLedgerMixin, ReadOnlyAdminMixin, VenueScopedAdminMixin, AgntModelAdmin):
    venue_path = "venue"
    list_display = (
        "occurred_at", "entry_type", "venue", "booking", "amount_display", "description", "stripe_collection",
        "stripe_payment_intent_id",
    )
    actions = ("refund_fee",)
    list_filter = ("entry_type", "currency", ("venue__city", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("venue", "booking__venue", "user", "fee_collection")
    search_fields = (
        "idempotency_key", "description", "venue__name", "booking__external_ref", "stripe_payment_intent_id",
        "stripe_invoice_id", "stripe_charge_id", "stripe_event_id",
    )
    search_help_text = "Venue, booking reference, description, idempotency key or a Stripe id"
    date_hierarchy = "occurred_at"
    paginator = EstimatedCountPaginator

    @display(description="Amount", ordering="amount_cents")
    def amount_display(self, obj: CommerceLedger) -> str:
        return _cents(obj.amount_cents, obj.currency)


@admin.register(ApiKeyUsageEvent)
class ApiKeyUsageEventAdmin(UsageBillingOnUsageMixin, ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("occurred_at", "api_key", "intent", "quantity", "unit_price", "amount", "stripe_billing", "booking", "request_id")
    list_filter = ("intent", "currency")
    list_select_related = ("api_key", "booking__venue", "billing")
    search_fields = ("request_id", "intent", "api_key__prefix", "api_key__name", "api_key__owner__email")
    date_hierarchy = "occurred_at"
    paginator = EstimatedCountPaginator

    @display(description="Unit price", ordering="unit_price_cents")
    def unit_price(self, obj: ApiKeyUsageEvent) -> str:
        return f"{obj.unit_price_cents / 100:,.2f} {obj.currency}"

    @display(description="Amount")
    def amount(self, obj: ApiKeyUsageEvent) -> str:
        return f"{obj.amount_cents / 100:,.2f} {obj.currency}"


# --------------------------------------------------------------------------- accounting


class DocumentLineInline(TabularInline):
    model = AccountingDocumentLine
    extra = 0
    fields = ("position", "description", "quantity", "unit_price", "tax_rate", "account", "amount", "booking", "commerce_entry")
    readonly_fields = ("amount",)
    autocomplete_fields = ("booking", "commerce_entry")
    ordering = ("position", "created_at")

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == DocumentStatus.DRAFT

    def has_add_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


class DocumentLedgerInline(ReadOnlyInline):
    model = AccountingLedgerEntry
    fields = ("created_at", "posting", "account", "debit", "credit", "currency", "memo")
    verbose_name_plural = "ledger postings"

    @display(description="Debit")
    def debit(self, obj: AccountingLedgerEntry) -> str:
        return f"{obj.debit_cents / 100:,.2f}" if obj.debit_cents else ""

    @display(description="Credit")
    def credit(self, obj: AccountingLedgerEntry) -> str:
        return f"{obj.credit_cents / 100:,.2f}" if obj.credit_cents else ""


class DocumentEventInline(EventLogInline):
    model = AccountingDocumentEvent
    fields = ("created_at", "from_status", "to_status", "actor", "reason")


DOCUMENT_SYSTEM_FIELDS = (
    "status", "number", "issue_date", "issued_at", "paid_at", "voided_at", "void_reason",
    "subtotal", "tax", "total", "created_by", "created_at", "updated_at",
)
# Once numbered a document is a legal record; only these remain editable.
DOCUMENT_EDITABLE_AFTER_ISSUE = ("notes", "stripe_invoice_id", "due_date")


@admin.register(AccountingDocument)
class AccountingDocumentAdmin(_ServiceActionsMixin, VenueScopedAdminMixin, AgntModelAdmin):
    venue_path = "venue"
    list_display = (
        "display_number", "doc_type", "status_badge", "bill_to_name", "venue", "issue_date", "due_date", "total_display",
    )
    list_filter = ("doc_type", "status", "currency", ("venue__city", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("venue", "customer")
    search_fields = ("number", "bill_to_name", "bill_to_email", "bill_to_tax_id", "venue__name", "customer__email", "stripe_invoice_id")
    search_help_text = "Number, bill-to name/e-mail/tax id, venue, customer e-mail or Stripe invoice id"
    date_hierarchy = "created_at"
    autocomplete_fields = ("venue", "customer", "related_document")
    inlines = [DocumentLineInline, DocumentLedgerInline, DocumentEventInline]
    actions = ("issue", "mark_paid", "void", "draft_credit_note")
    fieldsets = (
        (None, {"fields": ("doc_type", "status", "number", "related_document")}),
        ("Bill to", {"fields": ("venue", "customer", "bill_to_name", "bill_to_address", "bill_to_tax_id", "bill_to_email")}),
        ("Dates", {"fields": ("issue_date", "due_date", "period_start", "period_end", "issued_at", "paid_at", "voided_at", "void_reason")}),
        ("Amounts", {"fields": ("currency", "subtotal", "tax", "total")}),
        ("Other", {"fields": ("stripe_invoice_id", "notes", "created_by", "created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.status == DocumentStatus.DRAFT:
            return DOCUMENT_SYSTEM_FIELDS
        every = [f for _, opts in self.fieldsets for f in opts["fields"]]
        return tuple(f for f in every if f not in DOCUMENT_EDITABLE_AFTER_ISSUE)

    @display(description="Number", ordering="number")
    def display_number(self, obj: AccountingDocument) -> str:
        return obj.number or "(draft)"

    @display(description="Status", ordering="status", label=DOCUMENT_STATUS_LABELS)
    def status_badge(self, obj: AccountingDocument):
        return obj.status, obj.get_status_display()

    @display(description="Total", ordering="total")
    def total_display(self, obj: AccountingDocument) -> str:
        return f"{obj.total:,.2f} {obj.currency}"

    def save_model(self, request, obj: AccountingDocument, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.accounting_document_create(
            doc_type=obj.doc_type, venue=obj.venue, customer=obj.customer, currency=obj.currency,
            related_document=obj.related_document, period_start=obj.period_start, period_end=obj.period_end,
            due_date=obj.due_date, bill_to_name=obj.bill_to_name, bill_to_address=obj.bill_to_address,
            bill_to_tax_id=obj.bill_to_tax_id, bill_to_email=obj.bill_to_email, notes=obj.notes,
            created_by=request.user,
        )
        if obj.stripe_invoice_id:
            created.stripe_invoice_id = obj.stripe_invoice_id
            created.save(update_fields=["stripe_invoice_id", "updated_at"])
        obj.pk, obj._state, obj.created_by = created.pk, created._state, created.created_by

    def save_formset(self, request, form, formset, change):
        if formset.model is not AccountingDocumentLine:
            return super().save_formset(request, form, formset, change)
        # lines go through the service: amount = quantity × price, totals recomputed
        lines = formset.save(commit=False)
        for line in formset.deleted_objects:
            services.accounting_document_line_delete(line=line)
        for line in lines:
            line.document = form.instance
            services.accounting_document_line_save(line=line)
        formset.save_m2m()

    @admin.action(description="Issue (assign the next number and post to the ledger)", permissions=["change"])
    def issue(self, request, queryset):
        self._run(
            request, queryset.order_by("created_at"), "Issued",
            lambda d: services.accounting_document_issue(document=d, actor=request.user),
        )

    @admin.action(description="Mark paid (issues a receipt)", permissions=["change"])
    def mark_paid(self, request, queryset):
        self._run(
            request, queryset, "Marked paid",
            lambda d: services.accounting_document_mark_paid(document=d, actor=request.user),
        )

    @admin.action(description="Void (reverses the ledger postings)", permissions=["change"])
    def void(self, request, queryset):
        reason = f"Voided in the back office by {request.user}"
        self._run(
            request, queryset, "Voided",
            lambda d: services.accounting_document_void(document=d, actor=request.user, reason=reason),
        )

    @admin.action(description="Draft a full credit note", permissions=["add"])
    def draft_credit_note(self, request, queryset):
        self._run(
            request, queryset.filter(doc_type=DocumentType.INVOICE), "Drafted credit notes for",
            lambda d: services.credit_note_create_for_invoice(
                invoice=d, reason=f"credited by {request.user}", created_by=request.user
            ),
        )


@admin.register(AccountingDocumentLine)
class AccountingDocumentLineAdmin(ReadOnlyAdminMixin, VenueScopedAdminMixin, AgntModelAdmin):
    """Lines are edited on their document while it is a draft; this list is for searching."""

    venue_path = "document__venue"
    list_display = ("document", "position", "description", "quantity", "unit_price", "tax_rate", "amount", "account")
    list_filter = ("account",)
    list_select_related = ("document",)
    search_fields = ("description", "document__number", "booking__external_ref")


@admin.register(AccountingLedgerEntry)
class AccountingLedgerEntryAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("created_at", "document", "account", "debit", "credit", "currency", "posting", "memo")
    list_filter = ("account", "posting", "currency")
    list_select_related = ("document",)
    search_fields = ("document__number", "memo")
    date_hierarchy = "created_at"
    paginator = EstimatedCountPaginator

    @display(description="Debit", ordering="debit_cents")
    def debit(self, obj: AccountingLedgerEntry) -> str:
        return f"{obj.debit_cents / 100:,.2f}" if obj.debit_cents else ""

    @display(description="Credit", ordering="credit_cents")
    def credit(self, obj: AccountingLedgerEntry) -> str:
        return f"{obj.credit_cents / 100:,.2f}" if obj.credit_cents else ""


@admin.register(AccountingDocumentEvent)
class AccountingDocumentEventAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("created_at", "document", "from_status", "to_status", "actor", "reason")
    list_filter = ("to_status",)
    list_select_related = ("document", "actor")
    search_fields = ("document__number", "reason")
    date_hierarchy = "created_at"


@admin.register(DocumentSequence)
class DocumentSequenceAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    """Read-only: editing a counter by hand would break gap-free numbering."""

    list_display = ("doc_type", "year", "last_number", "updated_at")
    list_filter = ("doc_type", "year")
    search_fields = ("doc_type",)


# --------------------------------------------------------------------------- marketplace


@admin.register(PriceWatcher)
class PriceWatcherAdmin(_ServiceActionsMixin, AgntModelAdmin):
    list_display = (
        "product", "user", "marketplace", "target_price", "last_price", "lowest_price", "status_badge",
        "last_checked_at", "notify_channel",
    )
    list_filter = ("status", "marketplace", "notify_channel")
    list_select_related = ("user",)
    search_fields = ("product_title", "product_url", "product_id", "user__username", "user__email")
    date_hierarchy = "created_at"
    autocomplete_fields = ("user",)
    readonly_fields = (
        "status", "last_price", "lowest_price", "last_checked_at", "check_failures", "triggered_at", "notified_at",
        "created_at", "updated_at",
    )
    actions = ("pause", "resume", "expire")

    @display(description="Product", ordering="product_title")
    def product(self, obj: PriceWatcher) -> str:
        return obj.product_title or obj.product_url[:60]

    @display(description="Status", ordering="status", label=WATCH_STATUS_LABELS)
    def status_badge(self, obj: PriceWatcher):
        return obj.status, obj.get_status_display()

    def _set(self, request, queryset, status: str, label: str) -> None:
        self._run(request, queryset, label, lambda w: services.price_watcher_set_status(watcher=w, status=status))

    @admin.action(description="Pause", permissions=["change"])
    def pause(self, request, queryset):
        self._set(request, queryset, PriceWatchStatus.PAUSED, "Paused")

    @admin.action(description="Resume / re-arm", permissions=["change"])
    def resume(self, request, queryset):
        self._set(request, queryset, PriceWatchStatus.ACTIVE, "Resumed")

    @admin.action(description="Expire", permissions=["change"])
    def expire(self, request, queryset):
        self._set(request, queryset, PriceWatchStatus.EXPIRED, "Expired")


@admin.register(AffiliateClick)
class AffiliateClickAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("clicked_at", "partner", "campaign", "user", "venue", "converted_at", "commission", "commission_currency")
    list_filter = ("partner", ("converted_at", admin.EmptyFieldListFilter))
    list_select_related = ("user", "venue")
    search_fields = ("campaign", "url", "order_ref", "user__username", "venue__name")
    date_hierarchy = "clicked_at"
    paginator = EstimatedCountPaginator
