"""AgentCard jobs (imported by agents/tasks.py so the worker registers them)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from agents.network import cards
from agnt.scheduling import periodic_job

__all__ = ["agent_card_refresh"]


@periodic_job(name="agent_card_refresh", schedule=timedelta(minutes=10), queue="maintenance")
@shared_task(name="agents.agent_card_refresh")
def agent_card_refresh(full: bool = False) -> dict[str, int]:
    """Republish AgentCards whose agent, venue or city changed (all of them once a day)."""
    # Once a day every card is rebuilt anyway: a blackout date passing changes a card
    # without any row changing.
    daily = cache.add(f"agent_card_refresh:full:{timezone.localdate().isoformat()}", 1, timeout=2 * 24 * 3600)
    return cards.cards_refresh(full=full or daily)
