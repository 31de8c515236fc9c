"""A booking as an iCalendar (.ics, RFC 5545) event, and the signed link that serves it.

The link needs no login (it is sent in chat): ``?t=`` is a django.core.signing signature
over the booking's id and reference, so it opens that booking's calendar and nothing else,
and a guessed reference without its token is a 404.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from bookings.models import VenueBooking
from bookings.state import BookingStatus

PRODID = "-//AGNT//Bookings//EN"
TOKEN_SALT = "bookings.calendar.v1"
MAX_LINE_OCTETS = 75
# Cancelled, rejected or expired bookings still produce a calendar file, marked cancelled,
# so a guest who imported it sees the event struck out when their app refreshes it.
_ICS_STATUS = {
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.COMPLETED: "CONFIRMED",
    BookingStatus.NO_SHOW: "CONFIRMED",
    BookingStatus.REQUESTED: "TENTATIVE",
    BookingStatus.PENDING_OWNER: "TENTATIVE",
    BookingStatus.COUNTER_OFFERED: "TENTATIVE",
}


def ics_escape(value: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11): backslash, semicolon, comma, newline."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def ics_fold(line: str) -> bytes:
    """Fold a content line at 75 octets (§3.1): CRLF plus one space, never inside a UTF-8
    character. Returns the line with its terminating CRLF."""
    raw = line.encode("utf-8")
    parts: list[bytes] = []
    limit = MAX_LINE_OCTETS
    while len(raw) > limit:
        cut = limit
        while cut > 0 and (raw[cut] & 0xC0) == 0x80:  # a continuation byte: back up to the char start
            cut -= 1
        parts.append(raw[:cut])
        raw = raw[cut:]
        limit = MAX_LINE_OCTETS - 1  # the leading space of a continuation line counts
    parts.append(raw)
    return b"\r\n ".join(parts) + b"\r\n"


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _uid_domain() -> str:
    host = settings.PUBLIC_BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host or "agnt.local"


def booking_ics(booking: VenueBooking) -> bytes:
    """The booking as a one-event VCALENDAR (times in UTC), ready to serve as text/calendar."""
    venue = booking.venue
    location = ", ".join(part for part in (venue.name, venue.address) if part)
    description = [f"Booking reference: {booking.external_ref}", f"Party of {booking.party_size}"]
    if booking.special_requests:
        description.append(f"Requests: {booking.special_requests}")
    description.append("Booked with AGNT.")
    status = _ICS_STATUS.get(booking.status, "CANCELLED")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:booking-{booking.pk}@{_uid_domain()}",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(booking.slot_start)}",
        f"DTEND:{_utc(booking.slot_end)}",
        # Each status change rewrites the event; SEQUENCE tells calendars which copy is newer.
        f"SEQUENCE:{int(booking.updated_at.timestamp()) if booking.updated_at else 0}",
        f"LAST-MODIFIED:{_utc(booking.updated_at or timezone.now())}",
        f"SUMMARY:{ics_escape(f'Table for {booking.party_size} at {venue.name}')}",
        f"LOCATION:{ics_escape(location)}",
        f"DESCRIPTION:{ics_escape(chr(10).join(description))}",
        f"STATUS:{status}",
    ]
    if venue.latitude is not None and venue.longitude is not None:
        lines.append(f"GEO:{float(venue.latitude):.6f};{float(venue.longitude):.6f}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return b"".join(ics_fold(line) for line in lines)


def _token_value(booking: VenueBooking) -> str:
    return f"{booking.pk}:{booking.external_ref}"


def booking_calendar_token(booking: VenueBooking) -> str:
    return signing.Signer(salt=TOKEN_SALT).signature(_token_value(booking))


def booking_calendar_token_valid(booking: VenueBooking, token: str) -> bool:
    return bool(token) and constant_time_compare(booking_calendar_token(booking), token)


def booking_calendar_url(booking: VenueBooking) -> str:
    """Absolute link to the booking's .ics (for the confirmation message)."""
    path = reverse("bookings:booking_calendar", kwargs={"ref": booking.external_ref})
    return f"{settings.PUBLIC_BASE_URL}{path}?t={booking_calendar_token(booking)}"
