"""Refusals of the hosted-agent layer, as the open network's NetworkError subclasses: the
/a2a/v1 API renders them as problem+json, MCP as tool errors, A2A as failed tasks."""

from agents.platform.external import InvalidRequest, NetworkError, NotFound

__all__ = ["AllowanceExhaustedError", "Conflict", "InvalidRequest", "NetworkError", "NotFound", "RunNotCancellable"]


class Conflict(NetworkError):
    code, status, title = "conflict", 409, "Conflict"


class AllowanceExhaustedError(NetworkError):
    code, status, title = "allowance_exhausted", 402, "Your hosted-agent allowance is used up"


class RunNotCancellable(NetworkError):
    code, status, title = "run_not_cancellable", 409, "This run has already finished"
