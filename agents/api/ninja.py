"""The external agent API at /a2a/v1 (django-ninja): venues, availability, bookings, knowledge,
webhook subscriptions and the A2A envelope endpoint, for developer agents holding an API key.

Each route validates its input, calls agents.platform.external (the one domain layer the MCP server
and the A2A endpoint share) and serializes the result. What is specific to HTTP lives
here:

- ``ApiKeyAuth`` authenticates every route (``Authorization: Bearer …`` or ``X-API-Key``)
  and counts the request against the key's per-minute budget in Redis;
- ``_guarded`` wraps every URL of the API: bodies over API_MAX_BODY_BYTES → 413, bodies
  that are not JSON → 415, ninja's plain-text 405 → problem+json, and the RateLimit-*
  headers on every authenticated response (successes too);
- the exception handlers render every refusal as RFC 9457 problem+json with a stable
  ``code``; validation errors name each field.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, re_path
from ninja import Header, NinjaAPI, Query, Router, Schema, Status
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from pydantic import Field

from agents.api import schemas
from agents.api.envelopes import envelope_process
from agents.models import ApiKey
from agents.platform import external as network
from agents.platform.api_auth import AuthFailure, RateLimit, api_key_authenticate, rate_limit_hit
from agnt.jsonbody import MalformedJson, json_parse

logger = logging.getLogger(__name__)

PROBLEM_BASE = "https://agnt.dev/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"
API_VERSION = "1.0.0"

DESCRIPTION = """
The AGNT venue network for external agents (Claude Code, Codex, Gemini CLI, A2A agents):
search venues in Bali, read their booking rules, check availability, book tables and get
webhooks when the venue's agent decides.

**Quickstart**

1. Get an API key: staff create one in the admin (*Agents → API keys → Add*); it is shown once.
2. Search: `curl -H "Authorization: Bearer $AGNT_KEY" "$BASE/a2a/v1/venues?city=canggu&query=sunset"`
3. Availability: `GET /a2a/v1/venues/{slug}/availability?date=2026-12-24&party_size=2`
4. Book: `POST /a2a/v1/bookings` with `Idempotency-Key: <your unique id>` and
   `{"venue": "…", "slot_start": "2026-12-24T19:00", "party_size": 2}` → `201` with the booking
   (`status: requested`; the venue's agent usually confirms within a second: `GET /a2a/v1/bookings/{reference}`).

**Conventions.** Errors are RFC 9457 `application/problem+json` with a stable `code`
(validation errors list each `field`). Every response carries `RateLimit-Limit`,
`RateLimit-Remaining`, `RateLimit-Reset`; a `429` adds `Retry-After`. Request bodies
are JSON objects of at most 64 KiB. Retrying `POST /bookings` with the same
`Idempotency-Key` returns the first booking (`200`) and never books twice.
"""

ERROR_RESPONSES: dict[int, Any] = {
    400: schemas.Problem,
    401: schemas.Problem,
    404: schemas.Problem,
    413: schemas.Problem,
    415: schemas.Problem,
    422: schemas.Problem,
    429: schemas.Problem,
}


def _responses(ok: dict[int, Any], *extra_codes: int) -> dict[int, Any]:
    return {**ok, **ERROR_RESPONSES, **{code: schemas.Problem for code in extra_codes}}


# --- problem+json ------------------------------------------------------------------------


def problem(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class RateLimited(Exception):
    def __init__(self, limit: RateLimit):
        super().__init__("rate limit exceeded")
        self.limit = limit


class BodyRefused(Exception):
    """The body is not an object we can read (the cause says why)."""


class NulInBody(BodyRefused):
    """A string in the body holds a NUL character, which no text column (nor any sane input) can."""

    def __init__(self, field: str):
        super().__init__(f"{field} contains a NUL character")
        self.field = field


def _nul_field(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (or key) holding U+0000 in a parsed JSON value."""
    if isinstance(value, str):
        return path or "body" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if "\x00" in key:
                return child
            found = _nul_field(item, child)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_field(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


# --- auth --------------------------------------------------------------------------------


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer agnt_live_…`` (or ``X-API-Key``); every request spends one unit
    of the key's per-minute budget, shared by all workers and transports through Redis."""

    openapi_description = "Your AGNT API key (agnt_live_…), created in the admin; `X-API-Key: …` works too."

    def __call__(self, request: HttpRequest) -> ApiKey:
        api_key = api_key_authenticate(
            authorization=request.headers.get("Authorization"), x_api_key=request.headers.get("X-API-Key")
        )
        limit = rate_limit_hit(api_key=api_key)
        request.rate_limit = limit  # type: ignore[attr-defined] - _guarded puts it in the headers
        if not limit.allowed:
            raise RateLimited(limit)
        return api_key

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:  # pragma: no cover - __call__ does it
        return None


class JsonObjectParser(Parser):
    """Bodies are JSON objects; anything else is refused with a 400 naming the problem."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = json_parse(request.body)
        except MalformedJson as exc:
            raise BodyRefused(f"the body is not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise BodyRefused(f"the body must be a JSON object, not a JSON {type(data).__name__}")
        field = _nul_field(data)
        if field:
            raise NulInBody(field)
        return data


api = NinjaAPI(
    title="AGNT network API",
    version=API_VERSION,
    description=DESCRIPTION,
    urls_namespace="a2a-v1",
    auth=ApiKeyAuth(),
    parser=JsonObjectParser(),
)


# --- exception handlers --------------------------------------------------------------------


def _field_name(loc: tuple | list) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        source, parts = parts[0], parts[1:]
        # a body schema parameter adds its own name in front of the schema's fields
        if source == "body" and len(parts) > 1 and parts[0] in _BODY_PARAM_NAMES:
            parts = parts[1:]
    return ".".join(parts) or "body"


_BODY_PARAM_NAMES = frozenset({"data", "envelope"})


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": _field_name(error.get("loc", ())), "message": error.get("msg", "invalid")} for error in exc.errors
    ]
    code = "validation_error"
    if any(e["field"] == "protocol" and "protocol" in e["message"] for e in errors):
        code = "unsupported_protocol"
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "the request is not valid"
    return problem(status=422, code=code, title="The request is not valid", detail=detail, errors=errors)


@api.exception_handler(network.NetworkError)
def _network_error(request: HttpRequest, exc: network.NetworkError) -> HttpResponse:
    extra = dict(exc.extra)
    errors = extra.pop("errors", None) or ([{"field": exc.field, "message": exc.detail}] if exc.field else None)
    return problem(status=exc.status, code=exc.code, title=exc.title, detail=exc.detail, errors=errors, extra=extra)


@api.exception_handler(AuthFailure)
def _auth_failure(request: HttpRequest, exc: AuthFailure) -> HttpResponse:
    title = "An API key is required" if exc.code == "missing_api_key" else "The API key is not valid"
    return problem(
        status=401, code=exc.code, title=title, detail=exc.detail, headers={"WWW-Authenticate": 'Bearer realm="agnt"'}
    )


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    limit = exc.limit
    return problem(
        status=429,
        code="rate_limited",
        title="Too many requests",
        detail=f"this key may make {limit.limit} requests per minute; retry in {limit.retry_after} s",
        headers=limit.headers(),
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, NulInBody):
        return _nul_problem(cause.field)
    if isinstance(cause, BodyRefused):
        return problem(status=400, code="malformed_json", title="The body is not a JSON object", detail=str(cause))
    codes = {400: "bad_request", 401: "missing_api_key", 403: "forbidden", 404: "not_found", 429: "rate_limited"}
    return problem(status=exc.status_code, code=codes.get(exc.status_code, "error"), title=str(exc), detail=str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(status=404, code="not_found", title="Not found", detail=str(exc) or "no such resource")


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled error in %s %s", request.method, request.path)
    return problem(
        status=500,
        code="internal_error",
        title="Something went wrong on our side",
        detail="the error was logged; retry later or contact support with the time of the request",
    )


# --- venues ------------------------------------------------------------------------------

venues = Router(tags=["venues"])


class VenueFilters(Schema):
    query: str = Field("", max_length=200, description="Free text: name, cuisine, vibe (`sunset cocktails`).")
    city: str | None = Field(None, max_length=100, description="City slug or name (`canggu`).")
    area: str | None = Field(None, max_length=100)
    category: str | None = Field(None, max_length=60, description="restaurant, beach_club, cafe, spa, bar…")
    tags: list[str] = Field(default_factory=list, max_length=10, description="Repeatable: `tags=vegan&tags=kids`.")
    price_level_max: int | None = Field(None, ge=1, le=4)
    party_size: int | None = Field(None, ge=1, le=200)
    open_at: datetime | None = Field(None, description="Only venues open at this time (ISO 8601).")
    limit: int = Field(network.PAGE_DEFAULT, ge=1, le=network.PAGE_MAX)
    cursor: str | None = Field(None, max_length=500, description="`next_cursor` of the previous page.")


@venues.get("/venues", response=_responses({200: schemas.VenuePage}), summary="Search venues (cursor pages of ≤ 100)")
def venue_search(request: HttpRequest, filters: Query[VenueFilters]):
    page = network.venue_list(**filters.model_dump())
    # The items are built in VenueSummary's exact shape (field order and types, checked by
    # test_search_page_is_rendered_exactly_as_its_schema_would), so the page is rendered as
    # is: validating every row again through the response schema cost a sixth of the request.
    return api.create_response(request, {"items": page.items, "next_cursor": page.next_cursor}, status=200)


@venues.get(
    "/venues/{slug}", response=_responses({200: schemas.VenueDetail}), summary="One venue, with its booking policy"
)
def venue_detail(request: HttpRequest, slug: str):
    return network.venue_detail(network.venue_get(ref=slug))


@venues.get(
    "/venues/{slug}/policy",
    response=_responses({200: schemas.VenuePolicy}),
    summary="The venue's booking rules (its AgentCard policy extension)",
)
def venue_policy(request: HttpRequest, slug: str):
    return network.venue_policy_card(network.venue_get(ref=slug))


class AvailabilityQuery(Schema):
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD, the venue's local date.")
    party_size: int = Field(ge=1, le=200)


@venues.get(
    "/venues/{slug}/availability",
    response=_responses({200: schemas.Availability}),
    summary="Free slot starts for a date and party size",
)
def venue_availability(request: HttpRequest, slug: str, params: Query[AvailabilityQuery]):
    from datetime import date

    try:
        day = date.fromisoformat(params.date)
    except ValueError:
        raise network.InvalidRequest(f"{params.date!r} is not a calendar date", field="date") from None
    venue = network.venue_get(ref=slug)
    result = network.availability(venue=venue, day=day, party_size=params.party_size)
    network.usage_meter(api_key=request.auth, intent="availability.check", request_id=f"avail:{uuid.uuid4().hex}")
    return result


# --- bookings ----------------------------------------------------------------------------

bookings = Router(tags=["bookings"])


@bookings.post(
    "/bookings",
    response=_responses({200: schemas.Booking, 201: schemas.Booking}, 403, 409),
    summary="Request a table (the venue's agent decides); idempotent with Idempotency-Key",
)
def booking_create(
    request: HttpRequest,
    data: schemas.BookingIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="Your unique id for this booking: a retry with the same key returns the first booking.",
    ),
):
    venue = network.venue_get(ref=data.venue)
    outcome = network.booking_create_for_key(
        api_key=request.auth,
        venue=venue,
        slot_start=data.slot_start,
        party_size=data.party_size,
        children=data.children,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        special_requests=data.special_requests,
        idempotency_key=idempotency_key,
    )
    return Status(201 if outcome.created else 200, network.booking_public(outcome.booking))


class BookingListQuery(Schema):
    limit: int = Field(network.PAGE_DEFAULT, ge=1, le=network.PAGE_MAX)
    cursor: str | None = Field(None, max_length=500)


@bookings.get("/bookings", response=_responses({200: schemas.BookingPage}), summary="This key's bookings, newest first")
def booking_list(request: HttpRequest, params: Query[BookingListQuery]):
    page = network.booking_list_for_key(api_key=request.auth, limit=params.limit, cursor=params.cursor)
    return {"items": page.items, "next_cursor": page.next_cursor}


@bookings.get(
    "/bookings/{reference}", response=_responses({200: schemas.Booking}), summary="One of this key's bookings"
)
def booking_get(request: HttpRequest, reference: str):
    return network.booking_public(network.booking_get_for_key(api_key=request.auth, reference=reference))


@bookings.post(
    "/bookings/{reference}/cancel",
    response=_responses({200: schemas.Booking}, 409),
    summary="Cancel one of this key's bookings (cancelling twice is a no-op)",
)
def booking_cancel(request: HttpRequest, reference: str, data: schemas.CancelIn | None = None):
    reason = data.reason if data is not None else ""
    booking = network.booking_cancel_for_key(api_key=request.auth, reference=reference, reason=reason)
    return network.booking_public(booking)


@bookings.delete(
    "/bookings/{reference}",
    response=_responses({200: schemas.Booking}, 409),
    summary="Cancel one of this key's bookings (same as POST …/cancel)",
)
def booking_delete(request: HttpRequest, reference: str):
    return network.booking_public(network.booking_cancel_for_key(api_key=request.auth, reference=reference))


# --- knowledge ---------------------------------------------------------------------------

knowledge = Router(tags=["knowledge"])


@knowledge.post(
    "/ask",
    response=_responses({200: schemas.Answer}),
    summary="Ask venue knowledge (menus, policies, FAQs); passages with citations",
)
def ask(request: HttpRequest, data: schemas.AskIn):
    venue = network.venue_get(ref=data.venue) if data.venue else None
    answer = network.ask_venue(question=data.question, venue=venue, city=data.city, limit=data.limit)
    network.usage_meter(api_key=request.auth, intent="knowledge.ask", request_id=f"ask:{uuid.uuid4().hex}")
    return answer


# --- webhook subscriptions ---------------------------------------------------------------

webhooks = Router(tags=["webhooks"])


@webhooks.post(
    "/webhooks",
    response=_responses({201: schemas.WebhookCreated}),
    summary="Subscribe a URL to booking events (the signing secret is shown once)",
)
def webhook_create(request: HttpRequest, data: schemas.WebhookIn):
    subscription, secret = network.webhook_create_for_key(
        api_key=request.auth, url=data.url, events=list(data.events), description=data.description
    )
    return Status(201, {**network.webhook_public(subscription), "secret": secret})


@webhooks.get("/webhooks", response=_responses({200: schemas.WebhookPage}), summary="This key's webhook subscriptions")
def webhook_list(request: HttpRequest):
    return {"items": [network.webhook_public(s) for s in network.webhook_list_for_key(api_key=request.auth)]}


@webhooks.get("/webhooks/{webhook_id}", response=_responses({200: schemas.Webhook}), summary="One subscription")
def webhook_get(request: HttpRequest, webhook_id: str):
    return network.webhook_public(network.webhook_get_for_key(api_key=request.auth, webhook_id=webhook_id))


@webhooks.patch(
    "/webhooks/{webhook_id}",
    response=_responses({200: schemas.Webhook}),
    summary="Change the URL, events, description, or pause/resume (is_active)",
)
def webhook_update(request: HttpRequest, webhook_id: str, data: schemas.WebhookPatch):
    changes = data.model_dump(exclude_unset=True)
    if changes.get("events") is not None:
        changes["events"] = list(changes["events"])
    subscription = network.webhook_update_for_key(api_key=request.auth, webhook_id=webhook_id, **changes)
    return network.webhook_public(subscription)


@webhooks.delete("/webhooks/{webhook_id}", response=_responses({204: None}), summary="Delete a subscription")
def webhook_delete(request: HttpRequest, webhook_id: str):
    network.webhook_delete_for_key(api_key=request.auth, webhook_id=webhook_id)
    return Status(204, None)


@webhooks.post(
    "/webhooks/{webhook_id}/test",
    response=_responses({202: schemas.WebhookDeliveryOut}, 409),
    summary="Send a signed webhook.ping event to the subscription",
)
def webhook_test(request: HttpRequest, webhook_id: str):
    delivery = network.webhook_test_for_key(api_key=request.auth, webhook_id=webhook_id)
    return Status(
        202,
        {
            "id": str(delivery.pk),
            "event_id": delivery.event_id,
            "event_type": delivery.event_type,
            "attempt": delivery.attempt,
            "status": delivery.status,
            "response_status": delivery.response_status,
            "error": delivery.error,
            "created_at": delivery.created_at,
        },
    )


# --- envelopes ---------------------------------------------------------------------------

envelopes = Router(tags=["envelopes"])


@envelopes.post(
    "/envelope",
    response=_responses({200: schemas.EnvelopeOut}, 403, 409),
    by_alias=True,
    summary="Send an A2A envelope: network.ping, venue.list, booking.search, booking.confirm",
)
def envelope(request: HttpRequest, envelope: schemas.EnvelopeIn):
    return envelope_process(api_key=request.auth, envelope=envelope)


from agents.hosted.api import router as hosted  # noqa: E402 - its routes share this API's handlers

for router in (venues, bookings, knowledge, webhooks, envelopes, hosted):
    api.add_router("", router)


# --- the URL layer: size, media type, 405 and rate-limit headers -----------------------------

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _too_big(limit: int) -> HttpResponse:
    return problem(
        status=413,
        code="body_too_large",
        title="The request body is too large",
        detail=f"request bodies may be at most {limit} bytes",
        extra={"max_bytes": limit},
    )


def _refuse_body(request: HttpRequest) -> HttpResponse | None:
    limit = settings.API_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return problem(
            status=400, code="bad_request", title="Bad Content-Length", detail="Content-Length is not a number"
        )
    if declared > limit:
        return _too_big(limit)
    if request.method not in BODY_METHODS:
        return None
    body = request.body
    if len(body) > limit:
        return _too_big(limit)
    if body and not _is_json(request.content_type or ""):
        return problem(
            status=415,
            code="unsupported_media_type",
            title="Send JSON",
            detail=f"request bodies must be application/json, not {request.content_type or 'untyped'}",
        )
    return None


def _nul_problem(field: str) -> HttpResponse:
    return problem(
        status=422,
        code="validation_error",
        title="The request is not valid",
        detail=f"{field}: NUL characters are not allowed",
        errors=[{"field": field, "message": "NUL characters are not allowed"}],
    )


def _refuse_nul(request: HttpRequest, kwargs: dict[str, Any]) -> HttpResponse | None:
    """Path and query values with U+0000 (``%00``) are refused before they reach a query."""
    for name, value in kwargs.items():
        if isinstance(value, str) and "\x00" in value:
            return _nul_problem(name)
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return _nul_problem(name.replace("\x00", ""))
    return None


def _guarded(view):
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = _refuse_body(request) or _refuse_nul(request, kwargs) or view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = problem(
                status=405,
                code="method_not_allowed",
                title="Method not allowed",
                detail=f"{request.method} is not allowed here; use {allowed}",
                headers={"Allow": allowed},
            )
        limit: RateLimit | None = getattr(request, "rate_limit", None)
        if limit is not None:
            for name, value in limit.headers().items():
                response[name] = value
        return response

    wrapper.csrf_exempt = True  # type: ignore[attr-defined] - API keys, not cookies
    return wrapper


def _unknown_path(request: HttpRequest, path: str = "") -> HttpResponse:
    return problem(
        status=404, code="not_found", title="Not found", detail=f"no endpoint {request.path}; see /a2a/v1/docs"
    )


def _urls() -> tuple[list, str, str]:
    patterns, app_name, namespace = api.urls
    guarded = [
        URLPattern(p.pattern, _guarded(p.callback), p.default_args, p.name) if isinstance(p, URLPattern) else p
        for p in patterns
    ]
    guarded.append(re_path(r"^(?P<path>.*)$", _guarded(_unknown_path)))
    return guarded, app_name, namespace


urls = _urls()
