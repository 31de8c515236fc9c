"""Read-side queries of venues that carry logic."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connections
from django.db.models import BooleanField, Case, F, FloatField, Func, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from venues.models import Venue, VenueCategory, VenueClient, VenueStatus


def owned_venue_ids(user) -> list:
    """Ids of the venues a business user may manage (cached on the user for the request)."""
    cached = getattr(user, "_agnt_owned_venue_ids", None)
    if cached is None:
        cached = list(VenueClient.objects.filter(user=user, is_active=True).values_list("venue_id", flat=True))
        user._agnt_owned_venue_ids = cached
    return cached


# --------------------------------------------------------------------------- opening hours

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def venue_timezone(venue: Venue) -> ZoneInfo:
    """The venue's local timezone (its city's); Bali time if the city's is unusable."""
    try:
        return ZoneInfo(venue.city.timezone or "Asia/Makassar")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Makassar")


def _parse_hhmm(value: str) -> time_of_day | None:
    try:
        hours, minutes = str(value).strip().split(":")[:2]
        hours_i, minutes_i = int(hours), int(minutes)
    except (ValueError, AttributeError):
        return None
    if hours_i == 24 and minutes_i == 0:
        return time_of_day(0, 0)
    if not (0 <= hours_i < 24 and 0 <= minutes_i < 60):
        return None
    return time_of_day(hours_i, minutes_i)


def venue_opening_intervals(venue: Venue, day: date) -> list[tuple[datetime, datetime]]:
    """The venue's opening intervals that START on ``day`` (local), as aware datetimes.

    A closing time at or before the opening time runs past midnight ("17:00-02:00" ends
    at 02:00 the next day; "17:00-00:00" at midnight). Malformed entries are skipped: a
    typo in the back office must not break search or booking.
    """
    tz = venue_timezone(venue)
    hours = venue.opening_hours if isinstance(venue.opening_hours, dict) else {}
    intervals = []
    for entry in hours.get(WEEKDAY_KEYS[day.weekday()]) or []:
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            continue
        opens, closes = _parse_hhmm(entry[0]), _parse_hhmm(entry[1])
        if opens is None or closes is None:
            continue
        start = datetime.combine(day, opens, tzinfo=tz)
        end_day = day if closes > opens else day + timedelta(days=1)
        intervals.append((start, datetime.combine(end_day, closes, tzinfo=tz)))
    return sorted(intervals)


def venue_is_open_at(venue: Venue, at: datetime) -> bool:
    """Is the venue open at ``at``? Looks at the day before too, for nights past midnight."""
    local = at.astimezone(venue_timezone(venue))
    for day in (local.date() - timedelta(days=1), local.date()):
        if any(start <= local < end for start, end in venue_opening_intervals(venue, day)):
            return True
    return False


# --------------------------------------------------------------------------- search

# Statuses a guest can find: drafts are unfinished, paused/closed venues take nobody.
SEARCHABLE_STATUSES = (VenueStatus.LISTED, VenueStatus.ACTIVE)
SEARCH_MAX_LIMIT = 10
# Rows ranked in SQL before the Python-side opening-hours filter trims them to ``limit``.
SEARCH_CANDIDATES = 200
_CATEGORY_ALIASES = {
    "cafe": VenueCategory.CAFE,
    "cafes": VenueCategory.CAFE,
    "coffee": VenueCategory.CAFE,
    "coffee_shop": VenueCategory.CAFE,
    "restaurants": VenueCategory.RESTAURANT,
    "food": VenueCategory.RESTAURANT,
    "dinner": VenueCategory.RESTAURANT,
    "beach_clubs": VenueCategory.BEACH_CLUB,
    "beachclub": VenueCategory.BEACH_CLUB,
    "club": VenueCategory.NIGHTCLUB,
    "clubs": VenueCategory.NIGHTCLUB,
    "night_club": VenueCategory.NIGHTCLUB,
    "bars": VenueCategory.BAR,
    "cocktail_bar": VenueCategory.BAR,
    "spas": VenueCategory.SPA,
    "massage": VenueCategory.SPA,
    "yoga": VenueCategory.WELLNESS,
    "gym": VenueCategory.FITNESS,
    "activities": VenueCategory.ACTIVITY,
}
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


class VenueSearchError(ValueError):
    """A search filter that cannot mean anything (unknown category…); the message says why."""


def venue_category_from_text(value: str) -> str:
    """A VenueCategory value from its value, its label or a common synonym ("Beach club", "café")."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().strip().lower()
    key = re.sub(r"[\s\-&]+", "_", plain)
    if key in VenueCategory.values:
        return key
    for choice_value, label in VenueCategory.choices:
        label_key = re.sub(
            r"[\s\-&]+", "_", unicodedata.normalize("NFKD", str(label)).encode("ascii", "ignore").decode().lower()
        )
        if key == label_key:
            return choice_value
    if key in _CATEGORY_ALIASES:
        return _CATEGORY_ALIASES[key]
    if key.endswith("s") and key[:-1] in VenueCategory.values:
        return key[:-1]
    raise VenueSearchError(f"unknown category {value!r}; use one of: {', '.join(VenueCategory.values)}")


class SearchDocument(Func):
    """``venue_search_document(name, description, tags, cuisines, area)``: the weighted
    tsvector the GIN index ``venue_search_document_gin`` is built on (migration 0004).
    Name weighs most (A), then tags, cuisines and area (B), then the description (C)."""

    function = "venue_search_document"
    output_field = SearchVectorField()

    def __init__(self) -> None:
        text_array = ArrayField(TextField())
        super().__init__(
            F("name"),
            F("description"),
            Cast(F("tags"), text_array),
            Cast(F("cuisines"), text_array),
            F("area"),
        )


# English stop words Postgres would drop anyway; dropping them here keeps a query like
# "a place for the kids" from turning into an empty tsquery term.
_STOP_WORDS = frozenset(
    "a an and are at be best by can for from good great have i in is it me my near nice of on or place places "
    "please some something the to want we what where with".split()
)


def _query_words(text: str) -> list[str]:
    words = [w.lower() for w in _WORD_RE.findall(text) if len(w) > 1]
    return [w for w in words if w not in _STOP_WORDS][:12]


def _tsquery(words: list[str]) -> str:
    """An OR query of the words' prefixes: "vegan brunch" matches venues with either word,
    "sush" still finds sushi."""
    return " | ".join(f"{w}:*" for w in words)


def _place_q(value: str, *, prefer: str) -> Q:
    value = value.strip()
    spaced = value.replace("-", " ")  # an area slug ("batu-bolong") names the area "Batu Bolong"
    city_q = Q(city__name__iexact=value) | Q(city__slug__iexact=value)
    area_q = Q(area__iexact=spaced) | Q(area__icontains=spaced)
    # Users say "Berawa" for a city or "Canggu" for an area: accept either, the way they meant it.
    return city_q | area_q if prefer == "city" else area_q | city_q


def venue_search_queryset(
    *,
    query: str = "",
    city: str | None = None,
    area: str | None = None,
    category: str | None = None,
    tags: Sequence[str] = (),
    price_level_max: int | None = None,
    party_size: int | None = None,
    kids: bool = False,
) -> QuerySet[Venue]:
    """The ordered queryset behind :func:`venue_search` (every filter but ``open_at``, which
    needs each venue's own timezone). The external API pages through it with a cursor."""
    qs = Venue.objects.filter(status__in=SEARCHABLE_STATUSES).select_related("city")
    if city:
        qs = qs.filter(_place_q(city, prefer="city"))
    if area:
        qs = qs.filter(_place_q(area, prefer="area"))
    if category:
        qs = qs.filter(category=venue_category_from_text(category))
    for tag in tags or ():
        needle = re.sub(r"[\s_]+", "-", tag.strip().lower())
        if needle:
            # Tags are hyphenated ("vegan-friendly"): a tag matches any tag or cuisine containing it.
            qs = qs.filter(
                RawSQL(
                    "EXISTS (SELECT 1 FROM unnest(venues_venue.tags || venues_venue.cuisines) AS t(v) WHERE t.v ILIKE %s)",
                    (f"%{needle}%",),
                    output_field=BooleanField(),
                )
            )
    if price_level_max:
        qs = qs.filter(price_level__lte=price_level_max)
    if party_size:
        qs = qs.filter(min_party_size__lte=party_size, max_party_size__gte=party_size)
    if kids:
        qs = qs.filter(kids_allowed=True)
    words = _query_words(query or "")
    if words:
        search = SearchQuery(_tsquery(words), config="english", search_type="raw")
        # How many of the user's words a venue matches comes first ("budget sushi ramen"
        # wants the cheap ramen place over a famous sushi name), ts_rank breaks ties.
        coverage = sum(
            (
                Case(When(document=SearchQuery(f"{w}:*", config="english", search_type="raw"), then=1), default=0)
                for w in words
            ),
            Value(0),
        )
        qs = (
            qs.annotate(document=SearchDocument())
            .filter(document=search)
            .annotate(search_rank=SearchRank(F("document"), search), search_coverage=coverage)
            .order_by(
                "-search_coverage",
                "-search_rank",
                "-priority_rank",
                F("rating_average").desc(nulls_last=True),
                "name",
                "pk",
            )
        )
    else:
        qs = qs.annotate(search_rank=Value(0.0, output_field=FloatField())).order_by(
            "-priority_rank", F("rating_average").desc(nulls_last=True), "name", "pk"
        )
    return qs


# Distinct filter combinations whose compiled SQL is kept (per process). Agents repeat the
# same few city × category × party-size searches; a free-text query is its own entry.
SEARCH_SQL_CACHE_SIZE = 512


@lru_cache(maxsize=SEARCH_SQL_CACHE_SIZE)
def _venue_search_sql(
    fields: tuple[str, ...],
    query: str,
    city: str | None,
    area: str | None,
    category: str | None,
    tags: tuple[str, ...],
    price_level_max: int | None,
    party_size: int | None,
) -> tuple[str, str, tuple[Any, ...], tuple[str, ...], tuple]:
    """(database alias, SQL without LIMIT, its parameters, the row's keys, converters) of
    ``venue_search_queryset(...).values(*fields)``.

    Building the queryset and compiling it cost about as much server CPU as the rest of a
    search request together (bench/README.md, serving); the result depends only on the
    arguments, so it is compiled once per combination. Only the SQL is kept: every call
    still runs the query, so a venue listed or hidden a second ago is (or isn't) found.
    """
    qs = venue_search_queryset(
        query=query,
        city=city,
        area=area,
        category=category,
        tags=tags,
        price_level_max=price_level_max,
        party_size=party_size,
    ).values(*fields)
    compiler = qs.query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    names = (*qs.query.extra_select, *qs.query.values_select, *qs.query.annotation_select)
    converters = tuple(compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]]).items())
    return qs.db, sql, tuple(params), names, converters


def venue_search_rows(
    *,
    fields: tuple[str, ...],
    offset: int,
    limit: int,
    query: str = "",
    city: str | None = None,
    area: str | None = None,
    category: str | None = None,
    tags: Sequence[str] = (),
    price_level_max: int | None = None,
    party_size: int | None = None,
) -> list[dict[str, Any]]:
    """``venue_search_queryset(...).values(*fields)[offset:offset + limit]``, with the SQL
    compiled once per filter combination (see :func:`_venue_search_sql`). One query."""
    alias, sql, params, names, converters = _venue_search_sql(
        tuple(fields), query or "", city, area, category, tuple(tags or ()), price_level_max, party_size
    )
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s OFFSET %s", (*params, int(limit), int(offset)))
        rows = cursor.fetchall()
    if converters:
        rows = [list(row) for row in rows]
        for row in rows:
            for position, (functions, expression) in converters:
                for function in functions:
                    row[position] = function(row[position], expression, connection)
    return [dict(zip(names, row, strict=True)) for row in rows]


def venue_search(
    *,
    query: str = "",
    city: str | None = None,
    area: str | None = None,
    category: str | None = None,
    tags: Sequence[str] = (),
    price_level_max: int | None = None,
    open_at: datetime | None = None,
    party_size: int | None = None,
    kids: bool = False,
    limit: int = 5,
) -> list[Venue]:
    """Guest-visible venues matching the filters, best first.

    Ranking: full-text rank of ``query`` over name, tags, cuisines, area and description
    (Postgres ``ts_rank`` on the indexed document), then the venue's priority rank and
    rating. Without a query, priority and rating alone. ``open_at`` keeps venues open at
    that moment in their own timezone (nights past midnight included); ``kids`` only
    venues that welcome children. Each venue comes
    with ``search_rank`` set. One query; ``city`` is joined, not fetched per row.
    """
    limit = max(1, min(int(limit or 5), SEARCH_MAX_LIMIT))
    qs = venue_search_queryset(
        query=query,
        city=city,
        area=area,
        category=category,
        tags=tags,
        price_level_max=price_level_max,
        party_size=party_size,
        kids=kids,
    )
    if open_at is None:
        return list(qs[:limit])
    return [venue for venue in qs[:SEARCH_CANDIDATES] if venue_is_open_at(venue, open_at)][:limit]


COMPLETION_MAX = 20


def venue_slugs_starting(*, prefix: str, city: str | None = None, limit: int = COMPLETION_MAX) -> list[str]:
    """Slugs of searchable venues starting with ``prefix`` (for argument completion), in
    ``city`` (slug or name) when given; alphabetical, at most ``limit``."""
    from venues.models import Venue

    qs = Venue.objects.filter(status__in=SEARCHABLE_STATUSES, slug__istartswith=(prefix or "").strip()[:80])
    if city:
        qs = qs.filter(Q(city__slug__iexact=city) | Q(city__name__iexact=city))
    return list(qs.order_by("slug").values_list("slug", flat=True)[:limit])


def city_slugs_starting(*, prefix: str, limit: int = COMPLETION_MAX) -> list[str]:
    """Slugs of active cities whose slug or name starts with ``prefix`` (argument completion)."""
    from venues.models import City

    prefix = (prefix or "").strip()[:80]
    qs = City.objects.filter(is_active=True).filter(Q(slug__istartswith=prefix) | Q(name__istartswith=prefix))
    return list(qs.order_by("slug").values_list("slug", flat=True)[:limit])


# --------------------------------------------------------------------------- owner pages


def _word_similarity(q: str, word: str) -> float:
    """0–1: 1 for the same word or a prefix ("pota" of "potato"); otherwise the better of the
    Indel ratio (letters missing or extra: "hed"/"head") and Damerau-Levenshtein (swapped
    letters count once: "brsia"/"brisa"), both from rapidfuzz."""
    from rapidfuzz.distance import DamerauLevenshtein, Indel

    if word.startswith(q):
        return 1.0
    return max(Indel.normalized_similarity(q, word), DamerauLevenshtein.normalized_similarity(q, word))


def _fuzzy_score(query_words: list[str], text: str) -> float:
    """How well every query word matches some word of ``text`` (0–1), tolerant of typos."""
    words = _query_words(text)
    if not query_words or not words:
        return 0.0
    # two neighbouring words written as one ("potatohead", "labrisa") match their pair
    candidates = words + [a + b for a, b in zip(words, words[1:], strict=False)]
    return sum(max(_word_similarity(q, w) for w in candidates) for q in query_words) / len(query_words)


def venue_public_search(*, query: str, limit: int = 20) -> list[Venue]:
    """Listed and active venues whose name, area or city match ``query``, typos forgiven
    ("potato hed canggu" finds Potato Head). Venues are few per city, so matching runs in
    Python over the visible ones; the best matches come first."""
    words = _query_words(query)
    venues = Venue.objects.filter(status__in=SEARCHABLE_STATUSES).select_related("city")
    if not words:
        return list(venues.order_by("-priority_rank", "name")[:limit])
    scored = []
    for venue in venues:
        score = _fuzzy_score(words, f"{venue.name} {venue.area} {venue.city.name}")
        if score >= 0.75:
            scored.append((score, venue.priority_rank, venue.name, venue))
    scored.sort(key=lambda row: (-row[0], -row[1], row[2]))
    return [row[3] for row in scored[:limit]]


def venue_has_owner(venue: Venue) -> bool:
    return VenueClient.objects.filter(venue=venue, is_active=True, role="owner").exists()
