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


def _ambassador_for(name: str):
    from venues.models import AmbassadorStatus, CityAmbassador

    active = CityAmbassador.objects.select_related("user", "city").filter(status=AmbassadorStatus.ACTIVE)
    by_code = active.filter(referral_code__iexact=name).first()
    if by_code:
        return by_code
    matches = [
        a
        for a in active
        if name.lower() in {a.user.get_username().lower(), *(a.user.display_name or "").lower().split()[:1]}
        or name.lower() == (a.user.display_name or "").lower()
    ]
    return matches[0] if len(matches) == 1 else None


def _person_name(user) -> str:
    return user.display_name or user.get_username()


class FollowTasteArgs(ToolArgs):
    person: str = Field(..., min_length=1, max_length=80, description="Their username, or a city ambassador's name.")


def run_follow_taste(args: FollowTasteArgs, ctx) -> dict:
    from agnt.models import FollowStatus, User
    from agnt.services import FollowError, taste_follow_request

    name = args.person.strip().lstrip("@")
    ambassador = _ambassador_for(name)
    followee = ambassador.user if ambassador else User.objects.filter(username__iexact=name, is_active=True).first()
    if followee is None:
        raise ToolFailure(
            f"I don't know anyone called {name!r}; ask for their username (a friend shares it from their profile)"
        )
    try:
        follow, _ = taste_follow_request(follower=ctx.user, followee=followee, public=ambassador is not None)
    except FollowError as exc:
        raise ToolFailure(str(exc)) from None
    if follow.status == FollowStatus.REQUESTED:
        from messaging.notifications import taste_follow_request_notify

        taste_follow_request_notify(follow=follow)
    return {
        "status": follow.status,
        "name": _person_name(followee),
        "first_name": _person_name(followee).split()[0],
        "ambassador": bool(ambassador),
    }


class TastePicksArgs(ToolArgs):
    person: str = Field(..., min_length=1, max_length=80, description="Whose taste: someone the user follows.")
    where: str | None = Field(None, description="City or area, e.g. Ubud.")
    category: str | None = Field(None, description="restaurant, cafe, bar, beach_club, spa…")
    query: str | None = Field(None, description="Free text, e.g. 'sushi'.")


def run_taste_picks(args: TastePicksArgs, ctx) -> dict:
    from agnt.models import FollowStatus, UserFollowsTaste
    from bookings.selectors import taste_venue_scores
    from venues.selectors import venue_search_queryset

    name = args.person.strip().lstrip("@").lower()
    follows = UserFollowsTaste.objects.select_related("followee").filter(user=ctx.user, followee__isnull=False)
    follow = next(
        (
            f
            for f in follows
            if name
            in {
                f.followee.get_username().lower(),
                (f.followee.display_name or "").lower(),
                *(f.followee.display_name or "").lower().split()[:1],
            }
        ),
        None,
    )
    if follow is None:
        ambassador = _ambassador_for(name)
        if ambassador is None:
            raise ToolFailure(f"the user doesn't follow {args.person}'s taste; they can say “follow <username>”")
        followee = ambassador.user  # an ambassador's taste is public
    elif follow.status != FollowStatus.ACCEPTED:
        raise ToolFailure(f"{_person_name(follow.followee)} hasn't accepted the follow request yet")
    else:
        followee = follow.followee
    where = (args.where or "").strip()
    qs = venue_search_queryset(query=args.query or "", city=None, area=None, category=args.category or None)
    if where:
        from django.db.models import Q

        qs = qs.filter(Q(city__name__iexact=where) | Q(city__slug__iexact=where) | Q(area__iexact=where))
    candidates = list(qs[:200])
    scores = taste_venue_scores(user=followee, venue_ids=[v.pk for v in candidates])
    ranked = sorted(
        candidates, key=lambda v: (-scores.get(v.pk, (0.0, ""))[0], -(float(v.rating_average or 0)), v.name)
    )
    liked = [v for v in ranked if scores.get(v.pk, (0, ""))[0] > 0]
    picks = (liked or ranked)[:5]
    return {
        "name": _person_name(followee),
        "where": where,
        "from_their_history": bool(liked),
        "venues": [
            {
                "name": v.name,
                "slug": v.slug,
                "area": v.area,
                "city": v.city.name if v.city_id else "",
                "rating": float(v.rating_average) if v.rating_average is not None else None,
                "why": scores.get(v.pk, (0, ""))[1],
            }
            for v in picks
        ],
    }


TOOLS = [
    Tool(
        "make_card",
        "Make a shareable card (a public link with a preview image) for one of the user's bookings — by default "
        "the next upcoming one — or for a list of venues, so friends can answer going / maybe / not.",
        MakeCardArgs,
        run_make_card,
    ),
    Tool(
        "follow_taste",
        "Follow a friend's (by username) or a city ambassador's taste. A friend must accept first; "
        "ambassadors' tastes are public.",
        FollowTasteArgs,
        run_follow_taste,
    ),
    Tool(
        "taste_picks",
        "Venues ranked the way a followed person would pick them (their bookings, ratings and lists), "
        "e.g. 'what would Wayan pick in Ubud?'.",
        TastePicksArgs,
        run_taste_picks,
    ),
]
