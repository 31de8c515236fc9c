"""Signals the billing app sends.

``plan_synced`` is sent inside the transaction that set a user's plan (under the lock on the
user row), every time the plan is synced from the user's live subscriptions, changed or
not: receivers bring what they own in line with the plan's entitlements (agents moves the
user's API keys to ``api_tier``), and their writes commit or roll back with the plan.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: user (locked agnt.User), plan (ConsumerPlan value), api_tier (agnt.models.ApiTier value)
plan_synced = Signal()
