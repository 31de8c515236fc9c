"""What the ledger CSV exports hold (the admin's "Export"; agnt/admin_export.py).

Amounts stay integers in the currency's minor unit (``amount_cents``), exactly as the
append-only tables store them, so a spreadsheet sums them without rounding.
"""

from __future__ import annotations

from import_export import fields, resources

from billing.models import ApiKeyUsageEvent, CommerceLedger, CreditTransaction


class CreditTransactionResource(resources.ModelResource):
    user = fields.Field(attribute="user__username", column_name="user")
    created_by = fields.Field(attribute="created_by__username", column_name="created_by")

    class Meta:
        model = CreditTransaction
        fields = (
            "id",
            "created_at",
            "user",
            "amount",
            "balance_after",
            "kind",
            "reason",
            "reference_type",
            "reference_id",
            "expires_at",
            "idempotency_key",
            "created_by",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("user", "created_by").order_by("created_at", "pk")


class CommerceLedgerResource(resources.ModelResource):
    venue = fields.Field(attribute="venue__name", column_name="venue")
    booking = fields.Field(attribute="booking__external_ref", column_name="booking")

    class Meta:
        model = CommerceLedger
        fields = (
            "id",
            "occurred_at",
            "entry_type",
            "venue",
            "booking",
            "amount_cents",
            "currency",
            "description",
            "stripe_payment_intent_id",
            "stripe_invoice_id",
            "stripe_charge_id",
            "idempotency_key",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("venue", "booking").order_by("occurred_at", "pk")


class ApiKeyUsageEventResource(resources.ModelResource):
    api_key = fields.Field(attribute="api_key__prefix", column_name="api_key")
    booking = fields.Field(attribute="booking__external_ref", column_name="booking")
    amount_cents = fields.Field(attribute="amount_cents", column_name="amount_cents")

    class Meta:
        model = ApiKeyUsageEvent
        fields = (
            "id",
            "occurred_at",
            "api_key",
            "intent",
            "quantity",
            "unit_price_cents",
            "amount_cents",
            "currency",
            "booking",
            "request_id",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("api_key", "booking").order_by("occurred_at", "pk")
