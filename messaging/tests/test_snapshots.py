import pytest
from cryptography.fernet import Fernet
from django.db import connection
from model_bakery import baker

from messaging.models import ConversationSnapshot
from messaging.services import conversation_snapshot_take


@pytest.mark.django_db
def test_a_snapshot_round_trips_and_the_database_holds_only_ciphertext():
    user = baker.make("agnt.User")
    messages = [
        {
            "role": "user",
            "content": "Table for 2 at La Brisa, I'm allergic to peanuts",
            "ts": "2026-01-05T18:00:00+08:00",
        },
        {"role": "assistant", "content": "Booked for 19:30 ✓", "ts": "2026-01-05T18:00:02+08:00"},
    ]

    snapshot = conversation_snapshot_take(user=user, platform="whatsapp", messages=messages, reason="handoff")

    with connection.cursor() as cursor:
        cursor.execute("SELECT messages_ciphertext FROM messaging_conversationsnapshot WHERE id = %s", [snapshot.pk])
        (stored,) = cursor.fetchone()
    assert "peanuts" not in stored and "La Brisa" not in stored and "assistant" not in stored
    reloaded = ConversationSnapshot.objects.get(pk=snapshot.pk)
    assert reloaded.decrypt_messages() == messages
    assert reloaded.message_count == 2 and reloaded.first_message_at < reloaded.last_message_at


@pytest.mark.django_db
def test_old_snapshots_stay_readable_after_a_key_rotation(settings):
    user = baker.make("agnt.User")
    snapshot = conversation_snapshot_take(user=user, platform="telegram", messages=[{"role": "user", "content": "hi"}])

    settings.FERNET_KEYS = [Fernet.generate_key().decode(), *settings.FERNET_KEYS]

    assert ConversationSnapshot.objects.get(pk=snapshot.pk).decrypt_messages() == [{"role": "user", "content": "hi"}]
