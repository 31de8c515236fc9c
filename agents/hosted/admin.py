"""Back office for hosted agents: agents with versions and deployment, runs (trace, cost,
filters, cancel), the usage ledger (read-only), allowances (staff adjust with a reason),
provider keys (masked), demos. Platform staff see everything; anyone else with admin
access sees only their own agents' rows."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.html import format_html

from agents.hosted import allowance as allowances
from agents.hosted import services
from agents.hosted.models import (
    AgentRun,
    AgentSession,
    Allowance,
    DemoApp,
    Deployment,
    HostedAgent,
    HostedAgentVersion,
    ProviderKey,
    RunEvent,
    UsageEntry,
)
from agents.hosted.resources import UsageEntryResource
from agents.hosted.state import TERMINAL_RUN_STATUSES
from agnt.admin_export import CsvExportAdminMixin
from agnt.admin_tools import AgntModelAdmin, EstimatedCountPaginator, ReadOnlyAdminMixin, ReadOnlyInline
from agnt.roles import is_platform_staff


def _pretty(value) -> str:
    return format_html(
        '<pre style="white-space:pre-wrap;max-width:60rem">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, default=str),
    )


class OwnerScopedMixin:
    """Staff see every row; other admin users (the "Hosted agent owners" group) only rows of
    their own agents: lists, pages by URL (404 for anyone else's), and the rows a form may
    point at."""

    owner_path = "agent__owner"
    # foreign keys a form may set, and the path from each target row to its owner
    owned_choices = {"agent": "owner", "version": "agent__owner"}

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if is_platform_staff(request.user):
            return qs
        return qs.filter(**{self.owner_path: request.user})

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # someone else's row looks like no row at all (as in VenueScopedAdminMixin)
        if not is_platform_staff(request.user):
            raise Http404(f"No {opts.verbose_name} with id {object_id!r}")
        return super()._get_obj_does_not_exist_redirect(request, opts, object_id)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        path = self.owned_choices.get(db_field.name)
        if field is not None and path and not is_platform_staff(request.user):
            field.queryset = field.queryset.filter(**{path: request.user})
        return field


class VersionInline(ReadOnlyInline):
    model = HostedAgentVersion
    fields = ("number", "name", "created_by", "created_at")
    readonly_fields = fields
    ordering = ("-number",)
    extra = 0


class DeploymentInline(admin.StackedInline):
    model = Deployment
    fields = ("friendly_name", "version", "visibility")
    extra = 0
    can_delete = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "version" and field is not None and not is_platform_staff(request.user):
            field.queryset = field.queryset.filter(agent__owner=request.user)
        return field


class HostedAgentForm(forms.ModelForm):
    class Meta:
        model = HostedAgent
        fields = (
            "owner",
            "name",
            "description",
            "code",
            "input_schema",
            "output_schema",
            "tools",
            "mcp_servers",
            "dependencies",
            "allowed_models",
            "interaction",
        )


@admin.register(HostedAgent)
class HostedAgentAdmin(OwnerScopedMixin, AgntModelAdmin):
    owner_path = "owner"
    form = HostedAgentForm
    list_display = ("name", "owner", "current_version", "deployed_at", "interaction", "deleted_at", "created_at")
    list_filter = ("interaction", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "owner__username", "deployment__friendly_name")
    list_select_related = ("owner", "deployment")
    autocomplete_fields = ("owner",)
    inlines = (DeploymentInline, VersionInline)
    actions = ("undeploy_and_delete",)

    @admin.display(description="deployed at")
    def deployed_at(self, obj: HostedAgent) -> str:
        deployment = getattr(obj, "deployment", None)
        return deployment.friendly_name if deployment else "—"

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if is_platform_staff(request.user):
            return fields
        return [f for f in fields if f != "owner"]  # an owner's agents are their own

    def get_autocomplete_fields(self, request):
        return self.autocomplete_fields if is_platform_staff(request.user) else ()

    def save_model(self, request, obj, form, change):
        # every save goes through the service, which writes the new version
        data = {name: form.cleaned_data[name] for name in services.VERSIONED_FIELDS if name in form.cleaned_data}
        try:
            if change:
                saved = services.hosted_agent_update(agent=obj, actor=request.user, **data)
            else:
                owner = form.cleaned_data.get("owner") if is_platform_staff(request.user) else request.user
                saved = services.hosted_agent_create(owner=owner or request.user, **data)
        except services.NetworkError as exc:
            raise forms.ValidationError(exc.detail) from exc
        obj.pk = saved.pk
        obj.current_version = saved.current_version

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deleting goes through the action: it undeploys and keeps the runs

    @admin.action(description="Delete (undeploy; runs and usage are kept)")
    def undeploy_and_delete(self, request, queryset):
        for agent in queryset:
            services.hosted_agent_delete(agent=agent)
        self.message_user(request, f"Deleted {queryset.count()} agent(s).", messages.SUCCESS)


@admin.register(Deployment)
class DeploymentAdmin(OwnerScopedMixin, AgntModelAdmin):
    list_display = ("friendly_name", "agent", "version", "visibility", "updated_at")
    list_filter = ("visibility",)
    search_fields = ("friendly_name", "agent__name")
    list_select_related = ("agent", "version")
    raw_id_fields = ("agent", "version")


class RunEventInline(ReadOnlyInline):
    model = RunEvent
    fields = ("seq", "kind", "data", "created_at")
    readonly_fields = fields
    ordering = ("seq",)
    extra = 0


class RunStatusFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("live", "Pending or running"), ("ended", "Ended"))

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.exclude(status__in=TERMINAL_RUN_STATUSES)
        if self.value() == "ended":
            return queryset.filter(status__in=TERMINAL_RUN_STATUSES)
        return queryset


@admin.register(AgentRun)
class AgentRunAdmin(OwnerScopedMixin, ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("id", "friendly_name", "status", "caller_kind", "payer", "cost_micros", "duration_ms", "created_at")
    list_filter = ("status", RunStatusFilter, "caller_kind", "is_async", "error_code")
    search_fields = ("id", "friendly_name", "payer__username", "idempotency_key")
    list_select_related = ("payer",)
    paginator = EstimatedCountPaginator
    date_hierarchy = "created_at"
    inlines = (RunEventInline,)
    actions = ("cancel_runs",)
    readonly_fields = ("input_pretty", "output_pretty")
    exclude = ("input", "output")

    @admin.display(description="input")
    def input_pretty(self, obj: AgentRun) -> str:
        return _pretty(obj.input)

    @admin.display(description="output")
    def output_pretty(self, obj: AgentRun) -> str:
        return _pretty(obj.output)

    @admin.action(description="Cancel the selected pending or running runs")
    def cancel_runs(self, request, queryset):
        cancelled = 0
        for run in queryset.exclude(status__in=TERMINAL_RUN_STATUSES):
            services.run_cancel(run=run)
            cancelled += 1
        self.message_user(request, f"Cancelled {cancelled} run(s).", messages.SUCCESS)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        return super().get_actions(request)


@admin.register(UsageEntry)
class UsageEntryAdmin(CsvExportAdminMixin, ReadOnlyAdminMixin, OwnerScopedMixin, AgntModelAdmin):
    owner_path = "user"
    resource_classes = [UsageEntryResource]  # staff only
    list_display = (
        "created_at",
        "user",
        "kind",
        "amount_micros",
        "overage_micros",
        "balance_after_micros",
        "run",
        "reason",
    )
    list_filter = ("kind",)
    search_fields = ("user__username", "reason", "description")
    list_select_related = ("user", "run")
    paginator = EstimatedCountPaginator


class AllowanceForm(forms.ModelForm):
    adjust_micros = forms.IntegerField(
        required=False, help_text="Add (or, negative, take back) this many micro-dollars this period."
    )
    reason = forms.CharField(required=False, max_length=300, help_text="Required for an adjustment (ledger row).")

    class Meta:
        model = Allowance
        fields = ()

    def clean(self):
        data = super().clean()
        if data.get("adjust_micros") and not (data.get("reason") or "").strip():
            self.add_error("reason", "an adjustment needs a reason")
        return data


@admin.register(Allowance)
class AllowanceAdmin(OwnerScopedMixin, AgntModelAdmin):
    owner_path = "user"
    form = AllowanceForm
    list_display = (
        "user",
        "plan",
        "period_start",
        "allowance_micros",
        "spent_micros",
        "reserved_micros",
        "overage_micros",
    )
    list_filter = ("plan",)
    search_fields = ("user__username",)
    list_select_related = ("user",)
    readonly_fields = (
        "user",
        "plan",
        "period_start",
        "period_end",
        "allowance_micros",
        "spent_micros",
        "reserved_micros",
        "overage_micros",
        "overage_metered_cents",
    )
    actions = ("reset_period",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return is_platform_staff(request.user)

    def save_model(self, request, obj, form, change):
        amount = form.cleaned_data.get("adjust_micros")
        if not amount:
            return
        if not is_platform_staff(request.user):
            raise PermissionDenied
        try:
            allowances.allowance_adjust(
                user=obj.user, amount=amount, reason=form.cleaned_data["reason"], actor=request.user
            )
        except (ValueError, PermissionError) as exc:
            self.message_user(request, str(exc), messages.ERROR)

    @admin.action(description="Reset the period (unused expires, plan allowance granted) — reason: staff reset")
    def reset_period(self, request, queryset):
        if not is_platform_staff(request.user):
            raise PermissionDenied
        for allowance in queryset:
            allowances.allowance_reset(user=allowance.user, reason="staff reset from the admin", actor=request.user)
        self.message_user(request, f"Reset {queryset.count()} allowance(s).", messages.SUCCESS)


@admin.register(ProviderKey)
class ProviderKeyAdmin(OwnerScopedMixin, ReadOnlyAdminMixin, AgntModelAdmin):
    owner_path = "owner"
    list_display = ("owner", "provider", "masked", "last_used_at", "updated_at")
    fields = ("owner", "provider", "masked", "last_used_at", "created_at", "updated_at")
    readonly_fields = fields
    list_select_related = ("owner",)

    @admin.display(description="key")
    def masked(self, obj: ProviderKey) -> str:
        return f"••••{obj.last_four}"

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_platform_staff(request.user)


class DemoAppForm(forms.ModelForm):
    """The checks demo_app_create / demo_app_update make, as form errors on their fields."""

    class Meta:
        model = DemoApp
        fields = (
            "agent",
            "slug",
            "title",
            "description",
            "is_public",
            "rate_limit_per_minute",
            "spend_cap_micros",
            "is_active",
        )

    def clean_slug(self):
        import re

        from agents.hosted.models import FRIENDLY_NAME_PATTERN

        slug = self.cleaned_data["slug"]
        if not re.fullmatch(FRIENDLY_NAME_PATTERN, slug or ""):
            raise forms.ValidationError("lowercase letters, digits and inner hyphens")
        return slug

    def clean_rate_limit_per_minute(self):
        value = self.cleaned_data["rate_limit_per_minute"]
        if not 1 <= value <= 600:
            raise forms.ValidationError("from 1 to 600")
        return value

    def clean(self):
        data = super().clean()
        agent = data.get("agent")
        if agent is not None and not Deployment.objects.filter(agent=agent).exists():
            self.add_error("agent", "deploy the agent before giving it a demo page")
        return data


@admin.register(DemoApp)
class DemoAppAdmin(OwnerScopedMixin, AgntModelAdmin):
    form = DemoAppForm
    list_display = ("slug", "title", "agent", "is_public", "is_active", "spent_micros", "spend_cap_micros")
    list_filter = ("is_public", "is_active")
    search_fields = ("slug", "title", "agent__name")
    list_select_related = ("agent",)
    raw_id_fields = ("agent",)
    readonly_fields = ("spent_micros",)

    def save_model(self, request, obj, form, change):
        # through the services, like the /a2a/v1 demo routes (the agent must be deployed)
        data = {name: form.cleaned_data[name] for name in services.DEMO_FIELDS if name in form.cleaned_data}
        if change:
            saved = services.demo_app_update(demo=obj, **{k: v for k, v in data.items() if k in form.changed_data})
        else:
            saved = services.demo_app_create(agent=form.cleaned_data["agent"], **data)
        obj.pk = saved.pk


@admin.register(AgentSession)
class AgentSessionAdmin(OwnerScopedMixin, ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("id", "agent", "demo", "user", "updated_at")
    list_select_related = ("agent", "demo", "user")
