"""Sharing and taste: shareable cards, following a friend's or an ambassador's taste, and
ranking places the way a followed person would pick them."""

from __future__ import annotations

from pydantic import Field

from messaging.tools.base import Tool, ToolArgs, ToolFailure, ctx_now, resolve_venue

LIVE_BOOKING_STATUSES = ("requested", "pending_owner", "counter_offered", "confirmed")


class MakeCardArgs(ToolArgs):
    title: str | None = Field(None, max_length=120, description='What the card is for, e.g. "Our anniversary dinner".')
    message: str | None = Field(None, max_length=300, description="An optional note for the friends.")
    booking_reference: str | None = Field(None, description="AG-XXXXXX of the user's booking to share.")
    venues: list[str] | None = Field(
        None, description="Venue names or slugs for a list card (e.g. options to vote on); up to 10."
    )


def run_make_card(args: MakeCardArgs, ctx) -> dict:
    from agents.sharing import CardError, card_url, shareable_card_create
    from bookings.models import VenueBooking

    now = ctx_now(ctx)
    booking = None
    venues = []
    if args.booking_reference:
        ref = args.booking_reference.strip().upper()
        booking = VenueBooking.objects.select_related("venue__city").filter(user=ctx.user, external_ref=ref).first()
        if booking is None:
            raise ToolFailure(f"no booking {ref} of yours")
    elif args.venues:
        venues = [resolve_venue(name) for name in args.venues[:10]]
    else:
        booking = (
            VenueBooking.objects.select_related("venue__city")
            .filter(user=ctx.user, status__in=LIVE_BOOKING_STATUSES, slot_start__gt=now)
            .order_by("slot_start")
            .first()
        )
        if booking is None:
            raise ToolFailure(
                "there is no upcoming booking to share; ask which venues the card should show (or book a table first)"
            )
    try:
        card = shareable_card_create(
            creator=ctx.user,
            title=args.title or "",
            message=args.message or "",
            booking=booking,
            venues=venues,
            now=now,
        )
    except CardError as exc:
        raise ToolFailure("; ".join(exc.messages)) from None
    return {
        "status": "created",
        "title": card.title,
        "url": card_url(card),
        "booking": booking.external_ref if booking else None,
        "venues": [venue.name for venue in card.venues.all()],
        "expires": f"{card.expires_at:%a %d %b %Y}",
    }


TOOLS = [
    Tool(
        "make_card",
        "Make a shareable card (a public link with a preview image) for one of the user's bookings — by default "
        "the next upcoming one — or for a list of venues, so friends can answer going / maybe / not.",
        MakeCardArgs,
        run_make_card,
    ),
]
