"""Back office for the agent network: registry, cards, envelopes, API keys, webhooks."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from agents import services
from agents.models import (
    A2AEnvelope,
    Agent,
    AgentCard,
    AgentKind,
    ApiKey,
    CardResponse,
    EnvelopeEvent,
    GatewayMessage,
    ProjectMemory,
    WebhookDelivery,
    WebhookSubscription,
)
from agents.network import cards, registry
from agents.platform import webhook_client
from agents.state import EnvelopeStatus
from agnt.admin_tools import (
    AgntModelAdmin,
    EstimatedCountPaginator,
    EventLogInline,
    ReadOnlyAdminMixin,
)


def pretty_json(value) -> str:
    return format_html(
        '<pre style="white-space:pre-wrap;max-width:60rem">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str),
    )


# --- Registry ------------------------------------------------------------------------------


class AgentForm(forms.ModelForm):
    """Validates the DNA with the registry's rules, so the admin cannot store what the service refuses."""

    class Meta:
        model = Agent
        fields = "__all__"

    def clean_policies(self):
        try:
            return registry._clean_policies(self.cleaned_data.get("policies") or {})
        except registry.AgentDnaError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_languages(self):
        languages = self.cleaned_data.get("languages") or []
        bad = [code for code in languages if not registry.LANGUAGE_RE.match(code)]
        if bad:
            raise forms.ValidationError(f"not language codes: {', '.join(bad)}")
        return languages

    def clean_skills(self):
        skills = self.cleaned_data.get("skills") or []
        unknown = sorted(set(skills) - set(A2AEnvelope.Intent.values))
        if unknown:
            raise forms.ValidationError(f"unknown skills (A2A intents): {', '.join(unknown)}")
        return skills


def _republish(request, agents) -> tuple[int, int, int]:
    """card_publish for each platform/venue agent; returns (changed, unchanged, skipped)."""
    changed = unchanged = skipped = 0
    for agent in agents:
        if agent.kind == AgentKind.CONSUMER:
            skipped += 1  # consumer agents have no public card
            continue
        try:
            _, did_change = cards.card_publish(agent=agent)
        except cards.CardError as exc:
            messages.error(request, f"{agent.agent_id}: {exc}")
            skipped += 1
            continue
        changed += int(did_change)
        unchanged += int(not did_change)
    return changed, unchanged, skipped


@admin.register(Agent)
class AgentAdmin(AgntModelAdmin):
    form = AgentForm
    list_display = (
        "agent_id",
        "kind",
        "display_name",
        "status",
        "owner",
        "card_published",
        "last_seen_at",
        "created_at",
    )
    list_filter = ("kind", "status")
    search_fields = ("agent_id", "display_name", "user__username", "user__email", "venue__name", "venue__slug")
    list_select_related = ("user", "venue", "card")
    autocomplete_fields = ("user", "venue")
    readonly_fields = (
        "inbox_key_hash",
        "last_seen_at",
        "created_at",
        "updated_at",
        "card_url",
        "card_etag",
        "card_json",
    )
    fieldsets = (
        (None, {"fields": ("agent_id", "kind", "display_name", "status", "user", "venue", "endpoint_url")}),
        ("DNA", {"fields": ("persona", "languages", "skills", "policies")}),
        ("AgentCard", {"fields": ("card_url", "card_etag", "card_json")}),
        ("Gateway", {"fields": ("inbox_key_hash", "last_seen_at", "created_at", "updated_at")}),
    )
    actions = ("pause_agents", "activate_agents", "republish_cards")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("card", "venue__city")

    def get_readonly_fields(self, request, obj=None):
        # envelopes address agents by agent_id; changing it (or its owner) would orphan them
        fixed = ("agent_id", "kind", "user", "venue") if obj else ()
        return (*fixed, *self.readonly_fields)

    @admin.display(description="owner")
    def owner(self, obj: Agent) -> str:
        return str(obj.venue or obj.user or "platform")

    @staticmethod
    def _card(obj: Agent) -> AgentCard | None:
        try:
            return obj.card
        except AgentCard.DoesNotExist:
            return None

    @admin.display(description="card published")
    def card_published(self, obj: Agent):
        card = self._card(obj)
        return card.published_at if card else "—"

    @admin.display(description="public URL")
    def card_url(self, obj: Agent) -> str:
        if obj.kind == AgentKind.PLATFORM:
            url = cards.platform_card_url()
        elif obj.kind == AgentKind.VENUE and obj.venue is not None:
            url = cards.venue_card_url(obj.venue)
        else:
            return "— (consumer agents have no public card)"
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description="etag")
    def card_etag(self, obj: Agent) -> str:
        card = self._card(obj)
        if card is None:
            return "not published yet"
        published = f"{card.published_at:%Y-%m-%d %H:%M}" if card.published_at else "—"
        return f"{card.etag} (v{card.version}, published {published})"

    @admin.display(description="card")
    def card_json(self, obj: Agent) -> str:
        card = self._card(obj)
        return pretty_json(card.card) if card else "—"

    def save_model(self, request, obj: Agent, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if (
            change
            and obj.kind != AgentKind.CONSUMER
            and {"persona", "languages", "skills", "policies", "display_name", "endpoint_url", "status"}
            & set(form.changed_data)
        ):
            # the public card shows the DNA: publish the new one now, not at the next refresh
            changed, _, _ = _republish(request, [obj])
            if changed:
                self.message_user(request, "The agent's card was republished.")

    @admin.action(description="Pause selected agents", permissions=["change"])
    def pause_agents(self, request, queryset):
        for agent in queryset:
            services.agent_set_status(agent=agent, status=Agent.Status.PAUSED)
        self.message_user(request, f"Paused {queryset.count()} agent(s).")

    @admin.action(description="Activate selected agents", permissions=["change"])
    def activate_agents(self, request, queryset):
        for agent in queryset:
            services.agent_set_status(agent=agent, status=Agent.Status.ACTIVE)
        self.message_user(request, f"Activated {queryset.count()} agent(s).")

    @admin.action(description="Republish AgentCards of selected agents", permissions=["change"])
    def republish_cards(self, request, queryset):
        changed, unchanged, skipped = _republish(request, queryset.select_related("venue__city"))
        self.message_user(
            request,
            f"Republished {changed} card(s); {unchanged} unchanged; {skipped} skipped (consumer agents have no card).",
        )


@admin.register(AgentCard)
class AgentCardAdmin(AgntModelAdmin):
    list_display = ("agent", "version", "protocol_version", "short_etag", "published_at", "updated_at")
    search_fields = ("agent__agent_id", "agent__display_name")
    list_select_related = ("agent",)
    readonly_fields = ("agent", "version", "protocol_version", "etag", "published_at", "card_json", "updated_at")
    exclude = ("card",)
    actions = ("republish_cards",)

    def has_add_permission(self, request) -> bool:
        # cards are published by agent_card_publish (from the agent's DNA), not typed in
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # shown, never typed over: the next refresh would overwrite a hand edit anyway
        return False

    def has_republish_permission(self, request) -> bool:
        return request.user.has_perm("agents.change_agentcard")

    @admin.display(description="etag")
    def short_etag(self, obj: AgentCard) -> str:
        return obj.etag[:12]

    @admin.display(description="card")
    def card_json(self, obj: AgentCard) -> str:
        return pretty_json(obj.card)

    @admin.action(description="Rebuild and republish selected cards", permissions=["republish"])
    def republish_cards(self, request, queryset):
        agents = [card.agent for card in queryset.select_related("agent__venue__city")]
        changed, unchanged, skipped = _republish(request, agents)
        self.message_user(request, f"Republished {changed} card(s); {unchanged} unchanged; {skipped} skipped.")


# --- Envelopes ------------------------------------------------------------------------------


class EnvelopeEventInline(EventLogInline):
    model = EnvelopeEvent
    fields = ("created_at", "from_status", "to_status", "error", "data")


@admin.register(A2AEnvelope)
class A2AEnvelopeAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = (
        "envelope_id",
        "intent",
        "direction",
        "from_agent_id",
        "to_agent_id",
        "booking_ref",
        "status",
        "attempts",
        "created_at",
    )
    list_filter = ("status", "intent", "direction")
    # a booking reference (AG-7K3Q9D) finds every envelope of that negotiation
    search_fields = ("=envelope_id", "=correlation_id", "=booking__external_ref", "from_agent_id", "to_agent_id")
    search_help_text = "Envelope id, correlation id or booking reference (exact), or an agent id."
    list_select_related = ("booking",)
    date_hierarchy = "created_at"
    paginator = EstimatedCountPaginator
    inlines = (EnvelopeEventInline,)
    exclude = ("payload",)
    readonly_fields = (
        "envelope_id",
        "intent",
        "direction",
        "status",
        "from_agent_id",
        "to_agent_id",
        "booking",
        "api_key",
        "correlation_id",
        "payload_json",
        "signature",
        "signed_at",
        "priority",
        "ttl_ms",
        "expires_at",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
        "delivered_at",
        "processed_at",
        "created_at",
        "updated_at",
    )
    actions = ("requeue_envelopes",)

    def has_requeue_permission(self, request) -> bool:
        return request.user.has_perm("agents.change_a2aenvelope")

    @admin.display(description="payload")
    def payload_json(self, obj: A2AEnvelope) -> str:
        return pretty_json(obj.payload)

    @admin.display(description="booking", ordering="booking__external_ref")
    def booking_ref(self, obj: A2AEnvelope) -> str:
        return (obj.booking.external_ref or str(obj.booking.pk)) if obj.booking_id else "—"

    @admin.action(description="Retry failed envelopes (re-queue)", permissions=["requeue"])
    def requeue_envelopes(self, request, queryset):
        moved = 0
        for envelope in queryset.filter(status=EnvelopeStatus.FAILED):
            try:
                services.envelope_transition(
                    envelope=envelope, to_status=EnvelopeStatus.QUEUED, data={"requeued_by": str(request.user)}
                )
                moved += 1
            except services.EnvelopeTransitionError:
                pass  # moved on (expired) since the page was loaded
        skipped = queryset.count() - moved
        self.message_user(
            request,
            f"Re-queued {moved} envelope(s); {skipped} skipped (only failed ones can be retried).",
            messages.SUCCESS if moved else messages.WARNING,
        )


@admin.register(EnvelopeEvent)
class EnvelopeEventAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    list_display = ("envelope", "from_status", "to_status", "created_at")
    list_filter = ("to_status",)
    search_fields = ("envelope__envelope_id",)
    list_select_related = ("envelope",)
    paginator = EstimatedCountPaginator


@admin.register(GatewayMessage)
class GatewayMessageAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    """The built-in gateway's inboxes: a log, never edited by hand."""

    list_display = (
        "created_at",
        "recipient",
        "from_agent_id",
        "envelope_id",
        "priority",
        "status",
        "push_attempts",
        "delivered_at",
    )
    list_filter = ("status", "sent_with")
    search_fields = ("=envelope_id", "recipient__agent_id", "from_agent_id")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
    paginator = EstimatedCountPaginator
    exclude = ("payload",)
    readonly_fields = (
        "recipient",
        "from_agent_id",
        "envelope_id",
        "payload_json",
        "priority",
        "status",
        "sent_with",
        "push_attempts",
        "last_error",
        "expires_at",
        "delivered_at",
        "created_at",
    )

    @admin.display(description="payload")
    def payload_json(self, obj: GatewayMessage) -> str:
        return pretty_json(obj.payload)


# --- API keys -------------------------------------------------------------------------------


class ApiKeyAddForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("owner", "name", "tier", "scopes", "expires_at")


@admin.register(ApiKey)
class ApiKeyAdmin(AgntModelAdmin):
    list_display = ("name", "prefix", "owner", "tier", "last_used_at", "bookings_total", "active", "created_at")
    list_filter = ("tier", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "owner__username", "owner__email")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    readonly_fields = (
        "prefix",
        "last_used_at",
        "bookings_total",
        "revoked_at",
        "revoked_reason",
        "created_at",
        "updated_at",
    )
    actions = ("revoke_keys",)
    add_fieldsets = ((None, {"fields": ("owner", "name", "tier", "scopes", "expires_at")}),)
    fieldsets = (
        (None, {"fields": ("owner", "name", "prefix", "tier", "scopes", "rate_limit_per_minute", "expires_at")}),
        ("Usage", {"fields": ("last_used_at", "bookings_total")}),
        ("Revocation", {"fields": ("revoked_at", "revoked_reason")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return ("owner", *self.readonly_fields) if obj else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    @admin.display(boolean=True, description="active")
    def active(self, obj: ApiKey) -> bool:
        return obj.is_active

    def save_model(self, request, obj: ApiKey, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # the service generates and hashes the secret; the admin shows the plaintext once
        created, plaintext = services.api_key_create(
            owner=obj.owner, name=obj.name, tier=obj.tier, scopes=obj.scopes, expires_at=obj.expires_at
        )
        obj.pk = created.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            format_html("API key created. Copy it now, it will not be shown again: <code>{}</code>", plaintext),
            messages.WARNING,
        )

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_keys(self, request, queryset):
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            services.api_key_revoke(api_key=api_key, reason=f"revoked by {request.user} in the admin")
            count += 1
        self.message_user(request, f"Revoked {count} key(s); their webhooks are disabled.")


# --- Webhooks -------------------------------------------------------------------------------


class WebhookSubscriptionForm(forms.ModelForm):
    """Validates the URL with the same SSRF guard and rules the service applies."""

    class Meta:
        model = WebhookSubscription
        fields = ("api_key", "url", "events", "description")

    def clean_url(self):
        try:
            return webhook_client.check_url(self.cleaned_data.get("url") or "").geturl()
        except webhook_client.WebhookUrlRejected as exc:
            raise forms.ValidationError(str(exc)) from exc


class FailingFilter(admin.SimpleListFilter):
    title = "health"
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return (("failing", "Failing now"), ("healthy", "Healthy"))

    def queryset(self, request, queryset):
        if self.value() == "failing":
            return queryset.filter(consecutive_failures__gt=0)
        if self.value() == "healthy":
            return queryset.filter(consecutive_failures=0)
        return queryset


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(AgntModelAdmin):
    form = WebhookSubscriptionForm
    list_display = (
        "url",
        "api_key",
        "event_list",
        "is_active",
        "consecutive_failures",
        "last_success_at",
        "disabled_reason",
    )
    list_filter = ("is_active", FailingFilter)
    search_fields = ("url", "description", "api_key__name", "api_key__prefix", "api_key__owner__email")
    list_select_related = ("api_key",)
    autocomplete_fields = ("api_key",)
    readonly_fields = (
        "is_active",
        "consecutive_failures",
        "failing_since",
        "last_success_at",
        "last_failure_at",
        "disabled_at",
        "disabled_reason",
        "created_at",
        "updated_at",
    )
    actions = ("disable_subscriptions", "enable_subscriptions", "rotate_secrets", "send_test_events")

    def get_readonly_fields(self, request, obj=None):
        return ("api_key", *self.readonly_fields) if obj else self.readonly_fields

    @admin.display(description="events")
    def event_list(self, obj: WebhookSubscription) -> str:
        return ", ".join(obj.events) or "all"

    def save_model(self, request, obj: WebhookSubscription, form, change: bool) -> None:
        if change:
            services.webhook_subscription_update(
                subscription=obj, url=obj.url, events=obj.events, description=obj.description
            )
            return
        created, secret = services.webhook_subscription_create(
            api_key=obj.api_key, url=obj.url, events=obj.events, description=obj.description
        )
        obj.pk = created.pk
        obj.refresh_from_db()
        # The receiver needs the signing secret to verify; it is shown here once and
        # never again (the column holds only ciphertext).
        self.message_user(
            request,
            format_html("Signing secret (shown once, pass it to the developer): <code>{}</code>", secret),
            messages.WARNING,
        )

    @admin.action(description="Disable selected subscriptions", permissions=["change"])
    def disable_subscriptions(self, request, queryset):
        for subscription in queryset.filter(is_active=True):
            services.webhook_subscription_disable(subscription=subscription, reason=f"disabled by {request.user}")
        self.message_user(request, "Disabled the selected subscriptions.")

    @admin.action(description="Enable selected subscriptions", permissions=["change"])
    def enable_subscriptions(self, request, queryset):
        enabled, refused = 0, 0
        for subscription in queryset.select_related("api_key").filter(is_active=False):
            try:
                services.webhook_subscription_enable(subscription=subscription)
                enabled += 1
            except ValueError:
                refused += 1
        self.message_user(
            request,
            f"Enabled {enabled} subscription(s); {refused} refused (revoked key).",
            messages.SUCCESS if not refused else messages.WARNING,
        )

    @admin.action(description="Rotate the signing secret (shows the new one once)", permissions=["change"])
    def rotate_secrets(self, request, queryset):
        for subscription in queryset:
            secret = services.webhook_subscription_rotate_secret(subscription=subscription)
            self.message_user(
                request,
                format_html("New signing secret for {} (shown once): <code>{}</code>", subscription.url, secret),
                messages.WARNING,
            )

    @admin.action(description="Send a test event (webhook.ping) now", permissions=["change"])
    def send_test_events(self, request, queryset):
        for subscription in queryset.select_related("api_key"):
            try:
                delivery = services.webhook_test_send(subscription=subscription)
            except ValueError as exc:
                self.message_user(request, f"{subscription.url}: {exc}", messages.ERROR)
                continue
            if delivery.status == WebhookDelivery.Status.SUCCEEDED:
                self.message_user(
                    request,
                    f"{subscription.url}: delivered (HTTP {delivery.response_status}, {delivery.duration_ms} ms).",
                )
            else:
                outcome = f"HTTP {delivery.response_status}" if delivery.response_status else delivery.error
                self.message_user(request, f"{subscription.url}: test event failed ({outcome}).", messages.ERROR)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, AgntModelAdmin):
    """Every attempt, read-only. "Replay" sends the message again as the next attempt of the
    same chain (same webhook-id and payload, attempt = last + 1); see webhook_delivery_replay."""

    list_display = (
        "event_id",
        "event_type",
        "subscription",
        "attempt",
        "status",
        "response_status",
        "duration_ms",
        "created_at",
    )
    list_filter = ("status", "event_type", ("response_status", admin.EmptyFieldListFilter))
    search_fields = ("event_id", "subscription__url")
    list_select_related = ("subscription",)
    date_hierarchy = "created_at"
    paginator = EstimatedCountPaginator
    exclude = ("payload",)
    readonly_fields = (
        "subscription",
        "event_id",
        "event_type",
        "payload_json",
        "attempt",
        "status",
        "response_status",
        "response_body",
        "error",
        "duration_ms",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    )
    actions = ("replay_deliveries",)

    def has_replay_permission(self, request) -> bool:
        return request.user.has_perm("agents.change_webhooksubscription")

    @admin.display(description="payload")
    def payload_json(self, obj: WebhookDelivery) -> str:
        return pretty_json(obj.payload)

    @admin.action(description="Replay: send the selected events again", permissions=["replay"])
    def replay_deliveries(self, request, queryset):
        replayed, refused = 0, []
        seen: set[tuple] = set()
        for delivery in queryset.order_by("-attempt"):
            key = (delivery.subscription_id, delivery.event_id)
            if key in seen:
                continue  # two attempts of one event selected: replay the event once
            seen.add(key)
            try:
                services.webhook_delivery_replay(delivery=delivery)
                replayed += 1
            except ValueError as exc:
                refused.append(f"{delivery.event_id}: {exc}")
        self.message_user(request, f"Replayed {replayed} event(s); they are sent now.")
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)


# --- Fleet memory, cards ------------------------------------------------------------------------


@admin.register(ProjectMemory)
class ProjectMemoryAdmin(AgntModelAdmin):
    list_display = ("project", "key", "author", "tags", "expires_at", "updated_at")
    list_filter = ("project",)
    search_fields = ("project", "key", "value", "author")


@admin.register(CardResponse)
class CardResponseAdmin(AgntModelAdmin):
    list_display = ("card_id", "card_kind", "responder", "channel", "created_at")
    list_filter = ("card_kind", "channel")
    search_fields = ("card_id", "responder_handle", "response_text", "user__username", "user__email")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    date_hierarchy = "created_at"

    @admin.display(description="responder")
    def responder(self, obj: CardResponse) -> str:
        return obj.responder_handle or str(obj.user or "—")


# --- OAuth for MCP clients (django-oauth-toolkit; agents/api/oauth.py) --------------------------
# Its models, re-registered with the unfold look (ID tokens stay out: OpenID Connect is off).
# Tokens are looked up on every request, so revoking one here (the action, or deleting it)
# locks its client out at once.
from oauth2_provider import admin as oauth_admin  # noqa: E402
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken  # noqa: E402

from agents.hosted import admin as _hosted_admin  # noqa: E402,F401 - registers the hosted-agent admin

for model in (Application, AccessToken, Grant, IDToken, RefreshToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(Application)
class OAuthApplicationAdmin(oauth_admin.ApplicationAdmin, AgntModelAdmin):
    list_display = ("name", "client_id", "user", "client_type", "registration_source", "created")
    list_select_related = ("user",)


@admin.register(AccessToken)
class OAuthAccessTokenAdmin(oauth_admin.AccessTokenAdmin, AgntModelAdmin):
    list_display = ("pk", "masked_token", "user", "application", "scope", "expires")
    list_select_related = ("user", "application")
    actions = ["revoke_tokens"]

    @admin.action(description="Revoke: the client is locked out on its next request")
    def revoke_tokens(self, request, queryset):
        count = 0
        for token in queryset.select_related("application"):
            token.revoke()  # deletes the token and the refresh token issued with it
            count += 1
        self.message_user(request, f"Revoked {count} access token(s).", messages.SUCCESS)


@admin.register(RefreshToken)
class OAuthRefreshTokenAdmin(oauth_admin.RefreshTokenAdmin, AgntModelAdmin):
    list_select_related = ("user", "application")


@admin.register(Grant)
class OAuthGrantAdmin(oauth_admin.GrantAdmin, AgntModelAdmin):
    list_select_related = ("user", "application")
