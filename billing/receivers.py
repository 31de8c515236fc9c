"""Billing's reaction to other apps' events. Receivers only enqueue a task with ids."""

from __future__ import annotations

from billing.services.fees import FEE_STATUSES


def on_booking_status_changed(sender, *, booking_id, from_status: str, to_status: str, **kwargs) -> None:
    # the signal is sent after the booking's transaction committed, so the task sees the new status
    if to_status not in FEE_STATUSES:
        return
    from billing.tasks import booking_fee_sync

    booking_fee_sync.delay(str(booking_id))
