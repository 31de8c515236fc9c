"""CSV export from the back office (django-import-export in Unfold's look).

Export only: nothing is ever imported from a spreadsheet, because every row is written
by a service (bookings, contacts) or is an append-only ledger. Staff may export every
list that has the mixin; a venue owner may export only where ``owners_may_export`` is
set (their bookings and guests), and then only their own venues' rows, because the
export runs on the list's own scoped, filtered queryset.
"""

from __future__ import annotations

from django.utils import timezone
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV
from unfold.contrib.import_export.forms import SelectableFieldsExportForm

from agnt.roles import is_platform_staff


class CsvExportAdminMixin(ExportMixin):
    """Adds "Export" (CSV) to a changelist; the current search and filters apply."""

    export_form_class = SelectableFieldsExportForm
    owners_may_export = False

    def get_export_formats(self):
        return [CSV]

    def has_export_permission(self, request) -> bool:
        if not self.has_view_permission(request):
            return False
        return is_platform_staff(request.user) or self.owners_may_export

    def get_export_filename(self, request, queryset, file_format) -> str:
        stamp = timezone.now().strftime("%Y-%m-%d-%H%M")
        return f"agnt-{self.opts.model_name}-{stamp}.{file_format.get_extension()}"
