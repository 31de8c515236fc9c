"""The Bali demo network as data: ``bali.yaml`` next to this file, read by :func:`load`
and checked against the schema below (pydantic), so a typo fails loudly at load time with
the venue and the field it is in.

``load()`` returns plain dicts (the seeder passes venue fields straight to the model;
decimals stay strings until the seeder converts them). It is cached: the file is read
once per process. ``python -m venues.demo`` checks the file after an edit.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

DATA_FILE = Path(__file__).with_name("bali.yaml")

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Category = Literal["restaurant", "cafe", "beach_club", "bar", "spa", "wellness", "nightclub", "fitness", "activity"]
CAPACITY_RANGES = {"cafe": (30, 80), "restaurant": (40, 160), "beach_club": (200, 900), "spa": (8, 30)}
NO_CUISINE_CATEGORIES = {"spa", "wellness", "fitness", "nightclub", "activity"}

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=180)]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=40)]
Coordinate = Annotated[str, StringConstraints(pattern=r"^-?\d{1,3}\.\d{6}$")]
Money = Annotated[str, StringConstraints(pattern=r"^\d+\.\d{2}$")]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Phone = Annotated[str, StringConstraints(pattern=r"^(\+62 \d{3} [\d ]+)?$", max_length=32)]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.example$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class City(_Strict):
    name: Text
    slug: Slug
    latitude: Coordinate
    longitude: Coordinate
    description: Text
    launched_on: str

    @field_validator("launched_on")
    @classmethod
    def _launch_date(cls, value: str) -> str:
        if datetime.date.fromisoformat(value).year not in (2025, 2026):
            raise ValueError(f"launched_on {value} is not in 2025-2026")
        return value


class Venue(_Strict):
    name: Text
    slug: Slug
    city: Slug
    category: Category
    area: Text
    address: Annotated[str, StringConstraints(pattern=r"^Jl\. ")]
    latitude: Coordinate
    longitude: Coordinate
    description: Text
    knowledge_text: Text
    tags: list[Tag] = Field(min_length=3, max_length=7)
    cuisines: list[Annotated[str, StringConstraints(pattern=r"^[^A-Z]+$")]]
    price_level: int = Field(ge=1, le=4)
    average_spend: Money
    capacity: int = Field(gt=0)
    opening_hours: dict[Literal[DAYS], list[tuple[Clock, Clock]]]
    slot_minutes: Literal[15, 30, 60, 90]
    covers_per_slot: int = Field(ge=1)
    min_party_size: int = Field(ge=1)
    max_party_size: int
    booking_lead_minutes: int = Field(ge=30, le=1440)
    booking_window_days: int = Field(ge=14, le=90)
    deposit_required: bool
    deposit_amount: Money | None
    cancellation_window_hours: int = Field(ge=0)
    minimum_spend: Money | None
    kids_allowed: bool
    min_guest_age: int | None = Field(None, ge=1, le=21)
    dress_code: str = Field(max_length=120)
    referral_fee_pct: Money
    priority_rank: int = Field(ge=0, le=100)
    rating_average: Money | None
    rating_count: int = Field(ge=0)
    phone: Phone = Field(min_length=1)
    whatsapp: Phone
    email: Email
    website: str
    instagram: str = Field(min_length=1, max_length=64, pattern=r"^[^@]")

    @field_validator("opening_hours", mode="before")
    @classmethod
    def _intervals_as_tuples(cls, value):
        # YAML gives [open, close] lists; strict mode wants the tuples the type names
        if isinstance(value, dict):
            return {day: [tuple(i) if isinstance(i, list) else i for i in v] for day, v in value.items()}
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Venue:
        def fail(message: str):
            raise ValueError(f"{self.slug}: {message}")

        words = len(self.knowledge_text.split())
        if not 70 <= words <= 130:
            fail(f"knowledge_text has {words} words (want 70-130)")
        if "IDR" not in self.knowledge_text:
            fail("knowledge_text should quote prices in IDR")
        if len(set(self.tags)) != len(self.tags):
            fail("tags repeat")
        if (self.category in NO_CUISINE_CATEGORIES) == bool(self.cuisines):
            fail(f"a {self.category} {'has no' if self.category in NO_CUISINE_CATEGORIES else 'needs'} cuisines")
        low, high = CAPACITY_RANGES.get(self.category, (1, 2000))
        if not low <= self.capacity <= high:
            fail(f"capacity {self.capacity} outside {low}-{high}")
        if set(self.opening_hours) != set(DAYS) or not any(self.opening_hours.values()):
            fail(f"opening_hours needs every day of {DAYS} and at least one open interval")
        if any(opens == closes for intervals in self.opening_hours.values() for opens, closes in intervals):
            fail("zero-length opening interval")
        if not self.covers_per_slot <= self.capacity or not self.min_party_size <= self.max_party_size <= self.capacity:
            fail("covers_per_slot, party sizes and capacity disagree")
        if (self.min_guest_age or 0) >= 18 and self.kids_allowed:
            fail(f"min_guest_age {self.min_guest_age} admits no children, so kids_allowed must be false")
        if self.deposit_required != (self.deposit_amount is not None):
            fail("deposit_amount goes with deposit_required, and only with it")
        if not Decimal("5") <= Decimal(self.referral_fee_pct) <= Decimal("15"):
            fail(f"referral_fee_pct {self.referral_fee_pct} outside 5-15")
        if self.rating_average is not None and Decimal(self.rating_average) > 5:
            fail("rating_average above 5")
        if self.website not in ("", f"https://{self.slug}.example"):
            fail("website must be empty or https://<slug>.example")
        return self


class Consumer(_Strict):
    username: Text
    display_name: Text
    email: Email
    language: Literal["en", "id", "ru", "en-AU"]
    city: Slug
    plan: Literal["free", "plus", "premium"]


class Owner(_Strict):
    username: Text
    display_name: Text
    email: Email
    owns: list[Slug] = Field(min_length=1, max_length=2)
    role: Literal["owner", "manager"]


class DemoNetwork(_Strict):
    cities: list[City] = Field(min_length=5, max_length=5)
    areas: dict[Slug, list[Text]]
    venues: list[Venue] = Field(min_length=66)
    consumers: list[Consumer] = Field(min_length=8, max_length=8)
    owners: list[Owner] = Field(min_length=2, max_length=2)

    @model_validator(mode="after")
    def _references(self) -> DemoNetwork:
        cities = {c.slug: c for c in self.cities}
        problems = []
        if len(cities) != len(self.cities):
            problems.append("city slugs repeat")
        if set(self.areas) != set(cities):
            problems.append("areas needs exactly one entry per city")
        problems += [
            f"areas of {s} are empty or repeat" for s, a in self.areas.items() if not a or len(set(a)) != len(a)
        ]
        for attr in ("slug", "name"):
            values = [getattr(v, attr) for v in self.venues]
            if len(set(values)) != len(values):
                problems.append(f"venue {attr}s repeat: {sorted({x for x in values if values.count(x) > 1})}")
        if {v.category for v in self.venues} != set(Category.__args__):
            problems.append("every category must have a venue")
        for v in self.venues:
            city = cities.get(v.city)
            if city is None:
                problems.append(f"{v.slug}: unknown city {v.city!r}")
                continue
            if v.area not in self.areas.get(v.city, []):
                problems.append(f"{v.slug}: area {v.area!r} is not in {v.city}")
            for axis in ("latitude", "longitude"):
                if abs(Decimal(getattr(v, axis)) - Decimal(getattr(city, axis))) >= Decimal("0.1"):
                    problems.append(f"{v.slug}: {axis} too far from {city.name}")
        people = [*self.consumers, *self.owners]
        for attr in ("username", "email"):
            if len({getattr(p, attr) for p in people}) != len(people):
                problems.append(f"user {attr}s repeat")
        problems += [f"{c.username}: unknown city {c.city!r}" for c in self.consumers if c.city not in cities]
        slugs = {v.slug for v in self.venues}
        problems += [f"{o.username}: owns unknown venues" for o in self.owners if not set(o.owns) <= slugs]
        if problems:
            raise ValueError("; ".join(problems))
        return self


@lru_cache(maxsize=1)
def load() -> dict:
    """The demo network, schema-checked: ``{"cities", "areas", "venues", "consumers",
    "owners", "users"}`` as plain dicts and lists (``users`` = consumers then owners)."""
    raw = yaml.load(DATA_FILE.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    DemoNetwork.model_validate(raw)
    return {**raw, "users": [*raw["consumers"], *raw["owners"]]}
