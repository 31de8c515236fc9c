"""Lifecycle jobs: booking reminders, rating requests, attendance, expiry and completion batches."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from bookings import signals
from bookings.models import (
    ActorKind,
    BookingEvent,
    BookingMessage,
    BookingMessageKind,
    BookingMessageOutcome,
    BookingRating,
    VenueBooking,
)
from bookings.services.booking import booking_complete, booking_transition
from bookings.services.errors import BookingError, BookingTransitionError, ReminderError
from bookings.services.knobs import lifecycle_setting
from bookings.state import (
    BookingStatus,
)

# --------------------------------------------------------------------------- lifecycle jobs (Issue 4)
#
# The periodic jobs in bookings/tasks.py each call one batch function below. A batch
# works booking by booking, each in its own transaction (one bad row must not roll back
# the rest), and every send is remembered in a row checked under the booking's lock, so
# a re-run — or two workers racing — sends nothing twice.

logger = logging.getLogger(__name__)


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


def _guest_message_send(*, booking: VenueBooking, kind: str, now: datetime | None = None) -> BookingMessage | None:
    """Send one lifecycle message of ``kind`` to the booking's guest, at most once ever.

    Runs inside the caller's transaction with the booking row locked; returns None when
    it was already sent. The row records the decision; messaging (the single sender)
    sends it on the ``booking_message_due`` signal and says where it went.
    """
    if BookingMessage.objects.filter(booking=booking, kind=kind).exists():
        return None
    message = BookingMessage.objects.create(
        booking=booking, user=booking.user, kind=kind, outcome=BookingMessageOutcome.QUEUED
    )
    answer = signals.first_answer(signals.booking_message_due.send(sender=BookingMessage, message=message, now=now))
    if answer is not None:
        platform, interaction_id = answer
        if interaction_id is None:
            # Remember the miss too: retrying every five minutes would not find a channel
            # the guest never gave us, and a late reminder is worse than none.
            message.outcome = BookingMessageOutcome.NO_CHANNEL
        message.platform, message.interaction_id = platform, interaction_id
        message.save(update_fields=["outcome", "platform", "interaction_id"])
    return message


@transaction.atomic
def booking_reminder_send(*, booking: VenueBooking, kind: str, now: datetime | None = None) -> BookingMessage | None:
    """Remind the guest of a confirmed booking (day before / two hours before), once per kind.

    The message carries Keep / Cancel buttons on Telegram and asks for a "keep" or
    "cancel" reply elsewhere (messaging.booking_replies writes and handles both).
    """
    if kind not in REMINDER_LEADS:
        raise ReminderError(f"{kind!r} is not a booking reminder")
    now = now or timezone.now()
    locked = (
        VenueBooking.objects.select_for_update(of=("self",)).select_related("venue__city", "user").get(pk=booking.pk)
    )
    if locked.status != BookingStatus.CONFIRMED or locked.user is None or locked.slot_start <= now:
        return None
    return _guest_message_send(booking=locked, kind=kind, now=now)


@transaction.atomic
def booking_rating_request_send(*, booking: VenueBooking) -> BookingMessage | None:
    """Ask the guest of a completed visit for a 1–5 rating, once per booking."""
    locked = (
        VenueBooking.objects.select_for_update(of=("self",)).select_related("venue__city", "user").get(pk=booking.pk)
    )
    if (
        locked.status != BookingStatus.COMPLETED
        or locked.user is None
        or BookingRating.objects.filter(booking=locked).exists()
    ):
        return None
    return _guest_message_send(booking=locked, kind=BookingMessageKind.RATING_REQUEST)


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
