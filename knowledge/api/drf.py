"""First-party API for knowledge: ask the venues' knowledge (cited passages), and see, add
and forget what the concierge remembers about me. DRF, JWT — the consumer app's side of the
same services the concierge's ask_venue / recall_memories / remember_preference tools call.

"Preferences" are the memories of the preference-like kinds (``?kind=preference``,
``allergy``, ``area``, ``party_size``, ``budget``). Deleting a memory really deletes it
(knowledge.services.user_memory_forget): it is the user's data.
"""

from __future__ import annotations

import uuid

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from agnt.api.common import StandardPagination, service_errors
from knowledge import selectors, services
from knowledge.models import MemoryKind, UserMemory
from knowledge.retrieval import search_venue_knowledge


class KnowledgeSearchThrottle(UserRateThrottle):
    scope = "knowledge_search"
    rate = "60/min"  # each search embeds the question: CPU on the web worker


class CitationSerializer(serializers.Serializer):
    venue = serializers.CharField()
    source = serializers.CharField()
    kind = serializers.CharField()
    url = serializers.CharField(allow_null=True)
    section = serializers.CharField(allow_null=True)
    page = serializers.IntegerField(allow_null=True)


class PassageSerializer(serializers.Serializer):
    venue = serializers.CharField(source="venue_name")
    venue_slug = serializers.CharField()
    heading = serializers.CharField()
    text = serializers.CharField(source="content")
    score = serializers.FloatField()
    citation = CitationSerializer()


class KnowledgeSearchView(APIView):
    throttle_classes = [KnowledgeSearchThrottle]

    class QuerySerializer(serializers.Serializer):
        q = serializers.CharField(min_length=2, max_length=300)
        venue = serializers.CharField(required=False, max_length=180, help_text="A venue's slug or id.")
        city = serializers.SlugField(required=False, max_length=80)
        category = serializers.CharField(required=False, max_length=20)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=20, default=5)

        def validate_category(self, value: str) -> str:
            from venues.models import VenueCategory

            if value not in VenueCategory.values:
                raise serializers.ValidationError(f"Unknown category; one of: {', '.join(VenueCategory.values)}.")
            return value

        def validate_city(self, value: str) -> str:
            from venues.models import City

            if not City.objects.filter(slug=value).exists():
                raise serializers.ValidationError("No city with this slug.")
            return value

    @extend_schema(
        parameters=[QuerySerializer],
        responses={
            200: PassageSerializer(many=True),
            404: OpenApiResponse(description="No venue with this slug or id"),
        },
        summary="Passages from the venues' menus, pages and notes that answer a question, each with its citation",
    )
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        venue = None
        if data.get("venue"):
            venue = _venue(data["venue"])
            if venue is None:
                return Response({"venue": ["No venue with this slug or id."]}, status=status.HTTP_404_NOT_FOUND)
        hits = search_venue_knowledge(
            query=data["q"], venue=venue, city=data.get("city"), category=data.get("category"), limit=data["limit"]
        )
        return Response(PassageSerializer(hits, many=True).data)


def _venue(key: str):
    from venues.models import Venue

    try:
        return Venue.objects.filter(pk=uuid.UUID(key)).first()
    except ValueError:
        return Venue.objects.filter(slug=key).first()


class MemorySerializer(serializers.ModelSerializer):
    faded = serializers.SerializerMethodField(help_text="Archived by the nightly decay: kept, but no longer recalled.")

    class Meta:
        model = UserMemory
        fields = [
            "id",
            "kind",
            "content",
            "confidence",
            "importance",
            "created_at",
            "updated_at",
            "last_recalled_at",
            "faded",
        ]
        read_only_fields = fields

    def get_faded(self, memory: UserMemory) -> bool:
        return memory.archived_at is not None


class MemoryCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MemoryKind.choices, default=MemoryKind.PREFERENCE)
    content = serializers.CharField(max_length=1000, trim_whitespace=True)


class MemoryListView(ListAPIView):
    serializer_class = MemorySerializer
    pagination_class = StandardPagination

    def get_queryset(self):
        # faded (archived) memories are shown too, marked: the user asked what we know
        memories = selectors.user_memories(user=self.request.user)
        kind = self.request.query_params.get("kind")
        if kind:
            if kind not in MemoryKind.values:
                raise serializers.ValidationError(
                    {"kind": [f"unknown kind {kind!r}; one of {', '.join(MemoryKind.values)}"]}
                )
            memories = memories.filter(kind=kind)
        return memories

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, enum=MemoryKind.values, description="Only memories of this kind.")],
        summary="What the concierge remembers about me",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=MemoryCreateSerializer,
        responses={201: MemorySerializer, 200: MemorySerializer},
        summary="Tell the concierge something to remember (a repeat reinforces the existing memory: 200)",
    )
    def post(self, request):
        from knowledge.memory import user_memory_remember

        data = MemoryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with service_errors("content"):
            memory, created = user_memory_remember(
                user=request.user,
                kind=data.validated_data["kind"],
                content=data.validated_data["content"],
                confidence=1.0,
                importance=0.8,  # the user said it themselves
            )
        return Response(
            MemorySerializer(memory).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        operation_id="memories_forget_all",
        responses={200: inline_serializer("MemoriesForgotten", fields={"deleted": serializers.IntegerField()})},
        summary="Forget everything (the rows are deleted)",
    )
    def delete(self, request):
        return Response({"deleted": services.user_memory_forget_all(user=request.user)})


class MemoryDetailView(APIView):
    @extend_schema(
        responses={204: None, 404: OpenApiResponse(description="No such memory of mine")},
        summary="Forget a memory (deleted for good)",
    )
    def delete(self, request, pk):
        # someone else's memory is "not found", not "forbidden": ids must not be probeable
        memory = get_object_or_404(UserMemory, pk=pk, user=request.user)
        services.user_memory_forget(user=request.user, memory=memory)
        return Response(status=status.HTTP_204_NO_CONTENT)
