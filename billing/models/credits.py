"""User credits: the append-only credit ledger and the referral graph."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from agnt.db import BaseModel, TimestampedModel, choices_check
from billing.state import ReferralStatus


class CreditKind(models.TextChoices):
    GRANT = "grant", "Grant"
    PURCHASE = "purchase", "Purchase"
    SPEND = "spend", "Spend"
    REFUND = "refund", "Refund"
    REFERRAL_REWARD = "referral_reward", "Referral reward"
    MONTHLY_GRANT = "monthly_grant", "Monthly grant"
    EXPIRY = "expiry", "Expiry"
    ADJUSTMENT = "adjustment", "Staff adjustment"


# Which direction each kind moves the balance; "adjustment" may go either way.
CREDIT_KINDS_ADDING = frozenset(
    {CreditKind.GRANT, CreditKind.PURCHASE, CreditKind.REFUND, CreditKind.REFERRAL_REWARD, CreditKind.MONTHLY_GRANT}
)
CREDIT_KINDS_REMOVING = frozenset({CreditKind.SPEND, CreditKind.EXPIRY})


class CreditTransaction(BaseModel):
    """One signed change to a user's credit balance. Append-only: mistakes are reversed, not edited.

    ``balance_after`` is the user's balance once this row applied; it is computed under
    ``SELECT … FOR UPDATE`` on the user row (billing.services.credit_adjust), so reading
    the latest row of a user gives the balance at that moment.
    """

    Kind = CreditKind

    # PROTECT everywhere: the append-only trigger would reject the UPDATE a SET_NULL does.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_transactions")
    amount = models.IntegerField(help_text="Signed credits: positive adds, negative removes.")
    balance_after = models.IntegerField()
    kind = models.CharField(max_length=20, choices=CreditKind.choices)
    reason = models.CharField(max_length=300, blank=True)
    reference_type = models.CharField(max_length=64, blank=True, help_text="What caused it, e.g. billing.referral.")
    reference_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=128, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Promotional credits lapse at this time (the credits_expiry job)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Staff member who made a manual adjustment.",
    )

    class Meta(BaseModel.Meta):
        constraints = [
            choices_check("kind", CreditKind, name="credit_transaction_kind_valid"),
            models.CheckConstraint(condition=~Q(amount=0), name="credit_transaction_amount_non_zero"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="credit_transaction_balance_non_negative"),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=sorted(CREDIT_KINDS_ADDING), amount__gt=0)
                    | Q(kind__in=sorted(CREDIT_KINDS_REMOVING), amount__lt=0)
                    | Q(kind=CreditKind.ADJUSTMENT)
                ),
                name="credit_transaction_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(amount__gt=0), name="credit_transaction_expiry_on_credits_only"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="credit_tx_user_recent"),
            models.Index(fields=["reference_type", "reference_id"], name="credit_tx_reference"),
            models.Index(fields=["expires_at"], name="credit_tx_expiring", condition=Q(expires_at__isnull=False)),
        ]

    def __str__(self) -> str:
        # no user here: listing a user's ledger must not read the user once per row
        return f"{self.amount:+d} credits ({self.kind}) → {self.balance_after}"


class Referral(TimestampedModel):
    """A user who signed up with another user's referral code, and whether the referrer got paid."""

    Status = ReferralStatus

    referrer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referrals_made")
    referred = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="referral",
        help_text="A user can be referred only once.",
    )
    code = models.CharField(max_length=24, help_text="The referral code the new user entered.")
    ambassador = models.ForeignKey(
        "venues.CityAmbassador",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
        help_text="Set when the code was a city ambassador's: the sign-up counts for them.",
    )
    status = models.CharField(max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.PENDING)
    reward_credits = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(help_text="Must qualify (e.g. first completed booking) before this.")
    qualified_at = models.DateTimeField(null=True, blank=True)
    rewarded_at = models.DateTimeField(null=True, blank=True)
    reward_transaction = models.OneToOneField(
        CreditTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="referral"
    )

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("status", ReferralStatus, name="referral_status_valid"),
            models.CheckConstraint(condition=~Q(referrer=models.F("referred")), name="referral_not_self"),
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.REWARDED) | Q(rewarded_at__isnull=False),
                name="referral_rewarded_has_timestamp",
            ),
        ]
        indexes = [
            models.Index(fields=["referrer", "status"], name="referral_referrer_status"),
            models.Index(fields=["status", "expires_at"], name="referral_status_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.referrer} → {self.referred} ({self.status})"
