"""First-party billing API (DRF, JWT): my credit balance and credit ledger (read-only: credits
change only through billing.services.credits, under SELECT … FOR UPDATE on the user row), and
my subscription: plans, Stripe Checkout, the customer portal."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from agnt.api.common import StandardPagination
from billing import plans, selectors
from billing.models import CreditTransaction, SubscriptionKind
from billing.models.credits import CreditKind
from billing.services.errors import BillingError, StripeFailure, StripeIdempotencyMismatch
from billing.services.subscriptions import subscription_checkout_start, subscription_portal_open


class CreditBalanceSerializer(serializers.Serializer):
    balance = serializers.IntegerField(help_text="Credits I can spend now (the ledger's latest balance).")


class CreditTransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditTransaction
        fields = ["id", "amount", "balance_after", "kind", "reason", "expires_at", "created_at"]
        read_only_fields = fields


class CreditBalanceView(APIView):
    @extend_schema(responses=CreditBalanceSerializer, summary="My credit balance")
    def get(self, request):
        from billing.selectors import credit_balance_from_ledger

        return Response(CreditBalanceSerializer({"balance": credit_balance_from_ledger(user=request.user)}).data)


class CreditTransactionListView(ListAPIView):
    serializer_class = CreditTransactionSerializer
    pagination_class = StandardPagination

    def get_queryset(self):
        rows = CreditTransaction.objects.filter(user=self.request.user)
        kind = self.request.query_params.get("kind")
        if kind:
            if kind not in CreditKind.values:
                raise serializers.ValidationError(
                    {"kind": [f"unknown kind {kind!r}; one of {', '.join(CreditKind.values)}"]}
                )
            rows = rows.filter(kind=kind)
        return rows.order_by("-created_at", "-id")

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, enum=CreditKind.values, description="Only this kind of change.")],
        summary="My credit ledger, newest first (paginated)",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=True,
    description="One value per logical attempt; a retry with the same value returns the same session.",
)


def _stripe_error(exc: StripeFailure) -> Response:
    if isinstance(exc, StripeIdempotencyMismatch):
        # the client reused its Idempotency-Key with other parameters: its mistake, not Stripe's
        return Response(
            {
                "detail": "this Idempotency-Key was already used with other parameters; send a new key",
                "retryable": False,
            },
            status=status.HTTP_409_CONFLICT,
        )
    code = status.HTTP_503_SERVICE_UNAVAILABLE if exc.retryable else status.HTTP_502_BAD_GATEWAY
    return Response({"detail": str(exc), "retryable": exc.retryable}, status=code)


def _attempt(request) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    return key if 0 < len(key) <= 100 and key.isprintable() else None


class SubscriptionSerializer(serializers.Serializer):
    plan = serializers.CharField()
    status = serializers.CharField()
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()


class BillingStatusSerializer(serializers.Serializer):
    plan = serializers.CharField()
    api_tier = serializers.CharField()
    monthly_credits = serializers.IntegerField()
    credits = serializers.IntegerField()
    subscriptions = SubscriptionSerializer(many=True)
    available_plans = serializers.ListField(child=serializers.DictField())


class BillingStatusView(APIView):
    @extend_schema(responses=BillingStatusSerializer, summary="My plan, entitlements and subscriptions")
    def get(self, request):
        ent = selectors.user_entitlements(user=request.user)
        data = {
            "plan": ent.plan,
            "api_tier": ent.api_tier,
            "monthly_credits": ent.monthly_credits,
            "credits": request.user.credits,
            "subscriptions": list(selectors.user_subscriptions(user=request.user)[:10]),
            "available_plans": [
                {"code": p.code, "name": p.name, "api_tier": p.api_tier, "monthly_credits": p.monthly_credits}
                for p in plans.plans_of_kind(SubscriptionKind.CONSUMER)
            ],
        }
        return Response(BillingStatusSerializer(data).data)


class CheckoutView(APIView):
    class CheckoutInputSerializer(serializers.Serializer):
        plan = serializers.ChoiceField(choices=[p.code for p in plans.plans_of_kind(SubscriptionKind.CONSUMER)])
        success_url = serializers.URLField(required=False)
        cancel_url = serializers.URLField(required=False)

    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField()
        url = serializers.CharField()

    @extend_schema(
        request=CheckoutInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: OutputSerializer,
            400: OpenApiResponse(description="Unknown plan, missing Idempotency-Key"),
            409: OpenApiResponse(
                description="Already subscribed (use the portal), or the Idempotency-Key was used with other parameters"
            ),
            502: OpenApiResponse(description="Stripe refused the call (not retryable)"),
            503: OpenApiResponse(
                description="Stripe unreachable or its reply unreadable; retry with the same Idempotency-Key"
            ),
        },
        summary="Start a subscription: a Stripe Checkout URL (mode=subscription)",
    )
    def post(self, request):
        attempt = _attempt(request)
        if attempt is None:
            return Response({"detail": "send an Idempotency-Key header (1–100 printable characters)"}, status=400)
        data = self.CheckoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        base = settings.PUBLIC_BASE_URL.rstrip("/")
        try:
            session = subscription_checkout_start(
                plan_code=data.validated_data["plan"],
                user=request.user,
                attempt=attempt,
                success_url=data.validated_data.get("success_url") or f"{base}/api/billing?checkout=success",
                cancel_url=data.validated_data.get("cancel_url") or f"{base}/api/billing?checkout=cancel",
            )
        except StripeFailure as exc:
            return _stripe_error(exc)
        except BillingError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(self.OutputSerializer(session).data, status=status.HTTP_201_CREATED)


class PortalView(APIView):
    class PortalInputSerializer(serializers.Serializer):
        return_url = serializers.URLField(required=False)

    @extend_schema(
        request=PortalInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: CheckoutView.OutputSerializer,
            400: OpenApiResponse(description="Missing Idempotency-Key or a bad return_url"),
            409: OpenApiResponse(
                description="No Stripe customer yet, or the Idempotency-Key was used with other parameters"
            ),
            502: OpenApiResponse(description="Stripe refused the call (not retryable)"),
            503: OpenApiResponse(
                description="Stripe unreachable or its reply unreadable; retry with the same Idempotency-Key"
            ),
        },
        summary="Open the Stripe customer portal (change plan, cancel, cards, invoices)",
    )
    def post(self, request):
        attempt = _attempt(request)
        if attempt is None:
            return Response({"detail": "send an Idempotency-Key header (1–100 printable characters)"}, status=400)
        data = self.PortalInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            session = subscription_portal_open(
                user=request.user,
                attempt=attempt,
                return_url=data.validated_data.get("return_url")
                or f"{settings.PUBLIC_BASE_URL.rstrip('/')}/api/billing",
            )
        except StripeFailure as exc:
            return _stripe_error(exc)
        except BillingError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(CheckoutView.OutputSerializer(session).data, status=status.HTTP_201_CREATED)
