"""The admin dashboard: today's numbers as cards and the last two weeks as charts.

Platform staff see the whole network; a venue owner sees their own venues' bookings.
Each figure is one aggregate query, so the page stays fast as tables grow.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from agnt.money import money_from_minor
from agnt.roles import is_platform_staff
from venues.selectors import owned_venue_ids

DAYS = 14
FEE_ENTRY_TYPES = ("booking_fee", "subscription", "usage", "fee_reversal", "refund")


def environment_callback(request):
    return ["Development", "warning"] if settings.DEBUG else ["Production", "danger"]


VISIT_STATUSES = ("requested", "pending_owner", "counter_offered", "confirmed", "completed", "no_show")


def _zone(name: str):
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo(settings.TIME_ZONE)


def _day_bounds() -> tuple[datetime, datetime]:
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time.min))
    return start, start + timedelta(days=1)


def _series(queryset, date_field: str, value=None) -> dict:
    since = timezone.localdate() - timedelta(days=DAYS - 1)
    rows = (
        queryset.filter(**{f"{date_field}__date__gte": since})
        .annotate(day=TruncDate(date_field, tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(total=value or Count("pk"))
    )
    by_day = {row["day"]: row["total"] or 0 for row in rows}
    days = [since + timedelta(days=i) for i in range(DAYS)]
    return {"labels": [d.strftime("%d %b") for d in days], "values": [by_day.get(d, 0) for d in days]}


def dashboard_numbers(user) -> dict:
    from agnt.models import User
    from billing.models import CommerceLedger
    from bookings.models import VenueBooking
    from messaging.models import Interaction
    from venues.models import Venue

    start, end = _day_bounds()
    staff = is_platform_staff(user)
    bookings = VenueBooking.objects.all()
    if not staff:
        bookings = bookings.filter(venue_id__in=owned_venue_ids(user))
    # Visits today (the booked time), in each venue's own time zone — not rows created today.
    visits = Q(pk__in=[])
    venues = Venue.objects.select_related("city")
    if not staff:
        venues = venues.filter(pk__in=owned_venue_ids(user))
    by_zone: dict[str, list] = {}
    for venue_id, zone in venues.values_list("pk", "city__timezone"):
        by_zone.setdefault(zone or settings.TIME_ZONE, []).append(venue_id)
    for zone, ids in by_zone.items():
        tz = _zone(zone)
        day = timezone.now().astimezone(tz).date()
        local_start = datetime.combine(day, time.min, tzinfo=tz)
        visits |= Q(venue_id__in=ids, slot_start__gte=local_start, slot_start__lt=local_start + timedelta(days=1))
    today_bookings = bookings.filter(visits).aggregate(
        total=Count("pk", filter=Q(status__in=VISIT_STATUSES)), confirmed=Count("pk", filter=Q(status="confirmed"))
    )
    numbers = {
        "bookings_today": today_bookings["total"],
        "bookings_confirmed_today": today_bookings["confirmed"],
        "waiting_for_owner": bookings.filter(status="pending_owner").count(),
        "bookings_series": _series(bookings, "created_at"),
        "staff": staff,
    }
    if staff:
        revenue = CommerceLedger.objects.filter(entry_type__in=FEE_ENTRY_TYPES)
        numbers.update(
            new_users_today=User.objects.filter(date_joined__gte=start, date_joined__lt=end).count(),
            revenue_today_cents=revenue.filter(occurred_at__gte=start, occurred_at__lt=end).aggregate(
                s=Sum("amount_cents")
            )["s"]
            or 0,
            failed_sends_today=Interaction.objects.filter(
                direction="outbound", status="failed", created_at__gte=start, created_at__lt=end
            ).count(),
            users_series=_series(User.objects.all(), "date_joined"),
            revenue_series=_series(revenue, "occurred_at", Sum("amount_cents")),
        )
    return numbers


def _money(cents: int) -> str:
    return money_from_minor(cents, "IDR")


def _chart(series: dict, label: str, color: str, scale: float = 1) -> str:
    return json.dumps(
        {
            "labels": series["labels"],
            "datasets": [
                {
                    "label": label,
                    "data": [v / scale for v in series["values"]],
                    "backgroundColor": color,
                    "borderColor": color,
                }
            ],
        }
    )


def dashboard_callback(request, context):
    numbers = dashboard_numbers(request.user)
    cards = [
        {
            "title": "Bookings today",
            "value": numbers["bookings_today"],
            "footer": f"{numbers['bookings_confirmed_today']} confirmed · visits today, venue time",
            "href": reverse("admin:bookings_venuebooking_changelist"),
        }
    ]
    if not numbers["staff"]:
        cards.append(
            {
                "title": "Waiting for you",
                "value": numbers["waiting_for_owner"],
                "footer": "requests to approve, decline or counter",
                "href": "/venue/",
            }
        )
    charts = [
        {"title": f"Bookings, last {DAYS} days", "data": _chart(numbers["bookings_series"], "Bookings", "#7c3aed")}
    ]
    if numbers["staff"]:
        cards += [
            {
                "title": "New users today",
                "value": numbers["new_users_today"],
                "footer": "sign-ups since midnight",
                "href": reverse("admin:agnt_user_changelist"),
            },
            {
                "title": "Revenue today",
                "value": _money(numbers["revenue_today_cents"]),
                "footer": "fees, subscriptions and usage",
                "href": reverse("admin:billing_commerceledger_changelist"),
            },
            {
                "title": "Failed sends today",
                "value": numbers["failed_sends_today"],
                "footer": "outbound messages that failed",
                "href": reverse("admin:messaging_interaction_changelist")
                + "?direction__exact=outbound&status__exact=failed",
            },
        ]
        cards += [onboarding_funnel_card()]
        charts += [
            {"title": f"New users, last {DAYS} days", "data": _chart(numbers["users_series"], "Users", "#0ea5e9")},
            {
                "title": f"Revenue (IDR), last {DAYS} days",
                "data": _chart(numbers["revenue_series"], "IDR", "#16a34a", scale=100),
            },
        ]
    context.update(dashboard_cards=cards, dashboard_charts=charts)
    return context


STUCK_AFTER = timedelta(days=7)


def onboarding_funnel_card() -> dict:
    """Staff: how many owners are at each step of the onboarding wizard, and how many are stuck."""
    from venues.models import B2BOnboardingSession
    from venues.state import ONBOARDING_SEQUENCE, OPEN_ONBOARDING_STEPS

    open_sessions = B2BOnboardingSession.objects.filter(current_step__in=OPEN_ONBOARDING_STEPS)
    counts = dict(open_sessions.values_list("current_step").annotate(n=Count("pk")))
    stuck = open_sessions.filter(last_activity_at__lt=timezone.now() - STUCK_AFTER).count()
    steps = " · ".join(f"{step} {counts.get(step, 0)}" for step in ONBOARDING_SEQUENCE if step in OPEN_ONBOARDING_STEPS)
    return {
        "title": "Onboarding funnel",
        "value": sum(counts.values()),
        "footer": f"{steps} · {stuck} stuck over {STUCK_AFTER.days} days",
        "href": reverse("admin:venues_b2bonboardingsession_changelist"),
    }
