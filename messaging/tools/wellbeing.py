"""Everyday tools: the weather, and the food diary."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from messaging.tools.base import Tool, ToolArgs, ToolFailure, ctx_now, parse_datetime, parse_day, resolve_city, user_tz


class GetWeatherArgs(ToolArgs):
    city: str | None = Field(None, description="City name; defaults to the user's city.")
    date: str | None = Field(None, description="YYYY-MM-DD for a forecast (up to 16 days ahead); omit for now.")


def run_get_weather(args: GetWeatherArgs, ctx) -> dict:
    from messaging.clients.weather import WeatherError, current_weather, forecast

    city = resolve_city(args.city, ctx=ctx)
    if city is None:
        raise ToolFailure("which city? the user has no home city set")
    if args.date:
        try:
            return {"forecast": forecast(city=city, day=parse_day(args.date))}
        except WeatherError as exc:
            raise ToolFailure(f"no forecast for {city.name}: {exc}") from None
    now = current_weather(city=city)
    if now is None:
        raise ToolFailure(f"the current weather in {city.name} is not available right now")
    from messaging.clients.weather import source_name

    return {"current": now, "source": source_name()}


class FoodItem(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: str = Field(..., min_length=1)
    calories: float | None = Field(None, ge=0, le=10000)
    protein_g: float | None = Field(None, ge=0, le=1000)
    carbs_g: float | None = Field(None, ge=0, le=2000)
    fat_g: float | None = Field(None, ge=0, le=1000)


class FoodDiaryLogArgs(ToolArgs):
    description: str = Field(..., min_length=1, description="What the user ate, in their words.")
    meal_type: str | None = Field(None, description="breakfast, lunch, dinner, snack or drink.")
    items: list[FoodItem] | None = Field(
        None, description="Dishes with estimates when you can see them (e.g. from a photo); omit to estimate from text."
    )
    eaten_at: str | None = Field(None, description="ISO date-time (user's local time if naive); default now.")


def run_food_diary_log(args: FoodDiaryLogArgs, ctx) -> dict:
    from django.core.exceptions import ValidationError

    from knowledge.models import MealType
    from knowledge.nutrition import estimate, totals
    from knowledge.services import food_diary_log

    meal_type = (args.meal_type or "").strip().lower()
    if meal_type and meal_type not in MealType.values:
        raise ToolFailure(f"meal_type must be one of {', '.join(MealType.values)}")
    if args.items:
        items = [item.model_dump() for item in args.items]
        estimated = False
    else:
        items = estimate(args.description)
        estimated = True
        if not items:
            raise ToolFailure(
                "I could not recognise a dish in that; ask the user which dishes they had "
                "(e.g. 'nasi goreng and an iced latte')"
            )
    eaten_at = parse_datetime(args.eaten_at, tz=user_tz(ctx), field="eaten_at") if args.eaten_at else ctx_now(ctx)
    try:
        interaction = uuid.UUID(str(ctx.interaction_id)) if getattr(ctx, "interaction_id", None) else None
    except ValueError:
        interaction = None
    try:
        entry = food_diary_log(
            user=ctx.user,
            description=args.description,
            items=items,
            eaten_at=eaten_at,
            meal_type=meal_type,
            source_interaction_id=interaction,
        )
    except ValidationError as exc:
        raise ToolFailure("; ".join(exc.messages)) from None
    return {
        "status": "logged",
        "entry_id": str(entry.pk),
        "items": items,
        "totals": totals(items),
        "estimated": estimated,
        "note": "typical-portion estimates from a nutrition table, not exact values" if estimated else "",
    }


class FoodDiaryReportArgs(ToolArgs):
    period: str = Field("week", description="today, week (the last 7 days) or month (the last 30 days).")


def run_food_diary_report(args: FoodDiaryReportArgs, ctx) -> dict:
    from datetime import datetime, time, timedelta

    from knowledge.selectors import food_diary_between

    period = (args.period or "week").strip().lower()
    days = {"today": 1, "day": 1, "week": 7, "month": 30}.get(period)
    if days is None:
        raise ToolFailure("period must be today, week or month")
    tz = user_tz(ctx)
    now = ctx_now(ctx).astimezone(tz)
    start = datetime.combine(now.date() - timedelta(days=days - 1), time.min, tzinfo=tz)
    diary = food_diary_between(user=ctx.user, start=start, end=now + timedelta(seconds=1))
    meals = [
        {
            "day": f"{meal['eaten_at'].astimezone(tz):%a %d %b}",
            "time": f"{meal['eaten_at'].astimezone(tz):%H:%M}",
            "meal_type": meal["meal_type"],
            "items": meal["items"],
            "calories": meal["calories"],
        }
        for meal in diary["meals"]
    ]
    return {"period": period, "from": f"{start:%Y-%m-%d}", "meals": meals, "totals": diary["totals"], "days": days}


TOOLS = [
    Tool(
        "get_weather",
        "Current weather, or the forecast for a date, in a city (default: the user's city).",
        GetWeatherArgs,
        run_get_weather,
    ),
    Tool(
        "food_diary_log",
        "Log a meal in the user's food diary with calories and macros (estimated from the description when no "
        "items are given).",
        FoodDiaryLogArgs,
        run_food_diary_log,
    ),
    Tool(
        "food_diary_report",
        "What the user ate (their food diary) today, this week or this month, with calorie and macro totals.",
        FoodDiaryReportArgs,
        run_food_diary_report,
    ),
]
