"""Back office for bookings, their event log, ratings, reminders and courier bookings."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.decorators import display

from agnt.admin_export import CsvExportAdminMixin
from agnt.admin_tools import (
    AgntModelAdmin,
    EstimatedCountPaginator,
    EventLogInline,
    ReadOnlyAdminMixin,
    RecentRowsInline,
    UserSearchMixin,
    VenueScopedAdminMixin,
)
from agnt.money import money
from agnt.roles import is_platform_staff
from bookings import services
from bookings.models import (
    ActorKind,
    BookingEvent,
    BookingMessage,
    BookingRating,
    BookingSource,
    GuestReliability,
    Reminder,
    TransportBooking,
    TransportEvent,
    VenueBooking,
    WaitlistEntry,
)
from bookings.resources import VenueBookingResource
from bookings.state import BookingStatus, ReminderStatus, TransportStatus
from venues.models import Venue
from venues.selectors import venue_timezone

BOOKING_STATUS_LABELS = {
    BookingStatus.REQUESTED: "info",
    BookingStatus.PENDING_OWNER: "warning",
    BookingStatus.COUNTER_OFFERED: "warning",
    BookingStatus.CONFIRMED: "success",
    BookingStatus.COMPLETED: "success",
    BookingStatus.REJECTED: "danger",
    BookingStatus.CANCELLED: "danger",
    BookingStatus.NO_SHOW: "danger",
    BookingStatus.EXPIRED: "",
}
TRANSPORT_STATUS_LABELS = {
    TransportStatus.QUOTED: "info",
    TransportStatus.AWAITING_CONFIRMATION: "warning",
    TransportStatus.CONFIRMED: "success",
    TransportStatus.DRIVER_ASSIGNED: "success",
    TransportStatus.PICKED_UP: "success",
    TransportStatus.COMPLETED: "success",
    TransportStatus.CANCELLED: "danger",
    TransportStatus.FAILED: "danger",
    TransportStatus.EXPIRED: "",
}


def _actor_kind(request: HttpRequest) -> str:
    return ActorKind.STAFF if is_platform_staff(request.user) else ActorKind.OWNER


def _ref(booking: VenueBooking) -> str:
    return booking.external_ref or str(booking.pk)[:8]


# --------------------------------------------------------------------------- bookings


class BookingEventInline(EventLogInline):
    model = BookingEvent
    fields = ("created_at", "from_status", "to_status", "actor_kind", "actor", "reason")


# Always read-only in the form: the status moves only through the actions (services),
# and the timestamps/reference are written by those services.
BOOKING_SYSTEM_FIELDS = (
    "status",
    "external_ref",
    "status_reason",
    "confirmed_at",
    "cancelled_at",
    "completed_at",
    "reminder_sent_at",
    "created_at",
    "updated_at",
)
# What a venue owner may not edit: who booked, where, when and through what. They can
# keep their internal note; changing the slot or party is a counter-offer, made by agents.
BOOKING_OWNER_READONLY_FIELDS = (
    "venue",
    "user",
    "api_key",
    "source",
    "party_size",
    "slot_start",
    "slot_end",
    "contact_name",
    "contact_phone",
    "special_requests",
    "idempotency_key",
    "deposit_amount",
    "spend_estimate",
    "currency",
    "counter_offer_slots",
    "owner_decision_deadline",
)


BOOKING_MONEY_DISPLAY_FIELDS = ("deposit_display", "spend_estimate_display", "currency")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def booking_title(booking: VenueBooking) -> str:
    """``BK-7Q2M · Warung Biru · Sat 5 Dec 2026, 19:30 WITA · 4 guests``: the slot on the venue's clock."""
    local = timezone.localtime(booking.slot_start, venue_timezone(booking.venue))
    guests = f"{booking.party_size} guest{'s' if booking.party_size != 1 else ''}"
    return f"{_ref(booking)} · {booking.venue.name} · {local:%a %-d %b %Y, %H:%M} {local.tzname()} · {guests}"


class VenueBookingForm(forms.ModelForm):
    """Runs the booking service's request checks when a booking is added by hand."""

    class Meta:
        model = VenueBooking
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        venue, party_size, slot_start = cleaned.get("venue"), cleaned.get("party_size"), cleaned.get("slot_start")
        if self.instance._state.adding and venue and party_size and slot_start:
            try:
                services.booking_check_request(
                    venue=venue, party_size=party_size, slot_start=slot_start, slot_end=cleaned.get("slot_end")
                )
            except services.BookingError as exc:
                raise forms.ValidationError(str(exc)) from exc
        elif not self.instance._state.adding and slot_start and self.moves_the_booking(cleaned):
            # A new time goes through the diary, as any request would (the save re-decides
            # it under the venue lock and tells the guest).
            from bookings.decision import Outcome, booking_move_decide, reason_with_alternatives

            original = self.instance
            decision = booking_move_decide(
                booking=original,
                venue=original.venue,
                slot_start=slot_start,
                slot_end=cleaned.get("slot_end"),
                now=timezone.now(),
            )
            if decision.outcome != Outcome.ACCEPT:
                raise forms.ValidationError(
                    "The diary does not allow the new time: "
                    + reason_with_alternatives(decision.reason, decision.slots, original.venue)
                )
        return cleaned

    def moves_the_booking(self, cleaned) -> bool:
        return any(
            name in self.changed_data and cleaned.get(name) is not None and cleaned.get(name) != self.initial.get(name)
            for name in ("slot_start", "slot_end")
        )


@admin.register(VenueBooking)
class VenueBookingAdmin(CsvExportAdminMixin, UserSearchMixin, VenueScopedAdminMixin, AgntModelAdmin):
    venue_path = "venue"
    resource_classes = [VenueBookingResource]
    owners_may_export = True  # their own venues' bookings only: the export runs on the scoped list
    form = VenueBookingForm
    list_display = ("external_ref", "venue", "user", "slot_start", "party_size", "status_badge", "source")
    # every city (a small table), not the cities that have bookings (a DISTINCT over all of
    # them on each load); the date range instead of a date hierarchy (two scans per page)
    list_filter = ("status", "source", "venue__city", ("slot_start", RangeDateTimeFilter))
    list_select_related = ("venue", "user")
    # Indexed lookups only: the exact reference, a user's exact username / e-mail
    # (UserSearchMixin), or venues whose name starts with the term (resolved to ids first).
    search_fields = ("external_ref__exact",)
    search_help_text = "Exact reference, a user's exact username or e-mail, or the start of a venue's name"
    autocomplete_fields = ("venue", "user")
    raw_id_fields = ("api_key",)
    paginator = EstimatedCountPaginator
    inlines = [BookingEventInline]

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term and len(term) <= 160:
            venues = list(Venue.objects.filter(name__istartswith=term).values_list("pk", flat=True)[:50])
            if venues:
                results = results | queryset.filter(venue_id__in=venues)
        return results, may_have_duplicates

    actions = ["owner_approve", "owner_decline", "confirm", "cancel", "mark_completed", "mark_no_show"]
    fieldsets = (
        (None, {"fields": ("external_ref", "venue", "status", "status_reason", "source")}),
        ("Visit", {"fields": ("slot_start", "slot_end", "party_size", "special_requests", "venue_notes")}),
        ("Guest", {"fields": ("user", "contact_name", "contact_phone", "api_key", "idempotency_key")}),
        ("Money", {"fields": ("deposit_amount", "spend_estimate", "currency")}),
        ("Negotiation", {"fields": ("counter_offer_slots", "owner_decision_deadline")}),
        (
            "Timeline",
            {
                "fields": (
                    "confirmed_at",
                    "cancelled_at",
                    "completed_at",
                    "reminder_sent_at",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return BOOKING_SYSTEM_FIELDS
        if is_platform_staff(request.user):
            return BOOKING_SYSTEM_FIELDS + ("venue", "api_key", "idempotency_key")
        return BOOKING_SYSTEM_FIELDS + BOOKING_OWNER_READONLY_FIELDS + BOOKING_MONEY_DISPLAY_FIELDS

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or is_platform_staff(request.user):
            return fieldsets
        # An owner reads the amounts (nothing to type): shown as money, "IDR 250,000".
        return [
            (name, {**opts, "fields": BOOKING_MONEY_DISPLAY_FIELDS}) if name == "Money" else (name, opts)
            for name, opts in fieldsets
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Not wrapped in one transaction as Django's is: a move is a durable command of its
        # own (the booking, its event and the guest's envelope commit together), and a
        # booking taken by hand is created by one service call.
        if object_id is not None:
            booking = (
                self.get_queryset(request).select_related("venue__city").filter(pk=unquote(object_id)).first()
                if _is_uuid(unquote(object_id))
                else None
            )
            if booking is not None:
                # The page is about a visit at the venue: its time as the venue's clock shows it.
                extra_context = {"subtitle": booking_title(booking), **(extra_context or {})}
        return self._changeform_view(request, object_id, form_url, extra_context)

    @display(description="Deposit")
    def deposit_display(self, obj: VenueBooking) -> str:
        return money(obj.deposit_amount, obj.currency) or "—"

    @display(description="Spend estimate")
    def spend_estimate_display(self, obj: VenueBooking) -> str:
        return money(obj.spend_estimate, obj.currency) or "—"

    def has_delete_permission(self, request, obj=None) -> bool:
        # A booking is a record (fees, disputes, the append-only event log): cancel it instead.
        return False

    def get_changeform_initial_data(self, request):
        return {"source": BookingSource.ADMIN, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj: VenueBooking, form, change: bool) -> None:
        if change:
            # Everything but the time is a plain edit; a new time is a move through the
            # command layer (the diary under the venue lock, the guest told).
            moved = form.moves_the_booking(form.cleaned_data)
            others = [name for name in form.changed_data if name not in ("slot_start", "slot_end")]
            if others:
                obj.save(update_fields=[*others, "updated_at"])
            if moved:
                from agents.booking.commands import booking_move

                try:
                    moved_booking = booking_move(
                        booking=VenueBooking.objects.get(pk=obj.pk),
                        slot_start=form.cleaned_data["slot_start"],
                        slot_end=form.cleaned_data.get("slot_end"),
                        actor=request.user,
                        actor_kind=_actor_kind(request),
                    )
                except services.BookingError as exc:
                    # The diary changed between the form's check and the save.
                    self.message_user(request, f"Not moved: {exc}", messages.ERROR)
                else:
                    obj.slot_start, obj.slot_end = moved_booking.slot_start, moved_booking.slot_end
            return
        # A booking taken by phone in the back office goes through the same service as
        # every other booking: reference, validation, event row, notifications.
        # (VenueBookingForm.clean ran the same checks, so refusals show on the form.)
        created = services.booking_create(
            venue=obj.venue,
            user=obj.user,
            party_size=obj.party_size,
            slot_start=obj.slot_start,
            slot_end=obj.slot_end,
            source=obj.source or BookingSource.ADMIN,
            contact_name=obj.contact_name,
            contact_phone=obj.contact_phone,
            special_requests=obj.special_requests,
            api_key=obj.api_key,
            spend_estimate=obj.spend_estimate,
            actor=request.user,
            actor_kind=_actor_kind(request),
        )
        if obj.venue_notes:
            created.venue_notes = obj.venue_notes
            created.save(update_fields=["venue_notes", "updated_at"])
        obj.pk, obj._state = created.pk, created._state
        for field in ("external_ref", "status", "slot_end", "currency", "deposit_amount", "created_at", "updated_at"):
            setattr(obj, field, getattr(created, field))

    @display(description="Status", ordering="status", label=BOOKING_STATUS_LABELS)
    def status_badge(self, obj: VenueBooking):
        return obj.status, obj.get_status_display()

    def _run(self, request: HttpRequest, queryset: QuerySet[VenueBooking], label: str, call: Callable) -> None:
        """Apply a service to each booking; report what worked and what the rules refused."""
        done, refused = [], []
        actor_kind = _actor_kind(request)
        for booking in queryset.select_related(None).order_by("slot_start"):
            try:
                call(booking=booking, actor=request.user, actor_kind=actor_kind)
                done.append(_ref(booking))
            except services.BookingError as exc:
                refused.append(f"{_ref(booking)}: {exc}")
        if done:
            self.message_user(request, f"{label} {len(done)} booking(s): {', '.join(done)}.", messages.SUCCESS)
        if refused:
            self.message_user(request, f"Refused {len(refused)} — " + "; ".join(refused), messages.WARNING)

    @admin.action(description="Confirm selected bookings", permissions=["change"])
    def confirm(self, request: HttpRequest, queryset: QuerySet[VenueBooking]) -> None:
        # By hand, but through the diary under the venue lock; the guest's agent is told.
        from agents.booking.commands import booking_venue_confirm

        self._run(request, queryset, "Confirmed", booking_venue_confirm)

    @admin.action(description="Approve selected requests (awaiting the venue)", permissions=["change"])
    def owner_approve(self, request: HttpRequest, queryset: QuerySet[VenueBooking]) -> None:
        # The command layer: confirms against the diary and answers the guest's agent.
        from agents.booking.commands import booking_venue_approve

        self._run(request, queryset, "Approved", booking_venue_approve)

    @admin.action(description="Decline selected requests (guest gets other times)", permissions=["change"])
    def owner_decline(self, request: HttpRequest, queryset: QuerySet[VenueBooking]) -> None:
        from agents.booking.commands import booking_venue_decline

        self._run(request, queryset, "Declined", booking_venue_decline)

    @admin.action(description="Cancel selected bookings", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[VenueBooking]) -> None:
        # Through the venue agent, so the guest's agent (possibly remote) hears of it too.
        from agents.booking.commands import booking_venue_cancel

        reason = "Cancelled by the venue" if _actor_kind(request) == ActorKind.OWNER else "Cancelled by AGNT support"
        self._run(
            request,
            queryset,
            "Cancelled",
            lambda **kw: booking_venue_cancel(reason=reason, **kw),
        )

    @admin.action(description="Mark selected bookings completed", permissions=["change"])
    def mark_completed(self, request: HttpRequest, queryset: QuerySet[VenueBooking]) -> None:
        self._run(request, queryset, "Completed", services.booking_complete)

    @admin.action(description="Mark selected bookings no-show", permissions=["change"])
    def mark_no_show(self, request: HttpRequest, queryset: QuerySet[VenueBooking]) -> None:
        self._run(request, queryset, "Marked no-show", services.booking_mark_no_show)


@admin.register(BookingEvent)
class BookingEventAdmin(ReadOnlyAdminMixin, VenueScopedAdminMixin, AgntModelAdmin):
    venue_path = "booking__venue"
    list_display = ("created_at", "booking_ref", "venue", "from_status", "to_status", "actor_kind", "actor", "reason")
    list_filter = ("to_status", "actor_kind")
    list_select_related = ("booking__venue", "actor")
    search_fields = ("booking__external_ref", "booking__venue__name", "reason")
    date_hierarchy = "created_at"
    paginator = EstimatedCountPaginator

    @display(description="Booking", ordering="booking__external_ref")
    def booking_ref(self, obj: BookingEvent) -> str:
        return _ref(obj.booking)

    @display(description="Venue", ordering="booking__venue__name")
    def venue(self, obj: BookingEvent):
        return obj.booking.venue


# --------------------------------------------------------------------------- ratings


@admin.register(BookingRating)
class BookingRatingAdmin(VenueScopedAdminMixin, AgntModelAdmin):
    venue_path = "venue"
    list_display = ("created_at", "venue", "booking_ref", "user", "stars", "would_return", "is_public", "replied")
    list_filter = ("score", "is_public", "would_return", ("venue__city", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("venue", "booking", "user")
    search_fields = ("venue__name", "booking__external_ref", "comment", "user__username")
    date_hierarchy = "created_at"
    fields = (
        "booking",
        "venue",
        "user",
        "score",
        "food_score",
        "service_score",
        "ambience_score",
        "value_score",
        "would_return",
        "comment",
        "is_public",
        "owner_reply",
        "owner_replied_at",
        "created_at",
    )

    def get_readonly_fields(self, request, obj=None):
        everything_but_reply = tuple(f for f in self.fields if f != "owner_reply")
        if is_platform_staff(request.user):
            # Staff moderate visibility and may edit a reply; the guest's words stay theirs.
            return tuple(f for f in everything_but_reply if f != "is_public")
        return everything_but_reply

    def has_add_permission(self, request) -> bool:
        # Ratings come from the guest (services.booking_rate), never from the back office.
        return False

    def save_model(self, request, obj: BookingRating, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if "owner_reply" in form.changed_data:
            services.booking_rating_reply(rating=obj, reply=obj.owner_reply, actor=request.user)
        if "is_public" in form.changed_data:
            services.venue_refresh_rating(venue_id=obj.venue_id)

    @display(description="Booking", ordering="booking__external_ref")
    def booking_ref(self, obj: BookingRating) -> str:
        return _ref(obj.booking)

    @display(description="Score", ordering="score")
    def stars(self, obj: BookingRating) -> str:
        return "★" * obj.score + "☆" * (5 - obj.score)

    @display(description="Replied", boolean=True)
    def replied(self, obj: BookingRating) -> bool:
        return bool(obj.owner_reply)


# --------------------------------------------------------------------------- reminders


@admin.register(Reminder)
class ReminderAdmin(AgntModelAdmin):
    list_display = ("due_at", "user", "short_text", "kind", "channel", "status_badge", "attempts", "sent_at")
    list_filter = ("status", "channel", "kind", ("due_at", RangeDateTimeFilter))
    list_select_related = ("user",)
    search_fields = ("text", "user__username", "user__email", "booking__external_ref")
    date_hierarchy = "due_at"
    autocomplete_fields = ("user", "booking")
    readonly_fields = (
        "status",
        "attempts",
        "last_error",
        "provider_message_id",
        "sent_at",
        "cancelled_at",
        "created_at",
        "updated_at",
    )
    paginator = EstimatedCountPaginator
    actions = ["cancel"]

    def has_add_permission(self, request) -> bool:
        # Reminders are set by the user (set_reminder) or the booking jobs, through reminder_create.
        return False

    @display(description="Text")
    def short_text(self, obj: Reminder) -> str:
        return obj.text if len(obj.text) <= 60 else obj.text[:57] + "…"

    @display(
        description="Status",
        ordering="status",
        label={
            ReminderStatus.SCHEDULED: "info",
            ReminderStatus.SENT: "success",
            ReminderStatus.FAILED: "danger",
            ReminderStatus.CANCELLED: "",
        },
    )
    def status_badge(self, obj: Reminder):
        return obj.status, obj.get_status_display()

    @admin.action(description="Cancel selected reminders", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        done, refused = 0, []
        for reminder in queryset:
            try:
                services.reminder_cancel(reminder=reminder)
                done += 1
            except services.ReminderError as exc:
                refused.append(f"{reminder}: {exc}")
        if done:
            self.message_user(request, f"Cancelled {done} reminder(s).", messages.SUCCESS)
        if refused:
            self.message_user(request, "Refused — " + "; ".join(refused), messages.WARNING)


# --------------------------------------------------------------------------- courier bookings


class TransportEventInline(EventLogInline):
    model = TransportEvent
    fields = ("created_at", "from_status", "to_status", "actor_kind", "actor", "reason", "data")


@admin.register(TransportBooking)
class TransportBookingAdmin(AgntModelAdmin):
    """Courier bookings, for support to follow and, if needed, cancel.

    Deliberately NO action (and no editable field) that confirms a courier: the safety
    rule is that a courier is booked only on the user's own explicit confirmation
    (services.transport_confirm, called from the user's message). Staff acting "on the
    user's behalf" would spend the user's money without their consent, so the admin can
    only look and cancel. The database enforces the same rule with a CHECK.
    """

    list_display = (
        "created_at",
        "user",
        "service_type",
        "route",
        "price",
        "status_badge",
        "user_confirmed_at",
        "lalamove_order_id",
    )
    list_filter = ("status", "service_type", ("created_at", RangeDateTimeFilter))
    list_select_related = ("user",)
    search_fields = (
        "quote_id",
        "lalamove_order_id",
        "user__username",
        "user__email",
        "pickup_address",
        "dropoff_address",
    )
    date_hierarchy = "created_at"
    inlines = [TransportEventInline]
    actions = ["cancel"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "user",
                    "venue",
                    "status",
                    "status_reason",
                    "service_type",
                    "item_description",
                    "scheduled_at",
                )
            },
        ),
        (
            "Quote",
            {"fields": ("quote_id", "price", "distance_m", "quote_expires_at", "quote_payload")},
        ),
        (
            "Pickup",
            {
                "fields": (
                    "pickup_address",
                    "pickup_latitude",
                    "pickup_longitude",
                    "pickup_contact_name",
                    "pickup_contact_phone",
                )
            },
        ),
        (
            "Drop-off",
            {
                "fields": (
                    "dropoff_address",
                    "dropoff_latitude",
                    "dropoff_longitude",
                    "dropoff_contact_name",
                    "dropoff_contact_phone",
                )
            },
        ),
        ("User confirmation", {"fields": ("user_confirmed_at", "confirmation_ref")}),
        (
            "Order",
            {
                "fields": (
                    "lalamove_order_id",
                    "driver_name",
                    "driver_phone",
                    "driver_plate",
                    "tracking_url",
                    "last_polled_at",
                    "completed_at",
                    "cancelled_at",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        # Everything is a record of what the user saw, agreed to and what Lalamove did.
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def has_add_permission(self, request) -> bool:
        # Rows start from a real Lalamove quotation (transport_quote_record), not by hand.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @display(description="Route")
    def route(self, obj: TransportBooking) -> str:
        return f"{obj.pickup_address[:28]} → {obj.dropoff_address[:28]}"

    @display(description="Price", ordering="price_amount")
    def price(self, obj: TransportBooking) -> str:
        return money(obj.price_amount, obj.currency)

    @display(description="Status", ordering="status", label=TRANSPORT_STATUS_LABELS)
    def status_badge(self, obj: TransportBooking):
        return obj.status, obj.get_status_display()

    @admin.action(description="Cancel selected courier bookings", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[TransportBooking]) -> None:
        done, refused = 0, []
        for transport in queryset:
            try:
                services.transport_cancel(
                    transport=transport,
                    actor=request.user,
                    actor_kind=ActorKind.STAFF,
                    reason="Cancelled by AGNT support",
                )
                done += 1
            except services.TransportError as exc:
                refused.append(f"{transport.quote_id}: {exc}")
        if done:
            self.message_user(request, f"Cancelled {done} courier booking(s).", messages.SUCCESS)
        if refused:
            self.message_user(request, "Refused — " + "; ".join(refused), messages.WARNING)


@admin.register(TransportEvent)
class TransportEventAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("created_at", "transport", "from_status", "to_status", "actor_kind", "actor", "reason")
    list_filter = ("to_status", "actor_kind")
    list_select_related = ("transport", "actor")
    search_fields = ("transport__quote_id", "transport__lalamove_order_id", "reason")
    date_hierarchy = "created_at"


class UserBookingInline(RecentRowsInline):
    """On the user page: their ten latest bookings by slot, then "see all N →" to the bookings
    changelist filtered to the user (change a booking from its own page)."""

    model = VenueBooking
    fk_name = "user"
    see_all_filter = "user__id__exact"
    show_change_link = True
    fields = ("external_ref", "venue", "slot_start", "party_size", "status", "source")
    ordering = ("-slot_start",)
    verbose_name_plural = "bookings"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("venue")


@admin.register(BookingMessage)
class BookingMessageAdmin(ReadOnlyAdminMixin, VenueScopedAdminMixin, AgntModelAdmin):
    """Reminders and rating requests the lifecycle jobs sent: one row per booking and kind."""

    venue_path = "booking__venue"
    list_display = ("created_at", "booking", "kind", "outcome", "platform")
    list_filter = ("kind", "outcome", "platform")
    list_select_related = ("booking",)
    search_fields = ("booking__external_ref",)
    paginator = EstimatedCountPaginator


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(VenueScopedAdminMixin, AgntModelAdmin):
    list_display = (
        "slot_start",
        "venue",
        "user",
        "party_size",
        "flexibility_minutes",
        "status",
        "offered_slot",
        "notified_at",
    )
    list_filter = ("status", ("slot_start", RangeDateTimeFilter))
    list_select_related = ("venue", "user")
    search_fields = ("venue__name", "user__username", "user__display_name")
    autocomplete_fields = ("venue", "user")
    readonly_fields = ("status", "offered_slot", "notified_at", "interaction_id", "created_at", "updated_at")

    def has_add_permission(self, request) -> bool:
        return False  # guests join through the concierge (waitlist_join)


@admin.register(GuestReliability)
class GuestReliabilityAdmin(UserSearchMixin, ReadOnlyAdminMixin, AgntModelAdmin):
    """No-shows per guest (recomputed hourly); the flag makes venue agents ask the owner."""

    list_display = ("user", "no_show_count", "window_days", "last_no_show_at", "needs_owner_approval", "computed_at")
    list_filter = ("needs_owner_approval",)
    list_select_related = ("user",)
    # one row per guest who ever missed a booking: found through the user table's indexes (the
    # start of a username or e-mail, agnt.User's UPPER(...) text_pattern_ops indexes), never a
    # '%…%' scan of every guest's name joined in
    search_fields = ("^user__username", "^user__email")
    search_help_text = "Start of the guest's username or e-mail"
