"""Back office for venue knowledge, user memory, the knowledge graph and the food diary."""

from __future__ import annotations

import os

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ExpressionWrapper, Q
from unfold.admin import TabularInline

from agnt.admin_tools import (
    AgntModelAdmin,
    EstimatedCountPaginator,
    EventLogInline,
    ReadOnlyAdminMixin,
    VenueScopedAdminMixin,
)
from knowledge import ingestion, services
from knowledge.fetch import human_size
from knowledge.models import (
    EntityEdge,
    EntityNode,
    FoodDiary,
    KnowledgeSourceEvent,
    SourceKind,
    UserMemory,
    VenueChunk,
    VenueKnowledgeSource,
)


class VenueKnowledgeSourceInline(TabularInline):
    """For the Venue admin page: the venue's sources at a glance, each linking to its page."""

    model = VenueKnowledgeSource
    extra = 0
    fields = ("kind", "title", "status", "progress", "chunk_count")
    readonly_fields = ("kind", "status", "progress", "chunk_count")
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        # new sources go through the source admin's add page (it calls the service)
        return False


class KnowledgeSourceEventInline(EventLogInline):
    model = KnowledgeSourceEvent
    fields = ("created_at", "from_status", "to_status", "error", "actor")


class VenueKnowledgeSourceForm(forms.ModelForm):
    class Meta:
        model = VenueKnowledgeSource
        fields = ("venue", "kind", "title", "file", "url", "text", "refresh_interval_hours")

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        needed = {SourceKind.PDF: "file", SourceKind.URL: "url", SourceKind.TEXT: "text"}.get(kind)
        if needed and not cleaned.get(needed):
            self.add_error(needed, f"A {kind} source needs this.")
        upload = cleaned.get("file")
        if kind == SourceKind.PDF and upload:
            # the same limits ingestion enforces, told to the owner now instead of as a failed source
            extension = os.path.splitext(upload.name or "")[1].lower()
            if extension not in ingestion.PDF_EXTENSIONS | ingestion.TEXT_EXTENSIONS:
                self.add_error("file", "Upload a PDF or a plain-text file (.pdf, .txt, .md).")
            elif upload.size > settings.KNOWLEDGE_MAX_UPLOAD_BYTES:
                limit = human_size(settings.KNOWLEDGE_MAX_UPLOAD_BYTES)
                self.add_error("file", f"The file is {human_size(upload.size)}; the limit is {limit}.")
        return cleaned


@admin.register(VenueKnowledgeSource)
class VenueKnowledgeSourceAdmin(VenueScopedAdminMixin, AgntModelAdmin):
    venue_path = "venue"
    form = VenueKnowledgeSourceForm
    list_display = ("title", "venue", "kind", "status", "progress", "chunk_count", "last_ingested_at", "short_error")
    list_filter = ("status", "kind")
    search_fields = ("title", "url", "venue__name")
    list_select_related = ("venue",)
    autocomplete_fields = ("venue",)
    inlines = (KnowledgeSourceEventInline,)
    actions = ("reingest",)
    # content is fixed once ingested; change it by adding a new source (keeps chunks honest)
    change_readonly = ("venue", "kind", "file", "url", "text")
    status_fields = (
        "status",
        "progress",
        "error",
        "chunk_count",
        "size_bytes",
        "content_hash",
        "last_ingested_at",
        "created_by",
        "created_at",
        "updated_at",
    )

    def get_readonly_fields(self, request, obj=None):
        return (*self.change_readonly, *self.status_fields) if obj else ()

    def get_fields(self, request, obj=None):
        editable = ("venue", "kind", "title", "file", "url", "text", "refresh_interval_hours")
        return (*editable, *self.status_fields) if obj else editable

    @admin.display(description="error")
    def short_error(self, obj: VenueKnowledgeSource) -> str:
        return obj.error[:80]

    def save_model(self, request, obj: VenueKnowledgeSource, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        try:
            created = services.knowledge_source_create(
                venue=data["venue"],
                kind=data["kind"],
                title=data["title"],
                file=data.get("file"),
                url=data.get("url") or "",
                text=data.get("text") or "",
                refresh_interval_hours=data.get("refresh_interval_hours"),
                created_by=request.user,
            )
        except ValidationError as exc:  # the form checks the same; this is the last line of defence
            raise ValueError("; ".join(exc.messages)) from exc
        obj.pk = created.pk
        obj.refresh_from_db()

    def has_reingest_permission(self, request) -> bool:
        return request.user.has_perm("knowledge.change_venueknowledgesource")

    @admin.action(description="Re-ingest selected sources", permissions=["reingest"])
    def reingest(self, request, queryset):
        done, skipped = 0, 0
        for source in queryset:
            try:
                services.knowledge_source_requeue(source=source, actor=request.user)
                done += 1
            except services.SourceTransitionError:
                skipped += 1
        self.message_user(
            request,
            f"Queued {done} source(s) for re-ingestion; {skipped} skipped (already queued or processing).",
            messages.SUCCESS if done else messages.WARNING,
        )


@admin.register(KnowledgeSourceEvent)
class KnowledgeSourceEventAdmin(VenueScopedAdminMixin, ReadOnlyAdminMixin, AgntModelAdmin):
    venue_path = "source__venue"
    list_display = ("source", "from_status", "to_status", "short_error", "actor", "created_at")
    list_filter = ("to_status",)
    search_fields = ("source__title", "source__venue__name", "error")
    list_select_related = ("source", "actor")

    @admin.display(description="error")
    def short_error(self, obj: KnowledgeSourceEvent) -> str:
        return obj.error[:80]


@admin.register(VenueChunk)
class VenueChunkAdmin(VenueScopedAdminMixin, ReadOnlyAdminMixin, AgntModelAdmin):
    venue_path = "venue"
    list_display = ("short_content", "venue", "source", "ordinal", "token_count", "has_embedding", "embedding_model")
    list_filter = ("embedding_model",)
    search_fields = ("heading", "content", "venue__name", "source__title")
    list_select_related = ("venue", "source")
    paginator = EstimatedCountPaginator
    # the 384-float vector is noise on screen; show whether it exists
    fields = (
        "venue",
        "source",
        "ordinal",
        "heading",
        "content",
        "token_count",
        "has_embedding",
        "embedding_model",
        "content_hash",
        "created_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        embedded = ExpressionWrapper(Q(embedding__isnull=False), output_field=BooleanField())
        return super().get_queryset(request).defer("embedding", "search_vector").annotate(embedded=embedded)

    @admin.display(description="content")
    def short_content(self, obj: VenueChunk) -> str:
        return (obj.heading + " — " if obj.heading else "") + obj.content[:80]

    @admin.display(boolean=True, description="embedded")
    def has_embedding(self, obj: VenueChunk) -> bool:
        return obj.embedded


@admin.register(UserMemory)
class UserMemoryAdmin(AgntModelAdmin):
    list_display = (
        "short_content",
        "user",
        "kind",
        "importance",
        "confidence",
        "recall_count",
        "last_recalled_at",
        "archived",
    )
    list_filter = ("kind", ("archived_at", admin.EmptyFieldListFilter))
    search_fields = ("content", "user__username", "user__email")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    exclude = ("embedding",)
    readonly_fields = (
        "embedding_model",
        "source_interaction_id",
        "last_recalled_at",
        "recall_count",
        "decayed_at",
        "archived_at",
        "created_at",
        "updated_at",
    )
    actions = ("forget",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("embedding")

    @admin.display(description="content")
    def short_content(self, obj: UserMemory) -> str:
        return obj.content[:80]

    @admin.display(boolean=True, description="archived")
    def archived(self, obj: UserMemory) -> bool:
        return obj.archived_at is not None

    @admin.action(description="Forget selected memories (permanent delete)", permissions=["delete"])
    def forget(self, request, queryset):
        count = 0
        for memory in queryset.select_related("user"):
            services.user_memory_forget(user=memory.user, memory=memory)
            count += 1
        self.message_user(request, f"Forgot {count} memor{'y' if count == 1 else 'ies'}.")


@admin.register(EntityNode)
class EntityNodeAdmin(AgntModelAdmin):
    list_display = ("label", "kind", "key", "venue", "updated_at")
    list_filter = ("kind",)
    search_fields = ("label", "key")
    list_select_related = ("venue", "user")
    autocomplete_fields = ("venue", "user")


@admin.register(EntityEdge)
class EntityEdgeAdmin(AgntModelAdmin):
    list_display = ("src", "relation", "dst", "weight")
    list_filter = ("relation",)
    search_fields = ("src__label", "src__key", "dst__label", "dst__key")
    list_select_related = ("src", "dst")
    autocomplete_fields = ("src", "dst")


@admin.register(FoodDiary)
class FoodDiaryAdmin(AgntModelAdmin):
    list_display = ("user", "eaten_at", "meal_type", "calories", "protein_g", "carbs_g", "fat_g", "confidence")
    list_filter = ("meal_type",)
    search_fields = ("description", "user__username", "user__email")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    date_hierarchy = "eaten_at"


# The venue page lists its knowledge sources (venues.admin keeps the inline list open for us).
from venues.admin import VENUE_INLINES  # noqa: E402

if VenueKnowledgeSourceInline not in VENUE_INLINES:
    VENUE_INLINES.append(VenueKnowledgeSourceInline)
