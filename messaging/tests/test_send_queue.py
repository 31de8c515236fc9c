"""The send queue against local fake providers: delivery, splitting, rate limits, 429, retries,
the WhatsApp 24-hour template fallback, and the periodic jobs."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import Interaction, UserChannel
from messaging.outbound import reply_send
from messaging.send_queue import interaction_send, rate_acquire, split_text, utf16_length
from messaging.services import user_channel_bind
from messaging.tests.fakes import fake_360dialog, fake_instagram, fake_telegram  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def tg_channel(chat="777"):
    channel, _ = user_channel_bind(platform="telegram", external_id=chat, username="guest")
    return channel


def queue(channel, text="hello", **kwargs) -> Interaction:
    """Record an outbound message without running its send (the test drives interaction_send)."""
    return reply_send(channel=channel, text=text, **kwargs)


def test_reply_send_delivers_on_commit_and_records_the_provider_id(fake_telegram, django_capture_on_commit_callbacks):
    channel = tg_channel()
    with django_capture_on_commit_callbacks(execute=True):
        interaction = reply_send(channel=channel, text="Your table at La Brisa is requested.")
    interaction.refresh_from_db()
    assert fake_telegram.sent() == [
        {"chat_id": "777", "text": "Your table at La Brisa is requested.", "disable_web_page_preview": True}
    ]
    assert interaction.status == "sent" and interaction.provider_message_id == "1001" and interaction.sent_at
    channel.refresh_from_db()
    assert channel.last_outbound_at is not None


def test_nothing_is_sent_if_the_callers_transaction_does_not_commit(fake_telegram, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        interaction = reply_send(channel=tg_channel(), text="hi")
    assert len(callbacks) == 1 and fake_telegram.sent() == []
    assert interaction.status == "queued"


def test_a_long_telegram_text_goes_out_as_several_messages_on_paragraph_boundaries(fake_telegram):
    paragraphs = [f"Paragraph {i}: " + " ".join(["sunset"] * 250) for i in range(6)]  # ~1.76k chars: two fit in 4096
    interaction = queue(tg_channel(), "\n\n".join(paragraphs))
    assert interaction_send(interaction_id=interaction.pk).status == "sent"
    texts = fake_telegram.texts()
    assert len(texts) == 3 and all(utf16_length(t) <= 4096 for t in texts)
    assert all(t.startswith("Paragraph") for t in texts)  # no paragraph was cut in the middle
    assert "\n\n".join(texts) == "\n\n".join(paragraphs)
    interaction.refresh_from_db()
    assert interaction.payload["provider_message_ids"] == ["1001", "1002", "1003"]
    assert interaction.provider_message_id == "1001"


def test_split_text_falls_back_to_words_then_hard_cuts_and_counts_emoji_as_two():
    assert split_text("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]
    assert split_text("x" * 10, 4) == ["xxxx", "xxxx", "xx"]
    parts = split_text("😀" * 3000, 4096, utf16_length)
    assert [utf16_length(p) for p in parts] == [4096, 1904]


def test_a_failure_in_the_middle_of_a_split_message_does_not_resend_the_first_part(fake_telegram, settings):
    interaction = queue(tg_channel(), ("a" * 4000) + "\n\n" + ("b" * 4000))
    fake_telegram.fail_next(status=502, after=1)
    outcome = interaction_send(interaction_id=interaction.pk)
    assert outcome.status == "retry" and outcome.retry_in > 0
    interaction.refresh_from_db()
    assert interaction.status == "queued" and interaction.payload["provider_message_ids"] == ["1001"]
    time.sleep(1.05)  # the chat's rate limiter (1/s) is real
    assert interaction_send(interaction_id=interaction.pk).status == "sent"
    assert [t[0] for t in fake_telegram.texts()] == ["a", "b", "b"]  # the second part twice, the first once
    interaction.refresh_from_db()
    assert interaction.payload["provider_message_ids"] == ["1001", "1002"]


def test_our_rate_limit_defers_a_burst_to_one_chat_without_calling_the_provider(fake_telegram):
    channel = tg_channel()
    outcomes = [interaction_send(interaction_id=queue(channel, f"msg {i}").pk) for i in range(5)]
    assert [o.status for o in outcomes] == ["sent", "sent", "sent", "deferred", "deferred"]
    assert 0.5 < outcomes[3].retry_in <= 1.0
    assert len(fake_telegram.sent()) == 3
    assert Interaction.objects.filter(status="queued").count() == 2
    # another chat is not held back by this one
    assert interaction_send(interaction_id=queue(tg_channel("888"), "other chat").pk).status == "sent"


def test_the_per_bot_limit_is_shared_across_chats():
    granted = [rate_acquire(platform="telegram", recipient=f"chat-{i}") for i in range(31)]
    assert granted[:30] == [0.0] * 30 and 0 < granted[30] <= 0.05


def test_a_higher_telegram_rate_paces_the_bot_to_it_and_sends_paid_broadcasts(fake_telegram, settings):
    assert "allow_paid_broadcast" not in _send_one(fake_telegram, "at the free rate")
    settings.TELEGRAM_MESSAGES_PER_SECOND = 100
    granted = [rate_acquire(platform="telegram", recipient=f"paid-{i}") for i in range(130)]
    # a burst of 100 (the 30/s default stops at 30), then waits of ~1/100 s
    assert 95 <= granted.count(0.0) < 120 and 0 < max(granted) <= 0.05
    time.sleep(0.05)
    assert _send_one(fake_telegram, "above 30 a second", chat="999")["allow_paid_broadcast"] is True


def _send_one(fake_telegram, text: str, chat: str = "777") -> dict:
    assert interaction_send(interaction_id=queue(tg_channel(chat), text).pk).status == "sent"
    return fake_telegram.sent()[-1]


def test_a_deferred_task_reenqueues_itself_with_a_countdown_instead_of_sleeping(fake_telegram, monkeypatch):
    from messaging import send_queue

    channel = tg_channel()
    for i in range(3):
        interaction_send(interaction_id=queue(channel, f"fill {i}").pk)
    scheduled = []
    monkeypatch.setattr(
        send_queue.send_interaction, "apply_async", lambda args, countdown, **_: scheduled.append((args, countdown))
    )
    held = queue(channel, "held back")
    # run the task body as a worker would (not eagerly)
    send_queue.send_interaction.push_request(is_eager=False)
    try:
        assert send_queue.send_interaction.run(str(held.pk)) == "deferred"
    finally:
        send_queue.send_interaction.pop_request()
    assert scheduled and scheduled[0][0] == [str(held.pk)] and 0 < scheduled[0][1] <= 1.0


def test_a_429_retry_after_is_honoured_and_shared_through_redis(fake_telegram):
    channel = tg_channel()
    fake_telegram.rate_limit_next(retry_after=2)
    interaction = queue(channel, "hi there")
    outcome = interaction_send(interaction_id=interaction.pk)
    assert outcome.status == "retry" and outcome.retry_in == 2
    interaction.refresh_from_db()
    assert interaction.status == "queued"
    # any worker asking for this chat now waits out the provider's retry_after
    assert 1.5 < rate_acquire(platform="telegram", recipient="777") <= 2.0


def test_the_eager_task_waits_out_a_429_and_then_delivers(fake_telegram, django_capture_on_commit_callbacks):
    fake_telegram.rate_limit_next(retry_after=1)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        interaction = reply_send(channel=tg_channel(), text="after the pause")
    assert time.monotonic() - started >= 0.9
    interaction.refresh_from_db()
    assert interaction.status == "sent" and len(fake_telegram.sent()) == 2


def test_temporary_errors_back_off_then_park_the_message_for_the_retry_job(
    fake_telegram, settings, django_capture_on_commit_callbacks
):
    from messaging.send_queue import retry_failed_sends

    settings.SEND_MAX_ATTEMPTS = 2
    fake_telegram.fail_next(status=502, times=2)
    interaction = queue(tg_channel(), "hello")
    first = interaction_send(interaction_id=interaction.pk)
    assert first.status == "retry" and first.retry_in >= 2
    time.sleep(1.0)  # chat limiter
    assert interaction_send(interaction_id=interaction.pk).status == "failed"
    interaction.refresh_from_db()
    assert interaction.status == "failed" and interaction.attempts == 2 and "Bad Gateway" in interaction.error
    assert interaction.next_attempt_at > timezone.now() + timedelta(minutes=10)

    assert retry_failed_sends() == 0  # not due yet
    Interaction.objects.filter(pk=interaction.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    time.sleep(1.0)
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_failed_sends() == 1
    interaction.refresh_from_db()
    assert interaction.status == "sent" and len(fake_telegram.sent()) == 3


def test_a_blocked_bot_fails_permanently_and_deactivates_the_channel(fake_telegram):
    channel = tg_channel()
    fake_telegram.block_bot()
    interaction = queue(channel, "hello?")
    assert interaction_send(interaction_id=interaction.pk).status == "failed"
    interaction.refresh_from_db()
    channel.refresh_from_db()
    assert interaction.status == "failed" and interaction.next_attempt_at is None and "blocked" in interaction.error
    assert channel.is_active is False
    # the next message to an inactive channel fails without calling the provider
    assert interaction_send(interaction_id=queue(channel, "again").pk).status == "failed"
    assert len(fake_telegram.sent()) == 1


def test_a_web_message_is_marked_sent_without_a_provider(django_capture_on_commit_callbacks):
    channel, _ = user_channel_bind(platform="web", external_id="u-1")
    with django_capture_on_commit_callbacks(execute=True):
        interaction = reply_send(channel=channel, text="hi from the concierge")
    interaction.refresh_from_db()
    assert interaction.status == "sent"


def test_a_duplicate_task_for_a_sent_message_sends_nothing(fake_telegram):
    interaction = queue(tg_channel(), "once")
    interaction_send(interaction_id=interaction.pk)
    assert interaction_send(interaction_id=interaction.pk).status == "skipped"
    assert len(fake_telegram.sent()) == 1


# --------------------------------------------------------------------------- WhatsApp


def wa_channel(last_inbound_ago: timedelta | None):
    channel, _ = user_channel_bind(platform="whatsapp", external_id="6281234567")
    at = timezone.now() - last_inbound_ago if last_inbound_ago is not None else None
    UserChannel.objects.filter(pk=channel.pk).update(last_inbound_at=at)
    channel.refresh_from_db()
    return channel


def test_whatsapp_inside_the_24h_window_sends_free_text(fake_360dialog):
    interaction = queue(wa_channel(timedelta(hours=2)), "Here are three beach clubs…")
    assert interaction_send(interaction_id=interaction.pk).status == "sent"
    assert fake_360dialog.sent() == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "6281234567",
            "type": "text",
            "text": {"body": "Here are three beach clubs…", "preview_url": False},
        }
    ]
    interaction.refresh_from_db()
    assert interaction.provider_message_id == "wamid.FAKE000001"
    assert fake_360dialog.requests[0].headers["d360-api-key"] == "test-d360-key"


@pytest.mark.parametrize("ago", [timedelta(hours=25), None])
def test_whatsapp_outside_the_window_sends_the_approved_template_with_the_text(fake_360dialog, settings, ago):
    settings.WHATSAPP_TEMPLATE_NAME = "agnt_update"
    settings.WHATSAPP_TEMPLATE_LANGUAGE = "en"
    interaction = queue(wa_channel(ago), "Your booking is confirmed.\n\nSee you at 8pm!")
    assert interaction_send(interaction_id=interaction.pk).status == "sent"
    assert fake_360dialog.texts() == []
    assert fake_360dialog.templates() == [
        {
            "name": "agnt_update",
            "language": {"code": "en"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": "Your booking is confirmed. · See you at 8pm!"}],
                }
            ],
        }
    ]
    interaction.refresh_from_db()
    assert interaction.status == "sent" and interaction.payload["template"] == "agnt_update"


def test_whatsapp_refusing_free_text_as_outside_the_window_falls_back_to_the_template(fake_360dialog):
    fake_360dialog.fail_next(status=400, code=131047, message="Re-engagement message")
    interaction = queue(wa_channel(timedelta(hours=23, minutes=59)), "late reply")
    assert interaction_send(interaction_id=interaction.pk).status == "sent"
    assert [m["type"] for m in fake_360dialog.sent()] == ["text", "template"]


def test_whatsapp_pair_rate_limit_error_is_a_retry(fake_360dialog):
    fake_360dialog.fail_next(
        status=400, code=131056, message="(Business Account, Consumer Account) pair rate limit hit"
    )
    interaction = queue(wa_channel(timedelta(minutes=1)), "hi")
    outcome = interaction_send(interaction_id=interaction.pk)
    assert outcome.status == "retry" and outcome.retry_in > 0


# --------------------------------------------------------------------------- Instagram


def test_instagram_sends_through_the_graph_api_in_1000_character_parts(fake_instagram):
    channel, _ = user_channel_bind(platform="instagram", external_id="IGSID-9")
    interaction = queue(channel, " ".join(["word"] * 400))  # ~2000 characters
    assert interaction_send(interaction_id=interaction.pk).status == "sent"
    sent = fake_instagram.sent()
    assert len(sent) == 2 and all(len(m["message"]["text"]) <= 1000 for m in sent)
    assert sent[0]["recipient"] == {"id": "IGSID-9"}
    assert fake_instagram.requests[0].path == "/v21.0/me/messages"


# --------------------------------------------------------------------------- jobs


def test_the_periodic_jobs_are_registered():
    from agnt import scheduling
    from agnt.celery import app

    jobs = scheduling.load_all_jobs()
    assert {"retry_failed_sends", "dispatch_due_reminders"} <= set(jobs)
    assert jobs["retry_failed_sends"].task in app.tasks and jobs["dispatch_due_reminders"].task in app.tasks


def test_due_reminders_go_out_on_the_users_channel(fake_telegram, django_capture_on_commit_callbacks):
    from bookings.models import Reminder
    from bookings.services import reminder_create
    from messaging.send_queue import dispatch_due_reminders

    channel = tg_channel()
    reminder = reminder_create(
        user=channel.user, text="call the villa", due_at=timezone.now() + timedelta(minutes=5), channel="telegram"
    )
    later = reminder_create(
        user=channel.user, text="not yet", due_at=timezone.now() + timedelta(hours=5), channel="telegram"
    )
    Reminder.objects.filter(pk=reminder.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_due_reminders() == 1
    assert fake_telegram.texts() == ["⏰ Reminder: call the villa"]
    reminder.refresh_from_db()
    later.refresh_from_db()
    assert reminder.status == "sent" and later.status == "scheduled"
    outbound = Interaction.objects.get(direction="outbound")
    assert outbound.payload["reminder_id"] == str(reminder.pk) and outbound.source == "system"


def test_a_reminder_for_another_platform_falls_back_to_the_users_active_channel(
    fake_telegram, django_capture_on_commit_callbacks
):
    from bookings.models import Reminder
    from bookings.services import reminder_create
    from messaging.send_queue import reminders_dispatch

    channel = tg_channel()
    UserChannel.objects.filter(pk=channel.pk).update(last_inbound_at=timezone.now())
    reminder = reminder_create(
        user=channel.user, text="yoga at 7", due_at=timezone.now() + timedelta(minutes=5), channel="whatsapp"
    )
    Reminder.objects.filter(pk=reminder.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_dispatch() == 1
    assert fake_telegram.texts() == ["⏰ Reminder: yoga at 7"]


def test_a_reminder_for_a_user_without_a_channel_records_a_failure(django_user_model):
    from bookings.models import Reminder
    from bookings.services import reminder_create
    from messaging.send_queue import reminders_dispatch

    user = django_user_model.objects.create_user(username="nochannel", password="x-123456789")
    reminder = reminder_create(user=user, text="x", due_at=timezone.now() + timedelta(minutes=5))
    Reminder.objects.filter(pk=reminder.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert reminders_dispatch() == 0
    reminder.refresh_from_db()
    assert reminder.attempts == 1 and "no active messaging channel" in reminder.last_error


def test_replies_in_two_chats_may_share_telegrams_per_chat_message_id(fake_telegram):
    # Telegram numbers messages per chat, and an inbound update_id can equal an outbound
    # message_id: neither may collide with the inbound dedupe.
    from messaging.router import inbound_accept
    from messaging.types import InboundMessage

    inbound_accept(
        InboundMessage(platform="telegram", external_id="555", provider_message_id="1001", kind="text", text="hi"),
        enqueue=False,
    )
    first, second = queue(tg_channel(), "one"), queue(tg_channel("888"), "two")
    fake_telegram._ids = iter([1001, 1001])  # both chats' replies get message_id 1001
    assert interaction_send(interaction_id=first.pk).status == "sent"
    assert interaction_send(interaction_id=second.pk).status == "sent"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.provider_message_id == second.provider_message_id == "1001"


# --------------------------------------------------------------------------- a sender that dies mid-call


class _Killed(BaseException):
    """The worker dying inside the provider call (SIGKILL, out of memory): no handler of ours runs."""


def _die_mid_call(monkeypatch, interaction) -> None:
    from messaging import send_queue

    def dies(*args, **kwargs):
        raise _Killed

    with monkeypatch.context() as patched:
        patched.setattr(send_queue, "_deliver", dies)
        with pytest.raises(_Killed):
            interaction_send(interaction_id=interaction.pk)
    interaction.refresh_from_db()


def test_a_send_whose_worker_died_mid_call_goes_out_once_its_claim_runs_out_not_after_ten_minutes(
    fake_telegram, monkeypatch, django_capture_on_commit_callbacks
):
    from agnt.models import ErrorLog
    from messaging.send_queue import send_claim_seconds, sends_reclaim_dead

    interaction = queue(tg_channel(), "Your table at La Brisa is booked.")
    _die_mid_call(monkeypatch, interaction)
    assert interaction.status == "sending" and fake_telegram.sent() == []
    claim_until = interaction.next_attempt_at
    assert claim_until <= interaction.updated_at + timedelta(seconds=send_claim_seconds(1))
    assert send_claim_seconds(1) < 30  # seconds, not the ten-minute sweep

    # within the claim the sender may still be in the call: the relay leaves it alone
    assert sends_reclaim_dead(now=claim_until - timedelta(seconds=1)) == []
    interaction.refresh_from_db()
    assert interaction.status == "sending"

    # once it ran out: queued again and sent, once; staff see why
    with django_capture_on_commit_callbacks(execute=True):
        assert sends_reclaim_dead(now=claim_until + timedelta(seconds=1)) == [str(interaction.pk)]
    interaction.refresh_from_db()
    assert interaction.status == "sent" and interaction.next_attempt_at is None
    assert [m["text"] for m in fake_telegram.sent()] == ["Your table at La Brisa is booked."]
    assert ErrorLog.objects.filter(exception_type="send_worker_lost").count() == 1
    assert sends_reclaim_dead(now=claim_until + timedelta(minutes=5)) == []


def test_the_redelivered_task_of_a_dead_sender_waits_for_the_claim_then_sends_once(fake_telegram, monkeypatch):
    from messaging.send_queue import send_claim_seconds

    interaction = queue(tg_channel(), "See you at 7pm.")
    _die_mid_call(monkeypatch, interaction)

    # redelivered at once (acks_late + reject_on_worker_lost): comes back when the claim ends
    outcome = interaction_send(interaction_id=interaction.pk)
    assert outcome.status == "deferred" and 0 < outcome.retry_in <= send_claim_seconds(1) + 1
    assert fake_telegram.sent() == []

    Interaction.objects.filter(pk=interaction.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert interaction_send(interaction_id=interaction.pk).status == "sent"
    assert interaction_send(interaction_id=interaction.pk).status == "skipped"
    assert [m["text"] for m in fake_telegram.sent()] == ["See you at 7pm."]


def test_a_live_senders_claim_is_not_taken_over(fake_telegram):
    from messaging.services import interaction_mark_status

    interaction = queue(tg_channel(), "hello")
    claim_until = timezone.now() + timedelta(seconds=15)
    assert interaction_mark_status(
        interaction=interaction, status="sending", expect="queued", next_attempt_at=claim_until
    )
    assert interaction_send(interaction_id=interaction.pk).status == "deferred"
    from messaging.send_queue import sends_reclaim_dead

    assert sends_reclaim_dead(now=claim_until - timedelta(seconds=1)) == []
    assert fake_telegram.sent() == []
