"""The offline provider: a deterministic planner that needs no model and no API key.

It plays the model's part in the gateway's loop. Each call reads the user's latest message
(and the tool results already gathered this turn), then either asks for the next tool calls
— as ordinary `tool_use` blocks, executed by the same registry as for Claude — or writes
the final reply. The reply is composed only from tool results: every venue, slot, reference
or forecast it mentions came back from a tool, so the planner cannot invent facts.

Understood (English, phrased loosely): greetings/help; find or recommend venues; venue
details and opening hours; questions about a venue (its knowledge); availability; booking
(with the YES confirmation step) and the confirmed booking; cancel; list bookings;
reminders; remembering preferences and "what do you know about me"; weather; courier
quotes and bookings; price watches; product look-alikes; food diary; photos.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from agnt.llm.base import ModelResponse
from agnt.llm.types import ToolContext
from messaging.concierge.dialogue import (
    is_forget_message,
    pick_from_results,
    refers_to_focus,
    remember_tool_calls,
)
from messaging.concierge.language import detect, lexicon_entries, to_english
from messaging.concierge.meaning import intent_by_meaning
from messaging.concierge.messages import (
    DAY_KEYS,
    category_words,
    date_words,
    party_breakdown,
    weather_words,
    weekday_name,
    when_words,
)
from messaging.concierge.messages import reason as t_reason
from messaging.concierge.messages import say as t_say
from messaging.concierge.soul import local_now
from venues.textparse import (
    CATEGORY_LABELS,
    GENERIC_WORDS,
    NUM_PATTERN,
    STOPWORDS,
    Catalogue,
    VenueRef,
    alias_order,
    catalogue,
    children_count,
    digits_from_words,
    find_category,
    find_kids,
    find_place,
    find_price_cap,
    find_venue,
    normalize,
    parse_when,
    party_size,
    query_words,
)

# The venue catalogue (aliases and place names) the parsers read: refreshed once per
# planner call (one version statement, see venues.textparse.catalogue), then read from
# memory however many times a turn asks. The planner adds the venues' first-word names
# ("luma", "kaito") to the shared catalogue's aliases, once per catalogue version.
_CURRENT: Catalogue | None = None
_WITH_FIRST_WORDS: tuple[Catalogue | None, Catalogue | None] = (None, None)


def refresh_catalogue() -> None:
    """Venue aliases and place names, rebuilt only when a venue or a city changed."""
    global _CURRENT, _WITH_FIRST_WORDS
    shared = catalogue()
    base, extended = _WITH_FIRST_WORDS
    if base is not shared or extended is None:
        refs = shared.aliases
        extra = _first_word_aliases(refs, shared.places) + _tail_aliases(refs, shared.places)
        aliases = sorted(refs + extra, key=alias_order)
        extended = Catalogue(aliases=aliases, places=shared.places)
        _WITH_FIRST_WORDS = (shared, extended)
    _CURRENT = extended


def _catalogue() -> Catalogue:
    if _CURRENT is None:
        refresh_catalogue()
    return _CURRENT


def _aliases() -> list:
    return _catalogue().aliases


def _places() -> list:
    return _catalogue().places


def _first_word_aliases(refs: list, known_places: list) -> list:
    """Guests shorten names to their first word ("book luma", "how much is Kaito?"). A first
    word is an alias only when it is that venue's alone: no other venue uses it in its name,
    description, knowledge, tags or cuisines, and it is no place, kind of place or word the
    planner reads in any language ("morning", "kopi" and "sayan" stay ordinary words)."""
    from venues.models import Venue
    from venues.selectors import SEARCHABLE_STATUSES

    reserved = {normalize(p.name) for p in known_places} | STOPWORDS | GENERIC_WORDS
    for phrase, english in lexicon_entries():
        reserved.update(normalize(phrase).split() + normalize(english).split())
    rows = list(
        Venue.objects.filter(status__in=SEARCHABLE_STATUSES).values_list(
            "name", "slug", "description", "knowledge_text", "tags", "cuisines"
        )
    )
    words_of = {
        slug: set(
            re.findall(r"[a-z]+", normalize(" ".join([name, desc or "", know or "", *(tags or []), *(cuis or [])])))
        )
        for name, slug, desc, know, tags, cuis in rows
    }
    taken = {ref.alias for ref in refs}
    found = []
    for name, slug, *_ in rows:
        words = normalize(name).split()
        if words and words[0] == "the":
            words = words[1:]
        if len(words) < 2:
            continue
        first = words[0]
        if len(first) < 4 or first in reserved or first in taken or find_category(first)[0]:
            continue
        if any(first in other for other_slug, other in words_of.items() if other_slug != slug):
            continue
        found.append(VenueRef(name=name, slug=slug, alias=first))
    return found


def _tail_aliases(refs: list, known_places: list) -> list:
    """Guests also drop a name's first word ("nonna ayu" for Trattoria Nonna Ayu, "daun pisang"
    for Warung Daun Pisang). The rest of a name of three or more words is an alias when it is
    that venue's alone: no other venue's name, description or knowledge holds it, it does not
    start with a small word ("& Koji") and it is not made only of generic or reserved words
    ("Beach Club", "Tide Spa")."""
    from venues.models import Venue
    from venues.selectors import SEARCHABLE_STATUSES

    reserved = {normalize(p.name) for p in known_places} | STOPWORDS | GENERIC_WORDS
    for phrase, english in lexicon_entries():
        reserved.update(normalize(phrase).split() + normalize(english).split())
    rows = list(
        Venue.objects.filter(status__in=SEARCHABLE_STATUSES).values_list(
            "name", "slug", "description", "knowledge_text", "tags", "cuisines"
        )
    )
    texts = {
        slug: " ".join(
            re.findall(r"[a-z0-9]+", normalize(" ".join([name, desc or "", know or "", *(tags or []), *(cuis or [])])))
        )
        for name, slug, desc, know, tags, cuis in rows
    }
    taken = {ref.alias for ref in refs}
    found = []
    for name, slug, *_ in rows:
        words = re.findall(r"[a-z0-9]+", normalize(name))
        if words and words[0] == "the":
            words = words[1:]
        if len(words) < 3:
            continue
        tail = words[1:]
        alias = " ".join(tail)
        if alias in taken or tail[0] in {"and", "of", "de", "la", "le", "di"} or find_category(alias)[0]:
            continue
        if not any(len(word) >= 4 and word not in reserved for word in tail):
            continue
        pattern = re.compile(rf"(?<![a-z0-9]){re.escape(alias)}(?![a-z0-9])")
        if any(pattern.search(text) for other, text in texts.items() if other != slug):
            continue
        found.append(VenueRef(name=name, slug=slug, alias=alias))
    return found


MAX_SEARCHES = 4  # the first search plus up to three relaxed retries


# --------------------------------------------------------------------------- the turn so far


@dataclass
class Call:
    name: str
    input: dict[str, Any]
    result: Any
    is_error: bool


@dataclass
class Turn:
    text: str  # the user's words, as written
    norm: str  # normalised for matching
    has_image: bool
    calls: list[Call] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)  # everything before this turn
    language: str = "en"

    def called(self, name: str) -> list[Call]:
        return [call for call in self.calls if call.name == name]

    def last(self, name: str) -> Call | None:
        calls = self.called(name)
        return calls[-1] if calls else None


def _parse_result(content: Any) -> Any:
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    if isinstance(content, str):
        try:
            return json.loads(content)
        except ValueError:
            return content
    return content


def read_turn(messages: list[dict[str, Any]]) -> Turn:
    """Split the conversation at the user's latest real message and collect this turn's tool calls."""
    start = 0
    for i in range(len(messages) - 1, -1, -1):
        message = messages[i]
        content = message.get("content")
        if message.get("role") == "user" and (
            isinstance(content, str)
            or any(b.get("type") != "tool_result" for b in content or [] if isinstance(b, dict))
        ):
            start = i
            break
    first = messages[start] if messages else {"content": []}
    content = first.get("content")
    blocks = (
        [{"type": "text", "text": content}]
        if isinstance(content, str)
        else [b for b in content or [] if isinstance(b, dict)]
    )
    text = " ".join(b.get("text", "") for b in blocks if b.get("type") == "text").strip()
    turn = Turn(
        text=text,
        norm=normalize(text),
        has_image=any(b.get("type") == "image" for b in blocks),
        history=messages[:start],
    )
    uses: dict[str, dict] = {}
    for message in messages[start + 1 :]:
        for block in message.get("content") or []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_use":
                uses[block["id"]] = block
            elif block.get("type") == "tool_result" and block.get("tool_use_id") in uses:
                use = uses[block["tool_use_id"]]
                turn.calls.append(
                    Call(
                        use["name"],
                        use.get("input") or {},
                        _parse_result(block.get("content")),
                        bool(block.get("is_error")),
                    )
                )
    return turn


# --------------------------------------------------------------------------- intents


GREETING = re.compile(
    r"^(?:hi+|hey+|hello+|halo+|hallo|hiya|yo|good (?:morning|afternoon|evening)|selamat (?:pagi|siang|sore|malam)|"
    r"/start|/help|help|menu|start|what can you do|who are you|what are you|how does this work)\b[\s!.?]*"
)
THANKS = re.compile(
    r"^(?:thanks?|thank you|thx|ty|terima kasih|makasih|cheers|great|cool|awesome|perfect|ok(?:ay)?)"
    r"(?:\s+(?:so much|very much|a lot|a bunch|heaps|again|mate|man|bro|guys|dude|buddy|sis|ya|yaa|ya|banyak))*\b[\s!.]*$"
)
SEARCH_VERBS = re.compile(
    r"\b(find|recommend|suggest|looking for|look for|search|show me|where (?:can|should|to|do|is a good)|any (?:good|nice)|"
    r"best|good|nice|options?|ideas?|want to (?:eat|go|drink)|wanna|craving|hungry|places?|spots?)\b"
)
DETAIL_WORDS = re.compile(
    r"\b(open|opens|opening|close|closes|closing|hours|address|where is|where's|location|located|directions|phone|"
    r"contact|number|whatsapp|instagram|website|rating|dress code|deposit|cancellation|minimum spend|tell me about|"
    r"info|information|details|more about|what is|what's|how much|price|expensive|cost)\b"
)
QUESTION_START = re.compile(
    r"^(?:does|do|is|are|can|could|will|would|has|have|any|what|which|how|where|who|when|should)\b"
)
# A question anywhere in the message ("till what time can we order it"), not only at its start
WH_WORDS = re.compile(r"\b(?:what|when|which|how|who|why|till|until|whether)\b")
# What guests ask about a venue they are talking about (the words as read in English)
VENUE_TOPIC = re.compile(
    r"\b(?:wifi|wi-fi|internet|laptops?|sockets?|parking|park|scooters?|cards?|credit|visa|mastercard|amex|cash|qris|"
    r"pay|paying|payment|deposit|prepa(?:id|y)|dress(?: code)?|attire|flip-?flops?|kids?|children|child|sons?|"
    r"daughters?|bab(?:y|ies)|toddlers?|teens?|teenagers?|high ?chairs?|strollers?|prams?|\d+ ?(?:yo|y/?o|years? old)|"
    r"age|adults? only|dogs?|pets?|wheelchairs?|accessible|stairs|steps|vegan|vegetarian|gluten(?:-free)?|halal|nuts?|"
    r"allerg\w*|menu|prices?|costs?|how much|tasting|alcohol|smoking|view|pool|live music|cancell?ation|"
    r"minimum spend|walk-?ins?|open|opens|opening|close|closes|closing|closed|hours|what time|until when|bring|"
    r"allowed|order)\b"
)
HOURS_WORDS = re.compile(r"\b(?:open|opens|opening|close|closes|closing|closed|hours)\b")
PLURAL_REF = re.compile(r"\b(?:they|them|their|there|those|these|both)\b")
PREFERENCE = re.compile(
    r"^(?:please\s+)?remember\b|\b(?:i(?:'m| am)?|we(?:'re| are)?) (?:a |an |now |only )?(?:vegetarian|vegan|pescatarian|allergic|gluten|lactose|halal|kosher|coeliac|celiac|diabetic|pregnant|sober|teetotal)|"
    r"\ballergic to\b|\b(?:not|no longer) (?:a |an )?(?:vegan|vegetarian|pescatarian)\b(?: any ?more)?|\bi (?:don't|do not|never|can't|cannot) (?:eat|drink)\b|\bi (?:really )?(?:like|love|prefer|hate|dislike|enjoy|adore)\b|"
    r"\bmy (?:budget|favou?rite|usual)\b|\bwe(?:'re| are) usually\b|\bi usually\b|\bi always\b|\bi live in\b|\bi(?:'m| am) staying in\b|"
    # "please remember" anywhere ("we eat halal only, please remember"); a diet eaten ("my family
    # and I only eat halal"); an allergy someone has ("my son has a severe peanut allergy")
    r"\b(?:please|pls) remember\b|\bremember (?:this|that)\s*[.!]?$|"
    r"\b(?:i|we|family|wife|husband|partner|son|daughter|kids|children)(?: and [a-z]+(?: [a-z]+)?)? (?:only |just |strictly |always )?eats? "
    r"(?:only |just |strictly )?(?:halal|kosher|vegan|vegetarian|pescatarian|gluten[- ]free|plant[- ]based)\b|"
    r"\b(?:has|have|got) (?:a |an )?(?:[a-z-]+ ){1,3}allerg(?:y|ies)\b"
)
FOOD_LOG = re.compile(
    r"\b(?:i|we)\s+(?:just\s+)?(?:had|ate|have eaten|eaten|drank)\b|\blog (?:my |a |this |the )?(?:meal|food|breakfast|lunch|dinner|snack)\b|"
    r"\bfood (?:diary|log)\b|\bfor (?:breakfast|lunch|dinner) i (?:had|ate)\b|\bcalories\b"
)


FOOD_REPORT = re.compile(
    r"\bwhat (?:did|have) (?:i|we) (?:eat|eaten|ate|had)\b|\bwhat i(?:'ve| have)? (?:ate|eaten)\b|"
    r"\b(?:show|see|check) my (?:food|meal) (?:diary|log)\b|\bwhat(?:'s| is) in my food diary\b|"
    r"\bhow many calories (?:did|have) i\b"
)
CARD = re.compile(r"\b(?:make|create|share|send)\b.*\b(?:card|invite|invitation)\b")
FOLLOW = re.compile(r"^(?:please\s+)?follow\s+(?P<who>@?[\w.\-]+)(?:'s)?(?:\s+taste)?\s*$")
WOULD_PICK = re.compile(r"\bwhat would (?P<who>@?[\w.\-]+) (?:pick|choose|go for|recommend|book|like)\b")


FREE_FROM = re.compile(r"\b(gluten|dairy|nut|sugar|lactose|alcohol|meat|egg|soy|msg|wheat|peanut)[- ]free\b")


# A question about the weather itself, whatever the guest plans around it ("will it rain in Ubud
# tomorrow? we're planning a bike tour", "what's the forecast for our beach club day?")
FORECAST_QUESTION = re.compile(
    r"\b(?:will|is|does|would) it (?:going to |gonna )?(?:be )?(?:rain|raining|rainy|sunny|stormy)\b|"
    r"\bwill it be (?:hot|cold|windy|cloudy|wet|dry)\b|\bgoing to rain\b|\bgonna rain\b|\bchance of rain\b|\b(?:the |a )?weather (?:forecast|like)\b|"
    r"\bwhat(?:'s| is| will be) the (?:weather|forecast)\b|\b(?:check|how is|how's) the (?:weather|forecast)\b"
)


# A question about the venue itself, not a request for a table ("can we bring the dog to
# Luma on Friday at 7 for 2?")
VENUE_FACT_WORDS = re.compile(
    r"\b(menu|vegan|vegetarian|gluten|halal|parking|wifi|pool|dogs?|pets?|music|allow(?:ed|s)?|welcome|"
    r"bring|friendly|suitable|serve[sd]?|offer|dress|busy|crowded|worth|good|best|recommend)\b"
)
AVAILABILITY_WORDS = re.compile(
    r"(?<![-\w])(free(?!-| wifi| parking| entry| of charge)|available|availability|any (?:tables?|space|room|slots?)|space for|slots?|fully booked|(?:have|has|got) (?:a |any )?(?:free )?tables?)\b"
)


# "cancel the breakfast one", "please cancel Kelapa": a request that starts by cancelling is about
# a booking unless it names something else
CANCEL_START = re.compile(
    r"^(?:(?:please|pls|ok(?:ay)?|actually|oh|and|also|hmm+|sorry|so|can you|could you|i want to|i'd like to|"
    r"we need to|need to|we want to|let's|lets)\s+)*cancel\b"
)
NOT_A_BOOKING = re.compile(r"\b(remind\w*|courier|delivery|watch|alert|subscription|membership|order)\b")


@dataclass
class Intent:
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


def classify(turn: Turn, ctx: ToolContext, now: datetime) -> Intent:
    t = turn.norm = FREE_FROM.sub(r"\1-free", turn.norm)
    if ctx.confirmed_action:
        return Intent("confirm")
    if not t:
        return Intent("photo") if turn.has_image else Intent("help")
    if _is_negative(turn.text) and _pending(ctx):
        return Intent("decline")
    if _is_affirmative(turn.text):
        return Intent("stray_yes")
    if GREETING.match(t) and len(t.split()) <= 6:
        return Intent("help", {"greeting": True})
    if THANKS.match(t):
        return Intent("thanks")
    ref = re.search(r"\bag-?[a-z0-9]{4,12}\b", t)
    if re.search(r"\bcancel", t) and (
        ref
        or re.search(r"\b(booking|reservation|table)\b", t)
        or (CANCEL_START.match(t) and not NOT_A_BOOKING.search(t))
    ):
        # without the word "booking" ("cancel the breakfast one") it names which one, or it is asked
        loose = not ref and not re.search(r"\b(booking|reservation|table)\b", t)
        return Intent("cancel", {"reference": ref.group(0).upper() if ref else None, "loose": loose})
    if (re.search(r"\bremind(?:er)?\b", t) or NUDGE_ME.search(t)) and not re.search(
        r"\b(?:my|list|show) reminders\b", t
    ):
        return Intent("remind")
    if re.search(
        r"\b(?:my|our) (?:bookings?|reservations?|tables?)\b|\b(?:list|show|see|check)\b.*\b(?:bookings?|reservations?)\b|"
        r"\bwhat (?:have|did) i (?:got )?book|\bhave i got (?:anything )?booked\b|\bwhat(?:'s| is) booked\b|\bupcoming (?:bookings?|reservations?)\b|\bdo i have (?:a |any )?(?:bookings?|reservations?)\b|"
        r"\b(?:bookings?|reservations?) (?:do|have) i\b|\bwhat (?:bookings?|reservations?)\b",
        t,
    ) and not re.search(r"\bbook (?:a|me)\b", t):
        return Intent("list_bookings", {"include_past": bool(re.search(r"\b(past|previous|history|old|all)\b", t))})
    if is_forget_message(t) or is_forget_message(turn.text):
        return Intent("forget")
    if re.search(
        r"\bwhat do you (?:know|remember)\b|\bwhat have you (?:remembered|learned)\b|\bmy (?:preferences|profile|memories)\b|"
        r"\bdo you remember\b|\bwhat(?:'s| is) my\b",
        t,
    ):
        return Intent("recall")
    url = re.search(r"https?://\S+", turn.text)
    dupe = re.search(
        r"\bdupes?\b|\blook[- ]?alikes?\b|\bcheaper (?:version|alternative|copy|one)\b|\bsimilar (?:to|product)\b", t
    )
    if url and not dupe and re.search(r"\b(watch|track|alert|notify|tell me|price|drops?|cheaper|below|under)\b", t):
        return Intent("price_watch", {"url": url.group(0).rstrip(".,)")})
    if dupe:
        return Intent("dupe", {"url": url.group(0).rstrip(".,)") if url else None})
    if re.search(
        r"\b(courier|lalamove|grab express|gosend|send (?:a |my )?(?:package|parcel|document|item|bag)|deliver(?:y)?\b.*\bfrom\b)",
        t,
    ):
        if re.search(r"\b(book|order|confirm|go with|take)\b", t) and not re.search(
            r"\b(quote|how much|price|cost)\b", t
        ):
            return Intent("courier_book")
        return Intent("courier_quote")
    if FOOD_REPORT.search(t):
        period = "today" if re.search(r"\btoday\b", t) else "month" if re.search(r"\bmonth\b", t) else "week"
        return Intent("food_report", {"period": period})
    if CARD.search(t):
        return Intent("card")
    follow = FOLLOW.search(t)
    if follow:
        return Intent("follow", {"who": follow.group("who")})
    pick = WOULD_PICK.search(t)
    if pick:
        return Intent("taste_picks", {"who": pick.group("who")})
    if FOOD_LOG.search(t) and not re.search(r"\b(book|find|recommend|where)\b", t):
        return Intent("food_log")
    if FORECAST_QUESTION.search(t) or (
        re.search(r"\b(weather|forecast|raining|rain|rainy|sunny|temperature|storm|hot outside|cold outside)\b", t)
        and not (re.search(r"\brainy day\b", t) or find_category(t)[0])
    ):
        return Intent("weather")
    refs = _aliases()
    venue, rest = find_venue(t, refs)
    if venue is None:
        venue = fuzzy_venue(t, refs)
    if venue is None:
        venue = _dialogue_venue(t, ctx)
    if venue is None:
        listed = _listed_venues(turn, ctx, now)
        if listed:
            return Intent("hours", {"venues": listed, "rest": t})
        venue = _elliptic_focus(turn, ctx)
    data = {"venue": venue, "rest": rest}
    asks_if_free = venue and re.search(AVAILABILITY_WORDS, t)
    if asks_if_free and (QUESTION_START.match(t) or "?" in turn.text) and not re.search(r"\b(book|reserve)\b", t):
        # "is there a free table at X tomorrow for 4?" asks, it does not book ("table at" / "table for")
        return Intent("availability", data)
    if re.search(
        r"\b(book|reserve|reservation|get (?:us |me |the \w+ of us )?a table|table for|(?:a )?table at|make a booking)\b|"
        r"^(?:a |one )?table\b|(?:^|\b(?:bisa|mau|want to|wanna|can you|can u|could you|pls|please)\s+)booking\b|\bbooking (?:for|at)\b",
        t,
    ) and not re.search(r"\bbook(?:ing)?s\b", t):
        return Intent("book", data)
    if asks_if_free:
        return Intent("availability", data)
    if venue and not (
        (QUESTION_START.match(t) or "?" in turn.text) and (DETAIL_WORDS.search(t) or VENUE_FACT_WORDS.search(t))
    ):
        # "omakase at kaito tonight 6pm for 2?", "Lumbung, thursday, 18:30, party of 5. can you
        # lock it in?": a venue, a day or time and a party is a booking request, asked or not
        # (a question about the place itself, "is it open…", "can kids come…", stays a question)
        when, left = parse_when(rest, now, prefer_evening=True, **_date_hints(turn))
        said_when = when.day or when.moment or (when.at and not when.soft)
        if party_size(left) and said_when:
            return Intent("book", data)
        # "dapur rempah at 7pm then" after a search for 8 people: one of the results, on the
        # search's day and party
        if (
            said_when
            and _bare_details(turn, left, venue)
            and (_standing_request(ctx, venue.slug).get("party_size") or pick_from_results(ctx.dialogue or {}, t))
        ):
            # ... or "the first one looks good, 12:30 please": a listed venue and a time (the
            # party is asked for when the search had none)
            return Intent("book", data)
    if PREFERENCE.search(t) and not SEARCH_VERBS.search(t):
        return Intent("remember")
    if venue:
        if HOURS_WORDS.search(t) and _asked_day(turn, rest, now) is not None:
            # "is it open on sunday?", "Hat das Kelapa & Koji am Montag offen?": that day's hours
            return Intent("hours", {"venues": [venue], "rest": rest})
        if _asks(turn):
            if DETAIL_WORDS.search(t) and not re.search(
                r"\b(menu|vegan|vegetarian|gluten|halal|kids?|children|parking|wifi|pool|dogs?|pets?|music|"
                r"how much|prices?|costs?|expensive)\b",
                t,
            ):
                return Intent("details", data)
            return Intent("ask", data)
        return Intent("details", data)
    if (
        SEARCH_VERBS.search(t)
        or find_category(t)[0]
        or find_place(t, _places())[0]
        or re.search(
            r"\b(eat|food|dinner|lunch|breakfast|sushi|pizza|vegan|tacos?|burgers?|seafood|steak|ramen|thai|italian|indonesian|balinese|japanese|mexican|indian)\b",
            t,
        )
    ):
        return Intent("search")
    # Other languages by their own labelled examples, on the words as written (the lexicon's
    # partial English scored worse: bench/meaning_languages.py)
    meant = intent_by_meaning(t if turn.language == "en" else turn.text.lower(), language=turn.language)
    if meant == "venue_question":
        # "do they let you smoke inside?": about the venue in focus, if there is one
        focus = (ctx.dialogue or {}).get("focus")
        ref = _ref_for(focus["slug"]) if focus else None
        if ref:
            return Intent("ask", {"venue": ref, "rest": t})
        meant = None
    if meant == "list_bookings":
        return Intent("list_bookings", {"include_past": False})
    if meant:
        return Intent(meant)
    if QUESTION_START.match(t) and "?" in turn.text:
        return Intent("ask_general")
    return Intent("help")


def _asks(turn: Turn) -> bool:
    """Is the message a question, wherever its question word stands?"""
    t = turn.norm
    return bool(QUESTION_START.match(t) or "?" in turn.text or WH_WORDS.search(t))


def _asked_day(turn: Turn, text: str, now: datetime) -> date | None:
    """The day a question names ("on sunday", "today", "am Montag"), if any."""
    when, _ = parse_when(text, now, prefer_evening=True, **_date_hints(turn))
    if when.moment:
        return when.moment.date()
    return when.day


SEARCH_FOOD = re.compile(
    r"\b(?:eat|food|dinner|lunch|breakfast|brunch|sushi|pizza|tacos?|burgers?|seafood|steak|ramen|thai|italian|"
    r"indonesian|balinese|japanese|mexican|indian)\b"
)


def _elliptic_focus(turn: Turn, ctx: ToolContext):
    """The venue in focus for a short question that names a topic but no venue ("and wifi?",
    "can I bring my 12 yo son", "bisa bayar pakai kartu?"): the guest is still asking about it."""
    t = turn.norm
    focus = (ctx.dialogue or {}).get("focus")
    if not focus or len(t.split()) > 12 or not VENUE_TOPIC.search(t):
        return None
    if not (_asks(turn) or INSTEAD.match(t)):
        return None
    if find_place(t, _places())[0] or find_category(t)[0] or SEARCH_VERBS.search(t) or SEARCH_FOOD.search(t):
        return None  # a new search ("any vegan places in Ubud?")
    return _ref_for(focus["slug"])


def _listed_venues(turn: Turn, ctx: ToolContext, now: datetime) -> list:
    """The venues of a short list an hours question points at together ("and what time do
    they open?" after two places were shown, none of them in focus)."""
    state = ctx.dialogue or {}
    t = turn.norm
    results = state.get("results") or []
    if state.get("focus") or not 2 <= len(results) <= 3 or not HOURS_WORDS.search(t):
        return []
    if not (PLURAL_REF.search(t) and _asks(turn)) or find_place(t, _places())[0] or find_category(t)[0]:
        return []
    refs = [_ref_for(item.get("slug")) for item in results]
    return [ref for ref in refs if ref is not None]


def _is_affirmative(text: str) -> bool:
    try:
        from messaging.tools.confirmation import is_affirmative

        return is_affirmative(text)
    except ImportError:
        return normalize(text) in {"yes", "y", "yeah", "yep", "ok", "okay", "sure", "confirm"}


def _is_negative(text: str) -> bool:
    try:
        from messaging.tools.confirmation import is_negative

        return is_negative(text)
    except ImportError:
        return normalize(text) in {"no", "n", "nope", "cancel", "stop"}


def _pending(ctx: ToolContext) -> dict | None:
    try:
        from messaging.tools.confirmation import pending_action_get

        return pending_action_get(user=ctx.user)
    except Exception:
        return None


# --------------------------------------------------------------------------- rendering


def _error_text(result: Any) -> str:
    if isinstance(result, dict):
        message = str(result.get("error") or result.get("message") or "that didn't work")
        names = [
            c.get("name") if isinstance(c, dict) else str(c)
            for c in (result.get("candidates") or result.get("close_matches") or [])
        ]
        names = [n for n in names if n]
        if names:
            message += ". Did you mean: " + ", ".join(names[:5]) + "?"
        if result.get("known_cities"):
            message += " (I know " + ", ".join(result["known_cities"]) + ")"
        return message[0].upper() + message[1:] if message else message
    return str(result)


def _price(level: Any) -> str:
    try:
        return "$" * int(level) if level else ""
    except (TypeError, ValueError):
        return ""


def _first_sentence(text: str, limit: int = 110) -> str:
    text = (text or "").strip()
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rsplit(" ", 1)[0] + "…"


def _venue_line(i: int, venue: dict) -> str:
    bits = [b for b in (venue.get("area"), venue.get("city")) if b]
    facts = [", ".join(dict.fromkeys(bits))]
    if _price(venue.get("price_level")):
        facts.append(_price(venue.get("price_level")))
    if venue.get("rating"):
        facts.append(f"★{venue['rating']:.1f}" if isinstance(venue["rating"], (int, float)) else f"★{venue['rating']}")
    if venue.get("open_now") is True:
        facts.append("open now")
    elif venue.get("open_now") is False:
        facts.append("closed now")
    line = f"{i}. {venue.get('name')} — {' · '.join(f for f in facts if f)}"
    summary = _first_sentence(venue.get("summary", ""))
    return line + (f"\n   {summary}" if summary else "")


def _day_label(day: date | str, now: datetime, language: str = "en") -> str:
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            return day
    if language != "en":
        words = date_words(day, language)
        if day in (now.date(), now.date() + timedelta(days=1)):
            return f"{t_say('today' if day == now.date() else 'tomorrow', language)} ({words})"
        return words
    if day == now.date():
        return f"today ({day:%a %d %b})"
    if day == now.date() + timedelta(days=1):
        return f"tomorrow ({day:%a %d %b})"
    return f"{day:%A %d %B}"


def _render_generic(result: Any) -> str:
    if isinstance(result, dict):
        lines = []
        for key, value in result.items():
            if value in (None, "", [], {}):
                continue
            if isinstance(value, (dict, list)):
                value = json.dumps(value, ensure_ascii=False, default=str)[:200]
            lines.append(f"{key.replace('_', ' ')}: {value}")
        return "\n".join(lines[:12])
    return str(result)[:800]


HELP = (
    "I'm your AGNT concierge for Bali. I can:\n"
    '• find places — "vegan café in Ubud", "beach club in Canggu tonight", "cheap sushi"\n'
    '• tell you about a venue — "opening hours of Kaito Omakase", "does Tidehouse have a kids area?"\n'
    '• check tables and book — "is Luma Trattoria free Friday 8pm for 2?", "book it tomorrow 7pm for 4"\n'
    '• manage bookings — "my bookings", "cancel AG-XXXXXX"\n'
    '• reminders — "remind me to call mum at 6pm"\n'
    '• remember what you like — "I\'m vegetarian", "what do you know about me?"\n'
    "• weather, courier quotes, price watches and a food diary"
)


# --------------------------------------------------------------------------- the planner


@dataclass
class Step:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    reply: str = ""


def _call(name: str, **arguments: Any) -> Step:
    return Step(calls=[(name, {k: v for k, v in arguments.items() if v not in (None, "", [])})])


def _say(text: str) -> Step:
    return Step(reply=text)


class OfflinePlanner:
    """A provider with the same `complete` interface as the model-backed ones."""

    name = "offline"
    uses_system_prompt = False  # it never reads the prompt; skip the weather fetch and memory embedding

    def complete(
        self,
        *,
        system: list[dict[str, Any]],
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        ctx: ToolContext,
    ) -> ModelResponse:
        turn = read_turn(messages)
        refresh_catalogue()
        now = local_now(ctx)
        state = ctx.dialogue if isinstance(ctx.dialogue, dict) else {}
        ctx.dialogue = state
        if not turn.calls:
            state["language"] = detect(
                turn.text, previous=state.get("language") or _channel_language(ctx), hint=_channel_language(ctx)
            )
        turn.language = state.get("language") or "en"
        if turn.language != "en":
            turn.norm = normalize(to_english(turn.text, turn.language))
        available = {tool["name"] for tool in tools}
        step = plan(turn, ctx, now)
        missing = [name for name, _ in step.calls if name not in available]
        if missing:
            step = _say(f"Sorry, I can't do that here: the {missing[0].replace('_', ' ')} tool isn't available.")
        if not step.calls:
            remember_turn(turn, state)
        if step.calls:
            content = [
                {"type": "tool_use", "id": f"toolu_offline_{uuid.uuid4().hex[:20]}", "name": name, "input": arguments}
                for name, arguments in step.calls
            ]
            return ModelResponse(content=content, stop_reason="tool_use")
        return ModelResponse(content=[{"type": "text", "text": step.reply.strip() or HELP}], stop_reason="end_turn")


def plan(turn: Turn, ctx: ToolContext, now: datetime) -> Step:
    intent = classify_in_dialogue(turn, ctx, now) or classify(turn, ctx, now)
    handler = globals().get(f"_plan_{intent.kind}", _plan_help)
    return handler(turn, ctx, now, intent)


def _plan_help(turn, ctx, now, intent) -> Step:
    language = _lang(turn)
    help_text = HELP if language == "en" else t_say("help", language)
    if intent.data.get("greeting"):
        name = getattr(ctx.user, "display_name", "") or getattr(ctx.user, "first_name", "")
        hello = t_say("hi_name", language, name=name) if name else t_say("hi", language)
        return _say(hello + help_text + "\n\n" + t_say("what_mood", language))
    if turn.norm and language == "en":
        return _say(t_say("didnt_catch", language) + help_text)
    return _say(help_text)


def _plan_thanks(turn, ctx, now, intent) -> Step:
    return _say(t_say("welcome", _lang(turn)))


def _plan_photo(turn, ctx, now, intent) -> Step:
    return _say(
        "Nice photo! What would you like me to do with it? Tell me what it is — for example "
        '"log this: nasi goreng for lunch" for your food diary, or "find a place like this in Canggu".'
    )


def _plan_stray_yes(turn, ctx, now, intent) -> Step:
    return _say(t_say("nothing_pending", _lang(turn)))


def _plan_decline(turn, ctx, now, intent) -> Step:
    try:
        from messaging.tools.confirmation import pending_action_clear

        pending_action_clear(user=ctx.user)
    except Exception:
        pass
    dropped = intent.data.get("dropped") or (ctx.dialogue or {}).pop("pending", None)
    if dropped and dropped.get("slug") and ctx.dialogue is not None:
        # "cancel that" then "Luma instead, same time same people": the dropped request's day,
        # time and party at the venue named next (only another venue, named as a switch)
        keep = ("date", "time", "party_size", "children", "special_requests")
        ctx.dialogue["draft"] = {k: dropped[k] for k in keep if dropped.get(k)} | {
            "slug": dropped["slug"],
            "dropped": True,
        }
    if dropped and dropped.get("name") and dropped.get("date") and dropped.get("time"):
        # "actually cancel that": say which request was dropped (it was never sent)
        day = _day_label(dropped["date"], now, _lang(turn))
        return _say(t_say("declined_booking", _lang(turn), venue=dropped["name"], day=day, time=dropped["time"]))
    return _say(t_say("declined", _lang(turn)))


def _plan_confirm(turn, ctx, now, intent) -> Step:
    action = ctx.confirmed_action or {}
    tool = action.get("tool")
    if not tool:
        return _plan_stray_yes(turn, ctx, now, intent)
    done = turn.last(tool)
    if done is None:
        arguments = dict(action.get("arguments") or {})
        arguments["confirmation_id"] = action.get("id")
        return Step(calls=[(tool, arguments)])
    if done.is_error:
        return _say(f"I couldn't complete that: {_error_text(done.result)}")
    result = done.result if isinstance(done.result, dict) else {}
    if tool == "create_booking":
        text = t_say(
            "sent",
            _lang(turn),
            venue=result.get("venue"),
            day=_day_label(result.get("date", ""), now, _lang(turn)),
            time=result.get("time"),
            party=result.get("party_size"),
        )
        if result.get("reference"):
            text += f"\nReference: {result['reference']}"
        if result.get("deposit"):
            text += f"\nDeposit: {result['deposit']}"
        text += "\n" + t_say("not_yet", _lang(turn))
        return _say(text)
    if tool == "transport_book":
        text = "Courier booked"
        if result.get("order_id"):
            text += f" (order {result['order_id']})"
        if result.get("price"):
            text += f", {result['price']}"
        text += "."
        if result.get("tracking_url"):
            text += f"\nTrack it here: {result['tracking_url']}"
        if result.get("note"):
            text += f"\n{result['note']}"
        return _say(text)
    return _say("Done.\n" + _render_generic(result))


# -- venues ---------------------------------------------------------------------------


def _search_args(turn: Turn, now: datetime, *, rest: str | None = None) -> tuple[dict[str, Any], str]:
    text = turn.norm if rest is None else rest
    when, text = parse_when(text, now, prefer_evening=True, **_date_hints(turn))
    party = party_size(text)
    text = re.sub(
        rf"\b(?:for|party of|table for|group of)\s+{NUM_PATTERN}\b(?:\s*(?:people|persons|pax|guests|ppl))?|\b{NUM_PATTERN}\s*(?:people|persons|pax|guests|ppl)\b",
        " ",
        text,
    )
    place, text = find_place(text, _places())
    if place is None:
        place = fuzzy_place(text)
        if place is not None:
            text = " ".join(w for w in text.split() if fuzzy_place(w) is None)
    category, text = find_category(text)
    if category is None:
        category, text = fuzzy_category(text)
    price_cap, text = find_price_cap(text)
    kids, text = find_kids(text)
    text = re.sub(r"\bgluten[- ]?free\b", "gluten-free", text)
    args: dict[str, Any] = {"limit": 5}
    query = query_words(text)
    if query:
        args["query"] = query
    if place:
        args["city" if place.kind == "city" else "area"] = place.name
    if category:
        args["category"] = category
    if price_cap:
        args["price_level_max"] = price_cap
    if party:
        args["party_size"] = party
    if kids:
        args["kids"] = True
    if when.day or when.at:
        moment = datetime.combine(
            when.day or now.date(),
            when.at or (now.time() if (when.day or now.date()) == now.date() else time(19, 30)),
            tzinfo=now.tzinfo,
        )
        if when.soft and moment.date() == now.date() and moment < now:
            moment = now  # "tonight" said at 22:30 means from now on, not 19:30 already gone
        if moment > now - timedelta(minutes=5):
            args["open_at"] = moment.replace(tzinfo=None, second=0, microsecond=0).isoformat(timespec="minutes")
    elif re.search(r"\bopen now\b|\bright now\b", turn.norm):
        args["open_at"] = now.replace(tzinfo=None, second=0, microsecond=0).isoformat(timespec="minutes")
    return args, ""


def _relaxed(args: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """One filter less, most specific first, with words saying what was dropped (a diet is dropped last)."""
    order = [
        ("open_at", "the time"),
        ("price_level_max", "the price limit"),
        ("party_size", "the party size"),
        ("query", "the keywords"),
        ("area", "the area"),
        ("category", "the type of place"),
    ]
    if any(diet in str(args.get("query", "")) for diet in DIETS):
        order = [pair for pair in order if pair[0] != "query"] + [("query", "the keywords")]
    for key, label in order:
        if key in args and len(args) > 2:  # keep at least one real filter besides limit
            smaller = {k: v for k, v in args.items() if k != key}
            return smaller, label
    return None


def _plan_search(turn, ctx, now, intent) -> Step:
    searches = turn.called("venue_search")
    if not searches:
        if intent.data.get("filters"):
            place = intent.data.get("place")
            args = dict(intent.data["filters"])
            if place is not None:
                args = {k: v for k, v in args.items() if k not in {"city", "area"}}
                args["city" if place.kind == "city" else "area"] = place.name
            args["limit"] = 5
            return Step(calls=[("venue_search", args)])
        args, _ = _search_args(turn, now)
        if "category" not in args and re.search(r"\b(dinner|lunch|eat|eats|food|meal|cuisine|dine)\b", turn.norm):
            # "dinner" is a restaurant; "vegan food" may well be a café
            if re.search(r"\b(dinner|lunch|meal|dine)\b", turn.norm) or not any(
                diet in args.get("query", "") for diet in DIETS
            ):
                args["category"] = "restaurant"
        diet = _diet_word(ctx)
        if diet and args.get("category", "restaurant") in {"restaurant", "cafe"} and diet not in args.get("query", ""):
            args["query"] = (args.get("query", "") + " " + diet).strip()
        return Step(calls=[("venue_search", args)])
    last = searches[-1]
    if last.is_error:
        if len(searches) < MAX_SEARCHES and "category" in last.input:
            return Step(calls=[("venue_search", {k: v for k, v in last.input.items() if k != "category"})])
        return _say(f"I couldn't search that: {_error_text(last.result)}")
    venues = (last.result or {}).get("venues") or [] if isinstance(last.result, dict) else []
    if not venues and len(searches) < MAX_SEARCHES:
        relaxed = _relaxed(last.input)
        if relaxed:
            return Step(calls=[("venue_search", relaxed[0])])
    if not venues:
        return _say(t_say("nothing_found", _lang(turn)))
    first_args = searches[0].input
    header = _search_header(last.input, now, _lang(turn))
    if len(searches) > 1:
        dropped = [
            t_say(label, _lang(turn))
            for key, label in (
                ("query", "drop_query"),
                ("open_at", "drop_time"),
                ("price_level_max", "drop_price"),
                ("party_size", "drop_party"),
                ("area", "drop_area"),
                ("category", "drop_category"),
            )
            if key in first_args and key not in last.input
        ]
        header = t_say("relaxed", _lang(turn), dropped=", ".join(dropped) or t_say("drop_some", _lang(turn)))
    lines = [header] + [_venue_line(i, v) for i, v in enumerate(venues, 1)]
    lines.append("\n" + t_say("more", _lang(turn), name=venues[0].get("name")))
    return _say("\n".join(lines))


def _search_header(args: dict[str, Any], now: datetime, language: str = "en") -> str:
    category = args.get("category", "")
    what = category_words(category or "places", language, CATEGORY_LABELS.get(category, "places"))
    if args.get("query"):
        what = f"{args['query']} — {what}" if category else t_say("places_for", language, query=args["query"])
    where = args.get("area") or args.get("city")
    header = t_say("found", language, what=what, where=t_say("where", language, place=where) if where else "")
    if language != "en":
        return header
    header = header.rstrip(":")
    if args.get("open_at"):
        moment = datetime.fromisoformat(args["open_at"])
        header += f", open {_day_label(moment.date(), now).split(' (')[0]} at {moment:%H:%M}"
    if args.get("price_level_max"):
        header += f", up to {_price(args['price_level_max'])}"
    if args.get("kids"):
        header += ", welcoming kids"
    return header + ":"


def _venue_required(intent: Intent, language: str) -> Step | None:
    if intent.data.get("venue") is None:
        return _say(t_say("which_venue_tables", language))
    return None


def _plan_details(turn, ctx, now, intent) -> Step:
    venue = intent.data["venue"]
    done = turn.last("venue_details")
    if done is None:
        return _call("venue_details", venue=venue.slug)
    if done.is_error:
        return _say(_error_text(done.result))
    if not (QUESTION_START.match(turn.norm) or "?" in turn.text):
        # "need a massage at Lotus Tide on Saturday", "at Maison Frangipani" after a dinner
        # search: the venue and the day or time said so far wait for "2pm, 2 people"
        _keep_draft(ctx, turn, now, venue.slug, _looked_at_request(ctx, venue.slug), soft=True)
    text = render_details(done.result, now, focus=turn.norm, language=_lang(turn))
    concerns = [f"{a} allergy" for a in _allergies(ctx)] + ([d] if (d := _diet_word(ctx)) else [])
    if MORE_ABOUT.search(turn.norm) and not concerns:
        # "tell me more about it": the venue's own highlights (dishes, treatments) from its knowledge
        asked = turn.last("ask_venue")
        if asked is None:
            return _call("ask_venue", question=HIGHLIGHTS, venue=venue.slug)
        passages = (asked.result or {}).get("passages") or [] if isinstance(asked.result, dict) else []
        passages = [p for p in passages if p.get("venue_slug") == venue.slug][:1]
        if passages:
            body, _, offer = text.rpartition("\n\n")
            quote = render_passages(passages, venue_name=venue.name, question=HIGHLIGHTS, language=_lang(turn))
            text = f"{body}\n\n{quote}\n\n{offer}"
    if concerns:
        asked = turn.last("ask_venue")
        if asked is None:
            return _call("ask_venue", question=" ".join(concerns), venue=venue.slug)
        passages = (asked.result or {}).get("passages") or [] if isinstance(asked.result, dict) else []
        found = [
            sentence
            for p in passages
            if p.get("venue_slug") == venue.slug
            for sentence in answer_sentences(str(p.get("text", "")), " ".join(concerns), limit=1)
            if any(c.split()[0][:4] in sentence.lower() for c in concerns)
        ]
        note = (
            f"For your {', '.join(concerns)}: “{found[0]}” — {venue.name}, venue information"
            if found
            else f"For your {', '.join(concerns)}: {venue.name}'s information doesn't say — ask them before you go."
        )
        body, _, offer = text.rpartition("\n\n")  # the note goes above the closing "want a table?"
        text = f"{body}\n{note}\n\n{offer}"
    return _say(text)


MORE_ABOUT = re.compile(r"\b(?:tell me more|more about|more info(?:rmation)?|more details)\b")
# what a venue's knowledge says it is known for, asked when the guest wants to hear more
HIGHLIGHTS = "signature dishes favourites specialities treatments highlights"


def render_details(d: dict, now: datetime, *, focus: str = "", language: str = "en") -> str:
    category = (
        CATEGORY_LABELS.get(d.get("category", ""), d.get("category", "")).rstrip("s") if d.get("category") else ""
    )
    where = ", ".join(dict.fromkeys(b for b in (d.get("area"), d.get("city")) if b))
    lines = [f"{d.get('name')}" + (f" — {category}" if category else "") + (f" in {where}" if where else "")]
    facts = []
    if d.get("rating"):
        facts.append(f"★{d['rating']}" + (f" ({d['rating_count']} ratings)" if d.get("rating_count") else ""))
    if _price(d.get("price_level")):
        facts.append(_price(d.get("price_level")))
    if d.get("average_spend"):
        facts.append(f"about {d['average_spend']} per person")
    if d.get("open_now") is not None:
        facts.append(t_say("open_now" if d["open_now"] else "closed_now", language))
    if facts:
        lines.append(" · ".join(facts))
    if d.get("description"):
        more = MORE_ABOUT.search(focus) and len(d["description"]) <= 400
        lines.append(" ".join(d["description"].split()) if more else _first_sentence(d["description"], 240))
    hours = d.get("opening_hours") or {}
    if hours:
        today_key = now.strftime("%a").lower()[:3]
        if re.search(r"\b(open|opens|opening|close|closes|closing|hours)\b", focus):
            lines.append(t_say("opening_hours", language))
            lines.extend(
                f"  {weekday_name(DAY_KEYS.index(day), language) if day in DAY_KEYS else day.capitalize()}: "
                + (t_say("closed_word", language) if value == "closed" else value)
                for day, value in hours.items()
            )
        elif today_key in hours:
            today = hours[today_key]
            lines.append(
                t_say("hours_today", language, hours=t_say("closed_word", language) if today == "closed" else today)
            )
    if d.get("address"):
        lines.append(t_say("address", language, address=d["address"]))
    policy = d.get("policy") or {}
    rules = []
    party = policy.get("party_size") or {}
    if party.get("min") or party.get("max"):
        rules.append(t_say("rule_groups", language, min=party.get("min", 1), max=party.get("max")))
    if policy.get("deposit"):
        rules.append(t_say("rule_deposit", language, x=policy["deposit"]))
    elif "deposit" in policy and re.search(r"\b(?:deposit|prepa(?:id|y))\b", focus):
        rules.append(t_say("rule_no_deposit", language))  # asked, and the venue takes none
    if policy.get("minimum_spend"):
        rules.append(t_say("rule_min_spend", language, x=policy["minimum_spend"]))
    if policy.get("kids_allowed") is not None:
        rules.append(t_say("rule_kids" if policy["kids_allowed"] else "rule_no_kids", language))
    if policy.get("min_guest_age"):
        rules.append(t_say("rule_min_age", language, age=policy["min_guest_age"]))
    if policy.get("dress_code"):
        rules.append(t_say("rule_dress", language, x=policy["dress_code"]))
    if policy.get("cancellation_window_hours"):
        rules.append(t_say("rule_cancel", language, h=policy["cancellation_window_hours"]))
    if rules:
        lines.append(t_say("booking_rules", language, rules="; ".join(rules)))
    contact = {k: v for k, v in (d.get("contact") or {}).items() if v}
    if contact:
        lines.append(t_say("contact", language, contact=" · ".join(f"{k} {v}" for k, v in contact.items())))
    lines.append("\n" + t_say("want_table", language, name=d.get("name")))
    return "\n".join(lines)


def _plan_ask(turn, ctx, now, intent) -> Step:
    venue = intent.data["venue"]
    language = _lang(turn)
    # what was asked, without the venue's own name (its words are in every sentence about it)
    topic = intent.data.get("rest") or turn.norm
    if FOR_ME.search(topic):
        # "is Dapur Rempah ok for me?": the guest's remembered allergies and diet are the question
        concerns = [f"{a} allergy" for a in _allergies(ctx)] + ([d] if (d := _diet_word(ctx)) else [])
        topic = " ".join([topic, *concerns])
    asked = turn.last("ask_venue")
    if asked is None:
        when = parse_when(turn.norm, now, prefer_evening=True, **_date_hints(turn))[0]
        if when.day or when.moment or (when.at and not when.soft):
            # "thinking Sayan Ridge on saturday, what do you think?": the venue and the day said
            # so far wait for "let's say 6pm, the two of us"
            _keep_draft(ctx, turn, now, venue.slug, _looked_at_request(ctx, venue.slug), soft=True)
        question = turn.text if language == "en" else turn.norm  # the venue knowledge is in English
        if topic != (intent.data.get("rest") or turn.norm):
            question = f"{question} {topic}"  # the remembered allergies and diet are asked too
        return _call("ask_venue", question=question[:480], venue=venue.slug)
    if asked.is_error:
        return _say(_error_text(asked.result))
    passages = (asked.result or {}).get("passages") or [] if isinstance(asked.result, dict) else []
    if passages:
        if venue_name_only := [p for p in passages if p.get("venue_slug") in (None, venue.slug)]:
            passages = venue_name_only
    answered = bool(passages) and _passages_answer(passages, topic, language)
    details = turn.last("venue_details")
    if details is None and (not answered or POLICY_TOPIC.search(topic)):
        # the booking rules answer for kids, age and deposit whatever the knowledge says
        return _call("venue_details", venue=venue.slug)
    result = details.result if details is not None and not details.is_error and isinstance(details.result, dict) else {}
    rules = policy_facts(result, topic, language)
    if answered:
        text = render_passages(passages, venue_name=venue.name, question=topic, language=language)
        if rules:
            text += "\n" + t_say("policy_says", language, name=venue.name, rules="; ".join(rules))
        return _say(text)
    if rules:
        return _say(t_say("policy_says", language, name=venue.name, rules="; ".join(rules)))
    text = t_say("no_answer", language, name=venue.name)
    contact = {k: v for k, v in (result.get("contact") or {}).items() if v}
    if contact:
        text += t_say("ask_them", language, contact=" · ".join(f"{k} {v}" for k, v in contact.items()))
    return _say(text)


FOR_ME = re.compile(
    r"\b(?:(?:ok|okay|safe|suitable|good|fine|alright) for (?:me|us|him|her|them|my \w+|our \w+|the \w+)|"
    r"can (?:i|he|she|we|they) eat|could (?:i|he|she|we|they) eat)\b"
)


def _passages_answer(passages: list[dict], question: str, language: str = "en") -> bool:
    """Does any sentence of the passages speak to what was asked? A question no sentence
    mentions ("can I smoke inside?") is not answered by the venue's first sentences; a vague
    one ("is it any good?") is, unless its words could not be read (Russian ones the lexicon
    does not know are gone from the English reading)."""
    needles = _ask_needles(question) - _VAGUE
    if not needles:
        return language != "ru"
    return any(_ask_score(str(p.get("text", "")), needles) for p in passages)


POLICY_TOPIC = re.compile(
    r"\b(?:deposit|prepa(?:id|y)|kids?|child|children|sons?|daughters?|bab(?:y|ies)|toddlers?|teens?|teenagers?|"
    r"adults? only|minimum age|\d+ ?(?:yo|y/?o|years? old))\b"
)


def policy_facts(d: dict, question: str, language: str = "en") -> list[str]:
    """The venue's booking rules on the topic asked (deposit, kids and age, dress code,
    cancellation, minimum spend), in the guest's language."""
    policy = d.get("policy") or {}
    facts = []
    if re.search(r"\b(?:deposit|prepa(?:id|y))\b", question) and "deposit" in policy:
        deposit = policy.get("deposit")
        facts.append(t_say("rule_deposit", language, x=deposit) if deposit else t_say("rule_no_deposit", language))
    if re.search(
        r"\b(?:kids?|child|children|sons?|daughters?|bab(?:y|ies)|toddlers?|teens?|teenagers?|age|adults?|\d+ ?(?:yo|y/?o|years? old))\b",
        question,
    ):
        if policy.get("kids_allowed") is not None:
            facts.append(t_say("rule_kids" if policy["kids_allowed"] else "rule_no_kids", language))
        if policy.get("min_guest_age"):
            facts.append(t_say("rule_min_age", language, age=policy["min_guest_age"]))
    if re.search(r"\bdress\b|\battire\b", question) and policy.get("dress_code"):
        facts.append(t_say("rule_dress", language, x=policy["dress_code"]))
    if re.search(r"\bcancell?(?:ation|ing)?\b", question) and policy.get("cancellation_window_hours"):
        facts.append(t_say("rule_cancel", language, h=policy["cancellation_window_hours"]))
    if re.search(r"\bminimum spend\b", question) and policy.get("minimum_spend"):
        facts.append(t_say("rule_min_spend", language, x=policy["minimum_spend"]))
    return facts


def hours_answer(d: dict, day: date | None, now: datetime, language: str = "en") -> str:
    """A venue's opening hours as an answer: that day's when a day was asked, else the week."""
    name = d.get("name") or ""
    hours = d.get("opening_hours") or {}
    if day is not None:
        value = hours.get(DAY_KEYS[day.weekday()])
        if value is None:
            return render_details(d, now, focus="hours", language=language).split("\n\n")[0]
        label = _day_label(day, now, language)
        if value == "closed":
            return t_say("closed_on_day", language, name=name, day=label)
        text = t_say("hours_on_day", language, name=name, day=label, hours=value)
        if day == now.date() and d.get("open_now") is not None:
            text = f"{text.rstrip('.')} ({t_say('open_now' if d['open_now'] else 'closed_now', language)})."
        return text
    values = [hours.get(key) for key in DAY_KEYS]
    if values and all(v == values[0] and v and v != "closed" for v in values):
        return t_say("hours_daily", language, name=name, hours=values[0])
    lines = [t_say("hours_of", language, name=name)]
    lines.extend(
        f"  {weekday_name(index, language)}: {t_say('closed_word', language) if v == 'closed' else v}"
        for index, v in enumerate(values)
        if v
    )
    return "\n".join(lines)


def _plan_hours(turn, ctx, now, intent) -> Step:
    """ "Is it open on Sunday?", "а во сколько они открываются?": the hours of the venue (or
    of each listed venue) asked about, for the day named or the week."""
    refs = intent.data["venues"]
    language = _lang(turn)
    done = {call.input.get("venue"): call for call in turn.called("venue_details")}
    missing = [ref for ref in refs if ref.slug not in done]
    if missing:
        return Step(calls=[("venue_details", {"venue": ref.slug}) for ref in missing])
    day = _asked_day(turn, intent.data.get("rest") or turn.norm, now)
    if len(refs) == 1:
        call = done[refs[0].slug]
        if call.is_error:
            return _say(_error_text(call.result))
        if day is None:
            return _say(render_details(call.result, now, focus="hours", language=language))
        _remember_asked_day(ctx, refs[0].slug, day)
        return _say(hours_answer(call.result, day, now, language))
    answers = [
        _error_text(done[ref.slug].result)
        if done[ref.slug].is_error
        else hours_answer(done[ref.slug].result, day, now, language)
        for ref in refs
    ]
    return _say("\n".join(answers))


def _plan_ask_general(turn, ctx, now, intent) -> Step:
    asked = turn.last("ask_venue")
    if asked is None:
        place, _ = find_place(turn.norm, _places())
        return _call("ask_venue", question=turn.text[:480], city=place.city if place else None)
    passages = (
        (asked.result or {}).get("passages") or [] if isinstance(asked.result, dict) and not asked.is_error else []
    )
    if passages:
        return _say(render_passages(passages, question=turn.norm, language=_lang(turn)))
    language = _lang(turn)
    help_text = HELP.split("\n", 1)[1] if language == "en" else t_say("help", language)
    return _say(t_say("no_info", language) + " " + help_text)


_ASK_SYNONYMS = {
    "kid": ("kid", "child", "famil", "older", "18+", "adult", "aged", "over-"),
    "child": ("kid", "child", "famil", "older", "18+", "adult", "aged", "over-"),
    "year": ("aged", "older", "child", "kid", "18+"),
    "toddl": ("child", "kid", "aged", "older"),
    "baby": ("child", "kid", "aged", "older"),
    "son": ("kid", "child", "famil", "older", "18+", "adult", "aged"),
    "daugh": ("kid", "child", "famil", "older", "18+", "adult", "aged"),
    "teen": ("kid", "child", "older", "18+", "adult", "aged"),
    "yo": ("aged", "older", "child", "kid", "18+", "adult"),
    "open": ("open", "close", "closed", "until"),
    "close": ("open", "close", "closed", "until"),
    "wheel": ("wheelchair", "step-free", "accessib", "ramp"),
    "acces": ("wheelchair", "step-free", "accessib", "ramp"),
    "disab": ("wheelchair", "step-free", "accessib", "ramp"),
    "wlan": ("wifi", "wi-fi", "laptop"),
    "wi-fi": ("wifi", "wi-fi", "laptop"),
    "internet": ("wifi", "wi-fi"),
    "park": ("parking", "valet", "park "),
    "card": ("card", "cash", "qris", "visa", "amex", "mastercard"),
    "pay": ("card", "cash", "qris", "visa", "amex", "mastercard"),
    "cash": ("card", "cash", "qris"),
    "wifi": ("wifi", "wi-fi", "laptop"),
    "vegan": ("vegan", "plant"),
    "veget": ("vegetarian", "vegan"),
    "glute": ("gluten",),
    "coeli": ("gluten",),
    "age": ("older", "18+", "age"),
    "view": ("view",),
    "cooki": ("cooking", "class"),
    "class": ("class",),
    "dress": ("dress", "casual", "jersey", "flip-flop"),
    "depos": ("deposit",),
    "nut": ("nut",),
    "peanu": ("nut", "peanut"),
    "shell": ("shellfish", "seafood"),
}
_WHOLE_WORD_KEYS = {"son", "yo"}
# words too vague to show that a sentence answers the question
_VAGUE = {"good", "nice", "like", "worth", "place", "speci", "great", "cool", "best", "really", "allow", "bring"}
_ASK_STOP = set(
    "does do is are can could there have has any what whats the a an at in of for to it they them their my i me "
    "and with about tell you your we our us get how much till until".split()
)


def _ask_needles(question: str) -> set[str]:
    """What an answer to ``question`` would mention: its words' stems and their synonyms
    ("wheelchair" → step-free, accessible; "5 year old" → aged, children; "WLAN" → wifi)."""
    words = [w for w in re.findall(r"[a-z0-9+-]+", normalize(question)) if w not in _ASK_STOP]
    needles: set[str] = set()
    for word in words:
        if len(word) > 2:
            needles.add(word[:5])
        for key, synonyms in _ASK_SYNONYMS.items():
            # "son" and "yo" ("12 yo") name themselves only, not "sonic" or "yoga"
            if word in (key, key + "s") if key in _WHOLE_WORD_KEYS else word.startswith(key):
                needles.update(synonyms)
    return needles


def _ask_score(sentence: str, needles: set[str]) -> int:
    """How many of the needles start a word of ``sentence`` ("nut" in "nut-free", not "coconut")."""
    lower = sentence.lower()
    return sum(1 for needle in needles if needle and re.search(r"(?<![a-z-])" + re.escape(needle), lower))


def answer_sentences(text: str, question: str, *, limit: int = 2) -> list[str]:
    """The whole sentences of ``text`` that answer ``question`` best (in their original order)."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])", " ".join(text.split())) if s.strip()]
    needles = _ask_needles(question)
    scored = []
    for index, sentence in enumerate(sentences):
        score = _ask_score(sentence, needles)
        if score:
            scored.append((score, index))
    if not scored:
        return sentences[:limit]
    best = sorted(scored, key=lambda pair: (-pair[0], pair[1]))[:limit]
    top = best[0][0]
    chosen = sorted(i for score, i in best if score >= max(1, top - 1))
    out: list[str] = []
    for position, i in enumerate(chosen):
        if position and i != chosen[position - 1] + 1:
            out.append("…")
        out.append(sentences[i])
    return out


def render_passages(
    passages: list[dict], *, venue_name: str | None = None, question: str = "", language: str = "en"
) -> str:
    lines = [t_say("known_about", language, name=venue_name) if venue_name else t_say("known", language)]
    # the passages that mention what was asked first (the search ranks by words, not meaning)
    needles = _ask_needles(question)
    passages = sorted(passages, key=lambda p: -_ask_score(str(p.get("text", "")), needles))
    for passage in passages[:3]:
        citation = passage.get("citation") or {}
        source = citation.get("title") or citation.get("source") or "venue information"
        url = citation.get("url")
        excerpt = " ".join(answer_sentences(str(passage.get("text", "")), question))
        venue = passage.get("venue") or citation.get("venue") or ""
        where = ", ".join(
            part
            for part in (
                f"“{citation['section']}”" if citation.get("section") else "",
                f"p. {citation['page']}" if citation.get("page") else "",
            )
            if part
        )
        lines.append(
            f"• {excerpt}\n  — {venue}{', ' if venue else ''}{source}{', ' + where if where else ''}"
            f"{' (' + url + ')' if url else ''}"
        )
    return "\n".join(lines)


# -- availability and booking ---------------------------------------------------------


def _slots_text(slots: list[str], limit: int = 12) -> str:
    shown = slots[:limit]
    return ", ".join(shown) + (f" (and {len(slots) - limit} more)" if len(slots) > limit else "")


def _plan_availability(turn, ctx, now, intent) -> Step:
    need = _venue_required(intent, _lang(turn))
    if need:
        return need
    venue = intent.data["venue"]
    when, rest = parse_when(intent.data["rest"], now, prefer_evening=True, **_date_hints(turn))
    # a follow-up ("and Saturday?", "what about 9pm?") keeps what the last check had
    defaults = intent.data.get("defaults") or {}
    party = party_size(rest) or defaults.get("party_size")
    done = turn.last("check_availability")
    if done is None:
        if when.moment:
            day, at = when.moment.date(), when.moment.strftime("%H:%M")
        else:
            day = when.day or _iso_day(defaults.get("date")) or now.date()
            at = when.at.strftime("%H:%M") if when.at and not when.soft else None
            if at is None and not when.at and defaults.get("asked_time"):
                at = defaults["asked_time"]
        return _call("check_availability", venue=venue.slug, date=day.isoformat(), party_size=party or 2, time=at)
    if done.is_error:
        return _say(_error_text(done.result))
    text = render_availability(done.result, now, _lang(turn))
    if not party:
        text += "\n" + t_say("assumed_two", _lang(turn))
    return _say(text)


def _reason_words(r: dict, language: str) -> str:
    """The tool's reason in the guest's language (its own English words when it sent no code)."""
    if r.get("reason_code"):
        return t_reason(r["reason_code"], language, r.get("reason_values") or {}, fallback=str(r.get("reason") or ""))
    return str(r.get("reason") or "")


def render_availability(r: dict, now: datetime, language: str = "en") -> str:
    day = _day_label(r.get("date", ""), now, language)
    name, party = r.get("venue"), r.get("party_size")
    slots = r.get("free_slots") or []
    why = _reason_words(r, language)
    if r.get("requested_time"):
        wanted = r["requested_time"]
        if r.get("available"):
            if language != "en":
                return t_say("free_at", language, time=wanted, day=day, name=name, party=party)
            return (
                f"Good news: {wanted} {day} is free at {name} for {party}.\n"
                f'Shall I request it? Say "book {name} {r.get("date")} {wanted} for {party}".'
            )
        alternatives = r.get("alternatives") or []
        text = t_say(
            "not_free_at", language, time=wanted, day=day, name=name, party=party, why=f" ({why})" if why else ""
        )
        if alternatives:
            text += "\n" + t_say("closest_times", language, slots=_slots_text(alternatives))
        elif slots:
            text += "\n" + t_say("free_times_day", language, day=day, party=party, slots=_slots_text(slots))
        return text
    if not slots:
        return t_say("no_tables", language, name=name, day=day, party=party, why=f": {why}" if why else "")
    return t_say(
        "free_times_at",
        language,
        name=name,
        day=day,
        party=party,
        slots=_slots_text(slots),
        date=r.get("date"),
        first=slots[0],
    )


def _named_among(venues: list[dict], text: str) -> VenueRef | None:
    """The one venue among ``venues`` whose name holds a distinctive word of ``text``."""
    said = set(re.findall(r"[a-z]{4,}", text)) - STOPWORDS - GENERIC_WORDS
    said -= {w for w in said if find_category(w)[0] or find_place(w, _places())[0]}
    hits = [
        v for v in venues if v.get("slug") and said & set(re.findall(r"[a-z]{4,}", normalize(str(v.get("name") or ""))))
    ]
    if len(hits) != 1:
        return None
    return VenueRef(name=str(hits[0].get("name")), slug=str(hits[0]["slug"]), alias="")


def _plan_book(turn, ctx, now, intent) -> Step:
    venue = intent.data.get("venue") or _booking_target(turn, ctx)
    if venue is None:
        search = turn.last("venue_search")
        if search is None:
            args, _ = _search_args(turn, now)
            args.pop("open_at", None)
            if len(args) > 1:
                return Step(calls=[("venue_search", args)])
            _keep_draft(ctx, turn, now, None)
            return _say(t_say("which_venue_book", _lang(turn)))
        venues = (
            (search.result or {}).get("venues") or [] if isinstance(search.result, dict) and not search.is_error else []
        )
        if not venues:
            return _say(t_say("which_venue_unclear", _lang(turn)))
        named = _named_among(venues, turn.norm)
        if named is not None:
            # "booking Boreh …": a word of one found venue's own name, shared by no other
            # venue found, names it (the word may be too common in descriptions to be an alias)
            return _plan_book(turn, ctx, now, Intent("book", {**intent.data, "venue": named}))
        _keep_draft(ctx, turn, now, None)
        lines = [t_say("which_one_book", _lang(turn))] + [_venue_line(i, v) for i, v in enumerate(venues, 1)]
        lines.append("\n" + t_say("which_one_example", _lang(turn), name=venues[0].get("name")))
        return _say("\n".join(lines))
    when, rest = parse_when(intent.data["rest"], now, prefer_evening=True, **_date_hints(turn))
    defaults = intent.data.get("defaults") or _standing_request(ctx, venue.slug)
    party = party_size(rest) or defaults.get("party_size")
    day = when.moment.date() if when.moment else when.day or _iso_day(defaults.get("date")) or now.date()
    at = when.moment.time() if when.moment else (when.at if when.at and not when.soft else None)
    if at is None and defaults.get("time"):
        at = time.fromisoformat(defaults["time"])
    if at is None and when.at:
        at = when.at
    if not party:
        draft = _keep_draft(ctx, turn, now, venue.slug, defaults)
        return _say(_ask_for_party(venue.name, draft, now, _lang(turn)))
    booking = turn.last("create_booking")
    availability = turn.last("check_availability")
    if at is None:
        if availability is None:
            return _call("check_availability", venue=venue.slug, date=day.isoformat(), party_size=party)
        if availability.is_error:
            return _say(_error_text(availability.result))
        return _say(render_availability(availability.result, now, _lang(turn)))
    if booking is None:
        special = _special_requests(turn.norm) or defaults.get("special_requests")
        children = children_count(rest) if party_size(rest) else defaults.get("children", 0)
        args = {"children": children} if children else {}
        return _call(
            "create_booking",
            venue=venue.slug,
            date=day.isoformat(),
            time=at.strftime("%H:%M"),
            party_size=party,
            special_requests=special,
            **args,
        )
    return _booking_answer(turn, ctx, now, booking, venue.slug, day.isoformat(), party)


def _booking_target(turn: Turn, ctx: ToolContext):
    """The venue a booking that names none is for: the one just talked about ("ok cool, book a
    booth Thursday 9pm for 4" after a question about it), or the top one of the list just shown
    ("nice, book it for Saturday") — the summary names it before the guest's yes. A message
    naming a kind of place or an area asks for a new search instead."""
    t = turn.norm
    if turn.called("venue_search") or find_category(t)[0] or find_place(t, _places())[0]:
        return None
    state = ctx.dialogue or {}
    focus = state.get("focus")
    if focus:
        return _ref_for(focus["slug"])
    results = state.get("results") or []
    if results and refers_to_focus(t):
        return _ref_for(results[0]["slug"])
    return None


def _looked_at_request(ctx: ToolContext, slug: str) -> dict:
    """The day, time and party of the guest's search for a venue they look at: one it listed,
    or any venue named right after it ("dinner tomorrow at 7:30" → "at Maison Frangipani")."""
    state = ctx.dialogue or {}
    if (state.get("topic") or {}).get("kind") == "search":
        return dict(state.get("request") or {})
    return _standing_request(ctx, slug)


def _plan_hours_on(turn, ctx, now, intent) -> Step:
    """The opening hours of the venue in focus on the day the follow-up names ("what about Thursday?")."""
    venue = intent.data["venue"]
    done = turn.last("venue_details")
    if done is None:
        return _call("venue_details", venue=venue.slug)
    if done.is_error:
        return _say(_error_text(done.result))
    r = done.result if isinstance(done.result, dict) else {}
    when, _ = parse_when(intent.data["rest"], now, prefer_evening=False, **_date_hints(turn))
    day = when.moment.date() if when.moment else when.day or now.date()
    _remember_asked_day(ctx, venue.slug, day)
    return _say(hours_answer({"name": venue.name, **r}, day, now, _lang(turn)))


def _remember_asked_day(ctx: ToolContext, slug: str, day: date) -> None:
    """The day a guest asked a venue's hours for: "ok book us in for 6:30pm then" means that day."""
    if ctx.dialogue is not None:
        ctx.dialogue["asked_day"] = {"slug": slug, "date": day.isoformat()}


def _standing_request(ctx: ToolContext, slug: str) -> dict:
    """The day, time and party of the search that listed ``slug`` ("brunch in ubud sat for 3
    around 10" → "book awan brunch house then")."""
    state = ctx.dialogue or {}
    if any(ref.get("slug") == slug for ref in state.get("results") or []):
        return dict(state.get("request") or {})
    asked = state.get("asked_day") or {}
    if asked.get("slug") == slug and asked.get("date"):
        return {"date": asked["date"]}
    return {}


def _ask_for_party(name: str, draft: dict, now: datetime, language: str) -> str:
    """The question for what a booking still lacks, saying back what the guest already gave."""
    day = _iso_day(draft.get("date"))
    known = ""
    if day:
        known = t_say("book_known_day", language, day=_day_label(day, now, language))
        if draft.get("time"):
            known = t_say("book_known_day_time", language, day=_day_label(day, now, language), time=draft["time"])
    missing = "ask_party" if day and draft.get("time") else "ask_party_time" if day else "ask_party_day_time"
    return t_say("happy_to_book", language, name=name, known=known) + " " + t_say(missing, language)


def _keep_draft(
    ctx: ToolContext, turn: Turn, now: datetime, slug: str | None, defaults: dict | None = None, *, soft: bool = False
) -> dict:
    """A booking the guest started but left incomplete ("book luma tomorrow", "I want to book
    dinner"): what they did say, so the answer to the question ("2 ppl at 6pm", "Karang Cliff
    Kitchen, Saturday 6pm") completes it."""
    when, rest = parse_when(turn.norm, now, prefer_evening=True, **_date_hints(turn))
    draft = {k: v for k, v in (defaults or {}).items() if k in {"date", "time", "party_size", "children"} and v}
    draft["slug"] = slug
    day = when.moment.date() if when.moment else when.day
    at = when.moment.time() if when.moment else (when.at if when.at and not when.soft else None)
    if day:
        draft["date"] = day.isoformat()
    if at:
        draft["time"] = at.strftime("%H:%M")
    if party_size(rest):
        draft["party_size"] = party_size(rest)
        draft["children"] = children_count(rest)
    if soft:
        draft["soft"] = True
    ctx.dialogue["draft"] = draft
    return draft


def _iso_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _booking_answer(turn, ctx, now, booking, slug, day_iso, party) -> Step:
    availability = turn.last("check_availability")
    result = booking.result if isinstance(booking.result, dict) else {}
    day = _iso_day(day_iso) or now.date()
    if booking.is_error:
        if availability is None:
            return _call("check_availability", venue=slug, date=day.isoformat(), party_size=party)
        language = _lang(turn)
        failure = booking.result if isinstance(booking.result, dict) else {}
        if failure.get("reason_code"):
            text = t_say("cant_request", language, reason=_reason_words(failure, language))
        else:
            text = f"I can't request that: {_error_text(booking.result)}"
        if (
            not availability.is_error
            and isinstance(availability.result, dict)
            and availability.result.get("free_slots")
        ):
            text += "\n" + t_say(
                "free_times_day",
                language,
                day=_day_label(day, now, language),
                party=party,
                slots=_slots_text(availability.result["free_slots"]),
            )
        return _say(text)
    if result.get("status") == "needs_confirmation":
        summary = result.get("summary")
        if _lang(turn) != "en" and isinstance(result.get("facts"), dict):
            summary = _confirm_summary(result["facts"], _lang(turn), now)
        return _say(t_say("ask_confirm", _lang(turn), summary=summary))
    if result.get("reference"):
        return _say(t_say("requested_ref", _lang(turn), reference=result["reference"]))
    return _say(_render_generic(result))


def _confirm_summary(facts: dict, language: str, now: datetime) -> str:
    """The booking to confirm in the guest's language, from the tool's facts (the same ones its
    English summary is made of: party, venue, time, deposit, dress code, age limit)."""
    party, children = int(facts.get("party_size") or 0), int(facts.get("children") or 0)
    who = str(party) + party_breakdown(party, children, language)
    text = t_say(
        "confirm_summary",
        language,
        who=who,
        venue=facts.get("venue"),
        where=facts.get("where"),
        day=_day_label(facts.get("date", ""), now, language),
        time=facts.get("time"),
    )
    if facts.get("special_requests"):
        text += t_say("note", language, text=facts["special_requests"])
    if facts.get("deposit"):
        text += t_say("deposit_note", language, deposit=facts["deposit"])
    if facts.get("dress_code"):
        text += t_say("dress_code_note", language, dress_code=facts["dress_code"])
    age = facts.get("min_guest_age")
    if age and children and age < 18:
        text += t_say("children_age_note", language, age=age)
    elif age and not children:
        text += t_say("guest_age_note", language, age=age)
    return text


def _special_requests(text: str) -> str | None:
    m = re.search(
        r"\b(?:it's|its|it is) (?:a |my |our )?((?:birthday|anniversary|date|celebration)[^,.!?]*)|\b((?:window|sea view|ocean view|outside|outdoor|indoor|quiet|beanbag|sunset) (?:table|seat(?:ing)?|spot))\b|\bwith (?:a )?(high ?chair|wheelchair[^,.!?]*)",
        text,
    )
    if not m:
        return None
    return next(group for group in m.groups() if group).strip()[:200]


def _plan_cancel(turn, ctx, now, intent) -> Step:
    reference = intent.data.get("reference")
    if reference is None and turn.last("cancel_booking") is not None:
        reference = turn.last("cancel_booking").input.get("reference")
    if reference:
        done = turn.last("cancel_booking")
        if done is None:
            return _call("cancel_booking", reference=reference)
        if done.is_error:
            return _say(t_say("cancel_failed", _lang(turn), reference=reference, error=_error_text(done.result)))
        r = done.result if isinstance(done.result, dict) else {}
        at = t_say("cancelled_at", _lang(turn), venue=r["venue"]) if r.get("venue") else ""
        return _say(t_say("cancelled", _lang(turn), reference=r.get("reference", reference), at=at))
    listed = turn.last("list_my_bookings")
    if listed is None:
        return _call("list_my_bookings")
    rows = (listed.result or {}).get("upcoming") or [] if isinstance(listed.result, dict) else []
    if not rows:
        return _say(t_say("nothing_to_cancel", _lang(turn)))
    named, _ = find_venue(turn.norm, _aliases())
    meant, clues = _bookings_meant(turn, now, rows, named)
    if len(meant) == 1 and meant[0].get("reference") and (clues or (len(rows) == 1 and not intent.data.get("loose"))):
        # "cancel the breakfast one", "cancel Kelapa", or "cancel my booking" when there is one
        return _call("cancel_booking", reference=meant[0]["reference"])
    shown = meant or rows
    return _say(
        t_say("which_cancel", _lang(turn), reference=shown[0].get("reference", "AG-…"))
        + "\n"
        + _booking_lines(shown, now, _lang(turn))
    )


# The hours of the day a meal or a part of the day names ("the breakfast one", "tonight's").
DAY_PARTS = {
    "breakfast": (5, 11),
    "brunch": (8, 14),
    "morning": (5, 12),
    "lunch": (11, 16),
    "afternoon": (12, 18),
    "sunset": (16, 20),
    "dinner": (17, 24),
    "evening": (17, 24),
    "night": (18, 24),
}


def _bookings_meant(turn: Turn, now: datetime, rows: list[dict], named) -> tuple[list[dict], bool]:
    """The guest's upcoming bookings a message points at, and whether it named anything: the
    venue ("cancel Kelapa", "the bakery one"), the day ("tomorrow's"), the time ("the 8pm one")
    or the meal ("the breakfast one"). A day, time or meal no booking has leaves nothing."""
    t = turn.norm
    meant = list(rows)
    clues = False
    if named is not None:
        meant = [row for row in meant if row.get("venue") == named.name]
        clues = True
    when, rest = parse_when(t, now, prefer_evening=True, **_date_hints(turn))
    said_now = re.search(r"\bnow\b", t) and not re.search(r"\b(today|tonight|this evening)\b", t)
    if when.day and not said_now:
        meant = [row for row in meant if row.get("date") == when.day.isoformat()]
        clues = True
    if when.at and not when.soft:
        meant = [row for row in meant if row.get("time") == when.at.strftime("%H:%M")]
        clues = True
    part = re.search(rf"\b({'|'.join(DAY_PARTS)})\b", t)
    if part:
        start, end = DAY_PARTS[part.group(1)]
        meant = [row for row in meant if start <= int(str(row.get("time") or "0")[:2] or 0) < end]
        clues = True
    if named is None:
        # a word of the venue's name ("the bakery one", "the spa"), when one of them has it
        words = {w for w in re.findall(r"[a-z]{3,}", rest) if w not in STOPWORDS | BOOKING_FILLER | {"cancel"}}
        by_name = [row for row in meant if words & set(re.findall(r"[a-z]+", normalize(str(row.get("venue") or ""))))]
        if by_name:
            meant, clues = by_name, True
    return meant, clues


def _booking_lines(rows: list[dict], now: datetime, language: str = "en") -> str:
    return "\n".join(
        t_say(
            "booking_line",
            language,
            reference=row.get("reference"),
            venue=row.get("venue"),
            day=_day_label(row.get("date", ""), now, language),
            time=row.get("time"),
            party=row.get("party_size"),
            status=str(row.get("status", "")).replace("_", " "),
        )
        for row in rows
    )


def _plan_list_bookings(turn, ctx, now, intent) -> Step:
    done = turn.last("list_my_bookings")
    if done is None:
        return _call("list_my_bookings", include_past=True if intent.data.get("include_past") else None)
    if done.is_error:
        return _say(_error_text(done.result))
    r = done.result if isinstance(done.result, dict) else {}
    upcoming, past = r.get("upcoming") or [], r.get("past") or []
    parts = []
    language = _lang(turn)
    if upcoming:
        parts.append(t_say("upcoming", language) + "\n" + _booking_lines(upcoming, now, language))
    else:
        parts.append(t_say("no_upcoming", language))
    if past:
        parts.append(t_say("past", language) + "\n" + _booking_lines(past, now, language))
    return _say("\n\n".join(parts))


# -- reminders, memory, weather, food, commerce, courier -------------------------------


# "ping me at 5 to …", "nudge me tomorrow …", "text me in 2 hours …": a reminder asked for
# with another verb, known by the time that follows it (group 1: the verb and whom)
NUDGE_ME = re.compile(
    r"\b((?:ping|nudge|text|message|msg|buzz|poke|alert|notify)\s+(?:me|us))\s+"
    r"(?=(?:at|in|on|by|around|tomorrow|tmrw|tonight|this|next|later|before|every|\d)\b)"
)


def _plan_remind(turn, ctx, now, intent) -> Step:
    done = turn.last("set_reminder")
    if done is not None:
        if done.is_error:
            return _say(t_say("reminder_failed", _lang(turn), error=_error_text(done.result)))
        r = done.result if isinstance(done.result, dict) else {}
        when = r.get("when") or r.get("due_at")
        if _lang(turn) != "en" and r.get("due_at"):
            try:  # the day and time in the guest's language ("ср 11 мар, 09:00")
                when = when_words(datetime.fromisoformat(str(r["due_at"])), _lang(turn), now)
            except ValueError:
                pass
        return _say(t_say("reminder_set", _lang(turn), text=r.get("text"), when=when))
    # the reminder's own words as written (normalising would drop Cyrillic), its request words in English
    source = turn.norm if _lang(turn) == "en" else " ".join(to_english(turn.text, _lang(turn)).lower().split())
    nudge = NUDGE_ME.search(source)
    if nudge and not re.search(r"\bremind(?:er)?\b", source):
        source = source[: nudge.start()] + "remind me " + source[nudge.end(1) :]
    # "remind me", and "remind i" where another language's "me" reads as "i" ("ingetin aku")
    text = re.sub(r"^.*?\bremind(?:er)?\b\s*(?:me|us|i)?\s*(?:(?:to|about|that|of)\b)?\s*", "", source, count=1)
    when, what = parse_when(text, now, prefer_evening=False, **_date_hints(turn))
    what = re.sub(r"\b(?:at|on|in|by)\s*$", "", what).strip(" .,!")
    what = re.sub(r"^(?:to|about|that|for)\s+", "", what)
    if when.moment:
        due = when.moment
    elif when.at or when.day:
        at = when.at or time(9, 0)
        due = datetime.combine(when.day or now.date(), at, tzinfo=now.tzinfo)
        if due <= now and when.day is None:
            # "at 6" said at 14:00 means 18:00 today; said at 20:00 it means tomorrow
            later = due + timedelta(hours=12) if at.hour < 12 else None
            due = later if later and later > now else due + timedelta(days=1)
    else:
        return _say(t_say("reminder_when", _lang(turn)))
    if not what:
        return _say(t_say("reminder_what", _lang(turn)))
    if due <= now + timedelta(seconds=30):
        # said in words rather than the tool's "due_at … is not in the future"
        return _say(t_say("reminder_past", _lang(turn), when=f"{date_words(due.date(), _lang(turn))} {due:%H:%M}"))
    if _lang(turn) != "en":
        what = _own_words(turn.text, what, _lang(turn))
    return _call("set_reminder", text=what[:200], due_at=due.replace(second=0, microsecond=0).isoformat())


def _own_words(original: str, english: str, language: str) -> str:
    """The stretch of the guest's own message that reads as ``english`` once its request
    words are in English ("позвонить в банк", not the lexicon's "позвонить at банк")."""
    words = original.split()
    wanted = " ".join(english.lower().split())
    for size in range(len(words), 0, -1):
        for start in range(len(words) - size + 1):
            span = " ".join(words[start : start + size])
            if " ".join(to_english(span, language).lower().split()).strip(" .,!?") == wanted:
                return span.strip(" .,!?")
    return english


NOT_DIET = re.compile(r"\b(?:not|no longer)\s+(?:a |an )?(vegan|vegetarian|pescatarian)\b(?:\s*any ?more)?")
BARE_DIET = re.compile(r"\b(vegan|vegetarian|pescatarian|halal|kosher|gluten[- ]free|coeliac|celiac)\b")
DIET_SUBJECT = re.compile(
    r"\b(?:i|i'm|i am|im|we|we're|we are)\s+(?:(?:a|an|now|only|just|strictly|also|eat|only eat)\s+)*"
    r"(?:vegan|vegetarian|pescatarian|halal|kosher|gluten|coeliac|celiac)"
)


def _plan_remember(turn, ctx, now, intent) -> Step:
    # "I'm not vegan anymore, just vegetarian": the old diet goes before the new one is kept
    dropped = NOT_DIET.search(turn.norm)
    forgot = [call for call in turn.called("remember_preference") if call.input.get("forget")]
    if dropped and not forgot:
        return _call("remember_preference", text=dropped.group(1), forget=True)
    done = next((call for call in reversed(turn.called("remember_preference")) if not call.input.get("forget")), None)
    if done is None:
        text = re.sub(r"^(?:please\s+)?remember\s+(?:that\s+)?", "", turn.text.strip(), flags=re.I) or turn.text
        rest = NOT_DIET.sub(" ", turn.norm)
        diet = BARE_DIET.search(rest)
        if diet and not DIET_SUBJECT.search(rest):
            # a diet said without "I'm" ("just vegetarian", "saya vegetarian"): say whose it is
            text = f"{text} (I'm {diet.group(1)})"
        if dropped:
            if not diet:
                return _say(t_say("diet_dropped", _lang(turn), diet=dropped.group(1)))
            text = f"I'm {diet.group(1)}"
        return _call("remember_preference", text=text[:480])
    if done.is_error:
        return _say(t_say("remember_failed", _lang(turn), error=_error_text(done.result)))
    remembered = (done.result or {}).get("remembered") or [] if isinstance(done.result, dict) else []
    if not remembered:
        return _say(t_say("remember_nothing", _lang(turn)))
    return _say(t_say("remembered", _lang(turn), items="; ".join(m.get("content", "") for m in remembered)))


FORGET_VERB = re.compile(
    r"\b(?:forget|delete|erase|remove|stop remembering|lupakan|hapus|забудь|удали|vergiss|lösche)\b\s*", re.IGNORECASE
)
# "forget that", "забудь это", "vergiss das", "lupakan itu": what was just remembered
FORGET_THAT = re.compile(
    r"^(?:that|this|it|what i (?:just )?(?:said|told you)|the last (?:one|thing)|это|то|das|es|itu|yang tadi)\s*(?:[,.;!?]|$)",
    re.IGNORECASE,
)


def _plan_forget(turn, ctx, now, intent) -> Step:
    done = turn.called("remember_preference")
    if not done:
        verb = FORGET_VERB.search(turn.text)
        said = turn.text[verb.end() :] if verb else turn.text
        just_remembered = (ctx.dialogue or {}).get("remembered") or []
        if FORGET_THAT.match(said.strip()) and just_remembered:
            return Step(calls=[("remember_preference", {"text": m, "forget": True}) for m in just_remembered[:5]])
        what = re.sub(r"^(?:that|about)\s+", "", said.strip(), flags=re.I)
        what = re.split(r"\s*[,;.!?]\s*", what, maxsplit=1)[0].strip() or "everything"
        if re.fullmatch(r"(?:all|everything|it all|all of it|what you know(?: about me)?|my data)", what, flags=re.I):
            what = "everything"
        return _call("remember_preference", text=what[:480], forget=True)
    failed = [call for call in done if call.is_error]
    if len(failed) == len(done):
        return _say(t_say("forget_failed", _lang(turn), error=_error_text(failed[0].result)))
    (ctx.dialogue or {}).pop("remembered", None)
    count = sum(int(call.result.get("forgotten") or 0) for call in done if isinstance(call.result, dict))
    if not count:
        return _say(t_say("forget_no_match", _lang(turn)))
    return _say(t_say("forgot", _lang(turn), count=count, s="s" if count != 1 else ""))


def _plan_recall(turn, ctx, now, intent) -> Step:
    done = turn.last("recall_memories")
    if done is None:
        return _call("recall_memories")
    if done.is_error:
        return _say(_error_text(done.result))
    memories = (done.result or {}).get("memories") or [] if isinstance(done.result, dict) else []
    if not memories:
        return _say(t_say("recall_empty", _lang(turn)))
    return _say(t_say("recall", _lang(turn)) + "\n" + "\n".join(f"• {m.get('content')}" for m in memories))


def _plan_weather(turn, ctx, now, intent) -> Step:
    done = turn.last("get_weather")
    if done is None:
        place, _ = find_place(turn.norm, _places())
        when, _ = parse_when(turn.norm, now, prefer_evening=False, **_date_hints(turn))
        day = when.day if when.day and when.day != now.date() else None
        return _call("get_weather", city=place.city if place else None, date=day.isoformat() if day else None)
    language = _lang(turn)
    if done.is_error:
        error = _error_text(done.result)
        return _say(t_say("weather_failed", language, error=(error[:1].lower() + error[1:]).rstrip(".")))
    r = done.result if isinstance(done.result, dict) else {}
    if r.get("current"):
        c = r["current"]
        bits = [
            weather_words(c.get("weather_code"), language, str(c.get("description") or "")),
            f"{c.get('temperature_c')}°C" if c.get("temperature_c") is not None else "",
        ]
        if c.get("precipitation_mm"):
            bits.append(t_say("rain_mm", language, x=c["precipitation_mm"]))
        if c.get("wind_kmh") is not None:
            bits.append(t_say("wind", language, x=c["wind_kmh"]))
        return _say(
            t_say(
                "weather_now",
                language,
                city=c.get("city") or t_say("your_area", language),
                summary=", ".join(b for b in bits if b),
                source=r.get("source", "Open-Meteo"),
            )
        )
    if r.get("forecast"):
        f = r["forecast"]
        if isinstance(f, dict):
            lows, highs = (
                f.get("temperature_min_c", f.get("temperature_min")),
                f.get("temperature_max_c", f.get("temperature_max")),
            )
            bits = [weather_words(f.get("weather_code"), language, str(f.get("description") or ""))]
            if lows is not None and highs is not None:
                bits.append(f"{lows}–{highs}°C")
            rain = f.get("precipitation_probability_max", f.get("precipitation_probability"))
            if rain is not None:
                bits.append(t_say("rain_chance", language, x=rain))
            if f.get("precipitation_mm", f.get("precipitation_sum")):
                bits.append(t_say("rain_expected", language, x=f.get("precipitation_mm", f.get("precipitation_sum"))))
            label = _day_label(f.get("date", ""), now, language) if f.get("date") else t_say("that_day", language)
            summary = ", ".join(b for b in bits if b)
            city = f.get("city") or t_say("your_area", language)
            return _say(
                t_say("weather_forecast", language, city=city, day=label, summary=summary or _render_generic(f))
            )
    return _say(_render_generic(r))


def _plan_food_log(turn, ctx, now, intent) -> Step:
    done = turn.last("food_diary_log")
    if done is None:
        meal = re.search(r"\b(breakfast|lunch|dinner|snack|drinks?)\b", turn.norm)
        meal_type = meal.group(1) if meal else None
        if meal_type and meal_type.startswith("drink"):
            meal_type = "drink"
        return _call("food_diary_log", description=turn.text[:480], meal_type=meal_type)
    if done.is_error:
        return _say(_error_text(done.result))
    r = done.result if isinstance(done.result, dict) else {}
    items = r.get("items") or []
    lines = ["Logged in your food diary:"]
    for item in items:
        kcal = item.get("calories")
        lines.append(f"• {item.get('name')}" + (f" — {kcal:.0f} kcal" if isinstance(kcal, (int, float)) else ""))
    totals = r.get("totals") or {}
    if totals:
        parts = []
        for key, label in (
            ("calories", "kcal"),
            ("protein_g", "g protein"),
            ("carbs_g", "g carbs"),
            ("fat_g", "g fat"),
        ):
            if isinstance(totals.get(key), (int, float)):
                parts.append(f"{totals[key]:.0f} {label}")
        if parts:
            lines.append("Total: " + ", ".join(parts))
    if r.get("estimated"):
        lines.append("(Typical-portion estimates, not exact values.)")
    return _say("\n".join(lines))


def _amount(text: str) -> float | None:
    m = re.search(
        r"(?:under|below|drops? to|goes to|reaches|at|for|target|to|<)\s*(?:rp\.?|idr)?\s*([\d][\d.,]*)\s*(k|rb|ribu|jt|juta|m)?\b",
        text,
    )
    if not m:
        return None
    raw = m.group(1)
    number = (
        float(raw.replace(".", "").replace(",", ""))
        if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw)
        else float(raw.replace(",", "."))
    )
    multiplier = {"k": 1_000, "rb": 1_000, "ribu": 1_000, "jt": 1_000_000, "juta": 1_000_000, "m": 1_000_000}.get(
        m.group(2) or "", 1
    )
    return number * multiplier


def _plan_price_watch(turn, ctx, now, intent) -> Step:
    done = turn.last("price_watch")
    if done is None:
        url = intent.data["url"]
        target = _amount(turn.norm.replace(normalize(url), " "))
        return _call("price_watch", product_url=url, target_price=target)
    if done.is_error:
        r = done.result if isinstance(done.result, dict) else {}
        return _say(_error_text(done.result) + (f".\nBuy it now: {r['link']}" if r.get("link") else ""))
    r = done.result if isinstance(done.result, dict) else {}
    return _say(
        f"I'm watching {r.get('product') or 'that'} on {str(r.get('marketplace', '')).capitalize() or 'the marketplace'}"
        + (f" (now {r['current_price']})" if r.get("current_price") else "")
        + (f" and will tell you when it drops to {r['target_price']}" if r.get("target_price") else "")
        + "."
    )


def _plan_dupe(turn, ctx, now, intent) -> Step:
    done = turn.last("dupe_search")
    if done is None and intent.data.get("url"):
        return _call("dupe_search", product=intent.data["url"])
    if done is None:
        product = re.sub(
            r"\b(?:find|search|any|me|a|an|the|for|of|dupes?|look[- ]?alikes?|cheaper|version|alternative|similar|to|please)\b",
            " ",
            turn.norm,
        )
        return _call("dupe_search", product=" ".join(product.split())[:200] or turn.text[:200])
    if done.is_error:
        return _say(f"Sorry — {_error_text(done.result)}.")
    r = done.result if isinstance(done.result, dict) else {}
    if not r.get("results"):
        return _say(_render_generic(done.result))
    original = r.get("original") or {}
    lines = [
        f"Cheaper look-alikes of {original['title']} ({original['price']}):"
        if original.get("title")
        else "Cheaper look-alikes:"
    ]
    for i, item in enumerate(r["results"], 1):
        lines.append(
            f"{i}. {item['title']} — {item['price']} on {str(item.get('marketplace', '')).capitalize()}\n   {item['link']}"
        )
    return _say("\n".join(lines))


def _last_quote_id(turn: Turn) -> str | None:
    for call in reversed(turn.calls):
        if call.name == "transport_quote" and isinstance(call.result, dict) and call.result.get("quote_id"):
            return call.result["quote_id"]
    uses: dict[str, str] = {}
    found = None
    for message in turn.history:
        for block in message.get("content") or []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_use":
                uses[block.get("id")] = block.get("name")
            elif (
                block.get("type") == "tool_result"
                and uses.get(block.get("tool_use_id")) == "transport_quote"
                and not block.get("is_error")
            ):
                result = _parse_result(block.get("content"))
                if isinstance(result, dict) and result.get("quote_id"):
                    found = result["quote_id"]
    return found


def _plan_courier_quote(turn, ctx, now, intent) -> Step:
    done = turn.last("transport_quote")
    if done is None:
        refs = _aliases()
        m = re.search(r"\bfrom\s+(.+?)\s+to\s+(.+)$", turn.norm)
        if not m:
            return _say(
                'Where should the courier pick up and drop off? Say e.g. "courier from Kaito Omakase to Tidehouse Beach Club" (venues, or addresses with a map pin).'
            )
        pickup, _ = find_venue(m.group(1), refs)
        dropoff, _ = find_venue(m.group(2), refs)
        service = "CAR" if re.search(r"\b(car|big|large|heavy)\b", turn.norm) else None
        return _call(
            "transport_quote",
            pickup_venue=pickup.slug if pickup else None,
            pickup_address=None if pickup else m.group(1).strip()[:300],
            dropoff_venue=dropoff.slug if dropoff else None,
            dropoff_address=None if dropoff else m.group(2).strip(" .")[:300],
            service_type=service,
        )
    if done.is_error:
        return _say(f"I couldn't get a courier quote: {_error_text(done.result)}")
    r = done.result if isinstance(done.result, dict) else {}
    text = f"Courier quote ({r.get('service_type', '').lower() or 'courier'}): {r.get('price')}"
    if r.get("distance_km"):
        text += f" for {r['distance_km']} km"
    text += f"\nFrom: {r.get('pickup')}\nTo: {r.get('dropoff')}"
    text += '\nNothing is booked yet. Say "book the courier" to go ahead.'
    return _say(text)


def _plan_courier_book(turn, ctx, now, intent) -> Step:
    done = turn.last("transport_book")
    if done is None:
        quote_id = _last_quote_id(turn)
        if not quote_id:
            return _say(
                'I need a quote first. Tell me where from and to, e.g. "courier from Kaito Omakase to Tidehouse Beach Club".'
            )
        return _call("transport_book", quote_id=quote_id)
    if done.is_error:
        return _say(f"I couldn't book the courier: {_error_text(done.result)}")
    r = done.result if isinstance(done.result, dict) else {}
    if r.get("status") == "needs_confirmation":
        return _say(f"{r.get('summary')}.\n\nShall I book it? Reply YES to confirm or NO to cancel.")
    return _say(_render_generic(r))


def _plan_food_report(turn, ctx, now, intent) -> Step:
    done = turn.last("food_diary_report")
    if done is None:
        return _call("food_diary_report", period=intent.data.get("period", "week"))
    if done.is_error:
        return _say(_error_text(done.result))
    r = done.result if isinstance(done.result, dict) else {}
    label = {"today": "today", "week": "in the last 7 days", "month": "in the last 30 days"}.get(r.get("period"), "")
    meals = r.get("meals") or []
    if not meals:
        return _say(f"Your food diary is empty {label}. Send me a photo of your next meal (with a caption) to log it.")
    lines = [f"What you ate {label}:"]
    for meal in meals[:30]:
        what = ", ".join(meal.get("items") or []) or "a meal"
        kcal = meal.get("calories")
        kind = f" {meal['meal_type']}" if meal.get("meal_type") else ""
        lines.append(f"• {meal.get('day')} {meal.get('time')}{kind}: {what}" + (f" — {kcal} kcal" if kcal else ""))
    t = r.get("totals") or {}
    days = max(1, int(r.get("days") or 1))
    lines.append(
        f"Total: {t.get('calories', 0)} kcal over {t.get('meals', 0)} meals"
        + (f" (about {round(t.get('calories', 0) / days)} kcal a day)" if days > 1 else "")
        + f"; {t.get('protein_g', 0):.0f} g protein, {t.get('carbs_g', 0):.0f} g carbs, {t.get('fat_g', 0):.0f} g fat."
    )
    return _say("\n".join(lines))


def _card_title(text: str) -> str:
    match = re.search(r"\b(?:card|invite|invitation)\s+(?:for|about|to)\s+(.+)$", text.strip(), re.IGNORECASE)
    title = (match.group(1) if match else "").strip(" .!?")
    return title[:1].upper() + title[1:] if title else ""


def _plan_card(turn, ctx, now, intent) -> Step:
    done = turn.last("make_card")
    if done is None:
        ref = re.search(r"\bag-?[a-z0-9]{4,12}\b", turn.norm)
        return _call(
            "make_card",
            title=_card_title(turn.text) or None,
            booking_reference=ref.group(0).upper() if ref else None,
        )
    if done.is_error:
        return _say(_error_text(done.result))
    r = done.result if isinstance(done.result, dict) else {}
    return _say(
        f"Here's your card “{r.get('title')}”: {r.get('url')}\n"
        f"Share the link — friends can answer going / maybe / not without an account. "
        f"It works until {r.get('expires')}."
    )


def _plan_follow(turn, ctx, now, intent) -> Step:
    done = turn.last("follow_taste")
    if done is None:
        return _call("follow_taste", person=intent.data.get("who", "").lstrip("@"))
    if done.is_error:
        return _say(_error_text(done.result))
    r = done.result if isinstance(done.result, dict) else {}
    if r.get("status") == "accepted":
        return _say(f"You now follow {r.get('name')}'s taste. Ask me “what would {r.get('first_name')} pick in Ubud?”")
    return _say(f"I've asked {r.get('name')} — once they accept, I can rank places by their taste.")


def _plan_taste_picks(turn, ctx, now, intent) -> Step:
    done = turn.last("taste_picks")
    if done is None:
        place, _ = find_place(turn.norm, _places())
        category, _ = find_category(turn.norm)
        return _call(
            "taste_picks",
            person=intent.data.get("who", "").lstrip("@"),
            where=place.name if place else None,
            category=category,
        )
    if done.is_error:
        return _say(_error_text(done.result))
    r = done.result if isinstance(done.result, dict) else {}
    venues = r.get("venues") or []
    if not venues:
        return _say(f"I couldn't find places for {r.get('name')}'s picks there. Try another area?")
    lines = [f"What {r.get('name')} would pick{(' in ' + r['where']) if r.get('where') else ''}:"]
    for i, venue in enumerate(venues[:5], 1):
        lines.append(_venue_line(i, venue) + (f"\n   ({venue['why']})" if venue.get("why") else ""))
    return _say("\n".join(lines))


# --------------------------------------------------------------------------- dialogue state


def _channel_language(ctx: ToolContext) -> str | None:
    code = str(getattr(getattr(ctx, "channel", None), "language_code", "") or "")[:2].lower()
    return code if code in {"id", "ru", "de"} else None


def _date_hints(turn: Turn) -> dict[str, str]:
    """For dates the rules miss: the guest's language and own words (their month and
    weekday names are gone from the English-normalised text)."""
    if turn.language == "en":
        return {}
    return {"language": turn.language, "original": turn.text}


def _lang(turn: Turn) -> str:
    return getattr(turn, "language", "en") or "en"


def remember_turn(turn: Turn, state: dict[str, Any]) -> None:
    """Fold this turn's tool results into the dialogue state (only what the tools returned)."""
    remember_tool_calls(state, turn.calls)
    if len({call.input.get("venue") for call in turn.called("venue_details")}) > 1:
        state.pop("focus", None)  # the hours of each listed venue: "they" still means the list
    booking = turn.last("create_booking")
    if booking is not None:
        state.pop("draft", None)  # the booking in progress became a request
        if booking.is_error and booking.input.get("venue"):
            # a refused request stays the booking in progress: "tomorrow then", "what about 9pm?" retry it
            tried = booking.input
            state["draft"] = {
                k: tried[k] for k in ("date", "time", "party_size", "children", "special_requests") if tried.get(k)
            }
            state["draft"].update(slug=tried["venue"], retry=True)
    topic = _topic_of(turn)
    if topic:
        state["topic"] = topic
    else:
        state.pop("topic", None)


def _topic_of(turn: Turn) -> dict[str, Any] | None:
    """What this turn's answer was about, for a follow-up that only names another day or time
    ("ok what about Thursday morning", "and Saturday?"): the opening hours or the tables of
    one venue, or a search."""
    if turn.called("create_booking") or turn.called("cancel_booking"):
        return None

    def result(name: str) -> dict:
        call = turn.last(name)
        return call.result if call is not None and not call.is_error and isinstance(call.result, dict) else {}

    if result("venue_search").get("venues"):
        return {"kind": "search"}
    if result("check_availability").get("slug"):
        return {"kind": "availability", "slug": result("check_availability")["slug"]}
    if (
        result("venue_details").get("slug")
        and HOURS_WORDS.search(turn.norm)
        and len({call.input.get("venue") for call in turn.called("venue_details")}) == 1
    ):
        return {"kind": "hours", "slug": result("venue_details")["slug"]}
    return None


def _venue_name(slug: str | None) -> str:
    for ref in _aliases():
        if ref.slug == slug:
            return ref.name
    return slug or ""


def _ref_for(slug: str | None):
    for ref in _aliases():
        if ref.slug == slug:
            return ref
    return None


EDIT_CUES = re.compile(
    r"\b(instead|make it|change|actually|rather|move it|switch|but at|but for|and for|no,? at|can we do|how about|"
    r"now|sorry|coming too|joining|join us|come along)\b"
)


def _is_edit(turn: Turn, now: datetime, pending_time: str | None = None) -> dict[str, Any] | None:
    """What a message changes in the pending booking ("make it 8pm", "for 3 instead", "Friday instead").
    A bare hour ("yes but at 8" after 07:00) takes the half of the day nearest the pending time."""
    t = turn.norm
    when, rest = parse_when(t, now, prefer_evening=True, **_date_hints(turn))
    # "2 friends are coming, make it 5": the size said last is the new one
    grown = not (when.at and not when.soft) and _grown_party(rest, t)
    party = grown or party_size(rest)
    changes: dict[str, Any] = {}
    # "we're 6 now", "now": "now" marks the change, it does not move the booking to today
    said_now = re.search(r"\bnow\b", t) and not re.search(r"\b(today|tonight|this evening)\b", t)
    if when.day and not (said_now and when.day == now.date()):
        changes["date"] = when.day.isoformat()
    if when.at and not when.soft:
        changes["time"] = _nearest_reading(when.at, t, pending_time).strftime("%H:%M")
    if party:
        changes["party_size"] = party
        kids = children_count(rest)
        if not grown or 0 < kids < party:  # "make it 9" keeps the children already counted
            changes["children"] = kids
    if not changes:
        return None
    if len(t.split()) > 9 and not EDIT_CUES.search(t):
        return None
    return changes


def _nearest_reading(at: time, t: str, pending_time: str | None) -> time:
    """An afternoon or evening hour the message gave bare ("at 8", no pm, no evening word) read
    as the morning one when that is nearer the pending booking's time (07:00 → "at 8" is 08:00)."""
    if not pending_time or at.hour < 13:
        return at
    bare = re.search(rf"(?<![\d:.]){at.hour - 12}(?![\d:.]|\s*(?:am|pm|a\.m|p\.m)\b)", t)
    if not bare or re.search(r"\b(?:pm|p\.m|evening|night|tonight|dinner|sunset)\b", t):
        return at
    try:
        pending = time.fromisoformat(pending_time)
    except ValueError:
        return at
    morning = at.replace(hour=at.hour - 12)

    def minutes(x: time) -> int:
        return x.hour * 60 + x.minute

    nearer = abs(minutes(morning) - minutes(pending)) < abs(minutes(at) - minutes(pending))
    return morning if nearer else at


def _grown_party(rest: str, t: str) -> int | None:
    """A bare "make it 9" about people joining or leaving is the party's new size ("my sister's
    family is joining, make it 9"); without such a word it could as well be the hour."""
    m = re.search(
        r"\b(?:make|change|bump|up)\s+(?:it|that|us|the party|the table)?\s*(?:to\s+)?(\d{1,2})\b(?!\s*[:.]?\d)", rest
    )
    if not m or re.match(r"\s*(?:am|pm|a\.m|p\.m|o'?clock|h)\b", rest[m.end() :]):
        return None
    if not re.search(
        r"\b(?:join(?:s|ing)?|coming|come along|tagging along|family|friends?|people|guests?|more of us|extra|"
        r"party|pax|drop(?:ped|ping)? out|can'?t come|not coming)\b",
        t,
    ):
        return None
    return int(m.group(1)) or None


def _dialogue_venue(t: str, ctx: ToolContext):
    """A venue the message points at through the dialogue: "the second one", "1", or "it"/"there"."""
    state = ctx.dialogue or {}
    picked = pick_from_results(state, t) or _described_result(state, t)
    if picked:
        return _ref_for(picked["slug"])
    focus = state.get("focus")
    if focus and refers_to_focus(t) and not find_place(t, _places())[0] and not find_category(t)[0]:
        return _ref_for(focus["slug"])
    return None


def _described_result(state: dict, t: str) -> dict | None:
    """The one listed venue "the thai one" or "the seafood place" points at: the word is in its
    name and in no other listed venue's name, or else in its cuisines or tags ("the french
    one" for Maison Frangipani) and in no other listed venue's."""
    m = re.search(r"\bthe ([a-z][a-z'-]+) (one|place|spot|restaurant|cafe|bar|spa)\b", t)
    if not m or m.group(1) in {"first", "second", "third", "last", "other", "same", "next", "cheap", "cheaper"}:
        return None
    if m.group(2) not in {"one", "place", "spot"} and find_place(t, _places())[0]:
        return None  # "the italian restaurant in Sanur": a new search
    results = [ref for ref in state.get("results") or [] if ref.get("slug")]
    word = re.compile(rf"\b{re.escape(m.group(1))}\b", re.IGNORECASE)
    named = [ref for ref in results if word.search(ref.get("name") or "")]
    if len(named) == 1:
        return named[0]
    if named or not results:
        return None
    from venues.models import Venue

    kinds = {
        slug: " ".join([*(cuisines or []), *(tags or [])]).replace("-", " ")
        for slug, cuisines, tags in Venue.objects.filter(slug__in=[ref["slug"] for ref in results]).values_list(
            "slug", "cuisines", "tags"
        )
    }
    described = [ref for ref in results if word.search(kinds.get(ref["slug"], ""))]
    return described[0] if len(described) == 1 else None


def fuzzy_venue(t: str, refs):
    """A venue name written with a typo ("tidehouse beachclub"), by rapidfuzz over the aliases."""
    from rapidfuzz import fuzz, process

    words = t.split()
    if not words:
        return None
    prefixes: dict[str, list] = {}
    for ref in refs:
        head = " ".join(ref.alias.split()[:2])
        if len(ref.alias.split()) > 2 and len(head) >= 8:
            prefixes.setdefault(head, [])
            if ref.slug not in [r.slug for r in prefixes[head]]:
                prefixes[head].append(ref)
    for head, owners in sorted(prefixes.items(), key=lambda item: -len(item[0])):
        if len(owners) == 1 and re.search(rf"(?<![a-z0-9]){re.escape(head)}(?![a-z0-9])", t):
            return owners[0]
    scattered = _scattered_name(words, refs)
    if scattered is not None:
        return scattered
    candidates = {ref.alias: ref for ref in refs if len(ref.alias) >= 6}
    best = None
    for size in (3, 2, 1):
        for i in range(0, max(0, len(words) - size + 1)):
            chunk = " ".join(words[i : i + size])
            if len(chunk) < 6:
                continue
            match = process.extractOne(chunk, list(candidates), scorer=fuzz.ratio, score_cutoff=88)
            if match and (best is None or match[1] > best[1]):
                best = match
    return candidates[best[0]] if best else None


def _scattered_name(words: list[str], refs):
    """A venue whose name's words all come close together in another order ("snorkel trip with
    jukung" for Jukung Snorkel Trips): names of three words or more, the one venue that fits."""
    found = {}
    for ref in refs:
        name = [w for w in ref.alias.split() if w not in {"the", "and"}]
        if len(name) < 3 or ref.slug in found:
            continue
        stems = [w[:-1] if len(w) > 4 and w.endswith("s") else w for w in name]
        spots = []
        for stem in stems:
            at = [i for i, word in enumerate(words) if word.strip(".,!?") in (stem, stem + "s")]
            if not at:
                break
            spots.append(at[0])
        else:
            if max(spots) - min(spots) < len(name) + 2:
                found[ref.slug] = ref
    return next(iter(found.values())) if len(found) == 1 else None


INSTEAD = re.compile(
    r"^(?:(?:hmm+|um+|uh+|oh|ah|well|so)\b[ ,.]*)?(?:and|what about|how about|ok(?:ay)?|maybe|or|then)\b.*|.*\binstead\b.*"
)
STARTS_WITH_NO = re.compile(r"^\W*(?:no|nope|nah|нет|nein|tidak|gak|nggak|enggak)\b", re.IGNORECASE)
SWITCH_CUES = re.compile(
    r"\b(instead|rather|switch|change|let'?s (?:do|go|try)|go with|how about|what about|make it|prefer)\b"
)


FORGET_ALL = re.compile(
    r"^(?:please\s+)?forget (?:me|everything|all)\b|\bdelete (?:all )?my data\b|\bforget everything\b|"
    r"\b(?:forget|delete|erase|wipe|remove|clear)\s+(?:everything|all|it all)\s+(?:(?:that\s+)?you\s+(?:know|have|remember|stored?|saved?)|about me|of my data)\b|"
    r"\b(?:forget|delete|erase|wipe|clear)\s+(?:all\s+)?(?:of\s+)?my\s+(?:data|memories|profile|info(?:rmation)?)\b|"
    r"\bforget (?:all )?about me\b"
)
# the same in the guest's own words, read from the message as written
FORGET_ALL_WRITTEN = re.compile(
    r"(?:^|(?<=\W))(?:забудь(?:те)?|удали(?:те)?|сотри(?:те)?)\s+(?:вс[её]|всю информацию)(?=\W|$)|"
    r"\b(?:vergiss|vergessen sie|lösche|löschen sie)\s+alles\b|\b(?:lupakan|hapus)\s+semua\b",
    re.IGNORECASE,
)
# "yes, all of it", "да, всё", "ja, alles löschen": a yes that says more
YES_FIRST = re.compile(r"^\W*(?:yes|yeah|yep|yup|sure|ok(?:ay)?|ya|iya|да|ja)\b", re.IGNORECASE)


def classify_in_dialogue(turn: Turn, ctx: ToolContext, now: datetime) -> Intent | None:
    """Messages that only make sense in the conversation so far (pending booking, last answer, filters)."""
    if ctx.confirmed_action:
        return None
    state = ctx.dialogue or {}
    t = turn.norm
    if state.get("forget_all"):
        if _is_affirmative(turn.text) or (YES_FIRST.match(turn.text) and not _is_negative(turn.text)):
            return Intent("forget_all_do")
        state.pop("forget_all", None)
        if _is_negative(turn.text):
            return Intent("decline")
    if state.get("pending"):
        # "no wait, make it 9pm" and "no, let's do Arang instead" change the request, they don't drop it
        if _pending(ctx) is not None and not _is_affirmative(turn.text):
            other = find_venue(t, _aliases())[0]
            pending = state["pending"]
            if other and other.slug != pending.get("slug") and SWITCH_CUES.search(t):
                return Intent("book", {"venue": other, "rest": t, "defaults": pending})
            changes = _is_edit(turn, now, pending.get("time"))
            if changes and (not other or other.slug == pending.get("slug")):
                return Intent("edit_pending", {"changes": changes})
        if _is_negative(turn.text) or STARTS_WITH_NO.match(turn.text):
            return Intent("decline", {"dropped": state.pop("pending", None)})
    follow_up = _follow_up(turn, ctx, now, state)
    if follow_up is not None:
        return follow_up
    draft = state.get("draft")
    if draft and not state.get("pending"):
        intent = _completes_draft(turn, ctx, now, draft)
        if intent is not None:
            return intent
        if not turn.calls:
            state.pop("draft", None)  # the guest moved on
    if re.search(
        r"\bcancel (?:it|that|that booking|that reservation|the booking|the reservation|my booking|my reservation)\b", t
    ) and state.get("last_booking"):
        return Intent("cancel", {"reference": state["last_booking"]})
    if FORGET_ALL.search(t) or FORGET_ALL_WRITTEN.search(turn.text):
        return Intent("forget_all")
    availability = state.get("availability")
    if availability and (turn.called("create_booking") or _pending(ctx) is None):
        wants_booking = _is_affirmative(turn.text) or re.fullmatch(
            # "book it", "great, lock it in", "ok grab that one", "let's do it"
            # "super, then book", "ok go ahead and book it" (other languages as the lexicon reads them)
            r"[ ,!.]*(?:(?:great|ok(?:ay)?|perfect|cool|nice|awesome|lovely|super|excellent|fine|good|yes|yeah|yep|"
            r"sure|alright|ja|ya|then|so|sounds good|that works)[ ,!.]*)*(?:please )?(?:then )?(?:go ahead and |let'?s )?"
            r"(?:(?:book|reserve|take|grab|secure|hold)(?: it| that| that one| this| us| me)?|lock (?:it|that|this)(?: one)? in"
            r"|go for it|let'?s do (?:it|that)|do it)(?: please| for me| for us| then| now)*[ !.]*",
            t,
        )
        booking_a_time = (
            re.match(r"^(?:ok(?:ay)?,? )?(?:please )?(?:book|reserve|take)\b", t) and not find_venue(t, _aliases())[0]
        )
        if wants_booking or booking_a_time:
            ref = _ref_for(availability.get("slug"))
            if ref is not None:
                return Intent("book", {"venue": ref, "rest": t, "defaults": availability})
    filters = state.get("filters")
    cheaper = _cheaper_search(turn, state)
    if cheaper is not None:
        return cheaper
    if filters and INSTEAD.match(t) and len(t.split()) <= 8:
        place, _ = find_place(t, _places())
        if place is None:
            place = fuzzy_place(t)
        if place and not find_venue(t, _aliases())[0]:
            return Intent("search", {"filters": _filters_named(filters, t, place), "place": place})
    return None


# "something cheaper?", "anything less pricey", "а подешевле?", "etwas Günstigeres?", "yang lebih
# murah?" (the words as read in English): the last search again, at a lower price
CHEAPER = re.compile(
    r"\b(?:cheaper|less (?:expensive|pricey|costly)|not (?:so|as) (?:expensive|pricey)|more (?:affordable|budget)|"
    r"lower[- ]priced|(?:on|have) a (?:tight |small |limited )?budget|budget[- ]friendly)\b"
)


def _cheaper_search(turn: Turn, state: dict) -> Intent | None:
    """A follow-up asking for cheaper places than the ones just listed: the standing filters
    with a price limit below the dearest venue shown (at most "cheap", $$), in a place the
    message names instead, if it names one."""
    filters = state.get("filters")
    t = turn.norm
    if not filters or not CHEAPER.search(t) or len(t.split()) > 14 or re.search(r"https?://", turn.text):
        return None
    if find_venue(t, _aliases())[0] or find_category(t)[0]:
        return None  # a venue or a new kind of place: a question about it, or a new search
    from venues.models import Venue

    slugs = [ref["slug"] for ref in state.get("results") or [] if ref.get("slug")]
    levels = [level for level in Venue.objects.filter(slug__in=slugs).values_list("price_level", flat=True) if level]
    caps = [2] + [max(levels) - 1] * bool(levels)
    if filters.get("price_level_max"):
        caps.append(int(filters["price_level_max"]) - 1)
    out = dict(filters, price_level_max=max(1, min(caps)))
    if find_kids(t)[0]:
        out["kids"] = True  # "we're on a budget with 2 teens"
    return Intent("search", {"filters": out, "place": find_place(t, _places())[0]})


def _filters_named(filters: dict, text: str, place) -> dict:
    """The standing search filters with what a follow-up names in their place ("ok and japanese
    in canggu?" after Italian in Sanur): a newly named kind of place or cuisine replaces the
    standing one, the other filters (price limit, diet) stay."""
    rest = find_place(text, _places())[1] if place else text
    category, rest = find_category(rest)
    price_cap, rest = find_price_cap(rest)
    named = " ".join(w for w in query_words(rest).split() if w not in BOOKING_FILLER and not INSTEAD_WORDS.search(w))
    out = dict(filters)
    if category:
        out["category"] = category
    if price_cap:
        out["price_level_max"] = price_cap
    if category or named:
        # the standing keywords gave way; a standing diet stays
        diets = [w for w in str(filters.get("query", "")).split() if w in DIETS]
        query = " ".join(dict.fromkeys(named.split() + diets))
        out.pop("query", None)
        if query:
            out["query"] = query
    return out


INSTEAD_WORDS = re.compile(r"^(?:instead|hmm+|um+|uh+|oh|ah|well|so|and|what|how|about|maybe|then|okay|ok)$")


# Words around the day, time and party of a short answer that add nothing else ("fine, tomorrow
# then same time", "ok then thursday", "what about 9pm instead?", "just the 2 of us").
BOOKING_FILLER = set(
    """ok okay fine then so and or also well alright right sure great cool perfect please pls just actually
    instead what how about same time day it that this make do let lets let's us we we're were are of for at on
    in the a an one people persons person pax guests ppl adults adult kids kid children child book reserve
    table booking again try can could would you i me my our is be there then maybe morning afternoon evening
    night breakfast brunch lunch dinner sunset tonight today tomorrow hmm oh ah yes yeah no wait rather
    around about by earlier later works work suits good we'll split up sorry now too coming looks look sounds say
    nice lovely first second third last""".split()
)
ASKS_SEARCH = re.compile(
    r"\b(find|search|recommend|suggest|show me|looking for|look for|any (?:good|nice)|options?|places?|spots?|"
    r"somewhere|else|other|another|different)\b"
)


def _bare_details(turn: Turn, rest: str, venue=None) -> bool:
    """Whether a message says nothing but a day, a time or a party (and filler words): an answer
    about the booking or question in progress, not a new request."""
    if ASKS_SEARCH.search(turn.norm):
        return False
    text = rest
    if venue is not None:
        text = find_venue(text, [ref for ref in _aliases() if ref.slug == venue.slug])[1]
    text = re.sub(rf"\b{NUM_PATTERN}\b|\d+", " ", digits_from_words(text))
    unknown = [w for w in re.findall(r"[a-z][a-z']*", text) if w not in BOOKING_FILLER and w not in STOPWORDS]
    # the lexicon reads a request's words, not every word of another language ("dann", "aja")
    return len(unknown) <= (0 if _lang(turn) == "en" else 2)


def _follow_up(turn: Turn, ctx: ToolContext, now: datetime, state: dict) -> Intent | None:
    """ "ok what about Thursday morning?" right after opening hours or a table check: the same
    question about the same venue, on the day, time or party the message names."""
    topic = state.get("topic") or {}
    if topic.get("kind") not in {"hours", "availability"}:
        return None
    venue = _ref_for(topic.get("slug"))
    if venue is None:
        return None
    t = turn.norm
    if re.search(r"\b(book|reserve|reservation|booking|take|grab|lock|hold)\b", t):
        return None  # "book 7:30pm": a booking, not the same question again
    named = find_venue(t, _aliases())[0]
    if (named and named.slug != venue.slug) or find_category(t)[0] or find_place(t, _places())[0]:
        return None
    when, rest = parse_when(t, now, prefer_evening=topic["kind"] != "hours", **_date_hints(turn))
    party = party_size(rest)
    if topic["kind"] == "hours" and party:
        return None  # "tomorrow 8pm for 2" after the hours: a booking
    if not (when.day or when.moment or (when.at and not when.soft) or party):
        return None
    if not _bare_details(turn, rest, venue):
        return None
    if topic["kind"] == "hours":
        return Intent("hours_on", {"venue": venue, "rest": t})
    asked = state.get("availability") or {}
    defaults = asked if asked.get("slug") == venue.slug else {}
    asks = QUESTION_START.match(t) or "?" in turn.text or re.search(r"\b(about|and|or|instead)\b", t)
    if not asks and (when.day or when.moment or when.at):
        # "tomorrow 8pm for 2" said, not asked: a request (it still waits for a yes); "we're 4"
        # after "I assumed 2 people" checks again
        defaults = {**defaults, "time": defaults.get("asked_time")}
        return Intent("book", {"venue": venue, "rest": t, "defaults": defaults})
    return Intent("availability", {"venue": venue, "rest": t, "defaults": defaults})


def _completes_draft(turn: Turn, ctx: ToolContext, now: datetime, draft: dict) -> Intent | None:
    """The answer to "for how many, what day and time?" or "which venue?" for a booking in progress,
    or a new day or time for one the venue refused ("ok then Thursday")."""
    t = turn.norm
    if _is_negative(turn.text) or re.search(r"\b(cancel|forget|remind|weather|my bookings?)\b", t):
        return None
    refs = _aliases()
    named = find_venue(t, refs)[0] or fuzzy_venue(t, refs) or _dialogue_venue(t, ctx)
    if draft.get("slug") is None:
        if named is None or (QUESTION_START.match(t) and not party_size(t)):
            return None
        return Intent("book", {"venue": named, "rest": t, "defaults": draft})
    if draft.get("dropped") and (named is None or named.slug == draft["slug"]):
        return None  # a declined request is only carried over to another venue
    if named is not None and named.slug != draft["slug"]:
        switch = SWITCH_CUES.search(t) or re.search(r"\b(try|then|same)\b", t)
        rest = parse_when(t, now, prefer_evening=True, **_date_hints(turn))[1]
        if not draft.get("soft") and switch and _bare_details(turn, rest, named):
            # "ok, let's try Luma instead": the same day, time and party at another venue
            return Intent("book", {"venue": named, "rest": t, "defaults": draft})
        return None
    when, rest = parse_when(t, now, prefer_evening=True, **_date_hints(turn))
    count = (
        int(t)
        if re.fullmatch(r"\d{1,2}", t)
        else _lone_count(rest, draft)
        if not (party_size(rest) or when.moment or (when.at and not when.soft))
        else None
    )
    if not (party_size(rest) or when.day or when.moment or (when.at and not when.soft) or count):
        return None
    if find_category(t)[0] or (find_place(t, _places())[0] and named is None):
        return None  # a new search, not an answer
    if draft.get("soft") or draft.get("retry"):
        # a venue only looked at, or a refused request: only a bare answer goes on with it
        if not _bare_details(turn, rest, named):
            return None
        if draft.get("soft") and (QUESTION_START.match(t) or "?" in turn.text) and not party_size(rest):
            return None  # "is it free tomorrow?" asks
    ref = _ref_for(draft["slug"])
    if ref is None:
        return None
    rest_text = f"for {count}, {t}" if count else t
    return Intent("book", {"venue": ref, "rest": rest_text, "defaults": draft})


def _lone_count(rest: str, draft: dict) -> int | None:
    """A bare number answering for a booking whose day and time are known ("12", "ok, book 12
    then" after a party too large): the party."""
    if not (draft.get("date") and draft.get("time")):
        return None
    numbers = re.findall(r"(?<![:.\d])\b(\d{1,2})\b(?![:.]\d)", rest)
    if len(numbers) != 1 or not 0 < int(numbers[0]) <= 60:
        return None
    return int(numbers[0])


def fuzzy_place(t: str):
    from rapidfuzz import fuzz, process

    known = {normalize(p.name): p for p in _places()}
    for word in t.split():
        if len(word) < 4:
            continue
        match = process.extractOne(word, list(known), scorer=fuzz.ratio, score_cutoff=80)
        if match:
            return known[match[0]]
    return None


def _plan_edit_pending(turn, ctx, now, intent) -> Step:
    state = ctx.dialogue
    pending = dict(state.get("pending") or {})
    booking = turn.last("create_booking")
    if booking is None:
        pending.update(intent.data["changes"])
        return _call(
            "create_booking",
            venue=pending.get("slug"),
            date=pending.get("date"),
            time=pending.get("time"),
            party_size=pending.get("party_size"),
            special_requests=pending.get("special_requests"),
            **({"children": pending["children"]} if pending.get("children") else {}),
        )
    return _booking_answer(turn, ctx, now, booking, pending.get("slug"), pending.get("date"), pending.get("party_size"))


def _plan_forget_all(turn, ctx, now, intent) -> Step:
    done = turn.last("recall_memories")
    if done is None:
        return _call("recall_memories")
    memories = (done.result or {}).get("memories") or [] if isinstance(done.result, dict) else []
    if not memories:
        return _say(
            'I don\'t remember anything about you, so there is nothing to delete. Ask "what do you know about me?" any time.'
        )
    ctx.dialogue["forget_all"] = True
    ctx.dialogue["buttons"] = True
    count = len(memories)
    return _say(t_say("forget_all_ask", _lang(turn), count=count, s="s" if count != 1 else ""))


def _plan_forget_all_do(turn, ctx, now, intent) -> Step:
    done = turn.last("remember_preference")
    if done is None:
        return _call("remember_preference", text="everything", forget=True)
    if done.is_error:
        return _say(f"I couldn't forget that: {_error_text(done.result)}")
    ctx.dialogue.pop("forget_all", None)
    count = int((done.result or {}).get("forgotten") or 0) if isinstance(done.result, dict) else 0
    if not count:
        return _say(t_say("nothing_left", _lang(turn)))
    return _say(t_say("forgot", _lang(turn), count=count, s="s" if count != 1 else ""))


DIETS = ("vegan", "vegetarian", "pescatarian", "gluten-free", "halal")


def _diet_word(ctx: ToolContext) -> str | None:
    """The guest's remembered diet, used as a search keyword ("I'm vegan" → vegan places first)."""
    from knowledge.models import UserMemory

    user = getattr(ctx, "user", None)
    if user is None or getattr(user, "pk", None) is None:
        return None
    contents = " ".join(UserMemory.objects.filter(user=user).values_list("content", flat=True)[:50]).lower()
    if re.search(r"\b(coeliac|celiac|gluten)\b", contents):
        return "gluten-free"
    for diet in DIETS:
        if diet in contents:
            return diet
    return None


def _allergies(ctx: ToolContext) -> list[str]:
    from knowledge.models import UserMemory

    user = getattr(ctx, "user", None)
    if user is None or getattr(user, "pk", None) is None:
        return []
    found = []
    for content in UserMemory.objects.filter(user=user).values_list("content", flat=True)[:50]:
        for m in re.finditer(r"allergic to ([a-z ]+?)(?:$|[,.;]| and )", content.lower()):
            found.append(m.group(1).strip())
        # "my son has a severe peanut allergy", "shellfish allergies"
        for m in re.finditer(r"\b([a-z]+) allerg(?:y|ies)\b", content.lower()):
            if m.group(1) not in ALLERGY_NOT_A_FOOD:
                found.append(m.group(1))
    return list(dict.fromkeys(found))


# words before "allergy" that name no food ("a severe allergy", "his allergy")
ALLERGY_NOT_A_FOOD = set(
    "a an the severe serious mild bad strong slight deadly threatening real big food my his her their our no any some".split()
)


_CATEGORY_WORDS = {
    "restaurant": "restaurant",
    "restaurants": "restaurant",
    "cafe": "cafe",
    "coffee": "cafe",
    "beachclub": "beach_club",
    "nightclub": "nightclub",
    "spa": "spa",
    "yoga": "wellness",
}


def fuzzy_category(text: str) -> tuple[str | None, str]:
    from rapidfuzz import fuzz, process

    for word in text.split():
        if len(word) < 5:
            continue
        match = process.extractOne(word, list(_CATEGORY_WORDS), scorer=fuzz.ratio, score_cutoff=85)
        if match:
            return _CATEGORY_WORDS[match[0]], " ".join(w for w in text.split() if w != word)
    return None, text
