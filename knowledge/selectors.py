"""Reads for the knowledge app (the writes are in knowledge.services / knowledge.memory)."""

from __future__ import annotations

from django.db.models import QuerySet

from knowledge.models import UserMemory


def user_memories(*, user) -> QuerySet[UserMemory]:
    """Everything remembered about ``user``, faded (archived) memories included: what they
    are shown when they ask what we know, most important first."""
    return UserMemory.objects.filter(user=user).order_by("-importance", "created_at")
