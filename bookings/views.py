"""Public booking pages: the calendar file behind the link sent with a confirmation."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from bookings.calendar import booking_calendar_token_valid, booking_ics
from bookings.models import VenueBooking


@require_GET
def booking_calendar(request: HttpRequest, ref: str) -> HttpResponse:
    """GET /bookings/<ref>/calendar.ics?t=<token>: the booking as an .ics file.

    An unknown reference and a wrong or missing token both answer 404, so the link
    reveals nothing about which references exist.
    """
    booking = VenueBooking.objects.select_related("venue").filter(external_ref=ref).first()
    if booking is None or not booking_calendar_token_valid(booking, request.GET.get("t", "")):
        raise Http404("no such booking")
    response = HttpResponse(booking_ics(booking), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="agnt-{booking.external_ref}.ics"'
    # The link is a bearer token: keep the file out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response
