"""Billing's domain errors: a rule refused the operation (callers show the message)."""

from __future__ import annotations


class BillingError(Exception):
    """A billing rule refused the operation; the message is fit to show an operator."""


class InsufficientCredits(BillingError):
    def __init__(self, *, balance: int, requested: int):
        self.balance = balance
        self.requested = requested
        super().__init__(f"insufficient credits: balance {balance}, requested {requested}")


class IdempotencyConflict(BillingError):
    """An idempotency key was reused for a different operation (a caller bug, never retried)."""


class InvalidTransition(BillingError):
    pass


class ReferralError(BillingError):
    pass


class NothingToInvoice(BillingError):
    pass
