"""Meal photos: a photo sent to the concierge becomes a food diary entry the guest confirmed.

1. **Analyse.** When the configured model can look at pictures (Anthropic), the photo
   (downloaded through the channel's client: Telegram ``getFile``) goes to the LLM
   gateway's vision path as one forced, schema-checked call: is it food, which dishes,
   per-dish calories and macros. Otherwise — the offline planner, Ollama, a model that is
   down, a photo we could not download — the caption is read against the nutrition table
   (``knowledge.nutrition``).
2. **Confirm.** Nothing is logged yet: the items are stored as the user's pending action
   (the same per-user slot and TTL a booking confirmation uses, so "yes" always answers
   the last question) and the guest is asked to confirm or correct them.
3. **Log.** "yes" logs the stored items (``knowledge.services.food_diary_log``); "no"
   drops them; a message naming dishes ("it was mie goreng and a coconut") replaces them
   and asks again.

A photo that is not food, or one without a caption when no model can see it, gets a
clear answer and nothing is logged.
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime
from typing import Any

from messaging.types import MediaRef

logger = logging.getLogger(__name__)

TOOL = "food_diary_log"
MAX_IMAGE_BYTES = 5 * 1024 * 1024
_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}

VISION_INSTRUCTIONS = (
    "You look at one photo a guest sent to their food diary. Decide whether it shows food or drink "
    "someone is about to eat or just ate. If it does, list each dish or drink you can see with a typical "
    "portion estimate of calories and macros (grams). Use the guest's caption as a hint for names and "
    "quantities. If it is not food (a person, a view, a screenshot, a menu), set is_food to false and "
    "list no items."
)
VISION_TOOL: dict[str, Any] = {
    "name": "meal_from_photo",
    "description": "Report what the food photo shows.",
    "input_schema": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "is_food": {"type": "boolean"},
            "confidence": {"type": "number", "description": "0 to 1"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string"},
                        "calories": {"type": "number"},
                        "protein_g": {"type": "number"},
                        "carbs_g": {"type": "number"},
                        "fat_g": {"type": "number"},
                    },
                    "required": ["name", "calories", "protein_g", "carbs_g", "fat_g"],
                },
            },
        },
        "required": ["is_food", "confidence", "items"],
    },
}

NOT_FOOD = (
    "That doesn't look like a meal to me, so I haven't logged anything. If it is one, tell me what was on "
    'the plate — for example "nasi goreng and an iced latte" — and I\'ll log it.'
)
NO_CAPTION = (
    "I can't look at photos here, and there was no caption, so I haven't logged anything. Send the photo "
    'again with a caption naming the dishes — for example "mie goreng and a coconut for lunch".'
)
NO_DISH_IN_CAPTION = (
    "I couldn't recognise a dish in your caption, so I haven't logged anything. Tell me what was on the "
    'plate — for example "gado-gado and a fresh juice" — and I\'ll log it.'
)


# --------------------------------------------------------------------------- analyse


def _clean_items(raw: Any) -> list[dict[str, Any]]:
    items = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not str(item.get("name") or "").strip():
            continue
        clean: dict[str, Any] = {"name": str(item["name"]).strip()[:80]}
        for key, ceiling in (("calories", 5000), ("protein_g", 500), ("carbs_g", 1000), ("fat_g", 500)):
            try:
                value = float(item.get(key))
            except (TypeError, ValueError):
                continue
            if 0 <= value <= ceiling:
                clean[key] = round(value) if key == "calories" else round(value, 1)
        items.append(clean)
    return items[:12]


def _vision(*, user, platform: str, media: MediaRef, caption: str) -> dict[str, Any] | None:
    """The vision model's reading of the photo, or None when it cannot be had (caller falls back)."""
    from agnt.llm.base import ProviderError
    from agnt.llm.gateway import extract_structured, supports_images
    from messaging.clients import media_bytes

    if not supports_images():
        return None
    fetched = media_bytes(platform, media, MAX_IMAGE_BYTES)
    if not fetched:
        return None
    data, mime = fetched
    block = {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": mime if mime in _IMAGE_TYPES else "image/jpeg",
            "data": base64.b64encode(data).decode("ascii"),
        },
    }
    text = f"Caption: {caption}" if caption else "No caption."
    try:
        result = extract_structured(
            instructions=VISION_INSTRUCTIONS, text=text, tool=VISION_TOOL, user=user, images=[block]
        )
    except ProviderError as exc:
        logger.warning("meal photo vision failed, reading the caption instead: %s", exc)
        return None
    if result is None:
        return None
    data_out = result.data if isinstance(result.data, dict) else {}
    try:
        confidence = min(1.0, max(0.0, float(data_out.get("confidence", 0.5))))
    except (TypeError, ValueError):
        confidence = 0.5
    items = _clean_items(data_out.get("items"))
    return {"is_food": bool(data_out.get("is_food")) and bool(items), "items": items, "confidence": confidence}


def _meal_type(text: str) -> str:
    import re

    match = re.search(r"\b(breakfast|lunch|dinner|snack|drinks?)\b", (text or "").lower())
    if not match:
        return ""
    return "drink" if match.group(1).startswith("drink") else match.group(1)


def meal_photo_answer(*, ctx, media: MediaRef, caption: str, interaction_id=None) -> str:
    """Analyse a meal photo and ask the guest to confirm; returns the reply. Logs nothing."""
    from knowledge.nutrition import estimate
    from messaging.tools.confirmation import pending_action_create

    caption = (caption or "").strip()
    reading = _vision(user=ctx.user, platform=ctx.platform, media=media, caption=caption)
    if reading is not None:
        if not reading["is_food"]:
            return NOT_FOOD
        items, confidence, source = reading["items"], reading["confidence"], "photo"
    else:
        if not caption:
            return NO_CAPTION
        items, confidence, source = estimate(caption), None, "caption"
        if not items:
            return NO_DISH_IN_CAPTION
    arguments = {
        "description": caption or ", ".join(item["name"] for item in items),
        "items": items,
        "meal_type": _meal_type(caption),
        "eaten_at": ctx.now.isoformat(),
        "confidence": confidence,
        "source": source,
        "interaction_id": str(interaction_id) if interaction_id else "",
    }
    pending_action_create(user=ctx.user, tool=TOOL, arguments=arguments, summary="log a meal photo")
    return _proposal(items, source=source, meal_type=arguments["meal_type"])


def _item_line(item: dict[str, Any]) -> str:
    kcal = item.get("calories")
    quantity = item.get("quantity")
    name = f"{quantity:g} × {item['name']}" if isinstance(quantity, (int, float)) and quantity != 1 else item["name"]
    return f"• {name}" + (f" — {kcal:.0f} kcal" if isinstance(kcal, (int, float)) else "")


def _totals_line(items: list[dict[str, Any]]) -> str:
    from knowledge.nutrition import totals

    t = totals(items)
    return f"Total: {t['calories']} kcal, {t['protein_g']:.0f} g protein, {t['carbs_g']:.0f} g carbs, {t['fat_g']:.0f} g fat"


def _proposal(items: list[dict[str, Any]], *, source: str, meal_type: str) -> str:
    seen = {"photo": "I can see", "caption": "From your caption I have"}.get(source, "Corrected")
    lines = [f"🍽 {seen}:", *(_item_line(item) for item in items), _totals_line(items)]
    lines.append(
        f"Log this{' as ' + meal_type if meal_type else ''}? Reply yes, no, or correct me "
        '(e.g. "it was mie goreng and a coconut").'
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------- confirm


def is_pending_meal(action: dict[str, Any] | None) -> bool:
    return bool(action) and action.get("tool") == TOOL and isinstance(action.get("arguments"), dict)


def meal_pending_reply(*, ctx, action: dict[str, Any], text: str) -> str | None:
    """Answer a message while a meal waits for confirmation; None when the message is about something else."""
    import uuid

    from django.core.exceptions import ValidationError

    from knowledge.nutrition import estimate
    from knowledge.services import food_diary_log
    from messaging.tools.confirmation import (
        is_affirmative,
        is_negative,
        pending_action_claim,
        pending_action_clear,
        pending_action_create,
    )

    args = action["arguments"]
    if is_affirmative(text):
        pending_action_clear(user=ctx.user)
        if not pending_action_claim(action_id=action["id"]):
            return "That meal is already in your diary."
        try:
            eaten_at = datetime.fromisoformat(args.get("eaten_at") or "")
        except ValueError:
            eaten_at = ctx.now
        try:
            interaction = uuid.UUID(args["interaction_id"]) if args.get("interaction_id") else None
        except ValueError:
            interaction = None
        try:
            entry = food_diary_log(
                user=ctx.user,
                description=str(args.get("description") or "")[:500],
                items=list(args.get("items") or []),
                eaten_at=eaten_at,
                meal_type=str(args.get("meal_type") or ""),
                confidence=args.get("confidence"),
                source_interaction_id=interaction,
            )
        except ValidationError as exc:
            return "I couldn't log that meal: " + "; ".join(exc.messages)
        note = "" if args.get("source") == "photo" else "\n(Typical-portion estimates, not exact values.)"
        return f"Logged in your food diary: {entry.calories} kcal.{note}"
    corrected = estimate(text)  # before "no": "no, it was mie goreng" is a correction
    if corrected:
        arguments = {**args, "items": corrected, "description": text[:500], "source": "caption"}
        arguments["meal_type"] = _meal_type(text) or args.get("meal_type", "")
        pending_action_create(user=ctx.user, tool=TOOL, arguments=arguments, summary="log a meal photo")
        return _proposal(corrected, source="correction", meal_type=arguments["meal_type"])
    if is_negative(text):
        pending_action_clear(user=ctx.user)
        return "OK — I haven't logged that meal."
    return None
