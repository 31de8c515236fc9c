"""Receiving envelopes for the agents hosted here: verify, record, dispatch to the intent's handler.

Called by the built-in gateway's push (and its fallback), and by the drain of a remote
gateway. An envelope that fails verification (malformed, bad signature, outside the
replay window, replayed, addressed to no agent of ours) raises :class:`InboxRejected`;
when it is parseable it is also recorded as a rejected inbound envelope, so the refusal
is visible in the admin. Once accepted, nothing is raised to the gateway: the handler's
outcome is the envelope's status — processed, rejected (the handler raised
agents.network.handlers.EnvelopeRejected) or failed (any other exception, rolled back).

One machine hosting both ends: an envelope sent by one of our agents to another is one
A2AEnvelope row (the sender's outbound copy), which this module moves on to delivered
and processed instead of storing a second copy under the same envelope_id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction

from agents.models import A2AEnvelope, Agent, EnvelopeDirection, EnvelopeIntent
from agents.network import signing
from agents.services import envelope_record, envelope_transition
from agents.state import EnvelopeStatus

logger = logging.getLogger(__name__)

S = EnvelopeStatus
Handler = Callable[[A2AEnvelope], None]


class InboxRejected(Exception):
    """The envelope was refused before any handler saw it. ``reason`` is a short code;
    ``envelope`` the row recording the refusal (or the original, for a replay), if any."""

    def __init__(self, reason: str, message: str, *, envelope: A2AEnvelope | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.envelope = envelope


def _network_ping(envelope: A2AEnvelope) -> None:
    """Answering a ping is receiving it: the gateway health probe only needs it processed."""


# intents the inbox answers itself when agents.network.handlers does not claim them
BUILTIN_HANDLERS: dict[str, Handler] = {EnvelopeIntent.NETWORK_PING: _network_ping}


def _handlers_module():
    try:
        from agents.network import handlers
    except ImportError:  # the handlers module is optional while the network is being built
        return None
    return handlers


def _handler_for(intent: str, handlers: Mapping[str, Handler] | None) -> Handler | None:
    if handlers is None:
        module = _handlers_module()
        handlers = getattr(module, "HANDLERS", {}) if module is not None else {}
    return handlers.get(intent) or BUILTIN_HANDLERS.get(intent)


def _rejection_types() -> tuple[type[BaseException], ...]:
    module = _handlers_module()
    rejected = getattr(module, "EnvelopeRejected", None) if module is not None else None
    return (rejected,) if isinstance(rejected, type) else ()


def _parseable(envelope: Any) -> bool:
    """Enough of an envelope to store a row saying we refused it."""
    if not isinstance(envelope, dict):
        return False
    fields = (envelope.get("envelope_id"), envelope.get("from"), envelope.get("to"))
    return (
        all(isinstance(v, str) and 0 < len(v) <= 64 for v in fields[:1])
        and all(isinstance(v, str) and 0 < len(v) <= 200 for v in fields[1:])
        and envelope.get("intent") in EnvelopeIntent.values
    )


def _record_refusal(envelope: dict, reason: str, detail: str) -> A2AEnvelope | None:
    """Store a refused envelope as inbound + rejected, unless its id is already taken
    (then the refusal must not touch the genuine row)."""
    if not _parseable(envelope) or A2AEnvelope.objects.filter(envelope_id=envelope["envelope_id"]).exists():
        return None
    with transaction.atomic():
        row, created = envelope_record(
            envelope_id=envelope["envelope_id"],
            intent=envelope["intent"],
            direction=EnvelopeDirection.INBOUND,
            from_agent_id=envelope["from"],
            to_agent_id=envelope["to"],
            payload=envelope.get("payload") if isinstance(envelope.get("payload"), dict) else {},
            correlation_id=str(envelope.get("correlation_id") or "")[:64],
            signature=str(envelope.get("signature") or "")[:128],
            ttl_ms=0,
        )
        if created:
            envelope_transition(
                envelope=row, to_status=S.REJECTED, error=f"{reason}: {detail}", data={"reason": reason}
            )
    return row


def _booking_for(correlation_id: str):
    """An answer belongs to the booking of the envelope it answers."""
    if not correlation_id:
        return None
    original = A2AEnvelope.objects.filter(envelope_id=correlation_id).only("booking_id").first()
    return original.booking if original is not None and original.booking_id else None


def _accept(envelope: dict) -> A2AEnvelope:
    """Record the verified envelope as delivered to us (locked), or raise InboxRejected."""
    signed_at = datetime.fromtimestamp(envelope["timestamp"], tz=UTC)
    existing = A2AEnvelope.objects.select_for_update().filter(envelope_id=envelope["envelope_id"]).first()
    if existing is None:
        row, _ = envelope_record(
            envelope_id=envelope["envelope_id"],
            intent=envelope["intent"],
            direction=EnvelopeDirection.INBOUND,
            from_agent_id=envelope["from"],
            to_agent_id=envelope["to"],
            payload=envelope["payload"],
            booking=_booking_for(envelope.get("correlation_id") or ""),
            correlation_id=(envelope.get("correlation_id") or "")[:64],
            signature=envelope["signature"],
            signed_at=signed_at,
            ttl_ms=int(envelope.get("ttl_ms") or 0),
        )
        return row
    loopback = (
        existing.direction == EnvelopeDirection.OUTBOUND
        and existing.from_agent_id == envelope["from"]
        and existing.to_agent_id == envelope["to"]
        and existing.intent == envelope["intent"]
        and existing.status in (S.CREATED, S.QUEUED, S.SENT, S.FAILED)
    )
    if not loopback:
        raise InboxRejected("replay", f"envelope {existing.envelope_id} was already received", envelope=existing)
    # Our own outbound envelope reached one of our agents. The delivery can overtake the
    # sender's bookkeeping (the push runs as soon as the gateway commits), so walk the row
    # to sent first where the sender has not yet.
    if existing.status == S.FAILED:
        envelope_transition(envelope=existing, to_status=S.QUEUED, data={"by": "delivery"})
    if existing.status in (S.CREATED, S.QUEUED):
        envelope_transition(envelope=existing, to_status=S.SENT, data={"by": "delivery"})
    envelope_transition(envelope=existing, to_status=S.DELIVERED)
    return existing


def inbox_receive(*, envelope: dict, handlers: Mapping[str, Handler] | None = None) -> A2AEnvelope:
    """Verify, record and handle one inbound envelope; returns its row (processed, rejected or failed).

    ``handlers`` replaces agents.network.handlers.HANDLERS (tests); production passes nothing.
    Raises InboxRejected when the envelope is refused before handling.
    """
    try:
        signing.verify_envelope(envelope, remember=False)
    except signing.EnvelopeInvalid as exc:
        row = _record_refusal(envelope, exc.reason, str(exc))
        raise InboxRejected(exc.reason, str(exc), envelope=row) from exc
    if envelope["intent"] not in EnvelopeIntent.values:
        raise InboxRejected("unknown_intent", f"intent {envelope['intent']!r} is not part of the protocol")
    if not Agent.objects.filter(agent_id=envelope["to"], endpoint_url="").exists():
        row = _record_refusal(envelope, "unknown_recipient", f"no agent {envelope['to']!r} is hosted here")
        raise InboxRejected("unknown_recipient", f"no agent {envelope['to']!r} is hosted here", envelope=row)
    # the seen-id check is last: a forged envelope must not burn a genuine id
    if not signing.mark_seen(envelope["envelope_id"]):
        original = A2AEnvelope.objects.filter(envelope_id=envelope["envelope_id"]).first()
        raise InboxRejected("replay", f"envelope {envelope['envelope_id']} was already received", envelope=original)
    try:
        return _accept_and_handle(envelope, handlers)
    except InboxRejected:
        raise
    except BaseException:
        # not stored: let a redelivery of the same envelope through
        signing.forget_seen(envelope["envelope_id"])
        raise


@transaction.atomic
def _accept_and_handle(envelope: dict, handlers: Mapping[str, Handler] | None) -> A2AEnvelope:
    row = _accept(envelope)
    handler = _handler_for(row.intent, handlers)
    if handler is None:
        envelope_transition(
            envelope=row,
            to_status=S.REJECTED,
            error=f"no handler for intent {row.intent}",
            data={"reason": "unknown_intent"},
        )
        return row
    try:
        with transaction.atomic():
            handler(row)
    except _rejection_types() as exc:
        logger.info("envelope %s rejected by its handler: %s", row.envelope_id, exc)
        row.refresh_from_db(fields=["status"])
        if row.status == S.DELIVERED:
            envelope_transition(envelope=row, to_status=S.REJECTED, error=str(exc)[:2000], data={"reason": "handler"})
        return row
    except Exception as exc:  # noqa: BLE001 - never raised to the gateway; the row says what happened
        logger.exception("handler for %s failed on envelope %s", row.intent, row.envelope_id)
        row.refresh_from_db(fields=["status"])
        if row.status == S.DELIVERED:
            envelope_transition(
                envelope=row,
                to_status=S.FAILED,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                data={"reason": "handler_error"},
            )
        return row
    row.refresh_from_db(fields=["status"])
    # a handler may settle the envelope itself (say, reject it with a reason); don't overwrite that
    if row.status == S.DELIVERED:
        envelope_transition(envelope=row, to_status=S.PROCESSED)
    return row


def _agents_to_drain() -> list[str]:
    """Hosted agents whose remote inbox may hold something: venue and platform agents, and
    consumer agents waiting on an answer to an envelope they sent."""
    from django.utils import timezone

    from agents.models import AgentKind, AgentStatus

    hosted = Agent.objects.filter(endpoint_url="", status=AgentStatus.ACTIVE)
    ids = set(hosted.filter(kind__in=[AgentKind.VENUE, AgentKind.PLATFORM]).values_list("agent_id", flat=True))
    waiting = A2AEnvelope.objects.filter(
        direction=EnvelopeDirection.OUTBOUND,
        status__in=[S.SENT, S.DELIVERED, S.PROCESSED],
        created_at__gte=timezone.now() - timedelta(hours=1),
    ).values_list("from_agent_id", flat=True)
    ids |= set(hosted.filter(kind=AgentKind.CONSUMER, agent_id__in=waiting).values_list("agent_id", flat=True))
    return sorted(ids)


def inbox_drain_hosted(*, client=None) -> int:
    """Drain a remote gateway's inboxes of our hosted agents and receive each message.

    The fallback when the gateway cannot push to us. Returns how many were accepted.
    """
    from agents.network.gateway_client import GatewayError, gateway_client

    client = client or gateway_client()
    accepted = 0
    for agent_id in _agents_to_drain():
        try:
            messages = client.drain(agent_id)
        except GatewayError as exc:
            logger.warning("draining %s failed: %s", agent_id, exc)
            if exc.breaker_scope == "gateway":
                break  # the gateway itself is down; the other inboxes would fail the same way
            continue
        for message in messages:
            try:
                inbox_receive(envelope=message.payload)
                accepted += 1
            except InboxRejected as exc:
                logger.info("drained message %s refused: %s", message.message_id, exc)
    return accepted


__all__ = ["BUILTIN_HANDLERS", "InboxRejected", "inbox_drain_hosted", "inbox_receive"]
