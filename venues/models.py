"""Cities, venues, their owners, claims, onboarding and users' venue lists."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from agnt.db import BaseModel, TimestampedModel, choices_check
from venues.hours import validate_opening_hours
from venues.state import (
    OPEN_CLAIM_STATUSES,
    OPEN_ONBOARDING_STEPS,
    OnboardingStep,
    VenueClaimStatus,
)


class City(TimestampedModel):
    """A launch city (Canggu, Seminyak…): where venues are and users live."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    country_code = models.CharField(max_length=2, default="ID")
    region = models.CharField(max_length=80, default="Bali")
    timezone = models.CharField(max_length=64, default="Asia/Makassar")
    currency = models.CharField(max_length=3, default="IDR")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    launched_on = models.DateField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        ordering = ["name"]
        verbose_name_plural = "cities"

    def __str__(self) -> str:
        return self.name


class VenueCategory(models.TextChoices):
    RESTAURANT = "restaurant", "Restaurant"
    CAFE = "cafe", "Café"
    BEACH_CLUB = "beach_club", "Beach club"
    BAR = "bar", "Bar"
    SPA = "spa", "Spa"
    WELLNESS = "wellness", "Wellness & yoga"
    NIGHTCLUB = "nightclub", "Nightclub"
    FITNESS = "fitness", "Fitness"
    ACTIVITY = "activity", "Activity"


class VenueStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    LISTED = "listed", "Listed (unclaimed)"
    ACTIVE = "active", "Active (claimed, taking bookings)"
    PAUSED = "paused", "Paused"
    CLOSED = "closed", "Closed"


class Venue(TimestampedModel):
    """A place people book: restaurant, beach club, spa… with its agent-facing rules.

    ``opening_hours`` maps weekday keys (``mon``…``sun``) to lists of ``["HH:MM", "HH:MM"]``
    intervals in the venue's local time; a closing time before the opening time runs
    past midnight.
    """

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="venues")
    name = models.CharField(max_length=160)
    slug = models.SlugField(max_length=180, unique=True)
    category = models.CharField(max_length=20, choices=VenueCategory.choices)
    status = models.CharField(max_length=10, choices=VenueStatus.choices, default=VenueStatus.LISTED)
    area = models.CharField(max_length=80, blank=True, help_text="Neighbourhood, e.g. Batu Bolong, Berawa, Petitenget.")
    address = models.CharField(max_length=300, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    description = models.TextField(blank=True)
    knowledge_text = models.TextField(blank=True, help_text="Free text the concierge can answer from.")
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    cuisines = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    price_level = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(4)], help_text="1 (budget) to 4 (luxury)."
    )
    average_spend = models.DecimalField(
        "average spend per person", max_digits=10, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(max_length=3, default="IDR")
    capacity = models.PositiveIntegerField(default=40, help_text="Seats / guests at once.")
    opening_hours = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_opening_hours],
        help_text='Days to ranges, e.g. {"mon": [["12:00", "15:00"], ["18:00", "23:00"]], "tue": []} ([] = closed).',
    )
    slot_minutes = models.PositiveSmallIntegerField(default=30)
    booking_duration_minutes = models.PositiveSmallIntegerField(
        default=120, help_text="How long a table is held when a booking does not say when it ends."
    )
    covers_per_slot = models.PositiveSmallIntegerField(default=20, help_text="Pacing: guests that may arrive per slot.")
    min_party_size = models.PositiveSmallIntegerField(default=1)
    max_party_size = models.PositiveSmallIntegerField(default=10)
    booking_lead_minutes = models.PositiveIntegerField(default=60, help_text="Bookings must be made this long ahead.")
    booking_window_days = models.PositiveSmallIntegerField(default=60)
    deposit_required = models.BooleanField(default=False)
    deposit_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    cancellation_window_hours = models.PositiveSmallIntegerField(default=24)
    minimum_spend = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    kids_allowed = models.BooleanField(default=True)
    min_guest_age = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Youngest guest admitted (e.g. 18 or 21); empty for no age limit."
    )
    dress_code = models.CharField(max_length=120, blank=True)
    blackout_dates = ArrayField(models.DateField(), default=list, blank=True)
    referral_fee_pct = models.DecimalField(
        "referral fee %",
        max_digits=5,
        decimal_places=2,
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    priority_rank = models.IntegerField(default=0, help_text="Higher ranks are suggested first.")
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    phone = models.CharField(max_length=32, blank=True)
    whatsapp = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    instagram = models.CharField(max_length=64, blank=True)
    cp_agent_id = models.CharField("venue agent id", max_length=64, blank=True, db_index=True)
    stripe_account_id = models.CharField(max_length=64, blank=True, help_text="Stripe Connect account.")
    ambassador = models.ForeignKey(
        "venues.CityAmbassador",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="venues_signed",
        help_text="The city ambassador who brought this venue onto AGNT.",
    )

    class Meta(TimestampedModel.Meta):
        ordering = ["-priority_rank", "name"]
        constraints = [
            choices_check("category", VenueCategory, name="venue_category_valid"),
            choices_check("status", VenueStatus, name="venue_status_valid"),
            models.CheckConstraint(
                condition=models.Q(price_level__gte=1, price_level__lte=4), name="venue_price_level_range"
            ),
            models.CheckConstraint(
                condition=models.Q(referral_fee_pct__gte=0, referral_fee_pct__lte=100), name="venue_referral_fee_range"
            ),
            models.CheckConstraint(
                condition=models.Q(min_party_size__lte=models.F("max_party_size")), name="venue_party_size_range"
            ),
            models.CheckConstraint(
                condition=models.Q(booking_duration_minutes__gte=15), name="venue_booking_duration_min"
            ),
        ]
        indexes = [
            models.Index(fields=["city", "category", "status"], name="venue_city_category_status"),
            models.Index(fields=["city", "area"], name="venue_city_area"),
            GinIndex(fields=["tags"], name="venue_tags_gin"),
        ]

    def __str__(self) -> str:
        return self.name


class VenueRole(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    STAFF = "staff", "Staff"


class VenueClient(TimestampedModel):
    """A business user's link to a venue they own or manage; it scopes their back office."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="venue_links")
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="clients")
    role = models.CharField(max_length=10, choices=VenueRole.choices, default=VenueRole.OWNER)
    cp_agent_id = models.CharField("agent id", max_length=64, blank=True)
    is_active = models.BooleanField(default=True)
    notify_on_booking = models.BooleanField(default=True)

    class Meta(TimestampedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["user", "venue"], name="venue_client_unique"),
            choices_check("role", VenueRole, name="venue_client_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.venue} ({self.role})"


class AmbassadorStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"


class CityAmbassador(TimestampedModel):
    """A local ambassador promoting AGNT in one city: signs venues, refers users, earns commission.

    The ``*_count`` and ``commission_earned`` columns are cached statistics (refreshed by
    the weekly ambassador report); the ledgers in billing are the book of record.
    """

    Status = AmbassadorStatus

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ambassadorships")
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="ambassadors")
    status = models.CharField(max_length=10, choices=AmbassadorStatus.choices, default=AmbassadorStatus.APPLIED)
    referral_code = models.CharField(
        max_length=24, unique=True, help_text="Code venues and users enter to credit this ambassador."
    )
    commission_pct = models.DecimalField(
        "commission %",
        max_digits=5,
        decimal_places=2,
        default=5,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Share of AGNT's referral fee on bookings at venues this ambassador signed.",
    )
    instagram = models.CharField(max_length=64, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    notes = models.TextField(blank=True)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    venues_signed_count = models.PositiveIntegerField(default=0)
    users_referred_count = models.PositiveIntegerField(default=0)
    bookings_referred_count = models.PositiveIntegerField(default=0)
    commission_earned = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    commission_currency = models.CharField(max_length=3, default="IDR")
    stats_refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("status", AmbassadorStatus, name="city_ambassador_status_valid"),
            models.UniqueConstraint(fields=["user", "city"], name="city_ambassador_user_city_unique"),
            models.CheckConstraint(
                condition=models.Q(commission_pct__gte=0, commission_pct__lte=100),
                name="city_ambassador_commission_range",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(started_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="city_ambassador_dates_ordered",
            ),
        ]
        indexes = [models.Index(fields=["city", "status"], name="city_ambassador_city_status")]

    def __str__(self) -> str:
        return f"{self.user} · {self.city} ({self.referral_code})"


def private_storage() -> FileSystemStorage:
    """Files nobody may fetch by URL (claim proof documents): outside MEDIA_ROOT, no base URL;
    staff download them through the admin only."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


class ClaimVerificationMethod(models.TextChoices):
    EMAIL_DOMAIN = "email_domain", "E-mail on the venue's domain"
    PHONE_CALL = "phone_call", "Call to the listed phone number"
    WHATSAPP = "whatsapp", "Message to the listed WhatsApp"
    INSTAGRAM_DM = "instagram_dm", "DM from the venue's Instagram"
    DOCUMENT = "document", "Business licence (NIB) or lease"
    IN_PERSON = "in_person", "In person (ambassador visit)"


class VenueClaim(TimestampedModel):
    """A business user's request to take over a venue AGNT lists but nobody owns yet.

    ``status`` follows venues.state.CLAIM_TRANSITIONS (service + DB trigger); each move is
    a VenueClaimEvent. Approval links the claimant to the venue through VenueClient.
    """

    Status = VenueClaimStatus
    VerificationMethod = ClaimVerificationMethod

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="claims")
    claimant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="venue_claims")
    status = models.CharField(max_length=16, choices=VenueClaimStatus.choices, default=VenueClaimStatus.SUBMITTED)
    role = models.CharField(
        max_length=10,
        choices=VenueRole.choices,
        default=VenueRole.OWNER,
        help_text="The role the claimant says they hold.",
    )
    business_name = models.CharField(max_length=160, blank=True, help_text="Legal name of the operating company.")
    contact_name = models.CharField(max_length=120)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=32, blank=True)
    verification_method = models.CharField(max_length=16, choices=ClaimVerificationMethod.choices)
    evidence_text = models.TextField(blank=True, help_text="What the claimant says proves the claim.")
    evidence_url = models.URLField(blank=True, help_text="Link to a document, website page or Instagram post.")
    ambassador = models.ForeignKey(
        CityAmbassador,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claims",
        help_text="Ambassador who brought the claimant, if any.",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True, help_text="Why it was approved, rejected or withdrawn.")
    proof_document = models.FileField(
        upload_to="claims/%Y/%m/",
        storage=private_storage,
        blank=True,
        max_length=300,
        help_text="Business licence (NIB), lease or utility bill; PDF or image. Never served publicly.",
    )
    code_hash = models.CharField(max_length=128, blank=True, help_text="Keyed hash of the one-time code last sent.")
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_sent_to = models.CharField(max_length=64, blank=True, help_text="Where the code went (masked).")
    code_failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True, help_text="Too many wrong codes: no entries until then.")
    verified_by = models.CharField(
        max_length=16, blank=True, help_text="How the claim was proven: phone_code, email_link or staff review."
    )

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("status", VenueClaimStatus, name="venue_claim_status_valid"),
            choices_check("role", VenueRole, name="venue_claim_role_valid"),
            choices_check("verification_method", ClaimVerificationMethod, name="venue_claim_verification_valid"),
            models.UniqueConstraint(
                fields=["venue", "claimant"],
                condition=models.Q(status__in=sorted(OPEN_CLAIM_STATUSES)),
                name="venue_claim_one_open_per_user",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=[VenueClaimStatus.APPROVED, VenueClaimStatus.REJECTED])
                | models.Q(decided_at__isnull=False),
                name="venue_claim_decision_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="venue_claim_status_time"),
            models.Index(fields=["venue", "status"], name="venue_claim_venue_status"),
        ]

    def __str__(self) -> str:
        return f"{self.claimant} → {self.venue} ({self.get_status_display()})"


class VenueClaimEvent(BaseModel):
    """One status change of a venue claim: who moved it, from what, to what, why. Append-only."""

    claim = models.ForeignKey(VenueClaim, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["claim", "created_at"], name="venue_claim_event_claim_time")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class B2BOnboardingSession(TimestampedModel):
    """One run of the venue onboarding wizard: profile, hours, policies, knowledge, payments.

    ``current_step`` is the step being filled in; it moves along
    venues.state.ONBOARDING_TRANSITIONS (service + DB trigger). ``step_data`` keeps what
    was submitted at each step, keyed by step name, so an owner can resume later.
    """

    Step = OnboardingStep

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="onboarding_sessions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="onboarding_sessions")
    current_step = models.CharField(max_length=12, choices=OnboardingStep.choices, default=OnboardingStep.STARTED)
    step_data = models.JSONField(default=dict, blank=True)
    last_activity_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    abandoned_at = models.DateTimeField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        verbose_name = "B2B onboarding session"
        constraints = [
            choices_check("current_step", OnboardingStep, name="onboarding_step_valid"),
            models.UniqueConstraint(
                fields=["venue"],
                condition=models.Q(current_step__in=sorted(OPEN_ONBOARDING_STEPS)),
                name="onboarding_one_open_per_venue",
            ),
            models.CheckConstraint(
                condition=~models.Q(current_step=OnboardingStep.COMPLETED) | models.Q(completed_at__isnull=False),
                name="onboarding_completed_time",
            ),
        ]
        indexes = [models.Index(fields=["current_step", "last_activity_at"], name="onboarding_step_activity")]

    def __str__(self) -> str:
        return f"{self.venue} · {self.get_current_step_display()}"


class B2BOnboardingEvent(BaseModel):
    """One step change of an onboarding session, with the data submitted at that step. Append-only."""

    session = models.ForeignKey(B2BOnboardingSession, on_delete=models.PROTECT, related_name="events")
    from_step = models.CharField(max_length=12, blank=True)
    to_step = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta(BaseModel.Meta):
        verbose_name = "B2B onboarding event"
        indexes = [models.Index(fields=["session", "created_at"], name="onboarding_event_session_time")]

    def __str__(self) -> str:
        return f"{self.from_step or '∅'} → {self.to_step}"


class UserListKind(models.TextChoices):
    WISHLIST = "wishlist", "Wishlist"
    FAVOURITES = "favourites", "Favourites"
    CUSTOM = "custom", "Custom"


class UserList(TimestampedModel):
    """A user's curated list of venues ("Want to try", "Favourites", "Sunset spots").

    Each user has at most one wishlist and one favourites list; custom lists are free.
    A public list can be shared by its slug.
    """

    Kind = UserListKind

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="venue_lists")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=90)
    kind = models.CharField(max_length=10, choices=UserListKind.choices, default=UserListKind.CUSTOM)
    description = models.CharField(max_length=300, blank=True)
    is_public = models.BooleanField(default=False)
    venues = models.ManyToManyField(Venue, through="UserListItem", related_name="in_user_lists", blank=True)

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("kind", UserListKind, name="user_list_kind_valid"),
            models.UniqueConstraint(fields=["user", "slug"], name="user_list_user_slug_unique"),
            models.UniqueConstraint(
                fields=["user", "kind"],
                condition=~models.Q(kind=UserListKind.CUSTOM),
                name="user_list_one_builtin_per_kind",
            ),
        ]
        indexes = [models.Index(fields=["user", "kind"], name="user_list_user_kind")]

    def __str__(self) -> str:
        return f"{self.user} · {self.name}"


class UserListItem(BaseModel):
    """One venue on a user's list, with the user's note and its position in the list."""

    user_list = models.ForeignKey(UserList, on_delete=models.CASCADE, related_name="items")
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="user_list_items")
    note = models.CharField(max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta(BaseModel.Meta):
        ordering = ["user_list", "position", "created_at"]
        constraints = [models.UniqueConstraint(fields=["user_list", "venue"], name="user_list_item_unique")]
        indexes = [models.Index(fields=["user_list", "position"], name="user_list_item_position")]

    def __str__(self) -> str:
        return str(self.venue)
