"""The bookings app's state machines (table bookings, courier bookings, reminders), declared once.

The service layer (bookings.services.booking_transition) checks these transitions, the
database re-checks them with a trigger generated from this same table (see the
migrations using agnt.db.EnforceTransitions), and every booking transition writes a
BookingEvent (courier transitions a TransportEvent).
"""

from django.db import models


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    PENDING_OWNER = "pending_owner", "Awaiting owner approval"
    COUNTER_OFFERED = "counter_offered", "Counter-offered"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"


S = BookingStatus
BOOKING_TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.CONFIRMED, S.REJECTED, S.COUNTER_OFFERED, S.PENDING_OWNER, S.CANCELLED, S.EXPIRED}),
    S.PENDING_OWNER: frozenset({S.CONFIRMED, S.REJECTED, S.COUNTER_OFFERED, S.CANCELLED, S.EXPIRED}),
    S.COUNTER_OFFERED: frozenset({S.CONFIRMED, S.REJECTED, S.CANCELLED, S.EXPIRED}),
    S.CONFIRMED: frozenset({S.CANCELLED, S.COMPLETED, S.NO_SHOW}),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.COMPLETED: frozenset(),
    S.NO_SHOW: frozenset(),
}
ACTIVE_STATUSES = frozenset({S.REQUESTED, S.PENDING_OWNER, S.COUNTER_OFFERED, S.CONFIRMED})
TERMINAL_STATUSES = frozenset(s for s, targets in BOOKING_TRANSITIONS.items() if not targets)


def can_transition(current: str, target: str) -> bool:
    return target in BOOKING_TRANSITIONS.get(current, frozenset())


class TransportStatus(models.TextChoices):
    QUOTED = "quoted", "Quoted"
    AWAITING_CONFIRMATION = "awaiting_confirmation", "Awaiting user confirmation"
    CONFIRMED = "confirmed", "Confirmed by user"
    DRIVER_ASSIGNED = "driver_assigned", "Driver assigned"
    PICKED_UP = "picked_up", "Picked up"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Quote expired"
    FAILED = "failed", "Failed"


T = TransportStatus
# Courier bookings. Safety rule from the seed: never book a courier without an explicit
# user confirmation. Only bookings.services.transport_confirm may move a booking to
# CONFIRMED (it stamps user_confirmed_at), and a DB CHECK refuses any status in
# TRANSPORT_USER_CONFIRMED_STATUSES while user_confirmed_at is NULL.
TRANSPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    T.QUOTED: frozenset({T.AWAITING_CONFIRMATION, T.CANCELLED, T.EXPIRED, T.FAILED}),
    T.AWAITING_CONFIRMATION: frozenset({T.CONFIRMED, T.CANCELLED, T.EXPIRED, T.FAILED}),
    T.CONFIRMED: frozenset({T.DRIVER_ASSIGNED, T.CANCELLED, T.FAILED}),
    T.DRIVER_ASSIGNED: frozenset({T.PICKED_UP, T.CANCELLED, T.FAILED}),
    T.PICKED_UP: frozenset({T.COMPLETED, T.FAILED}),
    T.COMPLETED: frozenset(),
    T.CANCELLED: frozenset(),
    T.EXPIRED: frozenset(),
    T.FAILED: frozenset(),
}
TRANSPORT_USER_CONFIRMED_STATUSES = frozenset({T.CONFIRMED, T.DRIVER_ASSIGNED, T.PICKED_UP, T.COMPLETED})
TRANSPORT_IN_FLIGHT_STATUSES = frozenset({T.CONFIRMED, T.DRIVER_ASSIGNED, T.PICKED_UP})
TRANSPORT_TERMINAL_STATUSES = frozenset(s for s, targets in TRANSPORT_TRANSITIONS.items() if not targets)


def can_transport_transition(current: str, target: str) -> bool:
    return target in TRANSPORT_TRANSITIONS.get(current, frozenset())


class ReminderStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


R = ReminderStatus
# A failed reminder can be rescheduled by hand (support fixed the channel); sent and
# cancelled ones are final.
REMINDER_TRANSITIONS: dict[str, frozenset[str]] = {
    R.SCHEDULED: frozenset({R.SENT, R.CANCELLED, R.FAILED}),
    R.FAILED: frozenset({R.SCHEDULED, R.CANCELLED}),
    R.SENT: frozenset(),
    R.CANCELLED: frozenset(),
}


def can_reminder_transition(current: str, target: str) -> bool:
    return target in REMINDER_TRANSITIONS.get(current, frozenset())


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    NOTIFIED = "notified", "Told a table opened up"
    CANCELLED = "cancelled", "Left the waitlist"
    EXPIRED = "expired", "Expired (the time passed)"


W = WaitlistStatus
# The waitlist entry's machine (service + a trigger made from the same table). A notified
# guest is done: they were told once, and asking again puts them back in line with a new entry.
WAITLIST_TRANSITIONS: dict[str, frozenset[str]] = {
    W.WAITING: frozenset({W.NOTIFIED, W.CANCELLED, W.EXPIRED}),
    W.NOTIFIED: frozenset(),
    W.CANCELLED: frozenset(),
    W.EXPIRED: frozenset(),
}
