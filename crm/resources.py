"""What a CRM contacts CSV export holds (the admin's "Export"; agnt/admin_export.py)."""

from __future__ import annotations

from import_export import fields, resources

from crm.models import CrmContact


class CrmContactResource(resources.ModelResource):
    venue = fields.Field(attribute="venue__name", column_name="venue")
    tags = fields.Field(column_name="tags")
    allergies = fields.Field(column_name="allergies")

    class Meta:
        model = CrmContact
        fields = (
            "id",
            "full_name",
            "email",
            "phone",
            "company",
            "role",
            "venue",
            "lifecycle_stage",
            "source",
            "tags",
            "visits",
            "no_shows",
            "last_visit_at",
            "allergies",
            "last_contacted_at",
            "created_at",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("venue").order_by("full_name", "pk")

    def dehydrate_tags(self, contact: CrmContact) -> str:
        return ", ".join(contact.tags)

    def dehydrate_allergies(self, contact: CrmContact) -> str:
        return ", ".join(contact.allergies)
