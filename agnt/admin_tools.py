"""Building blocks every app's admin uses: owner scoping, read-only ledgers, fast paginators."""

from __future__ import annotations

from django.contrib.admin import SimpleListFilter
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from unfold.admin import ModelAdmin, TabularInline
from unfold.forms import PaginationInlineFormSet

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
    """Counts huge tables from PostgreSQL's estimates instead of ``COUNT(*)``.

    Unfiltered: the table's row estimate (``pg_class.reltuples``). Filtered or searched: the
    planner's row estimate for the page's query (``EXPLAIN``), and an exact ``COUNT(*)`` only
    when that estimate is small enough (≤ ``exact_below`` rows) for the count to be cheap.
    Tables under ``threshold`` rows are always counted exactly.
    """

    threshold = 100_000
    exact_below = 10_000

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is None:
            return super().count
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [self.object_list.model._meta.db_table],
            )
            row = cursor.fetchone()
            table_rows = int(row[0]) if row else 0
            if table_rows <= self.threshold:
                return super().count
            if not query.where:
                return table_rows
            sql, params = query.sql_with_params()
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            import json

            plan = json.loads(plan)
        estimate = int(plan[0]["Plan"]["Plan Rows"])
        return super().count if estimate <= self.exact_below else estimate


class UserSearchMixin:
    """Searching a big table for a person: the username or e-mail is resolved to user ids
    first (an indexed, case-insensitive exact match on the user table), then the table is
    filtered by its indexed ``user`` column — instead of a ``LIKE '%…%'`` across a join on
    every row. ``search_user_path`` is the ORM path from the model to the user ("user",
    "api_key__owner"). The admin's own ``search_fields`` still apply (ORed).
    """

    search_user_path = "user"
    search_user_limit = 50

    def get_search_results(self, request, queryset, search_term):
        from django.contrib.auth import get_user_model
        from django.db.models import Q

        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term or len(term) > 254:
            return results, may_have_duplicates
        user_ids = list(
            get_user_model()
            .objects.filter(Q(username__iexact=term) | Q(email__iexact=term))
            .values_list("pk", flat=True)[: self.search_user_limit]
        )
        if user_ids:
            results = results | queryset.filter(**{f"{self.search_user_path}__in": user_ids})
        return results, may_have_duplicates


def static_choices_filter(field: str, title: str, choices) -> type[SimpleListFilter]:
    """A list filter whose options are a fixed list, for a column without ``choices``: Django's
    default filter for such a column lists ``SELECT DISTINCT`` over the whole table on every
    page load. ``choices``: (value, label) pairs."""

    class StaticChoicesFilter(SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return list(choices)

        def queryset(self, request, queryset):
            value = self.value()
            return queryset.filter(**{field: value}) if value else queryset

    StaticChoicesFilter.title = title
    StaticChoicesFilter.__name__ = f"{field.title().replace('_', '')}Filter"
    return StaticChoicesFilter


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


class RecentRowsFormSet(PaginationInlineFormSet):
    """The parent's newest ``limit`` rows and no more: one query with a LIMIT, no paginator,
    no count of the parent's whole history. ``total_label`` counts the rest only when the
    list is full, and stops counting at ``count_cap`` ("1,000+")."""

    limit = 10
    count_cap = 1000
    see_all_url = ""

    def get_queryset(self):
        if not hasattr(self, "_recent"):
            self._recent = super().get_queryset()[: self.limit]
            for row in self._recent:  # the rows' parent is the page's object: no query per row
                self.fk.set_cached_value(row, self.instance)
        return self._recent

    @cached_property
    def shown(self) -> int:
        return len(self.get_queryset())

    @cached_property
    def total_label(self) -> str:
        """How many rows the parent has, "1,000+" past ``count_cap`` (a bounded count)."""
        if self.shown < self.limit:
            return f"{self.shown:,}"
        total = self.queryset.order_by()[: self.count_cap + 1].count()
        return f"{self.count_cap:,}+" if total > self.count_cap else f"{total:,}"

    @cached_property
    def has_more(self) -> bool:
        return self.shown == self.limit and self.total_label != f"{self.shown:,}"


class RecentRowsInline(ReadOnlyInline):
    """A read-only inline for rows that grow without bound (ledgers, messages, bookings,
    sessions): the ``limit`` newest rows (``ordering``), then "see all N →" to the model's
    changelist filtered to the parent (``see_all_filter``, a changelist query parameter such
    as ``user__id__exact``). No paging on the parent's page: every cell rendered is CPU on the
    busiest page of the back office, and the changelist is the place to browse a history."""

    formset = RecentRowsFormSet
    per_page = None
    limit = 10
    see_all_filter = ""
    template_after = "admin/edit_inline/recent_rows_footer.html"

    def see_all_url(self, request, obj) -> str:
        if obj is None or not self.see_all_filter:
            return ""
        model_admin = self.admin_site._registry.get(self.model)
        if model_admin is None or not model_admin.has_view_permission(request):
            return ""
        opts = self.model._meta
        changelist = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        return f"{changelist}?{urlencode({self.see_all_filter: obj.pk})}"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        attrs = {"limit": self.limit, "see_all_url": self.see_all_url(request, obj)}
        return type(formset.__name__, (formset,), attrs)


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
