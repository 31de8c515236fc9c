"""First-party API: my credit balance and my credit ledger (read-only: credits change only
through billing.services.credits, under SELECT … FOR UPDATE on the user row)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from agnt.api.common import StandardPagination
from billing.models import CreditTransaction
from billing.models.credits import CreditKind


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
                raise serializers.ValidationError({"kind": [f"unknown kind {kind!r}; one of {', '.join(CreditKind.values)}"]})
            rows = rows.filter(kind=kind)
        return rows.order_by("-created_at", "-id")

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, enum=CreditKind.values, description="Only this kind of change.")],
        summary="My credit ledger, newest first (paginated)",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
