"""Back office for cities, venues, owners, claims, onboarding and users' venue lists."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.decorators import display

from agnt.admin_export import CsvExportAdminMixin
from agnt.admin_tools import (
    AgntModelAdmin,
    EventLogInline,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    VenueScopedAdminMixin,
)
from agnt.roles import is_platform_staff
from bookings.models import VenueBooking
from venues import services
from venues.models import (
    B2BOnboardingEvent,
    B2BOnboardingSession,
    City,
    CityAmbassador,
    UserList,
    UserListItem,
    Venue,
    VenueClaim,
    VenueClaimEvent,
    VenueClient,
)
from venues.resources import VenueResource
from venues.state import (
    OPEN_CLAIM_STATUSES,
    OPEN_ONBOARDING_STEPS,
    OnboardingStep,
    VenueClaimStatus,
)

CLAIM_STATUS_LABELS = {
    VenueClaimStatus.SUBMITTED: "info",
    VenueClaimStatus.UNDER_REVIEW: "warning",
    VenueClaimStatus.APPROVED: "success",
    VenueClaimStatus.REJECTED: "danger",
    VenueClaimStatus.WITHDRAWN: "",
}
VENUE_STATUS_LABELS = {"draft": "", "listed": "info", "active": "success", "paused": "warning", "closed": "danger"}


# --------------------------------------------------------------------------- cities


@admin.register(City)
class CityAdmin(AgntModelAdmin):
    list_display = ("name", "region", "country_code", "timezone", "currency", "venue_count", "is_active", "launched_on")
    list_filter = ("is_active", "region", "country_code")
    search_fields = ("name", "slug", "region")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_venue_count=Count("venues"))

    @display(description="Venues", ordering="_venue_count")
    def venue_count(self, obj: City) -> int:
        return obj._venue_count


@admin.register(CityAmbassador)
class CityAmbassadorAdmin(AgntModelAdmin):
    list_display = (
        "user",
        "city",
        "referral_code",
        "commission_pct",
        "status_badge",
        "venues_signed_count",
        "users_referred_count",
        "bookings_referred_count",
        "commission_earned",
        "started_on",
    )
    list_filter = ("status", ("city", RelatedDropdownFilter))
    list_select_related = ("user", "city")
    search_fields = ("referral_code", "user__username", "user__email", "user__display_name", "city__name", "instagram")
    autocomplete_fields = ("user", "city")
    readonly_fields = (
        "venues_signed_count",
        "users_referred_count",
        "bookings_referred_count",
        "commission_earned",
        "stats_refreshed_at",
    )
    fieldsets = (
        (None, {"fields": ("user", "city", "status", "referral_code", "commission_pct")}),
        ("Contact", {"fields": ("instagram", "phone", "notes", "started_on", "ended_on")}),
        ("Statistics", {"fields": readonly_fields + ("commission_currency",)}),
    )
    actions = ["refresh_stats"]

    @display(description="Status", label={"applied": "info", "active": "success", "paused": "warning", "ended": ""})
    def status_badge(self, obj: CityAmbassador):
        return obj.status, obj.get_status_display()

    @admin.action(description="Recount sign-ups, bookings and venues", permissions=["change"])
    def refresh_stats(self, request: HttpRequest, queryset: QuerySet[CityAmbassador]) -> None:
        from billing.services.ambassadors import city_ambassador_report

        for ambassador in queryset:
            numbers = city_ambassador_report(ambassador=ambassador)
            self.message_user(
                request,
                f"{ambassador.referral_code}: {numbers['signups']} sign-ups, {numbers['bookings']} bookings, "
                f"{numbers['venues']} venues in the last 7 days ({numbers['signups_total']} / "
                f"{numbers['bookings_total']} / {numbers['venues_total']} in total).",
                messages.SUCCESS,
            )


# --------------------------------------------------------------------------- venues


class VenueClientInline(TabularInline):
    """Owners and managers of the venue (the people its back office is scoped to)."""

    model = VenueClient
    extra = 0
    fields = ("user", "role", "is_active", "notify_on_booking", "cp_agent_id", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    verbose_name = "owner / manager"
    verbose_name_plural = "owners and managers"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class RecentBookingInline(ReadOnlyInline):
    """The venue's latest bookings, paginated in the database, read-only (change them on the booking)."""

    model = VenueBooking
    per_page = 10
    show_change_link = True
    fields = ("external_ref", "slot_start", "party_size", "status", "source", "user", "contact_name")
    verbose_name = "booking"
    verbose_name_plural = "recent bookings"

    def get_queryset(self, request):
        # each row's title is the booking's __str__, which names its venue: joined, not one query a row
        return super().get_queryset(request).select_related("user", "venue").order_by("-slot_start")


# The knowledge app appends its source inline here (knowledge/admin.py is imported after
# this module): VENUE_INLINES.append(VenueKnowledgeSourceInline).
VENUE_INLINES: list = [VenueClientInline, RecentBookingInline]

# Columns a venue owner may look at but never change: what AGNT charges them, where they
# rank, whether they are live, where their money goes, and computed ratings.
OWNER_READONLY_VENUE_FIELDS = (
    "referral_fee_pct",
    "status",
    "priority_rank",
    "stripe_account_id",
    "ambassador",
    "slug",
    "city",
    "cp_agent_id",
)
COMPUTED_VENUE_FIELDS = ("rating_average", "rating_count", "created_at", "updated_at")


@admin.register(Venue)
class VenueAdmin(CsvExportAdminMixin, VenueScopedAdminMixin, AgntModelAdmin):
    venue_path = ""
    resource_classes = [VenueResource]  # staff only (owners_may_export stays False)
    inlines = VENUE_INLINES
    list_display = (
        "name",
        "city",
        "category",
        "area",
        "status_badge",
        "price_level",
        "capacity",
        "referral_fee_pct",
        "rating",
    )
    list_filter = ("status", "category", ("city", RelatedDropdownFilter), "price_level")
    list_select_related = ("city",)
    search_fields = ("name", "slug", "area", "tags")
    search_help_text = "Name, slug, area or tag"
    autocomplete_fields = ("city", "ambassador")
    fieldsets = (
        ("Identity", {"fields": ("name", "slug", "city", "category", "status", "description", "tags", "cuisines")}),
        ("Location", {"fields": ("area", "address", "latitude", "longitude")}),
        (
            "Booking rules",
            {
                "fields": (
                    "capacity",
                    "opening_hours",
                    "slot_minutes",
                    "covers_per_slot",
                    "booking_duration_minutes",
                    "min_party_size",
                    "max_party_size",
                    "booking_lead_minutes",
                    "booking_window_days",
                    "blackout_dates",
                )
            },
        ),
        (
            "Policies",
            {
                "fields": (
                    "deposit_required",
                    "deposit_amount",
                    "cancellation_window_hours",
                    "minimum_spend",
                    "kids_allowed",
                    "min_guest_age",
                    "dress_code",
                )
            },
        ),
        (
            "Commercial",
            {
                "fields": (
                    "price_level",
                    "average_spend",
                    "currency",
                    "referral_fee_pct",
                    "priority_rank",
                    "stripe_account_id",
                    "ambassador",
                    "rating_average",
                    "rating_count",
                )
            },
        ),
        ("Contact", {"fields": ("phone", "whatsapp", "email", "website", "instagram")}),
        ("Agent", {"fields": ("cp_agent_id", "knowledge_text", "created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        if is_platform_staff(request.user):
            return COMPUTED_VENUE_FIELDS
        return COMPUTED_VENUE_FIELDS + OWNER_READONLY_VENUE_FIELDS

    def get_prepopulated_fields(self, request, obj=None):
        # Only while adding: the slug is part of public URLs and must not follow renames.
        return {"slug": ("name",)} if obj is None else {}

    @display(description="Status", ordering="status", label=VENUE_STATUS_LABELS)
    def status_badge(self, obj: Venue):
        return obj.status, obj.get_status_display()

    @display(description="Rating", ordering="rating_average")
    def rating(self, obj: Venue) -> str:
        if obj.rating_average is None:
            return "—"
        return f"{obj.rating_average:.1f} ({obj.rating_count})"


@admin.register(VenueClient)
class VenueClientAdmin(VenueScopedAdminMixin, AgntModelAdmin):
    list_display = ("user", "venue", "role", "is_active", "notify_on_booking", "created_at")
    list_filter = ("role", "is_active", ("venue__city", RelatedDropdownFilter))
    list_select_related = ("user", "venue")
    search_fields = ("user__username", "user__email", "user__display_name", "venue__name")
    autocomplete_fields = ("user", "venue")


# --------------------------------------------------------------------------- claims


class VenueClaimEventInline(EventLogInline):
    model = VenueClaimEvent
    fields = ("created_at", "from_status", "to_status", "actor", "reason")


@admin.register(VenueClaim)
class VenueClaimAdmin(AgntModelAdmin):
    list_display = (
        "venue",
        "claimant",
        "status_badge",
        "role",
        "verification_method",
        "contact_name",
        "created_at",
        "reviewer",
        "decided_at",
    )
    list_filter = ("status", "verification_method", "role", ("venue__city", RelatedDropdownFilter))
    list_select_related = ("venue", "claimant", "reviewer")
    search_fields = (
        "venue__name",
        "claimant__username",
        "claimant__email",
        "contact_name",
        "contact_email",
        "business_name",
    )
    date_hierarchy = "created_at"
    autocomplete_fields = ("venue", "claimant", "ambassador")
    readonly_fields = ("status", "reviewer", "decided_at", "created_at", "updated_at")
    inlines = [VenueClaimEventInline]
    actions = ["start_review", "approve", "reject"]
    fieldsets = (
        (None, {"fields": ("venue", "claimant", "role", "status", "ambassador")}),
        ("Contact", {"fields": ("business_name", "contact_name", "contact_email", "contact_phone")}),
        (
            "Evidence",
            {
                "fields": (
                    "verification_method",
                    "evidence_text",
                    "evidence_url",
                    "proof_document_link",
                    "verified_by",
                    "code_sent_to",
                    "code_sent_at",
                    "code_failures",
                    "locked_until",
                )
            },
        ),
        ("Decision", {"fields": ("reason", "reviewer", "decided_at", "created_at", "updated_at")}),
    )
    evidence_readonly = (
        "proof_document_link",
        "verified_by",
        "code_sent_to",
        "code_sent_at",
        "code_failures",
        "locked_until",
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status not in OPEN_CLAIM_STATUSES:
            # A decided claim is history; only the event log explains it further.
            return [f.name for f in VenueClaim._meta.concrete_fields if f.name != "id"] + ["proof_document_link"]
        if obj is None:
            return ("status", "reviewer", "decided_at", "created_at", "updated_at", *self.evidence_readonly)
        return (*self.readonly_fields, *self.evidence_readonly)

    def get_urls(self):
        from django.urls import path

        return [
            path(
                "<uuid:claim_id>/proof/",
                self.admin_site.admin_view(self.proof_download),
                name="venues_venueclaim_proof",
            ),
            *super().get_urls(),
        ]

    def proof_download(self, request: HttpRequest, claim_id):
        """The claim's proof document, for staff only (it is never served from a public URL)."""
        from django.http import FileResponse, Http404

        claim = self.get_queryset(request).filter(pk=claim_id).first()
        if claim is None or not claim.proof_document or not self.has_view_permission(request, claim):
            raise Http404
        name = claim.proof_document.name.rsplit("/", 1)[-1]
        return FileResponse(claim.proof_document.open("rb"), as_attachment=True, filename=name)

    @display(description="Proof document")
    def proof_document_link(self, obj: VenueClaim) -> str:
        from django.urls import reverse
        from django.utils.html import format_html

        if not obj or not obj.proof_document:
            return "—"
        return format_html('<a href="{}">Download</a>', reverse("admin:venues_venueclaim_proof", args=[obj.pk]))

    def has_add_permission(self, request) -> bool:
        # Staff file a claim for someone who called or visited (through venue_claim_submit);
        # owners file their own from /for-venues/.
        return is_platform_staff(request.user) and super().has_add_permission(request)

    def save_model(self, request, obj: VenueClaim, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            created = services.venue_claim_submit(
                venue=obj.venue,
                claimant=obj.claimant,
                contact_name=obj.contact_name,
                verification_method=obj.verification_method,
                contact_email=obj.contact_email,
                contact_phone=obj.contact_phone,
                role=obj.role,
                business_name=obj.business_name,
                evidence_text=obj.evidence_text,
                evidence_url=obj.evidence_url,
                ambassador=obj.ambassador,
            )
        except services.VenueError as exc:  # raced past the form's check: say so, no 500
            self.message_user(request, f"The claim was not filed: {exc}", messages.ERROR)
            return
        obj.pk, obj.status, obj.created_at = created.pk, created.status, created.created_at

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form

        class ClaimAddForm(form):
            def clean(self):
                # The service's own rules (an owner already, an open claim) refuse next to
                # the form: it runs in a savepoint that is always rolled back.
                from django.core.exceptions import ValidationError
                from django.db import transaction

                data = super().clean()
                if self.errors or not data.get("venue") or not data.get("claimant"):
                    return data
                try:
                    with transaction.atomic():
                        services.venue_claim_submit(
                            venue=data["venue"],
                            claimant=data["claimant"],
                            contact_name=data.get("contact_name") or "",
                            verification_method=data.get("verification_method") or "",
                            contact_email=data.get("contact_email") or "",
                            contact_phone=data.get("contact_phone") or "",
                        )
                        transaction.set_rollback(True)
                except services.VenueError as exc:
                    raise ValidationError(str(exc)) from exc
                return data

        return ClaimAddForm

    def has_delete_permission(self, request, obj=None) -> bool:
        # Claims and their event log are the audit trail of who got a venue's back office.
        return False

    @display(description="Status", ordering="status", label=CLAIM_STATUS_LABELS)
    def status_badge(self, obj: VenueClaim):
        return obj.status, obj.get_status_display()

    def _run(self, request, queryset, label: str, call) -> None:
        done, refused = [], []
        for claim in queryset.select_related("venue", "claimant"):
            try:
                call(claim)
                done.append(str(claim.venue))
            except services.VenueError as exc:
                refused.append(f"{claim.venue}: {exc}")
        if done:
            self.message_user(request, f"{label} {len(done)} claim(s): {', '.join(done)}.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Refused — " + "; ".join(refused), messages.WARNING)

    @admin.action(description="Start review", permissions=["change"])
    def start_review(self, request: HttpRequest, queryset: QuerySet[VenueClaim]) -> None:
        self._run(
            request, queryset, "Took", lambda c: services.venue_claim_start_review(claim=c, reviewer=request.user)
        )

    @admin.action(description="Approve: make the claimant the venue's owner", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[VenueClaim]) -> None:
        self._run(
            request,
            queryset,
            "Approved",
            lambda c: services.venue_claim_approve(claim=c, reviewer=request.user, reason=c.reason),
        )

    @admin.action(description="Reject (uses the claim's reason, or a default)", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[VenueClaim]) -> None:
        self._run(
            request,
            queryset,
            "Rejected",
            lambda c: services.venue_claim_reject(
                claim=c, reviewer=request.user, reason=c.reason or "We could not verify that you run this venue."
            ),
        )


@admin.register(VenueClaimEvent)
class VenueClaimEventAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("created_at", "claim", "from_status", "to_status", "actor", "reason")
    list_filter = ("to_status",)
    list_select_related = ("claim__venue", "claim__claimant", "actor")
    search_fields = ("claim__venue__name", "claim__claimant__username", "reason")
    date_hierarchy = "created_at"


# --------------------------------------------------------------------------- onboarding


class B2BOnboardingEventInline(EventLogInline):
    model = B2BOnboardingEvent
    fields = ("created_at", "from_step", "to_step", "actor", "reason", "data")


@admin.register(B2BOnboardingSession)
class B2BOnboardingSessionAdmin(VenueScopedAdminMixin, AgntModelAdmin):
    list_display = ("venue", "user", "step_badge", "last_activity_at", "completed_at", "created_at")
    list_filter = ("current_step", ("venue__city", RelatedDropdownFilter))
    list_select_related = ("venue", "user")
    search_fields = ("venue__name", "user__username", "user__email")
    autocomplete_fields = ("venue", "user")
    readonly_fields = ("current_step", "last_activity_at", "completed_at", "abandoned_at", "created_at", "updated_at")
    inlines = [B2BOnboardingEventInline]
    actions = ["abandon"]

    def has_add_permission(self, request) -> bool:
        # Sessions start from claim approval or the owner's app (services.onboarding_start).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @display(
        description="Step",
        ordering="current_step",
        label={OnboardingStep.COMPLETED: "success", OnboardingStep.ABANDONED: "danger", OnboardingStep.STARTED: "info"},
    )
    def step_badge(self, obj: B2BOnboardingSession):
        return obj.current_step, obj.get_current_step_display()

    @admin.action(description="Mark abandoned", permissions=["change"])
    def abandon(self, request: HttpRequest, queryset: QuerySet[B2BOnboardingSession]) -> None:
        done = 0
        for session in queryset.filter(current_step__in=OPEN_ONBOARDING_STEPS):
            services.onboarding_abandon(session=session, actor=request.user, reason="Closed by staff")
            done += 1
        skipped = queryset.count() - done
        self.message_user(request, f"Abandoned {done} session(s); {skipped} already finished.", messages.SUCCESS)


@admin.register(B2BOnboardingEvent)
class B2BOnboardingEventAdmin(ReadOnlyAdminMixin, VenueScopedAdminMixin, AgntModelAdmin):
    venue_path = "session__venue"
    list_display = ("created_at", "session", "from_step", "to_step", "actor")
    list_filter = ("to_step",)
    list_select_related = ("session__venue", "actor")
    search_fields = ("session__venue__name",)


# --------------------------------------------------------------------------- user lists


class UserListItemInline(TabularInline):
    model = UserListItem
    extra = 0
    fields = ("venue", "position", "note", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("venue",)
    ordering = ("position",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("venue")


@admin.register(UserList)
class UserListAdmin(AgntModelAdmin):
    list_display = ("name", "user", "kind", "is_public", "item_count", "created_at")
    list_filter = ("kind", "is_public")
    list_select_related = ("user",)
    search_fields = ("name", "slug", "user__username", "user__email")
    autocomplete_fields = ("user",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [UserListItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_item_count=Count("items"))

    @display(description="Venues", ordering="_item_count")
    def item_count(self, obj: UserList) -> int:
        return obj._item_count


@admin.register(UserListItem)
class UserListItemAdmin(AgntModelAdmin):
    list_display = ("venue", "user_list", "list_owner", "position", "created_at")
    list_select_related = ("venue", "user_list__user")
    search_fields = ("venue__name", "user_list__name", "user_list__user__username")
    autocomplete_fields = ("user_list", "venue")

    @display(description="User", ordering="user_list__user__username")
    def list_owner(self, obj: UserListItem):
        return obj.user_list.user
