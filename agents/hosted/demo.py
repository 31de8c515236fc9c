"""Demo hosted agents for `make run` (manage.py seed_demo calls seed_hosted_demo): three
working agents built on AGNT's tools, deployed, one with a public demo page. Idempotent:
each is looked up by its friendly name first. They run with the offline LLM."""

from __future__ import annotations

from agents.hosted import services
from agents.hosted.models import DemoApp, Deployment

DATE_NIGHT = '''"""Date-night planner: a romantic venue in a city with a free table that evening."""


def handler(event):
    city = event.get("city", "canggu")
    search = {"city": city, "category": "restaurant", "party_size": 2, "limit": 5}
    found = call_tool("venue_search", dict(search, query=event.get("mood", "")))
    if not found["venues"]:
        found = call_tool("venue_search", search)  # nothing matched the mood: any restaurant
    log("candidates", [v["slug"] for v in found["venues"]])
    for venue in found["venues"]:
        free = call_tool("check_availability", {"venue": venue["slug"], "date": event["date"], "party_size": 2})
        evening = [s for s in free["slots"] if s[11:13] >= "18"]
        if evening:
            note = call_llm("", [{"role": "user", "content": "One line to invite a date to " + venue["name"]}])
            return {"venue": venue["slug"], "name": venue["name"], "time": evening[0], "note": note}
    return {"venue": "", "name": "", "time": "", "note": "No evening table found on that date; try another day."}
'''

ALLERGENS = '''"""Menu allergen checker: asks a venue's own knowledge about an allergen."""


def handler(event):
    allergen = event["allergen"]
    answer = call_tool("ask_venue", {"venue": event["venue"],
                                     "question": "Does the menu contain " + allergen + "? allergy options"})
    passages = [p["text"][:300] for p in answer["passages"]]
    mentions = [p for p in passages if allergen.lower() in p.lower()]
    return {"venue": event["venue"], "allergen": allergen, "found_information": answer["found"],
            "mentions": mentions, "sources": [p["citation"] for p in answer["passages"]]}
'''

ITINERARY = '''"""Evening itinerary: a date-night pick, then an allergen check at that venue."""


def handler(event):
    plan = call_agent("date-night-planner", {"city": event.get("city", "canggu"), "date": event["date"]})
    steps = [plan]
    if plan["venue"] and event.get("allergen"):
        steps.append(call_agent("menu-allergen-checker", {"venue": plan["venue"], "allergen": event["allergen"]}))
    kv_set("last_itinerary", {"date": event["date"], "venue": plan["venue"]})
    return {"date": event["date"], "steps": steps}
'''

CHAT = '''"""Bali chat: answers with the model, remembering the conversation."""


def handler(event):
    messages = [{"role": m["role"], "content": m["content"]} for m in event.get("history", [])]
    messages.append({"role": "user", "content": event["message"]})
    return {"reply": call_llm("", messages, max_tokens=300)}
'''

AGENTS = [
    {
        "friendly_name": "date-night-planner",
        "name": "Date-night planner",
        "description": "Finds a romantic venue with a free evening table for two.",
        "code": DATE_NIGHT,
        "tools": ["venue_search", "check_availability"],
        "input_schema": {
            "type": "object",
            "properties": {
                "city": {
                    "type": "string",
                    "title": "City",
                    "description": "canggu, seminyak, ubud, uluwatu or sanur",
                },
                "date": {"type": "string", "title": "Date (YYYY-MM-DD)", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                "mood": {"type": "string", "title": "Mood", "description": "e.g. sunset, candle-lit, beach"},
            },
            "required": ["date"],
        },
        "output_schema": {"venue": "string", "name": "string", "time": "string", "note": "string"},
        "visibility": "public",
        "demo": ("date-night", "Plan a date night in Bali"),
    },
    {
        "friendly_name": "menu-allergen-checker",
        "name": "Menu allergen checker",
        "description": "Asks a venue's own knowledge whether its menu contains an allergen.",
        "code": ALLERGENS,
        "tools": ["ask_venue"],
        "input_schema": {"venue": "string", "allergen": "string"},
        "output_schema": {
            "type": "object",
            "properties": {
                "venue": {"type": "string"},
                "allergen": {"type": "string"},
                "found_information": {"type": "boolean"},
                "mentions": {"type": "array"},
                "sources": {"type": "array"},
            },
            "required": ["venue", "allergen", "found_information"],
        },
        "visibility": "public",
    },
    {
        "friendly_name": "evening-itinerary",
        "name": "Evening itinerary",
        "description": "Plans the evening with the date-night planner, then checks the menu for an allergen.",
        "code": ITINERARY,
        "dependencies": ["date-night-planner", "menu-allergen-checker"],
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "date": {"type": "string"}, "allergen": {"type": "string"}},
            "required": ["date"],
        },
        "output_schema": {"date": "string", "steps": "array"},
        "visibility": "private",
    },
    {
        "friendly_name": "bali-chat",
        "name": "Bali chat",
        "description": "A chat about Bali evenings (the offline model echoes without an LLM key).",
        "code": CHAT,
        "interaction": "chat",
        "input_schema": {
            "type": "object",
            "properties": {"message": {"type": "string"}, "history": {"type": "array"}},
            "required": ["message"],
        },
        "output_schema": {"reply": "string"},
        "visibility": "public",
        "demo": ("bali-chat", "Chat about Bali evenings"),
    },
]


def seed_hosted_demo(*, owner, log=print) -> int:
    """Create (once) the demo hosted agents for ``owner``; returns how many were created."""
    created = 0
    for spec in AGENTS:
        spec = dict(spec)
        friendly_name = spec.pop("friendly_name")
        visibility = spec.pop("visibility")
        demo = spec.pop("demo", None)
        if Deployment.objects.filter(friendly_name=friendly_name).exists():
            continue
        agent = services.hosted_agent_create(owner=owner, **spec)
        services.deployment_create(agent=agent, friendly_name=friendly_name, visibility=visibility)
        if demo:
            slug, title = demo
            DemoApp.objects.get_or_create(
                slug=slug,
                defaults={
                    "agent": agent,
                    "title": title,
                    "description": spec["description"],
                    "is_public": True,
                    "spend_cap_micros": 500_000,
                },
            )
        created += 1
    if created:
        _example_activity(owner)
    return created


def _example_activity(owner) -> None:
    """One finished run (trace, cost, ledger), a chat session, a provider key — so every
    admin page has a real row. The key belongs to another demo user: the demo agents keep
    using the offline model."""
    from datetime import timedelta

    from django.utils import timezone

    from agents.hosted.models import AgentSession, CallerKind, ProviderKey
    from agents.hosted.runner import execute
    from agnt.models import User

    deployment = Deployment.objects.get(friendly_name="date-night-planner")
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    run, _ = services.run_create(
        deployment=deployment,
        input={"city": "canggu", "date": day, "mood": "sunset"},
        caller_kind=CallerKind.USER,
        caller_ref=f"user:{owner.pk}",
        payer=owner,
        user=owner,
        idempotency_key="demo-seed",
    )
    execute(run_id=run.pk)
    chat = DemoApp.objects.get(slug="bali-chat")
    AgentSession.objects.get_or_create(
        agent=chat.agent,
        demo=chat,
        defaults={
            "messages": [
                {"role": "user", "content": "Where can I watch the sunset in Canggu?"},
                {"role": "assistant", "content": "(offline model) Where can I watch the sunset in Canggu?"},
            ]
        },
    )
    author, _ = User.objects.get_or_create(username="hosted.author", defaults={"display_name": "Agent author"})
    if not ProviderKey.objects.filter(owner=author).exists():
        services.provider_key_set(owner=author, provider="anthropic", key="sk-ant-demo-not-a-real-key-0000")
