"""Billing's reaction to other apps' events. Receivers only enqueue a task with ids."""

from __future__ import annotations

from billing.services.fees import FEE_STATUSES


def on_booking_status_changed(sender, *, booking_id, from_status: str, to_status: str, **kwargs) -> None:
    # the signal is sent after the booking's transaction committed, so the task sees the new status
    if to_status not in FEE_STATUSES:
        return
    from billing.tasks import booking_fee_sync

    booking_fee_sync.delay(str(booking_id))


def on_analytics_rollup(sender, *, days: int, now, **kwargs) -> int:
    """Part of the analytics_rollup job: affiliate clicks per day, partner and venue."""
    from billing.services.marketplace import affiliate_click_rollup

    return affiliate_click_rollup(days=days, now=now)
