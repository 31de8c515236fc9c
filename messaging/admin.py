"""Back office for channel bindings, the interaction log and conversation snapshots."""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.utils.html import format_html
from unfold.admin import TabularInline

from agnt.admin_tools import AgntModelAdmin, EstimatedCountPaginator, ReadOnlyAdminMixin, UserSearchMixin
from agnt.crypto import InvalidToken
from messaging.models import ConversationSnapshot, Interaction, PushNotification, UserChannel


class UserChannelInline(TabularInline):
    """For the User admin page: where this person talks to us."""

    model = UserChannel
    fk_name = "user"
    extra = 0
    fields = ("platform", "external_id", "username", "display_name", "is_active", "last_inbound_at")
    readonly_fields = ("platform", "external_id", "last_inbound_at")
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        # bindings are created by the first inbound message (user_channel_bind)
        return False


@admin.register(UserChannel)
class UserChannelAdmin(AgntModelAdmin):
    list_display = ("__str__", "user", "platform", "external_id", "is_active", "last_inbound_at", "created_at")
    list_filter = ("platform", "is_active", ("window_closed_at", admin.EmptyFieldListFilter))
    search_fields = ("external_id", "username", "display_name", "user__username", "user__email", "user__phone")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    readonly_fields = ("last_inbound_at", "last_outbound_at", "window_closed_at", "created_at", "updated_at")


# The expression of the GIN index interaction_text_search (messaging/models.py): a query must
# use the very same expression for PostgreSQL to use the index.
TEXT_DOCUMENT = SearchVector("text", config="simple")
TEXT_SEARCH_MAX_CHARS = 200


@admin.register(Interaction)
class InteractionAdmin(UserSearchMixin, ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("created_at", "platform", "direction", "source", "kind", "status", "user", "short_text")
    # fixed-option filters only (choices, booleans, dates): no DISTINCT over a million rows
    list_filter = ("platform", "direction", "status", "kind", "source", "created_at")
    # Indexed lookups only, never a LIKE scan of a million rows: the words of the message text
    # (full-text search on the GIN index interaction_text_search), the exact provider message
    # id, a user's exact username / e-mail (UserSearchMixin) or a channel's exact external id
    # (chat id, phone number).
    search_fields = ("provider_message_id__exact",)
    search_help_text = (
        'Words of the message (all of them; "a phrase" in quotes, -word to exclude), an exact provider '
        "message id, chat id / phone number, or a user's exact username / e-mail"
    )
    # The page's users are fetched by id (prefetch), not joined: for a searched word the planner
    # guesses 0.5 % of a million rows and would hash-join the whole user table to place them.
    list_select_related = False
    paginator = EstimatedCountPaginator
    exclude = ("payload",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("user")

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term and len(term) <= 191:
            channels = list(UserChannel.objects.filter(external_id=term).values_list("pk", flat=True)[:50])
            if channels:
                results = results | queryset.filter(channel_id__in=channels)
        if term and len(term) <= TEXT_SEARCH_MAX_CHARS:
            results = results | queryset.alias(text_document=TEXT_DOCUMENT).filter(
                text_document=SearchQuery(term, config="simple", search_type="websearch")
            )
        return results, may_have_duplicates

    readonly_fields = (
        "user",
        "channel",
        "platform",
        "direction",
        "source",
        "kind",
        "status",
        "provider_message_id",
        "text",
        "payload_json",
        "error",
        "attempts",
        "next_attempt_at",
        "booking",
        "api_key",
        "reply_to",
        "tokens_in",
        "tokens_out",
        "sent_at",
        "delivered_at",
        "read_at",
        "created_at",
        "updated_at",
    )

    actions = ("retry_failed",)

    @admin.display(description="text")
    def short_text(self, obj: Interaction) -> str:
        return obj.text[:80]

    @admin.action(description="Retry failed messages (resend outbound, answer inbound again)", permissions=["retry"])
    def retry_failed(self, request, queryset):
        from messaging.services import interaction_retry_failed

        sent, drained = interaction_retry_failed(
            interactions=queryset.filter(status="failed").select_related("channel")
        )
        self.message_user(
            request,
            f"Queued {len(sent)} message(s) to resend and {len(drained)} conversation(s) to answer again; "
            "selected messages that had not failed were left alone.",
        )

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("messaging.view_interaction") and request.user.is_staff

    @admin.display(description="payload")
    def payload_json(self, obj: Interaction) -> str:
        return format_html(
            '<pre style="white-space:pre-wrap;max-width:60rem">{}</pre>',
            json.dumps(obj.payload, indent=2, ensure_ascii=False, default=str),
        )


@admin.register(ConversationSnapshot)
class ConversationSnapshotAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("user", "platform", "reason", "message_count", "taken_at")
    list_filter = ("platform", "reason")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    date_hierarchy = "taken_at"
    # the list never decrypts; the change page (one row, one audited view) does
    fields = (
        "user",
        "platform",
        "reason",
        "message_count",
        "first_message_at",
        "last_message_at",
        "taken_at",
        "decrypted_messages",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        # the ciphertext can be large; the change page loads it for its single row
        return super().get_queryset(request).defer("messages_ciphertext")

    @admin.display(description="messages (decrypted)")
    def decrypted_messages(self, obj: ConversationSnapshot) -> str:
        try:
            messages = obj.decrypt_messages()
        except InvalidToken:
            return "Cannot decrypt: the key that encrypted this snapshot is no longer in FERNET_KEYS."
        return format_html(
            '<pre style="white-space:pre-wrap;max-width:60rem">{}</pre>',
            json.dumps(messages, indent=2, ensure_ascii=False, default=str),
        )


@admin.register(PushNotification)
class PushNotificationAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    """The Web Push outbox: what was (or will be) shown in users' browsers."""

    list_display = ("created_at", "user", "kind", "title", "status", "attempts", "sent_at")
    list_filter = ("status", "kind")
    list_select_related = ("user",)
    search_fields = ("user__username", "title", "dedupe_key")
    date_hierarchy = "created_at"
