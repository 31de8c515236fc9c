"""Back office for credits, referrals, the fee ledger, metered usage, accounting documents
and marketplace price watches.

Ledgers are read-only here (and append-only in the database); every state change is an
action that calls billing.services.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from unfold.admin import TabularInline
from unfold.decorators import action, display

from agnt.admin_export import CsvExportAdminMixin
from agnt.admin_tools import (
    AgntModelAdmin,
    EstimatedCountPaginator,
    EventLogInline,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    RecentRowsInline,
    UserSearchMixin,
    VenueScopedAdminMixin,
    static_choices_filter,
)
from agnt.money import money, money_from_minor
from agnt.roles import is_platform_staff
from billing import plans, services
from billing.collection_admin import FeeCollectionOnLedgerMixin, UsageBillingOnUsageMixin  # also registers their admins
from billing.models import (
    AccountingDocument,
    AccountingDocumentEvent,
    AccountingDocumentLine,
    AccountingLedgerEntry,
    AffiliateClick,
    AffiliateClickDaily,
    ApiKeyUsageDaily,
    ApiKeyUsageEvent,
    CommerceLedger,
    CreditTransaction,
    DocumentSequence,
    DocumentStatus,
    DocumentType,
    IntegrityFinding,
    IntegrityRun,
    PricePoint,
    PriceWatcher,
    PriceWatchStatus,
    Referral,
    ReferralStatus,
    StripeConnectAccount,
    StripeEvent,
    StripeSubscription,
    SubscriptionKind,
    SubscriptionStatus,
    VenueStripeCustomer,
)
from billing.resources import ApiKeyUsageEventResource, CommerceLedgerResource, CreditTransactionResource
from billing.services.commerce import USAGE_PRICES_CENTS
from venues.selectors import owned_venue_ids

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
    return money_from_minor(cents, currency, signed=True)


class _ServiceActionsMixin:
    """Runs a service over the selected rows and reports what worked and what the rules refused."""

    def _run(
        self, request: HttpRequest, queryset: QuerySet, label: str, call: Callable, errors=(services.BillingError,)
    ) -> None:
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


class CreditNoteForm(forms.Form):
    """The intermediate form of the "Credit note…" button on an invoice."""

    FULL, PARTIAL = "full", "partial"
    scope = forms.ChoiceField(
        choices=[(FULL, "Full — every line of the invoice"), (PARTIAL, "Partial — an amount before tax")],
        initial=FULL,
        widget=forms.RadioSelect,
    )
    net_amount = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="Partial only: the amount before tax to credit; tax follows at the invoice's rate.",
    )
    reason = forms.CharField(max_length=200, help_text="Printed on the credit note.")
    issue_now = forms.BooleanField(required=False, initial=True, help_text="Give it a number and post it at once.")

    def __init__(self, *args, invoice: AccountingDocument, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice = invoice

    def clean(self):
        data = super().clean()
        if data.get("scope") == self.PARTIAL:
            amount = data.get("net_amount")
            if not amount:
                self.add_error("net_amount", "Enter the amount to credit.")
            elif amount > self.invoice.subtotal:
                self.add_error(
                    "net_amount",
                    f"At most the invoice subtotal, {money(self.invoice.subtotal, self.invoice.currency)}.",
                )
        return data


# --------------------------------------------------------------------------- credits


class UserCreditTransactionInline(RecentRowsInline):
    """The user's credit ledger on the user page: the ten newest rows, then "see all N →" to
    Billing → Credit transactions filtered to the user (agnt.admin adds it)."""

    model = CreditTransaction
    fk_name = "user"
    fields = ("created_at", "amount", "balance_after", "kind", "reason", "expires_at", "created_by")
    ordering = ("-created_at",)
    show_change_link = True
    see_all_filter = "user__id__exact"
    verbose_name_plural = "credit ledger (newest first)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


@admin.register(CreditTransaction)
class CreditTransactionAdmin(CsvExportAdminMixin, UserSearchMixin, ReadOnlyAdminMixin, AgntModelAdmin):
    resource_classes = [CreditTransactionResource]
    list_display = (
        "created_at",
        "user",
        "amount_display",
        "balance_after",
        "kind",
        "reason",
        "reference",
        "created_by",
    )
    # a date filter with fixed options, not a date hierarchy (two full scans per page at 100k+ rows)
    list_filter = ("kind", "created_at", ("expires_at", admin.EmptyFieldListFilter))
    list_select_related = ("user", "created_by")
    # indexed lookups only: the exact idempotency key, or a user's exact username / e-mail
    # (UserSearchMixin); a user's rows are also one click from their page
    search_fields = ("idempotency_key__exact",)
    search_help_text = "Exact username, e-mail or idempotency key"
    paginator = EstimatedCountPaginator

    @display(description="Amount", ordering="amount", label={"+": "success", "-": "danger"})
    def amount_display(self, obj: CreditTransaction):
        return ("+" if obj.amount > 0 else "-"), f"{obj.amount:+,d}"

    @display(description="Reference")
    def reference(self, obj: CreditTransaction) -> str:
        return f"{obj.reference_type}:{obj.reference_id}" if obj.reference_type else "—"


@admin.register(Referral)
class ReferralAdmin(_ServiceActionsMixin, AgntModelAdmin):
    list_display = (
        "created_at",
        "referrer",
        "referred",
        "code",
        "status_badge",
        "reward_credits",
        "expires_at",
        "rewarded_at",
    )
    list_filter = ("status",)
    list_select_related = ("referrer", "referred")
    search_fields = ("code", "referrer__username", "referrer__email", "referred__username", "referred__email")
    date_hierarchy = "created_at"
    autocomplete_fields = ("referrer", "referred")
    readonly_fields = (
        "referrer",
        "referred",
        "code",
        "status",
        "qualified_at",
        "rewarded_at",
        "reward_transaction",
        "created_at",
        "updated_at",
    )
    fields = (
        "referrer",
        "referred",
        "code",
        "status",
        "reward_credits",
        "expires_at",
        "qualified_at",
        "rewarded_at",
        "reward_transaction",
        "created_at",
        "updated_at",
    )
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
class CommerceLedgerAdmin(
    CsvExportAdminMixin,
    FeeCollectionOnLedgerMixin,
    _ServiceActionsMixin,
    ReadOnlyAdminMixin,
    VenueScopedAdminMixin,
    AgntModelAdmin,
):
    venue_path = "venue"
    resource_classes = [CommerceLedgerResource]
    list_display = (
        "occurred_at",
        "entry_type",
        "venue",
        "booking",
        "amount_display",
        "description",
        "stripe_collection",
        "stripe_payment_intent_id",
    )
    actions = ("refund_fee",)
    list_filter = ("entry_type", "currency", ("venue__city", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("venue", "booking__venue", "user", "fee_collection")
    search_fields = (
        "idempotency_key",
        "description",
        "venue__name",
        "booking__external_ref",
        "stripe_payment_intent_id",
        "stripe_invoice_id",
        "stripe_charge_id",
        "stripe_event_id",
    )
    search_help_text = "Venue, booking reference, description, idempotency key or a Stripe id"
    date_hierarchy = "occurred_at"
    paginator = EstimatedCountPaginator

    @display(description="Amount", ordering="amount_cents")
    def amount_display(self, obj: CommerceLedger) -> str:
        return _cents(obj.amount_cents, obj.currency)


@admin.register(ApiKeyUsageEvent)
class ApiKeyUsageEventAdmin(CsvExportAdminMixin, UsageBillingOnUsageMixin, ReadOnlyAdminMixin, AgntModelAdmin):
    resource_classes = [ApiKeyUsageEventResource]
    list_display = (
        "occurred_at",
        "api_key",
        "intent",
        "quantity",
        "unit_price",
        "amount",
        "stripe_billing",
        "booking",
        "request_id",
    )
    # fixed options: a plain field filter would SELECT DISTINCT over every event on each load
    list_filter = (
        static_choices_filter("intent", "intent", [(intent, intent) for intent in sorted(USAGE_PRICES_CENTS)]),
        "occurred_at",
    )
    list_select_related = ("api_key", "booking__venue", "billing")
    search_fields = ("request_id__exact",)
    search_help_text = "Exact request id, key prefix, or the key owner's exact username / e-mail"
    paginator = EstimatedCountPaginator

    def get_search_results(self, request, queryset, search_term):
        """Request ids match exactly; a key prefix or its owner resolve to key ids first, so
        the events are filtered by their indexed ``api_key`` column (no join, no LIKE)."""
        from django.contrib.auth import get_user_model

        from agents.models import ApiKey

        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term and len(term) <= 254:
            owners = get_user_model().objects.filter(Q(username__iexact=term) | Q(email__iexact=term))
            keys = list(ApiKey.objects.filter(Q(prefix=term) | Q(owner__in=owners)).values_list("pk", flat=True)[:200])
            if keys:
                results = results | queryset.filter(api_key_id__in=keys)
        return results, may_have_duplicates

    @display(description="Unit price", ordering="unit_price_cents")
    def unit_price(self, obj: ApiKeyUsageEvent) -> str:
        return money_from_minor(obj.unit_price_cents, obj.currency)

    @display(description="Amount", ordering="amount_cents")
    def amount(self, obj: ApiKeyUsageEvent) -> str:
        return money_from_minor(obj.amount_cents, obj.currency)


# --------------------------------------------------------------------------- accounting


class DocumentLineInline(TabularInline):
    model = AccountingDocumentLine
    extra = 0
    fields = (
        "position",
        "description",
        "quantity",
        "unit_price",
        "tax_rate",
        "account",
        "amount_display",
        "booking",
        "commerce_entry",
    )
    readonly_fields = ("amount_display",)
    autocomplete_fields = ("booking", "commerce_entry")
    ordering = ("position", "created_at")

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == DocumentStatus.DRAFT

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("document")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self._editable(obj):
            return fields
        # an issued document's lines are read, not typed: the price as money too
        return tuple("unit_price_display" if name == "unit_price" else name for name in fields)

    def get_readonly_fields(self, request, obj=None):
        if self._editable(obj):
            return self.readonly_fields
        return self.get_fields(request, obj)

    @display(description="Unit price")
    def unit_price_display(self, obj: AccountingDocumentLine) -> str:
        return money(obj.unit_price, obj.document.currency) if obj.pk else ""

    @display(description="Amount")
    def amount_display(self, obj: AccountingDocumentLine) -> str:
        return money(obj.amount, obj.document.currency) if obj.pk else ""

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
        return money_from_minor(obj.debit_cents, obj.currency) if obj.debit_cents else ""

    @display(description="Credit")
    def credit(self, obj: AccountingLedgerEntry) -> str:
        return money_from_minor(obj.credit_cents, obj.currency) if obj.credit_cents else ""


class DocumentEventInline(EventLogInline):
    model = AccountingDocumentEvent
    fields = ("created_at", "from_status", "to_status", "actor", "reason")


DOCUMENT_SYSTEM_FIELDS = (
    "status",
    "number",
    "issue_date",
    "issued_at",
    "paid_at",
    "voided_at",
    "void_reason",
    "subtotal_display",
    "tax_display",
    "total_display",
    "created_by",
    "created_at",
    "updated_at",
)
# Once numbered a document is a legal record; only these remain editable.
DOCUMENT_EDITABLE_AFTER_ISSUE = ("notes", "stripe_invoice_id", "due_date")


@admin.register(AccountingDocument)
class AccountingDocumentAdmin(_ServiceActionsMixin, VenueScopedAdminMixin, AgntModelAdmin):
    venue_path = "venue"
    list_display = (
        "display_number",
        "doc_type",
        "status_badge",
        "bill_to_name",
        "venue",
        "issue_date",
        "due_date",
        "total_display",
    )
    list_filter = ("doc_type", "status", "currency", ("venue__city", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("venue", "customer")
    search_fields = (
        "number",
        "bill_to_name",
        "bill_to_email",
        "bill_to_tax_id",
        "venue__name",
        "customer__email",
        "stripe_invoice_id",
    )
    search_help_text = "Number, bill-to name/e-mail/tax id, venue, customer e-mail or Stripe invoice id"
    date_hierarchy = "created_at"
    autocomplete_fields = ("venue", "customer", "related_document")
    inlines = [DocumentLineInline, DocumentLedgerInline, DocumentEventInline]
    actions = ("issue", "mark_paid", "void", "draft_credit_note")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if not is_platform_staff(request.user):
            # Owners see what was issued to them: no drafts Finance is still working on.
            qs = qs.exclude(status="draft")
        return qs

    def get_inlines(self, request, obj):
        if is_platform_staff(request.user):
            return self.inlines
        # The ledger lines carry our internal account codes; owners get the document itself.
        return [DocumentLineInline, DocumentEventInline]

    actions_detail = ("print_document", "credit_note")
    fieldsets = (
        (None, {"fields": ("doc_type", "status", "number", "related_document")}),
        (
            "Bill to",
            {"fields": ("venue", "customer", "bill_to_name", "bill_to_address", "bill_to_tax_id", "bill_to_email")},
        ),
        (
            "Dates",
            {
                "fields": (
                    "issue_date",
                    "due_date",
                    "period_start",
                    "period_end",
                    "issued_at",
                    "paid_at",
                    "voided_at",
                    "void_reason",
                )
            },
        ),
        ("Amounts", {"fields": ("currency", "subtotal_display", "tax_display", "total_display")}),
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

    @display(description="Subtotal", ordering="subtotal")
    def subtotal_display(self, obj: AccountingDocument) -> str:
        return money(obj.subtotal, obj.currency)

    @display(description="Tax", ordering="tax")
    def tax_display(self, obj: AccountingDocument) -> str:
        return money(obj.tax, obj.currency)

    @display(description="Total", ordering="total")
    def total_display(self, obj: AccountingDocument) -> str:
        return money(obj.total, obj.currency)

    def save_model(self, request, obj: AccountingDocument, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.accounting_document_create(
            doc_type=obj.doc_type,
            venue=obj.venue,
            customer=obj.customer,
            currency=obj.currency,
            related_document=obj.related_document,
            period_start=obj.period_start,
            period_end=obj.period_end,
            due_date=obj.due_date,
            bill_to_name=obj.bill_to_name,
            bill_to_address=obj.bill_to_address,
            bill_to_tax_id=obj.bill_to_tax_id,
            bill_to_email=obj.bill_to_email,
            notes=obj.notes,
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
            request,
            queryset.order_by("created_at"),
            "Issued",
            lambda d: services.accounting_document_issue(document=d, actor=request.user),
        )

    @admin.action(description="Mark paid (issues a receipt)", permissions=["change"])
    def mark_paid(self, request, queryset):
        self._run(
            request,
            queryset,
            "Marked paid",
            lambda d: services.accounting_document_mark_paid(document=d, actor=request.user),
        )

    @admin.action(description="Void (reverses the ledger postings)", permissions=["change"])
    def void(self, request, queryset):
        reason = f"Voided in the back office by {request.user}"
        self._run(
            request,
            queryset,
            "Voided",
            lambda d: services.accounting_document_void(document=d, actor=request.user, reason=reason),
        )

    def has_print_permission(self, request, object_id=None) -> bool:
        return self.has_view_permission(request)

    def has_credit_note_permission(self, request, object_id=None) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    @action(description="Print / PDF", url_path="print", permissions=["print"], icon="print")
    def print_document(self, request, object_id):
        document = self.get_object(request, object_id)  # owners: their venues' documents only
        if document is None:
            raise Http404("No such document")
        return redirect(reverse("billing:document_print", args=[document.pk]))

    @action(description="Credit note…", url_path="credit-note", permissions=["credit_note"], icon="undo")
    def credit_note(self, request, object_id):
        """Credit this invoice in full or in part (an intermediate form), optionally issuing the note at once."""
        invoice = self.get_object(request, object_id)
        if invoice is None:
            raise Http404("No such document")
        change_url = reverse("admin:billing_accountingdocument_change", args=[invoice.pk])
        if invoice.doc_type != DocumentType.INVOICE or invoice.status not in (
            DocumentStatus.ISSUED,
            DocumentStatus.PAID,
        ):
            self.message_user(
                request, f"{invoice} is not an issued or paid invoice; only those are credited.", messages.WARNING
            )
            return redirect(change_url)
        form = CreditNoteForm(request.POST or None, invoice=invoice)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    if data["scope"] == CreditNoteForm.FULL:
                        note = services.credit_note_create_for_invoice(
                            invoice=invoice, reason=data["reason"], created_by=request.user
                        )
                    else:
                        note = services.credit_note_create_partial(
                            invoice=invoice,
                            net_amount=data["net_amount"],
                            reason=data["reason"],
                            created_by=request.user,
                        )
                    if data["issue_now"]:
                        note = services.accounting_document_issue(document=note, actor=request.user)
            except services.BillingError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    f"Credit note {note} ({money(note.total, note.currency)}) for {invoice.number}"
                    f"{' issued' if note.number else ' drafted'}.",
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:billing_accountingdocument_change", args=[note.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Credit note for {invoice.number}",
            "subtitle": f"Invoice total {money(invoice.total, invoice.currency)} "
            f"(subtotal {money(invoice.subtotal, invoice.currency)} + tax {money(invoice.tax, invoice.currency)})",
            "form": form,
            "opts": self.model._meta,
            "original": invoice,
            "submit_label": "Create credit note",
        }
        return TemplateResponse(request, "admin/billing/service_form.html", context)

    @admin.action(description="Draft a full credit note", permissions=["add"])
    def draft_credit_note(self, request, queryset):
        self._run(
            request,
            queryset.filter(doc_type=DocumentType.INVOICE),
            "Drafted credit notes for",
            lambda d: services.credit_note_create_for_invoice(
                invoice=d, reason=f"credited by {request.user}", created_by=request.user
            ),
        )


@admin.register(AccountingDocumentLine)
class AccountingDocumentLineAdmin(ReadOnlyAdminMixin, VenueScopedAdminMixin, AgntModelAdmin):
    """Lines are edited on their document while it is a draft; this list is for searching."""

    venue_path = "document__venue"
    list_display = (
        "document",
        "position",
        "description",
        "quantity",
        "unit_price_display",
        "tax_rate",
        "amount_display",
        "account",
    )
    list_filter = ("account",)
    list_select_related = ("document",)
    search_fields = ("description", "document__number", "booking__external_ref")

    @display(description="Unit price", ordering="unit_price")
    def unit_price_display(self, obj: AccountingDocumentLine) -> str:
        return money(obj.unit_price, obj.document.currency)

    @display(description="Amount", ordering="amount")
    def amount_display(self, obj: AccountingDocumentLine) -> str:
        return money(obj.amount, obj.document.currency)


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
        return money_from_minor(obj.debit_cents, obj.currency) if obj.debit_cents else ""

    @display(description="Credit", ordering="credit_cents")
    def credit(self, obj: AccountingLedgerEntry) -> str:
        return money_from_minor(obj.credit_cents, obj.currency) if obj.credit_cents else ""


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


class PricePointInline(ReadOnlyInline):
    model = PricePoint
    fields = ("checked_at", "price_display")
    ordering = ("-checked_at",)
    verbose_name_plural = "price history"

    @display(description="Price")
    def price_display(self, obj: PricePoint) -> str:
        return money(obj.price, obj.currency)


@admin.register(PriceWatcher)
class PriceWatcherAdmin(_ServiceActionsMixin, AgntModelAdmin):
    list_display = (
        "product",
        "user",
        "marketplace",
        "target_price_display",
        "last_price_display",
        "lowest_price_display",
        "status_badge",
        "last_checked_at",
        "notify_channel",
    )
    list_filter = ("status", "marketplace", "notify_channel")
    list_select_related = ("user",)
    search_fields = ("product_title", "product_url", "product_id", "user__username", "user__email")
    date_hierarchy = "created_at"
    autocomplete_fields = ("user",)
    # the prices the checks saw are shown as money; the form never edits them
    exclude = ("last_price", "lowest_price")
    readonly_fields = (
        "status",
        "last_price_display",
        "lowest_price_display",
        "last_checked_at",
        "check_failures",
        "triggered_at",
        "notified_at",
        "created_at",
        "updated_at",
    )
    actions = ("pause", "resume", "expire")
    inlines = [PricePointInline]

    @display(description="Product", ordering="product_title")
    def product(self, obj: PriceWatcher) -> str:
        return obj.product_title or obj.product_url[:60]

    @display(description="Target price", ordering="target_price")
    def target_price_display(self, obj: PriceWatcher) -> str:
        return money(obj.target_price, obj.currency)

    @display(description="Last price", ordering="last_price")
    def last_price_display(self, obj: PriceWatcher) -> str:
        return money(obj.last_price, obj.currency) or "—"

    @display(description="Lowest price", ordering="lowest_price")
    def lowest_price_display(self, obj: PriceWatcher) -> str:
        return money(obj.lowest_price, obj.currency) or "—"

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


@admin.register(PricePoint)
class PricePointAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    """Prices price_watch_check saw, per watch (also shown on each watch's page)."""

    list_display = ("checked_at", "watcher", "price_display")
    list_select_related = ("watcher",)
    search_fields = ("watcher__product_title", "watcher__product_url")
    date_hierarchy = "checked_at"
    paginator = EstimatedCountPaginator

    @display(description="Price", ordering="price")
    def price_display(self, obj: PricePoint) -> str:
        return money(obj.price, obj.currency)


@admin.register(AffiliateClickDaily)
class AffiliateClickDailyAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    """Clicks per day, marketplace and venue (the analytics_rollup job keeps these)."""

    list_display = ("day", "partner", "venue", "clicks", "unique_users", "conversions", "commission")
    list_filter = ("partner", ("venue", admin.EmptyFieldListFilter))
    list_select_related = ("venue",)
    search_fields = ("venue__name",)
    date_hierarchy = "day"


@admin.register(ApiKeyUsageDaily)
class ApiKeyUsageDailyAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    """Metered API usage per key, intent and day (the api_key_usage_rollup job keeps these)."""

    list_display = ("day", "api_key", "intent", "events", "quantity", "amount")
    list_filter = ("intent", "currency")
    list_select_related = ("api_key",)
    search_fields = ("intent", "api_key__prefix", "api_key__name", "api_key__owner__email")
    date_hierarchy = "day"

    @display(description="Amount", ordering="amount_cents")
    def amount(self, obj: ApiKeyUsageDaily) -> str:
        return money_from_minor(obj.amount_cents, obj.currency)


@admin.register(AffiliateClick)
class AffiliateClickAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = (
        "clicked_at",
        "partner",
        "campaign",
        "user",
        "venue",
        "converted_at",
        "commission",
        "commission_currency",
    )
    list_filter = ("partner", ("converted_at", admin.EmptyFieldListFilter))
    list_select_related = ("user", "venue")
    search_fields = ("campaign", "url", "order_ref", "user__username", "venue__name")
    date_hierarchy = "clicked_at"
    paginator = EstimatedCountPaginator


# --------------------------------------------------------------------------- ledger integrity


class IntegrityFindingInline(ReadOnlyInline):
    model = IntegrityFinding
    fields = ("check_name", "subject_type", "subject_id", "currency", "expected", "actual", "message")
    verbose_name_plural = "findings"


@admin.register(IntegrityRun)
class IntegrityRunAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    """The nightly ledger_integrity_check: a clean run has no findings."""

    list_display = ("created_at", "verdict", "users_checked", "documents_checked", "fee_entries_checked", "finished_at")
    date_hierarchy = "created_at"
    inlines = [IntegrityFindingInline]

    @display(description="Verdict", ordering="findings_count", label={"clean": "success", "drift": "danger"})
    def verdict(self, obj: IntegrityRun):
        if obj.findings_count:
            return "drift", f"{obj.findings_count} finding(s)"
        return "clean", "Clean"


@admin.register(IntegrityFinding)
class IntegrityFindingAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = (
        "created_at",
        "check_name",
        "subject_type",
        "subject_id",
        "currency",
        "expected",
        "actual",
        "message",
    )
    list_filter = ("check_name", "subject_type", "currency")
    list_select_related = ("run",)
    search_fields = ("subject_id", "message")
    date_hierarchy = "created_at"
    paginator = EstimatedCountPaginator


# --------------------------------------------------------------------------- Stripe: events, subscriptions

SUBSCRIPTION_STATUS_LABELS = {
    SubscriptionStatus.ACTIVE: "success",
    SubscriptionStatus.TRIALING: "info",
    SubscriptionStatus.PAST_DUE: "warning",
    SubscriptionStatus.UNPAID: "danger",
    SubscriptionStatus.INCOMPLETE: "",
    SubscriptionStatus.INCOMPLETE_EXPIRED: "",
    SubscriptionStatus.PAUSED: "warning",
    SubscriptionStatus.CANCELED: "danger",
}


class StripeEventProcessedFilter(admin.SimpleListFilter):
    title = "processing"
    parameter_name = "processing"

    def lookups(self, request, model_admin):
        return (("processed", "Processed"), ("pending", "Pending (not tried yet)"), ("failed", "Failed or deferred"))

    def queryset(self, request, queryset):
        if self.value() == "processed":
            return queryset.filter(processed_at__isnull=False)
        if self.value() == "pending":
            return queryset.filter(processed_at__isnull=True, processing_error="")
        if self.value() == "failed":
            return queryset.filter(processed_at__isnull=True).exclude(processing_error="")
        return queryset


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    """Every Stripe event we received or reconciled; read-only. "Reprocess" runs the handler again
    (handlers are idempotent, so this repairs and never doubles)."""

    list_display = ("stripe_created", "type", "stripe_id", "source", "processed", "attempts", "result")
    list_filter = (StripeEventProcessedFilter, "type", "source", "livemode")
    search_fields = ("=stripe_id", "type", "outcome", "processing_error")
    search_help_text = "Stripe event id (exact), type, outcome or error"
    date_hierarchy = "stripe_created"
    paginator = EstimatedCountPaginator
    exclude = ("payload",)
    readonly_fields = (
        "stripe_id",
        "type",
        "stripe_created",
        "livemode",
        "api_version",
        "source",
        "received_at",
        "attempts",
        "processed_at",
        "outcome",
        "processing_error",
        "payload_json",
    )
    actions = ("reprocess",)

    def has_reprocess_permission(self, request) -> bool:
        return request.user.has_perm("billing.change_stripeevent")

    @admin.display(boolean=True, description="processed", ordering="processed_at")
    def processed(self, obj: StripeEvent) -> bool:
        return obj.processed_at is not None

    @admin.display(description="outcome / error")
    def result(self, obj: StripeEvent) -> str:
        return (obj.processing_error or obj.outcome or "—")[:120]

    @admin.display(description="payload")
    def payload_json(self, obj: StripeEvent) -> str:
        return format_html(
            '<pre style="white-space:pre-wrap;max-width:60rem">{}</pre>',
            json.dumps(obj.payload, indent=2, sort_keys=True, ensure_ascii=False),
        )

    @admin.action(description="Reprocess (run the handler again; idempotent)", permissions=["reprocess"])
    def reprocess(self, request, queryset):
        done, failed = 0, []
        for event in queryset:
            event = services.stripe_event_process(event=event, force=True)
            if event.processed_at is not None and not event.processing_error:
                done += 1
            else:
                failed.append(f"{event.stripe_id}: {event.processing_error}")
        if done:
            self.message_user(request, f"Reprocessed {done} event(s).", messages.SUCCESS)
        if failed:
            self.message_user(request, "Still failing — " + "; ".join(failed)[:1000], messages.WARNING)


class VenueCheckoutForm(forms.Form):
    venue = forms.ModelChoiceField(queryset=None, help_text="The venue that will pay for the plan.")
    plan = forms.ChoiceField(choices=[])

    def __init__(self, *args, venues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = venues
        self.fields["plan"].choices = [(p.code, p.name) for p in plans.plans_of_kind(SubscriptionKind.VENUE)]


@admin.register(StripeSubscription)
class StripeSubscriptionAdmin(ReadOnlyAdminMixin, VenueScopedAdminMixin, AgntModelAdmin):
    """Stripe subscriptions as Stripe last told us (webhooks, reconcile, hourly sync); read-only.
    Plans change in Stripe (Checkout, the customer portal); here staff follow and open them."""

    venue_path = "venue"
    list_display = (
        "stripe_subscription_id",
        "kind",
        "plan",
        "party",
        "status_label",
        "current_period_end",
        "cancel_at_period_end",
        "last_payment_failed_at",
        "synced_at",
    )
    list_filter = ("status", "kind", "plan", "cancel_at_period_end")
    list_select_related = ("user", "venue")
    search_fields = ("=stripe_subscription_id", "=stripe_customer_id", "user__username", "user__email", "venue__name")
    search_help_text = "Subscription or customer id (exact), username, e-mail or venue"
    readonly_fields = (
        "kind",
        "plan",
        "price_id",
        "user_link",
        "venue_link",
        "stripe_subscription_id",
        "stripe_customer_id",
        "status",
        "current_period_start",
        "current_period_end",
        "cancel_at_period_end",
        "canceled_at",
        "latest_invoice_id",
        "last_payment_failed_at",
        "stripe_state_at",
        "synced_at",
        "created_at",
    )
    exclude = ("user", "venue")
    actions = ("sync_from_stripe",)
    actions_detail = ("open_portal",)
    actions_list = ("venue_checkout",)

    def has_manage_permission(self, request, object_id=None) -> bool:
        return request.user.has_perm("billing.change_stripesubscription")

    def has_checkout_permission(self, request, object_id=None) -> bool:
        # staff with the permission, or an owner for their own venues
        return self.has_manage_permission(request) or bool(owned_venue_ids(request.user))

    @display(description="status", ordering="status", label=SUBSCRIPTION_STATUS_LABELS)
    def status_label(self, obj: StripeSubscription) -> str:
        return obj.status

    @admin.display(description="subscriber")
    def party(self, obj: StripeSubscription) -> str:
        return str(obj.user or obj.venue)

    @admin.display(description="user")
    def user_link(self, obj: StripeSubscription) -> str:
        if not obj.user_id:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:agnt_user_change", args=[obj.user_id]), obj.user)

    @admin.display(description="venue")
    def venue_link(self, obj: StripeSubscription) -> str:
        if not obj.venue_id:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:venues_venue_change", args=[obj.venue_id]), obj.venue)

    @admin.action(description="Sync from Stripe now", permissions=["manage"])
    def sync_from_stripe(self, request, queryset):
        done, refused = [], []
        for sub in queryset:
            try:
                done.append(services.subscription_sync_from_stripe(subscription=sub))
            except services.BillingError as exc:
                refused.append(f"{sub.stripe_subscription_id}: {exc}")
        if done:
            self.message_user(request, "; ".join(done)[:1000], messages.SUCCESS)
        if refused:
            self.message_user(request, "Not synced — " + "; ".join(refused)[:1000], messages.WARNING)

    @action(description="Open the customer portal", url_path="portal", permissions=["manage"], icon="open_in_new")
    def open_portal(self, request, object_id):
        sub = self.get_object(request, object_id)
        if sub is None:
            return redirect(reverse("admin:billing_stripesubscription_changelist"))
        back = request.build_absolute_uri(reverse("admin:billing_stripesubscription_change", args=[sub.pk]))
        try:
            session = services.subscription_portal_open(
                user=sub.user if sub.kind == SubscriptionKind.CONSUMER else None,
                venue=sub.venue if sub.kind == SubscriptionKind.VENUE else None,
                return_url=back,
                attempt=f"admin:{request.user.pk}:{timezone.now():%Y%m%d%H%M}",
            )
        except services.BillingError as exc:
            self.message_user(request, f"Portal not opened: {exc}", messages.ERROR)
            return redirect(back)
        return redirect(session.url)

    @action(
        description="Venue plan checkout link", url_path="venue-checkout", permissions=["checkout"], icon="add_card"
    )
    def venue_checkout(self, request):
        from venues.models import Venue

        venues = Venue.objects.order_by("name")
        if not is_platform_staff(request.user):
            venues = venues.filter(pk__in=owned_venue_ids(request.user))
        form = VenueCheckoutForm(request.POST or None, venues=venues)
        if request.method == "POST" and form.is_valid():
            back = request.build_absolute_uri(reverse("admin:billing_stripesubscription_changelist"))
            try:
                session = services.subscription_checkout_start(
                    venue=form.cleaned_data["venue"],
                    plan_code=form.cleaned_data["plan"],
                    # one link per venue, plan and day: asking again the same day returns the same link
                    attempt=f"admin:{timezone.now():%Y-%m-%d}",
                    success_url=back,
                    cancel_url=back,
                )
            except services.BillingError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    format_html(
                        'Checkout for {}: <a href="{}" target="_blank">{}</a> (send it to the owner, or open it).',
                        form.cleaned_data["venue"],
                        session.url,
                        session.url,
                    ),
                    messages.SUCCESS,
                )
                return redirect(back)
        context = {
            **self.admin_site.each_context(request),
            "title": "Venue plan checkout",
            "subtitle": "Creates a Stripe Checkout link (mode=subscription) for the venue's plan. "
            "The subscription appears here when Stripe confirms the payment.",
            "submit_label": "Create checkout link",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/service_form.html", context)


@admin.register(StripeConnectAccount)
class StripeConnectAccountAdmin(ReadOnlyAdminMixin, VenueScopedAdminMixin, AgntModelAdmin):
    """Venues' Stripe Connect accounts, as account.updated last described them."""

    venue_path = "venue"
    list_display = (
        "stripe_account_id",
        "venue",
        "charges_enabled",
        "payouts_enabled",
        "details_submitted",
        "stripe_state_at",
    )
    list_filter = ("charges_enabled", "payouts_enabled", "details_submitted")
    list_select_related = ("venue",)
    search_fields = ("=stripe_account_id", "venue__name")


@admin.register(VenueStripeCustomer)
class VenueStripeCustomerAdmin(ReadOnlyAdminMixin, VenueScopedAdminMixin, AgntModelAdmin):
    """Which Stripe customer each venue is billed as (made on its first checkout)."""

    venue_path = "venue"
    list_display = ("venue", "stripe_customer_id", "created_at")
    list_select_related = ("venue",)
    search_fields = ("=stripe_customer_id", "venue__name")
