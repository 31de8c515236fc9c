"""The message router: accept once, answer in order, fail loudly but politely."""

import threading

import pytest
from django.db import connection
from model_bakery import baker

from messaging import router, session_store
from messaging.models import ChannelPlatform, Interaction, InteractionDirection, UserChannel
from messaging.services import interaction_requeue_stuck
from messaging.state import InteractionStatus
from messaging.types import InboundMessage


def _telegram(text: str, update_id: int, chat_id: str = "5550001", **extra) -> InboundMessage:
    return InboundMessage(
        platform=ChannelPlatform.TELEGRAM,
        external_id=chat_id,
        provider_message_id=str(update_id),
        kind="text",
        text=text,
        username="wayan",
        display_name="Wayan Sudarma",
        **extra,
    )


@pytest.mark.django_db
def test_a_new_sender_gets_a_user_a_binding_and_one_stored_message(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        interaction, created = router.inbound_accept(_telegram("hello", 1), enqueue=True)
    channel = UserChannel.objects.get(platform="telegram", external_id="5550001")
    assert created and interaction.channel == channel and interaction.user == channel.user
    assert channel.user.display_name == "Wayan Sudarma" and interaction.status == InteractionStatus.RECEIVED
    assert len(callbacks) == 1  # processing is enqueued once, after commit


@pytest.mark.django_db
def test_a_redelivered_message_is_neither_stored_nor_enqueued_again(django_capture_on_commit_callbacks):
    router.inbound_accept(_telegram("hello", 7), enqueue=False)
    with django_capture_on_commit_callbacks() as callbacks:
        again, created = router.inbound_accept(_telegram("hello", 7))
    assert not created and callbacks == []
    assert Interaction.objects.filter(platform="telegram", provider_message_id="7").count() == 1


@pytest.mark.django_db
def test_start_with_a_referral_code_records_the_referral_and_welcomes(django_user_model):
    referrer = baker.make(django_user_model, username="ketut")
    interaction, _ = router.inbound_accept(
        InboundMessage(
            platform="telegram",
            external_id="42",
            provider_message_id="100",
            kind="command",
            text=f"/start {referrer.referral_code}",
            referral_code=referrer.referral_code,
            display_name="Ana",
        ),
        enqueue=False,
    )
    router.channel_drain(channel_id=interaction.channel_id)
    interaction.refresh_from_db()
    [reply] = router.replies_to(interaction)
    assert interaction.status == InteractionStatus.PROCESSED
    assert reply.text.startswith("Hi Ana!") and "concierge" in reply.text
    from billing.models import Referral

    assert Referral.objects.filter(referrer=referrer, referred=interaction.user).count() == 1


@pytest.mark.django_db
def test_reset_clears_the_conversation_history():
    interaction, _ = router.inbound_accept(_telegram("/reset", 11), enqueue=False)
    session_store.history_save(
        platform="telegram",
        user_id=interaction.user_id,
        messages=[{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    )
    router.channel_drain(channel_id=interaction.channel_id)
    assert session_store.history_load(platform="telegram", user_id=interaction.user_id) == []
    assert "cleared" in router.replies_to(interaction)[0].text


@pytest.mark.django_db
def test_a_turn_is_answered_and_kept_in_the_session_history(settings):
    settings.LLM_PROVIDER = "offline"
    interaction, _ = router.inbound_accept(_telegram("what can you do?", 12), enqueue=False)
    router.channel_drain(channel_id=interaction.channel_id)
    interaction.refresh_from_db()
    [reply] = router.replies_to(interaction)
    assert interaction.status == InteractionStatus.PROCESSED and reply.text
    assert reply.direction == InteractionDirection.OUTBOUND and reply.channel_id == interaction.channel_id
    history = session_store.history_load(platform="telegram", user_id=interaction.user_id)
    assert history[0]["role"] == "user" and history[0]["content"][-1]["text"] == "what can you do?"
    assert history[-1]["role"] == "assistant"


@pytest.mark.django_db
def test_a_turn_that_crashes_is_marked_failed_and_the_user_gets_an_apology(settings):
    # Redis (session history, pending actions) is unreachable mid-turn: the turn cannot run,
    # the message is marked failed with the error, and the user still hears from us.
    interaction, _ = router.inbound_accept(_telegram("find me sushi", 13), enqueue=False)
    settings.REDIS_APP_URL = "unix:///nonexistent/redis.sock"
    replies = router.interaction_process(interaction=interaction)
    interaction.refresh_from_db()
    assert interaction.status == InteractionStatus.FAILED and "ConnectionError" in interaction.error
    assert [reply.text for reply in replies] == [router.APOLOGY]
    assert router.replies_to(interaction)[0].source == "system"


@pytest.mark.django_db(transaction=True)
def test_concurrent_messages_from_one_user_are_answered_in_arrival_order(settings):
    settings.LLM_PROVIDER = "offline"
    texts = ["/help", "hello", "what can you do?", "/help", "thanks"]
    inbound = [router.inbound_accept(_telegram(text, 200 + i), enqueue=False)[0] for i, text in enumerate(texts)]
    channel_id = inbound[0].channel_id
    errors: list[BaseException] = []

    def worker():
        try:
            router.channel_drain(channel_id=channel_id, wait_seconds=60)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    replies = list(Interaction.objects.filter(channel_id=channel_id, direction="outbound").order_by("created_at", "id"))
    # every message answered exactly once, and the answers went out in the order the messages came in
    assert [reply.reply_to_id for reply in replies] == [message.pk for message in inbound]
    assert set(Interaction.objects.filter(pk__in=[m.pk for m in inbound]).values_list("status", flat=True)) == {
        InteractionStatus.PROCESSED
    }


@pytest.mark.django_db
def test_a_busy_channel_raises_instead_of_answering_out_of_order():
    interaction, _ = router.inbound_accept(_telegram("hi", 300), enqueue=False)
    from agnt.scheduling import redis_client

    redis_client().set(f"agnt:chat:lock:{interaction.channel_id}", "someone-else", px=10_000)
    with pytest.raises(router.ChannelBusy):
        router.channel_drain(channel_id=interaction.channel_id, wait_seconds=0.2)
    interaction.refresh_from_db()
    assert interaction.status == InteractionStatus.RECEIVED  # left for the retry


@pytest.mark.django_db
def test_messages_nobody_answered_are_requeued_and_stuck_ones_reset():
    from datetime import timedelta

    from django.utils import timezone

    old = timezone.now() - timedelta(minutes=30)
    waiting, _ = router.inbound_accept(_telegram("hi", 400), enqueue=False)
    stuck, _ = router.inbound_accept(_telegram("hello", 401, chat_id="777"), enqueue=False)
    Interaction.objects.filter(pk=waiting.pk).update(created_at=old)
    Interaction.objects.filter(pk=stuck.pk).update(status=InteractionStatus.PROCESSING, updated_at=old, created_at=old)
    fresh, _ = router.inbound_accept(_telegram("new", 402, chat_id="888"), enqueue=False)

    channel_ids = set(interaction_requeue_stuck())

    assert channel_ids == {waiting.channel_id, stuck.channel_id}
    stuck.refresh_from_db()
    assert stuck.status == InteractionStatus.RECEIVED


@pytest.mark.django_db
def test_staff_can_retry_a_failed_inbound_message_from_the_admin(
    staff_client, settings, django_capture_on_commit_callbacks
):
    settings.LLM_PROVIDER = "offline"
    interaction, _ = router.inbound_accept(_telegram("/help", 500), enqueue=False)
    from messaging.services import interaction_mark_status

    interaction_mark_status(interaction=interaction, status=InteractionStatus.FAILED, error="boom")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/messaging/interaction/",
            {"action": "retry_failed", "_selected_action": [str(interaction.pk)]},
            follow=True,
        )
    assert b"1 conversation(s) to answer again" in response.content
    interaction.refresh_from_db()
    assert interaction.status == InteractionStatus.PROCESSED and router.replies_to(interaction)
