"""What a venues CSV export holds (the admin's "Export"; agnt/admin_export.py)."""

from __future__ import annotations

from import_export import fields, resources

from venues.models import Venue


class VenueResource(resources.ModelResource):
    city = fields.Field(attribute="city__name", column_name="city")

    class Meta:
        model = Venue
        fields = (
            "id",
            "name",
            "slug",
            "city",
            "area",
            "category",
            "status",
            "address",
            "phone",
            "whatsapp",
            "email",
            "website",
            "instagram",
            "price_level",
            "average_spend",
            "currency",
            "capacity",
            "rating_average",
            "rating_count",
            "created_at",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("city").order_by("name", "pk")
