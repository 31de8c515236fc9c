"""Signing and verifying A2A envelopes (HMAC-SHA256, key rotation, replay window, seen ids).

Wire format (shared by every agent on the network)::

    {"envelope_id": "<uuid4 hex>", "protocol": "agnt-a2a/1.0", "intent": "booking.request",
     "from": "<agent id>", "to": "<agent id>", "correlation_id": "", "timestamp": <unix s>,
     "ttl_ms": 600000, "payload": {...}, "signature": "<hex>"}

    signature = HMAC-SHA256(A2A_SIGNING_KEY, f"{timestamp}.".encode() + canonical_body)

``canonical_body`` is the envelope without ``signature`` as sorted, compact, UTF-8 JSON, so
both ends derive the same bytes whatever order the keys travelled in. During a key
rotation A2A_SIGNING_KEY_PREVIOUS verifies too (never signs). A timestamp older than the
replay window (or further in the future than a small clock skew) is refused, and each
envelope_id is remembered in Redis for longer than the window, so a captured envelope
cannot be replayed: inside the window the seen-id store refuses it, outside it the
timestamp does. The database's unique envelope_id is the second line if Redis is lost.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

PROTOCOL = "agnt-a2a/1.0"
REQUIRED_FIELDS = ("envelope_id", "protocol", "intent", "from", "to", "timestamp", "payload", "signature")
SEEN_KEY_PREFIX = "agnt:a2a:seen:"


class EnvelopeInvalid(Exception):
    """Base: the envelope must not be acted on. ``reason`` is a short machine-readable code."""

    reason = "invalid"


class EnvelopeMalformed(EnvelopeInvalid):
    reason = "malformed"


class BadSignature(EnvelopeInvalid):
    """Signed with a key we don't hold, or changed after signing."""

    reason = "bad_signature"


class StaleTimestamp(EnvelopeInvalid):
    reason = "stale_timestamp"


class FutureTimestamp(EnvelopeInvalid):
    reason = "future_timestamp"


class ReplayedEnvelope(EnvelopeInvalid):
    reason = "replay"


def replay_window_seconds() -> int:
    return int(getattr(settings, "A2A_REPLAY_WINDOW_SECONDS", 300))


def future_skew_seconds() -> int:
    # clocks of two honest hosts drift a little; more than this is a forged or broken clock
    return int(getattr(settings, "A2A_FUTURE_SKEW_SECONDS", 30))


def signing_keys() -> list[str]:
    """Keys that verify, current first. Only the first one signs."""
    keys = [getattr(settings, "A2A_SIGNING_KEY", "") or "", getattr(settings, "A2A_SIGNING_KEY_PREVIOUS", "") or ""]
    return [key for key in keys if key]


def new_envelope_id() -> str:
    return uuid.uuid4().hex


def build_envelope(
    *,
    intent: str,
    from_agent_id: str,
    to_agent_id: str,
    payload: dict[str, Any],
    envelope_id: str | None = None,
    correlation_id: str = "",
    ttl_ms: int = 600_000,
) -> dict[str, Any]:
    """An unsigned envelope dict in the wire format (``sign_envelope`` adds timestamp + signature)."""
    return {
        "envelope_id": envelope_id or new_envelope_id(),
        "protocol": PROTOCOL,
        "intent": intent,
        "from": from_agent_id,
        "to": to_agent_id,
        "correlation_id": correlation_id or "",
        "timestamp": int(time.time()),
        "ttl_ms": int(ttl_ms),
        "payload": payload,
    }


def canonical_body(envelope: dict[str, Any]) -> bytes:
    unsigned = {key: value for key, value in envelope.items() if key != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_bytes(body: bytes, *, timestamp: int, key: str | None = None) -> str:
    """HMAC-SHA256 hex over ``"{timestamp}." + body`` (also used for signed HTTP pushes)."""
    secret = key if key is not None else (signing_keys() or [""])[0]
    if not secret:
        raise RuntimeError("A2A_SIGNING_KEY is not configured")
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign_envelope(envelope: dict[str, Any], *, timestamp: int | None = None, key: str | None = None) -> dict[str, Any]:
    """A copy of ``envelope`` stamped with ``timestamp`` (now by default) and its signature."""
    signed = {k: v for k, v in envelope.items() if k != "signature"}
    signed["timestamp"] = int(time.time()) if timestamp is None else int(timestamp)
    signed.setdefault("protocol", PROTOCOL)
    signed["signature"] = sign_bytes(canonical_body(signed), timestamp=signed["timestamp"], key=key)
    return signed


def _check_shape(envelope: Any) -> None:
    if not isinstance(envelope, dict):
        raise EnvelopeMalformed("the envelope is not a JSON object")
    missing = [name for name in REQUIRED_FIELDS if name not in envelope]
    if missing:
        raise EnvelopeMalformed(f"missing fields: {', '.join(missing)}")
    timestamp = envelope["timestamp"]
    # bool is an int in Python; a JSON true is not a timestamp
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise EnvelopeMalformed("timestamp must be an integer (unix seconds)")
    for name in ("envelope_id", "intent", "from", "to", "signature"):
        if not isinstance(envelope[name], str) or not envelope[name]:
            raise EnvelopeMalformed(f"{name} must be a non-empty string")
    if len(envelope["envelope_id"]) > 64:
        raise EnvelopeMalformed("envelope_id is longer than 64 characters")
    if not isinstance(envelope.get("correlation_id", ""), str):
        raise EnvelopeMalformed("correlation_id must be a string")
    if not isinstance(envelope["payload"], dict):
        raise EnvelopeMalformed("payload must be an object")
    ttl = envelope.get("ttl_ms", 0)
    if not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 0:
        raise EnvelopeMalformed("ttl_ms must be a non-negative integer")


def verify_signature(envelope: dict[str, Any]) -> None:
    """Raise BadSignature unless a current or previous key produced this signature."""
    _check_shape(envelope)
    body = canonical_body(envelope)
    given = envelope["signature"]
    # compare against every key without short-circuiting on the first mismatch position
    matched = False
    for key in signing_keys():
        expected = sign_bytes(body, timestamp=envelope["timestamp"], key=key)
        matched |= hmac.compare_digest(expected, given)
    if not matched:
        raise BadSignature("the signature does not match the envelope (tampered, or signed with an unknown key)")


def check_timestamp(timestamp: int, *, now: int | None = None) -> None:
    now = int(time.time()) if now is None else now
    if timestamp < now - replay_window_seconds():
        raise StaleTimestamp(f"timestamp is {now - timestamp} s old (window {replay_window_seconds()} s)")
    if timestamp > now + future_skew_seconds():
        raise FutureTimestamp(
            f"timestamp is {timestamp - now} s in the future (allowed skew {future_skew_seconds()} s)"
        )


def _redis():
    from agnt.scheduling import redis_client

    return redis_client()


def mark_seen(envelope_id: str) -> bool:
    """Remember ``envelope_id``; False when it was already seen (a replay).

    The key outlives the window (plus skew) so an envelope is refused by this store for as
    long as its timestamp would still pass. If Redis is unreachable we say "not seen" and
    leave the refusal to the database (unique envelope_id), rather than drop all traffic.
    """
    ttl = 2 * (replay_window_seconds() + future_skew_seconds())
    try:
        return bool(_redis().set(SEEN_KEY_PREFIX + envelope_id, "1", nx=True, ex=ttl))
    except Exception as exc:  # noqa: BLE001 - redis.RedisError or a socket error
        logger.warning("seen-id store unavailable, relying on the database: %s", exc)
        return True


def forget_seen(envelope_id: str) -> None:
    """Undo :func:`mark_seen` when we could not store the envelope, so a redelivery is accepted."""
    try:
        _redis().delete(SEEN_KEY_PREFIX + envelope_id)
    except Exception as exc:  # noqa: BLE001
        logger.warning("could not forget seen envelope %s: %s", envelope_id, exc)


def verify_envelope(envelope: dict[str, Any], *, now: int | None = None, remember: bool = True) -> dict[str, Any]:
    """Check shape, signature, window and (with ``remember``) the seen-id store; return the envelope.

    Raises an :class:`EnvelopeInvalid` subclass saying why. The seen-id check comes last so
    a forged or stale envelope cannot burn a legitimate envelope's id.
    """
    verify_signature(envelope)
    check_timestamp(envelope["timestamp"], now=now)
    if remember and not mark_seen(envelope["envelope_id"]):
        raise ReplayedEnvelope(f"envelope {envelope['envelope_id']} was already received")
    return envelope


__all__ = [
    "PROTOCOL",
    "BadSignature",
    "EnvelopeInvalid",
    "EnvelopeMalformed",
    "FutureTimestamp",
    "ReplayedEnvelope",
    "StaleTimestamp",
    "build_envelope",
    "canonical_body",
    "check_timestamp",
    "forget_seen",
    "mark_seen",
    "new_envelope_id",
    "sign_bytes",
    "sign_envelope",
    "verify_envelope",
    "verify_signature",
]
