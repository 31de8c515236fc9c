"""Weather, food diary, memory and shopping tools through the executor."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from agnt.llm.types import ToolContext
from billing.tests.fake_marketplace import fake_marketplace  # noqa: F401 - fixture
from knowledge.models import FoodDiary
from knowledge.nutrition import DISHES, estimate
from messaging.clients import weather
from messaging.tests.fake_weather import fake_weather  # noqa: F401 - fixture
from messaging.tools.registry import execute_tool
from venues.tests.factories import make_city

pytestmark = pytest.mark.clock


@pytest.fixture
def ctx(db, django_user_model):
    city = make_city(name="Ubud", slug="ubud", latitude="-8.506900", longitude="115.262500", timezone="Asia/Makassar")
    user = django_user_model.objects.create_user(username="guest", password="x", city=city)
    return ToolContext(user=user, platform="telegram", now=timezone.now())


# --------------------------------------------------------------------------- weather


def test_current_weather_defaults_to_the_users_city_and_is_cached(ctx, fake_weather):
    result = execute_tool("get_weather", {}, ctx)
    assert not result.is_error, result.content
    assert result.content["current"]["temperature_c"] == 29.4
    assert result.content["current"]["description"] == "light rain" and result.content["current"]["city"] == "Ubud"
    sent = fake_weather.forecast_requests()[0]
    assert sent["latitude"] == "-8.506900" and sent["timezone"] == "Asia/Makassar"
    assert "temperature_2m" in sent["current"] and "weather_code" in sent["current"]
    execute_tool("get_weather", {"city": "UBUD"}, ctx)
    assert len(fake_weather.requests) == 1  # the second answer came from the Redis cache


def test_forecast_for_a_date(ctx, fake_weather):
    day = (timezone.now() + timedelta(days=3)).date()
    result = execute_tool("get_weather", {"date": day.isoformat()}, ctx)
    assert not result.is_error, result.content
    assert result.content["forecast"]["description"] == "thunderstorm"
    assert result.content["forecast"]["precipitation_probability_pct"] == 80
    sent = fake_weather.forecast_requests()[0]
    assert sent["start_date"] == sent["end_date"] == day.isoformat()


def test_weather_errors_are_reported_truthfully(ctx, fake_weather):
    too_far = (timezone.now() + timedelta(days=40)).date().isoformat()
    assert "16 days" in execute_tool("get_weather", {"date": too_far}, ctx).content["error"]
    fake_weather.script(500, {"error": True, "reason": "boom"}, times=2)
    result = execute_tool("get_weather", {"date": (timezone.now() + timedelta(days=1)).date().isoformat()}, ctx)
    assert result.is_error and "HTTP 500" in result.content["error"]
    assert execute_tool("get_weather", {"city": "Atlantis"}, ctx).content["known_cities"] == ["Ubud"]


def test_current_weather_never_raises(ctx, settings):
    settings.WEATHER_API_BASE_URL = "http://127.0.0.1:9"
    assert weather.current_weather(city=ctx.user.city) is None
    assert weather.current_weather(city=None) is None
    result = execute_tool("get_weather", {}, ctx)
    assert result.is_error and "not available" in result.content["error"]


# --------------------------------------------------------------------------- food diary


def test_the_nutrition_table_is_real_and_covers_local_and_cafe_food():
    names = {dish.name for dish in DISHES}
    assert len(DISHES) >= 40
    assert {
        "nasi goreng",
        "mie goreng",
        "gado-gado",
        "babi guling",
        "sate ayam",
        "smoothie bowl",
        "avocado toast",
    } <= names
    for dish in DISHES:
        # Energy roughly matches the macros (4/4/9 kcal per gram; alcohol explains the beer and cocktails).
        from_macros = 4 * dish.protein_g + 4 * dish.carbs_g + 9 * dish.fat_g
        if dish.name not in ("bintang beer", "cocktail"):
            assert abs(from_macros - dish.calories) / dish.calories < 0.25, dish.name


def test_estimate_finds_dishes_and_quantities():
    items = estimate("Had 2 eggs, avocado toast and a flat white")
    assert [(i["name"], i["quantity"]) for i in items] == [
        ("fried egg", 2.0),
        ("avocado toast", 1.0),
        ("flat white", 1.0),
    ]
    assert items[0]["calories"] == 180
    assert [i["name"] for i in estimate("fried rice")] == ["nasi goreng"]  # not also "white rice"
    assert estimate("something unusual") == []


def test_food_diary_log_estimates_from_the_description(ctx):
    result = execute_tool(
        "food_diary_log", {"description": "I had nasi goreng and es kopi susu", "meal_type": "Lunch"}, ctx
    )
    assert not result.is_error, result.content
    assert result.content["estimated"] is True and result.content["totals"]["calories"] == 640 + 220
    entry = FoodDiary.objects.get()
    assert entry.user == ctx.user and entry.meal_type == "lunch" and entry.calories == 860
    assert entry.protein_g == Decimal("24.0") and [i["name"] for i in entry.items] == [
        "nasi goreng",
        "iced coffee with milk",
    ]


def test_food_diary_log_uses_given_items(ctx):
    items = [{"name": "poke bowl", "calories": 610, "protein_g": 32, "carbs_g": 70, "fat_g": 18}]
    result = execute_tool(
        "food_diary_log", {"description": "poke", "items": items, "eaten_at": "2026-03-11T12:30"}, ctx
    )
    assert not result.is_error and result.content["estimated"] is False
    entry = FoodDiary.objects.get()
    assert entry.calories == 610 and entry.eaten_at.isoformat().startswith("2026-03-11T04:30")  # 12:30 Bali = 04:30 UTC


def test_food_diary_log_asks_when_nothing_is_recognised(ctx):
    result = execute_tool("food_diary_log", {"description": "the thing my friend cooked"}, ctx)
    assert result.is_error and "which dishes" in result.content["error"]
    assert execute_tool("food_diary_log", {"description": "nasi goreng", "meal_type": "brunch"}, ctx).is_error
    assert FoodDiary.objects.count() == 0


# --------------------------------------------------------------------------- memory


def test_remember_and_recall(ctx):
    result = execute_tool("remember_preference", {"text": "I'm vegetarian"}, ctx)
    assert not result.is_error, result.content
    assert result.content["remembered"]
    odd = execute_tool("remember_preference", {"text": "Prefers tables by the window"}, ctx)
    assert odd.content["remembered"][0]["kind"] == "preference"
    recalled = execute_tool("recall_memories", {}, ctx)
    contents = " ".join(m["content"] for m in recalled.content["memories"]).lower()
    assert "vegetarian" in contents and "window" in contents


def test_recall_with_nothing_remembered(ctx):
    result = execute_tool("recall_memories", {"query": "diet"}, ctx)
    assert not result.is_error and result.content["memories"] == []


# --------------------------------------------------------------------------- shopping


RAYBAN = "https://shopee.co.id/ray-ban-wayfarer-classic-rb2140-sunglasses-black-i.1001.10019"
SKIN_AQUA = "https://www.tokopedia.com/skinaqua/skin-aqua-uv-super-moisture-milk-spf50-pa-40ml"


def test_dupe_search_finds_cheaper_look_alikes_of_a_link_with_tracked_links(ctx, fake_marketplace):
    result = execute_tool("dupe_search", {"product": RAYBAN}, ctx)
    assert not result.is_error, result.content
    assert result.content["original"]["title"].startswith("Ray-Ban Wayfarer")
    titles = [item["title"] for item in result.content["results"]]
    assert titles and all("Wayfarer" in title for title in titles), titles
    assert all(Decimal(item["price_value"]) < Decimal("2450000") for item in result.content["results"])
    assert all(item["link"].startswith("http://") and "/go/" in item["link"] for item in result.content["results"])


def test_dupe_search_by_name_beats_the_named_products_price_and_a_budget(ctx, fake_marketplace):
    result = execute_tool("dupe_search", {"product": "la roche-posay anthelios sunscreen", "max_price": 70000}, ctx)
    assert not result.is_error, result.content
    prices = [Decimal(item["price_value"]) for item in result.content["results"]]
    assert prices and all(price < 70000 for price in prices)
    nothing = execute_tool("dupe_search", {"product": "Skin Aqua UV Super Moisture Milk", "max_price": 1000}, ctx)
    assert nothing.is_error and "couldn't find a cheaper look-alike" in nothing.content["error"]


def test_price_watch_looks_the_product_up_and_records_its_first_price(ctx, fake_marketplace):
    result = execute_tool("price_watch", {"product_url": SKIN_AQUA, "target_price": 60000}, ctx)
    assert not result.is_error, result.content
    assert result.content["current_price"] == "Rp 79.000" and result.content["target_price"] == "Rp 60.000"
    from billing.models.marketplace import PricePoint, PriceWatcher

    watcher = PriceWatcher.objects.get()
    assert (
        watcher.user == ctx.user and watcher.marketplace == "tokopedia" and watcher.target_price == Decimal("60000.00")
    )
    assert watcher.notify_channel == "telegram" and watcher.product_title.startswith("Skin Aqua")
    assert watcher.last_price == Decimal("79000") and watcher.expires_at is not None
    assert PricePoint.objects.filter(watcher=watcher).count() == 1
    again = execute_tool("price_watch", {"product_url": SKIN_AQUA, "target_price": 50000}, ctx)
    assert again.is_error and "already watching" in again.content["error"]


def test_price_watch_refuses_a_target_at_or_above_the_current_price_and_stores_nothing(ctx, fake_marketplace):
    from billing.models.marketplace import PriceWatcher

    result = execute_tool("price_watch", {"product_url": SKIN_AQUA, "target_price": 90000}, ctx)
    assert result.is_error and "already costs Rp 79.000" in result.content["error"]
    assert "/go/" in result.content["link"]
    assert not PriceWatcher.objects.exists()


def test_price_watch_refuses_unknown_shops_unknown_products_and_missing_prices(ctx, fake_marketplace):
    from billing.models.marketplace import PriceWatcher

    unknown_shop = execute_tool("price_watch", {"product_url": "https://amazon.com/x", "target_price": 10}, ctx)
    assert "Shopee, Tokopedia and Lazada" in unknown_shop.content["error"]
    assert "amazon.com" in unknown_shop.content["error"]
    assert "target price" in execute_tool("price_watch", {"product_url": SKIN_AQUA}, ctx).content["error"]
    missing = execute_tool("price_watch", {"product_url": "https://shopee.co.id/gone-i.1.2", "target_price": 10}, ctx)
    assert missing.is_error and "no product at that link" in missing.content["error"]
    assert not PriceWatcher.objects.exists() and "https://amazon.com/x" not in fake_marketplace.lookups()
