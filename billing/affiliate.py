"""Tracked outbound links: ``/go/<token>`` signs where a link goes, for whom, and for which partner.

Every product or venue link the concierge hands out is ``PUBLIC_BASE_URL/go/<token>``,
where the token is ``django.core.signing`` of ``{"u": url, "p": partner, "uid": user id,
"v": venue id, "w": price watch id, "c": campaign}`` (salted, timestamped). The redirect
view (billing.views.affiliate_redirect) checks the signature and age
(AFFILIATE_LINK_MAX_AGE_DAYS), records the click (billing.services.marketplace
.affiliate_click_track: bots skipped, one click per user and link per hour) and answers
302 to the target with the partner's affiliate parameters (AFFILIATE_PARAMS_<PARTNER>)
added. A forged, truncated or expired token gets a 400 page, never a redirect: the
token is the only thing that says where to go, so nobody can use us as an open redirect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core import signing

SALT = "agnt.affiliate.link"
BOT_USER_AGENT = re.compile(
    r"bot|crawl|spider|slurp|preview|facebookexternalhit|embedly|whatsapp|telegram|skype|discord|"
    r"curl|wget|python-requests|httpx|go-http-client|okhttp|headless|lighthouse|pingdom|uptime",
    re.IGNORECASE,
)


class LinkInvalid(ValueError):
    """The token is forged, damaged or too old."""


@dataclass(frozen=True)
class LinkTarget:
    url: str
    partner: str
    user_id: str | None
    venue_id: str | None
    price_watcher_id: str | None
    campaign: str


def partner_for_url(url: str) -> str:
    """The affiliate partner a product URL belongs to ("other" for anything else, e.g. a venue's site)."""
    from billing import marketplace_client

    try:
        return marketplace_client.marketplace_of(url)
    except marketplace_client.UnknownMarketplace:
        host = (urlsplit(url).hostname or "").lower()
        for partner in ("klook", "traveloka", "grab"):
            if partner in host:
                return partner
        return "other"


def tracked_link(
    url: str,
    *,
    partner: str | None = None,
    user_id=None,
    venue_id=None,
    price_watcher_id=None,
    campaign: str = "",
) -> str:
    """The absolute ``/go/<token>`` link for ``url`` (http/https only; anything else is returned unchanged)."""
    if urlsplit(url or "").scheme not in ("http", "https"):
        return url
    data = {"u": url, "p": partner or partner_for_url(url)}
    for key, value in (("uid", user_id), ("v", venue_id), ("w", price_watcher_id), ("c", campaign)):
        if value:
            data[key] = str(value)
    token = signing.dumps(data, salt=SALT, compress=True)
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/go/{token}"


def read_token(token: str) -> LinkTarget:
    """Verify a ``/go/`` token; raises LinkInvalid when forged, damaged or older than the max age."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.AFFILIATE_LINK_MAX_AGE_DAYS * 86400)
    except signing.SignatureExpired as exc:
        raise LinkInvalid("this link has expired") from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise LinkInvalid("this link is not valid") from exc
    if not isinstance(data, dict) or urlsplit(str(data.get("u", ""))).scheme not in ("http", "https"):
        raise LinkInvalid("this link is not valid")
    return LinkTarget(
        url=data["u"],
        partner=str(data.get("p") or "other"),
        user_id=data.get("uid"),
        venue_id=data.get("v"),
        price_watcher_id=data.get("w"),
        campaign=str(data.get("c") or ""),
    )


def with_affiliate_params(url: str, partner: str) -> str:
    """``url`` with the partner's affiliate parameters added (ours win over the same names in the link)."""
    extra = parse_qsl(settings.AFFILIATE_PARAMS.get(partner, "") or "", keep_blank_values=True)
    if not extra:
        return url
    parts = urlsplit(url)
    names = {name for name, _ in extra}
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names] + extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def is_bot(user_agent: str) -> bool:
    """Link-preview fetchers, crawlers and scripts (and requests with no User-Agent at all)."""
    return not (user_agent or "").strip() or bool(BOT_USER_AGENT.search(user_agent))
