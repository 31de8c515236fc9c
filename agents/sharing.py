"""Shareable cards: a guest's venue list or booking as a public link friends can answer.

Services (``shareable_card_create``, ``card_response_record``), the reads the public page
needs, and the Open Graph image. The concierge's ``make_card`` tool, the DRF API
(``/api/cards``) and the public page (``/c/<token>``) all call these.

* The link is ``/c/<token>`` with 128 random bits: unguessable, not enumerable.
* Friends answer going / maybe / not with a name, no account. One answer per name per
  card: answering again changes it (nothing piles up, nothing is lost).
* The Open Graph image (1200×630 PNG) is drawn by Pillow from the card and cached in
  Redis under the card's ``updated_at``, so an edit draws a fresh one.
* Past ``expires_at`` the page answers 410 Gone with a clear page; the rows stay.
"""

from __future__ import annotations

import io
import textwrap
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from agents.models import CardAnswer, CardChannel, CardKind, CardResponse, ShareableCard

CARD_TTL_DAYS = 30  # a venue-list card; a booking card lasts until the day after the booking
MAX_VENUES = 10
OG_SIZE = (1200, 630)
OG_CACHE_SECONDS = 7 * 24 * 3600


class CardError(ValidationError):
    """A card or an answer that cannot be made as asked; the message is for the user."""


# --------------------------------------------------------------------------- services


@transaction.atomic
def shareable_card_create(
    *,
    creator,
    title: str = "",
    message: str = "",
    booking=None,
    venues=(),
    now: datetime | None = None,
) -> ShareableCard:
    """A card for ``booking`` (one the creator made) or for a list of venues."""
    now = now or timezone.now()
    venues = list(venues)[:MAX_VENUES]
    if booking is not None and booking.user_id != creator.pk:
        raise CardError("you can only share your own bookings")
    if booking is None and not venues:
        raise CardError("a card needs a booking or at least one venue")
    if booking is not None:
        venues = [booking.venue]
        default_title = f"{booking.venue.name}"
        expires_at = booking.slot_start + timedelta(days=1)
        kind = CardKind.BOOKING
        if expires_at <= now:
            raise CardError("that booking is in the past; a card for it would already be expired")
    else:
        default_title = "Where shall we go?" if len(venues) > 1 else venues[0].name
        expires_at = now + timedelta(days=CARD_TTL_DAYS)
        kind = CardKind.INVITE if len(venues) == 1 else CardKind.POLL
    title = " ".join((title or "").split())[:120] or default_title
    card = ShareableCard.objects.create(
        creator=creator,
        kind=kind,
        title=title,
        message=(message or "").strip()[:300],
        booking=booking,
        expires_at=expires_at,
    )
    card.venues.set(venues)
    return card


@transaction.atomic
def card_response_record(
    *, card: ShareableCard, name: str, answer: str, now: datetime | None = None
) -> tuple[CardResponse, bool]:
    """Record (or change) one friend's answer; returns ``(response, created)``."""
    now = now or timezone.now()
    name = " ".join((name or "").split())[:60]
    if not name:
        raise CardError("please tell us your name")
    if answer not in CardAnswer.values:
        raise CardError("please choose going, maybe or not")
    card = ShareableCard.objects.select_for_update().get(pk=card.pk)
    if card.expires_at <= now:
        raise CardError("this card has expired")
    existing = CardResponse.objects.filter(shared_card=card, responder_handle__iexact=name).first()
    if existing is not None:
        existing.answer = answer
        existing.response = {"answer": answer}
        existing.save(update_fields=["answer", "response"])
        return existing, False
    response = CardResponse.objects.create(
        shared_card=card,
        card_id=card.token,
        card_kind=card.kind,
        responder_handle=name,
        answer=answer,
        response={"answer": answer},
        channel=CardChannel.WEB,
    )
    return response, True


# --------------------------------------------------------------------------- reads


def card_by_token(token: str) -> ShareableCard | None:
    if not token or len(token) > 32:
        return None
    return (
        ShareableCard.objects.select_related("creator", "booking__venue__city")
        .prefetch_related("venues__city")
        .filter(token=token)
        .first()
    )


def card_tally(card: ShareableCard) -> dict[str, list[str]]:
    """Names per answer, in the order they answered."""
    tally: dict[str, list[str]] = {value: [] for value in CardAnswer.values}
    for name, answer in (
        CardResponse.objects.filter(shared_card=card).order_by("created_at").values_list("responder_handle", "answer")
    ):
        if answer in tally:
            tally[answer].append(name)
    return tally


def card_url(card: ShareableCard) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse('share-card', kwargs={'token': card.token})}"


def card_og_url(card: ShareableCard) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse('share-card-og', kwargs={'token': card.token})}"


def card_when(card: ShareableCard) -> str:
    """'Fri 13 Mar, 19:30 · 4 guests' for a booking card, else ''."""
    booking = card.booking
    if booking is None:
        return ""
    tz = ZoneInfo(booking.venue.city.timezone if booking.venue.city_id else "Asia/Makassar")
    local = booking.slot_start.astimezone(tz)
    guests = f"{booking.party_size} {'guest' if booking.party_size == 1 else 'guests'}"
    return f"{local:%a %d %b}, {local:%H:%M} · {guests}"


def card_venue_lines(card: ShareableCard) -> list[str]:
    lines = []
    for venue in card.venues.all():
        where = ", ".join(dict.fromkeys(p for p in (venue.area, venue.city.name if venue.city_id else "") if p))
        lines.append(f"{venue.name} — {where}" if where else venue.name)
    return lines


# --------------------------------------------------------------------------- Open Graph image


def card_og_png(card: ShareableCard) -> bytes:
    """The card's 1200×630 Open Graph PNG, drawn once per version of the card and cached."""
    key = f"share:og:{card.token}:{int(card.updated_at.timestamp() * 1000)}"
    png = cache.get(key)
    if png is None:
        png = _draw(card)
        cache.set(key, png, OG_CACHE_SECONDS)
    return png


def _draw(card: ShareableCard) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    width, height = OG_SIZE
    image = Image.new("RGB", OG_SIZE, (18, 52, 59))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, height - 90, width, height], fill=(233, 196, 106))
    title_font = ImageFont.load_default(size=68)
    body_font = ImageFont.load_default(size=36)
    small_font = ImageFont.load_default(size=30)
    y = 70
    for line in textwrap.wrap(card.title, width=28)[:2]:
        draw.text((70, y), line, font=title_font, fill=(255, 255, 255))
        y += 84
    when = card_when(card)
    if when:
        y += 10
        draw.text((70, y), when, font=body_font, fill=(233, 196, 106))
        y += 50
    y += 20
    for line in card_venue_lines(card)[:4]:
        draw.text(
            (70, y), "• " + textwrap.shorten(line, width=55, placeholder="…"), font=body_font, fill=(220, 230, 230)
        )
        y += 48
    draw.text(
        (70, height - 68),
        "AGNT · Bali concierge — tap to answer: going / maybe / not",
        font=small_font,
        fill=(18, 52, 59),
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
