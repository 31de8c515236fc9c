"""Back office for the CRM: contacts with their notes, timeline and deals; the deal pipeline.

Venue owners see only their venues' CRM; rows without a venue are the platform's own
sales CRM and are visible to platform staff only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import StackedInline, TabularInline
from unfold.contrib.filters.admin import AutocompleteSelectFilter
from unfold.decorators import display

from agnt.admin_export import CsvExportAdminMixin
from agnt.admin_tools import AgntModelAdmin, VenueScopedAdminMixin
from agnt.money import money
from agnt.roles import is_platform_staff
from crm import services
from crm.models import ActivityKind, CrmActivity, CrmContact, CrmDeal, CrmNote, LifecycleStage
from crm.resources import CrmContactResource
from crm.state import DealStage

STAGE_LABELS = {
    DealStage.LEAD: "",
    DealStage.QUALIFIED: "info",
    DealStage.PROPOSAL: "info",
    DealStage.NEGOTIATION: "warning",
    DealStage.WON: "success",
    DealStage.LOST: "danger",
}
LIFECYCLE_LABELS = {
    LifecycleStage.LEAD: "",
    LifecycleStage.PROSPECT: "info",
    LifecycleStage.CUSTOMER: "success",
    LifecycleStage.CHURNED: "danger",
}


class _OwnerMustPickVenueMixin:
    """A venue owner's new rows must belong to one of their venues (a NULL venue would be
    a platform row they could then no longer see)."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not is_platform_staff(request.user) and "venue" in form.base_fields:
            form.base_fields["venue"].required = True
        return form


class NoteInline(StackedInline):
    model = CrmNote
    fk_name = "contact"
    extra = 0
    fields = ("body", "pinned", "deal", "author", "created_at")
    readonly_fields = ("deal", "author", "created_at")
    ordering = ("-pinned", "-created_at")


class ActivityInline(TabularInline):
    """The contact's timeline (read-only: log activities from the activity page or an action)."""

    model = CrmActivity
    fk_name = "contact"
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("created_at", "kind", "subject", "deal", "due_at", "completed_at", "actor")
    readonly_fields = fields
    ordering = ("-created_at",)
    show_change_link = True
    verbose_name_plural = "timeline"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class DealInline(TabularInline):
    model = CrmDeal
    fk_name = "contact"
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("title", "stage", "value_display", "expected_close_date", "owner")
    readonly_fields = fields
    show_change_link = True

    @display(description="Value")
    def value_display(self, obj: CrmDeal) -> str:
        return money(obj.value, obj.currency)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CrmContact)
class CrmContactAdmin(CsvExportAdminMixin, _OwnerMustPickVenueMixin, VenueScopedAdminMixin, AgntModelAdmin):
    venue_path = "venue"
    resource_classes = [CrmContactResource]
    owners_may_export = True  # their own venues' guests only: the export runs on the scoped list
    list_display = (
        "full_name",
        "company",
        "email",
        "phone",
        "venue",
        "stage_badge",
        "visits",
        "allergies_display",
        "owner",
        "last_contacted_at",
    )
    list_filter = (
        "lifecycle_stage",
        "source",
        ("venue", AutocompleteSelectFilter),  # typed, not a list of every venue
        ("venue", admin.EmptyFieldListFilter),
    )
    list_select_related = ("venue", "owner")
    search_fields = ("full_name", "email", "phone", "company", "tags")
    search_help_text = "Name, e-mail, phone, company or tag"
    autocomplete_fields = ("venue", "owner", "user")
    # visits, no-shows and allergies come from the venue's bookings (crm_contact_sync)
    readonly_fields = (
        "last_contacted_at",
        "visits",
        "no_shows",
        "last_visit_at",
        "allergies_display",
        "created_at",
        "updated_at",
    )
    inlines = [NoteInline, DealInline, ActivityInline]
    actions = ("mark_customer", "mark_churned")
    fieldsets = (
        (None, {"fields": ("full_name", "venue", "lifecycle_stage", "source", "owner")}),
        ("Reach", {"fields": ("email", "phone", "company", "role", "user")}),
        ("From their bookings here", {"fields": ("visits", "no_shows", "last_visit_at", "allergies_display")}),
        ("Tags & dates", {"fields": ("tags", "last_contacted_at", "created_at", "updated_at")}),
    )

    @display(description="Allergies (told this venue)")
    def allergies_display(self, obj: CrmContact) -> str:
        return ", ".join(obj.allergies) or "—"

    def get_inlines(self, request, obj):
        return self.inlines if obj else [NoteInline]  # deals and the timeline come once the contact exists

    @display(description="Stage", ordering="lifecycle_stage", label=LIFECYCLE_LABELS)
    def stage_badge(self, obj: CrmContact):
        return obj.lifecycle_stage, obj.get_lifecycle_stage_display()

    def save_model(self, request, obj: CrmContact, form, change: bool) -> None:
        obj.email = services.normalize_email(obj.email)
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.crm_contact_create(
            venue=obj.venue,
            full_name=obj.full_name,
            email=obj.email,
            phone=obj.phone,
            company=obj.company,
            role=obj.role,
            lifecycle_stage=obj.lifecycle_stage,
            source=obj.source,
            tags=obj.tags,
            owner=obj.owner or request.user,
            user=obj.user,
        )
        obj.pk, obj._state, obj.owner = created.pk, created._state, created.owner

    def save_formset(self, request, form, formset, change):
        if formset.model is not CrmNote:
            return super().save_formset(request, form, formset, change)
        for note in formset.save(commit=False):
            if note._state.adding:
                services.crm_note_add(
                    author=request.user, body=note.body, contact=form.instance, deal=note.deal, pinned=note.pinned
                )
            else:
                note.save()
        for note in formset.deleted_objects:
            note.delete()

    def _set_stage(self, request, queryset: QuerySet[CrmContact], stage: str) -> None:
        count = sum(1 for contact in queryset if services.crm_contact_set_lifecycle(contact=contact, stage=stage))
        self.message_user(request, f"{count} contact(s) now {LifecycleStage(stage).label.lower()}.", messages.SUCCESS)

    @admin.action(description="Mark as customer", permissions=["change"])
    def mark_customer(self, request, queryset):
        self._set_stage(request, queryset, LifecycleStage.CUSTOMER)

    @admin.action(description="Mark as churned", permissions=["change"])
    def mark_churned(self, request, queryset):
        self._set_stage(request, queryset, LifecycleStage.CHURNED)


class DealActivityInline(ActivityInline):
    fk_name = "deal"
    fields = ("created_at", "kind", "subject", "due_at", "completed_at", "actor")
    readonly_fields = fields


class DealNoteInline(StackedInline):
    model = CrmNote
    fk_name = "deal"
    extra = 0
    fields = ("body", "pinned", "author", "created_at")
    readonly_fields = ("author", "created_at")


@admin.register(CrmDeal)
class CrmDealAdmin(VenueScopedAdminMixin, AgntModelAdmin):
    venue_path = "venue"
    list_display = (
        "title",
        "contact",
        "venue",
        "stage_badge",
        "value_display",
        "expected_close_date",
        "owner",
        "stage_changed_at",
    )
    list_filter = ("stage", ("venue", AutocompleteSelectFilter), ("owner", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("contact", "venue", "owner")
    search_fields = ("title", "contact__full_name", "contact__company", "contact__email")
    date_hierarchy = "created_at"
    autocomplete_fields = ("contact", "owner")
    inlines = [DealNoteInline, DealActivityInline]
    actions = ("move_qualified", "move_proposal", "move_negotiation", "mark_won", "mark_lost", "reopen")
    fieldsets = (
        (None, {"fields": ("title", "contact", "venue", "stage", "owner")}),
        ("Value", {"fields": ("value", "currency", "expected_close_date")}),
        ("Outcome", {"fields": ("stage_changed_at", "closed_at", "lost_reason", "created_at", "updated_at")}),
    )
    # the venue follows the contact (crm_deal_create); only the pipeline actions move the stage
    readonly_fields = ("venue", "stage", "stage_changed_at", "closed_at", "lost_reason", "created_at", "updated_at")

    def get_inlines(self, request, obj):
        return self.inlines if obj else [DealNoteInline]

    @display(description="Stage", ordering="stage", label=STAGE_LABELS)
    def stage_badge(self, obj: CrmDeal):
        return obj.stage, obj.get_stage_display()

    @display(description="Value", ordering="value")
    def value_display(self, obj: CrmDeal) -> str:
        return money(obj.value, obj.currency)

    def save_model(self, request, obj: CrmDeal, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.crm_deal_create(
            contact=obj.contact,
            title=obj.title,
            value=obj.value,
            currency=obj.currency,
            owner=obj.owner or request.user,
            expected_close_date=obj.expected_close_date,
            actor=request.user,
        )
        obj.pk, obj._state = created.pk, created._state
        for field in ("venue_id", "owner_id", "stage", "stage_changed_at", "created_at", "updated_at"):
            setattr(obj, field, getattr(created, field))

    def save_formset(self, request, form, formset, change):
        if formset.model is not CrmNote:
            return super().save_formset(request, form, formset, change)
        for note in formset.save(commit=False):
            if note._state.adding:
                services.crm_note_add(author=request.user, body=note.body, deal=form.instance, pinned=note.pinned)
            else:
                note.save()
        for note in formset.deleted_objects:
            note.delete()

    def _move(self, request: HttpRequest, queryset: QuerySet[CrmDeal], stage: str, lost_reason: str = "") -> None:
        done, refused = [], []
        for deal in queryset:
            try:
                services.crm_deal_move_stage(deal=deal, to_stage=stage, actor=request.user, lost_reason=lost_reason)
                done.append(deal.title)
            except services.CrmError as exc:
                refused.append(f"{deal.title}: {exc}")
        if done:
            label = DealStage(stage).label.lower()
            self.message_user(request, f"Moved {len(done)} deal(s) to {label}: {', '.join(done)}.", messages.SUCCESS)
        if refused:
            self.message_user(request, f"Refused {len(refused)} — " + "; ".join(refused), messages.WARNING)

    @admin.action(description="Move to qualified", permissions=["change"])
    def move_qualified(self, request, queryset):
        self._move(request, queryset, DealStage.QUALIFIED)

    @admin.action(description="Move to proposal", permissions=["change"])
    def move_proposal(self, request, queryset):
        self._move(request, queryset, DealStage.PROPOSAL)

    @admin.action(description="Move to negotiation", permissions=["change"])
    def move_negotiation(self, request, queryset):
        self._move(request, queryset, DealStage.NEGOTIATION)

    @admin.action(description="Mark won", permissions=["change"])
    def mark_won(self, request, queryset):
        self._move(request, queryset, DealStage.WON)

    @admin.action(description="Mark lost", permissions=["change"])
    def mark_lost(self, request, queryset):
        self._move(request, queryset, DealStage.LOST, lost_reason=f"Marked lost by {request.user}")

    @admin.action(description="Reopen lost deal as a lead", permissions=["change"])
    def reopen(self, request, queryset):
        self._move(request, queryset, DealStage.LEAD)


class _SubjectForm(forms.ModelForm):
    """A note or activity on a deal must name the deal's own contact (or leave contact empty)."""

    def clean(self):
        cleaned = super().clean()
        contact, deal = cleaned.get("contact"), cleaned.get("deal")
        if contact and deal and deal.contact_id != contact.pk:
            raise forms.ValidationError("That deal belongs to a different contact.")
        return cleaned


@admin.register(CrmNote)
class CrmNoteAdmin(VenueScopedAdminMixin, AgntModelAdmin):
    venue_path = "contact__venue"  # notes on a deal are filed under its contact too (crm_note_add)
    form = _SubjectForm
    list_display = ("created_at", "contact", "deal", "excerpt", "pinned", "author")
    list_filter = ("pinned",)
    list_select_related = ("contact", "deal", "author")
    search_fields = ("body", "contact__full_name", "deal__title")
    date_hierarchy = "created_at"
    autocomplete_fields = ("contact", "deal")
    fields = ("contact", "deal", "body", "pinned", "author", "created_at", "updated_at")
    readonly_fields = ("author", "created_at", "updated_at")

    @display(description="Note")
    def excerpt(self, obj: CrmNote) -> str:
        return obj.body[:80]

    def save_model(self, request, obj: CrmNote, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.crm_note_add(
            author=request.user, body=obj.body, contact=obj.contact, deal=obj.deal, pinned=obj.pinned
        )
        obj.pk, obj._state, obj.contact_id, obj.author_id = (
            created.pk,
            created._state,
            created.contact_id,
            created.author_id,
        )


@admin.register(CrmActivity)
class CrmActivityAdmin(VenueScopedAdminMixin, AgntModelAdmin):
    venue_path = "contact__venue"  # crm_activity_log always files the contact
    form = _SubjectForm
    list_display = ("created_at", "kind", "subject", "contact", "deal", "due_at", "done", "actor")
    list_filter = ("kind", ("completed_at", admin.EmptyFieldListFilter))
    list_select_related = ("contact", "deal", "actor")
    search_fields = ("subject", "body", "contact__full_name", "deal__title")
    date_hierarchy = "created_at"
    autocomplete_fields = ("contact", "deal")
    fields = ("kind", "contact", "deal", "subject", "body", "due_at", "completed_at", "actor", "data", "created_at")
    readonly_fields = ("completed_at", "actor", "data", "created_at")
    actions = ("complete",)

    @display(description="Done", boolean=True)
    def done(self, obj: CrmActivity) -> bool:
        return obj.completed_at is not None

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.kind == ActivityKind.STAGE_CHANGE:
            return self.fields  # stage moves are history
        return self.readonly_fields

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "kind":
            # stage changes are written by moving the deal, not typed in
            kwargs["choices"] = [c for c in ActivityKind.choices if c[0] != ActivityKind.STAGE_CHANGE]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj: CrmActivity, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.crm_activity_log(
            kind=obj.kind,
            actor=request.user,
            subject=obj.subject,
            contact=obj.contact,
            deal=obj.deal,
            body=obj.body,
            due_at=obj.due_at,
        )
        obj.pk, obj._state = created.pk, created._state
        for field in ("contact_id", "actor_id", "completed_at", "created_at"):
            setattr(obj, field, getattr(created, field))

    @admin.action(description="Mark complete", permissions=["change"])
    def complete(self, request, queryset):
        count = 0
        for activity in queryset.filter(completed_at__isnull=True):
            services.crm_activity_complete(activity=activity, actor=request.user)
            count += 1
        self.message_user(request, f"Completed {count} activit{'y' if count == 1 else 'ies'}.", messages.SUCCESS)
