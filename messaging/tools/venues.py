"""Venue tools: search, details, availability, questions answered from venue knowledge."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field

from bookings.availability import describe, free_slots, nearest_free_slots, reason_values, slot_is_free
from messaging.tools.base import (
    Tool,
    ToolArgs,
    ToolFailure,
    ctx_now,
    money,
    parse_datetime,
    parse_day,
    parse_time,
    resolve_city,
    resolve_venue,
    user_tz,
    venue_tz,
)
from venues.models import Venue
from venues.selectors import (
    WEEKDAY_KEYS,
    VenueSearchError,
    venue_is_open_at,
    venue_opening_intervals,
    venue_search,
)


class VenueSearchArgs(ToolArgs):
    query: str | None = Field(None, description="Free text: cuisine, vibe, dish, name (e.g. 'vegan brunch', 'sushi').")
    city: str | None = Field(None, description="City name, e.g. Canggu, Seminyak, Ubud, Uluwatu, Sanur.")
    area: str | None = Field(None, description="Neighbourhood, e.g. Berawa, Batu Bolong, Petitenget.")
    category: str | None = Field(
        None, description="restaurant, cafe, beach_club, bar, spa, wellness, nightclub, fitness or activity."
    )
    tags: list[str] | None = Field(None, description="Tags such as vegan, family-friendly, sunset, live-music.")
    price_level_max: int | None = Field(None, ge=1, le=4, description="1 budget … 4 luxury; 'cheap' is 1-2.")
    open_at: str | None = Field(
        None, description="ISO date-time the venue must be open at (user's local time if naive)."
    )
    party_size: int | None = Field(None, ge=1, le=200)
    kids: bool = Field(False, description="Only venues that welcome children (kid-friendly, coming with kids).")
    limit: int = Field(5, ge=1, le=10)


def _summary(venue: Venue) -> str:
    text = (venue.description or "").strip()
    return text if len(text) <= 220 else text[:217].rsplit(" ", 1)[0] + "…"


def venue_card(venue: Venue, *, now: datetime) -> dict:
    return {
        "id": str(venue.pk),
        "slug": venue.slug,
        "name": venue.name,
        "category": venue.category,
        "city": venue.city.name,
        "area": venue.area,
        "price_level": venue.price_level,
        "rating": float(venue.rating_average) if venue.rating_average is not None else None,
        "tags": list(venue.tags or []),
        "summary": _summary(venue),
        "open_now": venue_is_open_at(venue, now),
    }


def run_venue_search(args: VenueSearchArgs, ctx) -> dict:
    open_at = parse_datetime(args.open_at, tz=user_tz(ctx), field="open_at") if args.open_at else None
    try:
        venues = venue_search(
            query=args.query or "",
            city=args.city,
            area=args.area,
            category=args.category,
            tags=args.tags or (),
            price_level_max=args.price_level_max,
            open_at=open_at,
            party_size=args.party_size,
            kids=args.kids,
            limit=args.limit,
        )
    except VenueSearchError as exc:
        raise ToolFailure(str(exc)) from None
    now = ctx_now(ctx)
    result = {"venues": [venue_card(v, now=now) for v in venues], "count": len(venues)}
    if not venues:
        result["note"] = "no venue matches these filters; try fewer filters or another area"
    return result


class VenueDetailsArgs(ToolArgs):
    venue: str = Field(..., description="The venue's name, slug or id.")


def _hours_text(venue: Venue) -> dict[str, str]:
    hours = venue.opening_hours if isinstance(venue.opening_hours, dict) else {}
    out = {}
    for day in WEEKDAY_KEYS:
        intervals = hours.get(day) or []
        out[day] = ", ".join(f"{a}–{b}" for a, b in intervals if isinstance(a, str) and isinstance(b, str)) or "closed"
    return out


def run_venue_details(args: VenueDetailsArgs, ctx) -> dict:
    from billing.affiliate import tracked_link

    venue = resolve_venue(args.venue)
    return {
        **venue_card(venue, now=ctx_now(ctx)),
        "description": venue.description,
        "cuisines": list(venue.cuisines or []),
        "address": venue.address,
        "timezone": venue.city.timezone,
        "opening_hours": _hours_text(venue),
        "rating_count": venue.rating_count,
        "average_spend": money(venue.average_spend, venue.currency),
        "policy": {
            "party_size": {"min": venue.min_party_size, "max": venue.max_party_size},
            "booking_lead_minutes": venue.booking_lead_minutes,
            "booking_window_days": venue.booking_window_days,
            "deposit": money(venue.deposit_amount, venue.currency) if venue.deposit_required else None,
            "cancellation_window_hours": venue.cancellation_window_hours,
            "minimum_spend": money(venue.minimum_spend, venue.currency),
            "kids_allowed": venue.kids_allowed,
            "min_guest_age": venue.min_guest_age,
            "dress_code": venue.dress_code or None,
            "takes_bookings": venue.status in ("listed", "active"),
        },
        "contact": {
            "phone": venue.phone or None,
            "whatsapp": venue.whatsapp or None,
            "email": venue.email or None,
            # outbound venue links go through the tracked /go/ redirect (billing.affiliate)
            "website": tracked_link(
                venue.website,
                partner="other",
                venue_id=venue.pk,
                user_id=getattr(ctx.user, "pk", None),
                campaign="venue",
            )
            if venue.website
            else None,
            "instagram": venue.instagram or None,
        },
    }


class CheckAvailabilityArgs(ToolArgs):
    venue: str = Field(..., description="The venue's name, slug or id.")
    date: str = Field(..., description="YYYY-MM-DD, in the venue's local time.")
    party_size: int = Field(..., ge=1, le=200)
    time: str | None = Field(None, description="HH:MM (24h) the user wants; omit to list the day's free slots.")


def _night_adjusted(venue: Venue, wanted: datetime) -> datetime:
    """ "Friday at 01:00" at a bar open 22:00–03:00 means the small hours after Friday night."""
    intervals = venue_opening_intervals(venue, wanted.date())
    if any(start <= wanted < end for start, end in intervals):
        return wanted
    later = wanted + timedelta(days=1)
    if any(start <= later < end for start, end in intervals):
        return later
    return wanted


def run_check_availability(args: CheckAvailabilityArgs, ctx) -> dict:
    venue = resolve_venue(args.venue)
    day = parse_day(args.date)
    now = ctx_now(ctx)
    result = free_slots(venue=venue, day=day, party_size=args.party_size, now=now)
    out: dict = {
        "venue": venue.name,
        "slug": venue.slug,
        "date": day.isoformat(),
        "party_size": args.party_size,
        "free_slots": [slot.strftime("%H:%M") for slot in result.slots],
    }
    if not result.slots:
        out["available"] = False
        out["reason"] = describe(result.reason, venue)
        out["reason_code"], out["reason_values"] = result.reason, reason_values(venue)
    if args.time:
        wanted = datetime.combine(day, parse_time(args.time), tzinfo=venue_tz(venue))
        wanted = _night_adjusted(venue, wanted)
        free = slot_is_free(venue=venue, start=wanted, party_size=args.party_size, now=now)
        out["requested_time"] = wanted.strftime("%H:%M")
        out["available"] = bool(free.slots)
        if not free.slots:
            out["alternatives"] = [
                s.strftime("%H:%M")
                for s in nearest_free_slots(venue=venue, start=wanted, party_size=args.party_size, now=now)
            ]
            if result.slots:
                # the day has room, so the reason is about this time: the last seating, the grid, taken…
                out["reason"] = describe(free.reason, venue, at=wanted)
                out["reason_code"], out["reason_values"] = free.reason, reason_values(venue, at=wanted)
    else:
        out.setdefault("available", bool(result.slots))
    out["note"] = "availability follows the venue's diary; the venue confirms each request"
    return out


class AskVenueArgs(ToolArgs):
    question: str = Field(..., min_length=2, description="The user's question, e.g. 'is there a kids area?'.")
    venue: str | None = Field(None, description="The venue's name, slug or id, if the question is about one venue.")
    city: str | None = Field(None, description="Limit to a city when no venue is named.")


def run_ask_venue(args: AskVenueArgs, ctx) -> dict:
    from knowledge.selectors import venue_knowledge_passages

    venue = resolve_venue(args.venue) if args.venue else None
    city = resolve_city(args.city) if args.city and venue is None else None
    passages = [
        {"venue": p["venue_name"], "venue_slug": p["venue_slug"], "text": p["text"], "citation": p["citation"]}
        for p in venue_knowledge_passages(question=args.question, venue=venue, city=city, limit=4)
    ]
    if not passages:
        target = venue.name if venue else "the venues I know"
        return {
            "found": False,
            "passages": [],
            "note": f"nothing in {target}'s knowledge answers this; say so and offer to ask the venue",
        }
    return {"found": True, "passages": passages, "note": "answer only from these passages and cite the venue/source"}


TOOLS = [
    Tool(
        "venue_search",
        "Find venues (restaurants, cafés, beach clubs, bars, spas…) by free text and filters. Returns the best "
        "matches with area, price level (1-4), rating and whether they are open now.",
        VenueSearchArgs,
        run_venue_search,
    ),
    Tool(
        "venue_details",
        "Everything about one venue: opening hours, address, booking policy (party sizes, deposit, cancellation, "
        "minimum spend, kids, dress code), contact and rating.",
        VenueDetailsArgs,
        run_venue_details,
    ),
    Tool(
        "check_availability",
        "Free booking slots at a venue on a date for a party size (optionally whether one time is free). Use before "
        "create_booking.",
        CheckAvailabilityArgs,
        run_check_availability,
    ),
    Tool(
        "ask_venue",
        "Answer a question about a venue (menu, kids, parking, vegan options, prices…) from its knowledge base, "
        "with citations. If nothing is found, say you don't know.",
        AskVenueArgs,
        run_ask_venue,
    ),
]
