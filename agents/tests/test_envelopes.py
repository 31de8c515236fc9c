import pytest
from django.db import IntegrityError, transaction
from django.db.utils import DatabaseError
from model_bakery import baker

from agents.models import A2AEnvelope, EnvelopeEvent
from agents.services import (
    EnvelopeTransitionError,
    envelope_record,
    envelope_transition,
)
from agents.state import (
    ENVELOPE_TRANSITIONS,
    TERMINAL_ENVELOPE_STATUSES,
    EnvelopeStatus,
)

S = EnvelopeStatus


def _outbound(**kwargs) -> A2AEnvelope:
    envelope, created = envelope_record(
        envelope_id=kwargs.pop("envelope_id", "env-1"),
        intent="booking.request",
        direction="outbound",
        from_agent_id="consumer-abc",
        to_agent_id="venue-la-brisa",
        payload={"party_size": 2},
        **kwargs,
    )
    assert created
    return envelope


@pytest.mark.django_db
def test_it_walks_an_envelope_through_the_happy_path_and_logs_every_step():
    envelope = _outbound()
    for status in (S.SENT, S.DELIVERED, S.PROCESSED):
        envelope_transition(envelope=envelope, to_status=status)

    envelope.refresh_from_db()
    assert envelope.status == S.PROCESSED
    assert envelope.attempts == 1
    assert envelope.sent_at and envelope.delivered_at and envelope.processed_at
    steps = list(
        EnvelopeEvent.objects.filter(envelope=envelope).order_by("created_at").values_list("from_status", "to_status")
    )
    assert steps == [("", S.CREATED), (S.CREATED, S.SENT), (S.SENT, S.DELIVERED), (S.DELIVERED, S.PROCESSED)]


@pytest.mark.django_db
def test_it_refuses_a_transition_the_state_machine_forbids_and_writes_no_event():
    envelope = _outbound()
    envelope_transition(envelope=envelope, to_status=S.SENT)
    envelope_transition(envelope=envelope, to_status=S.PROCESSED)

    with pytest.raises(EnvelopeTransitionError, match="processed to sent"):
        envelope_transition(envelope=envelope, to_status=S.SENT)

    envelope.refresh_from_db()
    assert envelope.status == S.PROCESSED
    assert EnvelopeEvent.objects.filter(envelope=envelope).count() == 3


@pytest.mark.django_db
def test_a_failed_envelope_can_be_requeued_with_its_error_and_next_attempt_recorded():
    from datetime import timedelta

    from django.utils import timezone

    envelope = _outbound()
    envelope_transition(envelope=envelope, to_status=S.SENT)
    retry_at = timezone.now() + timedelta(minutes=1)
    envelope_transition(envelope=envelope, to_status=S.FAILED, error="gateway 503", next_attempt_at=retry_at)
    envelope.refresh_from_db()
    assert envelope.last_error == "gateway 503" and envelope.next_attempt_at == retry_at

    envelope_transition(envelope=envelope, to_status=S.QUEUED, next_attempt_at=retry_at)
    envelope_transition(envelope=envelope, to_status=S.SENT)
    envelope.refresh_from_db()
    assert envelope.attempts == 2 and envelope.next_attempt_at is None
    assert EnvelopeEvent.objects.get(envelope=envelope, to_status=S.FAILED).error == "gateway 503"


def test_terminal_statuses_have_no_way_out_and_every_status_is_declared():
    assert TERMINAL_ENVELOPE_STATUSES == {S.PROCESSED, S.REJECTED, S.EXPIRED}
    assert set(ENVELOPE_TRANSITIONS) == set(S.values)


@pytest.mark.django_db
def test_the_database_refuses_a_forbidden_envelope_transition_even_without_the_service():
    envelope = baker.make(A2AEnvelope, intent="booking.request", direction="outbound", status=S.EXPIRED)
    with pytest.raises(IntegrityError, match="cannot move from expired to sent"), transaction.atomic():
        A2AEnvelope.objects.filter(pk=envelope.pk).update(status=S.SENT)

    allowed = baker.make(A2AEnvelope, intent="booking.request", direction="outbound", status=S.CREATED)
    A2AEnvelope.objects.filter(pk=allowed.pk).update(status=S.SENT)
    allowed.refresh_from_db()
    assert allowed.status == S.SENT


@pytest.mark.django_db
def test_the_database_refuses_an_unknown_envelope_status_or_intent():
    envelope = baker.make(A2AEnvelope, intent="booking.request", direction="outbound")
    with pytest.raises(IntegrityError), transaction.atomic():
        A2AEnvelope.objects.filter(pk=envelope.pk).update(intent="booking.teleport")
    with pytest.raises(IntegrityError), transaction.atomic():
        baker.make(A2AEnvelope, intent="booking.request", direction="outbound", status="lost")


@pytest.mark.django_db
def test_the_envelope_event_log_is_append_only():
    envelope = _outbound()
    event = EnvelopeEvent.objects.get(envelope=envelope)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        EnvelopeEvent.objects.filter(pk=event.pk).update(to_status=S.PROCESSED)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        EnvelopeEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.django_db
def test_it_rejects_a_replayed_inbound_envelope_by_returning_the_stored_one():
    kwargs = dict(
        envelope_id="env-replay",
        intent="booking.accepted",
        direction="inbound",
        from_agent_id="venue-la-brisa",
        to_agent_id="consumer-abc",
        correlation_id="env-1",
    )
    first, created = envelope_record(**kwargs)
    again, created_again = envelope_record(**{**kwargs, "payload": {"tampered": True}})

    assert created and not created_again
    assert again.pk == first.pk and again.payload == {}
    assert first.status == S.DELIVERED and first.delivered_at is not None
    assert A2AEnvelope.objects.filter(envelope_id="env-replay").count() == 1
    assert EnvelopeEvent.objects.filter(envelope=first).count() == 1


@pytest.mark.django_db
def test_an_envelope_gets_an_expiry_from_its_ttl():
    envelope = _outbound(ttl_ms=30_000)
    assert 29 <= (envelope.expires_at - envelope.created_at).total_seconds() <= 31
