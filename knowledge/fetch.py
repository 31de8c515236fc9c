"""Fetch a knowledge-source web page without letting it reach our own network (SSRF guard).

A URL typed by a venue owner is fetched by our worker, inside our network, so it must not
be able to reach the cloud metadata endpoint (169.254.169.254), localhost services or
private ranges. For every hop (redirects are followed by hand, at most MAX_REDIRECTS):

1. only ``http``/``https``;
2. the host is resolved once with ``socket.getaddrinfo`` and *every* address must be
   public (a name resolving to one public and one private address is refused);
3. the connection goes to the vetted IP itself — the URL's host is replaced by the IP,
   the ``Host`` header and (for https) the TLS SNI / certificate check keep the real
   name. A second DNS lookup by the HTTP client therefore cannot be steered to a
   private address (DNS rebinding).

Residual risks, accepted: an HTTP proxy configured in the environment is ignored
(``trust_env=False``) so it cannot undo the pinning; a public IP that forwards to private
space (a misconfigured reverse proxy of the target) is out of our hands.

The body is streamed with a byte cap (KNOWLEDGE_MAX_FETCH_BYTES) and one deadline for the
whole fetch (KNOWLEDGE_FETCH_TIMEOUT), and only the content types ingestion understands
are accepted. Every failure is a FetchError whose message can be shown to the owner.
"""

from __future__ import annotations

import socket  # noqa: F401 - tests steer DNS through fetch.socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from django.conf import settings

from agnt import netguard
from agnt.netguard import blocked_reason  # noqa: F401 - the address rules live in agnt.netguard

MAX_REDIRECTS = 5
ACCEPTED_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/pdf", "text/plain"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "AGNT-knowledge/1.0 (+venue menu ingestion)"


class FetchError(Exception):
    """A page could not be fetched; the message is meant for the venue owner."""


@dataclass(frozen=True)
class FetchedPage:
    url: str  # the final URL, after redirects
    content_type: str  # media type only, lower-case ("text/html")
    charset: str | None
    body: bytes


def fetch_url(url: str) -> FetchedPage:
    """GET ``url`` through the SSRF guard; raise FetchError with a human message."""
    timeout = settings.KNOWLEDGE_FETCH_TIMEOUT
    deadline = time.monotonic() + timeout
    max_bytes = settings.KNOWLEDGE_MAX_FETCH_BYTES
    current = url
    with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            parts = _check_scheme(current)
            address = _vetted_address(parts.hostname or "", parts.port or _default_port(parts.scheme))
            try:
                with _send(client, parts, address) as response:
                    if response.status_code in REDIRECT_STATUSES and response.headers.get("location"):
                        current = urljoin(current, response.headers["location"])
                        continue
                    if response.status_code >= 400:
                        raise FetchError(f"the page returned {response.status_code} {response.reason_phrase}".rstrip())
                    if not 200 <= response.status_code < 300:
                        raise FetchError(f"the page returned an unexpected status {response.status_code}")
                    content_type, charset = _content_type(response)
                    body = _read_capped(response, max_bytes=max_bytes, deadline=deadline, timeout=timeout)
                    return FetchedPage(url=current, content_type=content_type, charset=charset, body=body)
            except httpx.TimeoutException as exc:
                raise FetchError(f"the page did not answer within {timeout} seconds") from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"could not fetch the page ({type(exc).__name__}: {exc})") from exc
        raise FetchError(f"the page redirected more than {MAX_REDIRECTS} times")


def _check_scheme(url: str):
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise FetchError(f"the URL {url!r} is not valid") from exc
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs can be fetched (got {parts.scheme or 'no scheme'}://)")
    if not parts.hostname:
        raise FetchError(f"the URL {url!r} has no host")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise FetchError(f"the URL {url!r} has an invalid port") from exc
    return parts


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _vetted_address(host: str, port: int) -> str:
    """Resolve ``host`` and return one address to connect to, if every address is allowed."""
    try:
        return netguard.resolve_public(
            host,
            port,
            allow_private=settings.KNOWLEDGE_ALLOW_PRIVATE_URLS,
            judge=lambda address: blocked_reason(address),
        )
    except netguard.UnresolvableHost as exc:
        raise FetchError(str(exc)) from exc
    except netguard.UnsafeAddress as exc:
        raise FetchError(f"refusing to fetch {exc.reason} {exc.address}") from exc


def _send(client: httpx.Client, parts, address: str):
    """A streamed GET to the vetted IP that keeps the real host name for Host and TLS."""
    host = parts.hostname
    ip_host = f"[{address}]" if ":" in address else address
    port_suffix = f":{parts.port}" if parts.port else ""
    pinned = urlunsplit((parts.scheme, ip_host + port_suffix, parts.path or "/", parts.query, ""))
    host_header = (f"[{host}]" if ":" in host else host) + port_suffix  # a literal IPv6 host keeps its brackets
    # httpcore checks the certificate against sni_hostname, so https stays verified for the name
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return client.stream(
        "GET",
        pinned,
        headers={
            "Host": host_header,
            "User-Agent": USER_AGENT,
            "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8",
        },
        extensions=extensions,
    )


def _content_type(response: httpx.Response) -> tuple[str, str | None]:
    raw = response.headers.get("content-type", "")
    media_type = raw.split(";", 1)[0].strip().lower()
    if media_type not in ACCEPTED_TYPES:
        shown = media_type or "no content type"
        raise FetchError(f"the page is {shown}; only HTML pages, PDFs and plain text can be ingested")
    return media_type, response.charset_encoding


def _read_capped(response: httpx.Response, *, max_bytes: int, deadline: float, timeout: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"the page is {human_size(int(declared))}; the limit is {human_size(max_bytes)}")
    body = bytearray()
    for piece in response.iter_bytes():
        body.extend(piece)
        if len(body) > max_bytes:
            raise FetchError(f"the page is larger than the limit of {human_size(max_bytes)}")
        if time.monotonic() > deadline:  # a server dripping bytes must not hold a worker forever
            raise FetchError(f"the page did not finish loading within {timeout} seconds")
    return bytes(body)


def human_size(size: int) -> str:
    """1536 → "1.5 KB", 10485760 → "10.0 MB" (for messages owners read)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"
