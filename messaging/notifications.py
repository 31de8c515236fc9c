"""Unprompted messages to a user: the single sender, and the receivers that use it.

:func:`notify_user` is the one way to tell a user something nobody asked for in the
conversation: it sends at most once per (user, key) — a Notification row under a unique
constraint remembers every send (and every miss when the user has no channel), so a
redelivered task or a second worker sends nothing twice.

Domain signals (sent after commit) drive it: bookings.signals.booking_status_changed and
booking_moved. The receivers only enqueue a task with ids (CONVENTIONS: no logic in
signals); the task builds the text from the booking as it is *then*, so a late or
repeated task never reports a stale status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction

from bookings.models import ActorKind, BookingEvent, VenueBooking
from bookings.state import BookingStatus
from messaging.concierge.messages import (
    REASONS,
    WEEKDAYS,
    guest_language,
    guests_words,
    notice,
    party_breakdown,
    reason,
    status_words,
    when_words,
)
from messaging.models import Interaction, InteractionSource, Notification
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


@transaction.atomic
def notify_user(
    *,
    user,
    key: str,
    text: str | Callable[[str], str],
    booking=None,
    source: str = InteractionSource.SYSTEM,
    reply_markup: dict | None = None,
    payload: dict | None = None,
) -> Notification | None:
    """Tell ``user`` ``text`` on their preferred channel, once per ``key`` ever.

    ``text`` may be a function of the channel's platform (Telegram gets buttons, the
    others a "reply keep" hint). Returns the Notification recorded (its ``interaction`` is empty when the user has no
    channel: the miss is remembered, retrying would not find one), or None when this key
    was sent before. Runs in the caller's transaction: a rolled-back change sends nothing.
    """
    from messaging.outbound import reply_send

    try:
        with transaction.atomic():
            notification = Notification.objects.create(user=user, key=key[:120])
    except IntegrityError:
        return None
    channel = user_channel_preferred(user=user)
    if channel is None:
        logger.info("notification %s for user %s: no channel to reach them on", key, user.pk)
        return notification
    payload = {**(payload or {}), "notification": key}
    if reply_markup and channel.platform == "telegram":
        payload["reply_markup"] = reply_markup
    body = text(channel.platform) if callable(text) else text
    notification.interaction = reply_send(channel=channel, text=body, booking=booking, source=source, payload=payload)
    notification.save(update_fields=["interaction"])
    return notification


def notification_sent(*, user, key: str) -> bool:
    return Notification.objects.filter(user=user, key=key).exists()


def on_booking_moved(sender, *, booking_id, event_id, **kwargs) -> None:
    from messaging.tasks import notify_booking_moved

    notify_booking_moved.delay(str(booking_id), str(event_id))


def booking_moved_text(booking: VenueBooking, language: str | None = None) -> str:
    language = language or guest_language(booking.user)
    venue = booking.venue
    local = booking.slot_start.astimezone(_tz(venue))
    return notice(
        "moved",
        language,
        venue=venue.name,
        ref=booking.external_ref,
        when=when_words(local, language),
        who=guests_words(booking.party_size, language),
    )


def booking_moved_notify(*, booking_id, event_id) -> Interaction | None:
    """Tell the guest their booking has a new time, once per move."""
    booking = VenueBooking.objects.select_related("venue__city", "user").filter(pk=booking_id).first()
    if booking is None or booking.user is None:
        return None
    sent = notify_user(
        user=booking.user,
        key=f"booking:{booking.pk}:moved:{event_id}",
        text=booking_moved_text(booking),
        booking=booking,
        source=InteractionSource.VENUE_AGENT,
    )
    return sent.interaction if sent is not None else None


def on_booking_status_changed(sender, *, booking_id, from_status: str, to_status: str, **kwargs) -> None:
    if to_status not in NOTIFY_STATUSES:
        return
    from messaging.tasks import notify_booking_status

    notify_booking_status.delay(str(booking_id), to_status)


def booking_status_text(booking: VenueBooking, language: str | None = None) -> str:
    """The news about ``booking``'s status, in ``language`` (default: the guest's own)."""
    language = language or guest_language(booking.user)
    venue = booking.venue
    local = booking.slot_start.astimezone(_tz(venue))
    when = when_words(local, language)
    who = guests_words(booking.party_size, language)
    who += party_breakdown(booking.party_size, booking.children, language)
    names = {"venue": venue.name, "when": when, "ref": booking.external_ref}
    status = booking.status
    if status == BookingStatus.CONFIRMED:
        from bookings.calendar import booking_calendar_url

        notes = "".join(f"\n{note}." for note in _confirmation_notes(venue, booking.children or 0, language))
        return notice("confirmed", language, **names, who=who, notes=notes, url=booking_calendar_url(booking))
    if status == BookingStatus.REJECTED:
        return notice("rejected", language, **names, reason=_refusal_words(booking, language))
    if status == BookingStatus.COUNTER_OFFERED:
        slots = ", ".join(_slot_label(slot, venue, language) for slot in booking.counter_offer_slots[:3])
        return notice("counter_offered", language, **names, who=who, slots=slots or notice("another_time", language))
    if status == BookingStatus.PENDING_OWNER:
        return notice("pending_owner", language, **names)
    reason = notice("reason", language, reason=booking.status_reason) if booking.status_reason else ""
    if status == BookingStatus.CANCELLED:
        return notice("cancelled", language, **names, reason=reason)
    if status == BookingStatus.EXPIRED:
        expired_from = (
            BookingEvent.objects.filter(booking=booking, to_status=BookingStatus.EXPIRED)
            .order_by("-created_at")
            .values_list("from_status", flat=True)
            .first()
        )
        key = "offer_lapsed" if expired_from == BookingStatus.COUNTER_OFFERED else "expired"
        return notice(key, language, **names, reason=reason)
    return notice(
        "status_now", language, **names, status=status_words(status, language, booking.get_status_display().lower())
    )


def _confirmation_notes(venue, children: int, language: str) -> list[str]:
    """bookings.decision.booking_notes, in the guest's language."""
    notes = []
    if venue.dress_code:
        notes.append(notice("dress_code", language, x=venue.dress_code))
    if children > 0 and venue.min_guest_age and venue.min_guest_age < 18:
        notes.append(notice("children_age", language, age=venue.min_guest_age))
    elif venue.min_guest_age and children == 0:
        notes.append(notice("guest_age", language, age=venue.min_guest_age))
    return notes


def _refusal_words(booking: VenueBooking, language: str) -> str:
    """Why the venue said no: from the reason code stored with the venue's answer (the
    rejection's event), filled with the venue's figures, in the guest's language; the
    venue's own words (``status_reason``) when it gave no code, e.g. an owner's decline."""
    from bookings.availability import reason_values

    event = (
        BookingEvent.objects.filter(booking=booking, to_status=BookingStatus.REJECTED).order_by("-created_at").first()
    )
    data = (event.data or {}) if event is not None else {}
    code = str(data.get("reason_code") or "")
    if not code or code not in REASONS:
        return notice("reason", language, reason=booking.status_reason) if booking.status_reason else ""
    # the figures stored with the venue's answer; today's for an answer recorded without them
    values = data.get("reason_values")
    if not isinstance(values, dict):
        values = reason_values(booking.venue, at=booking.slot_start)
    words = reason(code, language, values, fallback=booking.status_reason)
    text = notice("reason", language, reason=words)
    if booking.counter_offer_slots:
        slots = ", ".join(_slot_label(slot, booking.venue, language) for slot in booking.counter_offer_slots[:3])
        text += notice("free_instead", language, slots=slots)
    return text


def _tz(venue):
    from zoneinfo import ZoneInfo

    return ZoneInfo(venue.city.timezone if venue.city_id else "Asia/Makassar")


def _slot_label(slot, venue, language: str = "en") -> str:
    from datetime import datetime

    try:
        local = datetime.fromisoformat(str(slot)).astimezone(_tz(venue))
    except ValueError:
        return str(slot)
    if language in WEEKDAYS:
        return f"{WEEKDAYS[language][local.weekday()]} {local:%H:%M}"
    return f"{local:%a %H:%M}"


@transaction.atomic
def booking_status_notify(*, booking_id, to_status: str) -> Interaction | None:
    """Queue the status message for the guest, once per booking and status."""
    booking = VenueBooking.objects.select_related("venue__city", "user").filter(pk=booking_id).first()
    if booking is None or booking.user is None or booking.status != to_status:
        return None  # gone, anonymous (API booking), or moved on since
    last_event = BookingEvent.objects.filter(booking=booking, to_status=to_status).order_by("-created_at").first()
    if to_status == BookingStatus.CANCELLED and last_event is not None and last_event.actor_kind in GUEST_ACTORS:
        return None
    key = f"booking:{booking.pk}:{to_status}"
    language = guest_language(booking.user)
    text = booking_status_text(booking, language)
    status = status_words(booking.status, language, booking.get_status_display())
    from messaging.push import push_notification_enqueue

    # the guest's subscribed browsers hear of it too (once per booking and status)
    push_notification_enqueue(
        user_id=booking.user_id,
        kind="booking",
        title=f"{booking.venue.name} · {status}",
        body=text,
        dedupe_key=key,
        url=f"/bookings/{booking.external_ref}",
    )
    sent = notify_user(
        user=booking.user,
        key=key,
        text=text,
        booking=booking,
        source=InteractionSource.VENUE_AGENT if to_status != BookingStatus.EXPIRED else InteractionSource.SYSTEM,
    )
    return sent.interaction if sent is not None else None


# --------------------------------------------------------------------------- the venue's owners


def on_booking_awaits_owner(sender, *, booking_id, **kwargs) -> None:
    from messaging.tasks import notify_owners_pending

    notify_owners_pending.delay(str(booking_id))


def owner_review_text(booking: VenueBooking, language: str | None = None) -> str:
    """The approval request an owner reads, in ``language`` (the owner's own)."""
    from django.conf import settings
    from django.urls import NoReverseMatch, reverse

    venue = booking.venue
    tz = _tz(venue)
    when = when_words(booking.slot_start.astimezone(tz), language)
    deadline = booking.owner_decision_deadline
    try:
        path = reverse("admin:bookings_venuebooking_change", args=[booking.pk])
    except NoReverseMatch:
        path = "/admin/"
    who = guests_words(booking.party_size, language)
    lines = [notice("owner_review", language, venue=venue.name, who=who, when=when, ref=booking.external_ref)]
    if booking.contact_name:
        lines.append(notice("owner_guest", language, name=booking.contact_name))
    if booking.special_requests:
        lines.append(notice("owner_requests", language, text=booking.special_requests[:300]))
    by = notice("owner_by", language, time=f"{deadline.astimezone(tz):%H:%M}") if deadline else ""
    url = f"{getattr(settings, 'PUBLIC_BASE_URL', '').rstrip('/')}{path}"
    lines.append(notice("owner_approve", language, by=by, url=url))
    return "\n".join(lines)


@transaction.atomic
def owner_notify_pending(*, booking_id) -> int:
    """Tell the venue's owners (VenueClient with notify_on_booking) that a request awaits them.

    On their messaging channel when they have one (once per owner and booking), else by
    e-mail (after commit). Returns how many owners were told.
    """
    from django.core.mail import send_mail

    from venues.models import VenueClient

    booking = VenueBooking.objects.select_related("venue__city").filter(pk=booking_id).first()
    if booking is None or booking.status != BookingStatus.PENDING_OWNER:
        return 0
    told = 0
    clients = VenueClient.objects.filter(
        venue_id=booking.venue_id, is_active=True, notify_on_booking=True
    ).select_related("user")
    for client in clients:
        owner = client.user
        language = guest_language(owner)
        text = owner_review_text(booking, language)
        key = f"owner:{booking.pk}:pending_owner"
        if user_channel_preferred(user=owner) is not None:
            if notify_user(user=owner, key=key, text=text, booking=booking, source=InteractionSource.VENUE_AGENT):
                told += 1
        elif owner.email:
            subject = notice("owner_subject", language, ref=booking.external_ref, venue=booking.venue.name)
            transaction.on_commit(
                lambda email=owner.email, subject=subject, text=text: send_mail(
                    subject, text, None, [email], fail_silently=True
                )
            )
            told += 1
        else:
            logger.warning(
                "owner %s of %s has no channel nor e-mail to approve %s", owner.pk, booking.venue_id, booking.pk
            )
    return told


# --------------------------------------------------------------------------- a venue that can't be reached


def on_booking_request_undeliverable(sender, *, booking_id, envelope_id: str, **kwargs) -> None:
    venue_unreachable_notify(booking_id=booking_id, envelope_id=envelope_id)


def venue_unreachable_notify(*, booking_id, envelope_id: str) -> Interaction | None:
    """Tell the guest, once per envelope, that the venue's agent can't be reached yet."""
    booking = VenueBooking.objects.select_related("venue", "user").filter(pk=booking_id).first()
    if booking is None or booking.user is None or user_channel_preferred(user=booking.user) is None:
        return None
    sent = notify_user(
        user=booking.user,
        key=f"envelope:{envelope_id}:undeliverable",
        text=notice("unreachable", guest_language(booking.user), venue=booking.venue.name, ref=booking.external_ref),
        booking=booking,
        source=InteractionSource.SYSTEM,
    )
    return sent.interaction if sent is not None else None


# --------------------------------------------------------------------------- booking lifecycle messages


def on_booking_message_due(sender, *, message, now=None, **kwargs) -> tuple[str, object | None]:
    """bookings.signals.booking_message_due: send a reminder or rating request now (in the
    deciding transaction) and answer ``(platform, interaction_id)`` for the job's record."""
    from bookings.models import BookingMessageKind
    from messaging import booking_replies

    booking = message.booking
    if message.kind == BookingMessageKind.RATING_REQUEST:

        def text(platform: str) -> str:
            return booking_replies.rating_request_text(booking, platform=platform)

        markup = booking_replies.rating_reply_markup(booking)
    else:

        def text(platform: str) -> str:
            return booking_replies.reminder_text(booking, kind=message.kind, platform=platform, now=now)

        markup = booking_replies.booking_reply_markup(booking)
    sent = notify_user(
        user=booking.user, key=f"booking:{booking.pk}:{message.kind}", text=text, booking=booking, reply_markup=markup
    )
    if sent is None or sent.interaction is None:
        return "", None
    return sent.interaction.channel.platform, sent.interaction.pk


def on_waitlist_offer_made(sender, *, entry, slot, venue, **kwargs):
    """bookings.signals.waitlist_offer_made: tell the waiting guest a table opened up."""
    from messaging import booking_replies

    sent = notify_user(
        user=entry.user,
        key=f"waitlist:{entry.pk}",
        text=booking_replies.waitlist_offer_text(entry, slot=slot, venue=venue),
    )
    return sent.interaction.pk if sent is not None and sent.interaction is not None else None


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
            key = f"ambassador-report:{ambassador.pk}:{year}-W{week:02d}"
            if user_channel_preferred(user=ambassador.user) is None:
                logger.info("ambassador %s has no channel for the weekly report", ambassador.pk)
                continue
            if (
                notify_user(
                    user=ambassador.user,
                    key=key,
                    text=ambassador_report_text(ambassador, numbers),
                    payload={"numbers": numbers},
                )
                is None
            ):
                continue
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


# --------------------------------------------------------------------------- price drops


def on_price_watch_triggered(sender, *, watcher_id, **kwargs) -> None:
    from messaging.tasks import notify_price_drop

    notify_price_drop.delay(str(watcher_id))


def price_drop_text(watcher, link: str) -> str:
    from billing.services.marketplace import money

    title = watcher.product_title or "the product you're watching"
    return (
        f"📉 Price drop: {title} is now {money(watcher.last_price, watcher.currency)} on "
        f"{watcher.get_marketplace_display()} (your target was {money(watcher.target_price, watcher.currency)}).\n"
        f"{link}"
    )


@transaction.atomic
def price_watch_notify(*, watcher_id) -> Interaction | None:
    """Tell the guest once that their watched product reached the target price.

    The watch is claimed (``notified_at``) in the same transaction as the message is queued,
    so a repeated task sends nothing and a failed one leaves the watch to be told again.
    """
    from billing.affiliate import tracked_link
    from billing.services.marketplace import price_watcher_mark_notified
    from messaging.push import push_notification_enqueue

    watcher = price_watcher_mark_notified(watcher_id=watcher_id)
    if watcher is None:
        return None
    link = tracked_link(
        watcher.product_url,
        partner=watcher.marketplace,
        user_id=watcher.user_id,
        price_watcher_id=watcher.pk,
        campaign="price-drop",
    )
    text = price_drop_text(watcher, link)
    key = f"price:{watcher.pk}:{watcher.triggered_at:%Y%m%d%H%M%S}"
    push_notification_enqueue(
        user_id=watcher.user_id,
        kind="price_drop",
        title="📉 Price drop",
        body=text.split("\n", 1)[0],
        dedupe_key=key,
        url=link,
    )
    sent = notify_user(
        user=watcher.user, key=key, text=text, source=InteractionSource.SYSTEM, payload={"price_watch": str(watcher.pk)}
    )
    return sent.interaction if sent is not None else None


# --------------------------------------------------------------------------- CRM


def on_deal_went_stale(sender, *, deal_id, **kwargs) -> None:
    from messaging.tasks import notify_stale_deal

    notify_stale_deal.delay(str(deal_id))


def stale_deal_text(deal, *, days: int) -> str:
    where = f" ({deal.venue.name})" if deal.venue_id else ""
    return (
        f'⏳ Your deal "{deal.title}" with {deal.contact.full_name}{where} has been at '
        f"{deal.get_stage_display().lower()} for {days} days. A follow-up task is on your CRM list."
    )


def stale_deal_notify(*, deal_id) -> Interaction | None:
    """Tell a deal's owner, once per stall, that the deal has not moved (crm.signals.deal_went_stale)."""
    from django.utils import timezone

    from crm.models import CrmDeal

    deal = CrmDeal.objects.select_related("owner", "contact", "venue").filter(pk=deal_id).first()
    if deal is None or deal.owner is None or deal.stale_reminded_at is None or deal.stage_changed_at is None:
        return None
    days = (timezone.now() - deal.stage_changed_at).days
    sent = notify_user(
        user=deal.owner,
        key=f"crm-stale-deal:{deal.pk}:{deal.stage_changed_at:%Y%m%d%H%M%S}",
        text=stale_deal_text(deal, days=days),
        payload={"crm_deal": str(deal.pk)},
    )
    return sent.interaction if sent is not None else None
