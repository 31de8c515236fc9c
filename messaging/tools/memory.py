"""Memory tools: remember what the user tells about themselves, and recall it."""

from __future__ import annotations

import uuid

from pydantic import Field

from messaging.tools.base import Tool, ToolArgs, ToolFailure


class RememberPreferenceArgs(ToolArgs):
    text: str = Field(..., min_length=2, description="What to remember, in the user's words ('I'm vegetarian').")
    forget: bool = Field(
        False,
        description="True when the user asks you to FORGET it: the matching memories are deleted for good "
        "(text 'everything' deletes all of them).",
    )


def _interaction_uuid(ctx):
    try:
        return uuid.UUID(str(ctx.interaction_id)) if getattr(ctx, "interaction_id", None) else None
    except ValueError:
        return None


def run_remember_preference(args: RememberPreferenceArgs, ctx) -> dict:
    from django.core.exceptions import ValidationError

    from knowledge.memory import user_memory_learn_from_message, user_memory_remember
    from knowledge.models import MemoryKind

    if args.forget:
        return _forget(args.text, ctx)
    interaction = _interaction_uuid(ctx)
    memories = user_memory_learn_from_message(user=ctx.user, text=args.text, interaction_id=interaction)
    if not memories:
        # The extractor only knows common shapes ("I'm vegan", "we're 4"); the user asked
        # explicitly, so keep their words as a preference.
        try:
            memory, _created = user_memory_remember(
                user=ctx.user,
                kind=MemoryKind.PREFERENCE,
                content=args.text,
                confidence=0.9,
                importance=0.6,
                source_interaction_id=interaction,
            )
        except ValidationError as exc:
            raise ToolFailure("; ".join(exc.messages)) from None
        memories = [memory]
    return {"remembered": [{"kind": m.kind, "content": m.content} for m in memories]}


def _forget(text: str, ctx) -> dict:
    from knowledge.memory import user_memory_forget_matching

    deleted = user_memory_forget_matching(user=ctx.user, text=text)
    if not deleted:
        return {"forgotten": 0, "note": f"nothing remembered matches {text!r}"}
    return {"forgotten": deleted}


class RecallMemoriesArgs(ToolArgs):
    query: str | None = Field(None, description="What you want to know (e.g. 'diet', 'favourite area'); omit for all.")


def run_recall_memories(args: RecallMemoriesArgs, ctx) -> dict:
    from knowledge.memory import user_memory_recall

    memories = user_memory_recall(user=ctx.user, query=args.query or None, limit=10)
    if not memories:
        return {"memories": [], "note": "nothing is remembered about this user yet"}
    return {
        "memories": [{"kind": m.kind, "content": m.content, "since": m.created_at.date().isoformat()} for m in memories]
    }


TOOLS = [
    Tool(
        "remember_preference",
        "Remember something the user tells about themselves (diet, allergies, favourite areas, budget, usual party "
        "size, tastes) — or, with forget=true, delete what they ask you to forget.",
        RememberPreferenceArgs,
        run_remember_preference,
    ),
    Tool(
        "recall_memories",
        "What you remember about the user, optionally about one topic.",
        RecallMemoriesArgs,
        run_recall_memories,
    ),
]
