"""Faults on the real pipeline: webhook (uvicorn) → Celery worker → router → send queue →
a fake Telegram Bot API, all in child processes on the test database and a private Redis.

Every test asserts that each guest message is answered exactly once, within a bound —
while a pool child is SIGKILLed mid-message, while Redis is down, while Telegram answers
429. Bounds are generous upper limits on elapsed time, never wall-clock dates.
"""

from __future__ import annotations

import os
import time

import pytest
import redis

from messaging.tests.pipeline import FakeTelegram, Guests, Pipeline, PrivateRedis, database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ANSWER_BOUND = 30.0  # seconds: the bound for a guest hit by a fault


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.db import connection

    with django_db_blocker.unblock():
        db_url = database_url(connection.settings_dict)
    private = PrivateRedis(tmp_path_factory.mktemp("redis"))
    private.start()
    telegram = FakeTelegram()
    pipeline = Pipeline(
        database_url=db_url,
        redis_url=private.url,
        telegram=telegram,
        workers={"worker": (["messaging"], 2)},
    )
    try:
        pipeline.start()
        guests = Guests(pipeline.port)
        yield pipeline, telegram, private, guests
        guests.close()
    finally:
        pipeline.stop()
        telegram.stop()
        private.stop()


_next_chat = [6_100_000_000 + os.getpid() % 1000 * 1000]


def _chats(n: int) -> list[str]:
    first = _next_chat[0]
    _next_chat[0] += n
    return [str(first + i) for i in range(n)]


def _answered_once(telegram: FakeTelegram, sent: dict[str, int], bound: float) -> None:
    for chat, n in sent.items():
        assert telegram.wait_count(chat, n, bound) is not None, f"chat {chat}: {telegram.count(chat)} of {n} answered"
    time.sleep(1.0)  # a duplicate would come right after
    assert {chat: telegram.count(chat) for chat in sent} == sent


def _faults(private: PrivateRedis) -> dict[str, int]:
    raw = redis.Redis.from_url(f"{private.url}?db=0").hgetall("agnt:metrics:faults")
    return {key.decode(): int(value) for key, value in raw.items()}


def test_a_pool_child_killed_mid_message_delays_only_its_guest_who_is_answered_once(stack):
    from agnt.models import ErrorLog

    pipeline, telegram, private, guests = stack
    victim_chat, *others = _chats(4)
    sent = {chat: 0 for chat in [victim_chat, *others]}

    telegram.hold(victim_chat)  # the reply to this guest hangs in the provider call…
    guests.say(victim_chat, "/help")
    sent[victim_chat] += 1
    child = telegram.caller_pid(victim_chat)
    assert child in pipeline.pool_children("worker")
    os.kill(child, 9)  # …and the pool child making it is killed there
    killed = time.monotonic()
    telegram.release(victim_chat, drop=True)  # the call it was making never completed

    # other guests are answered at once: nobody waits on the dead child's lock
    for chat in others:
        guests.say(chat, "/help")
        sent[chat] += 1
        assert telegram.wait_count(chat, sent[chat], 10) is not None
    arrived = telegram.wait_count(victim_chat, 1, ANSWER_BOUND)
    assert arrived is not None and arrived - killed <= ANSWER_BOUND
    _answered_once(telegram, sent, ANSWER_BOUND)

    # the guest's next message is answered normally
    guests.say(victim_chat, "thanks")
    sent[victim_chat] += 1
    _answered_once(telegram, sent, ANSWER_BOUND)
    kinds = set(ErrorLog.objects.values_list("exception_type", flat=True))
    assert {"worker_lost", "worker_lost_mid_message"} <= kinds
    assert _faults(private).get("worker_lost", 0) >= 1


def test_a_send_task_killed_mid_call_delivers_once_within_seconds_not_after_the_ten_minute_sweep(stack):
    from agnt.models import ErrorLog

    pipeline, telegram, private, guests = stack
    (chat,) = _chats(1)
    telegram.rate_limit(chat, times=1, retry_after=1)  # the inline send is refused: a send task takes the reply
    guests.say(chat, "/help")
    deadline = time.monotonic() + ANSWER_BOUND
    while not any(refused == chat for _, refused in telegram.refused):
        assert time.monotonic() < deadline, "the inline send never reached the provider"
        time.sleep(0.02)
    telegram.hold(chat)  # the send task's call hangs…
    child = telegram.caller_pid(chat)
    assert child in pipeline.pool_children("worker")
    os.kill(child, 9)  # …and the pool child making it is killed there
    killed = time.monotonic()
    telegram.release(chat, drop=True)  # the call never reached "Telegram"

    arrived = telegram.wait_count(chat, 1, ANSWER_BOUND)
    assert arrived is not None and arrived - killed <= ANSWER_BOUND
    _answered_once(telegram, {chat: 1}, 5)
    assert ErrorLog.objects.filter(exception_type="send_worker_lost").exists()


def test_messages_accepted_while_redis_is_down_are_answered_once_soon_after_it_returns(stack):
    pipeline, telegram, private, guests = stack
    chats = _chats(3)
    sent = {chat: 0 for chat in chats}
    for chat in chats:  # a stream in progress
        guests.say(chat, "hello")
        sent[chat] += 1
    _answered_once(telegram, sent, 15)

    private.stop()
    for round_ in range(2):
        for chat in chats:
            guests.say(chat, "what can you do?")  # the webhook still stores it and answers 200
            sent[chat] += 1
    private.start()
    back = time.monotonic()
    for chat, n in sent.items():
        arrived = telegram.wait_count(chat, n, ANSWER_BOUND)
        assert arrived is not None and arrived - back <= ANSWER_BOUND
    _answered_once(telegram, sent, 5)


def test_telegram_429_is_waited_out_and_every_message_answered_once(stack):
    pipeline, telegram, private, guests = stack
    chat, other = _chats(2)
    telegram.rate_limit(chat, times=2, retry_after=1)
    sent = {chat: 0, other: 0}
    started = time.monotonic()
    for text in ("/help", "hello", "thanks"):
        guests.say(chat, text)
        sent[chat] += 1
        guests.say(other, text)
        sent[other] += 1
    _answered_once(telegram, sent, ANSWER_BOUND)
    assert time.monotonic() - started <= ANSWER_BOUND
    assert sum(1 for _, refused in telegram.refused if refused == chat) == 2
