"""Dialogue state: what the conversation is about right now, kept with the encrypted session.

One plain dict per conversation (``ToolContext.dialogue``), loaded by the router with the
history and saved after the turn, read by the offline planner and written into the soul
prompt for the model providers:

- ``results``: the last list of venues shown, in order — "the second one", "1", "the last one";
- ``focus``: the venue the guest is talking about — "it", "there", "they", "that one";
- ``pending``: the booking waiting for a yes (venue, date, time, party size) — editable
  before the yes ("make it 8pm", "for 3 instead", "Friday instead", "cancel that");
- ``availability``: the last availability answer — "great, book it" books it; "and Saturday?"
  asks it again for another day;
- ``filters``: the guest's standing search filters — "what about Seminyak instead?" keeps
  "cheap cafe";
- ``language``: the language the guest writes in (en, id, ru, de);
- ``forget_all``: a "forget me" waiting for its yes;
- ``draft``: a booking the guest started without every detail ("book Luma tomorrow") — the
  answer to the follow-up question ("2 of us at 6pm") completes it; also a venue only looked at
  ("need a massage at Lotus Tide on Saturday" → "2pm, 2 people") and a request the venue
  refused ("closed that day" → "fine, tomorrow then same time");
- ``topic``: what the last answer was about (a search, one venue's opening hours or tables), so
  "ok what about Thursday morning?" asks the same again.

Only facts that came back from tools are stored (names and slugs of real venues, the
arguments of a real pending action), so nothing in it can invent a venue.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

FORGET_MESSAGE = re.compile(
    r"^\s*(?:please\s+|pls\s+)?(?:forget|delete|erase|remove|stop remembering|lupakan|hapus|забудь|удали|vergiss|lösche)\b"
    r"|\bforget (?:that|about|everything|what|me|my)\b|\bdelete (?:my data|everything|all)\b",
    re.IGNORECASE,
)

ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "pertama": 1,
    "kedua": 2,
    "ketiga": 3,
    "первый": 1,
    "второй": 2,
    "третий": 3,
    "erste": 1,
    "ersten": 1,
    "zweite": 2,
    "zweiten": 2,
    "dritte": 3,
    "dritten": 3,
}
ORDINAL_RE = re.compile(
    r"\b(?:the\s+)?(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|pertama|kedua|ketiga|erste[n]?|zweite[n]?|dritte[n]?)(?:\s+(?:one|place|option|venue|restaurant|cafe|club|bar|spa))?\b"
    r"|(?:\b(?:number|no\.?|nr\.?|num|option|opt)|#)\s*([1-9])\b"
)
FOCUS_RE = re.compile(
    r"\b(it|its|it's|there|they|them|their|that one|this one|that place|this place|the place|that restaurant|"
    r"the restaurant|the club|the cafe|that cafe|that club)\b"
)


def is_forget_message(text: str) -> bool:
    """A request to forget something: the router does not learn preferences from it."""
    return bool(FORGET_MESSAGE.search(text or ""))


def venue_ref(slug: str, name: str) -> dict[str, str]:
    return {"slug": slug, "name": name}


def pick_from_results(state: dict[str, Any], norm: str) -> dict[str, str] | None:
    """The venue an ordinal ("the second one", "number 2", "the last one") or a bare "2" points at."""
    results = state.get("results") or []
    if not results:
        return None
    bare = re.fullmatch(r"\s*#?([1-9])\s*[.!)]?\s*", norm)
    if bare:
        index = int(bare.group(1))
        return results[index - 1] if index <= len(results) else None
    m = ORDINAL_RE.search(norm)
    if not m:
        return None
    if m.group(2):
        index = int(m.group(2))
    elif m.group(1) == "last":
        index = len(results)
    else:
        index = ORDINALS.get(m.group(1), 0)
    return results[index - 1] if 0 < index <= len(results) else None


def refers_to_focus(norm: str) -> bool:
    return bool(FOCUS_RE.search(norm))


def remember_tool_calls(state: dict[str, Any], calls) -> None:
    """Fold a turn's tool calls (name, input, result, is_error) into the dialogue state — any provider's."""
    from venues.models import Venue

    def name_of(slug):
        return Venue.objects.filter(slug=slug).values_list("name", flat=True).first() or slug

    searches = [call for call in calls if call.name == "venue_search"]
    for call in calls:
        if call.is_error or not isinstance(call.result, dict):
            continue
        r = call.result
        if call.name == "venue_search" and r.get("venues"):
            state["results"] = [venue_ref(v["slug"], v["name"]) for v in r["venues"] if v.get("slug")]
            first = searches[0].input
            state["filters"] = {k: v for k, v in first.items() if k not in {"limit", "open_at", "party_size"}}
            # the day, time and party the guest searched with stand for a booking of one of the results
            request = {"party_size": first.get("party_size")} if first.get("party_size") else {}
            if first.get("open_at"):
                try:
                    at = datetime.fromisoformat(str(first["open_at"]))
                except ValueError:
                    at = None
                if at is not None:
                    request.update(date=at.date().isoformat(), time=at.strftime("%H:%M"))
            state["request"] = request
            if len(state["results"]) > 1:
                state.pop("focus", None)
            else:
                state["focus"] = state["results"][0]
        elif call.name in {"venue_details", "check_availability"} and r.get("slug"):
            state["focus"] = venue_ref(r["slug"], r.get("name") or r.get("venue"))
        elif call.name == "ask_venue" and call.input.get("venue"):
            passages = r.get("passages") or []
            name = passages[0].get("venue") if passages else None
            state["focus"] = venue_ref(call.input["venue"], name or call.input["venue"])
        if call.name == "check_availability":
            state["availability"] = {
                "slug": r.get("slug"),
                "name": r.get("venue"),
                "date": r.get("date"),
                "party_size": r.get("party_size"),
                "time": r.get("requested_time") if r.get("available") and r.get("requested_time") else None,
                "slots": (r.get("free_slots") or [])[:40],
                "asked_time": r.get("requested_time"),  # free or not: "and Saturday?" asks it again
            }
        elif call.name == "create_booking":
            if r.get("status") == "needs_confirmation":
                state["pending"] = {
                    "slug": call.input.get("venue"),
                    "name": name_of(call.input.get("venue")),
                    "date": call.input.get("date"),
                    "time": call.input.get("time"),
                    "party_size": call.input.get("party_size"),
                    "children": call.input.get("children") or 0,
                    "special_requests": call.input.get("special_requests"),
                }
                state["focus"] = venue_ref(call.input.get("venue"), state["pending"]["name"])
                state["buttons"] = True
            elif r.get("reference"):
                state.pop("pending", None)
                state.pop("availability", None)
                state["last_booking"] = r["reference"]
        elif call.name == "transport_book" and r.get("status") == "needs_confirmation":
            state["buttons"] = True
        elif call.name == "cancel_booking":
            state.pop("last_booking", None)


def summary_lines(state: dict[str, Any]) -> list[str]:
    """The dialogue state in words, for the soul prompt of the model providers."""
    lines = []
    if state.get("focus"):
        lines.append(f'Venue in focus ("it", "there"): {state["focus"]["name"]} (slug {state["focus"]["slug"]}).')
    if state.get("results"):
        listed = "; ".join(f"{i}. {v['name']} ({v['slug']})" for i, v in enumerate(state["results"], 1))
        lines.append(f'Last venues shown, in order ("the second one"): {listed}.')
    pending = state.get("pending")
    if pending:
        lines.append(
            f"Booking waiting for the guest's yes: {pending.get('name')} on {pending.get('date')} at "
            f"{pending.get('time')} for {pending.get('party_size')} (changes before the yes re-ask)."
        )
    availability = state.get("availability")
    if availability and availability.get("time"):
        lines.append(
            f"Last availability answer: {availability.get('name')} {availability.get('date')} at "
            f'{availability.get("time")} for {availability.get("party_size")} is free ("book it" means this).'
        )
    if state.get("filters"):
        lines.append(f"Standing search filters: {state['filters']}.")
    if state.get("language") and state["language"] != "en":
        lines.append(f"The guest writes in language '{state['language']}': answer in it.")
    return lines
