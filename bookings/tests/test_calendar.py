"""The booking's .ics file (RFC 5545 folding, escaping, UTC times) and its signed link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import include, path

from bookings.calendar import booking_calendar_url, booking_ics, ics_fold
from venues.tests.factories import make_booking, make_venue

pytestmark = [pytest.mark.clock, pytest.mark.django_db, pytest.mark.urls(__name__)]

# The lead mounts bookings.urls at /bookings/ in agnt/urls.py; this test mounts it the same way.
urlpatterns = [path("bookings/", include("bookings.urls"))]


def _unfold(data: bytes) -> list[str]:
    return data.decode("utf-8").replace("\r\n ", "").split("\r\n")


@pytest.fixture
def booking():
    venue = make_venue(name="Warung Ñam, Seminyak", address="Jl. Kayu Aya 9; Seminyak, Bali")
    booking = make_booking(
        venue=venue,
        status="confirmed",
        party_size=4,
        special_requests="Window table please — it's our anniversary 🎉 " * 3,
    )
    start = datetime(2026, 7, 1, 11, 30, tzinfo=UTC)
    booking.slot_start, booking.slot_end = start, start + timedelta(hours=2)
    booking.save(update_fields=["slot_start", "slot_end"])
    return booking


def test_the_event_has_uid_stamp_utc_times_summary_location_and_the_reference(booking):
    lines = _unfold(booking_ics(booking))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    assert fields["UID"].startswith(f"booking-{booking.pk}@")
    assert fields["DTSTART"] == "20260701T113000Z" and fields["DTEND"] == "20260701T133000Z"
    assert fields["DTSTAMP"].endswith("Z") and len(fields["DTSTAMP"]) == 16
    assert fields["SUMMARY"] == "Table for 4 at Warung Ñam\\, Seminyak"
    assert fields["LOCATION"] == "Warung Ñam\\, Seminyak\\, Jl. Kayu Aya 9\\; Seminyak\\, Bali"
    assert f"Booking reference: {booking.external_ref}\\nParty of 4" in fields["DESCRIPTION"]
    assert fields["STATUS"] == "CONFIRMED"


def test_long_lines_are_folded_at_75_octets_without_splitting_a_character(booking):
    data = booking_ics(booking)
    physical = data.split(b"\r\n")
    assert all(len(line) <= 75 for line in physical)
    assert any(line.startswith(b" ") for line in physical)  # the description was folded
    for line in physical:
        line.decode("utf-8")  # each physical line is valid UTF-8 on its own
    assert "🎉" in "".join(_unfold(data))


def test_fold_keeps_short_lines_and_counts_the_continuation_space():
    assert ics_fold("SUMMARY:short") == b"SUMMARY:short\r\n"
    folded = ics_fold("X:" + "a" * 200)
    first, *rest = folded.rstrip(b"\r\n").split(b"\r\n")
    assert len(first) == 75 and all(len(part) <= 75 and part.startswith(b" ") for part in rest)
    assert folded.replace(b"\r\n ", b"") == ("X:" + "a" * 200).encode() + b"\r\n"


def test_a_cancelled_booking_is_published_as_cancelled():
    cancelled = make_booking(venue=make_venue(), status="cancelled")
    assert "STATUS:CANCELLED" in _unfold(booking_ics(cancelled))


def test_the_signed_link_serves_the_file_without_login(client, booking):
    url = booking_calendar_url(booking)
    assert f"/bookings/{booking.external_ref}/calendar.ics?t=" in url
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="agnt-{booking.external_ref}.ics"' in response["Content-Disposition"]
    assert booking.external_ref in response.content.decode()


def test_a_wrong_missing_or_borrowed_token_and_an_unknown_reference_are_404(client, booking):
    other = make_booking(venue=booking.venue, status="confirmed")
    other_token = booking_calendar_url(other).split("?t=", 1)[1]
    base = f"/bookings/{booking.external_ref}/calendar.ics"
    assert client.get(base).status_code == 404
    assert client.get(base + "?t=forged").status_code == 404
    assert client.get(base + f"?t={other_token}").status_code == 404
    assert client.get(f"/bookings/AG-ZZZZZZ/calendar.ics?t={other_token}").status_code == 404
    assert client.post(base + f"?t={other_token}").status_code in (404, 405)
