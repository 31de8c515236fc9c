"""First-party API: what the concierge remembers about me (preferences, allergies, facts…).

"Preferences" are the memories of the preference-like kinds (``?kind=preference``,
``allergy``, ``area``, ``party_size``, ``budget``). Deleting a memory really deletes it
(knowledge.services.user_memory_forget): it is the user's data.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from agnt.api.common import StandardPagination, service_errors
from knowledge.models import MemoryKind, UserMemory


class MemorySerializer(serializers.ModelSerializer):
    class Meta:
        model = UserMemory
        fields = ["id", "kind", "content", "confidence", "importance", "created_at", "updated_at"]
        read_only_fields = fields


class MemoryCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MemoryKind.choices, default=MemoryKind.PREFERENCE)
    content = serializers.CharField(max_length=1000, trim_whitespace=True)


class MemoryListView(ListAPIView):
    serializer_class = MemorySerializer
    pagination_class = StandardPagination

    def get_queryset(self):
        memories = UserMemory.objects.filter(user=self.request.user, archived_at__isnull=True)
        kind = self.request.query_params.get("kind")
        if kind:
            if kind not in MemoryKind.values:
                raise serializers.ValidationError({"kind": [f"unknown kind {kind!r}; one of {', '.join(MemoryKind.values)}"]})
            memories = memories.filter(kind=kind)
        return memories.order_by("-importance", "-created_at")

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, enum=MemoryKind.values, description="Only memories of this kind.")],
        summary="What the concierge remembers about me",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=MemoryCreateSerializer, responses={201: MemorySerializer, 200: MemorySerializer},
        summary="Tell the concierge something to remember (a repeat reinforces the existing memory: 200)",
    )
    def post(self, request):
        from knowledge.memory import user_memory_remember

        data = MemoryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with service_errors("content"):
            memory, created = user_memory_remember(
                user=request.user, kind=data.validated_data["kind"], content=data.validated_data["content"],
                confidence=1.0, importance=0.8,  # the user said it themselves
            )
        return Response(MemorySerializer(memory).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class MemoryDetailView(APIView):
    @extend_schema(
        responses={204: None, 404: OpenApiResponse(description="No such memory of mine")},
        summary="Forget a memory (deleted for good)",
    )
    def delete(self, request, pk):
        from knowledge.services import user_memory_forget

        memory = get_object_or_404(UserMemory, pk=pk, user=request.user)
        user_memory_forget(user=request.user, memory=memory)
        return Response(status=status.HTTP_204_NO_CONTENT)
