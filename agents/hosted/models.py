"""Hosted agents: definitions, immutable versions, deployments, runs and their trace,
allowances with their append-only usage ledger, encrypted provider keys, the owner's
key-value store, agent sessions and demo apps.

These models belong to the ``agents`` app (agents/models.py imports this module), so
their tables are ``agents_*`` and their migrations live in agents/migrations.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q

from agents.hosted.state import RunStatus
from agnt.db import BaseModel, TimestampedModel, choices_check
from agnt.models import ApiTier

FRIENDLY_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"


class Interaction(models.TextChoices):
    FORM = "form", "Form (one input, one output)"
    CHAT = "chat", "Chat (a conversation kept as an agent session)"


class HostedAgent(TimestampedModel):
    """An agent a user wrote: code defining ``handler(event)``, the JSON Schemas of its input
    and output, and what it may reach (tools, MCP servers, other hosted agents, models).

    Every save through ``hosted_agent_create`` / ``hosted_agent_update`` also writes an
    immutable :class:`HostedAgentVersion`; ``current_version`` is its number. Deleting sets
    ``deleted_at`` (runs keep their history) and removes the deployment.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_agents")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    code = models.TextField()
    input_schema = models.JSONField(default=dict, blank=True)
    output_schema = models.JSONField(default=dict, blank=True)
    tools = ArrayField(models.CharField(max_length=120), default=list, blank=True)
    mcp_servers = models.JSONField(default=list, blank=True, help_text='[{"name": "…", "url": "https://…"}]')
    dependencies = ArrayField(
        models.CharField(max_length=64), default=list, blank=True, help_text="Friendly names it may call."
    )
    allowed_models = ArrayField(models.CharField(max_length=120), default=list, blank=True)
    interaction = models.CharField(max_length=8, choices=Interaction.choices, default=Interaction.FORM)
    current_version = models.PositiveIntegerField(default=0)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        verbose_name = "hosted agent"
        constraints = [choices_check("interaction", Interaction, name="hosted_agent_interaction_valid")]
        indexes = [models.Index(fields=["owner", "-created_at"], name="hosted_agent_owner_recent")]

    def __str__(self) -> str:
        return self.name


class HostedAgentVersion(BaseModel):
    """One saved state of a hosted agent. Append-only in the database: a version never changes."""

    agent = models.ForeignKey(HostedAgent, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    code = models.TextField()
    input_schema = models.JSONField(default=dict, blank=True)
    output_schema = models.JSONField(default=dict, blank=True)
    tools = ArrayField(models.CharField(max_length=120), default=list, blank=True)
    mcp_servers = models.JSONField(default=list, blank=True)
    dependencies = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    allowed_models = ArrayField(models.CharField(max_length=120), default=list, blank=True)
    interaction = models.CharField(max_length=8, choices=Interaction.choices, default=Interaction.FORM)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta(BaseModel.Meta):
        verbose_name = "hosted agent version"
        ordering = ["agent", "-number"]
        constraints = [models.UniqueConstraint(fields=["agent", "number"], name="hosted_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private (the owner's keys only)"
    PUBLIC = "public", "Public (any API key)"


class Deployment(TimestampedModel):
    """A hosted agent served at a friendly name, pinned to one version."""

    agent = models.OneToOneField(HostedAgent, on_delete=models.CASCADE, related_name="deployment")
    friendly_name = models.CharField(max_length=64, unique=True)
    version = models.ForeignKey(HostedAgentVersion, on_delete=models.PROTECT, related_name="deployments")
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE)

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("visibility", Visibility, name="deployment_visibility_valid"),
            models.CheckConstraint(
                condition=Q(friendly_name__regex=FRIENDLY_NAME_PATTERN), name="deployment_friendly_name_url_safe"
            ),
        ]

    def __str__(self) -> str:
        return self.friendly_name


class CallerKind(models.TextChoices):
    API_KEY = "api_key", "API key"
    USER = "user", "Signed-in user"
    DEMO = "demo", "Demo page"
    AGENT = "agent", "Another hosted agent (call_agent)"


class AgentRun(TimestampedModel):
    """One execution of a deployed agent (Gofannon's ticket): its input, output or error,
    trace, cost and timings, who asked, and who pays (``payer``: whose allowance)."""

    Status = RunStatus

    agent = models.ForeignKey(HostedAgent, on_delete=models.PROTECT, related_name="runs")
    version = models.ForeignKey(HostedAgentVersion, on_delete=models.PROTECT, related_name="runs")
    friendly_name = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    is_async = models.BooleanField(default=False)
    input = models.JSONField(default=dict, blank=True)
    output = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    cost_micros = models.BigIntegerField(default=0, help_text="Micro-dollars, this run and its sub-runs.")
    held_micros = models.BigIntegerField(default=0, help_text="Allowance held for calls in flight.")
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    caller_kind = models.CharField(max_length=8, choices=CallerKind.choices)
    caller_ref = models.CharField(max_length=80, help_text="apikey:<id>, user:<id>, demo:<id> or run:<id>.")
    api_key = models.ForeignKey(
        "agents.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="hosted_runs"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="hosted_runs_asked"
    )
    demo = models.ForeignKey("agents.DemoApp", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    session = models.ForeignKey(
        "agents.AgentSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hosted_runs_paid")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    depth = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=128, blank=True)

    class Meta(TimestampedModel.Meta):
        verbose_name = "agent run"
        constraints = [
            choices_check("status", RunStatus, name="agent_run_status_valid"),
            choices_check("caller_kind", CallerKind, name="agent_run_caller_kind_valid"),
            models.UniqueConstraint(
                fields=["caller_ref", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="agent_run_idempotency_per_caller",
            ),
            models.CheckConstraint(condition=Q(cost_micros__gte=0), name="agent_run_cost_non_negative"),
        ]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="agent_run_status_heartbeat"),
            models.Index(fields=["agent", "-created_at"], name="agent_run_agent_recent"),
            models.Index(fields=["payer", "-created_at"], name="agent_run_payer_recent"),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"


class RunEventKind(models.TextChoices):
    STATUS = "status", "Status change"
    LOG = "log", "log()"
    LLM = "llm", "call_llm"
    TOOL = "tool", "call_tool"
    AGENT = "agent", "call_agent"
    OUTPUT = "output", "Output"
    ERROR = "error", "Error"


class RunEvent(BaseModel):
    """One entry of a run's trace, numbered from 1. Append-only; /runs/{id}/events streams them."""

    run = models.ForeignKey(AgentRun, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=RunEventKind.choices)
    data = models.JSONField(default=dict, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ["run", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["run", "seq"], name="run_event_seq_unique"),
            choices_check("kind", RunEventKind, name="run_event_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} #{self.seq} {self.kind}"


class Allowance(TimestampedModel):
    """A user's hosted-agent allowance for the current period, in integer micro-dollars.

    ``remaining`` = allowance − spent; ``available`` = remaining − reserved. Both are kept
    non-negative by CHECK constraints; every change happens under ``SELECT … FOR UPDATE``
    and money that moves writes a :class:`UsageEntry`, so the ledger of a period sums to
    ``remaining``. ``overage_micros`` is what a paid plan used past the allowance (metered
    to Stripe), never a negative balance.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_allowance")
    plan = models.CharField(max_length=12, choices=ApiTier.choices, default=ApiTier.FREE)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    allowance_micros = models.BigIntegerField(default=0)
    spent_micros = models.BigIntegerField(default=0)
    reserved_micros = models.BigIntegerField(default=0)
    overage_micros = models.BigIntegerField(default=0)
    overage_metered_cents = models.BigIntegerField(default=0, help_text="Whole cents of overage sent to Stripe.")

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("plan", ApiTier, name="allowance_plan_valid"),
            models.CheckConstraint(condition=Q(spent_micros__gte=0), name="allowance_spent_non_negative"),
            models.CheckConstraint(condition=Q(reserved_micros__gte=0), name="allowance_reserved_non_negative"),
            models.CheckConstraint(condition=Q(overage_micros__gte=0), name="allowance_overage_non_negative"),
            models.CheckConstraint(
                condition=Q(allowance_micros__gte=F("spent_micros") + F("reserved_micros")),
                name="allowance_never_below_zero",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.plan} allowance"

    @property
    def remaining_micros(self) -> int:
        return self.allowance_micros - self.spent_micros

    @property
    def available_micros(self) -> int:
        return self.allowance_micros - self.spent_micros - self.reserved_micros


class UsageKind(models.TextChoices):
    GRANT = "grant", "Period grant"
    EXPIRE = "expire", "Unused allowance expired at the period end"
    CHARGE = "charge", "Run cost"
    OVERAGE = "overage", "Paid plan usage past the allowance (metered)"
    ADJUST = "adjust", "Staff adjustment"


class UsageEntry(BaseModel):
    """One movement of a user's allowance. Append-only in the database.

    The entries of one period sum to the allowance's ``remaining_micros`` (overage entries
    carry 0 with the overage in ``overage_micros``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hosted_usage")
    kind = models.CharField(max_length=8, choices=UsageKind.choices)
    amount_micros = models.BigIntegerField()
    overage_micros = models.BigIntegerField(default=0)
    balance_after_micros = models.BigIntegerField()
    period_start = models.DateTimeField()
    run = models.ForeignKey(AgentRun, null=True, blank=True, on_delete=models.PROTECT, related_name="usage")
    agent = models.ForeignKey(HostedAgent, null=True, blank=True, on_delete=models.PROTECT, related_name="usage")
    description = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="hosted_usage_made"
    )

    class Meta(BaseModel.Meta):
        verbose_name = "usage entry"
        verbose_name_plural = "usage ledger"
        constraints = [
            choices_check("kind", UsageKind, name="usage_entry_kind_valid"),
            models.CheckConstraint(condition=Q(balance_after_micros__gte=0), name="usage_balance_non_negative"),
            models.CheckConstraint(condition=~Q(kind=UsageKind.ADJUST) | ~Q(reason=""), name="usage_adjust_has_reason"),
        ]
        indexes = [models.Index(fields=["user", "period_start"], name="usage_user_period")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_micros} µ$"


class LlmProvider(models.TextChoices):
    ANTHROPIC = "anthropic", "Anthropic"


class ProviderKey(TimestampedModel):
    """A user's own LLM provider key, Fernet-encrypted (agnt.crypto); used only for their
    own agents' runs. Only the last four characters are ever shown."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_keys")
    provider = models.CharField(max_length=16, choices=LlmProvider.choices)
    key_encrypted = models.TextField()
    last_four = models.CharField(max_length=4)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("provider", LlmProvider, name="provider_key_provider_valid"),
            models.UniqueConstraint(fields=["owner", "provider"], name="provider_key_one_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} …{self.last_four}"


class KvEntry(TimestampedModel):
    """One value in an agent owner's key-value store (kv_get / kv_set), shared by that owner's agents."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_kv")
    key = models.CharField(max_length=200)
    value = models.JSONField(null=True)

    class Meta(TimestampedModel.Meta):
        verbose_name = "key-value entry"
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="kv_owner_key_unique")]


class AgentSession(TimestampedModel):
    """A conversation with a chat-style hosted agent (a demo page's chat box)."""

    agent = models.ForeignKey(HostedAgent, on_delete=models.CASCADE, related_name="sessions")
    demo = models.ForeignKey("agents.DemoApp", null=True, blank=True, on_delete=models.CASCADE, related_name="sessions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    messages = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        verbose_name = "agent session"


class DemoApp(TimestampedModel):
    """A demo page at /demos/<slug> for a deployed hosted agent: a form built from its input
    schema (or a chat box), its own rate limit, and a spend cap charged to the owner."""

    agent = models.ForeignKey(HostedAgent, on_delete=models.CASCADE, related_name="demos")
    slug = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_public = models.BooleanField(default=False)
    rate_limit_per_minute = models.PositiveIntegerField(default=10)
    spend_cap_micros = models.BigIntegerField(default=100_000, help_text="Micro-dollars the demo may spend in total.")
    spent_micros = models.BigIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta(TimestampedModel.Meta):
        verbose_name = "demo app"
        constraints = [
            models.CheckConstraint(condition=Q(spent_micros__gte=0), name="demo_spent_non_negative"),
            models.CheckConstraint(condition=Q(spend_cap_micros__gte=0), name="demo_cap_non_negative"),
        ]

    def __str__(self) -> str:
        return self.slug
