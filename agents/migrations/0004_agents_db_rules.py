"""Database-side rules: envelope and webhook-delivery transitions, the append-only envelope log."""

from django.db import migrations

from agents.state import ENVELOPE_TRANSITIONS, WEBHOOK_DELIVERY_TRANSITIONS
from agnt.db import AppendOnly, EnforceTransitions


class Migration(migrations.Migration):
    dependencies = [("agents", "0003_registry_envelopes_webhooks")]

    operations = [
        EnforceTransitions("A2AEnvelope", "status", {k: sorted(v) for k, v in ENVELOPE_TRANSITIONS.items()}),
        EnforceTransitions("WebhookDelivery", "status", {k: sorted(v) for k, v in WEBHOOK_DELIVERY_TRANSITIONS.items()}),
        AppendOnly("EnvelopeEvent"),
    ]
