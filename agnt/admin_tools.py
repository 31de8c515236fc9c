"""Building blocks every app's admin uses: owner scoping, read-only ledgers, fast paginators."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404
from django.utils.functional import cached_property
from unfold.admin import ModelAdmin, TabularInline

from agnt.roles import is_platform_staff
from venues.selectors import owned_venue_ids


class AgntModelAdmin(ModelAdmin):
    """Base admin: unfold look, full-width changelists, sane defaults."""

    list_per_page = 50
    list_filter_submit = True
    show_full_result_count = False


class VenueScopedAdminMixin:
    """Limits a venue owner's admin to their own venues' rows.

    ``venue_path`` is the ORM path from this model to Venue ("venue", "booking__venue")
    or "" for the Venue model itself. Platform staff (superusers, Operations, Finance,
    Support) see every row. An owner asking for a row outside their venues gets a plain
    404 (Django would redirect with "doesn't exist"; the 404 says no more than that).
    """

    venue_path: str = "venue"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if is_platform_staff(request.user):
            return qs
        lookup = f"{self.venue_path}__in" if self.venue_path else "pk__in"
        return qs.filter(**{lookup: owned_venue_ids(request.user)})

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        if not is_platform_staff(request.user):
            raise Http404(f"No {opts.verbose_name} with id {object_id!r}")
        return super()._get_obj_does_not_exist_redirect(request, opts, object_id)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from venues.models import Venue

        if db_field.related_model is Venue and not is_platform_staff(request.user):
            kwargs["queryset"] = Venue.objects.filter(pk__in=owned_venue_ids(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdminMixin:
    """For ledgers and logs: visible, never editable from the admin (the DB agrees)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EstimatedCountPaginator(Paginator):
    """Skips COUNT(*) on huge unfiltered tables by reading PostgreSQL's row estimate."""

    threshold = 100_000

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [self.object_list.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] > self.threshold:
                return int(row[0])
        return super().count


class ReadOnlyInline(TabularInline):
    """A tabular inline that shows rows and never edits them (ledgers, logs, recent lists).

    Every listed field is read-only; there is no add, change or delete.
    """

    extra = 0
    max_num = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EventLogInline(ReadOnlyInline):
    """A state machine's event rows (who moved it, from what, to what, why), oldest first."""

    ordering = ("created_at",)
    per_page = 25
    verbose_name_plural = "history"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if any(field.name == "actor" for field in self.model._meta.fields):
            queryset = queryset.select_related("actor")
        return queryset
