"""First-party API for knowledge: ask the venues' knowledge (cited passages) and see / forget
what the concierge remembers about you. DRF, JWT — the consumer app's side of the same
services the concierge's ask_venue / recall_memories / remember_preference tools call."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from knowledge import selectors, services
from knowledge.models import UserMemory
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
        responses={200: PassageSerializer(many=True)},
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
    faded = serializers.SerializerMethodField()

    class Meta:
        model = UserMemory
        fields = ["id", "kind", "content", "created_at", "last_recalled_at", "faded"]

    def get_faded(self, memory: UserMemory) -> bool:
        return memory.archived_at is not None


class MemoryListView(APIView):
    @extend_schema(responses={200: MemorySerializer(many=True)}, summary="What the concierge remembers about you")
    def get(self, request):
        return Response(MemorySerializer(selectors.user_memories(user=request.user), many=True).data)

    @extend_schema(responses={200: serializers.DictField()}, summary="Forget everything (the rows are deleted)")
    def delete(self, request):
        return Response({"deleted": services.user_memory_forget_all(user=request.user)})


class MemoryDetailView(APIView):
    @extend_schema(responses={204: None}, summary="Forget one memory (the row is deleted)")
    def delete(self, request, memory_id):
        # Someone else's memory is "not found", not "forbidden": ids must not be probeable.
        memory = selectors.user_memories(user=request.user).filter(pk=memory_id).first()
        if memory is None:
            return Response({"detail": "No such memory."}, status=status.HTTP_404_NOT_FOUND)
        services.user_memory_forget(user=request.user, memory=memory)
        return Response(status=status.HTTP_204_NO_CONTENT)
