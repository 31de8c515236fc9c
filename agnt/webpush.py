"""The one client for Web Push: validating browser subscriptions and sending to push services.

Protocol (RFC 8030 / RFC 8291 / RFC 8292): a browser's ``PushManager.subscribe()`` gives
an endpoint URL on its vendor's push service (FCM, Mozilla autopush, Apple) plus two
keys, ``p256dh`` (the browser's P-256 public key, 65 bytes uncompressed) and ``auth``
(a 16-byte secret), both base64url. To deliver, we POST the payload encrypted for those
keys (``Content-Encoding: aes128gcm``, done by pywebpush) to the endpoint, with a
``TTL`` header and a VAPID ``Authorization: vapid t=<JWT>,k=<our public key>`` signed by
VAPID_PRIVATE_KEY (py-vapid). The push service answers 201 Created; 404 or 410 mean the
subscription is gone for good (the caller removes it); 429/5xx are worth a retry.

Each subscription carries its own endpoint, so there is no single base URL to point at a
fake. What is configurable is WEB_PUSH_SERVICE_BASE_URL: the push service development
subscriptions live on (``make run`` serves the local stand-in there,
agnt/tests/fake_push.py; tests start one on a free port). Endpoints under that base may be
on localhost; every other endpoint is a URL a browser (or anyone with a token) typed, so
it goes through the SSRF guard (agnt.netguard) when subscribed *and* at every send, and
the connection goes to the vetted address itself (no DNS rebinding), redirects refused.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.utils import timezone

from agnt import netguard

MAX_ENDPOINT_LENGTH = 800  # PushSubscription.endpoint
P256DH_BYTES = 65  # an uncompressed P-256 point: 0x04 || X || Y
AUTH_BYTES = 16
USER_AGENT = "AGNT-WebPush/1.0"


class SubscriptionRejected(ValueError):
    """A subscription we will not store; ``field`` names the input it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class PushNotConfigured(RuntimeError):
    """VAPID keys are not set: nothing can be sent (and the app should not subscribe)."""


class PushSendError(Exception):
    """No HTTP answer from the push service (refused target, DNS, connection, timeout)."""


@dataclass(frozen=True)
class PushResult:
    status: int
    body: str

    @property
    def delivered(self) -> bool:
        return self.status in (200, 201, 202)

    @property
    def gone(self) -> bool:
        """The subscription expired or was unsubscribed at the push service: remove it."""
        return self.status in (404, 410)


# --------------------------------------------------------------------------- encoding


def b64url_decode(value: str) -> bytes:
    """Strict base64url (padding optional); raises ValueError on anything else."""
    text = (value or "").strip()
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=" for c in text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def generate_vapid_keys() -> tuple[str, str]:
    """A fresh VAPID key pair as (private, public), base64url raw — the env var format."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url_encode(private), b64url_encode(public)


def vapid_public_key() -> str:
    """The applicationServerKey the browser subscribes with ('' when push is not configured)."""
    return settings.VAPID_PUBLIC_KEY if settings.VAPID_PRIVATE_KEY and settings.VAPID_PUBLIC_KEY else ""


# --------------------------------------------------------------------------- validation


def _standin_base() -> tuple[str, str, int] | None:
    base = (settings.WEB_PUSH_SERVICE_BASE_URL or "").strip()
    if not base:
        return None
    parts = urlsplit(base)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or _default_port(parts.scheme)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _is_standin(parts) -> bool:
    base = _standin_base()
    return base is not None and base == (
        parts.scheme,
        (parts.hostname or "").lower(),
        parts.port or _default_port(parts.scheme),
    )


def check_endpoint(url: str, *, resolve: bool = True):
    """Validate a push endpoint; returns its parsed parts or raises SubscriptionRejected('endpoint').

    https on a public host (resolved now when ``resolve``: a literal or resolving private
    address is refused), or anything under WEB_PUSH_SERVICE_BASE_URL (the stand-in).
    """
    url = (url or "").strip()
    if not url:
        raise SubscriptionRejected("endpoint", "the endpoint is empty")
    if len(url) > MAX_ENDPOINT_LENGTH:
        raise SubscriptionRejected("endpoint", f"the endpoint is longer than {MAX_ENDPOINT_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SubscriptionRejected("endpoint", f"the endpoint is not a valid URL ({exc})") from exc
    if not parts.hostname:
        raise SubscriptionRejected("endpoint", "the endpoint has no host")
    if parts.username or parts.password or parts.fragment:
        raise SubscriptionRejected("endpoint", "the endpoint must not carry credentials or a #fragment")
    if _is_standin(parts):
        return parts
    if parts.scheme != "https":
        raise SubscriptionRejected("endpoint", "the endpoint must be an https URL of a push service")
    if resolve:
        try:
            netguard.resolve_public(parts.hostname, port or 443)
        except netguard.UnsafeAddress as exc:
            raise SubscriptionRejected(
                "endpoint", f"the endpoint points at {exc.reason} ({exc.address}); push services are public hosts"
            ) from exc
        except netguard.UnresolvableHost as exc:
            raise SubscriptionRejected("endpoint", f"the endpoint's host {parts.hostname} could not be found") from exc
    return parts


def check_keys(*, p256dh: str, auth: str) -> tuple[str, str]:
    """Validate the browser's keys (base64url, right lengths, a point on P-256); returns them normalised."""
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        point = b64url_decode(p256dh)
    except ValueError:
        raise SubscriptionRejected("p256dh", "p256dh must be base64url (the browser's keys.p256dh)") from None
    if len(point) != P256DH_BYTES or point[0] != 0x04:
        raise SubscriptionRejected("p256dh", f"p256dh must be a {P256DH_BYTES}-byte uncompressed P-256 public key")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise SubscriptionRejected("p256dh", "p256dh is not a point on the P-256 curve") from None
    try:
        secret = b64url_decode(auth)
    except ValueError:
        raise SubscriptionRejected("auth", "auth must be base64url (the browser's keys.auth)") from None
    if len(secret) != AUTH_BYTES:
        raise SubscriptionRejected("auth", f"auth must be {AUTH_BYTES} bytes")
    return b64url_encode(point), b64url_encode(secret)


# --------------------------------------------------------------------------- sending


def _vapid_headers(parts) -> dict[str, str]:
    from py_vapid import Vapid02

    if not (settings.VAPID_PRIVATE_KEY and settings.VAPID_PUBLIC_KEY):
        raise PushNotConfigured("VAPID_PRIVATE_KEY / VAPID_PUBLIC_KEY are not set")
    vapid = Vapid02.from_string(settings.VAPID_PRIVATE_KEY)
    audience = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    # exp from Django's clock (not the library's time.time() default): tests freeze it
    expires = int((timezone.now() + timedelta(hours=12)).timestamp())
    return vapid.sign({"aud": audience, "sub": settings.VAPID_SUBJECT, "exp": expires})


def send(*, endpoint: str, p256dh: str, auth: str, payload: dict, ttl: int | None = None, urgency: str = "normal"):
    """Encrypt ``payload`` (JSON) for one subscription and POST it to its push service.

    Returns the push service's answer (:class:`PushResult`; the caller acts on ``gone``),
    or raises PushSendError when there was no answer, PushNotConfigured without VAPID keys.
    """
    from pywebpush import WebPusher

    try:
        parts = check_endpoint(endpoint, resolve=False)
        standin = _is_standin(parts)
        address = netguard.resolve_public(
            parts.hostname, parts.port or _default_port(parts.scheme), allow_private=standin
        )
    except SubscriptionRejected as exc:
        raise PushSendError(f"refused: {exc}") from exc
    except netguard.UnsafeAddress as exc:
        raise PushSendError(f"refused: {exc} (SSRF guard)") from exc
    except netguard.UnresolvableHost as exc:
        raise PushSendError(str(exc)) from exc

    headers = _vapid_headers(parts)
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    encoded = WebPusher({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}).encode(data, "aes128gcm")
    headers.update(
        {
            "Content-Type": "application/octet-stream",
            "Content-Encoding": "aes128gcm",
            "TTL": str(settings.WEB_PUSH_TTL_SECONDS if ttl is None else ttl),
            "Urgency": urgency,
            "User-Agent": USER_AGENT,
            "Host": parts.hostname + (f":{parts.port}" if parts.port else ""),
        }
    )
    ip_host = f"[{address}]" if ":" in address else address
    pinned = urlunsplit(
        (parts.scheme, ip_host + (f":{parts.port}" if parts.port else ""), parts.path or "/", parts.query, "")
    )
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    started = time.monotonic()
    try:
        with httpx.Client(
            timeout=httpx.Timeout(settings.WEB_PUSH_TIMEOUT_SECONDS), follow_redirects=False, trust_env=False
        ) as client:
            response = client.post(pinned, content=encoded["body"], headers=headers, extensions=extensions)
    except httpx.HTTPError as exc:
        raise PushSendError(
            f"could not reach the push service after {time.monotonic() - started:.1f}s ({type(exc).__name__})"
        ) from exc
    return PushResult(status=response.status_code, body=response.text[:500])
