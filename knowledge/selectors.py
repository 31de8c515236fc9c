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


def food_diary_between(*, user, start, end) -> dict:
    """The user's food diary from ``start`` (inclusive) to ``end`` (exclusive): the meals,
    oldest first, and their summed calories and macros ("what did I eat this week")."""
    from django.db.models import Count, Sum

    from knowledge.models import FoodDiary

    rows = FoodDiary.objects.filter(user=user, eaten_at__gte=start, eaten_at__lt=end).order_by("eaten_at")
    sums = rows.aggregate(
        meals=Count("id"),
        calories=Sum("calories"),
        protein_g=Sum("protein_g"),
        carbs_g=Sum("carbs_g"),
        fat_g=Sum("fat_g"),
    )
    return {
        "meals": [
            {
                "eaten_at": row.eaten_at,
                "meal_type": row.meal_type,
                "items": [item.get("name", "") for item in row.items if isinstance(item, dict)],
                "calories": row.calories,
            }
            for row in rows
        ],
        "totals": {
            "meals": sums["meals"] or 0,
            "calories": int(sums["calories"] or 0),
            "protein_g": float(sums["protein_g"] or 0),
            "carbs_g": float(sums["carbs_g"] or 0),
            "fat_g": float(sums["fat_g"] or 0),
        },
    }
