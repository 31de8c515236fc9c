"""Gateway jobs: sending envelopes, pushing gateway messages, and the periodic fallbacks.

Thin tasks taking ids; the work is in agents.network.outbox, agents.network.gateway and agents.network.inbox.
agents/tasks.py imports this module so the worker registers the tasks.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

from celery import shared_task

from agnt.scheduling import periodic_job, redis_client

logger = logging.getLogger(__name__)

HEALTH_KEY = "agnt:gateway:health"


@shared_task(name="agents.envelope_send", queue="agents", acks_late=True)
def envelope_send(envelope_pk: str) -> str:
    """Sign one outbound envelope and hand it to the gateway (or queue it for a retry)."""
    from agents.models import A2AEnvelope
    from agents.network.outbox import envelope_send_now

    envelope = A2AEnvelope.objects.filter(pk=envelope_pk).first()
    if envelope is None:
        return "missing"
    return envelope_send_now(envelope=envelope)


@shared_task(name="agents.gateway_push", queue="agents", acks_late=True)
def gateway_push(message_pk: str) -> str:
    """Deliver one message of the built-in gateway to its recipient (push on arrival)."""
    from agents.network.gateway import gateway_message_push

    return gateway_message_push(message_pk=message_pk)


@periodic_job(name="envelope_retry", schedule=timedelta(seconds=30), queue="agents", expires=25)
@shared_task(name="agents.envelope_retry")
def envelope_retry() -> int:
    """Send again the queued envelopes whose next attempt is due."""
    from agents.network.outbox import envelope_retry_due

    return envelope_retry_due()


@periodic_job(name="envelope_ttl_sweep", schedule=timedelta(minutes=1), queue="agents")
@shared_task(name="agents.envelope_ttl_sweep")
def envelope_ttl_sweep() -> dict:
    """Expire envelopes (and built-in gateway messages) past their TTL; tell the senders' users."""
    from agents.network.gateway import gateway_messages_expire
    from agents.network.outbox import envelope_ttl_sweep as sweep

    return {"envelopes": sweep(), "gateway_messages": gateway_messages_expire()}


@periodic_job(name="venue_inbox_drain", schedule=timedelta(seconds=30), queue="agents", expires=25)
@shared_task(name="agents.venue_inbox_drain")
def venue_inbox_drain() -> int:
    """Fallback for push: deliver inbox messages still waiting after 30 s; returns how many."""
    from agents.network.gateway_client import gateway_client
    from agents.network.inbox import inbox_drain_hosted

    client = gateway_client()
    if client.in_process:
        from agents.network.gateway import gateway_message_push, gateway_messages_stale

        outcomes = [gateway_message_push(message_pk=pk) for pk in gateway_messages_stale()]
        return sum(1 for outcome in outcomes if outcome in ("delivered", "pushed"))
    return inbox_drain_hosted(client=client)


@periodic_job(name="gateway_health_probe", schedule=timedelta(minutes=1), queue="agents", expires=50)
@shared_task(name="agents.gateway_health_probe")
def gateway_health_probe() -> dict:
    """Ask the gateway for its health; store the answer and the global breaker's state for /health."""
    from agents.network.breakers import global_breaker
    from agents.network.gateway_client import GatewayError, gateway_client

    started = time.monotonic()
    try:
        answer = gateway_client().health()
        result = {"ok": bool(answer.get("ok", True)), "detail": answer}
    except GatewayError as exc:
        result = {"ok": False, "error": str(exc)}
    result["latency_ms"] = int((time.monotonic() - started) * 1000)
    result["breaker"] = global_breaker().state()
    result["checked_at"] = int(time.time())
    try:
        redis_client().set(HEALTH_KEY, json.dumps(result, default=str), ex=600)
    except Exception as exc:  # noqa: BLE001 - the probe's answer is still returned
        logger.warning("could not store the gateway health: %s", exc)
    if not result["ok"]:
        logger.warning("gateway health probe failed: %s", result.get("error") or result.get("detail"))
    return result


__all__ = [
    "envelope_retry",
    "envelope_send",
    "envelope_ttl_sweep",
    "gateway_health_probe",
    "gateway_push",
    "venue_inbox_drain",
]
