"""Database-side rules: claim and onboarding state machines, append-only event logs."""

from django.db import migrations

from agnt.db import AppendOnly, EnforceTransitions
from venues.state import CLAIM_TRANSITIONS, ONBOARDING_TRANSITIONS


class Migration(migrations.Migration):
    dependencies = [("venues", "0002_ambassadors_claims_onboarding_lists")]

    operations = [
        EnforceTransitions("VenueClaim", "status", {k: sorted(v) for k, v in CLAIM_TRANSITIONS.items()}),
        EnforceTransitions("B2BOnboardingSession", "current_step", {k: sorted(v) for k, v in ONBOARDING_TRANSITIONS.items()}),
        AppendOnly("VenueClaimEvent"),
        AppendOnly("B2BOnboardingEvent"),
    ]
