"""Writes for the agents app: API keys, the agent registry, envelopes, outbound webhooks.

Every function here is the one place its change happens; the admin, the APIs, the MCP
server and the tasks all call these.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from agents import crypto
from agents.models import (
    A2AEnvelope,
    Agent,
    AgentCard,
    AgentKind,
    AgentStatus,
    ApiKey,
    ApiTier,
    EnvelopeDirection,
    EnvelopeEvent,
    WebhookDelivery,
    WebhookEventType,
    WebhookSubscription,
)
from agents.state import (
    ENVELOPE_TRANSITIONS,
    EnvelopeStatus,
    WebhookDeliveryStatus,
    can_transition_envelope,
)

API_KEY_PREFIX = "agnt_live_"
# visible part of a key: the fixed prefix plus 8 characters of the random token
API_KEY_VISIBLE_CHARS = len(API_KEY_PREFIX) + 8
WEBHOOK_SECRET_PREFIX = "whsec_"
# Standard Webhooks / Svix-style schedule: delay before attempt 2, 3, … (attempt 1 is immediate)
WEBHOOK_RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
WEBHOOK_MAX_ATTEMPTS = len(WEBHOOK_RETRY_DELAYS) + 1
WEBHOOK_RESPONSE_EXCERPT = 2_000


class EnvelopeTransitionError(ValueError):
    """The envelope state machine does not allow this move."""


def hash_secret(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


# --- API keys --------------------------------------------------------------------------


@transaction.atomic
def api_key_create(
    *, owner, name: str, tier: str = ApiTier.FREE, scopes: list[str] | None = None, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its plaintext, which is never stored nor shown again."""
    if tier not in ApiTier.values:
        raise ValueError(f"unknown API tier {tier!r}")
    plaintext = API_KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        owner=owner,
        name=name,
        tier=tier,
        scopes=scopes or [],
        expires_at=expires_at,
        prefix=plaintext[:API_KEY_VISIBLE_CHARS],
        key_hash=hash_secret(plaintext),
    )
    return api_key, plaintext


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, reason: str = "") -> ApiKey:
    """Revoke a key (idempotent) and stop its webhooks: nobody should get events for a dead key."""
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.revoked_reason = reason[:200]
        api_key.save(update_fields=["revoked_at", "revoked_reason", "updated_at"])
        for subscription in api_key.webhook_subscriptions.filter(is_active=True):
            webhook_subscription_disable(subscription=subscription, reason="API key revoked")
    return api_key


# --- Agent registry --------------------------------------------------------------------


VENUE_AGENT_SKILLS = [
    "booking.request", "booking.cancel", "booking.search", "booking.confirm", "network.ping",
]
CONSUMER_AGENT_SKILLS = [
    "booking.accepted", "booking.rejected", "booking.counter_offer", "booking.cancelled", "network.ping",
]


AGENT_ID_MAX = 64  # Venue.cp_agent_id / User.cp_agent_id cache the id in 64 characters


def venue_agent_id(venue) -> str:
    """``venue-<slug>``; a slug too long for the cached id keeps its start plus a short hash,
    so two long slugs with the same beginning still get different ids."""
    agent_id = f"venue-{venue.slug}"
    if len(agent_id) <= AGENT_ID_MAX:
        return agent_id
    import hashlib

    digest = hashlib.sha256(venue.slug.encode()).hexdigest()[:8]
    return f"{agent_id[: AGENT_ID_MAX - 9]}-{digest}"


@transaction.atomic
def agent_register_for_venue(*, venue) -> Agent:
    """The venue's agent, created on first call with DNA derived from the venue's rules."""
    from agents.registry import venue_dna  # the DNA is declared once, in the registry

    agent, created = Agent.objects.get_or_create(
        venue=venue, defaults={"kind": AgentKind.VENUE, "agent_id": venue_agent_id(venue), **venue_dna(venue)}
    )
    # Venue.cp_agent_id caches the registry's answer so venue queries need no join.
    if venue.cp_agent_id != agent.agent_id:
        venue.cp_agent_id = agent.agent_id
        venue.save(update_fields=["cp_agent_id", "updated_at"])
    return agent


@transaction.atomic
def agent_register_for_user(*, user) -> Agent:
    """The user's concierge agent, created on first call."""
    from agents.registry import consumer_dna

    agent, created = Agent.objects.get_or_create(
        user=user, defaults={"kind": AgentKind.CONSUMER, "agent_id": f"consumer-{user.pk}", **consumer_dna(user)}
    )
    if user.cp_agent_id != agent.agent_id:
        user.cp_agent_id = agent.agent_id
        user.save(update_fields=["cp_agent_id", "updated_at"])
    return agent


@transaction.atomic
def agent_set_status(*, agent: Agent, status: str) -> Agent:
    if status not in AgentStatus.values:
        raise ValueError(f"unknown agent status {status!r}")
    agent.status = status
    agent.save(update_fields=["status", "updated_at"])
    return agent


@transaction.atomic
def agent_inbox_key_rotate(*, agent: Agent) -> str:
    """Issue a new inbox key for the built-in gateway; returns the plaintext once."""
    plaintext = "agnt_inbox_" + secrets.token_urlsafe(32)
    agent.inbox_key_hash = hash_secret(plaintext)
    agent.save(update_fields=["inbox_key_hash", "updated_at"])
    return plaintext


def card_etag(card: dict) -> str:
    canonical = json.dumps(card, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@transaction.atomic
def agent_card_publish(*, agent: Agent, card: dict) -> tuple[AgentCard, bool]:
    """Store the agent's AgentCard; returns (card, changed). An identical card is a no-op."""
    etag = card_etag(card)
    existing = AgentCard.objects.select_for_update().filter(agent=agent).first()
    if existing is not None and existing.etag == etag:
        return existing, False
    version = str(card.get("version") or "1.0.0")[:32]
    protocol_version = str(card.get("protocolVersion") or "1.0")[:12]
    now = timezone.now()
    if existing is None:
        existing = AgentCard.objects.create(
            agent=agent, card=card, etag=etag, version=version, protocol_version=protocol_version, published_at=now
        )
    else:
        existing.card, existing.etag, existing.version = card, etag, version
        existing.protocol_version, existing.published_at = protocol_version, now
        existing.save(update_fields=["card", "etag", "version", "protocol_version", "published_at", "updated_at"])
    return existing, True


# --- Envelopes ---------------------------------------------------------------------------


@transaction.atomic
def envelope_record(
    *,
    envelope_id: str,
    intent: str,
    direction: str,
    from_agent_id: str,
    to_agent_id: str,
    payload: dict | None = None,
    booking=None,
    api_key: ApiKey | None = None,
    correlation_id: str = "",
    signature: str = "",
    signed_at: datetime | None = None,
    priority: int = 5,
    ttl_ms: int = 600_000,
    status: str | None = None,
) -> tuple[A2AEnvelope, bool]:
    """Store an envelope we send or receive; returns (envelope, created).

    Idempotent on ``envelope_id``: a replayed inbound envelope returns the stored row with
    ``created=False`` so the caller can refuse to act on it twice.
    """
    if status is None:
        # inbound envelopes are already in our inbox when we first see them
        status = EnvelopeStatus.DELIVERED if direction == EnvelopeDirection.INBOUND else EnvelopeStatus.CREATED
    now = timezone.now()
    try:
        with transaction.atomic():
            envelope = A2AEnvelope.objects.create(
                envelope_id=envelope_id,
                intent=intent,
                direction=direction,
                from_agent_id=from_agent_id,
                to_agent_id=to_agent_id,
                payload=payload or {},
                booking=booking,
                api_key=api_key,
                correlation_id=correlation_id,
                signature=signature,
                signed_at=signed_at,
                priority=priority,
                ttl_ms=ttl_ms,
                expires_at=now + timedelta(milliseconds=ttl_ms) if ttl_ms else None,
                status=status,
                delivered_at=now if status == EnvelopeStatus.DELIVERED else None,
            )
    except IntegrityError:
        existing = A2AEnvelope.objects.filter(envelope_id=envelope_id).first()
        if existing is None:
            raise
        return existing, False
    EnvelopeEvent.objects.create(envelope=envelope, from_status="", to_status=status)
    return envelope, True


_STATUS_TIMESTAMPS = {
    EnvelopeStatus.SENT: "sent_at",
    EnvelopeStatus.DELIVERED: "delivered_at",
    EnvelopeStatus.PROCESSED: "processed_at",
}


@transaction.atomic
def envelope_transition(
    *,
    envelope: A2AEnvelope,
    to_status: str,
    error: str = "",
    next_attempt_at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> A2AEnvelope:
    """Move an envelope along ENVELOPE_TRANSITIONS and log the move as an EnvelopeEvent.

    The row is locked first so two workers (say, the TTL sweep and a late delivery
    receipt) cannot both move it from the same state.
    """
    locked = A2AEnvelope.objects.select_for_update().get(pk=envelope.pk)
    from_status = locked.status
    if not can_transition_envelope(from_status, to_status):
        allowed = ", ".join(sorted(ENVELOPE_TRANSITIONS.get(from_status, ()))) or "nothing (terminal)"
        raise EnvelopeTransitionError(
            f"envelope {locked.envelope_id} cannot move from {from_status} to {to_status} (allowed: {allowed})"
        )
    now = timezone.now()
    locked.status = to_status
    fields = ["status", "updated_at"]
    if to_status == EnvelopeStatus.SENT:
        locked.attempts += 1
        locked.next_attempt_at = None
        fields += ["attempts", "next_attempt_at"]
    if to_status in (EnvelopeStatus.QUEUED, EnvelopeStatus.FAILED):
        locked.next_attempt_at = next_attempt_at
        fields.append("next_attempt_at")
    if error or to_status in (EnvelopeStatus.FAILED, EnvelopeStatus.REJECTED, EnvelopeStatus.EXPIRED):
        locked.last_error = error
        fields.append("last_error")
    stamp = _STATUS_TIMESTAMPS.get(to_status)
    if stamp:
        setattr(locked, stamp, now)
        fields.append(stamp)
    locked.save(update_fields=fields)
    EnvelopeEvent.objects.create(
        envelope=locked, from_status=from_status, to_status=to_status, error=error, data=data or {}
    )
    # keep the caller's instance in step with the database
    for field in fields:
        setattr(envelope, field, getattr(locked, field))
    return locked


# --- Outbound webhooks --------------------------------------------------------------------


def _validate_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(WebhookEventType.values))
    if unknown:
        raise ValueError(f"unknown webhook event types: {', '.join(unknown)}")
    return sorted(set(events))


@transaction.atomic
def webhook_subscription_create(
    *, api_key: ApiKey, url: str, events: list[str] | None = None, description: str = ""
) -> tuple[WebhookSubscription, str]:
    """Create a subscription; returns it with the signing secret (plaintext, shown once)."""
    secret = WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32)
    subscription = WebhookSubscription.objects.create(
        api_key=api_key,
        url=url,
        events=_validate_events(events or []),
        description=description,
        secret_ciphertext=crypto.encrypt_text(secret),
    )
    return subscription, secret


def webhook_subscription_secret(*, subscription: WebhookSubscription) -> str:
    """The signing secret, for the delivery worker only (never for display)."""
    return crypto.decrypt_text(subscription.secret_ciphertext)


@transaction.atomic
def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    secret = WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32)
    subscription.secret_ciphertext = crypto.encrypt_text(secret)
    subscription.save(update_fields=["secret_ciphertext", "updated_at"])
    return secret


@transaction.atomic
def webhook_subscription_disable(*, subscription: WebhookSubscription, reason: str) -> WebhookSubscription:
    """Stop sending to a subscription (operator action, key revoked, or too many failures)."""
    if not subscription.is_active:
        return subscription
    subscription.is_active = False
    subscription.disabled_at = timezone.now()
    subscription.disabled_reason = reason[:200]
    subscription.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    # attempts still waiting would only fail again; they die with the subscription
    WebhookDelivery.objects.filter(subscription=subscription, status=WebhookDeliveryStatus.PENDING).update(
        status=WebhookDeliveryStatus.DEAD, error=f"subscription disabled: {reason}"[:500], next_attempt_at=None
    )
    return subscription


@transaction.atomic
def webhook_subscription_enable(*, subscription: WebhookSubscription) -> WebhookSubscription:
    if subscription.api_key.revoked_at is not None:
        raise ValueError("the subscription's API key is revoked")
    if subscription.is_active:
        return subscription
    subscription.is_active = True
    subscription.disabled_at = None
    subscription.disabled_reason = ""
    subscription.consecutive_failures = 0
    subscription.save(update_fields=["is_active", "disabled_at", "disabled_reason", "consecutive_failures", "updated_at"])
    return subscription


@transaction.atomic
def webhook_delivery_enqueue(
    *, subscription: WebhookSubscription, event_type: str, payload: dict, event_id: str | None = None
) -> WebhookDelivery:
    """The first attempt of one event to one subscription, due now."""
    return WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=event_id or f"msg_{secrets.token_hex(12)}",
        event_type=event_type,
        payload=payload,
        attempt=1,
        next_attempt_at=timezone.now(),
    )


def _lock_pending(delivery: WebhookDelivery) -> WebhookDelivery:
    locked = WebhookDelivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
    if locked.status != WebhookDeliveryStatus.PENDING:
        raise ValueError(f"delivery {locked.pk} is already {locked.status}")
    return locked


@transaction.atomic
def webhook_delivery_record_success(
    *, delivery: WebhookDelivery, response_status: int, response_body: str = "", duration_ms: int | None = None
) -> WebhookDelivery:
    delivery = _lock_pending(delivery)
    now = timezone.now()
    delivery.status = WebhookDeliveryStatus.SUCCEEDED
    delivery.response_status = response_status
    delivery.response_body = response_body[:WEBHOOK_RESPONSE_EXCERPT]
    delivery.duration_ms = duration_ms
    delivery.delivered_at = now
    delivery.next_attempt_at = None
    delivery.save(
        update_fields=["status", "response_status", "response_body", "duration_ms", "delivered_at", "next_attempt_at"]
    )
    subscription = delivery.subscription
    subscription.consecutive_failures = 0
    subscription.last_success_at = now
    subscription.save(update_fields=["consecutive_failures", "last_success_at", "updated_at"])
    return delivery


@transaction.atomic
def webhook_delivery_schedule_retry(
    *,
    delivery: WebhookDelivery,
    response_status: int | None = None,
    response_body: str = "",
    error: str = "",
    duration_ms: int | None = None,
) -> WebhookDelivery | None:
    """Record a failed attempt and schedule the next one; returns it, or None when out of attempts.

    The failed attempt keeps its row (status ``failed``; ``dead`` if it was the last), the
    retry is a new row with the same ``event_id`` due after WEBHOOK_RETRY_DELAYS.
    """
    delivery = _lock_pending(delivery)
    now = timezone.now()
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    exhausted = delivery.attempt >= WEBHOOK_MAX_ATTEMPTS or not subscription.is_active
    delivery.status = WebhookDeliveryStatus.DEAD if exhausted else WebhookDeliveryStatus.FAILED
    delivery.response_status = response_status
    delivery.response_body = response_body[:WEBHOOK_RESPONSE_EXCERPT]
    delivery.error = error
    delivery.duration_ms = duration_ms
    delivery.next_attempt_at = None
    delivery.save(update_fields=["status", "response_status", "response_body", "error", "duration_ms", "next_attempt_at"])

    subscription.consecutive_failures += 1
    subscription.last_failure_at = now
    subscription.save(update_fields=["consecutive_failures", "last_failure_at", "updated_at"])
    if exhausted:
        return None
    return WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        payload=delivery.payload,
        attempt=delivery.attempt + 1,
        next_attempt_at=now + WEBHOOK_RETRY_DELAYS[delivery.attempt - 1],
    )


# --- Webhook subscription management for the external API --------------------------------
# MERGE NOTE (ninja branch): minimal versions of services the webhooks branch provides
# under the same names and signatures (with the full SSRF guard and real delivery). When
# both branches meet, keep the webhooks branch's versions and delete this block.


class WebhookUrlRejected(ValueError):
    """The URL may not receive webhooks (not http(s), or a loopback / private / link-local host)."""


def _webhook_url_check(url: str) -> str:
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookUrlRejected("webhook URLs must be http(s) URLs with a host")
    host = parts.hostname.lower()
    if host == "localhost" or host.endswith(".localhost"):
        raise WebhookUrlRejected("webhook URLs may not point at localhost")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return url
    if not ip.is_global:
        raise WebhookUrlRejected(f"webhook URLs may not point at a non-public address ({ip})")
    return url


@transaction.atomic
def webhook_subscription_update(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change a subscription; ``None`` leaves a field as it is. Re-enabling resets the failure count."""
    fields: list[str] = []
    if url is not None:
        subscription.url = _webhook_url_check(url)
        fields.append("url")
    if events is not None:
        subscription.events = _validate_events(events)
        fields.append("events")
    if description is not None:
        subscription.description = description[:200]
        fields.append("description")
    if fields:
        subscription.save(update_fields=[*fields, "updated_at"])
    if is_active is True:
        subscription = webhook_subscription_enable(subscription=subscription)
    elif is_active is False:
        subscription = webhook_subscription_disable(subscription=subscription, reason="disabled by its owner")
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Delete a subscription and its delivery log."""
    subscription.delete()


def webhook_test_send(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """Queue a ``webhook.ping`` event to the subscription (the delivery worker sends it)."""
    if not subscription.is_active:
        raise ValueError("the subscription is disabled; enable it first")
    return webhook_delivery_enqueue(
        subscription=subscription, event_type=WebhookEventType.PING,
        payload={"type": WebhookEventType.PING, "subscription": str(subscription.pk), "test": True},
    )


_webhook_subscription_create_unguarded = webhook_subscription_create


def webhook_subscription_create(  # noqa: F811 - the URL guard in front of the original (see MERGE NOTE)
    *, api_key: ApiKey, url: str, events: list[str] | None = None, description: str = ""
) -> tuple[WebhookSubscription, str]:
    return _webhook_subscription_create_unguarded(
        api_key=api_key, url=_webhook_url_check(url), events=events, description=description
    )
