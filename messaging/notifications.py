"""Unprompted messages to a user: booking decisions reach the guest on their channel.

bookings.signals.booking_status_changed fires after commit; the receiver only enqueues
a task with ids (CONVENTIONS: no logic in signals). The task builds the text from the
booking as it is *then*, so a late or repeated task never reports a stale status.
"""

from __future__ import annotations

import logging

from django.db import transaction

from bookings.models import ActorKind, BookingEvent, VenueBooking
from bookings.state import BookingStatus
from messaging.models import Interaction, InteractionSource
from messaging.services import user_channel_preferred

logger = logging.getLogger(__name__)

# The guest is told about what *others* decided; their own cancellation was answered in chat.
NOTIFY_STATUSES = frozenset(
    {
        BookingStatus.CONFIRMED,
        BookingStatus.REJECTED,
        BookingStatus.COUNTER_OFFERED,
        BookingStatus.PENDING_OWNER,
        BookingStatus.CANCELLED,
        BookingStatus.EXPIRED,
    }
)
GUEST_ACTORS = frozenset({ActorKind.CONSUMER, ActorKind.CONSUMER_AGENT})


def on_booking_status_changed(sender, *, booking_id, from_status: str, to_status: str, **kwargs) -> None:
    if to_status not in NOTIFY_STATUSES:
        return
    from messaging.tasks import notify_booking_status

    notify_booking_status.delay(str(booking_id), to_status)


def booking_status_text(booking: VenueBooking) -> str:
    venue = booking.venue
    local = booking.slot_start.astimezone(_tz(venue))
    when = f"{local:%a %d %b} at {local:%H:%M}"
    who = f"{booking.party_size} {'guest' if booking.party_size == 1 else 'guests'}"
    ref = booking.external_ref
    reason = f" Reason: {booking.status_reason}." if booking.status_reason else ""
    status = booking.status
    if status == BookingStatus.CONFIRMED:
        from bookings.calendar import booking_calendar_url

        return (
            f"✅ Confirmed: {venue.name}, {when}, {who}. Reference {ref}. Enjoy!\n"
            f"Add it to your calendar: {booking_calendar_url(booking)}"
        )
    if status == BookingStatus.REJECTED:
        return (
            f"Sorry — {venue.name} couldn't take your booking for {when} ({ref}).{reason} Want me to find another "
            "place or time? Or reply “waitlist” and I'll tell you if a table opens up."
        )
    if status == BookingStatus.COUNTER_OFFERED:
        slots = ", ".join(_slot_label(slot, venue) for slot in booking.counter_offer_slots[:3]) or "another time"
        return f"{venue.name} can't do {when}, but offers {slots} for {who} ({ref}). Shall I book one of those?"
    if status == BookingStatus.PENDING_OWNER:
        return f"{venue.name} needs to approve your request for {when} ({ref}) personally. I'll tell you as soon as they answer."
    if status == BookingStatus.CANCELLED:
        return f"Your booking at {venue.name} for {when} ({ref}) was cancelled.{reason}"
    if status == BookingStatus.EXPIRED:
        expired_from = (
            BookingEvent.objects.filter(booking=booking, to_status=BookingStatus.EXPIRED)
            .order_by("-created_at")
            .values_list("from_status", flat=True)
            .first()
        )
        if expired_from == BookingStatus.COUNTER_OFFERED:
            return f"The other times {venue.name} offered instead of {when} ({ref}) have lapsed.{reason} Shall I look again?"
        return f"{venue.name} didn't answer your request for {when} in time ({ref}), so it has lapsed.{reason} Shall I try somewhere else?"
    return f"Your booking {ref} at {venue.name} is now {booking.get_status_display().lower()}."


def _tz(venue):
    from zoneinfo import ZoneInfo

    return ZoneInfo(venue.city.timezone if venue.city_id else "Asia/Makassar")


def _slot_label(slot, venue) -> str:
    from datetime import datetime

    try:
        return f"{datetime.fromisoformat(str(slot)).astimezone(_tz(venue)):%a %H:%M}"
    except ValueError:
        return str(slot)


@transaction.atomic
def booking_status_notify(*, booking_id, to_status: str) -> Interaction | None:
    """Queue the status message for the guest, once per booking and status."""
    booking = VenueBooking.objects.select_related("venue__city", "user").filter(pk=booking_id).first()
    if booking is None or booking.user is None or booking.status != to_status:
        return None  # gone, anonymous (API booking), or moved on since
    last_event = BookingEvent.objects.filter(booking=booking, to_status=to_status).order_by("-created_at").first()
    if to_status == BookingStatus.CANCELLED and last_event is not None and last_event.actor_kind in GUEST_ACTORS:
        return None
    marker = f"booking:{booking.pk}:{to_status}"
    if Interaction.objects.filter(booking=booking, payload__notification=marker).exists():
        return None  # a redelivered task
    channel = user_channel_preferred(user=booking.user)
    if channel is None:
        logger.info("booking %s is %s but its guest has no channel to tell", booking.pk, to_status)
        return None
    from messaging.outbound import reply_send

    return reply_send(
        channel=channel,
        text=booking_status_text(booking),
        booking=booking,
        source=InteractionSource.VENUE_AGENT if to_status != BookingStatus.EXPIRED else InteractionSource.SYSTEM,
        payload={"notification": marker},
    )


# --------------------------------------------------------------------------- ambassadors


def ambassador_report_text(ambassador, numbers: dict[str, int]) -> str:
    name = (ambassador.user.display_name or ambassador.user.get_username()).split()[0]
    return (
        f"Hi {name}! Your AGNT ambassador week in {ambassador.city.name} (code {ambassador.referral_code}):\n"
        f"• sign-ups: {numbers['signups']} this week, {numbers['signups_total']} in total\n"
        f"• bookings by guests you referred: {numbers['bookings']} this week, {numbers['bookings_total']} in total\n"
        f"• venues you signed: {numbers['venues']} this week, {numbers['venues_total']} in total\n"
        "Terima kasih — keep sharing your code!"
    )


def ambassador_weekly_report_send(*, now=None) -> int:
    """Send every active ambassador their week's numbers on their channel; returns how many were sent.

    Once per ambassador and ISO week: a rerun of the job (or a retried task) sends nothing twice.
    """
    from django.utils import timezone

    from billing.services.ambassadors import city_ambassador_report
    from venues.models import AmbassadorStatus, CityAmbassador

    now = now or timezone.now()
    year, week, _ = now.isocalendar()
    sent = 0
    ambassadors = CityAmbassador.objects.select_related("user", "city").filter(status=AmbassadorStatus.ACTIVE)
    for ambassador in ambassadors.order_by("pk"):
        with transaction.atomic():
            numbers = city_ambassador_report(ambassador=ambassador, now=now)
            marker = f"ambassador-report:{ambassador.pk}:{year}-W{week:02d}"
            if Interaction.objects.filter(payload__notification=marker).exists():
                continue
            channel = user_channel_preferred(user=ambassador.user)
            if channel is None:
                logger.info("ambassador %s has no channel for the weekly report", ambassador.pk)
                continue
            from messaging.outbound import reply_send

            reply_send(
                channel=channel,
                text=ambassador_report_text(ambassador, numbers),
                source=InteractionSource.SYSTEM,
                payload={"notification": marker, "numbers": numbers},
            )
            sent += 1
    return sent


# --------------------------------------------------------------------------- taste follows

FOLLOW_DATA_PREFIX = "follow:"


def taste_follow_request_notify(*, follow) -> Interaction | None:
    """Ask the followee, on their channel, whether the follower may follow their taste."""
    channel = user_channel_preferred(user=follow.followee)
    if channel is None:
        logger.info("follow request %s: the followee has no channel to ask on", follow.pk)
        return None
    follower = follow.user.display_name or follow.user.get_username()
    from messaging.outbound import reply_send

    return reply_send(
        channel=channel,
        text=(
            f"{follower} would like to follow your taste: I'd rank places for them by the venues you book, "
            "rate and put on your lists (they never see your bookings themselves). "
            'Reply "accept follow" or "decline follow".'
        ),
        source=InteractionSource.SYSTEM,
        payload={
            "notification": f"follow-request:{follow.pk}",
            "reply_markup": {
                "inline_keyboard": [
                    [
                        {"text": "Accept", "callback_data": f"{FOLLOW_DATA_PREFIX}accept:{follow.pk}"},
                        {"text": "Decline", "callback_data": f"{FOLLOW_DATA_PREFIX}decline:{follow.pk}"},
                    ]
                ]
            },
        },
    )


def taste_follow_reply(*, user, text: str) -> str | None:
    """The followee's answer to a follow request (button or typed); None when the text is not one."""
    import re

    from agnt.models import FollowStatus, UserFollowsTaste
    from agnt.services import FollowError, taste_follow_decide

    norm = " ".join(text.lower().split())
    match = re.fullmatch(r"follow:(accept|decline):([0-9a-f-]{36})", norm)
    if match:
        accept = match.group(1) == "accept"
        follow = UserFollowsTaste.objects.select_related("user").filter(pk=match.group(2)).first()
    elif norm in {"accept follow", "decline follow", "accept", "decline"}:
        accept = norm.startswith("accept")
        follow = (
            UserFollowsTaste.objects.select_related("user")
            .filter(followee=user, status=FollowStatus.REQUESTED)
            .order_by("-created_at")
            .first()
        )
        if follow is None:
            return None if norm in {"accept", "decline"} else "There's no follow request waiting for you."
    else:
        return None
    if follow is None:
        return "That follow request no longer exists."
    try:
        follow = taste_follow_decide(follow=follow, followee=user, accept=accept)
    except FollowError as exc:
        return str(exc).capitalize() + "."
    follower = follow.user.display_name or follow.user.get_username()
    if follow.status == FollowStatus.ACCEPTED:
        _tell_follower(follow, f"{_name(user)} accepted: ask me “what would {_name(user).split()[0]} pick?”")
        return f"Done — {follower} now follows your taste."
    return f"OK — {follower} won't follow your taste."


def _name(user) -> str:
    return user.display_name or user.get_username()


def _tell_follower(follow, text: str) -> None:
    channel = user_channel_preferred(user=follow.user)
    if channel is None:
        return
    from messaging.outbound import reply_send

    reply_send(
        channel=channel, text=text, source=InteractionSource.SYSTEM, payload={"notification": f"follow:{follow.pk}"}
    )
