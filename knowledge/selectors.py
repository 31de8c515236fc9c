"""Reads for the knowledge app: nearest chunks and memories by cosine distance, full-text search."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import F, QuerySet
from pgvector.django import CosineDistance

from knowledge.models import UserMemory, VenueChunk


def venue_chunks_nearest(*, venue, embedding: Sequence[float], limit: int = 5) -> QuerySet[VenueChunk]:
    """The venue's chunks closest to ``embedding`` (cosine; served by the HNSW index)."""
    return (
        VenueChunk.objects.filter(venue=venue, embedding__isnull=False)
        .annotate(distance=CosineDistance("embedding", list(embedding)))
        .order_by("distance")[:limit]
    )


def venue_chunks_search(*, venue, query: str, limit: int = 5) -> QuerySet[VenueChunk]:
    """Full-text fallback when no embedding is available (uses the generated tsvector column)."""
    search = SearchQuery(query, config="english", search_type="websearch")
    return (
        VenueChunk.objects.filter(venue=venue, search_vector=search)
        .annotate(rank=SearchRank(F("search_vector"), search))
        .order_by("-rank")[:limit]
    )


def user_memories_nearest(*, user, embedding: Sequence[float], limit: int = 8) -> QuerySet[UserMemory]:
    return (
        UserMemory.objects.filter(user=user, archived_at__isnull=True, embedding__isnull=False)
        .annotate(distance=CosineDistance("embedding", list(embedding)))
        .order_by("distance")[:limit]
    )
