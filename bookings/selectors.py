"""Read-side queries of bookings that carry logic (what is due, what to poll, what a user has)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from bookings.models import Reminder, TransportBooking, VenueBooking
from bookings.state import (
    ACTIVE_STATUSES,
    TRANSPORT_IN_FLIGHT_STATUSES,
    BookingStatus,
    ReminderStatus,
)


def reminders_due(*, now: datetime | None = None, limit: int = 200, lock: bool = False) -> QuerySet[Reminder]:
    """Scheduled reminders whose time has come, oldest first (served by the ``reminder_due`` index).

    With ``lock=True`` (inside a transaction) rows are locked with SKIP LOCKED so several
    dispatch workers can share the backlog without sending a reminder twice.
    """
    qs = Reminder.objects.filter(status=ReminderStatus.SCHEDULED, due_at__lte=now or timezone.now()).order_by("due_at")
    if lock:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return qs[:limit]


def bookings_upcoming_for_user(*, user, now: datetime | None = None) -> QuerySet[VenueBooking]:
    """The user's bookings still ahead of them (what list_my_bookings shows first)."""
    return (
        VenueBooking.objects.filter(user=user, status__in=ACTIVE_STATUSES, slot_start__gte=now or timezone.now())
        .select_related("venue", "venue__city")
        .order_by("slot_start")
    )


def transports_to_poll(
    *, stale_after: timedelta = timedelta(minutes=1), now: datetime | None = None
) -> QuerySet[TransportBooking]:
    """Courier bookings on the road whose Lalamove status was not checked recently."""
    cutoff = (now or timezone.now()) - stale_after
    qs = TransportBooking.objects.filter(status__in=TRANSPORT_IN_FLIGHT_STATUSES)
    return (qs.filter(last_polled_at__isnull=True) | qs.filter(last_polled_at__lt=cutoff)).order_by("last_polled_at")


# --------------------------------------------------------------------------- lifecycle (Issue 4)


def _setting(name: str, default):
    from django.conf import settings

    return getattr(settings, name, default)


def bookings_stale_pending(*, now: datetime | None = None) -> QuerySet[VenueBooking]:
    """Undecided bookings nobody will decide any more, for expire_pending_bookings.

    - requested: the venue agent did not answer within BOOKINGS_REQUEST_TTL_MINUTES (the
      envelope sweep normally expires these first; this is the backstop);
    - counter-offered: the guest did not pick a slot within BOOKINGS_COUNTER_OFFER_TTL_MINUTES;
    - pending owner: the owner's deadline passed BOOKINGS_OWNER_DECISION_GRACE_MINUTES ago
      (the venue agent's own job declines politely at the deadline; this only catches what
      it missed), or, without a deadline, nobody decided within BOOKINGS_PENDING_OWNER_TTL_HOURS;
    - any of them once the slot has started.
    """
    from django.db.models import Q

    now = now or timezone.now()
    requested_ttl = timedelta(minutes=int(_setting("BOOKINGS_REQUEST_TTL_MINUTES", 30)))
    counter_ttl = timedelta(minutes=int(_setting("BOOKINGS_COUNTER_OFFER_TTL_MINUTES", 120)))
    owner_grace = timedelta(minutes=int(_setting("BOOKINGS_OWNER_DECISION_GRACE_MINUTES", 30)))
    owner_ttl = timedelta(hours=int(_setting("BOOKINGS_PENDING_OWNER_TTL_HOURS", 24)))
    S = BookingStatus
    return VenueBooking.objects.filter(
        Q(status__in=[S.REQUESTED, S.COUNTER_OFFERED, S.PENDING_OWNER], slot_start__lte=now)
        | Q(status=S.REQUESTED, created_at__lt=now - requested_ttl)
        | Q(status=S.COUNTER_OFFERED, updated_at__lt=now - counter_ttl)
        | Q(status=S.PENDING_OWNER, owner_decision_deadline__lt=now - owner_grace)
        | Q(status=S.PENDING_OWNER, owner_decision_deadline__isnull=True, updated_at__lt=now - owner_ttl)
    ).order_by("created_at")


def bookings_past_to_complete(*, now: datetime | None = None) -> QuerySet[VenueBooking]:
    """Confirmed bookings whose visit ended longer ago than the venue's time to report a no-show."""
    grace = timedelta(hours=int(_setting("BOOKINGS_NO_SHOW_GRACE_HOURS", 12)))
    return VenueBooking.objects.filter(
        status=BookingStatus.CONFIRMED, slot_end__lte=(now or timezone.now()) - grace
    ).order_by("slot_end")


def bookings_due_reminder(*, kind: str, now: datetime | None = None) -> QuerySet[VenueBooking]:
    """Confirmed bookings of known guests inside ``kind``'s reminder window, not reminded yet.

    The window runs from the reminder's lead time before the visit until the next
    reminder's (a late job run sends the nearer reminder, never a stale "tomorrow").
    """
    from bookings.models import BookingMessage
    from bookings.services import REMINDER_LEADS, REMINDER_MIN_NOTICE_EXTRA

    now = now or timezone.now()
    lead = REMINDER_LEADS[kind]
    shorter = [other for other in REMINDER_LEADS.values() if other < lead]
    until = max(shorter, default=timedelta(0))
    return (
        VenueBooking.objects.filter(
            status=BookingStatus.CONFIRMED,
            user__isnull=False,
            slot_start__gt=now + until,
            slot_start__lte=now + lead,
            created_at__lte=F("slot_start") - (lead + REMINDER_MIN_NOTICE_EXTRA),
        )
        .exclude(Exists(BookingMessage.objects.filter(booking=OuterRef("pk"), kind=kind)))
        .order_by("slot_start")
    )


def bookings_due_rating_request(*, now: datetime | None = None) -> QuerySet[VenueBooking]:
    """Completed, unrated visits of known guests from the last few days not asked about yet."""
    from bookings.models import BookingMessage, BookingMessageKind, BookingRating

    now = now or timezone.now()
    within = timedelta(days=int(_setting("BOOKINGS_RATING_REQUEST_WITHIN_DAYS", 3)))
    return (
        VenueBooking.objects.filter(
            status=BookingStatus.COMPLETED, user__isnull=False, completed_at__gte=now - within, slot_end__lte=now
        )
        .exclude(Exists(BookingRating.objects.filter(booking=OuterRef("pk"))))
        .exclude(Exists(BookingMessage.objects.filter(booking=OuterRef("pk"), kind=BookingMessageKind.RATING_REQUEST)))
        .select_related("venue__city")
        .order_by("completed_at")
    )


def cancellations_for_waitlist(*, now: datetime | None = None) -> QuerySet[VenueBooking]:
    """Bookings cancelled in the last day for a time still ahead, at a venue with guests
    waiting, whose table was not offered yet."""
    from bookings.models import WaitlistEntry, WaitlistStatus

    now = now or timezone.now()
    return (
        VenueBooking.objects.filter(
            status=BookingStatus.CANCELLED, cancelled_at__gte=now - timedelta(days=1), slot_start__gt=now
        )
        .filter(
            Exists(
                WaitlistEntry.objects.filter(venue=OuterRef("venue"), status=WaitlistStatus.WAITING, slot_start__gt=now)
            )
        )
        .exclude(Exists(WaitlistEntry.objects.filter(offered_booking=OuterRef("pk"))))
        .order_by("cancelled_at")
    )


def waitlist_candidates(*, booking: VenueBooking) -> QuerySet:
    """Waiting entries at the booking's venue that could use its time, first come first served.

    An entry matches when the freed slot is within a day of its asked time; the service
    then applies each entry's own flexibility against the diary.
    """
    from bookings.models import WaitlistEntry, WaitlistStatus

    return (
        WaitlistEntry.objects.filter(
            venue_id=booking.venue_id,
            status=WaitlistStatus.WAITING,
            slot_start__gte=booking.slot_start - timedelta(days=1),
            slot_start__lte=booking.slot_start + timedelta(days=1),
        )
        .select_related("user")
        .order_by("created_at")
    )


def guest_needs_owner_approval(*, user) -> bool:
    """Whether the venue agent must send this guest's requests to the owner instead of
    auto-confirming: too many recent no-shows (bookings.models.GuestReliability, kept by
    no_show_strikes_recompute and bookings.services.guest_reliability_recompute).

    Anonymous requests (no user: external API bookings) have no record and are not flagged.
    """
    from bookings.models import GuestReliability

    if user is None or getattr(user, "pk", None) is None:
        return False
    return GuestReliability.objects.filter(user_id=user.pk, needs_owner_approval=True).exists()


def booking_message_latest(*, user, kinds, since: datetime) -> BookingMessage | None:  # noqa: F821
    """The guest's most recent lifecycle message of ``kinds`` since ``since`` (what a bare
    "keep" / "cancel" / "4" reply answers)."""
    from bookings.models import BookingMessage

    return (
        BookingMessage.objects.filter(user=user, kind__in=list(kinds), created_at__gte=since)
        .select_related("booking__venue__city")
        .order_by("-created_at")
        .first()
    )


def booking_for_guest(*, user, reference: str) -> VenueBooking | None:
    """One of ``user``'s own bookings by its reference ("AG-7K3Q9D", "ag7k3q9d", "7K3Q9D"),
    with its venue and city (the concierge's tools, the reminder replies, the app)."""
    ref = (reference or "").strip().upper().replace(" ", "")
    ref = ref if ref.startswith("AG-") else "AG-" + ref.removeprefix("AG")
    return VenueBooking.objects.select_related("venue__city").filter(user=user, external_ref=ref).first()


def booking_by_reference(*, reference: str) -> VenueBooking | None:
    """A booking by its reference, with its guest and venue (the agents that answer about it)."""
    return VenueBooking.objects.select_related("user", "venue__city").filter(external_ref=reference).first()


def booking_recently_refused_for_user(*, user, since: datetime, now: datetime | None = None) -> VenueBooking | None:
    """The guest's most recent booking the venue said no to (or let lapse) since ``since``,
    for a time still ahead: what a "waitlist" reply means."""
    now = now or timezone.now()
    return (
        VenueBooking.objects.select_related("venue__city")
        .filter(
            user=user,
            status__in=[BookingStatus.REJECTED, BookingStatus.COUNTER_OFFERED, BookingStatus.EXPIRED],
            updated_at__gte=since,
            slot_start__gt=now,
        )
        .order_by("-updated_at")
        .first()
    )


def bookings_past_for_user(*, user, now: datetime | None = None) -> QuerySet[VenueBooking]:
    """The guest's past bookings, latest first."""
    now = now or timezone.now()
    return (
        VenueBooking.objects.filter(user=user, slot_start__lt=now)
        .select_related("venue", "venue__city")
        .order_by("-slot_start")
    )


def taste_venue_scores(*, user, venue_ids) -> dict:
    """How much ``user``'s own history says they like each venue: ``{venue_id: (score, why)}``.

    A booking that went ahead counts 2, each rating star above 3 counts 1 (below 3 takes
    away), a place on one of their lists counts 1.5. Used to rank picks "the way Wayan would".
    """
    from django.db.models import Avg, Count

    from bookings.models import BookingRating, VenueBooking
    from venues.models import UserListItem

    venue_ids = list(venue_ids)
    booked = dict(
        VenueBooking.objects.filter(user=user, venue_id__in=venue_ids, status__in=("confirmed", "completed"))
        .values_list("venue_id")
        .annotate(n=Count("id"))
        .values_list("venue_id", "n")
    )
    rated = dict(
        BookingRating.objects.filter(user=user, venue_id__in=venue_ids)
        .values_list("venue_id")
        .annotate(avg=Avg("score"))
        .values_list("venue_id", "avg")
    )
    listed: dict = {}
    for venue_id, list_name in UserListItem.objects.filter(user_list__user=user, venue_id__in=venue_ids).values_list(
        "venue_id", "user_list__name"
    ):
        listed.setdefault(venue_id, []).append(list_name)
    scores = {}
    for venue_id in venue_ids:
        score, why = 0.0, []
        if booked.get(venue_id):
            score += 2 * booked[venue_id]
            why.append(f"booked {booked[venue_id]}×")
        if rated.get(venue_id) is not None:
            score += float(rated[venue_id]) - 3
            why.append(f"rated {float(rated[venue_id]):.0f}★")
        if listed.get(venue_id):
            score += 1.5
            why.append("on their list “" + listed[venue_id][0] + "”")
        if score or why:
            scores[venue_id] = (score, ", ".join(why))
    return scores


def diary_day(*, venue, day) -> dict:
    """The host stand's view of one local day: each slot of the opening hours with the
    bookings arriving in it and covers booked against the venue's pacing (covers per slot).
    Bookings outside the opening hours (a walk-in at the bar) are listed too, under their time."""
    from datetime import datetime as dt
    from datetime import time as tm
    from datetime import timedelta as td

    from venues.selectors import venue_opening_intervals, venue_timezone

    tz = venue_timezone(venue)
    start, end = dt.combine(day, tm.min, tzinfo=tz), dt.combine(day + td(days=1), tm.min, tzinfo=tz)
    bookings = list(
        VenueBooking.objects.filter(venue=venue, slot_start__gte=start, slot_start__lt=end)
        .exclude(status__in=["rejected", "expired"])
        .select_related("user")
        .order_by("slot_start", "created_at")
    )
    step = td(minutes=max(5, venue.slot_minutes or 30))
    slots: dict = {}
    for opens, closes in venue_opening_intervals(venue, day):
        current = opens
        while current < closes:
            slots.setdefault(current, [])
            current += step
    for booking in bookings:
        local = booking.slot_start.astimezone(tz)
        key = next((s for s in sorted(slots) if s <= local < s + step), local)
        slots.setdefault(key, []).append(booking)
    holding = {"requested", "pending_owner", "counter_offered", "confirmed", "completed"}
    rows = []
    for slot in sorted(slots):
        items = slots[slot]
        covers = sum(b.party_size for b in items if b.status in holding)
        rows.append(
            {"start": slot.astimezone(tz), "bookings": items, "covers": covers, "capacity": venue.covers_per_slot}
        )
    return {
        "rows": rows,
        "total_covers": sum(r["covers"] for r in rows),
        "booking_count": sum(1 for b in bookings if b.status in holding),
    }


def bookings_awaiting_venue(*, venue_ids) -> QuerySet[VenueBooking]:
    """Requests only the venue can answer now (owner approval), soonest deadline first."""
    return (
        VenueBooking.objects.filter(venue_id__in=venue_ids, status="pending_owner")
        .select_related("venue")
        .order_by("owner_decision_deadline", "slot_start")
    )


def bookings_visiting_today(*, venue) -> int:
    """Bookings whose visit is today in the venue's own time zone (not rows created today)."""
    from datetime import datetime as dt
    from datetime import time as tm
    from datetime import timedelta as td

    from django.utils import timezone

    from venues.selectors import venue_timezone

    tz = venue_timezone(venue)
    today = timezone.now().astimezone(tz).date()
    start = dt.combine(today, tm.min, tzinfo=tz)
    return VenueBooking.objects.filter(
        venue=venue,
        slot_start__gte=start,
        slot_start__lt=start + td(days=1),
        status__in=["requested", "pending_owner", "counter_offered", "confirmed", "completed"],
    ).count()
