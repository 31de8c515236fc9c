"""What the hosted-agent usage ledger's CSV export holds (the admin's "Export"; agnt/admin_export.py).

Amounts stay integer micro-dollars, exactly as the append-only ledger stores them.
"""

from __future__ import annotations

from import_export import fields, resources

from agents.hosted.models import UsageEntry


class UsageEntryResource(resources.ModelResource):
    user = fields.Field(attribute="user__username", column_name="user")
    agent = fields.Field(attribute="agent__name", column_name="agent")
    actor = fields.Field(attribute="actor__username", column_name="actor")

    class Meta:
        model = UsageEntry
        fields = (
            "id",
            "created_at",
            "user",
            "kind",
            "amount_micros",
            "overage_micros",
            "balance_after_micros",
            "period_start",
            "agent",
            "run",
            "description",
            "reason",
            "actor",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("user", "agent", "actor").order_by("created_at", "pk")
