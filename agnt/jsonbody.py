"""Reading JSON from a client: one place that bounds the size and the nesting depth.

Every entry point that parses a body a client sent (the webhooks, the DRF and ninja APIs,
the gateway, the JSON-RPC and MCP endpoints) goes through ``json_parse``: a body nested
deeper than JSON_MAX_DEPTH levels is refused as malformed *before* ``json.loads`` sees it,
so no client can make the parser — or code walking the result later — hit Python's
recursion limit (a 2 KB body of 1,000 ``[`` used to be a 500 ``RecursionError``).

The depth check runs at C speed, so a 3 MB body costs milliseconds: strings are cut out
with one regular expression, every byte that is not a bracket is deleted, and the deepest
nesting is the maximum of the running sum of +1 per opening and -1 per closing bracket.

``webhook_body_read`` and ``plain_refusal`` are the request helpers shared by the
provider webhooks (messaging's channels and billing's Stripe endpoint).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

DEFAULT_MAX_DEPTH = 64
DEFAULT_WEBHOOK_MAX_BODY_BYTES = 3 * 1024 * 1024

# a JSON string: a quote, then runs of ordinary characters or backslash escapes, a quote
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACES_AS_BRACKETS = bytes.maketrans(b"{}", b"[]")


class MalformedJson(ValueError):
    """The body is not JSON we accept: not JSON at all, not UTF-8, or nested too deep."""


def max_depth() -> int:
    return int(getattr(settings, "JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))


def json_too_deep(raw: bytes | str, *, limit: int | None = None) -> bool:
    """Whether ``raw`` nests arrays/objects deeper than ``limit`` levels (or has unbalanced brackets)."""
    limit = max_depth() if limit is None else limit
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    if b"[" not in data and b"{" not in data:
        return False
    brackets = _STRING.sub(b"", data).translate(_BRACES_AS_BRACKETS, _NOT_BRACKETS)
    if brackets.count(b"[") <= limit:
        return False  # cannot nest deeper than it has openings
    import numpy  # the running depth is a prefix sum; numpy computes it at C speed

    steps = (numpy.frombuffer(brackets, dtype=numpy.uint8) == ord("[")).astype(numpy.int32) * 2 - 1
    return int(numpy.cumsum(steps).max()) > limit


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # NaN / Infinity: Python accepts them, JSON does not


def json_parse(raw: bytes | str, *, limit: int | None = None) -> Any:
    """The parsed value of ``raw``; MalformedJson when it is not UTF-8 JSON or nests too deep."""
    limit = max_depth() if limit is None else limit
    if json_too_deep(raw, limit=limit):
        raise MalformedJson(f"JSON nested deeper than {limit} levels")
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise MalformedJson(f"not valid JSON ({exc.__class__.__name__})") from exc


def webhook_max_body() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_BODY_BYTES", DEFAULT_WEBHOOK_MAX_BODY_BYTES))


def webhook_body_read(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is over WEBHOOK_MAX_BODY_BYTES (checked before and after reading)."""
    limit = webhook_max_body()
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.strip().isdigit() and int(declared) > limit:
        return None
    # request.read() rather than request.body: body enforces DATA_UPLOAD_MAX_MEMORY_SIZE,
    # which is a different knob; the webhook limit is ours.
    body = request.read(limit + 1)
    if len(body) > limit:
        return None
    return body


def plain_refusal(status: int, reason: str) -> HttpResponse:
    """A short text/plain answer for a provider's webhook delivery (providers log it; nobody renders it)."""
    return HttpResponse(reason, status=status, content_type="text/plain")
