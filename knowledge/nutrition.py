"""Calories and macros of common dishes in Bali (Indonesian, Balinese and café food), per portion.

Values are typical restaurant portions, rounded, compiled from public food-composition
data (USDA FoodData Central, the Indonesian TKPI tables) and common recipe analyses.
They are estimates for a food diary, not medical data, and every estimate says so.

:func:`estimate` finds dishes in free text ("2 eggs and a flat white", "nasi goreng for
lunch") with simple quantities ("2", "two", "half a", "double").
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Dish:
    name: str
    portion: str
    calories: int
    protein_g: float
    carbs_g: float
    fat_g: float
    aliases: tuple[str, ...] = ()


DISHES: tuple[Dish, ...] = (
    # Indonesian and Balinese
    Dish("nasi goreng", "1 plate (350 g) with egg", 640, 20, 80, 26, ("fried rice",)),
    Dish("mie goreng", "1 plate (300 g)", 580, 15, 75, 24, ("fried noodles", "mee goreng", "bakmi goreng")),
    Dish("nasi campur", "1 plate, rice with 4 sides", 700, 28, 85, 26, ("nasi campur bali", "mixed rice")),
    Dish("gado-gado", "1 plate with peanut sauce", 480, 18, 38, 30, ("gado gado", "gadogado")),
    Dish("babi guling", "1 plate with rice and sides", 800, 38, 70, 40, ("suckling pig",)),
    Dish("sate ayam", "10 skewers with peanut sauce", 550, 40, 20, 34, ("chicken satay", "satay ayam", "sate")),
    Dish("sate lilit", "5 skewers (fish)", 350, 28, 10, 22, ()),
    Dish("ayam betutu", "1 portion (quarter chicken)", 450, 42, 6, 28, ("betutu",)),
    Dish("bebek goreng", "1 portion (half duck) with rice", 900, 45, 60, 52, ("crispy duck", "bebek betutu")),
    Dish("nasi ayam", "1 plate (Balinese chicken rice)", 650, 32, 80, 20, ("ayam kedewatan",)),
    Dish("soto ayam", "1 bowl", 320, 24, 22, 14, ("soto", "chicken soup")),
    Dish("bakso", "1 bowl (meatball soup)", 400, 22, 40, 16, ("meatball soup",)),
    Dish("rendang", "1 portion (150 g beef)", 470, 38, 8, 32, ("beef rendang",)),
    Dish("tempeh goreng", "4 pieces", 300, 18, 12, 20, ("fried tempeh", "tempe goreng", "tempeh")),
    Dish("tahu goreng", "4 pieces", 240, 16, 6, 17, ("fried tofu", "tofu")),
    Dish("lawar", "1 portion", 250, 14, 10, 17, ()),
    Dish("pisang goreng", "2 pieces", 260, 2, 40, 11, ("banana fritters", "fried banana")),
    Dish("martabak manis", "2 slices", 520, 10, 65, 24, ("terang bulan",)),
    Dish("white rice", "1 cup (160 g cooked)", 210, 4, 46, 0.5, ("nasi putih", "steamed rice", "rice")),
    Dish("fried egg", "1 egg", 90, 6, 0.5, 7, ("telur ceplok", "egg", "eggs")),
    # Café and Western
    Dish(
        "smoothie bowl", "1 bowl with granola and fruit", 450, 9, 80, 12, ("acai bowl", "açaí bowl", "smoothie bowls")
    ),
    Dish(
        "avocado toast",
        "2 slices sourdough with avocado",
        420,
        11,
        40,
        24,
        ("avo toast", "smashed avo", "smashed avocado"),
    ),
    Dish("eggs benedict", "2 eggs on muffin with hollandaise", 700, 30, 36, 48, ("eggs benny",)),
    Dish(
        "big breakfast", "eggs, bacon, sausage, toast, beans", 950, 45, 60, 58, ("full breakfast", "english breakfast")
    ),
    Dish("scrambled eggs", "3 eggs", 300, 20, 3, 23, ("scrambled egg",)),
    Dish("pancakes", "3 pancakes with syrup", 520, 12, 85, 14, ("pancake",)),
    Dish("granola with yoghurt", "1 bowl", 380, 14, 50, 14, ("granola", "yogurt bowl", "yoghurt bowl")),
    Dish("buddha bowl", "1 bowl (grains, veg, tahini)", 550, 18, 65, 24, ("poke bowl", "grain bowl", "nourish bowl")),
    Dish("caesar salad", "1 bowl with chicken", 480, 32, 18, 31, ("chicken caesar",)),
    Dish("green salad", "1 side bowl", 120, 3, 10, 8, ("salad", "side salad")),
    Dish("burger", "1 beef burger with bun", 750, 38, 48, 44, ("cheeseburger", "beef burger", "hamburger")),
    Dish("fries", "1 portion (150 g)", 420, 5, 55, 20, ("french fries", "chips")),
    Dish("margherita pizza", "1 pizza (30 cm)", 1050, 45, 130, 38, ("pizza", "margarita pizza")),
    Dish("pasta carbonara", "1 plate", 800, 32, 85, 36, ("carbonara", "spaghetti carbonara")),
    Dish("pasta pomodoro", "1 plate", 560, 17, 95, 12, ("spaghetti pomodoro", "pasta", "spaghetti")),
    Dish("grilled fish", "1 fillet (200 g) with greens", 380, 45, 6, 18, ("fish", "ikan bakar", "grilled snapper")),
    Dish("sushi roll", "1 roll (8 pieces)", 350, 12, 55, 8, ("maki", "sushi", "california roll")),
    Dish("croissant", "1 butter croissant", 330, 7, 37, 17, ("croissants",)),
    Dish("banana bread", "1 slice", 330, 5, 50, 13, ()),
    Dish("flat white", "1 cup with whole milk", 120, 7, 9, 6, ("latte", "cappuccino", "cafe latte")),
    Dish("iced coffee with milk", "1 glass (es kopi susu)", 220, 4, 32, 8, ("es kopi susu", "iced latte")),
    Dish("fresh coconut", "1 young coconut (water)", 90, 1, 21, 0.5, ("coconut", "kelapa muda", "coconut water")),
    Dish("fruit juice", "1 glass (300 ml)", 150, 1.5, 35, 0.5, ("juice", "orange juice", "watermelon juice")),
    Dish("bintang beer", "1 large bottle (620 ml)", 260, 2.5, 20, 0, ("beer", "bintang", "large bintang")),
    Dish("cocktail", "1 cocktail", 220, 0, 18, 0, ("mojito", "margarita", "pina colada")),
)

_NUMBER_WORDS = {
    "a": 1.0,
    "an": 1.0,
    "one": 1.0,
    "two": 2.0,
    "three": 3.0,
    "four": 4.0,
    "five": 5.0,
    "six": 6.0,
    "half": 0.5,
    "half a": 0.5,
    "double": 2.0,
    "couple of": 2.0,
    "a couple of": 2.0,
    "some": 1.0,
    "dua": 2.0,
    "satu": 1.0,
    "tiga": 3.0,
}
_QTY = (
    r"(?P<qty>\d+(?:[.,]\d+)?|a couple of|couple of|half a|half|an|a|one|two|three|four|five|six|double|dua|satu|tiga)"
)


def _alias_index() -> list[tuple[str, Dish]]:
    pairs = [(dish.name, dish) for dish in DISHES] + [(alias, dish) for dish in DISHES for alias in dish.aliases]
    # Longest first, so "fried rice" wins over "rice" and "scrambled eggs" over "eggs".
    return sorted(pairs, key=lambda pair: -len(pair[0]))


_ALIASES = _alias_index()


def _quantity(text: str) -> float:
    text = text.strip().lower()
    if text in _NUMBER_WORDS:
        return _NUMBER_WORDS[text]
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return 1.0


def estimate(description: str) -> list[dict]:
    """The dishes named in ``description`` with their estimated calories and macros.

    Each item: name, portion, quantity, calories, protein_g, carbs_g, fat_g. A dish is
    counted once per mention; a quantity right before it multiplies it ("2 eggs").
    """
    text = " " + re.sub(r"[^\w\s\-.,]", " ", (description or "").lower()) + " "
    taken = [False] * len(text)
    found: list[tuple[int, dict]] = []
    for alias, dish in _ALIASES:
        for match in _pattern(alias).finditer(text):
            start, end = match.span()
            if any(taken[start:end]):
                continue  # already part of a longer dish name ("fried rice" before "rice")
            for i in range(start, end):
                taken[i] = True
            qty = max(0.25, min(_quantity(match.group("qty")) if match.group("qty") else 1.0, 10.0))
            found.append(
                (
                    start,
                    {
                        "name": dish.name,
                        "portion": dish.portion,
                        "quantity": qty,
                        "calories": round(dish.calories * qty),
                        "protein_g": round(dish.protein_g * qty, 1),
                        "carbs_g": round(dish.carbs_g * qty, 1),
                        "fat_g": round(dish.fat_g * qty, 1),
                    },
                )
            )
    return [item for _start, item in sorted(found, key=lambda pair: pair[0])]


_UNITS = r"(?:portions?|plates?|bowls?|cups?|glass(?:es)?|pieces?|slices?|servings?|bottles?)\s+of\s+"
_PATTERNS: dict[str, re.Pattern] = {}


def _pattern(alias: str) -> re.Pattern:
    if alias not in _PATTERNS:
        _PATTERNS[alias] = re.compile(rf"(?:\b{_QTY}\s+(?:x\s+)?(?:{_UNITS})?)?\b{re.escape(alias)}(?:e?s)?\b")
    return _PATTERNS[alias]


def totals(items: list[dict]) -> dict[str, float]:
    """Sum of calories and macros over ``items`` (missing values count as zero)."""

    def total(key: str) -> float:
        return round(sum(float(item.get(key) or 0) for item in items), 1)

    return {
        "calories": int(round(total("calories"))),
        "protein_g": total("protein_g"),
        "carbs_g": total("carbs_g"),
        "fat_g": total("fat_g"),
    }
