"""Back office for core identity and cross-cutting records."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from unfold.decorators import action
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from unfold.widgets import UnfoldAdminIntegerFieldWidget, UnfoldAdminTextInputWidget

from agnt import services
from agnt.admin_tools import AgntModelAdmin, EstimatedCountPaginator, ReadOnlyAdminMixin, RecentRowsInline
from agnt.models import (
    AnalyticsDailyRollup,
    AnalyticsEvent,
    ErrorLog,
    PushSubscription,
    Session,
    TaskOutbox,
    User,
    UserFollowsTaste,
)


def _user_extra_inlines() -> list:
    """Inlines other apps contribute to the user page, imported late so agnt does not
    import every app's admin at module load."""
    from billing.admin import UserCreditTransactionInline
    from bookings.admin import UserBookingInline
    from messaging.admin import UserChannelInline

    return [UserChannelInline, UserBookingInline, UserCreditTransactionInline]


class SessionInline(RecentRowsInline):
    """A user's ten latest logins (they grow with every login), then "see all N →" to the
    sessions changelist filtered to the user."""

    model = Session
    fields = ("created_at", "last_used_at", "expires_at", "revoked_at", "revoked_reason", "ip_address")
    ordering = ("-created_at",)
    show_change_link = True
    see_all_filter = "user__id__exact"
    verbose_name_plural = "login sessions"


class CreditAdjustmentForm(forms.Form):
    amount = forms.IntegerField(
        help_text="Credits to add (positive) or remove (negative).", widget=UnfoldAdminIntegerFieldWidget
    )
    reason = forms.CharField(max_length=200, widget=UnfoldAdminTextInputWidget, help_text="Shown in the credit ledger.")

    def clean_amount(self) -> int:
        if self.cleaned_data["amount"] == 0:
            raise forms.ValidationError("An adjustment of 0 credits changes nothing.")
        return self.cleaned_data["amount"]


@admin.register(User)
class UserAdmin(BaseUserAdmin, AgntModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = (
        "username",
        "display_name",
        "email",
        "city",
        "plan",
        "credits",
        "is_business",
        "is_staff",
        "date_joined",
    )
    list_filter = (
        "plan",
        "is_business",
        "is_staff",
        "is_superuser",
        "is_active",
        "language",
        "city",
        "groups",
        "date_joined",  # fixed options (today, past 7 days, …), not a date hierarchy's scans
    )
    # Indexed lookups (agnt.User's indexes): the start of a username or e-mail (case-insensitive),
    # an exact phone number, referral code or consumer agent id.
    search_fields = ("^username", "^email", "phone__exact", "referral_code__exact", "cp_agent_id__exact")
    search_help_text = "Start of a username or e-mail, or an exact phone number, referral code or agent id"
    list_select_related = ("city",)
    paginator = EstimatedCountPaginator
    ordering = ("-date_joined",)
    # Searched as you type, not two lists of every group and every permission (~450 options
    # rendered into each user's page: a third of its server time)
    filter_horizontal = ()
    autocomplete_fields = ("groups", "user_permissions")
    readonly_fields = (
        "credit_ledger",
        "credits",
        "referral_code",
        "cp_agent_id",
        "stripe_customer_id",
        "last_login",
        "date_joined",
        "last_seen_at",
    )
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Profile"),
            {"fields": ("display_name", "email", "phone", "language", "city", "timezone", "marketing_opt_in")},
        ),
        (
            _("Account"),
            {
                "fields": (
                    "plan",
                    "credits",
                    "credit_ledger",
                    "referral_code",
                    "stripe_customer_id",
                    "cp_agent_id",
                    "is_business",
                )
            },
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"), "classes": ["tab"]},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined", "last_seen_at")}),
    )
    actions = ("revoke_all_sessions",)
    actions_detail = ("adjust_credits",)

    def has_adjust_credits_permission(self, request, object_id=None) -> bool:
        """Credit balances are money: superusers and Finance only."""
        from agnt.roles import FINANCE

        return request.user.is_superuser or request.user.groups.filter(name=FINANCE).exists()

    @action(description="Adjust credits", url_path="adjust-credits", permissions=["adjust_credits"], icon="toll")
    def adjust_credits(self, request, object_id):
        """A staff correction through billing's credit_adjust (row lock + ledger row), never a raw edit."""
        from billing.services import BillingError, credit_adjust

        user = get_object_or_404(User, pk=object_id)
        form = CreditAdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                entry = credit_adjust(
                    user=user,
                    amount=form.cleaned_data["amount"],
                    kind="adjustment",
                    reason=form.cleaned_data["reason"],
                    created_by=request.user,
                )
            except BillingError as exc:
                form.add_error("amount", str(exc))
            else:
                self.message_user(request, f"{user}: {entry.amount:+d} credits, balance now {entry.balance_after}.")
                return redirect(reverse("admin:agnt_user_change", args=[user.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust credits — {user}",
            "subtitle": f"Current balance: {user.credits} credits",
            "form": form,
            "opts": self.model._meta,
            "original": user,
        }
        return TemplateResponse(request, "admin/agnt/user/adjust_credits.html", context)

    def get_inlines(self, request, obj):
        return [SessionInline, *_user_extra_inlines()] if obj else []

    @admin.display(description="credit ledger")
    def credit_ledger(self, obj: User) -> str:
        """The page shows the newest ledger rows; this links to all of them."""
        if obj.pk is None:
            return "—"
        url = reverse("admin:billing_credittransaction_changelist") + f"?user__id__exact={obj.pk}"
        return format_html('<a href="{}">All credit transactions of {} →</a>', url, obj.username)

    @admin.action(description="Revoke all login sessions (forces re-login on every device)")
    def revoke_all_sessions(self, request, queryset):
        total = sum(services.session_revoke_all(user=user, reason="staff_revoke") for user in queryset)
        self.message_user(request, f"Revoked {total} session(s) for {queryset.count()} user(s).")


admin.site.unregister(Group)


@admin.register(Permission)
class PermissionAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    """What each permission is (read-only: permissions come from the models); it also feeds
    the user page's permission autocomplete."""

    list_display = ("name", "codename", "content_type")
    list_filter = ("content_type__app_label",)
    search_fields = ("name", "codename", "content_type__app_label", "content_type__model")
    list_select_related = ("content_type",)
    ordering = ("content_type__app_label", "content_type__model", "codename")

    def get_queryset(self, request):
        # a permission's name in a list or the autocomplete names its model: joined, not a query a row
        return super().get_queryset(request).select_related("content_type")


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, AgntModelAdmin):
    pass


@admin.register(Session)
class SessionAdmin(AgntModelAdmin):
    list_display = ("user", "created_at", "last_used_at", "expires_at", "active", "revoked_reason", "ip_address")
    list_filter = ("revoked_reason",)
    search_fields = ("user__username", "user__email", "ip_address")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "user",
        "refresh_jti",
        "user_agent",
        "ip_address",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "revoked_reason",
    )
    exclude = ("refresh_jti",)
    actions = ("revoke",)

    def has_add_permission(self, request):
        return False

    @admin.display(boolean=True)
    def active(self, obj: Session) -> bool:
        return obj.is_active

    @admin.action(description="Revoke selected sessions")
    def revoke(self, request, queryset):
        for session in queryset:
            services.session_revoke(session=session, reason="staff_revoke")
        self.message_user(request, f"Revoked {queryset.count()} session(s); their tokens stop working now.")


@admin.register(AnalyticsEvent)
class AnalyticsEventAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("name", "user", "source", "occurred_at")
    list_filter = ("name", "source")
    search_fields = ("name", "user__username")
    list_select_related = ("user",)
    date_hierarchy = "occurred_at"
    paginator = EstimatedCountPaginator


@admin.register(AnalyticsDailyRollup)
class AnalyticsDailyRollupAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("day", "name", "count", "unique_users")
    list_filter = ("name",)
    date_hierarchy = "day"


@admin.register(ErrorLog)
class ErrorLogAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("created_at", "level", "logger", "short_message", "exception_type", "request_path")
    list_filter = ("level", "logger", "exception_type")
    search_fields = ("message", "exception_type", "request_path")
    date_hierarchy = "created_at"
    paginator = EstimatedCountPaginator

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser  # pruning is the job's work; superusers may clear noise

    @admin.display(description="message")
    def short_message(self, obj: ErrorLog) -> str:
        return obj.message[:120]


@admin.register(TaskOutbox)
class TaskOutboxAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    """Tasks waiting for the broker; empty unless Redis is (or just was) down."""

    list_display = ("created_at", "task", "queue", "attempts", "last_error")
    list_filter = ("task",)
    actions = ["relay_now"]

    @admin.action(description="Publish now (the relay job does this every 5 s)")
    def relay_now(self, request, queryset) -> None:
        relayed = services.task_outbox_relay()
        self.message_user(request, f"{relayed} task(s) published.")


@admin.register(UserFollowsTaste)
class UserFollowsTasteAdmin(AgntModelAdmin):
    list_display = ("user", "followee", "taste", "status", "weight", "decided_at", "created_at")
    list_filter = ("status",)
    search_fields = ("taste", "user__username", "followee__username", "followee__display_name")
    list_select_related = ("user", "followee")
    autocomplete_fields = ("user", "followee")
    readonly_fields = ("decided_at",)


@admin.register(PushSubscription)
class PushSubscriptionAdmin(AgntModelAdmin):
    list_display = ("user", "status", "failure_count", "last_success_at", "created_at")
    list_filter = ("status",)
    search_fields = ("user__username", "endpoint")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)


# django-celery-beat's models, re-registered with the unfold look so scheduling sits with the rest.
# Solar and clocked schedules are unused by the job registry, so they stay out of the back office.
for model in (PeriodicTask, IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule):
    admin.site.unregister(model)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin, AgntModelAdmin):
    list_display = ("name", "task", "enabled", "interval", "crontab", "queue", "last_run_at", "total_run_count")
    list_select_related = ("interval", "crontab", "solar", "clocked")


@admin.register(IntervalSchedule)
class IntervalScheduleAdmin(AgntModelAdmin):
    pass


@admin.register(CrontabSchedule)
class CrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin, AgntModelAdmin):
    pass
