"""The venue-side state machines (claims, B2B onboarding), declared once.

Same pattern as bookings.state: the services check these tables, the database re-checks
them with triggers generated from the same tables (agnt.db.EnforceTransitions in
venues/migrations/0003_venue_db_rules.py), and every transition writes an event row.
"""

from django.db import models


class VenueClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


C = VenueClaimStatus
# A submitted claim may be decided straight away (obvious spam, or an owner verified on
# the phone); "under review" exists so staff can tell each other they are on it.
CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    C.SUBMITTED: frozenset({C.UNDER_REVIEW, C.APPROVED, C.REJECTED, C.WITHDRAWN}),
    C.UNDER_REVIEW: frozenset({C.APPROVED, C.REJECTED, C.WITHDRAWN}),
    C.APPROVED: frozenset(),
    C.REJECTED: frozenset(),
    C.WITHDRAWN: frozenset(),
}
OPEN_CLAIM_STATUSES = frozenset({C.SUBMITTED, C.UNDER_REVIEW})
DECIDED_CLAIM_STATUSES = frozenset({C.APPROVED, C.REJECTED})


class OnboardingStep(models.TextChoices):
    STARTED = "started", "Started"
    PROFILE = "profile", "Profile"
    HOURS = "hours", "Opening hours"
    POLICIES = "policies", "Policies"
    KNOWLEDGE = "knowledge", "Knowledge"
    PAYMENTS = "payments", "Payments"
    COMPLETED = "completed", "Completed"
    ABANDONED = "abandoned", "Abandoned"


O = OnboardingStep
# The wizard is linear: each step leads to the next one, and any unfinished session may
# be abandoned (by the owner or by the idle-session sweeper).
ONBOARDING_SEQUENCE: tuple[str, ...] = (O.STARTED, O.PROFILE, O.HOURS, O.POLICIES, O.KNOWLEDGE, O.PAYMENTS, O.COMPLETED)
ONBOARDING_TRANSITIONS: dict[str, frozenset[str]] = {
    **{
        step: frozenset({following, O.ABANDONED})
        for step, following in zip(ONBOARDING_SEQUENCE, ONBOARDING_SEQUENCE[1:], strict=False)
    },
    O.COMPLETED: frozenset(),
    O.ABANDONED: frozenset(),
}
OPEN_ONBOARDING_STEPS = frozenset(s for s, targets in ONBOARDING_TRANSITIONS.items() if targets)


def next_onboarding_step(current: str) -> str | None:
    """The step after ``current`` in the wizard, or None when the session is finished."""
    if current not in ONBOARDING_SEQUENCE or current == O.COMPLETED:
        return None
    return ONBOARDING_SEQUENCE[ONBOARDING_SEQUENCE.index(current) + 1]


def can_transition(transitions: dict[str, frozenset[str]], current: str, target: str) -> bool:
    return target in transitions.get(current, frozenset())
