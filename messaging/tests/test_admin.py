import pytest
from django.urls import reverse
from model_bakery import baker

from messaging.models import ConversationSnapshot, Interaction, UserChannel
from messaging.services import conversation_snapshot_take, interaction_record_inbound, user_channel_bind


@pytest.fixture
def demo(db):
    channel, _ = user_channel_bind(platform="telegram", external_id="555", username="wayan")
    interaction_record_inbound(platform="telegram", provider_message_id="tg-100", text="dinner for 2?", channel=channel)
    snapshot = conversation_snapshot_take(
        user=channel.user, platform="telegram", messages=[{"role": "user", "content": "secret sunset spot"}]
    )
    return {"snapshot": snapshot}


MODELS = [UserChannel, Interaction, ConversationSnapshot]


def _url(model, page, *args):
    return reverse(f"admin:messaging_{model._meta.model_name}_{page}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_messaging_admin_page_renders(staff_client, demo, model):
    assert staff_client.get(_url(model, "changelist")).status_code == 200
    obj = model.objects.order_by("pk").first()
    assert staff_client.get(_url(model, "change", obj.pk)).status_code == 200
    assert staff_client.get(_url(model, "add")).status_code in (200, 403)


def test_the_interaction_log_is_read_only(staff_client, demo):
    interaction = Interaction.objects.get()
    assert staff_client.get(_url(Interaction, "add")).status_code == 403
    assert staff_client.get(_url(Interaction, "delete", interaction.pk)).status_code == 403


def test_snapshot_messages_are_decrypted_on_the_change_page_only(staff_client, demo):
    snapshot = demo["snapshot"]
    assert "secret sunset spot" not in staff_client.get(_url(ConversationSnapshot, "changelist")).content.decode()
    assert "secret sunset spot" in staff_client.get(_url(ConversationSnapshot, "change", snapshot.pk)).content.decode()


def test_the_user_channel_inline_is_ready_for_the_user_admin():
    from messaging.admin import UserChannelInline

    assert UserChannelInline.model is UserChannel and UserChannelInline.fk_name == "user"


def test_the_interaction_changelist_needs_a_bounded_number_of_queries(
    staff_client, demo, django_assert_max_num_queries
):
    channel = UserChannel.objects.get()
    for n in range(30):
        interaction_record_inbound(
            platform="telegram", provider_message_id=f"bulk-{n}", text=f"msg {n}", channel=channel
        )
    baker.make(Interaction, platform="web", direction="outbound", source="concierge", status="queued", _quantity=5)
    with django_assert_max_num_queries(15):
        assert staff_client.get(_url(Interaction, "changelist")).status_code == 200
