"""``POST /a2a/v1/envelope``: one A2A envelope from an external agent, answered in the same call.

An external agent addresses the platform agent (or a venue's agent) with an envelope
whose ``intent`` is one of network.ping, venue.list, booking.search, booking.confirm.
This module is the envelope protocol over HTTP — checking the protocol version and the
envelope's age, refusing id reuse, recording the envelope — and delegates the work of
each intent to agents.platform.external, exactly as the REST routes do.

Every envelope that passes the shape check is recorded as an inbound A2AEnvelope tied to
the API key (delivered → processed, or delivered → rejected with the problem code), so
staff see external traffic in the admin next to gateway traffic. The envelope's ``id`` is
single-use: resending it with the same intent returns the first answer (for
booking.confirm it is the booking's idempotency key, so a retry never books twice);
another intent, another key, or a resend of an envelope that was refused is a 409.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pydantic
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agents.api import schemas
from agents.models import A2AEnvelope, Agent, AgentKind, ApiKey, EnvelopeDirection
from agents.platform import external as network
from agents.services import envelope_record, envelope_transition
from agents.state import EnvelopeStatus
from bookings.models import VenueBooking

PROTOCOL = "agnt/1"
_PROTOCOL_RE = re.compile(r"^agnt/1(\.\d+)?$")
# the gateway wire format's name for the same major version (agents.network.signing.PROTOCOL)
_LEGACY_PROTOCOLS = frozenset({"agnt-a2a/1.0"})


def protocol_supported(value: str) -> bool:
    return bool(_PROTOCOL_RE.match(value)) or value in _LEGACY_PROTOCOLS


class EnvelopeExpired(network.NetworkError):
    code, status, title = "envelope_expired", 422, "The envelope is older than its ttl_ms"


class EnvelopeFromTheFuture(network.NetworkError):
    code, status, title = "envelope_timestamp_in_future", 422, "The envelope's timestamp is in the future"


class EnvelopeIdConflict(network.NetworkError):
    code, status, title = "envelope_id_conflict", 409, "This envelope id was already used for something else"


class EnvelopeAlreadyRefused(network.NetworkError):
    code, status, title = "envelope_already_refused", 409, "This envelope was already answered with an error"


class UnknownRecipient(network.NetworkError):
    code, status, title = "unknown_recipient", 422, "No agent of this network has that id"


class PayloadInvalid(network.NetworkError):
    code, status, title = "validation_error", 422, "The envelope's payload is not valid for its intent"


def sent_at_of(timestamp: datetime | int | float) -> datetime:
    """The envelope's ``timestamp`` as an aware datetime (epoch seconds, epoch ms, or ISO 8601)."""
    if isinstance(timestamp, datetime):
        return timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)
    value = float(timestamp)
    if value > 100_000_000_000:  # 10^11 s is the year 5138: this is milliseconds
        value /= 1000
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise network.InvalidRequest("timestamp is not a valid time", field="timestamp") from None


def check_age(*, sent_at: datetime, ttl_ms: int, now: datetime) -> None:
    """Refuse an envelope whose ttl has run out, or one stamped later than the allowed clock skew."""
    skew = timedelta(seconds=int(getattr(settings, "A2A_FUTURE_SKEW_SECONDS", 30)))
    if sent_at > now + skew:
        raise EnvelopeFromTheFuture(
            f"timestamp {sent_at.isoformat()} is {(sent_at - now).total_seconds():.0f} s ahead of the server clock "
            f"(allowed skew {skew.total_seconds():.0f} s)",
            field="timestamp",
        )
    expires = sent_at + timedelta(milliseconds=ttl_ms)
    if expires <= now:
        raise EnvelopeExpired(
            f"the envelope expired at {expires.isoformat()} (timestamp + ttl_ms); resend it with a fresh timestamp",
            field="timestamp",
            extra={"expired_at": expires.isoformat()},
        )


def _payload(model: type[pydantic.BaseModel], payload: dict[str, Any]):
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as exc:
        errors = [
            {"field": ".".join(["payload", *(str(part) for part in error["loc"])]), "message": error["msg"]}
            for error in exc.errors(include_url=False)
        ]
        raise PayloadInvalid(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            field=errors[0]["field"],
            extra={"errors": errors},
        ) from None


def _platform_agent_id() -> str:
    return settings.CLAWPULSE_PLATFORM_AGENT_ID


def _recipient_venue(to: str) -> Any:
    """The venue whose agent ``to`` names, None for the platform agent; UnknownRecipient otherwise."""
    if to == _platform_agent_id():
        return None
    agent = Agent.objects.select_related("venue").filter(agent_id=to, kind=AgentKind.VENUE).first()
    if agent is None or agent.venue is None:
        raise UnknownRecipient(f"no agent {to!r}; address {_platform_agent_id()!r} or a venue agent", field="to")
    return network.venue_get(ref=agent.venue.slug)


def _venue_for(ref: str | None, recipient_venue) -> Any:
    if ref:
        return network.venue_get(ref=ref)
    if recipient_venue is not None:
        return recipient_venue
    raise PayloadInvalid(
        "payload.venue is required when the envelope is addressed to the platform agent", field="payload.venue"
    )


def _run(*, api_key: ApiKey, envelope_id: str, intent: str, payload: dict, recipient_venue, now: datetime):
    """Do the intent's work through agents.platform.external; returns (result payload, booking or None)."""
    if intent == "network.ping":
        return {"pong": True, "agent": _platform_agent_id(), "tier": api_key.tier, "time": now.isoformat()}, None
    if intent == "venue.list":
        data = _payload(schemas.VenueListPayload, payload)
        page = network.venue_list(**data.model_dump())
        return {"items": page.items, "next_cursor": page.next_cursor}, None
    if intent == "booking.search":
        data = _payload(schemas.BookingSearchPayload, payload)
        venue = _venue_for(data.venue, recipient_venue)
        result = network.availability(venue=venue, day=data.date, party_size=data.party_size)
        network.usage_meter(api_key=api_key, intent="booking.search", request_id=f"env:{envelope_id}")
        return result, None
    # booking.confirm: the tier gate comes before any validation of what to book
    network.tier_check(api_key=api_key, intent="booking.confirm")
    data = _payload(schemas.BookingConfirmPayload, payload)
    venue = _venue_for(data.venue, recipient_venue)
    outcome = network.booking_create_for_key(
        api_key=api_key,
        venue=venue,
        slot_start=data.slot_start,
        party_size=data.party_size,
        children=data.children,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        special_requests=data.special_requests,
        idempotency_key=envelope_id,
        intent="booking.confirm",
        request_id=f"env:{envelope_id}",
    )
    return {"created": outcome.created, "booking": network.booking_public(outcome.booking)}, outcome.booking


def _replay(*, existing: A2AEnvelope, api_key: ApiKey, intent: str) -> None:
    if (
        existing.api_key_id != api_key.pk
        or existing.intent != intent
        or existing.direction != EnvelopeDirection.INBOUND
    ):
        raise EnvelopeIdConflict(
            f"envelope id {existing.envelope_id!r} was already used (by another request); choose a new id", field="id"
        )
    if existing.status == EnvelopeStatus.REJECTED:
        raise EnvelopeAlreadyRefused(
            f"envelope {existing.envelope_id!r} was refused: {existing.last_error}; send a new id to try again",
            field="id",
        )


def _record(
    *,
    api_key: ApiKey,
    envelope: schemas.EnvelopeIn,
    envelope_id: str,
    to: str,
    sent_at: datetime,
    booking: VenueBooking | None,
    error: network.NetworkError | None,
) -> None:
    with transaction.atomic():
        row, created = envelope_record(
            envelope_id=envelope_id,
            intent=envelope.intent,
            direction=EnvelopeDirection.INBOUND,
            from_agent_id=envelope.from_,
            to_agent_id=to,
            payload=envelope.payload,
            booking=booking,
            api_key=api_key,
            signed_at=sent_at,
            ttl_ms=envelope.ttl_ms,
        )
        if not created:  # a concurrent resend of the same id recorded it first
            return
        if error is None:
            envelope_transition(envelope=row, to_status=EnvelopeStatus.PROCESSED, data={"via": "api"})
        else:
            envelope_transition(
                envelope=row,
                to_status=EnvelopeStatus.REJECTED,
                error=f"{error.code}: {error.detail}"[:2000],
                data={"via": "api", "code": error.code},
            )


def envelope_process(*, api_key: ApiKey, envelope: schemas.EnvelopeIn, now: datetime | None = None) -> dict[str, Any]:
    """Check, record and answer one envelope; returns the reply envelope (a dict in the wire shape).

    Raises a NetworkError subclass (the API renders it as problem+json) when the envelope
    or its intent is refused; the refusal is recorded when the envelope itself was sound.
    """
    now = now or timezone.now()
    sent_at = sent_at_of(envelope.timestamp)
    check_age(sent_at=sent_at, ttl_ms=envelope.ttl_ms, now=now)
    to = envelope.to or _platform_agent_id()
    envelope_id = envelope.id or uuid.uuid4().hex
    existing = A2AEnvelope.objects.filter(envelope_id=envelope_id).first() if envelope.id else None
    if existing is not None:
        _replay(existing=existing, api_key=api_key, intent=envelope.intent)
    recipient_venue = _recipient_venue(to)
    try:
        result, booking = _run(
            api_key=api_key,
            envelope_id=envelope_id,
            intent=envelope.intent,
            payload=envelope.payload,
            recipient_venue=recipient_venue,
            now=now,
        )
    except network.NetworkError as exc:
        if existing is None:
            _record(
                api_key=api_key,
                envelope=envelope,
                envelope_id=envelope_id,
                to=to,
                sent_at=sent_at,
                booking=None,
                error=exc,
            )
        exc.extra.setdefault("in_reply_to", envelope_id)
        raise
    if existing is None:
        _record(
            api_key=api_key,
            envelope=envelope,
            envelope_id=envelope_id,
            to=to,
            sent_at=sent_at,
            booking=booking,
            error=None,
        )
    return {
        "protocol": PROTOCOL,
        "id": uuid.uuid4().hex,
        "from": to,
        "to": envelope.from_,
        "intent": f"{envelope.intent}.result",
        "in_reply_to": envelope_id,
        "timestamp": now,
        "payload": result,
        "agent_context": envelope.agent_context,
    }
