"""Reads for the agents app that need more than a one-line query."""

from __future__ import annotations

import hashlib

from django.db import connection
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

_TIER_RANK = {"enterprise": 3, "pro": 2, "free": 1}


def api_key_for_user(*, user_id) -> ApiKey | None:
    """The key an OAuth client of ``user_id`` acts as: the user's active key with the highest
    tier (the newest among equals), so the client gets the user's tier and shares its budget."""
    now = timezone.now()
    keys = ApiKey.objects.filter(owner_id=user_id, revoked_at__isnull=True).exclude(expires_at__lte=now)
    return max(keys, key=lambda k: (_TIER_RANK.get(k.tier, 0), k.created_at), default=None)


def api_key_for_oauth_token(*, plaintext: str, resource: str) -> ApiKey | None:
    """The key an OAuth access token stands for, or None (unknown, revoked, expired, another
    resource's token, or a user without an active key). Looked up on every request: deleting
    the token in the admin takes effect at once."""
    from oauth2_provider.models import get_access_token_model

    token = (
        get_access_token_model()
        .objects.filter(token_checksum=hashlib.sha256(plaintext.encode()).hexdigest())
        .only("pk", "user_id", "expires", "scope", "resource")
        .first()
    )
    if token is None or token.user_id is None or token.is_expired() or not token.allow_scopes(["mcp"]):
        return None
    if token.resource and resource not in token.resource:
        return None
    return api_key_for_user(user_id=token.user_id)


# Every concrete column of ApiKey, in field order (what Model.from_db expects); none of them
# needs a database converter on PostgreSQL (text, integers, timestamptz, a text array).
_API_KEY_ATTNAMES = [field.attname for field in ApiKey._meta.concrete_fields]
_API_KEY_BY_HASH_SQL = "SELECT {} FROM {} WHERE key_hash = %s AND revoked_at IS NULL".format(  # noqa: S608 - no input
    ", ".join(f'"{field.column}"' for field in ApiKey._meta.concrete_fields), ApiKey._meta.db_table
)


def api_key_get_active(*, plaintext: str) -> ApiKey | None:
    """The usable key a bearer token stands for, or None (unknown, revoked or expired)."""
    if not plaintext:
        return None
    # The hottest query of the open network (every request of every transport): one indexed
    # lookup, no join (the owner loads lazily if ever needed), and a plain cursor with the SQL
    # written once, because building and compiling the ORM query (or resolving a raw
    # queryset's columns) cost more than running it (bench/README.md, api_search, serving).
    with connection.cursor() as cursor:
        cursor.execute(_API_KEY_BY_HASH_SQL, [hash_secret(plaintext)])
        rows = cursor.fetchall()
    now = timezone.now()
    for row in rows:
        api_key = ApiKey.from_db(connection.alias, _API_KEY_ATTNAMES, row)
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
