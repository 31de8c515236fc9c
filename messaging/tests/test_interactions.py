import threading

import pytest
from django.db import IntegrityError, connection, transaction
from model_bakery import baker

from messaging.models import Interaction, UserChannel
from messaging.services import (
    InteractionTransitionError,
    interaction_mark_status,
    interaction_record_inbound,
    interaction_record_outbound,
    user_channel_bind,
)
from messaging.state import InteractionStatus

S = InteractionStatus


@pytest.mark.django_db
def test_a_redelivered_webhook_is_stored_once():
    channel, _ = user_channel_bind(platform="telegram", external_id="4242")
    first, created = interaction_record_inbound(
        platform="telegram", provider_message_id="tg-1", text="hi", channel=channel
    )
    again, created_again = interaction_record_inbound(
        platform="telegram", provider_message_id="tg-1", text="hi", channel=channel
    )

    assert created and not created_again and again.pk == first.pk
    assert Interaction.objects.filter(provider_message_id="tg-1").count() == 1
    assert first.user == channel.user and first.status == S.RECEIVED
    channel.refresh_from_db()
    assert channel.last_inbound_at is not None


@pytest.mark.django_db
def test_the_dedupe_is_per_platform_and_ignores_messages_without_a_provider_id():
    interaction_record_inbound(platform="telegram", provider_message_id="m-1")
    _, created_on_whatsapp = interaction_record_inbound(platform="whatsapp", provider_message_id="m-1")
    _, first_anonymous = interaction_record_inbound(platform="web", provider_message_id=None)
    _, second_anonymous = interaction_record_inbound(platform="web", provider_message_id=None)
    assert created_on_whatsapp and first_anonymous and second_anonymous


@pytest.mark.django_db
def test_a_duplicate_does_not_break_the_callers_transaction():
    interaction_record_inbound(platform="telegram", provider_message_id="tg-7")
    with transaction.atomic():
        _, created = interaction_record_inbound(platform="telegram", provider_message_id="tg-7")
        # the savepoint absorbed the IntegrityError; this transaction is still usable
        assert Interaction.objects.count() == 1
    assert not created


@pytest.mark.django_db
def test_the_database_itself_refuses_a_second_row_for_the_same_provider_message():
    baker.make(
        Interaction,
        platform="whatsapp",
        provider_message_id="wamid.X",
        direction="inbound",
        source="user",
        status="received",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        baker.make(
            Interaction,
            platform="whatsapp",
            provider_message_id="wamid.X",
            direction="inbound",
            source="user",
            status="received",
        )


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_of_the_same_message_store_exactly_one_row():
    barrier = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                _, created = interaction_record_inbound(platform="telegram", provider_message_id="race-1", text="book")
                # hold the row uncommitted a moment so the other insert must wait on the unique index
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_sleep(0.2)")
            results.append(created)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(results) == [False, True]
    assert Interaction.objects.filter(platform="telegram", provider_message_id="race-1").count() == 1


@pytest.mark.django_db
def test_an_outbound_message_records_each_receipt_and_ignores_late_ones():
    channel, _ = user_channel_bind(platform="whatsapp", external_id="6281234")
    message = interaction_record_outbound(platform="whatsapp", channel=channel, text="Booked!")

    assert interaction_mark_status(interaction=message, status=S.SENDING)
    assert interaction_mark_status(interaction=message, status=S.SENT, provider_message_id="wamid.1")
    assert interaction_mark_status(interaction=message, status=S.READ)
    # WhatsApp sometimes sends "delivered" after "read": a stale receipt, not an error
    assert interaction_mark_status(interaction=message, status=S.DELIVERED) is False

    message.refresh_from_db()
    assert message.status == S.READ and message.provider_message_id == "wamid.1" and message.attempts == 1
    assert message.sent_at and message.delivered_at and message.read_at
    channel.refresh_from_db()
    assert channel.last_outbound_at is not None


@pytest.mark.django_db
def test_it_refuses_a_nonsense_status_change():
    inbound, _ = interaction_record_inbound(platform="telegram", provider_message_id="tg-9")
    with pytest.raises(InteractionTransitionError):
        interaction_mark_status(interaction=inbound, status=S.DELIVERED)
    with pytest.raises(IntegrityError, match="cannot move from received to read"), transaction.atomic():
        Interaction.objects.filter(pk=inbound.pk).update(status=S.READ)
    with pytest.raises(IntegrityError), transaction.atomic():
        Interaction.objects.filter(pk=inbound.pk).update(status="vanished")


@pytest.mark.django_db
def test_a_failed_send_keeps_its_error_and_can_be_retried():
    message = interaction_record_outbound(platform="telegram", text="hi")
    interaction_mark_status(interaction=message, status=S.SENDING)
    interaction_mark_status(interaction=message, status=S.FAILED, error="429 Too Many Requests")
    message.refresh_from_db()
    assert message.error == "429 Too Many Requests"
    assert interaction_mark_status(interaction=message, status=S.QUEUED)


@pytest.mark.django_db
def test_binding_a_new_chat_creates_a_user_once_and_refreshes_the_handle_later():
    channel, created = user_channel_bind(platform="telegram", external_id=777, username="kadek", display_name="Kadek")
    again, created_again = user_channel_bind(platform="telegram", external_id="777", username="kadek_bali")

    assert created and not created_again and again.pk == channel.pk
    assert again.username == "kadek_bali" and channel.user.display_name == "Kadek"
    assert not channel.user.has_usable_password()
    assert UserChannel.objects.count() == 1


@pytest.mark.django_db
def test_a_platform_identity_belongs_to_one_binding_only():
    baker.make(UserChannel, platform="instagram", external_id="IG1")
    with pytest.raises(IntegrityError), transaction.atomic():
        baker.make(UserChannel, platform="instagram", external_id="IG1")
