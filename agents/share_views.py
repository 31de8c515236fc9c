"""The public page of a shareable card: /c/<token>, its Open Graph image, and the answer form.

No account: a friend types a name and picks going / maybe / not. The form carries
Django's CSRF token (the middleware checks it), answers are rate-limited per client IP
in Redis, and an expired card answers 410 Gone with a page that says so.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from agents.models import CardAnswer
from agents.sharing import (
    CardError,
    card_by_token,
    card_og_png,
    card_og_url,
    card_response_record,
    card_tally,
    card_url,
    card_venue_lines,
    card_when,
)
from agnt.scheduling import redis_client

logger = logging.getLogger(__name__)

ANSWERS_PER_IP_PER_HOUR = 20


def _card_or_404(token: str):
    card = card_by_token(token)
    if card is None:
        raise Http404("no such card")
    return card


def _expired(request: HttpRequest, card) -> HttpResponse:
    return render(request, "share/expired.html", {"card": card}, status=410)


def _page(request: HttpRequest, card, *, status: int = 200, error: str = "", name: str = "") -> HttpResponse:
    tally = card_tally(card)
    context = {
        "card": card,
        "when": card_when(card),
        "venues": card_venue_lines(card),
        "tally": [(label, tally[value]) for value, label in CardAnswer.choices],
        "answers": CardAnswer.choices,
        "url": card_url(card),
        "og_image": card_og_url(card),
        "answered": request.GET.get("answered", "") if request.GET.get("answered") in CardAnswer.values else "",
        "error": error,
        "name": name,
    }
    return render(request, "share/card.html", context, status=status)


@require_GET
def card_page(request: HttpRequest, token: str) -> HttpResponse:
    card = _card_or_404(token)
    if card.expires_at <= timezone.now():
        return _expired(request, card)
    return _page(request, card)


@require_GET
@cache_control(public=True, max_age=3600)
def card_og_image(request: HttpRequest, token: str) -> HttpResponse:
    card = _card_or_404(token)
    if card.expires_at <= timezone.now():
        return _expired(request, card)
    return HttpResponse(card_og_png(card), content_type="image/png")


def _client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a proxy we trust rewrites it
    return request.META.get("REMOTE_ADDR") or "unknown"


def _rate_limited(ip: str) -> bool:
    now = timezone.now()
    key = f"agnt:share:answers:{ip}:{now:%Y%m%d%H}"
    client = redis_client()
    count = client.incr(key)
    if count == 1:
        client.expire(key, 3600)
    return count > ANSWERS_PER_IP_PER_HOUR


@require_POST
def card_answer(request: HttpRequest, token: str) -> HttpResponse:
    card = _card_or_404(token)
    if card.expires_at <= timezone.now():
        return _expired(request, card)
    name = request.POST.get("name", "")[:200]
    if _rate_limited(_client_ip(request)):
        return _page(
            request, card, status=429, error="Too many answers from your network — try again in an hour.", name=name
        )
    try:
        card_response_record(card=card, name=name, answer=request.POST.get("answer", ""))
    except CardError as exc:
        return _page(request, card, status=400, error=" ".join(exc.messages), name=name)
    return redirect(f"{card_url(card)}?answered={request.POST['answer']}", permanent=False)
