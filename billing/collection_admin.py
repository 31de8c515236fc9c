"""Back office for collecting through Stripe: the read-only FeeCollection and UsageBilling
ledgers, the "Refund / credit this fee" action on fee rows, and the Finance reconciliation
page (billing/reconciliation.py). billing/admin.py imports this module.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from unfold.decorators import action, display

from agnt.admin_tools import AgntModelAdmin, EstimatedCountPaginator, ReadOnlyAdminMixin
from agnt.money import money_from_minor
from agnt.roles import is_platform_staff
from billing import reconciliation, services
from billing.models import (
    ApiKeyUsageEvent,
    CommerceEntryType,
    CommerceLedger,
    FeeCollection,
    FeeCollectionOutcome,
    UsageBilling,
    UsageBillingOutcome,
)

OUTCOME_LABELS = {
    FeeCollectionOutcome.INVOICED: "success",
    FeeCollectionOutcome.CREDITED: "warning",
    FeeCollectionOutcome.SKIPPED: "",
    UsageBillingOutcome.METERED: "success",
    UsageBillingOutcome.NOT_BILLABLE: "",
}
REFUND_PERMISSION = "billing.refund_fee"
RECONCILIATION_PERMISSION = "billing.view_reconciliation"


def _money(cents: int, currency: str) -> str:
    return money_from_minor(cents, currency, signed=True)


def _change_link(obj, label: str | None = None) -> str:
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or str(obj))


# --------------------------------------------------------------------------- on the ledger admins


class FeeCollectionOnLedgerMixin:
    """For CommerceLedgerAdmin: a "Stripe" column linking each fee to its collection, and the
    "Refund / credit this fee" action (needs ``billing.refund_fee``, which Finance holds)."""

    def has_refund_fee_permission(self, request: HttpRequest) -> bool:
        return is_platform_staff(request.user) and request.user.has_perm(REFUND_PERMISSION)

    @display(description="Stripe")
    def stripe_collection(self, obj: CommerceLedger) -> str:
        if obj.entry_type not in (CommerceEntryType.BOOKING_FEE, CommerceEntryType.FEE_REVERSAL):
            return ""
        collection = getattr(obj, "fee_collection", None)  # select_related: no query per row
        if collection is None:
            return "waiting"
        return _change_link(collection, collection.get_outcome_display().split(" (")[0])

    @admin.action(
        description="Refund / credit this fee (reverses it; credits the venue in Stripe if collected)",
        permissions=["refund_fee"],
    )
    def refund_fee(self, request: HttpRequest, queryset) -> None:
        done, refused = [], []
        for fee in queryset.select_related("booking", "venue"):
            try:
                result = services.booking_fee_refund(fee=fee, actor=request.user, reason=f"refunded by {request.user}")
            except services.BillingError as exc:
                refused.append(f"{fee}: {exc}")
            else:
                done.append(f"{fee} — {result}")
        if done:
            self.message_user(request, f"Refunded {len(done)}: " + "; ".join(done), messages.SUCCESS)
        if refused:
            self.message_user(request, f"Refused {len(refused)} — " + "; ".join(refused), messages.WARNING)


class UsageBillingOnUsageMixin:
    """For ApiKeyUsageEventAdmin: a "Billed" column linking each event to its meter billing."""

    @display(description="Billed")
    def stripe_billing(self, obj: ApiKeyUsageEvent) -> str:
        billing = getattr(obj, "billing", None)
        if billing is None:
            return "waiting"
        return _change_link(billing, billing.get_outcome_display().split(" (")[0])


# --------------------------------------------------------------------------- the settlement ledgers


@admin.register(FeeCollection)
class FeeCollectionAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    """What each fee row became in Stripe. Read-only (append-only in the database)."""

    list_display = ("collected_at", "outcome_badge", "venue", "amount", "ledger_link", "stripe_invoice_item_id", "note")
    list_filter = ("outcome", "currency")
    list_select_related = ("venue", "ledger_entry")
    search_fields = ("stripe_invoice_item_id", "stripe_customer_id", "venue__name", "ledger_entry__idempotency_key")
    search_help_text = "Stripe invoice item or customer id, venue, or the ledger row's idempotency key"
    date_hierarchy = "collected_at"
    paginator = EstimatedCountPaginator

    @display(description="Outcome", ordering="outcome", label=OUTCOME_LABELS)
    def outcome_badge(self, obj: FeeCollection):
        return obj.outcome, obj.get_outcome_display().split(" (")[0]

    @display(description="Amount sent", ordering="amount_cents")
    def amount(self, obj: FeeCollection) -> str:
        return _money(obj.amount_cents, obj.currency)

    @display(description="Ledger row")
    def ledger_link(self, obj: FeeCollection) -> str:
        return _change_link(obj.ledger_entry)

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # the reconciliation page links a day's collections by their ledger row's day
        return lookup == "ledger_entry__occurred_at__date" or super().lookup_allowed(lookup, value, request)

    actions_list = ("open_reconciliation",)

    def has_view_reconciliation_permission(self, request: HttpRequest, object_id=None) -> bool:
        return is_platform_staff(request.user) and request.user.has_perm(RECONCILIATION_PERMISSION)

    @action(
        description="Stripe reconciliation",
        url_path="open-reconciliation",
        permissions=["view_reconciliation"],
        icon="balance",
    )
    def open_reconciliation(self, request: HttpRequest) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:billing_reconciliation"))

    def get_urls(self):
        return [
            path(
                "reconciliation/", self.admin_site.admin_view(self.reconciliation_view), name="billing_reconciliation"
            ),
            *super().get_urls(),
        ]

    def reconciliation_view(self, request: HttpRequest) -> TemplateResponse:
        if not self.has_view_reconciliation_permission(request):
            raise PermissionDenied("The reconciliation page is for Finance.")
        form = ReconciliationRangeForm(request.GET or None)
        date_from, date_to = form.range()
        context = {
            **self.admin_site.each_context(request),
            "title": "Stripe reconciliation",
            "subtitle": f"{date_from:%d %b %Y} – {date_to:%d %b %Y} (Bali time)",
            "opts": self.model._meta,
            "form": form,
            "sections": [
                _section(
                    "Booking fees",
                    "Ledger: booking fees and reversals · Stripe: invoice items and credits",
                    reconciliation.fee_rows(date_from=date_from, date_to=date_to),
                    _changelist(
                        "billing", "commerceledger", "occurred_at", {"entry_type__in": "booking_fee,fee_reversal"}
                    ),
                    _changelist("billing", "feecollection", "ledger_entry__occurred_at", {}),
                ),
                _section(
                    "Metered API usage",
                    "Ledger: billable usage events (quantity × price) · Stripe: Billing Meter values",
                    reconciliation.usage_rows(date_from=date_from, date_to=date_to),
                    _changelist("billing", "apikeyusageevent", "occurred_at", {}),
                    _changelist("billing", "usagebilling", "usage_event__occurred_at", {}),
                ),
            ],
            "unsettled_fees": [
                {
                    "link": _change_link(e),
                    "venue": e.venue,
                    "amount": _money(e.amount_cents, e.currency),
                    "at": e.occurred_at,
                }
                for e in reconciliation.unsettled_fees(date_from=date_from, date_to=date_to)
            ],
            "unbilled_usage": [
                {
                    "link": _change_link(e),
                    "key": e.api_key,
                    "amount": _money(e.amount_cents, e.currency),
                    "at": e.occurred_at,
                }
                for e in reconciliation.unbilled_usage(date_from=date_from, date_to=date_to)
            ],
            "list_limit": reconciliation.UNSETTLED_LIST_LIMIT,
            "check_stripe": form.wants_stripe_check(),
        }
        if context["check_stripe"]:
            try:
                context["stripe_check"] = reconciliation.stripe_invoice_item_check(date_from=date_from, date_to=date_to)
            except services.BillingError as exc:  # StripeFailure: show it, never a 500
                context["stripe_error"] = str(exc)
        return TemplateResponse(request, "admin/billing/reconciliation.html", context)


@admin.register(UsageBilling)
class UsageBillingAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    """What each usage event became in Stripe's Billing Meter. Read-only (append-only in the database)."""

    list_display = (
        "billed_at",
        "outcome_badge",
        "usage_link",
        "event_name",
        "meter_value",
        "currency",
        "stripe_customer_id",
    )
    list_filter = ("outcome", "event_name")
    list_select_related = ("usage_event",)
    search_fields = ("meter_identifier", "stripe_customer_id", "usage_event__request_id")
    search_help_text = "Meter identifier (= usage event id), Stripe customer id or the API request id"
    date_hierarchy = "billed_at"
    paginator = EstimatedCountPaginator

    @display(description="Outcome", ordering="outcome", label=OUTCOME_LABELS)
    def outcome_badge(self, obj: UsageBilling):
        return obj.outcome, obj.get_outcome_display().split(" (")[0]

    @display(description="Usage event")
    def usage_link(self, obj: UsageBilling) -> str:
        return _change_link(obj.usage_event)

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        return lookup == "usage_event__occurred_at__date" or super().lookup_allowed(lookup, value, request)


# --------------------------------------------------------------------------- reconciliation page


class ReconciliationRangeForm(forms.Form):
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    check_stripe = forms.BooleanField(required=False, label="Also ask Stripe for its invoice items")

    def wants_stripe_check(self) -> bool:
        return self.is_bound and self.is_valid() and bool(self.cleaned_data.get("check_stripe"))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if start > end:
                raise forms.ValidationError("The start date must not be after the end date.")
            if (end - start).days >= reconciliation.MAX_RANGE_DAYS:
                raise forms.ValidationError(f"Choose at most {reconciliation.MAX_RANGE_DAYS} days.")
        return cleaned

    def range(self) -> tuple[dt.date, dt.date]:
        """The chosen range, or the last 14 days when nothing (or something invalid) was chosen."""
        today = timezone.localdate()
        default = (today - dt.timedelta(days=13), today)
        if not self.is_bound or not self.is_valid():
            return default
        end = self.cleaned_data.get("date_to") or today
        start = self.cleaned_data.get("date_from") or end - dt.timedelta(days=13)
        if start > end or (end - start).days >= reconciliation.MAX_RANGE_DAYS:
            return default
        return start, end


def _changelist(app: str, model: str, date_field: str, extra: dict[str, str]):
    base = reverse(f"admin:{app}_{model}_changelist")

    def link(day: dt.date) -> str:
        from urllib.parse import urlencode

        params = {f"{date_field}__date": day.isoformat(), **extra}
        return f"{base}?{urlencode(params)}"

    return link


def _section(title: str, caption: str, rows, ledger_link, stripe_link) -> dict:
    return {
        "title": title,
        "caption": caption,
        "rows": [
            {
                "row": row,
                "ledger": _money(row.ledger_cents, row.currency),
                "sent": _money(row.sent_cents, row.currency),
                "skipped": _money(row.skipped_cents, row.currency),
                "waiting": _money(row.waiting_cents, row.currency),
                "mismatch": _money(row.mismatch_cents, row.currency),
                "ledger_url": ledger_link(row.day),
                "stripe_url": stripe_link(row.day),
            }
            for row in rows
        ],
        "differences": sum(1 for row in rows if row.state != "ok"),
    }
