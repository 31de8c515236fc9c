"""What every concierge tool shares: the Tool record, the error a tool raises to tell the
model something went wrong, and the lookups most tools need (venue by slug/id/name,
city, the user's timezone).

A tool is a plain function ``(args: <pydantic model>, ctx: ToolContext) -> JSON-able``.
It raises :class:`ToolFailure` with a message meant for the model (and through it the
user); anything else it raises is a bug, logged and reported as a generic error.
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Q
from django.utils import timezone
from pydantic import BaseModel, ConfigDict

from venues.models import City, Venue, VenueStatus

DEFAULT_TIMEZONE = "Asia/Makassar"
# Venues the concierge may talk about: drafts and closed venues are invisible to guests.
VISIBLE_VENUE_STATUSES = (VenueStatus.LISTED, VenueStatus.ACTIVE)


class ToolArgs(BaseModel):
    """Base of every tool's argument model: unknown keys are refused so a wrong name is caught."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ToolFailure(Exception):
    """A tool could not do what was asked; the message is shown to the model as an is_error result."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def as_content(self) -> dict[str, Any]:
        return {"error": self.message, **self.details}


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[ToolArgs]
    run: Callable[[Any, Any], Any]


# --------------------------------------------------------------------------- time


def user_tz(ctx) -> ZoneInfo:
    name = getattr(getattr(ctx, "user", None), "timezone", "") or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def venue_tz(venue: Venue) -> ZoneInfo:
    try:
        return ZoneInfo(venue.city.timezone or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def ctx_now(ctx) -> datetime:
    return getattr(ctx, "now", None) or timezone.now()


def parse_day(value: str, *, field: str = "date") -> date:
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise ToolFailure(f"{field} must be a date like 2026-03-14, not {value!r}") from None


def parse_time(value: str, *, field: str = "time") -> time:
    text = (value or "").strip().lower().replace(".", ":")
    for fmt in ("%H:%M", "%H:%M:%S", "%I:%M%p", "%I:%M %p", "%I%p", "%I %p", "%H"):
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise ToolFailure(f"{field} must be a time like 19:30, not {value!r}")


def parse_datetime(value: str, *, tz: ZoneInfo, field: str) -> datetime:
    """An ISO datetime; a naive one is read in ``tz`` (the user's or venue's local time)."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise ToolFailure(f"{field} must be an ISO date-time like 2026-03-14T19:30, not {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


# --------------------------------------------------------------------------- lookups


def visible_venues():
    return Venue.objects.filter(status__in=VISIBLE_VENUE_STATUSES).select_related("city")


def resolve_venue(ref: str) -> Venue:
    """A venue from what the model or user called it: slug, id or name (case-insensitive).

    A unique close match on the name is accepted ("potato head" → "Potato Head Beach
    Club"); several → ToolFailure listing them so the model can ask which one.
    """
    ref = (ref or "").strip()
    if not ref:
        raise ToolFailure("say which venue (its name)")
    qs = visible_venues()
    try:
        return qs.get(pk=uuid.UUID(ref))
    except (ValueError, Venue.DoesNotExist):
        pass
    exact = list(qs.filter(Q(slug__iexact=ref) | Q(name__iexact=ref))[:2])
    if len(exact) == 1:
        return exact[0]
    contains = list(qs.filter(name__icontains=ref)[:6]) if len(exact) == 0 else exact
    if len(contains) == 1:
        return contains[0]
    if len(contains) > 1:
        raise ToolFailure(
            f"several venues match {ref!r}; ask the user which one", candidates=[_candidate(v) for v in contains]
        )
    # Typos ("potatohead", "la brisa canggu"): compare against all names, cheaply.
    names = dict(qs.values_list("name", "slug"))
    lowered = {name.lower(): name for name in names}
    close = difflib.get_close_matches(ref.lower(), list(lowered), n=4, cutoff=0.75)
    if len(close) == 1:
        return qs.get(slug=names[lowered[close[0]]])
    suggestions = close or difflib.get_close_matches(ref.lower(), list(lowered), n=4, cutoff=0.5)
    raise ToolFailure(
        f"no venue called {ref!r}" + ("; did the user mean one of the close matches?" if suggestions else ""),
        close_matches=[lowered[s] for s in suggestions],
    )


def _candidate(venue: Venue) -> dict[str, str]:
    return {"name": venue.name, "slug": venue.slug, "area": venue.area, "city": venue.city.name}


def resolve_city(ref: str | None, *, ctx=None) -> City | None:
    """A city by name or slug; without one, the user's home city (None if unknown)."""
    if ref and ref.strip():
        city = City.objects.filter(Q(name__iexact=ref.strip()) | Q(slug__iexact=ref.strip())).first()
        if city is None:
            known = list(City.objects.filter(is_active=True).values_list("name", flat=True))
            raise ToolFailure(f"no city called {ref!r}", known_cities=known)
        return city
    user = getattr(ctx, "user", None)
    if user is not None and getattr(user, "city_id", None):
        return City.objects.filter(pk=user.city_id).first()
    return None


def money(amount, currency: str) -> str | None:
    if amount is None:
        return None
    return f"{currency} {amount:,.0f}"
