from cryptography.fernet import Fernet

from messaging import session_store


def _turn(text: str) -> list[dict]:
    return [
        {"role": "user", "content": [{"type": "text", "text": text}]},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": f"t-{text}", "name": "venue_search", "input": {}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"t-{text}", "content": "[]"}]},
        {"role": "assistant", "content": [{"type": "text", "text": f"answer to {text}"}]},
    ]


def test_history_is_stored_encrypted_and_read_back(db):
    session_store.history_save(platform="telegram", user_id="u1", messages=_turn("vegan food in Ubud"))
    raw = session_store.history_raw(platform="telegram", user_id="u1")
    assert b"vegan" not in raw and raw.startswith(b"gAAAA")  # a Fernet token, not JSON
    assert session_store.history_load(platform="telegram", user_id="u1") == _turn("vegan food in Ubud")


def test_history_is_scoped_per_platform_and_user(db):
    session_store.history_save(platform="telegram", user_id="u1", messages=_turn("a"))
    assert session_store.history_load(platform="whatsapp", user_id="u1") == []
    assert session_store.history_load(platform="telegram", user_id="u2") == []


def test_history_is_bounded_and_never_starts_with_a_tool_result(db, settings):
    settings.CHAT_HISTORY_MAX_MESSAGES = 6
    messages = _turn("one") + _turn("two") + _turn("three")
    kept = session_store.history_save(platform="web", user_id="u1", messages=messages)
    # the newest 6 would start mid-turn ("two"'s tool_result); the cut moves to the next real user turn
    assert kept == _turn("three")
    assert session_store.history_load(platform="web", user_id="u1") == _turn("three")


def test_history_expires_after_the_ttl(db, settings):
    settings.CHAT_HISTORY_TTL_HOURS = 2
    session_store.history_save(platform="web", user_id="u1", messages=_turn("a"))
    from agnt.scheduling import redis_client

    ttl = redis_client().ttl(f"{session_store.KEY_PREFIX}:web:u1")
    assert 7000 < ttl <= 7200


def test_history_written_under_an_old_key_is_read_after_rotation(db, settings):
    old_key = settings.FERNET_KEYS[0]
    session_store.history_save(platform="web", user_id="u1", messages=_turn("a"))
    settings.FERNET_KEYS = [Fernet.generate_key().decode(), old_key]
    assert session_store.history_load(platform="web", user_id="u1") == _turn("a")
    session_store.history_append(platform="web", user_id="u1", new_messages=_turn("b"))
    settings.FERNET_KEYS = [settings.FERNET_KEYS[0]]  # old key retired: the rewrite used the new one
    assert session_store.history_load(platform="web", user_id="u1") == _turn("a") + _turn("b")


def test_history_unreadable_with_current_keys_starts_afresh(db, settings):
    session_store.history_save(platform="web", user_id="u1", messages=_turn("a"))
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    assert session_store.history_load(platform="web", user_id="u1") == []


def test_clear_forgets_the_conversation(db):
    session_store.history_save(platform="web", user_id="u1", messages=_turn("a"))
    session_store.history_clear(platform="web", user_id="u1")
    assert session_store.history_load(platform="web", user_id="u1") == []


def test_the_nightly_job_snapshots_conversations_that_changed_today_encrypted(django_user_model):
    from datetime import timedelta

    from django.utils import timezone

    from messaging.models import ConversationSnapshot
    from messaging.services import conversation_snapshot_daily
    from messaging.tasks import conversation_snapshots

    active = django_user_model.objects.create_user(username="active", password="x")
    quiet = django_user_model.objects.create_user(username="quiet", password="x")
    session_store.history_save(platform="telegram", user_id=active.pk, messages=_turn("vegan food in Ubud"))
    session_store.history_save(platform="telegram", user_id=quiet.pk, messages=_turn("hello"))

    # a day later only the conversation that changed since is copied
    assert conversation_snapshot_daily(now=timezone.now() + timedelta(days=2)) == 0
    assert conversation_snapshots() == 2
    snapshot = ConversationSnapshot.objects.get(user=active)
    assert snapshot.platform == "telegram" and snapshot.message_count == 4
    assert "vegan" not in snapshot.messages_ciphertext
    assert snapshot.decrypt_messages()[0]["content"][0]["text"] == "vegan food in Ubud"
