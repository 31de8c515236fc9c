"""Request and response shapes of the external agent API (/a2a/v1), for django-ninja.

The response schemas mirror the dicts agents.platform.external builds (venue_summary, venue_detail,
availability, booking_public, ask_venue) so the OpenAPI document tells clients exactly
what they get, and ninja checks every response against it. Inputs are strict: unknown
body fields are refused (a typo such as ``party_sise`` must not be silently ignored).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import AliasChoices, ConfigDict, Field, field_validator

from agents.models import WebhookEventType
from agents.platform.external import PAGE_DEFAULT, PAGE_MAX, SLOT_START_DESCRIPTION

ENVELOPE_INTENTS = ("network.ping", "venue.list", "booking.search", "booking.confirm")
EnvelopeIntentName = Literal["network.ping", "venue.list", "booking.search", "booking.confirm"]
# Client-chosen ids (envelope ids, idempotency keys) are opaque but printable.
CLIENT_ID_PATTERN = r"^[A-Za-z0-9._:\-]{1,64}$"


class StrictIn(Schema):
    """Base for request bodies: unknown fields are a validation error, not ignored."""

    model_config = ConfigDict(extra="forbid")


# --- errors ------------------------------------------------------------------------------


class FieldError(Schema):
    field: str = Field(description="The request field at fault, dotted for nested fields (`payload.limit`).")
    message: str


class Problem(Schema):
    """RFC 9457 problem details (served as application/problem+json)."""

    type: str = Field(description="A stable URI naming the problem: https://agnt.dev/problems/<code>.")
    title: str
    status: int
    detail: str
    code: str = Field(description="The stable machine-readable code (the last segment of `type`).")
    errors: list[FieldError] | None = Field(None, description="Validation errors, one per field.")


# --- venues ------------------------------------------------------------------------------


class PartySize(Schema):
    min: int
    max: int


class VenueSummary(Schema):
    slug: str
    name: str
    category: str
    city: str
    city_name: str
    area: str | None
    price_level: int | None
    rating: float | None
    rating_count: int
    cuisines: list[str]
    tags: list[str]
    party_size: PartySize


class Location(Schema):
    lat: float
    lng: float


class VenueDetail(VenueSummary):
    description: str
    address: str | None
    location: Location | None
    average_spend: str | None = Field(description="Decimal amount as a string, in `currency`.")
    currency: str
    website: str | None
    instagram: str | None
    policy: dict[str, Any] = Field(description="The booking rules the venue's agent decides against.")
    agent_card_url: str


class VenuePolicy(Schema):
    venue: str
    name: str
    agent_card_url: str
    min_party_size: int
    max_party_size: int
    deposit: dict[str, Any]
    cancellation_window_hours: int | None
    minimum_spend: dict[str, Any]
    kids_allowed: bool
    dress_code: str | None
    timezone: str
    opening_hours: Any
    slot_minutes: int
    booking_duration_minutes: int
    booking_lead_minutes: int
    booking_window_days: int
    blackout_dates: list[str]
    auto_accept: bool
    owner_approval_above_party_size: int | None = None


class VenuePage(Schema):
    items: list[VenueSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class Availability(Schema):
    venue: str
    date: str
    party_size: int
    timezone: str
    slots: list[str] = Field(description="Free slot starts, ISO 8601 in the venue's timezone.")
    available: bool
    reason: str | None = Field(description="Why there are no slots (`closed`, `fully_booked`, `party_too_large`…).")
    reason_text: str | None


# --- bookings ----------------------------------------------------------------------------


class BookingIn(StrictIn):
    venue: str = Field(min_length=1, max_length=200, description="The venue's slug (or id).")
    slot_start: datetime = Field(description=SLOT_START_DESCRIPTION)
    party_size: int = Field(ge=1, le=200, description="Everyone, adults and children.")
    children: int = Field(0, ge=0, le=200, description="How many of the party are children (under 18).")
    contact_name: str = Field("", max_length=120)
    contact_phone: str = Field("", max_length=32)
    special_requests: str = Field("", max_length=1000)


class Deposit(Schema):
    amount: str | None
    currency: str


class Booking(Schema):
    reference: str
    status: str = Field(description="requested → confirmed / rejected / counter_offered → … (see docs/network.md).")
    venue: str
    venue_name: str
    slot_start: str
    slot_end: str
    party_size: int
    children: int
    contact_name: str
    special_requests: str
    status_reason: str | None
    counter_offer_slots: list[Any]
    deposit: Deposit | None
    created_at: str
    confirmed_at: str | None
    cancelled_at: str | None


class BookingPage(Schema):
    items: list[Booking]
    next_cursor: str | None


class CancelIn(StrictIn):
    reason: str = Field("", max_length=300)


# --- knowledge ---------------------------------------------------------------------------


class AskIn(StrictIn):
    question: str = Field(min_length=1, max_length=1000)
    venue: str | None = Field(None, max_length=200, description="Restrict the answer to one venue (slug).")
    city: str | None = Field(None, max_length=100, description="Restrict the answer to one city (slug or name).")
    limit: int = Field(4, ge=1, le=10)


class Passage(Schema):
    venue: str
    venue_name: str
    text: str
    citation: dict[str, Any]


class Answer(Schema):
    question: str
    found: bool
    passages: list[Passage]


# --- webhooks ----------------------------------------------------------------------------

WebhookEventName = Literal[tuple(WebhookEventType.values)]  # type: ignore[valid-type]


class WebhookIn(StrictIn):
    url: str = Field(min_length=8, max_length=500, pattern=r"^https?://\S+$")
    events: list[WebhookEventName] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=len(WebhookEventType.values), description="Empty means every event type."
    )
    description: str = Field("", max_length=200)


class WebhookPatch(StrictIn):
    url: str | None = Field(None, min_length=8, max_length=500, pattern=r"^https?://\S+$")
    events: list[WebhookEventName] | None = Field(None, max_length=len(WebhookEventType.values))  # type: ignore[valid-type]
    description: str | None = Field(None, max_length=200)
    is_active: bool | None = None


class Webhook(Schema):
    id: str
    url: str
    events: list[str]
    description: str
    is_active: bool
    consecutive_failures: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    disabled_reason: str
    created_at: datetime


class WebhookCreated(Webhook):
    secret: str = Field(description="The Standard Webhooks signing secret (`whsec_…`). Shown only this once.")


class WebhookPage(Schema):
    items: list[Webhook]


class WebhookDeliveryOut(Schema):
    id: str
    event_id: str
    event_type: str
    attempt: int
    status: str
    response_status: int | None
    error: str
    created_at: datetime


# --- envelopes ---------------------------------------------------------------------------


class EnvelopeIn(StrictIn):
    """An A2A envelope from an external agent to the platform agent (or a venue's agent)."""

    protocol: str = Field(max_length=32, description="`agnt/1` (the major version must be 1).")
    id: str | None = Field(
        None,
        pattern=CLIENT_ID_PATTERN,
        validation_alias=AliasChoices("id", "envelope_id"),
        description="Your id for this envelope (1–64 of `A-Za-z0-9._:-`). For booking.confirm it is the "
        "idempotency key: resend the same id to get the same booking.",
    )
    from_: str = Field(alias="from", min_length=1, max_length=200, description="Your agent's id.")
    to: str | None = Field(
        None, max_length=200, description="`agnt-platform` (default) or a venue agent id (`venue-<slug>`)."
    )
    intent: EnvelopeIntentName
    payload: dict[str, Any] = Field(default_factory=dict)
    agent_context: Any = Field(None, description="Anything; echoed back unchanged in the reply.")
    ttl_ms: int = Field(60_000, ge=1, le=86_400_000, description="How long the envelope stays valid after `timestamp`.")
    timestamp: datetime | int | float = Field(
        description="When you sent it: ISO 8601, or unix epoch seconds (milliseconds are recognised)."
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("protocol")
    @classmethod
    def _major_version_one(cls, value: str) -> str:
        from agents.api.envelopes import protocol_supported

        if not protocol_supported(value):
            raise ValueError("unsupported protocol; send 'agnt/1'")
        return value


class EnvelopeOut(Schema):
    protocol: str
    id: str
    from_: str = Field(alias="from")
    to: str
    intent: str = Field(description="`<intent>.result`.")
    in_reply_to: str
    timestamp: datetime
    payload: dict[str, Any]
    agent_context: Any = None

    model_config = ConfigDict(populate_by_name=True)


class VenueListPayload(StrictIn):
    query: str = Field("", max_length=200)
    city: str | None = Field(None, max_length=100)
    area: str | None = Field(None, max_length=100)
    category: str | None = Field(None, max_length=60)
    tags: list[str] = Field(default_factory=list, max_length=10)
    price_level_max: int | None = Field(None, ge=1, le=4)
    party_size: int | None = Field(None, ge=1, le=200)
    open_at: datetime | None = None
    limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX)
    cursor: str | None = Field(None, max_length=500)


class BookingSearchPayload(StrictIn):
    venue: str | None = Field(None, max_length=200, description="Slug; optional when `to` is the venue's agent.")
    date: date
    party_size: int = Field(ge=1, le=200)


class BookingConfirmPayload(StrictIn):
    venue: str | None = Field(None, max_length=200)
    slot_start: datetime = Field(description=SLOT_START_DESCRIPTION)
    party_size: int = Field(ge=1, le=200)
    children: int = Field(0, ge=0, le=200, description="How many of the party are children (under 18).")
    contact_name: str = Field("", max_length=120)
    contact_phone: str = Field("", max_length=32)
    special_requests: str = Field("", max_length=1000)
