"""whatsapp_window_expiry and interaction_retention_purge do real work, on a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from model_bakery import baker

from agnt.scheduling import REGISTRY, load_all_jobs
from messaging import tasks
from messaging.models import Interaction, UserChannel
from messaging.selectors import whatsapp_window_open
from venues.tests.factories import make_booking, make_venue

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def _outbound(channel, *, status="failed", **fields):
    return baker.make(
        Interaction,
        user=channel.user,
        channel=channel,
        platform=channel.platform,
        direction="outbound",
        source="concierge",
        status=status,
        text="Your table is ready",
        **fields,
    )


def test_the_new_jobs_are_in_the_registry():
    load_all_jobs()
    for name in (
        "send_push_notifications",
        "price_watch_check",
        "whatsapp_window_expiry",
        "interaction_retention_purge",
        "api_key_usage_rollup",
    ):
        assert name in REGISTRY, name


def test_closed_whatsapp_windows_are_marked_and_undeliverable_free_form_retries_stop(settings):
    settings.WHATSAPP_TEMPLATE_NAME = ""
    closed = baker.make(
        UserChannel, platform="whatsapp", external_id="628111", last_inbound_at=NOW - timedelta(hours=25)
    )
    open_ = baker.make(UserChannel, platform="whatsapp", external_id="628222", last_inbound_at=NOW - timedelta(hours=2))
    telegram = baker.make(UserChannel, platform="telegram", external_id="77", last_inbound_at=NOW - timedelta(days=3))
    stuck = _outbound(closed, next_attempt_at=NOW + timedelta(minutes=2), error="timeout")
    waiting = _outbound(open_, next_attempt_at=NOW + timedelta(minutes=2))
    with time_machine.travel(NOW, tick=False):
        assert tasks.whatsapp_window_expiry() == {"closed": 1, "retries_stopped": 1}
        assert tasks.whatsapp_window_expiry() == {"closed": 0, "retries_stopped": 0}
    closed.refresh_from_db()
    assert closed.window_closed_at == NOW - timedelta(hours=1)
    assert not whatsapp_window_open(channel=closed)
    stuck.refresh_from_db()
    waiting.refresh_from_db()
    assert stuck.next_attempt_at is None and "24 h window closed" in stuck.error
    assert waiting.next_attempt_at is not None
    open_.refresh_from_db()
    telegram.refresh_from_db()
    assert open_.window_closed_at is None and telegram.window_closed_at is None


def test_with_a_template_configured_closed_windows_keep_their_retries(settings):
    settings.WHATSAPP_TEMPLATE_NAME = "agnt_update"
    closed = baker.make(UserChannel, platform="whatsapp", external_id="628333", last_inbound_at=NOW - timedelta(days=2))
    retry = _outbound(closed, next_attempt_at=NOW + timedelta(minutes=2))
    with time_machine.travel(NOW, tick=False):
        assert tasks.whatsapp_window_expiry() == {"closed": 1, "retries_stopped": 0}
    retry.refresh_from_db()
    assert retry.next_attempt_at is not None


def test_an_inbound_message_reopens_a_closed_window():
    from messaging.services import interaction_record_inbound

    channel = baker.make(
        UserChannel,
        platform="whatsapp",
        external_id="628444",
        last_inbound_at=NOW - timedelta(days=2),
        window_closed_at=NOW - timedelta(days=1),
    )
    with time_machine.travel(NOW, tick=False):
        interaction_record_inbound(
            platform="whatsapp", channel=channel, user=channel.user, text="hi", provider_message_id="wamid.X1"
        )
        channel.refresh_from_db()
        assert channel.window_closed_at is None and whatsapp_window_open(channel=channel)


def test_old_interactions_are_deleted_in_batches_and_booking_messages_keep_no_words(settings):
    settings.INTERACTION_RETENTION_DAYS = 30
    channel = baker.make(UserChannel, platform="telegram", external_id="99")
    booking = make_booking(venue=make_venue())
    old = [_outbound(channel, status="sent") for _ in range(5)]
    question = old[0]
    reply = _outbound(channel, status="sent", reply_to=question)
    booked = _outbound(channel, status="sent", booking=booking, payload={"notification": "booking:x:confirmed"})
    Interaction.objects.filter(pk__in=[i.pk for i in [*old, booked]]).update(created_at=NOW - timedelta(days=31))
    Interaction.objects.filter(pk=reply.pk).update(created_at=NOW - timedelta(days=3))
    with time_machine.travel(NOW, tick=False):
        assert tasks.interaction_retention_purge.run() == {"anonymised": 1, "deleted": 5}
    remaining = {i.pk: i for i in Interaction.objects.all()}
    assert set(remaining) == {reply.pk, booked.pk}
    assert remaining[reply.pk].reply_to_id is None and remaining[reply.pk].text == "Your table is ready"
    assert (remaining[booked.pk].text, remaining[booked.pk].payload, remaining[booked.pk].booking_id) == (
        "",
        {},
        booking.pk,
    )


def test_the_purge_works_through_a_backlog_in_small_batches(settings):
    from messaging.services import interaction_retention_purge

    settings.INTERACTION_RETENTION_DAYS = 30
    channel = baker.make(UserChannel, platform="telegram", external_id="98")
    for _ in range(7):
        _outbound(channel, status="sent")
    Interaction.objects.update(created_at=NOW - timedelta(days=40))
    with time_machine.travel(NOW, tick=False):
        assert interaction_retention_purge(batch_size=3) == {"anonymised": 0, "deleted": 7}
        assert interaction_retention_purge(batch_size=3) == {"anonymised": 0, "deleted": 0}
    assert not Interaction.objects.exists()
