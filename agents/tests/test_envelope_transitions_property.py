"""Property-based: no sequence of envelope_transition calls leaves ENVELOPE_TRANSITIONS.

Hypothesis draws an inbound or outbound envelope and a sequence of target statuses; the
state machine table predicts each outcome. Each example runs in a rolled-back savepoint.
"""

import uuid

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.models import A2AEnvelope, EnvelopeEvent
from agents.services import EnvelopeTransitionError, envelope_record, envelope_transition
from agents.state import ENVELOPE_TRANSITIONS, EnvelopeStatus

S = EnvelopeStatus
STAMPS = {S.SENT: "sent_at", S.DELIVERED: "delivered_at", S.PROCESSED: "processed_at"}


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(
    direction=st.sampled_from(["outbound", "inbound"]),
    targets=st.lists(st.sampled_from(S.values), max_size=10),
    probe=st.sampled_from(S.values),
)
def test_random_envelope_transitions_stay_inside_the_state_machine(direction, targets, probe):
    with transaction.atomic():
        envelope, created = envelope_record(
            envelope_id=uuid.uuid4().hex,
            intent="booking.request",
            direction=direction,
            from_agent_id="consumer-prop",
            to_agent_id="venue-prop",
            payload={"party_size": 2},
        )
        assert created
        current = S.DELIVERED.value if direction == "inbound" else S.CREATED.value
        assert envelope.status == current
        applied, sends, visited = 0, 0, {current}

        for target in targets:
            events_before = EnvelopeEvent.objects.filter(envelope=envelope).count()
            if target in ENVELOPE_TRANSITIONS[current]:
                envelope_transition(envelope=envelope, to_status=target, error="x" if target == S.FAILED else "")
                current, applied = target, applied + 1
                sends += target == S.SENT
                visited.add(target)
                assert EnvelopeEvent.objects.filter(envelope=envelope).count() == events_before + 1
            else:
                with pytest.raises(EnvelopeTransitionError):
                    envelope_transition(envelope=envelope, to_status=target)
                assert EnvelopeEvent.objects.filter(envelope=envelope).count() == events_before
            stored = A2AEnvelope.objects.get(pk=envelope.pk)
            assert stored.status == current and envelope.status == current

        stored = A2AEnvelope.objects.get(pk=envelope.pk)
        assert stored.attempts == sends
        for status, field in STAMPS.items():
            if status in visited:
                assert getattr(stored, field) is not None, field

        chain = list(
            EnvelopeEvent.objects.filter(envelope=envelope)
            .order_by("created_at", "id")
            .values_list("from_status", "to_status")
        )
        assert len(chain) == 1 + applied and chain[0][0] == ""
        for (_, previous_to), (from_status, to_status) in zip(chain, chain[1:]):
            assert from_status == previous_to and to_status in ENVELOPE_TRANSITIONS[from_status]
        assert chain[-1][1] == current

        if probe != current and probe not in ENVELOPE_TRANSITIONS[current]:
            with pytest.raises(IntegrityError, match="cannot move from"), transaction.atomic():
                A2AEnvelope.objects.filter(pk=envelope.pk).update(status=probe)
        transaction.set_rollback(True)
