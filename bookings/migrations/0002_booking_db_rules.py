"""Database-side rules: booking status transitions and the append-only event log."""

from django.db import migrations

from agnt.db import AppendOnly, EnforceTransitions
from bookings.state import BOOKING_TRANSITIONS


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [
        EnforceTransitions("VenueBooking", "status", {k: sorted(v) for k, v in BOOKING_TRANSITIONS.items()}),
        AppendOnly("BookingEvent"),
    ]
