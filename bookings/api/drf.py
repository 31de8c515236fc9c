"""First-party API: my table bookings — list, detail, cancel.

Cancelling goes through agents.booking.commands.booking_guest_cancel, the same path as the
concierge's cancel tool: the booking is cancelled here, then the venue's agent is told.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from agnt.api.common import StandardPagination
from bookings.models import VenueBooking
from bookings.state import ACTIVE_STATUSES, BookingStatus


class BookingVenueSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class BookingSerializer(serializers.ModelSerializer):
    ref = serializers.CharField(source="external_ref")
    venue = BookingVenueSerializer()
    reason = serializers.CharField(source="status_reason")

    class Meta:
        model = VenueBooking
        fields = [
            "ref",
            "venue",
            "status",
            "slot_start",
            "slot_end",
            "party_size",
            "special_requests",
            "reason",
            "counter_offer_slots",
            "created_at",
            "confirmed_at",
            "cancelled_at",
            "completed_at",
        ]
        read_only_fields = fields


class BookingCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


def _mine(user):
    return VenueBooking.objects.filter(user=user).select_related("venue")


class BookingListView(ListAPIView):
    serializer_class = BookingSerializer
    pagination_class = StandardPagination

    def get_queryset(self):
        bookings = _mine(self.request.user)
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in BookingStatus.values:
                raise serializers.ValidationError(
                    {"status": [f"unknown status {wanted!r}; one of {', '.join(BookingStatus.values)}"]}
                )
            bookings = bookings.filter(status=wanted)
        if self.request.query_params.get("upcoming") in ("1", "true"):
            return bookings.filter(status__in=ACTIVE_STATUSES, slot_end__gte=timezone.now()).order_by("slot_start")
        return bookings.order_by("-slot_start")

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=BookingStatus.values, description="Only bookings in this status."),
            OpenApiParameter("upcoming", bool, description="Only live bookings still ahead, soonest first."),
        ],
        summary="My bookings (newest slot first)",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class BookingDetailView(APIView):
    @extend_schema(
        responses={200: BookingSerializer, 404: OpenApiResponse(description="No such booking of mine")},
        summary="One of my bookings, by its reference",
    )
    def get(self, request, ref):
        return Response(BookingSerializer(get_object_or_404(_mine(request.user), external_ref=ref.upper())).data)


class BookingCancelView(APIView):
    @extend_schema(
        request=BookingCancelSerializer,
        responses={
            200: BookingSerializer,
            404: OpenApiResponse(description="No such booking of mine"),
            409: OpenApiResponse(description="The booking's status does not allow cancelling"),
        },
        summary="Cancel one of my bookings (the venue's agent is told)",
    )
    def post(self, request, ref):
        from agents.booking.commands import booking_guest_cancel
        from bookings.services import BookingError

        booking = get_object_or_404(_mine(request.user), external_ref=ref.upper())
        data = BookingCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            booking = booking_guest_cancel(
                booking=booking,
                user=request.user,
                reason=(data.validated_data["reason"] or "").strip() or "cancelled by the guest in the app",
            )
        except BookingError:
            return Response(
                {
                    "detail": f"booking {booking.external_ref} is {booking.get_status_display().lower()} and cannot be cancelled"
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(BookingSerializer(booking).data)
