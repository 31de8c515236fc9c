"""Write-side operations of bookings: table bookings, ratings, reminders, courier bookings.

Every status change goes through one ``*_transition`` function per entity: it locks the
row, checks the state machine in bookings.state, stamps the matching timestamp, saves
with ``update_fields`` and writes the event row. The database re-checks the transition
with a trigger, so a bug here fails loudly instead of corrupting a booking.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Avg, Count
from django.utils import timezone

from agnt.services import analytics_event_record
from bookings import signals
from bookings.models import (
    ActorKind,
    BookingEvent,
    BookingRating,
    BookingSource,
    Reminder,
    ReminderChannel,
    ReminderKind,
    TransportBooking,
    TransportEvent,
    VenueBooking,
)
from bookings.state import (
    BOOKING_TRANSITIONS,
    REMINDER_TRANSITIONS,
    TRANSPORT_TRANSITIONS,
    BookingStatus,
    ReminderStatus,
    TransportStatus,
)
from venues.models import Venue, VenueStatus


class BookingError(Exception):
    """A booking operation the domain rules refuse; the message is safe to show an operator."""


class BookingTransitionError(BookingError):
    """The booking state machine does not allow this move (e.g. completed → confirmed)."""


class RatingError(BookingError):
    pass


class ReminderError(BookingError):
    pass


class TransportError(BookingError):
    pass


class TransportConfirmationError(TransportError):
    """The courier may not be booked: wrong user, expired quote, or not awaiting confirmation."""


# --------------------------------------------------------------------------- bookings

# Unambiguous alphabet for references read out over the phone: no 0/O, 1/I/L, U/V.
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
REF_LENGTH = 6
# Listed (unclaimed) venues still take booking requests: staff confirm them by phone.
BOOKABLE_VENUE_STATUSES = frozenset({VenueStatus.LISTED, VenueStatus.ACTIVE})


def booking_generate_external_ref() -> str:
    """A short reference like ``AG-7K3Q9D`` (29^6 ≈ 600M values; uniqueness is checked on insert)."""
    return "AG-" + "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))


_TIMESTAMP_FOR_STATUS = {
    BookingStatus.CONFIRMED: "confirmed_at",
    BookingStatus.CANCELLED: "cancelled_at",
    BookingStatus.COMPLETED: "completed_at",
}
# Statuses whose reason the guest (or partner) should see on the booking itself.
_REASON_STATUSES = frozenset(
    {BookingStatus.REJECTED, BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.NO_SHOW}
)


def booking_check_request(
    *, venue: Venue, party_size: int, slot_start: datetime, slot_end: datetime | None = None
) -> datetime:
    """Refuse a request the venue's rules exclude outright; return the slot's end.

    Only hard rules live here (venue open for bookings, party size). Whether the slot is
    free is the venue agent's decision against its diary, after the request exists.
    """
    if venue.status not in BOOKABLE_VENUE_STATUSES:
        raise BookingError(f"{venue} is {venue.get_status_display().lower()} and does not take bookings")
    if not venue.min_party_size <= party_size <= venue.max_party_size:
        raise BookingError(f"{venue} takes parties of {venue.min_party_size}–{venue.max_party_size}, not {party_size}")
    slot_end = slot_end or slot_start + timedelta(minutes=venue.booking_duration_minutes)
    if slot_end <= slot_start:
        raise BookingError("a booking must end after it starts")
    return slot_end


@transaction.atomic
def booking_create(
    *,
    venue: Venue,
    user=None,
    party_size: int,
    slot_start: datetime,
    source: str,
    slot_end: datetime | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    special_requests: str = "",
    api_key=None,
    idempotency_key: str | None = None,
    spend_estimate: Decimal | None = None,
    actor=None,
    actor_kind: str = ActorKind.CONSUMER_AGENT,
) -> VenueBooking:
    """Record a booking request (status ``requested``) with a fresh external reference.

    With ``api_key`` + ``idempotency_key``, a retried request returns the booking the
    first attempt created instead of a duplicate.
    """
    if api_key is not None and idempotency_key:
        existing = VenueBooking.objects.filter(api_key=api_key, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    slot_end = booking_check_request(venue=venue, party_size=party_size, slot_start=slot_start, slot_end=slot_end)
    if source not in BookingSource.values:
        raise BookingError(f"unknown booking source {source!r}")

    booking = VenueBooking(
        venue=venue,
        user=user,
        api_key=api_key,
        idempotency_key=idempotency_key or None,
        status=BookingStatus.REQUESTED,
        source=source,
        party_size=party_size,
        slot_start=slot_start,
        slot_end=slot_end,
        contact_name=contact_name,
        contact_phone=contact_phone,
        special_requests=special_requests,
        currency=venue.currency,
        spend_estimate=spend_estimate,
        deposit_amount=venue.deposit_amount if venue.deposit_required else None,
    )
    # A collision on the reference is astronomically rare; retry inside a savepoint so the
    # outer transaction survives the IntegrityError.
    for attempt in range(5):
        booking.external_ref = booking_generate_external_ref()
        try:
            with transaction.atomic():
                booking.save(force_insert=True)
            break
        except IntegrityError:
            # Anything but a reference collision (or five in a row) is a real error.
            if attempt == 4 or not VenueBooking.objects.filter(external_ref=booking.external_ref).exists():
                raise
    BookingEvent.objects.create(
        booking=booking,
        from_status="",
        to_status=BookingStatus.REQUESTED,
        actor=actor,
        actor_kind=actor_kind,
        data={"source": source, "party_size": party_size},
    )
    analytics_event_record(name="booking.created", user=user, source=source, properties={"venue_id": str(venue.pk)})
    _announce_on_commit(booking, from_status="", to_status=BookingStatus.REQUESTED)
    return booking


@transaction.atomic
def booking_transition(
    *,
    booking: VenueBooking,
    to_status: str,
    actor=None,
    actor_kind: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> VenueBooking:
    """Move a booking along the state machine, stamp the time, and record a BookingEvent.

    The row is locked first, so two agents racing to confirm and cancel the same
    booking are serialised and the loser gets a BookingTransitionError.
    """
    locked = VenueBooking.objects.select_for_update().get(pk=booking.pk)
    from_status = locked.status
    if to_status not in BOOKING_TRANSITIONS.get(from_status, frozenset()):
        raise BookingTransitionError(
            f"booking {locked.external_ref or locked.pk} cannot move from {from_status} to {to_status}"
        )
    now = timezone.now()
    locked.status = to_status
    fields = ["status", "updated_at"]
    if stamp := _TIMESTAMP_FOR_STATUS.get(to_status):
        setattr(locked, stamp, now)
        fields.append(stamp)
    if reason and to_status in _REASON_STATUSES:
        locked.status_reason = reason[:300]
        fields.append("status_reason")
    locked.save(update_fields=fields)
    BookingEvent.objects.create(
        booking=locked,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_kind=actor_kind,
        reason=reason[:300],
        data=data or {},
    )
    analytics_event_record(
        name=f"booking.{to_status}",
        user=locked.user if locked.user_id else None,
        source=actor_kind,
        properties={"booking_id": str(locked.pk), "venue_id": str(locked.venue_id)},
    )
    _announce_on_commit(locked, from_status=from_status, to_status=to_status)
    # Callers keep using the instance they passed in; bring it up to date.
    for field in fields:
        setattr(booking, field, getattr(locked, field))
    return locked


def _announce_on_commit(booking: VenueBooking, *, from_status: str, to_status: str) -> None:
    # Notifications, fees and webhooks react to this signal; sending it only after
    # commit means nobody is told about a change that was rolled back.
    if signals.is_silenced():
        return
    booking_id = booking.pk
    transaction.on_commit(
        lambda: signals.booking_status_changed.send(
            sender=VenueBooking, booking_id=booking_id, from_status=from_status, to_status=to_status
        )
    )


def booking_confirm(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.VENUE_AGENT, reason: str = ""
) -> VenueBooking:
    return booking_transition(
        booking=booking, to_status=BookingStatus.CONFIRMED, actor=actor, actor_kind=actor_kind, reason=reason
    )


def booking_reject(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.VENUE_AGENT, reason: str = ""
) -> VenueBooking:
    return booking_transition(
        booking=booking, to_status=BookingStatus.REJECTED, actor=actor, actor_kind=actor_kind, reason=reason
    )


def booking_cancel(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.CONSUMER, reason: str = ""
) -> VenueBooking:
    return booking_transition(
        booking=booking, to_status=BookingStatus.CANCELLED, actor=actor, actor_kind=actor_kind, reason=reason
    )


def booking_complete(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.SYSTEM, reason: str = ""
) -> VenueBooking:
    return booking_transition(
        booking=booking, to_status=BookingStatus.COMPLETED, actor=actor, actor_kind=actor_kind, reason=reason
    )


def booking_mark_no_show(
    *, booking: VenueBooking, actor=None, actor_kind: str = ActorKind.OWNER, reason: str = ""
) -> VenueBooking:
    if booking.slot_start > timezone.now():
        # Refuse before locking: a guest cannot miss a table that has not started yet.
        raise BookingTransitionError(f"booking {booking.external_ref or booking.pk} has not started yet")
    with transaction.atomic():
        booking = booking_transition(
            booking=booking, to_status=BookingStatus.NO_SHOW, actor=actor, actor_kind=actor_kind, reason=reason
        )
        if booking.user_id:
            # the strike counts from now, not from the next hourly recount
            guest_reliability_recompute(user=booking.user)
    return booking


# --------------------------------------------------------------------------- ratings

RATING_SUBSCORES = ("food_score", "service_score", "ambience_score", "value_score")


@transaction.atomic
def booking_rate(
    *,
    booking: VenueBooking,
    user,
    score: int,
    comment: str = "",
    food_score: int | None = None,
    service_score: int | None = None,
    ambience_score: int | None = None,
    value_score: int | None = None,
    would_return: bool | None = None,
) -> BookingRating:
    """Record the guest's rating of a completed visit and refresh the venue's average."""
    booking = VenueBooking.objects.select_for_update().get(pk=booking.pk)
    if booking.status != BookingStatus.COMPLETED:
        raise RatingError("only a completed visit can be rated")
    if booking.user_id is not None and booking.user_id != user.pk:
        raise RatingError("only the guest who booked can rate this visit")
    scores = {
        "score": score,
        "food_score": food_score,
        "service_score": service_score,
        "ambience_score": ambience_score,
        "value_score": value_score,
    }
    for name, value in scores.items():
        if value is not None and not 1 <= int(value) <= 5:
            raise RatingError(f"{name} must be between 1 and 5")
    if BookingRating.objects.filter(booking=booking).exists():
        raise RatingError("this visit has already been rated")
    rating = BookingRating.objects.create(
        booking=booking, venue_id=booking.venue_id, user=user, comment=comment, would_return=would_return, **scores
    )
    venue_refresh_rating(venue_id=booking.venue_id)
    analytics_event_record(
        name="booking.rated", user=user, properties={"venue_id": str(booking.venue_id), "score": score}
    )
    return rating


def venue_refresh_rating(*, venue_id) -> None:
    """Recompute the venue's cached average from its public ratings (under a row lock)."""
    venue = Venue.objects.select_for_update().get(pk=venue_id)
    agg = BookingRating.objects.filter(venue_id=venue_id, is_public=True).aggregate(avg=Avg("score"), n=Count("id"))
    venue.rating_average = round(Decimal(agg["avg"]), 2) if agg["avg"] is not None else None
    venue.rating_count = agg["n"]
    venue.save(update_fields=["rating_average", "rating_count", "updated_at"])


@transaction.atomic
def booking_rating_reply(*, rating: BookingRating, reply: str, actor=None) -> BookingRating:
    """The venue's public answer to a rating."""
    rating = BookingRating.objects.select_for_update().get(pk=rating.pk)
    rating.owner_reply = reply.strip()
    rating.owner_replied_at = timezone.now() if rating.owner_reply else None
    rating.save(update_fields=["owner_reply", "owner_replied_at", "updated_at"])
    return rating


# --------------------------------------------------------------------------- reminders

REMINDER_MAX_ATTEMPTS = 5


@transaction.atomic
def reminder_create(
    *,
    user,
    text: str,
    due_at: datetime,
    channel: str = ReminderChannel.TELEGRAM,
    booking: VenueBooking | None = None,
    kind: str = ReminderKind.CUSTOM,
) -> Reminder:
    """Schedule a reminder (the set_reminder tool, or the booking jobs)."""
    text = text.strip()
    if not text:
        raise ReminderError("a reminder needs a text")
    if due_at <= timezone.now():
        raise ReminderError("a reminder must be due in the future")
    if channel not in ReminderChannel.values:
        raise ReminderError(f"unknown reminder channel {channel!r}")
    if booking is not None and booking.user_id not in (None, user.pk):
        raise ReminderError("a reminder can only point at the user's own booking")
    return Reminder.objects.create(
        user=user,
        text=text[:1000],
        due_at=due_at,
        channel=channel,
        booking=booking,
        kind=kind,
        status=ReminderStatus.SCHEDULED,
    )


def _reminder_move(reminder: Reminder, to_status: str) -> Reminder:
    locked = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if to_status not in REMINDER_TRANSITIONS.get(locked.status, frozenset()):
        raise ReminderError(f"reminder cannot move from {locked.status} to {to_status}")
    locked.status = to_status
    return locked


@transaction.atomic
def reminder_cancel(*, reminder: Reminder) -> Reminder:
    locked = _reminder_move(reminder, ReminderStatus.CANCELLED)
    locked.cancelled_at = timezone.now()
    locked.save(update_fields=["status", "cancelled_at", "updated_at"])
    reminder.status, reminder.cancelled_at = locked.status, locked.cancelled_at
    return locked


@transaction.atomic
def reminder_mark_sent(*, reminder: Reminder, provider_message_id: str = "") -> Reminder:
    """The dispatch job delivered the reminder."""
    locked = _reminder_move(reminder, ReminderStatus.SENT)
    locked.sent_at = timezone.now()
    locked.attempts += 1
    locked.provider_message_id = provider_message_id[:128]
    locked.save(update_fields=["status", "sent_at", "attempts", "provider_message_id", "updated_at"])
    return locked


@transaction.atomic
def reminder_record_failure(*, reminder: Reminder, error: str, retry_in: timedelta = timedelta(minutes=5)) -> Reminder:
    """A delivery attempt failed: retry later, or give up after REMINDER_MAX_ATTEMPTS."""
    locked = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if locked.status != ReminderStatus.SCHEDULED:
        raise ReminderError(f"reminder is {locked.status}, not scheduled")
    locked.attempts += 1
    locked.last_error = error[:500]
    if locked.attempts >= REMINDER_MAX_ATTEMPTS:
        locked.status = ReminderStatus.FAILED
    else:
        # Push the due time back so the dispatch job's due-index picks it up later.
        locked.due_at = timezone.now() + retry_in * locked.attempts
    locked.save(update_fields=["status", "attempts", "last_error", "due_at", "updated_at"])
    return locked


# --------------------------------------------------------------------------- courier (Lalamove)

_PLACE_KEYS = frozenset({"address", "latitude", "longitude", "contact_name", "contact_phone"})
_TRANSPORT_TIMESTAMPS = {TransportStatus.COMPLETED: "completed_at", TransportStatus.CANCELLED: "cancelled_at"}


@transaction.atomic
def transport_quote_record(
    *,
    user,
    quote_id: str,
    quote_expires_at: datetime,
    price_amount: Decimal,
    currency: str,
    service_type: str,
    pickup: dict[str, Any],
    dropoff: dict[str, Any],
    item_description: str = "",
    distance_m: int | None = None,
    scheduled_at: datetime | None = None,
    venue: Venue | None = None,
    quote_payload: dict[str, Any] | None = None,
) -> TransportBooking:
    """Store a Lalamove quotation shown to the user (status ``quoted``). Nothing is booked yet.

    ``pickup``/``dropoff`` hold ``address``, ``latitude``, ``longitude`` and optionally
    ``contact_name``/``contact_phone``.
    """
    places = {}
    for prefix, place in (("pickup", pickup), ("dropoff", dropoff)):
        unknown = set(place) - _PLACE_KEYS
        if unknown or not {"address", "latitude", "longitude"} <= set(place):
            raise TransportError(f"{prefix} needs address, latitude and longitude (got {sorted(place)})")
        places.update({f"{prefix}_{key}": value for key, value in place.items()})
    if price_amount < 0:
        raise TransportError("a quote cannot have a negative price")
    transport = TransportBooking.objects.create(
        user=user,
        venue=venue,
        quote_id=quote_id,
        quote_expires_at=quote_expires_at,
        price_amount=price_amount,
        currency=currency,
        service_type=service_type,
        item_description=item_description,
        distance_m=distance_m,
        scheduled_at=scheduled_at,
        quote_payload=quote_payload or {},
        **places,
    )
    TransportEvent.objects.create(
        transport=transport,
        from_status="",
        to_status=TransportStatus.QUOTED,
        actor=user,
        actor_kind=ActorKind.CONSUMER_AGENT,
        data={"price": str(price_amount), "currency": currency},
    )
    return transport


def _transport_move(
    transport: TransportBooking,
    *,
    to_status: str,
    actor,
    actor_kind: str,
    reason: str,
    data: dict | None,
    extra: dict[str, Any] | None = None,
) -> TransportBooking:
    locked = TransportBooking.objects.select_for_update().get(pk=transport.pk)
    from_status = locked.status
    if to_status not in TRANSPORT_TRANSITIONS.get(from_status, frozenset()):
        raise TransportError(f"courier booking cannot move from {from_status} to {to_status}")
    locked.status = to_status
    fields = ["status", "updated_at"]
    if stamp := _TRANSPORT_TIMESTAMPS.get(to_status):
        setattr(locked, stamp, timezone.now())
        fields.append(stamp)
    if reason:
        locked.status_reason = reason[:300]
        fields.append("status_reason")
    for name, value in (extra or {}).items():
        setattr(locked, name, value)
        fields.append(name)
    locked.save(update_fields=fields)
    TransportEvent.objects.create(
        transport=locked,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_kind=actor_kind,
        reason=reason[:300],
        data=data or {},
    )
    for field in fields:
        setattr(transport, field, getattr(locked, field))
    return locked


@transaction.atomic
def transport_confirm(*, transport: TransportBooking, user, confirmation_ref: str = "") -> TransportBooking:
    """The user said yes to this quote: the ONLY way a courier booking reaches ``confirmed``.

    Refuses a different user than the one quoted, a quote past its expiry, and a booking
    that was not put to the user for confirmation. ``confirmation_ref`` names the message
    in which the user confirmed (kept for disputes). Placing the Lalamove order happens
    after commit, from the confirmed row.
    """
    locked = TransportBooking.objects.select_for_update().get(pk=transport.pk)
    if user is None or locked.user_id != user.pk:
        raise TransportConfirmationError("only the user who asked for this courier can confirm it")
    if locked.status != TransportStatus.AWAITING_CONFIRMATION:
        raise TransportConfirmationError(f"courier booking is {locked.status}, not awaiting the user's confirmation")
    now = timezone.now()
    if locked.quote_expires_at <= now:
        raise TransportConfirmationError("the courier quote has expired; ask for a new quote")
    return _transport_move(
        transport,
        to_status=TransportStatus.CONFIRMED,
        actor=user,
        actor_kind=ActorKind.CONSUMER,
        reason="",
        data={"confirmation_ref": confirmation_ref[:200]},
        extra={"user_confirmed_at": now, "confirmation_ref": confirmation_ref[:200]},
    )


@transaction.atomic
def transport_transition(
    *,
    transport: TransportBooking,
    to_status: str,
    actor=None,
    actor_kind: str = ActorKind.SYSTEM,
    reason: str = "",
    data: dict[str, Any] | None = None,
    lalamove_order_id: str | None = None,
    driver: dict[str, str] | None = None,
) -> TransportBooking:
    """Every courier status change except the user's confirmation (see transport_confirm)."""
    if to_status == TransportStatus.CONFIRMED:
        raise TransportConfirmationError("a courier is confirmed only by the user, through transport_confirm")
    extra: dict[str, Any] = {}
    if lalamove_order_id:
        extra["lalamove_order_id"] = lalamove_order_id
    for key in ("name", "phone", "plate"):
        if driver and driver.get(key):
            extra[f"driver_{key}"] = driver[key]
    return _transport_move(
        transport, to_status=to_status, actor=actor, actor_kind=actor_kind, reason=reason, data=data, extra=extra
    )


def transport_cancel(
    *, transport: TransportBooking, actor=None, actor_kind: str = ActorKind.CONSUMER, reason: str = ""
) -> TransportBooking:
    return transport_transition(
        transport=transport, to_status=TransportStatus.CANCELLED, actor=actor, actor_kind=actor_kind, reason=reason
    )


# --------------------------------------------------------------------------- lifecycle jobs (Issue 4)
#
# The periodic jobs in bookings/tasks.py each call one batch function below. A batch
# works booking by booking, each in its own transaction (one bad row must not roll back
# the rest), and every send is remembered in a row checked under the booking's lock, so
# a re-run — or two workers racing — sends nothing twice.

import logging  # noqa: E402

from django.conf import settings as django_settings  # noqa: E402

from bookings.models import (  # noqa: E402
    BookingMessage,
    BookingMessageKind,
    BookingMessageOutcome,
    GuestReliability,
    WaitlistEntry,
)
from bookings.state import WAITLIST_TRANSITIONS, WaitlistStatus  # noqa: E402

logger = logging.getLogger(__name__)


def lifecycle_setting(name: str, default):
    """Lifecycle knobs (all optional in settings; the defaults are the product's rules)."""
    return getattr(django_settings, name, default)


# How long before the visit each reminder goes out, and how much notice a booking must
# have had for it to be worth sending: a guest who booked this afternoon for tonight
# does not need a "see you tomorrow" message, and one who booked 2½ hours ago not a
# "two hours to go" one.
REMINDER_LEADS: dict[str, timedelta] = {
    BookingMessageKind.REMINDER_DAY_BEFORE: timedelta(hours=24),
    BookingMessageKind.REMINDER_TWO_HOURS: timedelta(hours=2),
}
REMINDER_MIN_NOTICE_EXTRA = timedelta(hours=1)
# Rating requests wait for the venue's daytime: nobody wants "how was dinner?" at 1 am.
RATING_REQUEST_LOCAL_HOURS = range(9, 21)


def _guest_message_send(*, booking: VenueBooking, kind: str, build) -> BookingMessage | None:
    """Send one lifecycle message of ``kind`` to the booking's guest, at most once ever.

    ``build(booking, platform) -> (text, reply_markup | None)``. Runs inside the caller's
    transaction with the booking row locked; returns None when it was already sent.
    """
    from messaging.models import InteractionSource
    from messaging.outbound import reply_send
    from messaging.services import user_channel_preferred

    if BookingMessage.objects.filter(booking=booking, kind=kind).exists():
        return None
    channel = user_channel_preferred(user=booking.user)
    if channel is None:
        # Remember the miss too: retrying every five minutes would not find a channel
        # the guest never gave us, and a late reminder is worse than none.
        return BookingMessage.objects.create(
            booking=booking, user=booking.user, kind=kind, outcome=BookingMessageOutcome.NO_CHANNEL
        )
    text, markup = build(booking, channel.platform)
    payload: dict[str, Any] = {"notification": f"booking:{booking.pk}:{kind}"}
    if markup and channel.platform == "telegram":
        payload["reply_markup"] = markup
    interaction = reply_send(
        channel=channel, text=text, booking=booking, source=InteractionSource.SYSTEM, payload=payload
    )
    return BookingMessage.objects.create(
        booking=booking,
        user=booking.user,
        kind=kind,
        outcome=BookingMessageOutcome.QUEUED,
        platform=channel.platform,
        interaction_id=interaction.pk,
    )


@transaction.atomic
def booking_reminder_send(*, booking: VenueBooking, kind: str, now: datetime | None = None) -> BookingMessage | None:
    """Remind the guest of a confirmed booking (day before / two hours before), once per kind.

    The message carries Keep / Cancel buttons on Telegram and asks for a "keep" or
    "cancel" reply elsewhere (bookings.replies handles both).
    """
    from bookings import replies

    if kind not in REMINDER_LEADS:
        raise ReminderError(f"{kind!r} is not a booking reminder")
    now = now or timezone.now()
    locked = (
        VenueBooking.objects.select_for_update(of=("self",)).select_related("venue__city", "user").get(pk=booking.pk)
    )
    if locked.status != BookingStatus.CONFIRMED or locked.user is None or locked.slot_start <= now:
        return None
    return _guest_message_send(
        booking=locked,
        kind=kind,
        build=lambda b, platform: (
            replies.reminder_text(b, kind=kind, platform=platform, now=now),
            replies.booking_reply_markup(b),
        ),
    )


@transaction.atomic
def booking_rating_request_send(*, booking: VenueBooking) -> BookingMessage | None:
    """Ask the guest of a completed visit for a 1–5 rating, once per booking."""
    from bookings import replies

    locked = (
        VenueBooking.objects.select_for_update(of=("self",)).select_related("venue__city", "user").get(pk=booking.pk)
    )
    if (
        locked.status != BookingStatus.COMPLETED
        or locked.user is None
        or BookingRating.objects.filter(booking=locked).exists()
    ):
        return None
    return _guest_message_send(
        booking=locked,
        kind=BookingMessageKind.RATING_REQUEST,
        build=lambda b, platform: (replies.rating_request_text(b, platform=platform), replies.rating_reply_markup(b)),
    )


ATTENDANCE_CONFIRMED = "attendance_confirmed"


@transaction.atomic
def booking_attendance_confirm(*, booking: VenueBooking, user) -> bool:
    """The guest answered a reminder with "keep": note it on the booking's log (no status
    change — it stays confirmed). Returns False if it was already noted."""
    locked = VenueBooking.objects.select_for_update().get(pk=booking.pk)
    if locked.user_id != user.pk:
        raise BookingError("only the guest who booked can confirm they are coming")
    if locked.status != BookingStatus.CONFIRMED:
        raise BookingTransitionError(f"booking {locked.external_ref} is {locked.status}, not confirmed")
    if locked.events.filter(data__kind=ATTENDANCE_CONFIRMED).exists():
        return False
    BookingEvent.objects.create(
        booking=locked,
        from_status=locked.status,
        to_status=locked.status,
        actor=user,
        actor_kind=ActorKind.CONSUMER,
        reason="the guest confirmed they are coming",
        data={"kind": ATTENDANCE_CONFIRMED},
    )
    return True


def _each(bookings, action, *, label: str) -> int:
    """Apply ``action`` to each booking in its own transaction; count the ones it acted on."""
    done = 0
    for booking in bookings:
        try:
            if action(booking):
                done += 1
        except BookingTransitionError as exc:
            # Someone (the venue agent, the guest) moved it meanwhile: nothing to do.
            logger.info("%s skipped booking %s: %s", label, booking.pk, exc)
        except Exception:
            logger.exception("%s failed for booking %s", label, booking.pk)
    return done


def bookings_expire_stale(*, now: datetime | None = None, limit: int = 500) -> int:
    """Expire booking requests nobody will answer any more (see selectors.bookings_stale_pending).

    The guest is told by messaging.notifications (expired is a notified status).
    """
    from bookings.selectors import bookings_stale_pending

    now = now or timezone.now()

    def expire(booking: VenueBooking) -> bool:
        reason = "the slot has passed" if booking.slot_start <= now else "no answer in time"
        booking_transition(booking=booking, to_status=BookingStatus.EXPIRED, actor_kind=ActorKind.SYSTEM, reason=reason)
        return True

    return _each(list(bookings_stale_pending(now=now)[:limit]), expire, label="expire_pending_bookings")


def bookings_complete_past(*, now: datetime | None = None, limit: int = 500) -> int:
    """Complete confirmed bookings whose visit ended more than the no-show grace ago.

    No-shows are only ever marked by the venue (owner or staff, through
    booking_mark_no_show): we have no signal that a guest did not come, and a false
    no-show strike costs a real guest their auto-confirmation. So a visit the venue did
    not flag within BOOKINGS_NO_SHOW_GRACE_HOURS counts as having happened.
    """
    from bookings.selectors import bookings_past_to_complete

    now = now or timezone.now()
    grace = int(lifecycle_setting("BOOKINGS_NO_SHOW_GRACE_HOURS", 12))

    def complete(booking: VenueBooking) -> bool:
        booking_complete(booking=booking, reason=f"the venue reported no no-show within {grace} h")
        return True

    return _each(list(bookings_past_to_complete(now=now)[:limit]), complete, label="complete_past_bookings")


def booking_reminders_send_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send every reminder (day before, two hours before) that is due and not sent yet."""
    from bookings.selectors import bookings_due_reminder

    now = now or timezone.now()
    sent = 0
    for kind in REMINDER_LEADS:
        sent += _each(
            list(bookings_due_reminder(kind=kind, now=now)[:limit]),
            lambda booking, kind=kind: booking_reminder_send(booking=booking, kind=kind, now=now) is not None,
            label=f"booking_reminders[{kind}]",
        )
    return sent


def rating_requests_send_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Ask for a rating of each recently completed, unrated visit, in the venue's daytime."""
    from bookings.selectors import bookings_due_rating_request
    from venues.selectors import venue_timezone

    now = now or timezone.now()

    def ask(booking: VenueBooking) -> bool:
        if now.astimezone(venue_timezone(booking.venue)).hour not in RATING_REQUEST_LOCAL_HOURS:
            return False  # the next run in the venue's daytime sends it
        return booking_rating_request_send(booking=booking) is not None

    return _each(list(bookings_due_rating_request(now=now)[:limit]), ask, label="request_post_visit_ratings")


# --------------------------------------------------------------------------- waitlist


class WaitlistError(BookingError):
    pass


@transaction.atomic
def waitlist_join(
    *,
    user,
    venue: Venue,
    party_size: int,
    slot_start: datetime,
    flexibility_minutes: int = 60,
    note: str = "",
) -> WaitlistEntry:
    """Put the guest on the venue's waitlist for a full slot; asking again keeps their place."""
    if venue.status not in BOOKABLE_VENUE_STATUSES:
        raise WaitlistError(f"{venue} does not take bookings")
    if not venue.min_party_size <= party_size <= venue.max_party_size:
        raise WaitlistError(f"{venue} takes parties of {venue.min_party_size}–{venue.max_party_size}, not {party_size}")
    if slot_start <= timezone.now():
        raise WaitlistError("that time has already passed")
    if not 0 <= flexibility_minutes <= 24 * 60:
        raise WaitlistError("flexibility must be between 0 minutes and a day")
    existing = WaitlistEntry.objects.filter(
        user=user, venue=venue, slot_start=slot_start, status=WaitlistStatus.WAITING
    ).first()
    if existing is not None:
        return existing
    from bookings.availability import slot_is_free

    if slot_is_free(venue=venue, start=slot_start, party_size=party_size).slots:
        raise WaitlistError("that time is still free: book it instead")
    entry = WaitlistEntry.objects.create(
        user=user,
        venue=venue,
        party_size=party_size,
        slot_start=slot_start,
        flexibility_minutes=flexibility_minutes,
        note=note[:300],
    )
    analytics_event_record(name="waitlist.joined", user=user, properties={"venue_id": str(venue.pk)})
    return entry


def _waitlist_move(entry: WaitlistEntry, to_status: str, **fields) -> WaitlistEntry:
    locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if to_status not in WAITLIST_TRANSITIONS.get(locked.status, frozenset()):
        raise WaitlistError(f"waitlist entry cannot move from {locked.status} to {to_status}")
    locked.status = to_status
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "updated_at", *fields])
    return locked


@transaction.atomic
def waitlist_leave(*, entry: WaitlistEntry, user) -> WaitlistEntry:
    if entry.user_id != user.pk:
        raise WaitlistError("only the guest on the waitlist can leave it")
    return _waitlist_move(entry, WaitlistStatus.CANCELLED)


@transaction.atomic
def waitlist_offer_for_cancellation(*, booking: VenueBooking, now: datetime | None = None) -> list[WaitlistEntry]:
    """A booking was cancelled: tell the first waiting guests (oldest first) whose party now
    fits near their asked time that a table opened up. First to book wins.

    Idempotent: the offered entries point at the cancellation (``offered_booking``), and a
    cancellation that already has offers is skipped. Runs under the booking's lock.
    """
    from bookings import replies
    from bookings.availability import slot_is_free
    from bookings.selectors import waitlist_candidates
    from messaging.models import InteractionSource
    from messaging.outbound import reply_send
    from messaging.services import user_channel_preferred

    now = now or timezone.now()
    locked = VenueBooking.objects.select_for_update(of=("self",)).select_related("venue__city").get(pk=booking.pk)
    if locked.status != BookingStatus.CANCELLED or locked.slot_start <= now:
        return []
    if WaitlistEntry.objects.filter(offered_booking=locked).exists():
        return []
    limit = int(lifecycle_setting("BOOKINGS_WAITLIST_NOTIFY_COUNT", 3))
    offered: list[WaitlistEntry] = []
    for entry in waitlist_candidates(booking=locked):
        if len(offered) >= limit:
            break
        # Prefer the time they asked for; else the freed booking's own time, if it is
        # within their flexibility. The diary decides, so a slot someone else already
        # took (or pacing still forbids) is not offered.
        slot = None
        for candidate in (entry.slot_start, locked.slot_start):
            if (
                abs(candidate - entry.slot_start) <= timedelta(minutes=entry.flexibility_minutes)
                and slot_is_free(venue=locked.venue, start=candidate, party_size=entry.party_size, now=now).slots
            ):
                slot = candidate
                break
        if slot is None:
            continue
        channel = user_channel_preferred(user=entry.user)
        interaction_id = None
        if channel is not None:
            interaction_id = reply_send(
                channel=channel,
                text=replies.waitlist_offer_text(entry, slot=slot, venue=locked.venue),
                source=InteractionSource.SYSTEM,
                payload={"notification": f"waitlist:{entry.pk}"},
            ).pk
        offered.append(
            _waitlist_move(
                entry,
                WaitlistStatus.NOTIFIED,
                notified_at=now,
                offered_booking=locked,
                offered_slot=slot,
                interaction_id=interaction_id,
            )
        )
    return offered


def waitlist_promote_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Offer freed tables to waiting guests, then expire entries whose time has passed.

    Returns how many guests were told."""
    from bookings.selectors import cancellations_for_waitlist

    now = now or timezone.now()
    told = 0
    for booking in list(cancellations_for_waitlist(now=now)[:limit]):
        try:
            told += len(waitlist_offer_for_cancellation(booking=booking, now=now))
        except Exception:
            logger.exception("waitlist_promote failed for booking %s", booking.pk)
    waitlist_expire_past(now=now)
    return told


@transaction.atomic
def waitlist_expire_past(*, now: datetime | None = None) -> int:
    """Entries still waiting for a time that has passed are expired."""
    now = now or timezone.now()
    expired = 0
    for entry in WaitlistEntry.objects.select_for_update(skip_locked=True).filter(
        status=WaitlistStatus.WAITING, slot_start__lte=now
    )[:1000]:
        _waitlist_move(entry, WaitlistStatus.EXPIRED)
        expired += 1
    return expired


# --------------------------------------------------------------------------- guest reliability (no-show strikes)


def no_show_window_days() -> int:
    return int(lifecycle_setting("BOOKINGS_NO_SHOW_WINDOW_DAYS", 180))


def no_show_strike_threshold() -> int:
    """No-shows within the window at which a guest's bookings need the owner's approval."""
    return int(lifecycle_setting("BOOKINGS_NO_SHOW_STRIKES", 2))


@transaction.atomic
def guest_reliability_recompute(*, user, now: datetime | None = None) -> GuestReliability:
    """Count the guest's no-shows in the window and set ``needs_owner_approval``.

    Call it right after marking a no-show to flag the guest at once; the nightly job
    recomputes everyone so old no-shows fall out of the window.
    """
    now = now or timezone.now()
    window = no_show_window_days()
    no_shows = VenueBooking.objects.filter(
        user=user, status=BookingStatus.NO_SHOW, slot_start__gte=now - timedelta(days=window), slot_start__lte=now
    )
    count = no_shows.count()
    last = no_shows.order_by("-slot_start").values_list("slot_start", flat=True).first()
    flagged = count >= no_show_strike_threshold()
    record, created = GuestReliability.objects.select_for_update().get_or_create(
        user=user,
        defaults={
            "no_show_count": count,
            "window_days": window,
            "last_no_show_at": last,
            "needs_owner_approval": flagged,
            "computed_at": now,
        },
    )
    if not created:
        if record.needs_owner_approval != flagged:
            logger.info(
                "guest %s %s owner approval (%s no-shows)",
                user.pk,
                "now needs" if flagged else "no longer needs",
                count,
            )
        record.no_show_count, record.window_days, record.last_no_show_at = min(count, 32767), window, last
        record.needs_owner_approval, record.computed_at = flagged, now
        record.save(
            update_fields=[
                "no_show_count",
                "window_days",
                "last_no_show_at",
                "needs_owner_approval",
                "computed_at",
                "updated_at",
            ]
        )
    return record


@transaction.atomic
def guest_reliability_recompute_all(*, now: datetime | None = None) -> int:
    """Recompute every guest with a no-show in the window or a record still counting one.

    One statement for all of them (the hourly job): count each guest's no-shows in the
    window, then insert or update their GuestReliability row — the same numbers
    :func:`guest_reliability_recompute` gives one guest. Returns how many guests it wrote.
    """
    now = now or timezone.now()
    window = no_show_window_days()
    booking_table = VenueBooking._meta.db_table
    record_table = GuestReliability._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH counts AS (
                SELECT user_id, count(*) AS no_shows, max(slot_start) AS last_no_show
                FROM {booking_table}
                WHERE status = %(no_show)s AND user_id IS NOT NULL
                  AND slot_start >= %(since)s AND slot_start <= %(now)s
                GROUP BY user_id
            ),
            guests AS (
                SELECT user_id FROM counts
                UNION
                SELECT user_id FROM {record_table} WHERE no_show_count > 0 OR needs_owner_approval
            )
            INSERT INTO {record_table}
                (user_id, no_show_count, window_days, last_no_show_at, needs_owner_approval, computed_at)
            SELECT guests.user_id, LEAST(COALESCE(counts.no_shows, 0), 32767), %(window)s, counts.last_no_show,
                   COALESCE(counts.no_shows, 0) >= %(threshold)s, %(now)s
            FROM guests LEFT JOIN counts USING (user_id)
            ON CONFLICT (user_id) DO UPDATE SET
                no_show_count = EXCLUDED.no_show_count,
                window_days = EXCLUDED.window_days,
                last_no_show_at = EXCLUDED.last_no_show_at,
                needs_owner_approval = EXCLUDED.needs_owner_approval,
                computed_at = EXCLUDED.computed_at,
                updated_at = now()
            RETURNING needs_owner_approval
            """,
            {
                "no_show": BookingStatus.NO_SHOW,
                "since": now - timedelta(days=window),
                "now": now,
                "window": window,
                "threshold": no_show_strike_threshold(),
            },
        )
        rows = cursor.fetchall()
    flagged = sum(1 for (needs_approval,) in rows if needs_approval)
    logger.info("no-show strikes recomputed for %s guest(s); %s need owner approval", len(rows), flagged)
    return len(rows)
