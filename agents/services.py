"""Writes for the agents app: API keys, the agent registry, envelopes, outbound webhooks.

Every function here is the one place its change happens; the admin, the APIs, the MCP
server and the tasks all call these.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from agents.models import (
    A2AEnvelope,
    Agent,
    AgentCard,
    AgentKind,
    AgentStatus,
    ApiKey,
    EnvelopeDirection,
    EnvelopeEvent,
    WebhookDelivery,
    WebhookEventType,
    WebhookSubscription,
)
from agents.platform import webhook_client
from agents.platform.webhook_client import WebhookUrlRejected  # noqa: F401 - part of this module's API
from agents.state import (
    ENVELOPE_TRANSITIONS,
    WEBHOOK_DELIVERY_TRANSITIONS,
    EnvelopeStatus,
    WebhookDeliveryStatus,
)
from agnt import crypto
from agnt.models import ApiTier
from agnt.transitions import transition

API_KEY_PREFIX = "agnt_live_"
# visible part of a key: the fixed prefix plus 8 characters of the random token
API_KEY_VISIBLE_CHARS = len(API_KEY_PREFIX) + 8
WEBHOOK_SECRET_PREFIX = "whsec_"
WEBHOOK_SECRET_BYTES = 32  # Standard Webhooks: 24 to 64 random bytes, base64 after the prefix
# Exponential backoff, capped at 8 h: the delay before attempt 2, 3, … (attempt 1 is
# immediate). Nominal total 23 h 36 min; each delay gets ±WEBHOOK_RETRY_JITTER so the
# retries of many events that failed together (a receiver outage) do not arrive together.
WEBHOOK_RETRY_DELAYS = (
    timedelta(seconds=15),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
    timedelta(hours=8),
)
WEBHOOK_RETRY_JITTER = 0.15
WEBHOOK_MAX_ATTEMPTS = len(WEBHOOK_RETRY_DELAYS) + 1
WEBHOOK_RESPONSE_EXCERPT = 2_000
# While one worker sends an attempt, the row is "leased" (next_attempt_at pushed ahead,
# well past the HTTP timeout) so the retry job does not send it a second time; a worker
# that dies leaves it due again once the lease ends.
WEBHOOK_SEND_LEASE_MIN = timedelta(seconds=60)
WEBHOOK_DESCRIPTION_MAX = 200


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


@transaction.atomic
def api_key_tier_sync(*, owner, tier: str) -> int:
    """Move ``owner``'s active keys to ``tier`` (their plan's tier); returns how many moved."""
    if tier not in ApiTier.values:
        raise ValueError(f"unknown API tier {tier!r}")
    return (
        ApiKey.objects.filter(owner=owner, revoked_at__isnull=True)
        .exclude(tier=tier)
        .update(tier=tier, updated_at=timezone.now())
    )


# --- Agent registry --------------------------------------------------------------------


VENUE_AGENT_SKILLS = [
    "booking.request",
    "booking.cancel",
    "booking.search",
    "booking.confirm",
    "network.ping",
]
CONSUMER_AGENT_SKILLS = [
    "booking.accepted",
    "booking.rejected",
    "booking.counter_offer",
    "booking.cancelled",
    "network.ping",
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
    from agents.network.registry import venue_dna  # the DNA is declared once, in the registry

    agent, created = Agent.objects.get_or_create(
        venue=venue, defaults={"kind": AgentKind.VENUE, "agent_id": venue_agent_id(venue), **venue_dna(venue)}
    )
    # Venue.cp_agent_id caches the registry's answer so venue queries need no join.
    if venue.cp_agent_id != agent.agent_id:
        venue.cp_agent_id = agent.agent_id
        venue.save(update_fields=["cp_agent_id", "updated_at"])
    return agent


@transaction.atomic
def agent_policies_set(*, agent: Agent, auto_accept: bool, owner_approval_above_party_size: int | None) -> Agent:
    """The owner's own rules for their venue agent (what it accepts alone, what it asks first)."""
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    policies = dict(agent.policies) if isinstance(agent.policies, dict) else {}
    policies["auto_accept"] = bool(auto_accept)
    if owner_approval_above_party_size:
        policies["owner_approval_above_party_size"] = int(owner_approval_above_party_size)
    else:
        policies.pop("owner_approval_above_party_size", None)
    agent.policies = policies
    agent.save(update_fields=["policies", "updated_at"])
    return agent


@transaction.atomic
def agent_register_for_user(*, user) -> Agent:
    """The user's concierge agent, created on first call."""
    from agents.network.registry import consumer_dna

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
    now = timezone.now()

    def changes(locked: A2AEnvelope, from_status: str) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if to_status == EnvelopeStatus.SENT:
            fields.update(attempts=locked.attempts + 1, next_attempt_at=None)
        if to_status in (EnvelopeStatus.QUEUED, EnvelopeStatus.FAILED):
            fields["next_attempt_at"] = next_attempt_at
        if error or to_status in (EnvelopeStatus.FAILED, EnvelopeStatus.REJECTED, EnvelopeStatus.EXPIRED):
            fields["last_error"] = error
        if stamp := _STATUS_TIMESTAMPS.get(to_status):
            fields[stamp] = now
        return fields

    def refuse(locked: A2AEnvelope, from_status: str) -> EnvelopeTransitionError:
        allowed = ", ".join(sorted(ENVELOPE_TRANSITIONS.get(from_status, ()))) or "nothing (terminal)"
        return EnvelopeTransitionError(
            f"envelope {locked.envelope_id} cannot move from {from_status} to {to_status} (allowed: {allowed})"
        )

    locked, _ = transition(
        envelope,
        to_status=to_status,
        table=ENVELOPE_TRANSITIONS,
        changes=changes,
        refuse=refuse,
        event=lambda locked, from_status: EnvelopeEvent.objects.create(
            envelope=locked, from_status=from_status, to_status=to_status, error=error, data=data or {}
        ),
    )
    return locked


# --- Outbound webhooks --------------------------------------------------------------------


class WebhookError(ValueError):
    """Bad input for a webhook subscription or delivery; the message is for the developer.

    ``field`` names the input it is about ("events", "description"…) when there is one,
    so an API can report it like a validation error on that field.
    """

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field


class WebhookEventTypeUnknown(WebhookError):
    """An event type that is not one of WebhookEventType."""

    field = "events"


class WebhookSubscriptionInactive(WebhookError):
    """The subscription (or its API key) is disabled, so nothing can be sent to it."""


def _validate_events(events: list[str]) -> list[str]:
    if isinstance(events, str) or not all(isinstance(event, str) for event in events):
        raise WebhookEventTypeUnknown("events must be a list of event type names")
    unknown = sorted(set(events) - set(WebhookEventType.values))
    if unknown:
        raise WebhookEventTypeUnknown(
            f"unknown webhook event types: {', '.join(unknown)} (known: {', '.join(WebhookEventType.values)})"
        )
    return sorted(set(events))


def _validate_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > WEBHOOK_DESCRIPTION_MAX:
        raise WebhookError(f"description is longer than {WEBHOOK_DESCRIPTION_MAX} characters", field="description")
    return description


def webhook_secret_generate() -> str:
    """``whsec_`` + standard base64 of 32 random bytes: what standardwebhooks.Webhook decodes."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(WEBHOOK_SECRET_BYTES)).decode("ascii")


@transaction.atomic
def webhook_subscription_create(
    *, api_key: ApiKey, url: str, events: list[str] | None = None, description: str = ""
) -> tuple[WebhookSubscription, str]:
    """Create a subscription; returns it with the signing secret (plaintext, shown once).

    Raises WebhookUrlRejected for a URL the SSRF guard refuses (private, loopback,
    link-local, not https…) and WebhookError for unknown event types or a revoked key.
    """
    if api_key.revoked_at is not None:
        raise WebhookSubscriptionInactive("the API key is revoked")
    url = webhook_client.check_url(url).geturl()
    secret = webhook_secret_generate()
    subscription = WebhookSubscription.objects.create(
        api_key=api_key,
        url=url,
        events=_validate_events(events or []),
        description=_validate_description(description),
        secret_ciphertext=crypto.encrypt_text(secret),
    )
    return subscription, secret


@transaction.atomic
def webhook_subscription_update(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change what the developer may change; ``None`` leaves a field as it is.

    ``is_active=False`` disables (pending attempts die), ``True`` re-enables (refused for
    a revoked key). An empty ``events`` list means every event type.
    """
    locked = WebhookSubscription.objects.select_for_update().select_related("api_key").get(pk=subscription.pk)
    fields: list[str] = []
    if url is not None:
        locked.url = webhook_client.check_url(url).geturl()
        fields.append("url")
    if events is not None:
        locked.events = _validate_events(events)
        fields.append("events")
    if description is not None:
        locked.description = _validate_description(description)
        fields.append("description")
    if fields:
        locked.save(update_fields=[*fields, "updated_at"])
    if is_active is True:
        locked = webhook_subscription_enable(subscription=locked)
    elif is_active is False:
        locked = webhook_subscription_disable(subscription=locked, reason="disabled by the owner")
    return _in_step(subscription, locked)


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Delete a subscription and its delivery log (the developer asked for it to be gone)."""
    WebhookSubscription.objects.filter(pk=subscription.pk).delete()


def webhook_subscription_secret(*, subscription: WebhookSubscription) -> str:
    """The signing secret, for the delivery worker only (never for display)."""
    return crypto.decrypt_text(subscription.secret_ciphertext)


@transaction.atomic
def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    """Issue a new signing secret (returned once); attempts from now on are signed with it."""
    secret = webhook_secret_generate()
    subscription.secret_ciphertext = crypto.encrypt_text(secret)
    subscription.save(update_fields=["secret_ciphertext", "updated_at"])
    return secret


@transaction.atomic
def webhook_subscription_disable(*, subscription: WebhookSubscription, reason: str) -> WebhookSubscription:
    """Stop sending to a subscription (operator action, key revoked, or too many failures)."""
    locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if not locked.is_active:
        return _in_step(subscription, locked)
    locked.is_active = False
    locked.disabled_at = timezone.now()
    locked.disabled_reason = reason[:200]
    locked.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    # attempts still waiting would only fail again; they die with the subscription
    WebhookDelivery.objects.filter(subscription=locked, status=WebhookDeliveryStatus.PENDING).update(
        status=WebhookDeliveryStatus.DEAD, error=f"subscription disabled: {reason}"[:500], next_attempt_at=None
    )
    return _in_step(subscription, locked)


_SUBSCRIPTION_STATE_FIELDS = (
    "is_active",
    "disabled_at",
    "disabled_reason",
    "consecutive_failures",
    "failing_since",
    "last_success_at",
    "last_failure_at",
    "url",
    "events",
    "description",
    "secret_ciphertext",
    "updated_at",
)


def _in_step(caller: WebhookSubscription, locked: WebhookSubscription) -> WebhookSubscription:
    """Bring the caller's instance up to date with the row a service locked and changed."""
    if caller is not locked:
        for field in _SUBSCRIPTION_STATE_FIELDS:
            setattr(caller, field, getattr(locked, field))
    return locked


@transaction.atomic
def webhook_subscription_enable(*, subscription: WebhookSubscription) -> WebhookSubscription:
    locked = WebhookSubscription.objects.select_for_update().select_related("api_key").get(pk=subscription.pk)
    if locked.api_key.revoked_at is not None:
        raise WebhookSubscriptionInactive("the subscription's API key is revoked")
    if locked.is_active:
        return _in_step(subscription, locked)
    locked.is_active = True
    locked.disabled_at = None
    locked.disabled_reason = ""
    locked.consecutive_failures = 0
    locked.failing_since = None
    locked.save(
        update_fields=[
            "is_active",
            "disabled_at",
            "disabled_reason",
            "consecutive_failures",
            "failing_since",
            "updated_at",
        ]
    )
    return _in_step(subscription, locked)


def webhook_event_envelope(*, event_type: str, data: dict, timestamp: datetime | None = None) -> dict:
    """The JSON body every webhook carries: ``{"type", "timestamp", "data"}`` (Standard Webhooks shape)."""
    moment = (timestamp or timezone.now()).astimezone(UTC)
    return {"type": event_type, "timestamp": moment.isoformat().replace("+00:00", "Z"), "data": data}


@transaction.atomic
def webhook_delivery_enqueue(
    *, subscription: WebhookSubscription, event_type: str, payload: dict, event_id: str | None = None
) -> WebhookDelivery:
    """The first attempt of one event to one subscription, due now (sent by the caller or the retry job)."""
    return WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=event_id or new_webhook_message_id(),
        event_type=event_type,
        payload=payload,
        attempt=1,
        next_attempt_at=timezone.now(),
    )


def new_webhook_message_id() -> str:
    return f"msg_{secrets.token_hex(12)}"


def _send_on_commit(delivery_ids: list) -> None:
    from agents.platform.webhook_jobs import webhook_deliver

    for delivery_id in delivery_ids:
        transaction.on_commit(lambda delivery_id=delivery_id: webhook_deliver.delay(str(delivery_id)))


@transaction.atomic
def webhook_event_publish(
    *, api_key: ApiKey, event_type: str, payload: dict, event_id: str | None = None
) -> list[WebhookDelivery]:
    """Fan one event out to every active subscription of ``api_key`` that wants it.

    ``payload`` is the event's ``data``; each subscription receives the same message
    (same ``webhook-id``). Idempotent on ``event_id``: publishing it again creates
    nothing new. Attempts are sent after commit; a revoked key publishes nothing.
    """
    if event_type not in WebhookEventType.values:
        raise WebhookEventTypeUnknown(f"unknown webhook event type {event_type!r}")
    if not isinstance(payload, dict):
        raise WebhookError("payload must be a JSON object", field="payload")
    if api_key.revoked_at is not None:
        return []
    event_id = event_id or new_webhook_message_id()
    if len(event_id) > 64:
        raise WebhookError("event_id is longer than 64 characters", field="event_id")
    body = webhook_event_envelope(event_type=event_type, data=payload)
    created: list[WebhookDelivery] = []
    from agents.selectors import webhook_subscriptions_for_event  # selectors import this module

    for subscription in webhook_subscriptions_for_event(api_key=api_key, event_type=event_type):
        if WebhookDelivery.objects.filter(subscription=subscription, event_id=event_id).exists():
            continue  # this event already went out to this subscription (a repeated publish)
        try:
            with transaction.atomic():
                delivery = webhook_delivery_enqueue(
                    subscription=subscription, event_type=event_type, payload=body, event_id=event_id
                )
        except IntegrityError:
            continue  # a concurrent publish of the same event won the unique (subscription, event_id, attempt)
        created.append(delivery)
    _send_on_commit([delivery.pk for delivery in created])
    return created


def webhook_test_send(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """Send a ``webhook.ping`` to the subscription now and return the attempt with its outcome.

    A ping is one attempt: when it fails it is not retried (the developer is watching),
    and it does not count towards auto-disable.
    """
    subscription = WebhookSubscription.objects.select_related("api_key").get(pk=subscription.pk)
    if not subscription.is_active:
        raise WebhookSubscriptionInactive("the subscription is disabled; enable it before sending a test event")
    body = webhook_event_envelope(
        event_type=WebhookEventType.PING,
        data={"subscription_id": str(subscription.pk), "message": "Test event from AGNT: your endpoint is reachable."},
    )
    delivery = webhook_delivery_enqueue(subscription=subscription, event_type=WebhookEventType.PING, payload=body)
    return webhook_delivery_attempt(delivery=delivery)


def _claim(delivery: WebhookDelivery) -> WebhookDelivery | None:
    """Lease a due, pending attempt for this worker; None when it is not due or someone else has it."""
    from django.conf import settings

    now = timezone.now()
    lease = max(WEBHOOK_SEND_LEASE_MIN, timedelta(seconds=3 * settings.WEBHOOK_TIMEOUT_SECONDS))
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDeliveryStatus.PENDING)
        .filter(models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now))
        .update(next_attempt_at=now + lease)
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("subscription__api_key").get(pk=delivery.pk)


def webhook_delivery_attempt(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send one pending, due attempt and record its outcome; returns the attempt row.

    No transaction is held during the HTTP call. Success is any 2xx answer; anything else
    (an error status, a redirect, a timeout, a target the SSRF guard refuses) records a
    failure and schedules the next attempt. An attempt that is not due, or is already
    being sent by another worker, is returned untouched.
    """
    claimed = _claim(delivery)
    if claimed is None:
        return WebhookDelivery.objects.get(pk=delivery.pk)
    subscription = claimed.subscription
    is_ping = claimed.event_type == WebhookEventType.PING
    if not subscription.is_active or subscription.api_key.revoked_at is not None:
        webhook_delivery_schedule_retry(delivery=claimed, error="subscription disabled", count_failure=False)
        return WebhookDelivery.objects.get(pk=claimed.pk)
    extra_headers = {}
    if claimed.event_type == "a2a.task":
        from agents.platform.a2a_tasks import push_headers

        extra_headers = push_headers(subscription)
    try:
        response = webhook_client.post_signed(
            url=subscription.url,
            secret=webhook_subscription_secret(subscription=subscription),
            message_id=claimed.event_id,
            payload=claimed.payload,
            timestamp=timezone.now(),
            extra_headers=extra_headers,
        )
    except webhook_client.WebhookSendError as exc:
        webhook_delivery_schedule_retry(
            delivery=claimed,
            error=str(exc)[:500],
            duration_ms=exc.duration_ms,
            retry=not is_ping,
            count_failure=not is_ping,
        )
    else:
        if response.ok:
            webhook_delivery_record_success(
                delivery=claimed,
                response_status=response.status,
                response_body=response.body,
                duration_ms=response.duration_ms,
            )
        else:
            error = "redirects are not followed" if 300 <= response.status < 400 else f"HTTP {response.status}"
            webhook_delivery_schedule_retry(
                delivery=claimed,
                response_status=response.status,
                response_body=response.body,
                error=error,
                duration_ms=response.duration_ms,
                retry=not is_ping,
                count_failure=not is_ping,
            )
    return WebhookDelivery.objects.get(pk=claimed.pk)


def _delivery_end(
    delivery: WebhookDelivery, *, to_status: str, changes: dict, locked: WebhookDelivery | None = None
) -> WebhookDelivery:
    """End one pending attempt through the transition helper (the row is its own log entry)."""
    locked, _ = transition(
        delivery,
        to_status=to_status,
        table=WEBHOOK_DELIVERY_TRANSITIONS,
        changes=changes,
        refuse=lambda row, from_status: WebhookError(f"delivery {row.pk} is already {from_status}"),
        locked=locked,
    )
    return locked


@transaction.atomic
def webhook_delivery_record_success(
    *, delivery: WebhookDelivery, response_status: int, response_body: str = "", duration_ms: int | None = None
) -> WebhookDelivery:
    """Mark the attempt delivered; the subscription's failure streak ends."""
    now = timezone.now()
    delivery = _delivery_end(
        delivery,
        to_status=WebhookDeliveryStatus.SUCCEEDED,
        changes={
            "response_status": response_status,
            "response_body": response_body[:WEBHOOK_RESPONSE_EXCERPT],
            "duration_ms": duration_ms,
            "delivered_at": now,
            "next_attempt_at": None,
        },
    )
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    subscription.consecutive_failures = 0
    subscription.failing_since = None
    subscription.last_success_at = now
    subscription.save(update_fields=["consecutive_failures", "failing_since", "last_success_at", "updated_at"])
    return delivery


def webhook_retry_delay(attempt: int, *, rng: random.Random | None = None) -> timedelta:
    """The jittered wait after failed attempt number ``attempt`` (1-based)."""
    nominal = WEBHOOK_RETRY_DELAYS[min(attempt, len(WEBHOOK_RETRY_DELAYS)) - 1]
    factor = 1 + (rng or random).uniform(-WEBHOOK_RETRY_JITTER, WEBHOOK_RETRY_JITTER)
    return timedelta(seconds=nominal.total_seconds() * factor)


@transaction.atomic
def webhook_delivery_schedule_retry(
    *,
    delivery: WebhookDelivery,
    response_status: int | None = None,
    response_body: str = "",
    error: str = "",
    duration_ms: int | None = None,
    retry: bool = True,
    count_failure: bool = True,
) -> WebhookDelivery | None:
    """Record a failed attempt and schedule the next one; returns it, or None when out of attempts.

    The failed attempt keeps its row (status ``failed``; ``dead`` if it was the last), the
    retry is a new row with the same ``event_id`` due after a jittered WEBHOOK_RETRY_DELAYS
    step. A counted failure extends the subscription's streak, which may auto-disable it.
    """
    # the attempt's row first, then its subscription: the order every delivery path locks in
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != WebhookDeliveryStatus.PENDING:
        raise WebhookError(f"delivery {delivery.pk} is already {delivery.status}")
    now = timezone.now()
    subscription = (
        WebhookSubscription.objects.select_for_update().select_related("api_key").get(pk=delivery.subscription_id)
    )
    exhausted = not retry or delivery.attempt >= WEBHOOK_MAX_ATTEMPTS or not subscription.is_active
    disable = False
    if count_failure and subscription.is_active:
        subscription.consecutive_failures += 1
        subscription.last_failure_at = now
        subscription.failing_since = subscription.failing_since or now
        subscription.save(update_fields=["consecutive_failures", "last_failure_at", "failing_since", "updated_at"])
        disable = _should_autodisable(subscription, now=now)
    delivery = _delivery_end(
        delivery,
        to_status=WebhookDeliveryStatus.DEAD if exhausted or disable else WebhookDeliveryStatus.FAILED,
        changes={
            "response_status": response_status,
            "response_body": response_body[:WEBHOOK_RESPONSE_EXCERPT],
            "error": error,
            "duration_ms": duration_ms,
            "next_attempt_at": None,
        },
        locked=delivery,
    )
    if disable:
        webhook_subscription_autodisable(subscription=subscription)
        return None
    if exhausted:
        return None
    return WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        payload=delivery.payload,
        attempt=delivery.attempt + 1,
        next_attempt_at=now + webhook_retry_delay(delivery.attempt),
    )


def _should_autodisable(subscription: WebhookSubscription, *, now: datetime) -> bool:
    from django.conf import settings

    if subscription.consecutive_failures >= settings.WEBHOOK_AUTODISABLE_FAILURES:
        return True
    limit = timedelta(hours=settings.WEBHOOK_AUTODISABLE_HOURS)
    return subscription.failing_since is not None and now - subscription.failing_since >= limit


@transaction.atomic
def webhook_subscription_autodisable(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """Disable a subscription that keeps failing and tell its key's owner (e-mail + analytics event)."""
    from django.conf import settings
    from django.core.mail import send_mail

    from agnt.services import analytics_event_record

    subscription = WebhookSubscription.objects.select_related("api_key__owner").get(pk=subscription.pk)
    if not subscription.is_active:
        return subscription
    since = subscription.failing_since
    reason = f"auto-disabled after {subscription.consecutive_failures} consecutive failed attempts" + (
        f" since {since:%Y-%m-%d %H:%M} UTC" if since else ""
    )
    subscription = webhook_subscription_disable(subscription=subscription, reason=reason)
    owner = WebhookSubscription.objects.select_related("api_key__owner").get(pk=subscription.pk).api_key.owner
    analytics_event_record(
        name="webhook.subscription_disabled",
        user=owner,
        source="webhooks",
        properties={"subscription_id": str(subscription.pk), "url": subscription.url, "reason": reason},
    )
    if owner.email:
        subject = "AGNT: your webhook endpoint was disabled"
        text = (
            f"We stopped sending webhooks to {subscription.url} (API key {subscription.api_key.prefix}…): {reason}.\n\n"
            "Check that the endpoint answers 2xx within "
            f"{settings.WEBHOOK_TIMEOUT_SECONDS} seconds, then re-enable the subscription through the API "
            "(PATCH is_active=true) or ask us to. Events from the failing period can be replayed."
        )
        transaction.on_commit(lambda: send_mail(subject, text, None, [owner.email], fail_silently=True))
    return subscription


def webhook_subscriptions_autodisable_failing(
    *, now: datetime | None = None, limit: int = 500
) -> list[WebhookSubscription]:
    """Disable every active subscription past the auto-disable limits (the periodic sweep).

    Failures are checked as they happen, but a subscription whose last retry died before
    the time limit passed only crosses it later: this sweep catches those.
    """
    from django.conf import settings

    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.WEBHOOK_AUTODISABLE_HOURS)
    failing = (
        WebhookSubscription.objects.filter(is_active=True)
        .filter(
            models.Q(failing_since__lte=cutoff)
            | models.Q(consecutive_failures__gte=settings.WEBHOOK_AUTODISABLE_FAILURES)
        )
        .order_by("failing_since")[:limit]
    )
    return [webhook_subscription_autodisable(subscription=subscription) for subscription in failing]


def webhook_deliveries_send_due(*, limit: int = 200, now: datetime | None = None) -> list:
    """Queue a send for every due pending attempt (oldest first, at most ``limit``); returns their ids.

    Rows another transaction holds are skipped, not waited for; the attempt's own lease
    keeps two workers from sending the same row.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now, subscription__is_active=True)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        _send_on_commit(due)
    return due


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send an event again: one more attempt of the same message, due now.

    The replay keeps the ``event_id`` (the ``webhook-id`` header, so a receiver that
    already processed it can dedupe) and the payload, and takes the next attempt number
    after the highest for that event. It continues the retry chain: if it fails it is
    retried on the normal schedule while attempts remain (WEBHOOK_MAX_ATTEMPTS); a replay
    of an exhausted chain is a single attempt.
    """
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    if not subscription.is_active:
        raise WebhookSubscriptionInactive(f"the subscription {subscription.url} is disabled; enable it first")
    chain = WebhookDelivery.objects.filter(subscription=subscription, event_id=delivery.event_id)
    if chain.filter(status=WebhookDeliveryStatus.PENDING).exists():
        raise WebhookError(f"event {delivery.event_id} already has an attempt waiting to be sent")
    last = chain.aggregate(last=models.Max("attempt"))["last"] or delivery.attempt
    replay = WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        payload=delivery.payload,
        attempt=last + 1,
        next_attempt_at=timezone.now(),
    )
    _send_on_commit([replay.pk])
    return replay


# --- Booking events ----------------------------------------------------------------------

BOOKING_STATUS_EVENTS: dict[str, str] = {
    "requested": WebhookEventType.BOOKING_CREATED,
    "confirmed": WebhookEventType.BOOKING_CONFIRMED,
    "rejected": WebhookEventType.BOOKING_REJECTED,
    "counter_offered": WebhookEventType.BOOKING_COUNTER_OFFERED,
    "cancelled": WebhookEventType.BOOKING_CANCELLED,
    "completed": WebhookEventType.BOOKING_COMPLETED,
    "no_show": WebhookEventType.BOOKING_NO_SHOW,
    "expired": WebhookEventType.BOOKING_EXPIRED,
}


def booking_webhook_data(*, booking, status: str, previous_status: str, reason: str) -> dict:
    """The documented ``data`` of every booking.* webhook (docs/agents.md, "Webhook payloads")."""
    venue = booking.venue
    return {
        "booking": {
            "ref": booking.external_ref,
            "status": status,
            "previous_status": previous_status or None,
            "slot_start": booking.slot_start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "slot_end": booking.slot_end.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "party_size": booking.party_size,
            "reason": reason or None,
            "counter_offer_slots": list(booking.counter_offer_slots or []) if status == "counter_offered" else [],
        },
        "venue": {"slug": venue.slug, "name": venue.name},
    }


def webhook_booking_status_publish(*, booking_id, from_status: str, to_status: str) -> list[WebhookDelivery]:
    """Publish a booking's status change to the subscriptions of the API key that made it.

    Bookings made in chat or on the web (no api_key) publish nothing. The message id is
    derived from the BookingEvent of this transition, so a redelivered task sends nothing
    twice.
    """
    from bookings.models import BookingEvent, VenueBooking

    event_type = BOOKING_STATUS_EVENTS.get(to_status)
    if event_type is None:
        return []
    booking = VenueBooking.objects.select_related("venue", "api_key").filter(pk=booking_id).first()
    if booking is None or booking.api_key is None:
        return []
    event = (
        BookingEvent.objects.filter(booking=booking, from_status=from_status, to_status=to_status)
        .order_by("-created_at")
        .first()
    )
    event_id = f"msg_{event.pk.hex}" if event is not None else None
    data = booking_webhook_data(
        booking=booking,
        status=to_status,
        previous_status=from_status,
        reason=(event.reason if event is not None else "") or booking.status_reason,
    )
    return webhook_event_publish(api_key=booking.api_key, event_type=event_type, payload=data, event_id=event_id)
