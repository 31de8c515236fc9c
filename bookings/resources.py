"""What a bookings CSV export holds (the admin's "Export"; agnt/admin_export.py)."""

from __future__ import annotations

from django.utils import timezone
from import_export import fields, resources

from bookings.models import VenueBooking
from venues.selectors import venue_timezone


class VenueBookingResource(resources.ModelResource):
    """One row per booking; times on the venue's clock with their offset (``2026-12-05T19:30:00+08:00``)."""

    venue = fields.Field(attribute="venue__name", column_name="venue")
    guest_email = fields.Field(attribute="user__email", column_name="guest_email")
    slot_start = fields.Field(column_name="slot_start")
    slot_end = fields.Field(column_name="slot_end")

    class Meta:
        model = VenueBooking
        fields = (
            "external_ref",
            "venue",
            "status",
            "source",
            "slot_start",
            "slot_end",
            "party_size",
            "children",
            "contact_name",
            "contact_phone",
            "guest_email",
            "special_requests",
            "deposit_amount",
            "spend_estimate",
            "currency",
            "status_reason",
            "created_at",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("venue__city", "user").order_by("slot_start", "pk")

    def _local(self, booking: VenueBooking, moment) -> str:
        return timezone.localtime(moment, venue_timezone(booking.venue)).isoformat() if moment else ""

    def dehydrate_slot_start(self, booking: VenueBooking) -> str:
        return self._local(booking, booking.slot_start)

    def dehydrate_slot_end(self, booking: VenueBooking) -> str:
        return self._local(booking, booking.slot_end)
