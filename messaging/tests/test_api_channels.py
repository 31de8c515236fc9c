"""/api/channels: a user sees and unlinks only their own messaging identities."""

import pytest
from django.urls import reverse
from model_bakery import baker

from agnt.tests.api import bearer_client
from messaging.models import UserChannel
from messaging.services import user_channel_bind

pytestmark = pytest.mark.django_db


def test_a_user_lists_only_their_own_channels():
    me, other = baker.make("agnt.User"), baker.make("agnt.User")
    user_channel_bind(platform="telegram", external_id="111", username="made", user=me)
    user_channel_bind(platform="whatsapp", external_id="6281", user=me)
    user_channel_bind(platform="telegram", external_id="222", user=other)

    body = bearer_client(me).get(reverse("api-channels")).json()

    assert sorted((row["platform"], row["username"]) for row in body) == [("telegram", "made"), ("whatsapp", "")]
    assert "external_id" not in body[0]


def test_unlinking_deletes_the_binding_so_that_chat_is_no_longer_me():
    me = baker.make("agnt.User")
    channel, _ = user_channel_bind(platform="telegram", external_id="111", user=me)

    response = bearer_client(me).delete(reverse("api-channel", kwargs={"pk": channel.pk}))

    assert response.status_code == 204
    assert not UserChannel.objects.filter(pk=channel.pk).exists()
    again, created = user_channel_bind(platform="telegram", external_id="111")
    assert created and again.user_id != me.pk


def test_another_users_channel_is_not_found_and_stays():
    me, other = baker.make("agnt.User"), baker.make("agnt.User")
    theirs, _ = user_channel_bind(platform="telegram", external_id="222", user=other)

    assert bearer_client(me).delete(reverse("api-channel", kwargs={"pk": theirs.pk})).status_code == 404
    assert UserChannel.objects.filter(pk=theirs.pk, user=other).exists()
