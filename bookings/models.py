"""Bookings, their event log, ratings, reminders and courier (transport) bookings."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from agnt.db import BaseModel, TimestampedModel, choices_check
from bookings.state import (
    TRANSPORT_IN_FLIGHT_STATUSES,
    TRANSPORT_USER_CONFIRMED_STATUSES,
    BookingStatus,
    ReminderStatus,
    TransportStatus,
    WaitlistStatus,
)


class BookingSource(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    INSTAGRAM = "instagram", "Instagram"
    WEB = "web", "Web chat"
    APP = "app", "Consumer app"
    API = "api", "External API"
    MCP = "mcp", "MCP"
    A2A = "a2a", "A2A agent"
    ADMIN = "admin", "Back office"


class VenueBooking(TimestampedModel):
    """A table/slot booking at a venue, negotiated by the consumer and venue agents.

    ``status`` moves only along bookings.state.BOOKING_TRANSITIONS (service + DB trigger);
    each move is recorded as a BookingEvent.
    """

    Status = BookingStatus

    venue = models.ForeignKey("venues.Venue", on_delete=models.PROTECT, related_name="bookings")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    api_key = models.ForeignKey(
        "agents.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bookings",
        help_text="Set when an external developer agent made the booking.",
    )
    status = models.CharField(max_length=20, choices=BookingStatus.choices, default=BookingStatus.REQUESTED)
    source = models.CharField(max_length=12, choices=BookingSource.choices, default=BookingSource.WEB)
    party_size = models.PositiveSmallIntegerField()
    # db_default too: code that predates the column (a rolling deploy's old workers) still inserts rows
    children = models.PositiveSmallIntegerField(
        default=0, db_default=0, help_text="How many of the party are children (under 18); the rest are adults."
    )
    slot_start = models.DateTimeField()
    slot_end = models.DateTimeField()
    contact_name = models.CharField(max_length=120, blank=True)
    contact_phone = models.CharField(max_length=32, blank=True)
    special_requests = models.TextField(blank=True)
    venue_notes = models.TextField(blank=True, help_text="The venue's internal note; never shown to the guest.")
    external_ref = models.CharField(
        max_length=64, unique=True, null=True, blank=True, help_text="Reference shown to guests and partners."
    )
    idempotency_key = models.CharField(max_length=128, null=True, blank=True)
    deposit_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    spend_estimate = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="Expected bill; base of the referral fee."
    )
    currency = models.CharField(max_length=3, default="IDR")
    counter_offer_slots = models.JSONField(default=list, blank=True)
    owner_decision_deadline = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True, help_text="Why it was rejected/cancelled.")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        ordering = ["-slot_start"]
        constraints = [
            choices_check("status", BookingStatus, name="booking_status_valid"),
            choices_check("source", BookingSource, name="booking_source_valid"),
            models.CheckConstraint(condition=models.Q(party_size__gte=1), name="booking_party_size_positive"),
            models.CheckConstraint(
                condition=models.Q(children__lte=models.F("party_size")), name="booking_children_within_party"
            ),
            models.CheckConstraint(
                condition=models.Q(slot_end__gt=models.F("slot_start")), name="booking_slot_ordered"
            ),
            models.UniqueConstraint(
                fields=["api_key", "idempotency_key"],
                name="booking_api_idempotency_unique",
                condition=models.Q(idempotency_key__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["venue", "slot_start"], name="booking_venue_slot"),
            models.Index(fields=["user", "-slot_start"], name="booking_user_recent"),
            models.Index(fields=["status", "slot_start"], name="booking_status_slot"),
            # the admin's booking list (and any "all bookings by time" read) sorts on slot_start alone
            models.Index(fields=["slot_start"], name="booking_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.venue} · {self.slot_start:%Y-%m-%d %H:%M} · {self.party_size}p"


class ActorKind(models.TextChoices):
    SYSTEM = "system", "System"
    CONSUMER = "consumer", "Consumer"
    CONSUMER_AGENT = "consumer_agent", "Consumer agent"
    VENUE_AGENT = "venue_agent", "Venue agent"
    OWNER = "owner", "Venue owner"
    STAFF = "staff", "Staff"
    API = "api", "External API"


class BookingEvent(BaseModel):
    """One status change (or note) in a booking's life: who, from what, to what, why. Append-only."""

    booking = models.ForeignKey(VenueBooking, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices, default=ActorKind.SYSTEM)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta(BaseModel.Meta):
        constraints = [choices_check("actor_kind", ActorKind, name="booking_event_actor_kind_valid")]
        indexes = [models.Index(fields=["booking", "created_at"], name="booking_event_booking_time")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


def _score_field(label: str, *, required: bool = False) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, null=not required, blank=not required, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )


def _score_check(field: str, *, name: str, required: bool = False) -> models.CheckConstraint:
    in_range = models.Q(**{f"{field}__gte": 1, f"{field}__lte": 5})
    return models.CheckConstraint(
        condition=in_range if required else in_range | models.Q(**{f"{field}__isnull": True}), name=name
    )


class BookingRating(TimestampedModel):
    """A guest's rating of a visit (1–5 stars, optional sub-scores and comment): one per booking.

    ``venue`` repeats ``booking.venue`` so a venue's ratings can be listed and averaged
    without a join, and so the owner's admin can scope on it.
    """

    booking = models.OneToOneField(VenueBooking, on_delete=models.CASCADE, related_name="rating")
    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, related_name="ratings")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="booking_ratings"
    )
    score = _score_field("overall", required=True)
    food_score = _score_field("food")
    service_score = _score_field("service")
    ambience_score = _score_field("ambience")
    value_score = _score_field("value for money")
    would_return = models.BooleanField(null=True, blank=True)
    comment = models.TextField(blank=True)
    is_public = models.BooleanField(default=True, help_text="Shown to other guests and counted in the venue's average.")
    owner_reply = models.TextField(blank=True)
    owner_replied_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        constraints = [
            _score_check("score", name="booking_rating_score_range", required=True),
            _score_check("food_score", name="booking_rating_food_range"),
            _score_check("service_score", name="booking_rating_service_range"),
            _score_check("ambience_score", name="booking_rating_ambience_range"),
            _score_check("value_score", name="booking_rating_value_range"),
        ]
        indexes = [models.Index(fields=["venue", "-created_at"], name="booking_rating_venue_recent")]

    def __str__(self) -> str:
        return f"{self.score}★ {self.comment[:40]}".strip()


class ReminderChannel(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    INSTAGRAM = "instagram", "Instagram"
    PUSH = "push", "Web push"
    EMAIL = "email", "E-mail"


class ReminderKind(models.TextChoices):
    CUSTOM = "custom", "Set by the user"
    BOOKING = "booking", "Before a booking"
    RATING_REQUEST = "rating_request", "Ask for a rating after a visit"


class Reminder(TimestampedModel):
    """A message to send a user at ``due_at``: set through the set_reminder tool or by a booking job.

    The dispatch job picks ``scheduled`` rows whose ``due_at`` has passed (partial index
    ``reminder_due``), sends them on ``channel`` and records the outcome.
    """

    Status = ReminderStatus
    Channel = ReminderChannel
    Kind = ReminderKind

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    booking = models.ForeignKey(
        VenueBooking, null=True, blank=True, on_delete=models.SET_NULL, related_name="reminders"
    )
    kind = models.CharField(max_length=16, choices=ReminderKind.choices, default=ReminderKind.CUSTOM)
    text = models.CharField(max_length=1000)
    due_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=ReminderChannel.choices, default=ReminderChannel.TELEGRAM)
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.SCHEDULED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    provider_message_id = models.CharField(max_length=128, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        ordering = ["due_at"]
        constraints = [
            choices_check("status", ReminderStatus, name="reminder_status_valid"),
            choices_check("channel", ReminderChannel, name="reminder_channel_valid"),
            choices_check("kind", ReminderKind, name="reminder_kind_valid"),
            models.CheckConstraint(
                condition=~models.Q(status=ReminderStatus.SENT) | models.Q(sent_at__isnull=False),
                name="reminder_sent_time",
            ),
            # A booking gets one automatic reminder of each kind (the jobs that create them
            # can run twice); cancelling one frees the slot for a replacement.
            models.UniqueConstraint(
                fields=["booking", "kind"],
                condition=models.Q(booking__isnull=False)
                & ~models.Q(kind=ReminderKind.CUSTOM)
                & ~models.Q(status=ReminderStatus.CANCELLED),
                name="reminder_one_per_booking_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=models.Q(status=ReminderStatus.SCHEDULED), name="reminder_due"),
            models.Index(fields=["user", "due_at"], name="reminder_user_due"),
        ]

    def __str__(self) -> str:
        return f"{self.due_at:%Y-%m-%d %H:%M} · {self.text[:40]}"


class TransportServiceType(models.TextChoices):
    MOTORCYCLE = "motorcycle", "Motorcycle"
    CAR = "car", "Car"
    MPV = "mpv", "MPV"
    VAN = "van", "Van"
    TRUCK = "truck", "Truck"


class TransportBooking(TimestampedModel):
    """A Lalamove courier booking: the quote the user was shown, their confirmation, the order.

    Safety rule: a courier is never booked without the user's explicit confirmation.
    ``user_confirmed_at`` is stamped only by bookings.services.transport_confirm, and the
    database refuses any status from ``confirmed`` on while it is NULL (and any Lalamove
    order id without it).
    """

    Status = TransportStatus
    ServiceType = TransportServiceType

    # PROTECT: a courier order is a commercial record that must outlive a careless delete.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transport_bookings")
    venue = models.ForeignKey(
        "venues.Venue",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transport_bookings",
        help_text="The venue the delivery goes to or comes from, if any.",
    )
    status = models.CharField(max_length=24, choices=TransportStatus.choices, default=TransportStatus.QUOTED)
    service_type = models.CharField(
        max_length=12, choices=TransportServiceType.choices, default=TransportServiceType.MOTORCYCLE
    )
    quote_id = models.CharField("Lalamove quotation id", max_length=64, unique=True)
    quote_expires_at = models.DateTimeField()
    price_amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="IDR")
    distance_m = models.PositiveIntegerField("distance (m)", null=True, blank=True)
    pickup_address = models.CharField(max_length=300)
    pickup_latitude = models.DecimalField(max_digits=9, decimal_places=6)
    pickup_longitude = models.DecimalField(max_digits=9, decimal_places=6)
    pickup_contact_name = models.CharField(max_length=120, blank=True)
    pickup_contact_phone = models.CharField(max_length=32, blank=True)
    dropoff_address = models.CharField(max_length=300)
    dropoff_latitude = models.DecimalField(max_digits=9, decimal_places=6)
    dropoff_longitude = models.DecimalField(max_digits=9, decimal_places=6)
    dropoff_contact_name = models.CharField(max_length=120, blank=True)
    dropoff_contact_phone = models.CharField(max_length=32, blank=True)
    item_description = models.CharField(max_length=300, blank=True)
    scheduled_at = models.DateTimeField(
        null=True, blank=True, help_text="Pickup time; empty means as soon as possible."
    )
    quote_payload = models.JSONField(default=dict, blank=True, help_text="Lalamove's quotation, as received.")
    user_confirmed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the user explicitly confirmed this quote."
    )
    confirmation_ref = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="The inbound message (channel and id) in which the user confirmed.",
    )
    lalamove_order_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    driver_name = models.CharField(max_length=120, blank=True)
    driver_phone = models.CharField(max_length=32, blank=True)
    driver_plate = models.CharField(max_length=20, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("status", TransportStatus, name="transport_status_valid"),
            choices_check("service_type", TransportServiceType, name="transport_service_type_valid"),
            models.CheckConstraint(condition=models.Q(price_amount__gte=0), name="transport_price_non_negative"),
            models.CheckConstraint(
                condition=~models.Q(status__in=sorted(TRANSPORT_USER_CONFIRMED_STATUSES))
                | models.Q(user_confirmed_at__isnull=False),
                name="transport_confirmed_requires_user_confirmation",
            ),
            models.CheckConstraint(
                condition=models.Q(lalamove_order_id__isnull=True) | models.Q(user_confirmed_at__isnull=False),
                name="transport_order_requires_user_confirmation",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="transport_user_recent"),
            models.Index(
                fields=["last_polled_at"],
                condition=models.Q(status__in=sorted(TRANSPORT_IN_FLIGHT_STATUSES)),
                name="transport_in_flight_poll",
            ),
            models.Index(
                fields=["quote_expires_at"],
                condition=models.Q(status__in=[TransportStatus.QUOTED, TransportStatus.AWAITING_CONFIRMATION]),
                name="transport_open_quote_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_service_type_display()} · {self.pickup_address[:30]} → {self.dropoff_address[:30]}"


class TransportEvent(BaseModel):
    """One status change of a courier booking: who, from what, to what, why. Append-only."""

    transport = models.ForeignKey(TransportBooking, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices, default=ActorKind.SYSTEM)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta(BaseModel.Meta):
        constraints = [choices_check("actor_kind", ActorKind, name="transport_event_actor_kind_valid")]
        indexes = [models.Index(fields=["transport", "created_at"], name="transport_event_time")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


# --------------------------------------------------------------------------- lifecycle (Issue 4)


class BookingMessageKind(models.TextChoices):
    REMINDER_DAY_BEFORE = "reminder_day_before", "Reminder the day before"
    REMINDER_TWO_HOURS = "reminder_two_hours", "Reminder two hours before"
    RATING_REQUEST = "rating_request", "Rating request after the visit"


class BookingMessageOutcome(models.TextChoices):
    QUEUED = "queued", "Queued on the guest's channel"
    NO_CHANNEL = "no_channel", "Skipped: the guest has no channel"


class BookingMessage(BaseModel):
    """One lifecycle message the jobs sent (or meant to send) a booking's guest: a reminder or
    a rating request.

    The row is the jobs' memory: the unique (booking, kind) pair is what makes a re-run of
    booking_reminders or request_post_visit_ratings send nothing twice, and what a "keep",
    "cancel" or "rate 4" reply is matched against. ``interaction_id`` is the outbound
    messaging.Interaction (no FK: messaging already depends on bookings).
    """

    Kind = BookingMessageKind
    Outcome = BookingMessageOutcome

    booking = models.ForeignKey(VenueBooking, on_delete=models.CASCADE, related_name="lifecycle_messages")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=BookingMessageKind.choices)
    outcome = models.CharField(
        max_length=12, choices=BookingMessageOutcome.choices, default=BookingMessageOutcome.QUEUED
    )
    platform = models.CharField(max_length=10, blank=True, help_text="The channel's platform the message went to.")
    interaction_id = models.UUIDField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        constraints = [
            choices_check("kind", BookingMessageKind, name="booking_message_kind_valid"),
            choices_check("outcome", BookingMessageOutcome, name="booking_message_outcome_valid"),
            models.UniqueConstraint(fields=["booking", "kind"], name="booking_message_once_per_kind"),
        ]
        indexes = [models.Index(fields=["user", "kind", "-created_at"], name="booking_message_user_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.booking_id}"


class WaitlistEntry(TimestampedModel):
    """A guest waiting for a table at a venue around a time that was full when they asked.

    When a booking at the venue near that time is cancelled, waitlist_promote tells the
    first entries (oldest first) whose party now fits; ``offered_booking`` is that
    cancellation (it also marks the cancellation as handled) and ``offered_slot`` the time
    they were offered.
    """

    Status = WaitlistStatus

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries")
    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, related_name="waitlist_entries")
    party_size = models.PositiveSmallIntegerField()
    slot_start = models.DateTimeField(help_text="The time the guest asked for.")
    flexibility_minutes = models.PositiveSmallIntegerField(
        default=60, help_text="How far from the asked time (either way) an opening still interests the guest."
    )
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    offered_booking = models.ForeignKey(
        VenueBooking,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="waitlist_offers",
        help_text="The cancelled booking whose table was offered.",
    )
    offered_slot = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    interaction_id = models.UUIDField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        ordering = ["created_at"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            choices_check("status", WaitlistStatus, name="waitlist_status_valid"),
            models.CheckConstraint(condition=models.Q(party_size__gte=1), name="waitlist_party_size_positive"),
            models.CheckConstraint(
                condition=~models.Q(status=WaitlistStatus.NOTIFIED) | models.Q(notified_at__isnull=False),
                name="waitlist_notified_time",
            ),
            # Asking twice for the same table keeps one place in line.
            models.UniqueConstraint(
                fields=["user", "venue", "slot_start"],
                condition=models.Q(status=WaitlistStatus.WAITING),
                name="waitlist_one_waiting_per_slot",
            ),
        ]
        indexes = [
            models.Index(
                fields=["venue", "slot_start"],
                condition=models.Q(status=WaitlistStatus.WAITING),
                name="waitlist_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.venue} · {self.slot_start:%Y-%m-%d %H:%M} · {self.party_size}p"


class GuestReliability(TimestampedModel):
    """A guest's no-show record over the recent window, recomputed by no_show_strikes_recompute.

    ``needs_owner_approval`` is what the venue agent reads (through
    bookings.selectors.guest_needs_owner_approval): a guest with too many recent no-shows
    is not auto-confirmed; the venue's owner decides.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="booking_reliability")
    no_show_count = models.PositiveSmallIntegerField(default=0, help_text="No-shows within the window.")
    window_days = models.PositiveSmallIntegerField(default=180)
    last_no_show_at = models.DateTimeField(null=True, blank=True)
    needs_owner_approval = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    class Meta(TimestampedModel.Meta):
        verbose_name_plural = "guest reliability"
        indexes = [
            models.Index(
                fields=["user"], condition=models.Q(needs_owner_approval=True), name="guest_reliability_flagged"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.no_show_count} no-show(s) in {self.window_days} d"


class ReminderEvent(BaseModel):
    """One status change of a user's reminder (scheduled → sent / failed / cancelled). Append-only."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    data = models.JSONField(default=dict, blank=True)

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["reminder", "created_at"], name="reminder_event_time")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class WaitlistEvent(BaseModel):
    """One status change of a waitlist entry (waiting → notified / expired / cancelled). Append-only."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    data = models.JSONField(default=dict, blank=True)

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["entry", "created_at"], name="waitlist_event_time")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"
