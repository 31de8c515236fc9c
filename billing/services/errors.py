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


class StripeFailure(BillingError):
    """Stripe refused or could not take a call. ``retryable`` says whether trying again later can help."""

    retryable = False

    def __init__(self, message: str, *, code: str = "", request_id: str = "", param: str = "", decline_code: str = ""):
        self.code = code
        self.request_id = request_id
        self.param = param
        self.decline_code = decline_code
        super().__init__(message)


class StripeCardDeclined(StripeFailure):
    """The card was declined (402): the customer must use another payment method."""


class StripeInvalidRequest(StripeFailure):
    """Stripe rejected the parameters or the object does not exist (400/404): a bug or stale id."""


class StripeIdempotencyMismatch(StripeFailure):
    """An idempotency key was reused with different parameters: a caller bug, never retried."""


class StripeAuthenticationFailed(StripeFailure):
    """The API key is wrong or lacks permission (401/403): fix STRIPE_SECRET_KEY."""


class StripeRateLimited(StripeFailure):
    """Too many requests (429): try again later."""

    retryable = True


class StripeUnavailable(StripeFailure):
    """Stripe could not be reached or failed (network error, 5xx): try again later."""

    retryable = True


class StripeMalformedReply(StripeUnavailable):
    """Stripe (or something in front of it) answered with a body we cannot read: not JSON,
    not the object asked for, a field missing or of the wrong type. Retryable: the call is
    idempotent, so trying again later is safe."""
