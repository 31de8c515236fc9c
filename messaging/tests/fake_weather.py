"""A local fake of Open-Meteo's ``GET /v1/forecast`` (current and daily blocks), with an optional delay."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from messaging.tests.fakes import FakeServer, Recorded


class FakeOpenMeteo(FakeServer):
    def __init__(self, port: int = 0) -> None:
        super().__init__(port)
        self.delay_seconds = 0.0
        self.temperature = 29.4
        self.weather_code = 61

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        url = urlsplit(request.path)
        if url.path != "/v1/forecast":
            return 404, {"error": True, "reason": "Not Found"}, {}
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if "latitude" not in q or "longitude" not in q:
            return 400, {"error": True, "reason": "Parameter 'latitude' and 'longitude' must be set"}, {}
        body: dict[str, Any] = {
            "latitude": float(q["latitude"]),
            "longitude": float(q["longitude"]),
            "timezone": q.get("timezone", "GMT"),
            "utc_offset_seconds": 28800,
        }
        if "current" in q:
            body["current_units"] = {"temperature_2m": "°C", "precipitation": "mm", "wind_speed_10m": "km/h"}
            body["current"] = {
                "time": "2026-03-11T09:00",
                "interval": 900,
                "temperature_2m": self.temperature,
                "precipitation": 0.4,
                "weather_code": self.weather_code,
                "wind_speed_10m": 11.2,
            }
        if "daily" in q:
            start = date.fromisoformat(q.get("start_date", date.today().isoformat()))
            end = date.fromisoformat(q.get("end_date", (start + timedelta(days=6)).isoformat()))
            days = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
            body["daily"] = {
                "time": days,
                "weather_code": [95] * len(days),
                "temperature_2m_max": [31.0] * len(days),
                "temperature_2m_min": [24.5] * len(days),
                "precipitation_sum": [12.3] * len(days),
                "precipitation_probability_max": [80] * len(days),
            }
        return 200, body, {}

    def forecast_requests(self) -> list[dict[str, str]]:
        return [{k: v[0] for k, v in parse_qs(urlsplit(r.path).query).items()} for r in self.requests]


@pytest.fixture
def fake_weather(settings) -> Iterator[FakeOpenMeteo]:
    fake = FakeOpenMeteo().start()
    settings.WEATHER_API_BASE_URL = fake.base_url
    try:
        yield fake
    finally:
        fake.stop()


def main() -> None:  # pragma: no cover - the `make run` stand-in (agnt/devrun.py)
    """Serve the Open-Meteo stand-in on a fixed port until stopped."""
    import argparse

    parser = argparse.ArgumentParser(description="Local Open-Meteo stand-in for make run")
    parser.add_argument("--port", type=int, default=12114)
    port = parser.parse_args().port
    FakeOpenMeteo(port).start()
    print(f"weather stand-in on http://127.0.0.1:{port}/v1/forecast", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":  # pragma: no cover
    main()
