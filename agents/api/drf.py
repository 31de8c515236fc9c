"""First-party API: my developer API keys for the external agent API / MCP server.

The plaintext key is in the answer to the create call only; afterwards only its visible
prefix is shown. New keys are on the free tier (paid tiers come with a subscription);
revoking is immediate and also stops the key's webhooks.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from agents import services
from agents.models import ApiKey

MAX_ACTIVE_KEYS = 10


class ApiKeyCreateThrottle(UserRateThrottle):
    scope = "api_key_create"
    rate = "10/hour"


class ApiKeySerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField()

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "tier",
            "is_active",
            "last_used_at",
            "bookings_total",
            "expires_at",
            "revoked_at",
            "created_at",
        ]
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="The full key. Shown once: store it now.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_expires_at(self, value):
        from django.utils import timezone

        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("must be in the future")
        return value


class ApiKeyListView(APIView):
    def get_throttles(self):
        return [ApiKeyCreateThrottle()] if self.request.method == "POST" else super().get_throttles()

    @extend_schema(responses=ApiKeySerializer(many=True), summary="My API keys (newest first)")
    def get(self, request):
        keys = ApiKey.objects.filter(owner=request.user).order_by("-created_at")
        return Response(ApiKeySerializer(keys, many=True).data)

    @extend_schema(
        request=ApiKeyCreateSerializer,
        responses={
            201: ApiKeyCreatedSerializer,
            400: OpenApiResponse(description="Invalid input or too many active keys"),
        },
        summary="Create an API key (the plaintext is in this answer only)",
    )
    def post(self, request):
        data = ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        active = ApiKey.objects.filter(owner=request.user, revoked_at__isnull=True).count()
        if active >= MAX_ACTIVE_KEYS:
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        f"you already have {active} active keys; revoke one first (limit {MAX_ACTIVE_KEYS})"
                    ]
                }
            )
        api_key, plaintext = services.api_key_create(
            owner=request.user, name=data.validated_data["name"], expires_at=data.validated_data.get("expires_at")
        )
        api_key.key = plaintext
        return Response(ApiKeyCreatedSerializer(api_key).data, status=status.HTTP_201_CREATED)


class ApiKeyRevokeView(APIView):
    @extend_schema(
        request=None,
        responses={200: ApiKeySerializer, 404: OpenApiResponse(description="No such key of mine")},
        summary="Revoke one of my keys now (its webhooks stop too)",
    )
    def post(self, request, pk):
        api_key = get_object_or_404(ApiKey, pk=pk, owner=request.user)
        api_key = services.api_key_revoke(api_key=api_key, reason="revoked by the owner")
        return Response(ApiKeySerializer(api_key).data)


# --------------------------------------------------------------------------- shareable cards


class CardCreateThrottle(UserRateThrottle):
    scope = "card_create"
    rate = "30/hour"


class CardSerializer(serializers.Serializer):
    token = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    message = serializers.CharField()
    url = serializers.SerializerMethodField()
    og_image = serializers.SerializerMethodField()
    booking = serializers.SerializerMethodField()
    venues = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    responses = serializers.SerializerMethodField()

    def get_url(self, card) -> str:
        from agents.sharing import card_url

        return card_url(card)

    def get_og_image(self, card) -> str:
        from agents.sharing import card_og_url

        return card_og_url(card)

    def get_booking(self, card) -> str | None:
        return card.booking.external_ref if card.booking_id else None

    def get_venues(self, card) -> list[str]:
        return [venue.slug for venue in card.venues.all()]

    def get_responses(self, card) -> dict[str, list[str]]:
        from agents.sharing import card_tally

        return card_tally(card)


class CardListView(APIView):
    """My shareable cards (GET), or make one for a booking of mine or a list of venues (POST)."""

    def get_throttles(self):
        return [CardCreateThrottle()] if self.request.method == "POST" else super().get_throttles()

    class CreateSerializer(serializers.Serializer):
        title = serializers.CharField(required=False, allow_blank=True, max_length=120)
        message = serializers.CharField(required=False, allow_blank=True, max_length=300)
        booking = serializers.CharField(required=False, max_length=20, help_text="AG-XXXXXX of my booking.")
        venues = serializers.ListField(
            child=serializers.SlugField(max_length=180), required=False, max_length=10, help_text="Venue slugs."
        )

    @extend_schema(responses=CardSerializer(many=True))
    def get(self, request):
        from agents.models import ShareableCard

        cards = (
            ShareableCard.objects.filter(creator=request.user)
            .select_related("booking")
            .prefetch_related("venues")
            .order_by("-created_at")[:100]
        )
        return Response(CardSerializer(cards, many=True).data)

    @extend_schema(request=CreateSerializer, responses={201: CardSerializer})
    def post(self, request):
        from agents.sharing import CardError, shareable_card_create
        from agnt.api.common import service_errors
        from bookings.models import VenueBooking
        from venues.models import Venue

        data = self.CreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = None
        venues = []
        if data.validated_data.get("booking"):
            booking = VenueBooking.objects.filter(
                user=request.user, external_ref=data.validated_data["booking"].upper()
            ).first()
            if booking is None:
                raise serializers.ValidationError({"booking": ["no booking of yours with that reference"]})
        elif data.validated_data.get("venues"):
            slugs = data.validated_data["venues"]
            found = {v.slug: v for v in Venue.objects.filter(slug__in=slugs, status__in=("listed", "active"))}
            missing = [slug for slug in slugs if slug not in found]
            if missing:
                raise serializers.ValidationError({"venues": [f"unknown venue {', '.join(missing)}"]})
            venues = [found[slug] for slug in slugs]
        with service_errors("non_field_errors", CardError):
            card = shareable_card_create(
                creator=request.user,
                title=data.validated_data.get("title", ""),
                message=data.validated_data.get("message", ""),
                booking=booking,
                venues=venues,
            )
        return Response(CardSerializer(card).data, status=status.HTTP_201_CREATED)


class CardDetailView(APIView):
    """One of my cards with its answers so far."""

    @extend_schema(responses=CardSerializer)
    def get(self, request, token: str):
        from agents.models import ShareableCard

        card = get_object_or_404(ShareableCard, token=token, creator=request.user)
        return Response(CardSerializer(card).data)
