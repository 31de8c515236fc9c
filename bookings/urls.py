"""Public booking URLs; agnt/urls.py mounts them at /bookings/."""

from django.urls import path

from bookings import views

app_name = "bookings"

urlpatterns = [
    path("<str:ref>/calendar.ics", views.booking_calendar, name="booking_calendar"),
]
