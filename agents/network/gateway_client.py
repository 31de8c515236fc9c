"""Client for the ClawPulse A2A gateway (remote, or the project's built-in one in-process).

Wire format (ClawPulse):

- ``POST {CLAWPULSE_GATEWAY}/api/agents/message`` with ``{"to", "from", "payload", "priority"}``
  and ``X-API-Key`` → 202 ``{"ok": true, "message_id": "...", "status": "queued"}``;
- ``POST`` (or ``GET``) ``{CLAWPULSE_GATEWAY}/api/agents/{agent_id}/queue/drain?limit=n`` →
  200 ``{"ok": true, "agent_id": "...", "messages": [{"message_id", "from", "to", "payload",
  "priority", "created_at"}]}``;
- ``GET {CLAWPULSE_GATEWAY}/api/health`` → 200 ``{"ok": true, ...}``;
- errors: ``{"ok": false, "error": "<code>", "detail": "..."}`` with 400/401/404/413/429/5xx.

Every HTTP call has a 15 s hard deadline (the whole exchange, not per socket read).
Sending goes through the circuit breakers (agents.network.breakers): the global one first, then
the recipient venue's. Failures of the gateway itself count against both; a failure the
gateway attributes to the recipient (429 inbox full, 503 recipient_unavailable) only
against the venue's, so one unreachable venue cannot take the whole network down.

When CLAWPULSE_GATEWAY is the built-in gateway (PUBLIC_BASE_URL + "/gateway", the default)
the client hands the message to agents.network.gateway in-process — the same service the HTTP
view calls — so one machine runs the network without HTTP calls to itself.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.db import DatabaseError

from agents.network import breakers

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 15.0


class GatewayError(Exception):
    """Base of everything the client raises. ``retryable``: worth sending again later."""

    retryable = False
    # which breakers a failure counts against: "gateway" (global + venue), "recipient" (venue only), "" (none)
    breaker_scope = ""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class GatewayUnavailable(GatewayError):
    """Network failure, timeout, 5xx: the gateway could not take the message now."""

    retryable = True
    breaker_scope = "gateway"


class GatewayTimeout(GatewayUnavailable):
    pass


class RecipientUnavailable(GatewayUnavailable):
    """The gateway is up but the recipient's inbox refuses for now (429, 503 recipient_unavailable)."""

    breaker_scope = "recipient"


class GatewayCircuitOpen(GatewayUnavailable):
    """A breaker refused the call before it went out; ``retry_after`` seconds until a trial."""

    breaker_scope = ""

    def __init__(self, message: str, *, breaker: str, retry_after: float) -> None:
        super().__init__(message, code="circuit_open")
        self.breaker = breaker
        self.retry_after = retry_after


class GatewayAuthError(GatewayError):
    """401/403: our key was refused — a configuration problem; retried once someone fixes it."""

    retryable = True
    breaker_scope = "gateway"


class GatewayUnknownAgent(GatewayError):
    """404: the gateway knows no such agent. Sending again will not help."""


class GatewayRejected(GatewayError):
    """Another 4xx (malformed, too large): the message itself is wrong."""


@dataclass(frozen=True)
class SendResult:
    message_id: str
    status: str


@dataclass(frozen=True)
class DrainedMessage:
    message_id: str
    from_agent_id: str
    to_agent_id: str
    payload: dict[str, Any]
    priority: int
    created_at: str


def gateway_base_url() -> str:
    return (getattr(settings, "CLAWPULSE_GATEWAY", "") or "").rstrip("/")


def builtin_gateway_url() -> str:
    return getattr(settings, "PUBLIC_BASE_URL", "").rstrip("/") + "/gateway"


def is_builtin_gateway(base_url: str | None = None) -> bool:
    url = (base_url if base_url is not None else gateway_base_url()).rstrip("/")
    return url == builtin_gateway_url() or url.startswith(builtin_gateway_url() + "/")


_pool_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _executor() -> ThreadPoolExecutor:
    # one pool per process: a forked Celery child must not inherit its parent's threads
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(max_workers=8, thread_name_prefix="gateway-http"))
        return _pool[1]


def _error_from_response(response: httpx.Response) -> GatewayError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    code = str(body.get("error", "")) if isinstance(body, dict) else ""
    detail = str(body.get("detail", "")) if isinstance(body, dict) else ""
    status = response.status_code
    message = f"gateway answered {status}{f' {code}' if code else ''}{f': {detail}' if detail else ''}"
    if status in (401, 403):
        return GatewayAuthError(message, status=status, code=code)
    if status == 404:
        return GatewayUnknownAgent(message, status=status, code=code)
    if status == 429 or (status == 503 and code == "recipient_unavailable"):
        return RecipientUnavailable(message, status=status, code=code)
    if status >= 500 or status == 408:
        return GatewayUnavailable(message, status=status, code=code)
    return GatewayRejected(message, status=status, code=code)


class GatewayClient:
    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
        in_process: bool | None = None,
        breaker_options: dict[str, Any] | None = None,
    ) -> None:
        self.base_url = (base_url if base_url is not None else gateway_base_url()).rstrip("/")
        self.api_key = api_key if api_key is not None else (getattr(settings, "CLAWPULSE_API_KEY", "") or "")
        self.timeout = timeout
        self.in_process = is_builtin_gateway(self.base_url) if in_process is None else in_process
        self.breaker_options = breaker_options or {}

    # --- transport -----------------------------------------------------------------------

    def _http(
        self, method: str, path: str, *, json_body: Any = None, params: dict | None = None, api_key: str | None = None
    ) -> dict[str, Any]:
        if not self.base_url:
            raise GatewayUnavailable("CLAWPULSE_GATEWAY is not configured")
        url = self.base_url + path
        headers = {"Accept": "application/json", "X-API-Key": api_key if api_key is not None else self.api_key}

        def call() -> httpx.Response:
            return httpx.request(method, url, json=json_body, params=params, headers=headers, timeout=self.timeout)

        future = _executor().submit(call)
        try:
            # the hard deadline: httpx's timeout is per phase, this one is for the whole call
            response = future.result(timeout=self.timeout)
        except FuturesTimeout as exc:
            future.cancel()
            raise GatewayTimeout(f"the gateway did not answer within {self.timeout:g} s") from exc
        except httpx.TimeoutException as exc:
            raise GatewayTimeout(f"the gateway did not answer within {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(f"the gateway could not be reached ({type(exc).__name__})") from exc
        if response.status_code >= 300:
            raise _error_from_response(response)
        try:
            data = response.json()
        except ValueError as exc:
            raise GatewayUnavailable(
                f"the gateway answered {response.status_code} with a body that is not JSON"
            ) from exc
        if not isinstance(data, dict):
            raise GatewayUnavailable("the gateway answered with JSON that is not an object")
        return data

    # --- breakers --------------------------------------------------------------------------

    def breakers_for(self, venue_key: str | None) -> list[breakers.CircuitBreaker]:
        chain = [breakers.global_breaker(**self.breaker_options)]
        if venue_key:
            chain.append(breakers.venue_breaker(venue_key, **self.breaker_options))
        return chain

    # --- API -------------------------------------------------------------------------------

    def send_message(
        self, *, to: str, from_agent_id: str, payload: dict[str, Any], priority: int = 5, venue_key: str | None = None
    ) -> SendResult:
        """Hand one message to the gateway. Raises a GatewayError subclass; GatewayCircuitOpen
        when a breaker refuses (nothing was sent)."""
        chain = self.breakers_for(venue_key)
        try:
            permits = breakers.acquire(chain)
        except breakers.CircuitOpen as exc:
            raise GatewayCircuitOpen(str(exc), breaker=exc.name, retry_after=exc.retry_after) from exc
        try:
            result = self._send(to=to, from_agent_id=from_agent_id, payload=payload, priority=priority)
        except GatewayError as exc:
            for permit in permits:
                is_global = permit.breaker.name == breakers.GLOBAL_BREAKER
                counts = exc.breaker_scope == "gateway" or (exc.breaker_scope == "recipient" and not is_global)
                if counts:
                    permit.breaker.record_failure(permit)
                else:
                    # the gateway answered sensibly: as far as this breaker goes, the trial passed
                    permit.breaker.record_success(permit)
            raise
        for permit in permits:
            permit.breaker.record_success(permit)
        return result

    def _send(self, *, to: str, from_agent_id: str, payload: dict[str, Any], priority: int) -> SendResult:
        if self.in_process:
            from agents.network import gateway

            try:
                message = gateway.gateway_message_accept(
                    to_agent_id=to,
                    from_agent_id=from_agent_id,
                    payload=payload,
                    priority=priority,
                    sent_with="internal",
                )
            except gateway.UnknownRecipient as exc:
                raise GatewayUnknownAgent(str(exc), status=404, code=exc.code) from exc
            except gateway.GatewayRequestError as exc:
                raise GatewayRejected(str(exc), status=exc.status, code=exc.code) from exc
            except DatabaseError as exc:
                raise GatewayUnavailable(
                    f"the built-in gateway could not store the message ({type(exc).__name__})"
                ) from exc
            return SendResult(message_id=str(message.pk), status=message.status)
        data = self._http(
            "POST",
            "/api/agents/message",
            json_body={"to": to, "from": from_agent_id, "payload": payload, "priority": priority},
        )
        return SendResult(message_id=str(data.get("message_id", "")), status=str(data.get("status", "queued")))

    def drain(self, agent_id: str, *, limit: int = 50, api_key: str | None = None) -> list[DrainedMessage]:
        """Fetch (and remove) up to ``limit`` messages from an agent's gateway inbox."""
        if self.in_process:
            from agents.models import Agent
            from agents.network import gateway

            agent = Agent.objects.filter(agent_id=agent_id).first()
            if agent is None:
                raise GatewayUnknownAgent(f"no agent {agent_id!r} on this gateway", status=404, code="unknown_agent")
            return [
                DrainedMessage(
                    message_id=str(m.pk),
                    from_agent_id=m.from_agent_id,
                    to_agent_id=agent_id,
                    payload=m.payload,
                    priority=m.priority,
                    created_at=m.created_at.isoformat(),
                )
                for m in gateway.gateway_inbox_drain(agent=agent, limit=limit)
            ]
        data = self._http("POST", f"/api/agents/{agent_id}/queue/drain", params={"limit": limit}, api_key=api_key)
        messages = data.get("messages") or []
        if not isinstance(messages, list):
            raise GatewayUnavailable("the gateway's drain answer has no message list")
        drained = []
        for item in messages:
            if not isinstance(item, dict) or not isinstance(item.get("payload"), dict):
                logger.warning("skipping a malformed drained message from the gateway: %r", item)
                continue
            drained.append(
                DrainedMessage(
                    message_id=str(item.get("message_id", "")),
                    from_agent_id=str(item.get("from", "")),
                    to_agent_id=str(item.get("to", agent_id)),
                    payload=item["payload"],
                    priority=int(item.get("priority", 5)) if str(item.get("priority", 5)).isdigit() else 5,
                    created_at=str(item.get("created_at", "")),
                )
            )
        return drained

    def health(self) -> dict[str, Any]:
        if self.in_process:
            from agents.network import gateway

            return gateway.gateway_health()
        return self._http("GET", "/api/health")


def gateway_client() -> GatewayClient:
    """The client for the configured gateway (read settings at call time: tests override them)."""
    return GatewayClient()


__all__ = [
    "DrainedMessage",
    "GatewayAuthError",
    "GatewayCircuitOpen",
    "GatewayClient",
    "GatewayError",
    "GatewayRejected",
    "GatewayTimeout",
    "GatewayUnavailable",
    "GatewayUnknownAgent",
    "RecipientUnavailable",
    "SendResult",
    "gateway_client",
    "is_builtin_gateway",
]
