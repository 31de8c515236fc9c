"""First-party API: authentication endpoints and the caller's profile (DRF, JWT)."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from agnt import auth, services
from agnt.models import Language, User
from venues.models import City


class LoginThrottle(AnonRateThrottle):
    rate = "20/min"


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    access_expires_at = serializers.DateTimeField()
    refresh_expires_at = serializers.DateTimeField()
    session_id = serializers.UUIDField()


class TokenObtainView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [LoginThrottle]

    class LoginInputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=256, trim_whitespace=False)

    @extend_schema(
        request=LoginInputSerializer,
        responses={201: TokenPairSerializer, 401: OpenApiResponse(description="Wrong username or password")},
        summary="Log in: open a session and get an access + refresh token pair",
    )
    def post(self, request):
        data = self.LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if user is None:
            return Response({"detail": "invalid username or password"}, status=status.HTTP_401_UNAUTHORIZED)
        pair = services.session_login(
            user=user, user_agent=request.headers.get("User-Agent", ""), ip_address=request.META.get("REMOTE_ADDR")
        )
        return Response(TokenPairSerializer(pair).data, status=status.HTTP_201_CREATED)


class TokenRefreshView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    class RefreshInputSerializer(serializers.Serializer):
        refresh = serializers.CharField(max_length=2000)

    @extend_schema(
        request=RefreshInputSerializer,
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(description="Expired, revoked or reused refresh token"),
        },
        summary="Rotate a refresh token (a reused one revokes the session)",
    )
    def post(self, request):
        data = self.RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            pair = services.session_refresh(refresh_token=data.validated_data["refresh"])
        except auth.TokenError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_401_UNAUTHORIZED)
        return Response(TokenPairSerializer(pair).data)


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Log out: revoke this session's tokens now")
    def post(self, request):
        services.session_revoke(session=request.auth, reason="logout")
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeSerializer(serializers.ModelSerializer):
    city = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    email = serializers.CharField(read_only=True, help_text="Empty when the account has no e-mail address")

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "display_name",
            "language",
            "city",
            "timezone",
            "marketing_opt_in",
            "plan",
            "credits",
            "referral_code",
            "date_joined",
        ]
        read_only_fields = fields


class ProfileUpdateSerializer(serializers.Serializer):
    """What a user may change about themselves; every field is optional (PATCH)."""

    display_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    city = serializers.SlugRelatedField(
        slug_field="slug", queryset=City.objects.filter(is_active=True), required=False, allow_null=True
    )
    timezone = serializers.CharField(max_length=64, required=False)
    marketing_opt_in = serializers.BooleanField(required=False)

    def validate(self, attrs: dict) -> dict:
        # a client sending {"credits": 1000} must hear that it cannot, not get a silent 200
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["this field cannot be changed"] for name in unknown})
        return attrs

    def validate_timezone(self, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError(f"{value!r} is not an IANA time zone (e.g. Asia/Makassar)")
        return value


class MeView(APIView):
    @extend_schema(responses=MeSerializer, summary="The authenticated user's profile")
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        request=ProfileUpdateSerializer,
        responses={200: MeSerializer},
        summary="Change the profile (display name, language, city, time zone, marketing consent)",
    )
    def patch(self, request):
        data = ProfileUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_profile_update(user=request.user, **data.validated_data)
        return Response(MeSerializer(user).data)


# --------------------------------------------------------------------------- Web Push


class PushKeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(max_length=200, help_text="The browser's P-256 public key, base64url (65 bytes).")
    auth = serializers.CharField(max_length=64, help_text="The browser's auth secret, base64url (16 bytes).")


class PushSubscriptionInputSerializer(serializers.Serializer):
    """What ``PushSubscription.toJSON()`` gives in the browser."""

    endpoint = serializers.CharField(max_length=800)
    expirationTime = serializers.IntegerField(required=False, allow_null=True)  # noqa: N815 - the browser's name
    keys = PushKeysSerializer()


class PushSubscriptionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    endpoint = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class PushUnsubscribeSerializer(serializers.Serializer):
    endpoint = serializers.CharField(max_length=800)


class PushThrottle(UserRateThrottle):
    scope = "push"
    rate = "30/min"


class VapidPublicKeyView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={
            200: inline_serializer("VapidPublicKey", {"public_key": serializers.CharField()}),
            503: inline_serializer("PushNotConfigured", {"detail": serializers.CharField()}),
        },
        summary="The applicationServerKey to subscribe browsers with (503 when push is not configured)",
    )
    def get(self, request):
        from agnt import webpush

        key = webpush.vapid_public_key()
        if not key:
            return Response({"detail": "Web Push is not configured on this server."}, status=503)
        return Response({"public_key": key})


class PushSubscriptionView(APIView):
    throttle_classes = [PushThrottle]

    @extend_schema(
        request=PushSubscriptionInputSerializer,
        responses={201: PushSubscriptionOutputSerializer},
        summary="Subscribe this browser to Web Push (booking confirmations, reminders, price drops)",
    )
    def post(self, request):
        from agnt import webpush

        data = PushSubscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            subscription = services.push_subscription_subscribe(
                user=request.user,
                endpoint=values["endpoint"],
                p256dh=values["keys"]["p256dh"],
                auth=values["keys"]["auth"],
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except webpush.SubscriptionRejected as exc:
            detail = {exc.field: [str(exc)]}
            raise serializers.ValidationError(detail if exc.field == "endpoint" else {"keys": detail}) from exc
        return Response(PushSubscriptionOutputSerializer(subscription).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PushUnsubscribeSerializer,
        # DELETE reads a body here, so its body errors are declared by hand (the schema's
        # implicit errors assume bodies only on POST/PUT/PATCH)
        responses={
            204: None,
            400: OpenApiResponse(description="The body is not valid (each field's problem)"),
            401: OpenApiResponse(description="No valid bearer token"),
            404: None,
            413: OpenApiResponse(description="The body is larger than the upload limit"),
            415: OpenApiResponse(description="The body is not JSON, form or multipart data"),
            429: OpenApiResponse(description="Too many requests"),
        },
        summary="Unsubscribe a browser",
    )
    def delete(self, request):
        data = PushUnsubscribeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if services.push_subscription_unsubscribe(user=request.user, endpoint=data.validated_data["endpoint"]):
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response({"detail": "No such subscription."}, status=status.HTTP_404_NOT_FOUND)
