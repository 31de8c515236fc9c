"""The agents app's reactions to other apps' signals."""

from __future__ import annotations


def on_plan_synced(sender, *, user, api_tier: str, **kwargs) -> None:
    """A user's plan was synced (billing.signals.plan_synced, inside billing's transaction):
    their API keys take the plan's tier in the same transaction."""
    from agents.services import api_key_tier_sync

    api_key_tier_sync(owner=user, tier=api_tier)
