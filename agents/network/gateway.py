"""The built-in ClawPulse-compatible gateway: durable per-agent inboxes, keys, push on arrival.

The HTTP views (agents.network.gateway_views) and the in-process client path
(agents.network.gateway_client with the default CLAWPULSE_GATEWAY) both call these services, so a
message takes the same route whether it came over HTTP or from this process.

On arrival a message is stored (GatewayMessage, pending) and, on commit, a task pushes it:
- to an agent hosted here (an Agent row with no endpoint_url): agents.network.inbox.inbox_receive;
- to an agent with an endpoint_url: an HTTP POST of the envelope, signed (X-AGNT-Timestamp,
  X-AGNT-Signature over the raw body, same HMAC as envelopes);
- otherwise (a paused or retired agent) it waits in the inbox for a drain.
The venue_inbox_drain job re-pushes what is still pending after 30 s (a lost task, a
worker restart, an endpoint that was down); agents can always drain their inbox.

Keys: the platform key (CLAWPULSE_API_KEY) may send as any agent and drain any inbox; an
agent's own inbox key (Agent.inbox_key_hash, issued by :func:`gateway_agent_key_issue`)
may send as that agent and drain that agent's inbox.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from agents.models import Agent, AgentStatus, GatewayMessage
from agents.network import signing
from agents.selectors import agent_get_by_inbox_key
from agents.services import agent_inbox_key_rotate
from agents.state import GATEWAY_MESSAGE_TRANSITIONS, GatewayMessageStatus
from agnt.transitions import transition

logger = logging.getLogger(__name__)

PUSH_TIMEOUT_SECONDS = 15.0
MAX_PUSH_ATTEMPTS = 5
DEFAULT_TTL = timedelta(days=1)
MAX_DRAIN = 100

M = GatewayMessageStatus


class GatewayRequestError(Exception):
    """A request the gateway refuses; ``status`` is the HTTP answer, ``code`` the error code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


class MessageInvalid(GatewayRequestError):
    status = 400
    code = "invalid_message"


class UnknownRecipient(GatewayRequestError):
    status = 404
    code = "unknown_agent"


class GatewayAuthFailed(GatewayRequestError):
    status = 401
    code = "unauthorized"


def max_body_bytes() -> int:
    return int(getattr(settings, "GATEWAY_MAX_BODY_BYTES", 256 * 1024))


# --- keys --------------------------------------------------------------------------------


def gateway_agent_key_issue(*, agent: Agent) -> str:
    """A new inbox key for ``agent`` (the old one stops working); the plaintext is returned once."""
    return agent_inbox_key_rotate(agent=agent)


def _is_platform_key(api_key: str) -> bool:
    platform = getattr(settings, "CLAWPULSE_API_KEY", "") or ""
    return bool(platform and api_key) and hmac.compare_digest(platform.encode(), api_key.encode())


def gateway_authenticate(*, api_key: str, agent_id: str) -> str:
    """Which key this is for acting as ``agent_id``: "platform" or "agent"; GatewayAuthFailed otherwise."""
    if not api_key:
        raise GatewayAuthFailed("missing X-API-Key")
    if _is_platform_key(api_key):
        return "platform"
    if agent_id and agent_get_by_inbox_key(agent_id=agent_id, plaintext=api_key) is not None:
        return "agent"
    raise GatewayAuthFailed("the key is not valid for this agent")


# --- messages ----------------------------------------------------------------------------


def _validate(*, to_agent_id: Any, from_agent_id: Any, payload: Any, priority: Any) -> int:
    for name, value in (("to", to_agent_id), ("from", from_agent_id)):
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise MessageInvalid(f"{name!r} must be an agent id (1-200 characters)")
    if not isinstance(payload, dict):
        raise MessageInvalid("'payload' must be a JSON object")
    if priority is None:
        return 5
    if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 9:
        raise MessageInvalid("'priority' must be an integer from 0 to 9")
    return priority


def _expiry(payload: dict) -> timedelta:
    ttl_ms = payload.get("ttl_ms")
    if isinstance(ttl_ms, int) and not isinstance(ttl_ms, bool) and ttl_ms > 0:
        return timedelta(milliseconds=ttl_ms)
    return DEFAULT_TTL


@transaction.atomic
def gateway_message_accept(
    *, to_agent_id: str, from_agent_id: str, payload: dict, priority: int | None = 5, sent_with: str = "internal"
) -> GatewayMessage:
    """Store a message in the recipient's inbox and push it once the transaction commits."""
    priority = _validate(to_agent_id=to_agent_id, from_agent_id=from_agent_id, payload=payload, priority=priority)
    recipient = Agent.objects.filter(agent_id=to_agent_id).exclude(status=AgentStatus.RETIRED).first()
    if recipient is None:
        raise UnknownRecipient(f"no agent {to_agent_id!r} on this gateway")
    envelope_id = payload.get("envelope_id")
    message = GatewayMessage.objects.create(
        recipient=recipient,
        from_agent_id=from_agent_id,
        envelope_id=envelope_id[:64] if isinstance(envelope_id, str) else "",
        payload=payload,
        priority=priority,
        sent_with=sent_with[:10],
        expires_at=timezone.now() + _expiry(payload),
    )
    if recipient.status == AgentStatus.ACTIVE:
        from agents.network.gateway_jobs import gateway_push

        message_pk = str(message.pk)
        transaction.on_commit(lambda: gateway_push.delay(message_pk))
    return message


def _mark(message: GatewayMessage, to_status: str, *, error: str = "") -> None:
    """Move a message the caller holds locked along GATEWAY_MESSAGE_TRANSITIONS (the
    trigger re-checks). No event table: the row keeps ``delivered_at`` and ``last_error``."""

    def stamps(row: GatewayMessage, from_status: str) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if to_status in (M.DELIVERED, M.DRAINED):
            fields["delivered_at"] = timezone.now()
        if error:
            fields["last_error"] = error[:2000]
        return fields

    transition(
        message,
        to_status=to_status,
        table=GATEWAY_MESSAGE_TRANSITIONS,
        changes=stamps,
        refuse=lambda row, from_status: ValueError(
            f"gateway message {row.pk} cannot move from {from_status} to {to_status}"
        ),
        locked=message,
    )


def _record_push_failure(message_pk, error: str) -> None:
    GatewayMessage.objects.filter(pk=message_pk, status=M.PENDING).update(last_error=error[:2000])


def _is_hosted(agent: Agent) -> bool:
    return not agent.endpoint_url


def gateway_message_push(*, message_pk) -> str:
    """Deliver one pending message to its recipient; returns what happened.

    "delivered" (handed to the hosted agent's inbox, including a refusal by the recipient,
    which is the recipient's answer, not a delivery failure), "pushed" (the endpoint took
    it), "waiting" (for a drain), "retry" (failed; the fallback job tries again),
    "skipped" (already gone, or another worker has it).
    """
    message = GatewayMessage.objects.select_related("recipient").filter(pk=message_pk).first()
    if message is None or message.status != M.PENDING:
        return "skipped"
    recipient = message.recipient
    if recipient.status != AgentStatus.ACTIVE:
        return "waiting"
    if _is_hosted(recipient):
        return _push_hosted(message_pk)
    return _push_endpoint(message)


def _push_hosted(message_pk) -> str:
    from agents.network.inbox import InboxRejected, inbox_receive

    with transaction.atomic():
        # the row lock makes push and drain exclusive: the fallback job skips a message in flight
        locked = (
            GatewayMessage.objects.select_for_update(skip_locked=True).filter(pk=message_pk, status=M.PENDING).first()
        )
        if locked is None:
            return "skipped"
        GatewayMessage.objects.filter(pk=locked.pk).update(push_attempts=locked.push_attempts + 1)
        note = ""
        # a savepoint, not atomic(): a refusal must keep the row that records it
        savepoint = transaction.savepoint()
        try:
            inbox_receive(envelope=locked.payload)
            transaction.savepoint_commit(savepoint)
        except InboxRejected as exc:
            transaction.savepoint_commit(savepoint)
            note = f"refused by the recipient: {exc.reason}: {exc}"
            logger.info("gateway message %s %s", locked.pk, note)
        except Exception as exc:  # noqa: BLE001 - our side failed; keep the message for the fallback
            transaction.savepoint_rollback(savepoint)
            logger.exception("pushing gateway message %s failed", locked.pk)
            GatewayMessage.objects.filter(pk=locked.pk).update(last_error=f"{type(exc).__name__}: {exc}"[:2000])
            return "retry"
        _mark(locked, M.DELIVERED, error=note)
    return "delivered"


def _push_endpoint(message: GatewayMessage) -> str:
    body = json.dumps(message.payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-AGNT-Timestamp": str(timestamp),
        "X-AGNT-Signature": signing.sign_bytes(body, timestamp=timestamp),
        "X-AGNT-Message-Id": str(message.pk),
    }
    GatewayMessage.objects.filter(pk=message.pk).update(push_attempts=message.push_attempts + 1)
    try:
        response = httpx.post(
            message.recipient.endpoint_url, content=body, headers=headers, timeout=PUSH_TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        _record_push_failure(message.pk, f"push failed: {type(exc).__name__}")
        return "retry"
    if not 200 <= response.status_code < 300:
        _record_push_failure(message.pk, f"push answered {response.status_code}")
        return "retry"
    with transaction.atomic():
        locked = GatewayMessage.objects.select_for_update().filter(pk=message.pk, status=M.PENDING).first()
        if locked is None:
            return "skipped"  # drained meanwhile; the endpoint saw it twice, envelope ids dedupe it
        _mark(locked, M.DELIVERED)
    return "pushed"


@transaction.atomic
def gateway_inbox_drain(*, agent: Agent, limit: int = 50) -> list[GatewayMessage]:
    """Take up to ``limit`` pending messages out of ``agent``'s inbox, most urgent first."""
    limit = max(1, min(int(limit), MAX_DRAIN))
    messages = list(
        GatewayMessage.objects.select_for_update(skip_locked=True)
        .filter(recipient=agent, status=M.PENDING)
        .order_by("priority", "created_at")[:limit]
    )
    for message in messages:
        _mark(message, M.DRAINED)
    if messages:
        Agent.objects.filter(pk=agent.pk).update(last_seen_at=timezone.now())
    return messages


def gateway_messages_stale(*, older_than: timedelta = timedelta(seconds=30), limit: int = 200) -> list:
    """Pending messages for active agents that a push should have delivered by now."""
    return list(
        GatewayMessage.objects.filter(
            status=M.PENDING,
            created_at__lte=timezone.now() - older_than,
            push_attempts__lt=MAX_PUSH_ATTEMPTS,
            recipient__status=AgentStatus.ACTIVE,
        )
        .order_by("priority", "created_at")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def gateway_messages_expire() -> int:
    """Pending messages past their TTL leave the inbox as expired."""
    expired = list(
        GatewayMessage.objects.select_for_update(skip_locked=True).filter(
            status=M.PENDING, expires_at__lte=timezone.now()
        )[:1000]
    )
    for message in expired:
        _mark(message, M.EXPIRED)
    return len(expired)


def gateway_health() -> dict[str, Any]:
    pending = GatewayMessage.objects.filter(status=M.PENDING)
    oldest = pending.aggregate(oldest=Min("created_at"))["oldest"]
    return {
        "ok": True,
        "status": "ok",
        "gateway": "agnt-builtin",
        "pending": pending.count(),
        "oldest_pending_seconds": int((timezone.now() - oldest).total_seconds()) if oldest else 0,
    }


def message_as_wire(message: GatewayMessage) -> dict[str, Any]:
    return {
        "message_id": str(message.pk),
        "from": message.from_agent_id,
        "to": message.recipient.agent_id,
        "payload": message.payload,
        "priority": message.priority,
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }


__all__ = [
    "GatewayAuthFailed",
    "GatewayRequestError",
    "MessageInvalid",
    "UnknownRecipient",
    "gateway_agent_key_issue",
    "gateway_authenticate",
    "gateway_health",
    "gateway_inbox_drain",
    "gateway_message_accept",
    "gateway_message_push",
    "gateway_messages_expire",
    "gateway_messages_stale",
    "message_as_wire",
]
