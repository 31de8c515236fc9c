"""CRM: contacts, sales-pipeline deals, notes and the activity timeline.

Rows with a venue belong to that venue's back office (its guests, suppliers, corporate
clients); rows without one are the platform's own sales CRM (venues we are signing up).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from agnt.db import TimestampedModel, choices_check
from crm.state import CLOSED_STAGES, DealStage


class LifecycleStage(models.TextChoices):
    LEAD = "lead", "Lead"
    PROSPECT = "prospect", "Prospect"
    CUSTOMER = "customer", "Customer"
    CHURNED = "churned", "Churned"


class ContactSource(models.TextChoices):
    BOOKING = "booking", "Booking"
    WALK_IN = "walk_in", "Walk-in"
    INSTAGRAM = "instagram", "Instagram"
    WHATSAPP = "whatsapp", "WhatsApp"
    WEBSITE = "website", "Website"
    REFERRAL = "referral", "Referral"
    EVENT = "event", "Event"
    OUTBOUND = "outbound", "Outbound (sales)"
    IMPORT = "import", "Import"
    OTHER = "other", "Other"


class CrmContact(TimestampedModel):
    """A person in a CRM: a venue's guest or client, or (no venue) a platform sales contact."""

    LifecycleStage = LifecycleStage

    venue = models.ForeignKey(
        "venues.Venue",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="crm_contacts",
        help_text="Empty: the platform's own sales CRM.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_crm_contacts",
        help_text="Team member responsible for this contact.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_records",
        help_text="The AGNT account of this person, when they have one (e.g. a guest who booked).",
    )
    full_name = models.CharField(max_length=160)
    email = models.EmailField(blank=True, help_text="Stored lower-case.")
    phone = models.CharField(max_length=32, blank=True)
    company = models.CharField(max_length=160, blank=True)
    role = models.CharField("job title", max_length=120, blank=True)
    lifecycle_stage = models.CharField(max_length=10, choices=LifecycleStage.choices, default=LifecycleStage.LEAD)
    source = models.CharField(max_length=12, choices=ContactSource.choices, default=ContactSource.OTHER)
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    last_contacted_at = models.DateTimeField(null=True, blank=True)
    # Kept by crm_contacts_sync_from_bookings (the crm_contact_sync job) from this venue's
    # own bookings; the venue's typed fields (name, e-mail, stage, tags) are never overwritten.
    visits = models.PositiveIntegerField(default=0, help_text="Completed bookings at this venue.")
    no_shows = models.PositiveIntegerField(default=0, help_text="Bookings at this venue the guest did not come to.")
    last_visit_at = models.DateTimeField(null=True, blank=True, help_text="Start of the last completed booking.")
    allergies = ArrayField(
        models.CharField(max_length=60),
        default=list,
        blank=True,
        help_text="What the guest told this venue in their booking requests; never another venue's data.",
    )

    class Meta(TimestampedModel.Meta):
        ordering = ["full_name"]
        verbose_name = "CRM contact"
        constraints = [
            # one contact per guest account per CRM: the booking sync upserts on it
            models.UniqueConstraint(fields=["venue", "user"], name="crm_contact_venue_user_unique"),
            choices_check("lifecycle_stage", LifecycleStage, name="crm_contact_lifecycle_stage_valid"),
            choices_check("source", ContactSource, name="crm_contact_source_valid"),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="crm_contact_email_lowercase"),
            # one contact per e-mail per CRM (the platform CRM, venue NULL, counts as one CRM)
            models.UniqueConstraint(
                fields=["venue", "email"],
                name="crm_contact_venue_email_unique",
                condition=~Q(email=""),
                nulls_distinct=False,
            ),
        ]
        indexes = [
            models.Index(fields=["venue", "email"], name="crm_contact_venue_email"),
            models.Index(fields=["venue", "phone"], name="crm_contact_venue_phone"),
            models.Index(fields=["venue", "lifecycle_stage"], name="crm_contact_venue_stage"),
            GinIndex(fields=["tags"], name="crm_contact_tags_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.company})" if self.company else self.full_name


class CrmDeal(TimestampedModel):
    """A sales opportunity with one contact, moving through the pipeline in crm.state.DEAL_TRANSITIONS."""

    Stage = DealStage

    contact = models.ForeignKey(CrmContact, on_delete=models.PROTECT, related_name="deals")
    venue = models.ForeignKey(
        "venues.Venue",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="crm_deals",
        help_text="The CRM this deal belongs to; same as the contact's.",
    )
    title = models.CharField(max_length=200)
    value = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="IDR")
    stage = models.CharField(max_length=12, choices=DealStage.choices, default=DealStage.LEAD)
    stage_changed_at = models.DateTimeField(null=True, blank=True, help_text="For stale-deal reminders.")
    expected_close_date = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_crm_deals"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    lost_reason = models.CharField(max_length=300, blank=True)
    stale_reminded_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the owner was told this deal had stalled; cleared when its stage moves.",
    )

    class Meta(TimestampedModel.Meta):
        verbose_name = "CRM deal"
        constraints = [
            choices_check("stage", DealStage, name="crm_deal_stage_valid"),
            models.CheckConstraint(condition=Q(value__gte=0), name="crm_deal_value_non_negative"),
            models.CheckConstraint(
                condition=Q(stage__in=sorted(CLOSED_STAGES), closed_at__isnull=False)
                | (~Q(stage__in=sorted(CLOSED_STAGES)) & Q(closed_at__isnull=True)),
                name="crm_deal_closed_at_iff_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["venue", "stage"], name="crm_deal_venue_stage"),
            models.Index(fields=["owner", "stage"], name="crm_deal_owner_stage"),
            models.Index(fields=["stage", "stage_changed_at"], name="crm_deal_stage_age"),
        ]

    def __str__(self) -> str:
        return self.title


class CrmNote(TimestampedModel):
    """A free-form note on a contact or a deal (a note on a deal is also filed under its contact)."""

    contact = models.ForeignKey(CrmContact, null=True, blank=True, on_delete=models.CASCADE, related_name="notes")
    deal = models.ForeignKey(CrmDeal, null=True, blank=True, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_notes"
    )
    body = models.TextField()
    pinned = models.BooleanField(default=False)

    class Meta(TimestampedModel.Meta):
        ordering = ["-pinned", "-created_at"]
        verbose_name = "CRM note"
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False) | Q(deal__isnull=False), name="crm_note_has_subject"
            ),
        ]
        indexes = [
            models.Index(fields=["contact", "-created_at"], name="crm_note_contact_recent"),
            models.Index(fields=["deal", "-created_at"], name="crm_note_deal_recent"),
        ]

    def __str__(self) -> str:
        return self.body[:60]


class ActivityKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    MEETING = "meeting", "Meeting"
    WHATSAPP = "whatsapp", "WhatsApp"
    TASK = "task", "Task"
    STAGE_CHANGE = "stage_change", "Stage change"


# Kinds that count as talking to the contact (they move last_contacted_at).
TOUCH_KINDS = frozenset({ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING, ActivityKind.WHATSAPP})


class CrmActivity(TimestampedModel):
    """One entry of a contact's or deal's timeline: a call, e-mail, meeting, message, task or stage move.

    A planned activity has ``due_at`` and no ``completed_at`` yet; a logged one is completed.
    """

    Kind = ActivityKind

    kind = models.CharField(max_length=14, choices=ActivityKind.choices)
    contact = models.ForeignKey(CrmContact, null=True, blank=True, on_delete=models.CASCADE, related_name="activities")
    deal = models.ForeignKey(CrmDeal, null=True, blank=True, on_delete=models.CASCADE, related_name="activities")
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_activities"
    )
    data = models.JSONField(default=dict, blank=True, help_text="Stage changes: {'from': …, 'to': …}.")

    class Meta(TimestampedModel.Meta):
        verbose_name = "CRM activity"
        verbose_name_plural = "CRM activities"
        constraints = [
            choices_check("kind", ActivityKind, name="crm_activity_kind_valid"),
            models.CheckConstraint(
                condition=Q(contact__isnull=False) | Q(deal__isnull=False), name="crm_activity_has_subject"
            ),
            models.CheckConstraint(
                condition=~Q(kind=ActivityKind.STAGE_CHANGE) | Q(deal__isnull=False),
                name="crm_activity_stage_change_has_deal",
            ),
        ]
        indexes = [
            models.Index(fields=["contact", "-created_at"], name="crm_activity_contact_recent"),
            models.Index(fields=["deal", "-created_at"], name="crm_activity_deal_recent"),
            models.Index(
                fields=["actor", "due_at"], name="crm_activity_open_tasks", condition=Q(completed_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"
