"""Sending envelopes: record, sign, pass the breakers, hand to the gateway, retry, expire.

:func:`envelope_dispatch` is what the agents call. It only records the envelope; the
send happens in a task after commit (:func:`envelope_send_now`), so a booking and the
envelope asking for it are written together and nothing goes out for a rolled-back one.

Outcomes of a send attempt:
- sent: the gateway took it;
- queued with next_attempt_at: a breaker is open or the gateway failed transiently; the
  first time, agents.network.handlers.on_envelope_undeliverable(envelope) is called (once per
  envelope, marked on the event) so the person waiting is told; envelope_retry_due sends
  it again when due; the TTL sweep ends it if the venue never comes back;
- failed: a permanent refusal (unknown agent, malformed) — retrying would not help; the
  TTL sweep expires it in turn, which tells the user through on_envelope_expired.

Each attempt is signed afresh, so a retry minutes later still falls inside the
receiver's replay window; the ttl_ms on the wire is what remains of the envelope's TTL.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from agents.models import A2AEnvelope, Agent, AgentKind, EnvelopeDirection
from agents.network import signing
from agents.network.gateway_client import GatewayCircuitOpen, GatewayClient, GatewayError, gateway_client
from agents.selectors import envelopes_due_for_retry, envelopes_past_ttl
from agents.services import EnvelopeTransitionError, envelope_record, envelope_transition
from agents.state import EnvelopeStatus
from agnt.scheduling import leader_lock

logger = logging.getLogger(__name__)

S = EnvelopeStatus
SENDABLE = (S.CREATED, S.QUEUED, S.FAILED)
MIN_RETRY = timedelta(seconds=15)
MAX_RETRY = timedelta(minutes=5)
USER_TOLD = "user_told"


@transaction.atomic
def envelope_dispatch(
    *,
    intent: str,
    from_agent_id: str,
    to_agent_id: str,
    payload: dict[str, Any],
    booking=None,
    correlation_id: str = "",
    ttl_ms: int = 600_000,
    priority: int = 5,
) -> A2AEnvelope:
    """Record an outbound envelope (created) and send it once the transaction commits."""
    envelope, _ = envelope_record(
        envelope_id=signing.new_envelope_id(),
        intent=intent,
        direction=EnvelopeDirection.OUTBOUND,
        from_agent_id=from_agent_id,
        to_agent_id=to_agent_id,
        payload=payload,
        booking=booking,
        correlation_id=correlation_id,
        priority=priority,
        ttl_ms=ttl_ms,
    )
    from agents.network.gateway_jobs import envelope_send

    envelope_pk = str(envelope.pk)
    transaction.on_commit(lambda: envelope_send.delay(envelope_pk))
    return envelope


def envelope_wire(envelope: A2AEnvelope) -> dict[str, Any]:
    """The envelope as it travels, signed now."""
    remaining_ms = envelope.ttl_ms
    if envelope.expires_at is not None:
        remaining_ms = max(0, int((envelope.expires_at - timezone.now()).total_seconds() * 1000))
    unsigned = signing.build_envelope(
        envelope_id=envelope.envelope_id,
        intent=envelope.intent,
        from_agent_id=envelope.from_agent_id,
        to_agent_id=envelope.to_agent_id,
        payload=envelope.payload,
        correlation_id=envelope.correlation_id,
        ttl_ms=remaining_ms,
    )
    return signing.sign_envelope(unsigned)


def venue_key_for(envelope: A2AEnvelope) -> str | None:
    """The venue whose breaker guards this envelope: the booking's venue, else the recipient venue agent's."""
    if envelope.booking_id:
        return envelope.booking.venue.slug
    slug = (
        Agent.objects.filter(agent_id=envelope.to_agent_id, kind=AgentKind.VENUE)
        .values_list("venue__slug", flat=True)
        .first()
    )
    return slug or None


def _hook(name: str):
    try:
        from agents.network import handlers
    except ImportError:
        return None
    return getattr(handlers, name, None)


def _call_hook(name: str, envelope: A2AEnvelope) -> None:
    hook = _hook(name)
    if hook is None:
        return
    try:
        hook(envelope)
    except Exception:  # noqa: BLE001 - telling the user must not break the send loop
        logger.exception("%s failed for envelope %s", name, envelope.envelope_id)


@transaction.atomic
def _stamp_signature(envelope: A2AEnvelope, wire: dict[str, Any]) -> None:
    envelope.signature = wire["signature"]
    envelope.signed_at = timezone.now()
    A2AEnvelope.objects.filter(pk=envelope.pk).update(signature=envelope.signature, signed_at=envelope.signed_at)


@transaction.atomic
def _mark_sent(envelope: A2AEnvelope, *, message_id: str) -> None:
    locked = A2AEnvelope.objects.select_for_update().get(pk=envelope.pk)
    # the recipient may already have it (built-in gateway push) and moved the row on
    if locked.status in (S.CREATED, S.QUEUED):
        envelope_transition(envelope=envelope, to_status=S.SENT, data={"gateway_message_id": message_id})
    elif locked.status == S.FAILED:
        envelope_transition(envelope=envelope, to_status=S.QUEUED, data={"by": "retry"})
        envelope_transition(envelope=envelope, to_status=S.SENT, data={"gateway_message_id": message_id})


def _backoff(envelope: A2AEnvelope) -> timedelta:
    # back off in proportion to how long it has been failing, between 15 s and 5 min
    age = timezone.now() - envelope.created_at if envelope.created_at else MIN_RETRY
    return max(MIN_RETRY, min(MAX_RETRY, age))


@transaction.atomic
def _mark_queued(envelope: A2AEnvelope, *, error: str, retry_in: timedelta) -> bool:
    """Queue for a retry; returns True when the user has not been told yet (the caller tells them)."""
    locked = A2AEnvelope.objects.select_for_update().get(pk=envelope.pk)
    next_attempt_at = timezone.now() + retry_in
    first_time = not locked.events.filter(**{f"data__{USER_TOLD}": True}).exists()
    told_now = False
    if locked.status == S.QUEUED:
        # still queued: only the schedule changes, so no new event
        locked.next_attempt_at, locked.last_error = next_attempt_at, error
        locked.save(update_fields=["next_attempt_at", "last_error", "updated_at"])
    elif locked.status in (S.CREATED, S.SENT, S.FAILED):
        envelope_transition(
            envelope=locked,
            to_status=S.QUEUED,
            error=error,
            next_attempt_at=next_attempt_at,
            data={USER_TOLD: True} if first_time else {},
        )
        told_now = first_time
    else:
        return False  # delivered meanwhile (built-in gateway push): nothing to retry
    for field in ("status", "next_attempt_at", "last_error"):
        setattr(envelope, field, getattr(locked, field))
    return told_now


@transaction.atomic
def _mark_failed(envelope: A2AEnvelope, *, error: str) -> None:
    locked = A2AEnvelope.objects.select_for_update().get(pk=envelope.pk)
    if locked.status == S.QUEUED or locked.status == S.CREATED:
        envelope_transition(envelope=envelope, to_status=S.FAILED, error=error)


def envelope_send_now(*, envelope: A2AEnvelope, client: GatewayClient | None = None) -> str:
    """One send attempt; returns "sent", "queued", "failed" or "skipped" (not sendable / in flight).

    Runs outside any transaction: the gateway call may take up to 15 s and must not hold
    row locks. A Redis lock keeps the first send and a retry from going out together.
    """
    with leader_lock(f"envelope-send:{envelope.pk}", ttl=60) as acquired:
        if not acquired:
            return "skipped"
        envelope.refresh_from_db()
        if envelope.status not in SENDABLE or envelope.direction != EnvelopeDirection.OUTBOUND:
            return "skipped"
        if envelope.status == S.FAILED and envelope.next_attempt_at is None:
            return "skipped"  # a permanent failure; only an operator re-queues it
        if envelope.expires_at is not None and envelope.expires_at <= timezone.now():
            return "skipped"  # the TTL sweep ends it and tells the user
        wire = envelope_wire(envelope)
        _stamp_signature(envelope, wire)
        client = client or gateway_client()
        try:
            result = client.send_message(
                to=envelope.to_agent_id,
                from_agent_id=envelope.from_agent_id,
                payload=wire,
                priority=envelope.priority,
                venue_key=venue_key_for(envelope),
            )
        except GatewayCircuitOpen as exc:
            retry_in = max(MIN_RETRY, timedelta(seconds=exc.retry_after))
            if _mark_queued(envelope, error=f"circuit open: {exc.breaker}", retry_in=retry_in):
                _call_hook("on_envelope_undeliverable", envelope)
            return "queued"
        except GatewayError as exc:
            if exc.retryable:
                if _mark_queued(envelope, error=str(exc)[:2000], retry_in=_backoff(envelope)):
                    _call_hook("on_envelope_undeliverable", envelope)
                return "queued"
            _mark_failed(envelope, error=str(exc)[:2000])
            return "failed"
        _mark_sent(envelope, message_id=result.message_id)
        return "sent"


def envelope_retry_due(*, limit: int = 200) -> int:
    """Send again every queued envelope whose next attempt is due; returns how many went out."""
    sent = 0
    for envelope in list(envelopes_due_for_retry(limit=limit)):
        if envelope.direction != EnvelopeDirection.OUTBOUND:
            continue
        if envelope_send_now(envelope=envelope) == "sent":
            sent += 1
    return sent


def envelope_ttl_sweep(*, limit: int = 500) -> int:
    """Expire live envelopes past their TTL; for ours (outbound), tell the sender's side.

    Inbound envelopes expire silently: the other side's own sweep tells its user.
    """
    expired = 0
    for envelope in list(envelopes_past_ttl(limit=limit)):
        try:
            envelope_transition(envelope=envelope, to_status=S.EXPIRED, error="TTL passed")
        except EnvelopeTransitionError:
            continue  # settled meanwhile (a late delivery won the race)
        expired += 1
        if envelope.direction == EnvelopeDirection.OUTBOUND:
            _call_hook("on_envelope_expired", envelope)
    return expired


__all__ = [
    "envelope_dispatch",
    "envelope_retry_due",
    "envelope_send_now",
    "envelope_ttl_sweep",
    "envelope_wire",
    "venue_key_for",
]
