"""Open-Meteo weather client (no key needed): current conditions and a day's forecast per city.

Base URL: WEATHER_API_BASE_URL (``https://api.open-meteo.com``); endpoint ``GET /v1/forecast``
with ``latitude``, ``longitude``, ``current=…``, ``daily=…``, ``timezone``. Answers are
cached in Redis for WEATHER_CACHE_SECONDS (30 min): the soul prompt asks for the weather
on every turn and the weather does not change that fast.

``current_weather`` never raises (the prompt simply goes without weather); ``forecast``
raises :class:`WeatherError` so the get_weather tool can say truthfully what failed.
"""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
CACHE_SECONDS = getattr(settings, "WEATHER_CACHE_SECONDS", 30 * 60)
FORECAST_DAYS = 16  # Open-Meteo's forecast horizon
CURRENT_FIELDS = "temperature_2m,precipitation,weather_code,wind_speed_10m"
DAILY_FIELDS = "weather_code,temperature_2m_max,temperature_2m_min,precipitation_sum,precipitation_probability_max"

# WMO weather interpretation codes, as Open-Meteo documents them.
WMO_CODES = {
    0: "clear sky",
    1: "mainly clear",
    2: "partly cloudy",
    3: "overcast",
    45: "fog",
    48: "depositing rime fog",
    51: "light drizzle",
    53: "drizzle",
    55: "dense drizzle",
    56: "light freezing drizzle",
    57: "freezing drizzle",
    61: "light rain",
    63: "rain",
    65: "heavy rain",
    66: "light freezing rain",
    67: "freezing rain",
    71: "light snow",
    73: "snow",
    75: "heavy snow",
    77: "snow grains",
    80: "light rain showers",
    81: "rain showers",
    82: "violent rain showers",
    85: "snow showers",
    86: "heavy snow showers",
    95: "thunderstorm",
    96: "thunderstorm with hail",
    99: "thunderstorm with heavy hail",
}


class WeatherError(Exception):
    """The forecast could not be fetched; the message is safe to show a user."""


def source_name() -> str:
    """Who the numbers come from: the real provider, or the local stand-in (say so — it is not a forecast)."""
    if settings.WEATHER_API_BASE_URL.rstrip("/") == settings.WEATHER_STANDIN_BASE_URL:
        return "local weather stand-in, not a real forecast"
    return "Open-Meteo"


def describe_code(code: Any) -> str:
    try:
        return WMO_CODES.get(int(code), "unknown conditions")
    except (TypeError, ValueError):
        return "unknown conditions"


def _cache():
    from agnt.scheduling import redis_client

    return redis_client()


def _cached(key: str) -> dict | None:
    try:
        raw = _cache().get(key)
        return json.loads(raw) if raw else None
    except Exception:  # Redis down: fetch live, the cache is only an optimisation
        logger.warning("weather cache read failed", exc_info=True)
        return None


def _store(key: str, value: dict) -> None:
    try:
        _cache().set(key, json.dumps(value), ex=CACHE_SECONDS)
    except Exception:
        logger.warning("weather cache write failed", exc_info=True)


def _fetch(params: dict[str, Any]) -> dict[str, Any]:
    url = settings.WEATHER_API_BASE_URL.rstrip("/") + "/v1/forecast"
    try:
        response = httpx.get(url, params=params, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        raise WeatherError(f"the weather service could not be reached ({type(exc).__name__})") from exc
    if response.status_code != 200:
        reason = ""
        try:
            reason = str(response.json().get("reason", ""))[:120]
        except ValueError:
            pass
        raise WeatherError(
            f"the weather service answered HTTP {response.status_code}" + (f": {reason}" if reason else "")
        )
    try:
        data = response.json()
    except ValueError:
        raise WeatherError("the weather service sent an unreadable answer") from None
    if not isinstance(data, dict):
        raise WeatherError("the weather service sent an unreadable answer")
    return data


def _coordinates(city) -> tuple[str, str]:
    if city is None or city.latitude is None or city.longitude is None:
        raise WeatherError(f"no coordinates are known for {city or 'this city'}")
    return str(city.latitude), str(city.longitude)


def current_weather(*, city) -> dict[str, Any] | None:
    """Conditions now in ``city`` ({city, temperature_c, precipitation_mm, wind_kmh, weather_code,
    description, observed_at}), or None if unknown. Never raises."""
    try:
        lat, lng = _coordinates(city)
        key = f"agnt:weather:current:{lat},{lng}"
        if (hit := _cached(key)) is not None:
            return hit
        data = _fetch(
            {"latitude": lat, "longitude": lng, "current": CURRENT_FIELDS, "timezone": city.timezone or "auto"}
        )
        current = data.get("current") or {}
        if current.get("temperature_2m") is None:
            return None
        result = {
            "city": city.name,
            "temperature_c": current.get("temperature_2m"),
            "precipitation_mm": current.get("precipitation"),
            "wind_kmh": current.get("wind_speed_10m"),
            "weather_code": current.get("weather_code"),
            "description": describe_code(current.get("weather_code")),
            "observed_at": current.get("time"),
        }
        _store(key, result)
        return result
    except Exception:
        logger.warning("current weather unavailable for %s", city, exc_info=True)
        return None


def forecast(*, city, day: date) -> dict[str, Any]:
    """The forecast for ``day`` in ``city`` (local date). Raises WeatherError."""
    lat, lng = _coordinates(city)
    today = timezone.now().date()
    if day < today - timedelta(days=1):
        raise WeatherError("that day is in the past; I can only give forecasts")
    if day > today + timedelta(days=FORECAST_DAYS - 1):
        raise WeatherError(f"forecasts only go {FORECAST_DAYS} days ahead")
    key = f"agnt:weather:daily:{lat},{lng}:{day.isoformat()}"
    if (hit := _cached(key)) is not None:
        return hit
    data = _fetch(
        {
            "latitude": lat,
            "longitude": lng,
            "daily": DAILY_FIELDS,
            "timezone": city.timezone or "auto",
            "start_date": day.isoformat(),
            "end_date": day.isoformat(),
        }
    )
    daily = data.get("daily") or {}
    days = daily.get("time") or []
    if day.isoformat() not in days:
        raise WeatherError("the weather service has no forecast for that day")
    index = days.index(day.isoformat())

    def pick(name: str):
        values = daily.get(name) or []
        return values[index] if index < len(values) else None

    result = {
        "city": city.name,
        "date": day.isoformat(),
        "description": describe_code(pick("weather_code")),
        "weather_code": pick("weather_code"),
        "temperature_max_c": pick("temperature_2m_max"),
        "temperature_min_c": pick("temperature_2m_min"),
        "precipitation_mm": pick("precipitation_sum"),
        "precipitation_probability_pct": pick("precipitation_probability_max"),
        "source": source_name(),
    }
    _store(key, result)
    return result
