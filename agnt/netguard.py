"""Which network addresses our workers may connect to on a user's behalf (the SSRF guard).

Two features send requests to URLs that someone outside the platform typed: knowledge
sources (a venue owner's menu page, knowledge/fetch.py) and outbound webhooks (a
developer's endpoint, agents/platform/webhook_client.py). Both must not let that URL reach the
cloud metadata endpoint (169.254.169.254), services on localhost, or private ranges.

The rule for both: resolve the host once, refuse it when *any* address is not public,
and connect to the vetted address itself (the caller keeps the real name for the
``Host`` header and TLS), so a second DNS answer cannot steer the connection elsewhere
(DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable


class UnsafeAddress(ValueError):
    """The host resolves to an address we refuse to connect to; the message says which and why."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"{host} resolves to {reason} ({address})")
        self.host, self.address, self.reason = host, address, reason


class UnresolvableHost(ValueError):
    """The host name does not resolve."""


ZONE_ID_REASON = "an IPv6 address with a zone id"


def host_refusal(host: str) -> str | None:
    """Why a URL's host is refused before any DNS lookup, or None.

    A zone id (``fe80::1%eth0``, written ``%25eth0`` in a URL) names a network interface
    of *our* machine: it never belongs in a URL someone else gives us, whatever the
    address, and the percent-encoded form does not resolve — so without this check it
    would slip past a guard that only judges resolved addresses. A host name never
    contains ``%``, so any ``%`` is refused.
    """
    if "%" in host:
        return ZONE_ID_REASON
    return None


def blocked_reason(address: str) -> str | None:
    """Why an IP may not be reached ("a private address"), or None when it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:  # shared address space (100.64/10) and the like
        return "a non-public address"
    return None


def resolve_public(
    host: str, port: int, *, allow_private: bool = False, judge: Callable[[str], str | None] | None = None
) -> str:
    """Resolve ``host`` and return one address to connect to, when every address is allowed.

    Raises UnresolvableHost when the name does not resolve and UnsafeAddress when one of
    its addresses is not public (unless ``allow_private``, for development and tests).
    ``judge`` replaces :func:`blocked_reason` (tests use it to let one local server through).
    """
    judge = judge or blocked_reason
    refusal = host_refusal(host)
    if refusal:
        raise UnsafeAddress(host, host, refusal)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvableHost(f"the host {host} could not be found") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise UnresolvableHost(f"the host {host} could not be found")
    if not allow_private:
        for address in addresses:
            reason = judge(address)
            if reason:
                raise UnsafeAddress(host, address, reason)
    return addresses[0]
