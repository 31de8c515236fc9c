"""What the pipeline does after a fault, in-process: a dead holder's message, the sweeps,
the busy task, and the rows and metrics staff see."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agnt import metrics
from agnt.models import ErrorLog
from agnt.scheduling import redis_client
from messaging import router
from messaging.models import Interaction
from messaging.state import InteractionStatus
from messaging.tests.test_router import _telegram


def _faults() -> dict[str, int]:
    return {k.decode(): int(v) for k, v in redis_client().hgetall(metrics.FAULT_KEY).items()}


@pytest.mark.django_db
def test_a_message_left_processing_by_a_dead_holder_is_answered_once_by_the_next(settings):
    settings.LLM_PROVIDER = "offline"
    interaction, _ = router.inbound_accept(_telegram("/help", 700), enqueue=False)
    Interaction.objects.filter(pk=interaction.pk).update(status=InteractionStatus.PROCESSING)

    assert router.channel_drain(channel_id=interaction.channel_id) == 1
    interaction.refresh_from_db()
    assert interaction.status == InteractionStatus.PROCESSED
    assert len(router.replies_to(interaction)) == 1
    row = ErrorLog.objects.get(exception_type="worker_lost_mid_message")
    assert str(interaction.pk) in row.message and row.context["replied"] is False
    assert _faults()["worker_lost_mid_message"] == 1


@pytest.mark.django_db
def test_a_dead_holders_message_whose_reply_was_written_is_not_answered_twice(settings):
    settings.LLM_PROVIDER = "offline"
    from messaging.outbound import reply_send

    interaction, _ = router.inbound_accept(_telegram("/help", 701), enqueue=False)
    # the holder wrote the reply, then died before marking the message processed
    Interaction.objects.filter(pk=interaction.pk).update(status=InteractionStatus.PROCESSING)
    reply_send(channel=interaction.channel, text=router.HELP, reply_to=interaction)

    assert router.channel_drain(channel_id=interaction.channel_id) == 0
    interaction.refresh_from_db()
    assert interaction.status == InteractionStatus.PROCESSED
    assert len(router.replies_to(interaction)) == 1


@pytest.mark.django_db
def test_a_busy_task_comes_back_once_after_the_lock_lifetime_instead_of_waiting(monkeypatch):
    from messaging.tasks import process_channel_messages

    interaction, _ = router.inbound_accept(_telegram("hi", 702), enqueue=False)
    redis_client().set(f"agnt:chat:lock:{interaction.channel_id}", "another-worker", px=10_000)
    scheduled = []
    monkeypatch.setattr(
        process_channel_messages, "apply_async", lambda *a, **kw: scheduled.append(kw.get("countdown")) or None
    )
    process_channel_messages.push_request(is_eager=False, retries=0, called_directly=False)
    try:
        from celery.exceptions import Retry

        with pytest.raises(Retry):
            process_channel_messages.run(str(interaction.channel_id))
    finally:
        process_channel_messages.pop_request()
    assert scheduled == [router.LOCK_TTL_SECONDS + 1]
    interaction.refresh_from_db()
    assert interaction.status == InteractionStatus.RECEIVED


@pytest.mark.django_db
def test_a_lock_holder_answers_what_arrived_while_it_held_the_lock(settings):
    settings.LLM_PROVIDER = "offline"
    first, _ = router.inbound_accept(_telegram("/help", 703), enqueue=False)
    real_process = router.interaction_process
    arrived = []

    def process_and_receive(*, interaction):
        replies = real_process(interaction=interaction)
        if not arrived:  # a second message comes in during the first turn
            arrived.append(router.inbound_accept(_telegram("/help", 704), enqueue=False)[0])
        return replies

    settings_patch = pytest.MonkeyPatch()
    settings_patch.setattr(router, "interaction_process", process_and_receive)
    try:
        assert router.channel_drain(channel_id=first.channel_id) == 2
    finally:
        settings_patch.undo()
    arrived[0].refresh_from_db()
    assert arrived[0].status == InteractionStatus.PROCESSED


@pytest.mark.django_db
def test_the_inbound_sweep_leaves_a_row_and_a_metric_when_it_had_to_requeue():
    from messaging.tasks import stuck_inbound_requeue

    interaction, _ = router.inbound_accept(_telegram("hi", 705), enqueue=False)
    Interaction.objects.filter(pk=interaction.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    assert stuck_inbound_requeue.run() == 1
    assert ErrorLog.objects.filter(exception_type="inbound_requeued_by_sweep").count() == 1
    assert _faults()["inbound_requeued_by_sweep"] == 1


@pytest.mark.django_db
def test_the_send_sweep_leaves_a_row_when_a_queued_reply_had_lost_its_task(settings):
    from messaging.outbound import reply_send
    from messaging.send_queue import sends_requeue_due

    interaction, _ = router.inbound_accept(_telegram("hi", 706), enqueue=False)
    reply = reply_send(channel=interaction.channel, text="hello")  # its task is never run (on_commit)
    Interaction.objects.filter(pk=reply.pk).update(updated_at=timezone.now() - timedelta(minutes=30))
    assert sends_requeue_due() == [str(reply.pk)]
    row = ErrorLog.objects.get(exception_type="send_requeued_by_sweep")
    assert str(reply.pk) in row.context["interaction_ids"]


@pytest.mark.django_db
def test_faults_are_exported_as_a_prometheus_counter():
    metrics.record_fault("worker_lost")
    metrics.record_fault("worker_lost")
    body, _ = metrics.render()
    assert b'agnt_pipeline_faults_total{kind="worker_lost"} 2.0' in body
