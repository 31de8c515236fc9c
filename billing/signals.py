"""Signals the billing app sends.

``plan_synced`` is sent inside the transaction that set a user's plan (under the lock on the
user row), every time the plan is synced from the user's live subscriptions, changed or
not: receivers bring what they own in line with the plan's entitlements (agents moves the
user's API keys to ``api_tier``), and their writes commit or roll back with the plan.

``price_watch_triggered`` is sent after the transaction that triggered a price watch
commits; messaging (the single sender of notifications) tells the guest. Billing never
imports messaging.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: user (locked agnt.User), plan (ConsumerPlan value), api_tier (agnt.models.ApiTier value)
plan_synced = Signal()

# kwargs: watcher_id, price (Decimal), currency — a price watch reached its target
price_watch_triggered = Signal()
