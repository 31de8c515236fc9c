"""The guest's answers to lifecycle messages: reminder buttons/replies and post-visit ratings.

- :func:`booking_reply_handle` — give it a button's callback data or the text of an
  inbound message; it acts through the command layer (a cancellation also tells the
  venue's agent, in one transaction) and the bookings services, and returns the answer to
  send, or None when the text is not a reply to a lifecycle message (the concierge then
  answers).
- the texts and Telegram keyboards of those messages (reminders with keep / cancel,
  callback data ``booking:keep:<ref>`` / ``booking:cancel:<ref>``; rating requests with
  1–5 stars, ``booking:rate:<ref>:<n>``; waitlist offers). WhatsApp, Instagram and the
  web chat have no inline buttons here, so the texts ask for a "keep" / "cancel" or
  "rate 4" reply; a bare reply is matched to the guest's most recent prompt.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.utils import timezone

from bookings.models import ActorKind, BookingMessageKind, VenueBooking, WaitlistEntry
from bookings.state import BookingStatus
from messaging.concierge.messages import day_words, guest_language, guests_words, notice, when_words

logger = logging.getLogger(__name__)

CALLBACK_PREFIX = "booking:"
# How long a bare "keep"/"cancel" or "4" still answers the last reminder / rating request.
REMINDER_REPLY_WINDOW = timedelta(hours=26)
RATING_REPLY_WINDOW = timedelta(days=7)

_REF = r"AG-?[2-9A-Z]{6}"
_CALLBACK = re.compile(rf"^booking:(keep|cancel):({_REF})$", re.IGNORECASE)
_CALLBACK_RATE = re.compile(rf"^booking:rate:({_REF}):([1-5])$", re.IGNORECASE)
_TEXT_KEEP_CANCEL = re.compile(rf"^(keep|cancel)(?:\s+(?:it|booking|my booking))?(?:\s+({_REF}))?$", re.IGNORECASE)
_TEXT_RATE = re.compile(
    rf"^rate\s+(?:({_REF})\s+)?([1-5])\s*(?:/\s*5|stars?|★+)?(?:\s*[,.:;!-]?\s+(.+))?$", re.IGNORECASE | re.DOTALL
)
_TEXT_WAITLIST = re.compile(
    r"^(?:(?:please\s+)?(?:put me on|add me to|join)\s+(?:the\s+)?)?wait\s*-?\s*list(?:\s+me)?$"
    # the word the translated rejection asks for: id, ru, de
    r"|^(?:masukkan saya ke\s+)?daftar tunggu$|^(?:в\s+)?лист ожидания$|^(?:auf die\s+)?warteliste$",
    re.IGNORECASE,
)
WAITLIST_REPLY_WINDOW = timedelta(hours=24)
_TEXT_BARE_SCORE = re.compile(r"^([1-5])\s*(?:/\s*5|stars?|★+)?$", re.IGNORECASE)


# --------------------------------------------------------------------------- texts and keyboards


def _local(booking_or_venue_time: datetime, venue) -> datetime:
    from venues.selectors import venue_timezone

    return booking_or_venue_time.astimezone(venue_timezone(venue))


def _guests(n: int, language: str = "en") -> str:
    return guests_words(n, language)


def booking_reply_markup(booking: VenueBooking) -> dict:
    """Telegram inline keyboard of a reminder: keep or cancel this booking."""
    ref = booking.external_ref
    language = guest_language(booking.user)
    return {
        "inline_keyboard": [
            [
                {"text": notice("keep_button", language), "callback_data": f"booking:keep:{ref}"},
                {"text": notice("cancel_button", language), "callback_data": f"booking:cancel:{ref}"},
            ]
        ]
    }


def rating_reply_markup(booking: VenueBooking) -> dict:
    """Telegram inline keyboard of a rating request: one to five stars."""
    ref = booking.external_ref
    return {"inline_keyboard": [[{"text": f"{n}★", "callback_data": f"booking:rate:{ref}:{n}"} for n in range(1, 6)]]}


def reminder_text(booking: VenueBooking, *, kind: str, platform: str, now: datetime | None = None) -> str:
    now = now or timezone.now()
    language = guest_language(booking.user)
    venue = booking.venue
    local = _local(booking.slot_start, venue)
    head = notice(
        "reminder_soon" if kind == BookingMessageKind.REMINDER_TWO_HOURS else "reminder",
        language,
        venue=venue.name,
        where=f" ({venue.address})" if venue.address else "",
        when=when_words(local, language, now_local=_local(now, venue)),
        who=_guests(booking.party_size, language),
    )
    ask = notice("still_coming" if platform == "telegram" else "still_coming_reply", language)
    return f"{head} {notice('reference', language, ref=booking.external_ref)} {ask}"


def rating_request_text(booking: VenueBooking, *, platform: str) -> str:
    language = guest_language(booking.user)
    local = _local(booking.slot_start, booking.venue)
    return notice(
        "rating_request",
        language,
        venue=booking.venue.name,
        day=day_words(local, language),
        how=notice("rate_tap" if platform == "telegram" else "rate_reply", language),
        ref=booking.external_ref,
    )


def waitlist_offer_text(entry: WaitlistEntry, *, slot: datetime, venue) -> str:
    language = guest_language(entry.user)
    return notice(
        "waitlist_offer",
        language,
        who=_guests(entry.party_size, language),
        venue=venue.name,
        when=when_words(_local(slot, venue), language),
    )


# --------------------------------------------------------------------------- handling replies


REMINDER_CANCEL_REASON = "cancelled by the guest from the reminder"


def _own_booking(user, ref: str) -> VenueBooking | None:
    from bookings.selectors import booking_for_guest

    return booking_for_guest(user=user, reference=ref)


def booking_reply_handle(*, user, data: str) -> str | None:
    """Act on a reminder or rating answer and return the text to reply with.

    ``data`` is a Telegram callback (``booking:keep:AG-…``, ``booking:cancel:AG-…``,
    ``booking:rate:AG-…:4``) or an inbound text ("keep", "cancel AG-7K3Q9D", "rate 4 great
    food", or just "4" right after a rating request). Returns None when the text is not
    such a reply, so the caller passes it on to the concierge. Never raises for what a
    user can send.
    """
    if user is None or not data:
        return None
    text = " ".join(str(data).split())
    is_callback = text.lower().startswith(CALLBACK_PREFIX)
    if is_callback:
        if match := _CALLBACK.match(text):
            booking = _own_booking(user, match.group(2))
            return (
                _keep_or_cancel(user, booking, match.group(1).lower()) if booking else "I couldn't find that booking."
            )
        if match := _CALLBACK_RATE.match(text):
            booking = _own_booking(user, match.group(1))
            return _rate(user, booking, int(match.group(2)), "") if booking else "I couldn't find that booking."
        return "Sorry, I didn't understand that button."

    plain = text.strip().rstrip("!.").strip()
    if match := _TEXT_KEEP_CANCEL.match(plain):
        action, ref = match.group(1).lower(), match.group(2)
        if ref:
            booking = _own_booking(user, ref)
        else:
            booking = _last_prompted(
                user,
                (BookingMessageKind.REMINDER_DAY_BEFORE, BookingMessageKind.REMINDER_TWO_HOURS),
                REMINDER_REPLY_WINDOW,
            )
            if booking is not None and not (
                booking.status == BookingStatus.CONFIRMED and booking.slot_start > timezone.now()
            ):
                booking = None  # the reminder's booking moved on: the text means something else
        return _keep_or_cancel(user, booking, action) if booking else None
    if match := _TEXT_RATE.match(text.strip()):
        ref, score, comment = match.group(1), int(match.group(2)), (match.group(3) or "").strip()
        booking = (
            _own_booking(user, ref)
            if ref
            else _last_prompted(user, (BookingMessageKind.RATING_REQUEST,), RATING_REPLY_WINDOW)
        )
        return _rate(user, booking, score, comment) if booking else None
    if _TEXT_WAITLIST.match(plain):
        return _join_waitlist(user)
    if match := _TEXT_BARE_SCORE.match(plain):
        booking = _last_prompted(user, (BookingMessageKind.RATING_REQUEST,), RATING_REPLY_WINDOW)
        if booking is None or booking.status != BookingStatus.COMPLETED or hasattr(booking, "rating"):
            return None
        return _rate(user, booking, int(match.group(1)), "")
    return None


def _last_prompted(user, kinds, window: timedelta) -> VenueBooking | None:
    from bookings.selectors import booking_message_latest

    message = booking_message_latest(user=user, kinds=kinds, since=timezone.now() - window)
    return message.booking if message is not None else None


def _when(booking: VenueBooking, language: str = "en") -> str:
    return when_words(_local(booking.slot_start, booking.venue), language)


def _keep_or_cancel(user, booking: VenueBooking, action: str) -> str:
    from agents.booking.commands import booking_guest_cancel
    from bookings.services import BookingError, booking_attendance_confirm

    venue, ref = booking.venue, booking.external_ref
    language = guest_language(user)
    if booking.status != BookingStatus.CONFIRMED:
        return f"Your booking {ref} at {venue.name} is {booking.get_status_display().lower()}, so there is nothing to {action}."
    if booking.slot_start <= timezone.now():
        return f"Your booking {ref} at {venue.name} has already started; please talk to the venue directly."
    try:
        if action == "keep":
            booking_attendance_confirm(booking=booking, user=user)
            return notice("kept", language, venue=venue.name, when=_when(booking, language), ref=ref)
        booking_guest_cancel(booking=booking, user=user, actor_kind=ActorKind.CONSUMER, reason=REMINDER_CANCEL_REASON)
    except BookingError as exc:
        logger.info("reminder reply %s on %s refused: %s", action, ref, exc)
        return f"Sorry, I couldn't {action} booking {ref}: {exc}."
    note = ""
    hours_left = (booking.slot_start - timezone.now()).total_seconds() / 3600
    if booking.deposit_amount and hours_left < venue.cancellation_window_hours:
        note = notice("deposit_kept", language, hours=venue.cancellation_window_hours)
    return notice("guest_cancelled", language, venue=venue.name, when=_when(booking, language), ref=ref, note=note)


def _rate(user, booking: VenueBooking | None, score: int, comment: str) -> str:
    from bookings.services import RatingError, booking_rate

    if booking is None:
        return "I couldn't find that booking."
    try:
        booking_rate(booking=booking, user=user, score=score, comment=comment[:2000])
    except RatingError as exc:
        return f"I couldn't record that rating: {exc}."
    stars = f"{'★' * score}{'☆' * (5 - score)}"
    return notice("rated", guest_language(user), stars=stars, venue=booking.venue.name)


def _join_waitlist(user) -> str | None:
    """ "waitlist" after a venue said no: wait for the time the guest asked for."""
    from bookings.selectors import booking_recently_refused_for_user
    from bookings.services import WaitlistError, waitlist_join

    booking = booking_recently_refused_for_user(user=user, since=timezone.now() - WAITLIST_REPLY_WINDOW)
    if booking is None:
        return None  # nothing to wait for: let the concierge answer
    language = guest_language(user)
    try:
        waitlist_join(user=user, venue=booking.venue, party_size=booking.party_size, slot_start=booking.slot_start)
    except WaitlistError as exc:
        return notice("waitlist_failed", language, error=exc)
    return notice(
        "waitlist_joined",
        language,
        venue=booking.venue.name,
        when=_when(booking, language),
        who=_guests(booking.party_size, language),
    )
