"""Booking tools: request a table (after the user confirms), cancel, list, and reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field

from agents.booking.commands import booking_guest_cancel, booking_request
from bookings.availability import describe, nearest_free_slots, reason_values, slot_is_free
from bookings.decision import booking_notes, request_refusal
from bookings.models import BookingSource, ReminderChannel, VenueBooking
from bookings.selectors import booking_for_guest, bookings_past_for_user, bookings_upcoming_for_user
from bookings.services import BookingError, ReminderError, reminder_create
from messaging.concierge.messages import party_breakdown
from messaging.tools.base import (
    Tool,
    ToolArgs,
    ToolFailure,
    ctx_now,
    money,
    parse_datetime,
    parse_day,
    parse_time,
    resolve_venue,
    user_tz,
    venue_tz,
)
from messaging.tools.confirmation import (
    confirmed_action_for,
    pending_action_claim,
    pending_action_clear,
    pending_action_create,
)
from venues.models import Venue


class CreateBookingArgs(ToolArgs):
    venue: str = Field(..., description="The venue's name, slug or id.")
    date: str = Field(..., description="YYYY-MM-DD in the venue's local time.")
    time: str = Field(..., description="HH:MM (24h) in the venue's local time.")
    party_size: int = Field(..., ge=1, le=200, description="Everyone, adults and children.")
    children: int = Field(0, ge=0, le=200, description="How many of the party are children (under 18).")
    special_requests: str | None = Field(None, description="Occasion, seating, dietary needs…")
    confirmation_id: str | None = Field(
        None, description="Only after the user said yes: the confirmation_id from the needs_confirmation result."
    )


def _slot_start(venue: Venue, date_text: str, time_text: str) -> datetime:
    return datetime.combine(parse_day(date_text), parse_time(time_text), tzinfo=venue_tz(venue))


def _check_slot(venue: Venue, start: datetime, party_size: int, now: datetime, children: int = 0) -> None:
    """The same rules the venue's agent decides by (bookings.decision), checked before asking
    the guest to confirm; the failure names the rule that applied."""
    if children > party_size:
        raise ToolFailure(f"the party of {party_size} cannot include {children} children")
    refusal = request_refusal(venue=venue, party_size=party_size, children=children, slot_start=start, now=now)
    if refusal:
        raise ToolFailure(
            f"{venue.name} cannot take this booking: {describe(refusal, venue, at=start)}",
            reason_code=refusal,
            reason_values=reason_values(venue, at=start),
        )
    free = slot_is_free(venue=venue, start=start, party_size=party_size, now=now)
    if free.slots:
        return
    alternatives = nearest_free_slots(venue=venue, start=start, party_size=party_size, now=now)
    raise ToolFailure(
        f"{venue.name} cannot take {party_size} at {start:%H:%M} on {start:%a %d %b}: "
        f"{describe(free.reason, venue, at=start)}",
        alternatives=[slot.strftime("%H:%M") for slot in alternatives],
        reason_code=free.reason,
        reason_values=reason_values(venue, at=start),
    )


def _booking_source(ctx) -> str:
    platform = getattr(ctx, "platform", "") or ""
    return platform if platform in BookingSource.values else BookingSource.WEB


def run_create_booking(args: CreateBookingArgs, ctx) -> dict:
    now = ctx_now(ctx)
    action = confirmed_action_for(ctx, tool="create_booking", confirmation_id=args.confirmation_id)
    if action is None:
        # Not confirmed (yet): check what we can, store the request, and ask the user.
        venue = resolve_venue(args.venue)
        start = _slot_start(venue, args.date, args.time)
        _check_slot(venue, start, args.party_size, now, children=args.children)
        stored = {
            "venue": venue.slug,
            "date": args.date,
            "time": start.strftime("%H:%M"),
            "party_size": args.party_size,
            "children": args.children,
            "special_requests": args.special_requests or "",
        }
        who = str(args.party_size) + party_breakdown(args.party_size, args.children)
        summary = f"Table for {who} at {venue.name} ({venue.area or venue.city.name}) on {start:%A %d %B at %H:%M}"
        if args.special_requests:
            summary += f" — note: {args.special_requests}"
        if venue.deposit_required and venue.deposit_amount:
            summary += f". A deposit of {money(venue.deposit_amount, venue.currency)} applies"
        for note in booking_notes(venue=venue, children=args.children):
            summary += f". {note}"
        pending = pending_action_create(user=ctx.user, tool="create_booking", arguments=stored, summary=summary)
        return {
            "status": "needs_confirmation",
            "confirmation_id": pending["id"],
            "summary": summary,
            # the same facts, for replies written in the guest's language
            "facts": {
                "venue": venue.name,
                "where": venue.area or venue.city.name,
                "date": start.date().isoformat(),
                "time": start.strftime("%H:%M"),
                "party_size": args.party_size,
                "children": args.children,
                "special_requests": args.special_requests or "",
                "deposit": money(venue.deposit_amount, venue.currency)
                if venue.deposit_required and venue.deposit_amount
                else "",
                "dress_code": venue.dress_code or "",
                "min_guest_age": venue.min_guest_age,
            },
            "instructions": "Ask the user to confirm (reply YES). Nothing is booked until they do.",
        }

    # Confirmed: act on the STORED arguments, whatever the model passed this time.
    stored = CreateBookingArgs.model_validate({k: v for k, v in action["arguments"].items() if k != "confirmation_id"})
    if not pending_action_claim(action_id=action["id"]):
        raise ToolFailure("this confirmation was already used; the booking request was made before")
    pending_action_clear(user=ctx.user)
    venue = resolve_venue(stored.venue)
    start = _slot_start(venue, stored.date, stored.time)
    _check_slot(venue, start, stored.party_size, now, children=stored.children)
    user = ctx.user
    try:
        # One transaction: the request and its envelope to the venue's agent. The venue's
        # agent decides against its diary; its answer reaches the guest as a notification
        # (usually within a second, the gateway pushes both ways).
        booking = booking_request(
            venue=venue,
            user=user,
            party_size=stored.party_size,
            children=stored.children,
            slot_start=start,
            source=_booking_source(ctx),
            contact_name=(getattr(user, "display_name", "") or user.get_full_name() or user.username)[:120],
            contact_phone=(getattr(user, "phone", "") or "")[:32],
            special_requests=stored.special_requests or "",
        )
    except BookingError as exc:
        raise ToolFailure(str(exc)) from None
    return {
        "status": booking.status,
        "reference": booking.external_ref,
        "venue": venue.name,
        "date": start.date().isoformat(),
        "time": start.strftime("%H:%M"),
        "party_size": booking.party_size,
        "deposit": money(booking.deposit_amount, booking.currency),
        "note": f"The request went to {venue.name}'s booking agent. It is not confirmed yet: the confirmation "
        "(or the venue's answer) follows in a moment as a separate message.",
    }


class CancelBookingArgs(ToolArgs):
    reference: str = Field(..., description="The booking reference, e.g. AG-7K3Q9D.")
    reason: str | None = None


def _normalise_ref(reference: str) -> str:
    ref = reference.strip().upper().replace(" ", "")
    return ref if ref.startswith("AG-") else "AG-" + ref.removeprefix("AG")


def run_cancel_booking(args: CancelBookingArgs, ctx) -> dict:
    ref = _normalise_ref(args.reference)
    booking = booking_for_guest(user=ctx.user, reference=ref)
    if booking is None:
        raise ToolFailure(f"you have no booking with reference {ref}")
    reason = args.reason or "cancelled by the guest in chat"
    try:
        # Cancelled here and the venue's agent told, in one transaction (its diary frees the table).
        booking = booking_guest_cancel(booking=booking, user=ctx.user, reason=reason)
    except BookingError as exc:
        booking.refresh_from_db()
        raise ToolFailure(f"booking {ref} cannot be cancelled: it is {booking.get_status_display().lower()}") from exc
    result = {"status": "cancelled", "reference": ref, "venue": booking.venue.name}
    hours_left = (booking.slot_start - ctx_now(ctx)).total_seconds() / 3600
    if booking.deposit_amount and hours_left < booking.venue.cancellation_window_hours:
        result["note"] = (
            f"cancelled within {booking.venue.cancellation_window_hours} h of the booking: "
            "the venue's policy may keep the deposit"
        )
    return result


class ListMyBookingsArgs(ToolArgs):
    include_past: bool = Field(False, description="Also list recent past bookings.")


def _booking_row(booking: VenueBooking) -> dict:
    local = booking.slot_start.astimezone(venue_tz(booking.venue))
    return {
        "reference": booking.external_ref,
        "venue": booking.venue.name,
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "party_size": booking.party_size,
        "status": booking.status,
    }


def run_list_my_bookings(args: ListMyBookingsArgs, ctx) -> dict:
    now = ctx_now(ctx)
    upcoming = [_booking_row(b) for b in bookings_upcoming_for_user(user=ctx.user, now=now)[:10]]
    result = {"upcoming": upcoming, "count": len(upcoming)}
    if args.include_past:
        past = bookings_past_for_user(user=ctx.user, now=now)[:10]
        result["past"] = [_booking_row(b) for b in past]
    return result


class SetReminderArgs(ToolArgs):
    text: str = Field(..., min_length=1, description="What to remind the user of.")
    due_at: str = Field(..., description="ISO date-time; naive means the user's local time.")


def _reminder_channel(ctx) -> str:
    platform = getattr(ctx, "platform", "") or ""
    if platform in ReminderChannel.values:
        return platform
    from messaging.models import UserChannel

    # Web chat has no push of its own: remind on the channel the user used last.
    recent = (
        UserChannel.objects.filter(user=ctx.user, platform__in=ReminderChannel.values)
        .order_by("-updated_at")
        .values_list("platform", flat=True)
        .first()
    )
    return recent or ReminderChannel.PUSH


def run_set_reminder(args: SetReminderArgs, ctx) -> dict:
    tz = user_tz(ctx)
    due_at = parse_datetime(args.due_at, tz=tz, field="due_at")
    if due_at <= ctx_now(ctx) + timedelta(seconds=30):
        raise ToolFailure(f"due_at {due_at.astimezone(tz):%Y-%m-%d %H:%M} is not in the future")
    try:
        reminder = reminder_create(user=ctx.user, text=args.text, due_at=due_at, channel=_reminder_channel(ctx))
    except ReminderError as exc:
        raise ToolFailure(str(exc)) from None
    local = reminder.due_at.astimezone(tz)
    return {
        "status": "scheduled",
        "text": reminder.text,
        "due_at": local.isoformat(),
        "when": f"{local:%A %d %B at %H:%M} ({tz.key})",
        "channel": reminder.channel,
    }


TOOLS = [
    Tool(
        "create_booking",
        "Request a table. The first call returns needs_confirmation with a summary and confirmation_id: show the "
        "summary and ask the user to reply YES. Only after they confirm, call again with that confirmation_id. "
        "The venue's agent then answers the request; say truthfully that the confirmation follows in a moment.",
        CreateBookingArgs,
        run_create_booking,
    ),
    Tool(
        "cancel_booking",
        "Cancel one of the user's own bookings by its reference (AG-XXXXXX).",
        CancelBookingArgs,
        run_cancel_booking,
    ),
    Tool(
        "list_my_bookings",
        "The user's upcoming bookings (and recent past ones if asked).",
        ListMyBookingsArgs,
        run_list_my_bookings,
    ),
    Tool(
        "set_reminder",
        "Remind the user of something at a date and time (their local time).",
        SetReminderArgs,
        run_set_reminder,
    ),
]
