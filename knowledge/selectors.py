"""Reads for the knowledge app (the writes are in knowledge.services / knowledge.memory)."""

from __future__ import annotations

from django.db.models import QuerySet

from knowledge.models import UserMemory


def user_memories(*, user) -> QuerySet[UserMemory]:
    """Everything remembered about ``user``, faded (archived) memories included: what they
    are shown when they ask what we know, most important first."""
    return UserMemory.objects.filter(user=user).order_by("-importance", "created_at")


def venue_knowledge_passages(
    *, question: str, venue=None, city=None, limit: int = 4, text_chars: int = 700
) -> list[dict]:
    """Passages from venue knowledge that answer ``question`` (hybrid retrieval), each with
    its citation; for a named venue with no ingested document, its own profile text.

    The one answer path behind the concierge's ask_venue tool, the MCP ask_venue tool and
    the /a2a/v1/ask endpoint. Each passage: ``venue_slug``, ``venue_name``, ``text``, ``citation``.
    """
    from knowledge.retrieval import search_venue_knowledge

    hits = search_venue_knowledge(query=question, venue=venue, city=city, limit=limit)
    passages = [
        {
            "venue_slug": hit.venue_slug,
            "venue_name": hit.venue_name,
            "text": hit.content[:text_chars],
            "citation": hit.citation,
        }
        for hit in hits
    ]
    if not passages and venue is not None and venue.knowledge_text:
        # the venue's own profile text is knowledge too, before any document is ingested
        passages = [
            {
                "venue_slug": venue.slug,
                "venue_name": venue.name,
                "text": venue.knowledge_text[:1500],
                "citation": {
                    "venue": venue.name,
                    "source": "venue profile",
                    "kind": "profile",
                    "url": venue.website or None,
                },
            }
        ]
    return passages
