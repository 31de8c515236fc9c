"""Reads for the agents app that need more than a one-line query."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from agents.models import (
    A2AEnvelope,
    Agent,
    ApiKey,
    EnvelopeIntent,
    WebhookSubscription,
)
from agents.services import hash_secret
from agents.state import LIVE_ENVELOPE_STATUSES, EnvelopeStatus


def api_key_get_active(*, plaintext: str) -> ApiKey | None:
    """The usable key a bearer token stands for, or None (unknown, revoked or expired)."""
    if not plaintext:
        return None
    # The hottest query of the open network (every request of every transport): one indexed
    # lookup, no join (the owner loads lazily if ever needed), and raw SQL because building
    # and compiling the ORM query cost more than running it (bench/README.md, api_search).
    candidates = ApiKey.objects.raw(
        f"SELECT * FROM {ApiKey._meta.db_table} WHERE key_hash = %s AND revoked_at IS NULL",  # noqa: S608 - no input
        [hash_secret(plaintext)],
    )
    now = timezone.now()
    for api_key in candidates:
        if api_key.expires_at is None or api_key.expires_at > now:
            return api_key
    return None


def agent_get_by_inbox_key(*, agent_id: str, plaintext: str) -> Agent | None:
    if not plaintext:
        return None
    return Agent.objects.filter(agent_id=agent_id, inbox_key_hash=hash_secret(plaintext)).first()


def envelopes_due_for_retry(*, limit: int = 200) -> QuerySet[A2AEnvelope]:
    now = timezone.now()
    return A2AEnvelope.objects.filter(
        status__in=[EnvelopeStatus.QUEUED, EnvelopeStatus.FAILED], next_attempt_at__lte=now
    ).order_by("priority", "next_attempt_at")[:limit]


def envelopes_past_ttl(*, limit: int = 500) -> QuerySet[A2AEnvelope]:
    return A2AEnvelope.objects.filter(status__in=LIVE_ENVELOPE_STATUSES, expires_at__lte=timezone.now())[:limit]


def webhook_subscriptions_for_event(*, api_key: ApiKey, event_type: str) -> list[WebhookSubscription]:
    """The key's active subscriptions that want ``event_type``, oldest first."""
    # an A2A push config's subscription carries only its own task's updates
    subscriptions = WebhookSubscription.objects.filter(
        api_key=api_key, is_active=True, a2a_push_config__isnull=True
    ).order_by("created_at")
    return [s for s in subscriptions if s.wants(event_type)]


def booking_request_envelope(booking, *, first: bool = False, exclude_pk=None) -> A2AEnvelope | None:
    """The latest (or ``first``) booking.request envelope for ``booking``; replies correlate
    to the latest, the first one says which agent the booking belongs to."""
    requests = A2AEnvelope.objects.filter(booking=booking, intent=EnvelopeIntent.BOOKING_REQUEST)
    if exclude_pk is not None:
        requests = requests.exclude(pk=exclude_pk)
    return requests.order_by("created_at" if first else "-created_at").first()
