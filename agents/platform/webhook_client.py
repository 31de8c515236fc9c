"""The one HTTP client for outbound webhooks: a Standard Webhooks signed POST to a developer's URL.

Signing follows https://www.standardwebhooks.com through the reference ``standardwebhooks``
library: ``webhook-id`` (the message id, the same on every retry so receivers can
dedupe), ``webhook-timestamp`` (Unix seconds of *this* attempt) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``) keyed with the subscription secret,
``whsec_`` + base64 of 32 random bytes — the format the library and the other SDKs decode.

The target is a URL a developer typed, fetched from inside our network, so every send
goes through the SSRF guard (agnt.netguard): the host is resolved *at send time* (a name
that was public when the subscription was created may point at 10.0.0.5 today — DNS
rebinding) and the connection goes to the vetted IP itself. Redirects are never followed
(a 3xx is a failed attempt): a redirect would be a second, unvetted target. A short
timeout keeps a slow receiver from holding a worker. WEBHOOKS_ALLOW_PRIVATE_TARGETS=true
(development and tests only; ``make run`` sets it) lets localhost receivers through.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from standardwebhooks import Webhook

from agnt import netguard

USER_AGENT = "AGNT-Webhooks/1.0 (+https://www.standardwebhooks.com)"
MAX_URL_LENGTH = 500  # WebhookSubscription.url
RESPONSE_EXCERPT_BYTES = 4_096


class WebhookUrlRejected(ValueError):
    """A subscription URL we will not send to; the message says why (shown to the developer)."""

    field = "url"


class WebhookSendError(Exception):
    """The attempt got no HTTP answer (refused target, DNS, connect error, timeout)."""

    def __init__(self, message: str, *, duration_ms: int = 0) -> None:
        super().__init__(message)
        self.duration_ms = duration_ms


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def allow_private_targets() -> bool:
    return bool(settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS)


def check_url(url: str, *, resolve: bool = True):
    """Validate a subscription URL; returns its parsed parts or raises WebhookUrlRejected.

    https only (plain http is accepted while private targets are allowed, for a local
    receiver in development), no credentials in the URL, a valid host and port. With
    ``resolve`` the host is looked up now and refused when it points at a non-public
    address; a name that does not resolve *yet* is accepted (the send-time check
    applies), a literal private IP never is, and an IPv6 zone id (``[fe80::1%25eth0]``)
    is refused before any lookup.
    """
    url = (url or "").strip()
    if not url:
        raise WebhookUrlRejected("the URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise WebhookUrlRejected(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookUrlRejected(f"the URL is not valid ({exc})") from exc
    allowed_schemes = ("https", "http") if allow_private_targets() else ("https",)
    if parts.scheme not in allowed_schemes:
        raise WebhookUrlRejected(
            f"the URL must use https (got {parts.scheme + '://' if parts.scheme else 'no scheme'})"
        )
    if not parts.hostname:
        raise WebhookUrlRejected("the URL has no host")
    if parts.username or parts.password:
        raise WebhookUrlRejected("the URL must not contain a user name or password")
    if parts.fragment:
        raise WebhookUrlRejected("the URL must not contain a #fragment")
    refusal = netguard.host_refusal(parts.hostname)
    if refusal:  # up front, even when the host does not resolve and private targets are allowed
        raise WebhookUrlRejected(f"the URL points at {refusal}; webhooks go to public hosts only")
    if resolve:
        try:
            netguard.resolve_public(
                parts.hostname, port or _default_port(parts.scheme), allow_private=allow_private_targets()
            )
        except netguard.UnsafeAddress as exc:
            raise WebhookUrlRejected(
                f"the URL points at {exc.reason} ({exc.address}); webhooks go to public hosts only"
            ) from exc
        except netguard.UnresolvableHost:
            pass  # checked again at every send
    return parts


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def encode_body(payload: dict) -> str:
    """The exact text that is signed and sent (compact JSON, UTF-8)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)


def signature_headers(*, secret: str, message_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=message_id, timestamp=timestamp, data=body),
    }


def post_signed(
    *,
    url: str,
    secret: str,
    message_id: str,
    payload: dict,
    timestamp: datetime,
    extra_headers: dict[str, str] | None = None,
) -> WebhookResponse:
    """POST ``payload`` to ``url``, signed; returns the answer or raises WebhookSendError.

    Any HTTP answer (even a 500 or a 301) is returned; the caller decides success (2xx).
    ``extra_headers`` carry a receiver's own credentials (A2A push notifications).
    """
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        parts = check_url(url, resolve=False)
        address = netguard.resolve_public(
            parts.hostname, parts.port or _default_port(parts.scheme), allow_private=allow_private_targets()
        )
    except WebhookUrlRejected as exc:
        raise WebhookSendError(f"refused: {exc}", duration_ms=elapsed()) from exc
    except netguard.UnsafeAddress as exc:
        raise WebhookSendError(f"refused: {exc} (SSRF guard)", duration_ms=elapsed()) from exc
    except netguard.UnresolvableHost as exc:
        raise WebhookSendError(str(exc), duration_ms=elapsed()) from exc

    body = encode_body(payload)
    headers = {
        **(extra_headers or {}),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Host": _host_header(parts),
        **signature_headers(secret=secret, message_id=message_id, timestamp=timestamp, body=body),
    }
    ip_host = f"[{address}]" if ":" in address else address
    pinned = urlunsplit(
        (parts.scheme, ip_host + (f":{parts.port}" if parts.port else ""), parts.path or "/", parts.query, "")
    )
    # httpcore checks the certificate against sni_hostname: https stays verified for the real name
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False) as client:
            with client.stream(
                "POST", pinned, content=body.encode("utf-8"), headers=headers, extensions=extensions
            ) as response:
                excerpt = bytearray()
                for piece in response.iter_bytes():
                    excerpt.extend(piece)
                    if len(excerpt) >= RESPONSE_EXCERPT_BYTES:
                        break  # the receiver's answer is only kept as an excerpt for debugging
                text = bytes(excerpt[:RESPONSE_EXCERPT_BYTES]).decode("utf-8", errors="replace")
                return WebhookResponse(status=response.status_code, body=text, duration_ms=elapsed())
    except httpx.TimeoutException as exc:
        raise WebhookSendError(
            f"no answer within {timeout} seconds ({type(exc).__name__})", duration_ms=elapsed()
        ) from exc
    except httpx.HTTPError as exc:
        raise WebhookSendError(f"could not connect ({type(exc).__name__}: {exc})", duration_ms=elapsed()) from exc


def _host_header(parts) -> str:
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host  # a literal IPv6 host keeps its brackets
    return shown + (f":{parts.port}" if parts.port else "")
