"""Pending actions in Redis and reading yes/no from a user's reply."""

from __future__ import annotations

import pytest

from agnt.llm.types import ToolContext
from messaging.tools import confirmation
from messaging.tools.confirmation import (
    confirmed_action_for,
    is_affirmative,
    is_negative,
    pending_action_claim,
    pending_action_clear,
    pending_action_create,
    pending_action_get,
)


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "Yes!",
        "YES please",
        "y",
        "yep",
        "ok",
        "Okay, book it",
        "sure",
        "go ahead",
        "confirm",
        "do it",
        "yes, go ahead",
        "👍",
        "iya",
        "oke",
        "ya",
        "sounds good",
        "let's do it",
        "Yes please, thanks!",
        "great, lock it in",
        "да, бронируйте",
        "отлично, бронируй",
        "iya, pesan aja",
        "ja, bitte buchen",
        "super, dann buchen",
        "ok kak, lanjut",
        "siap mas",
    ],
)
def test_affirmative_replies(text):
    assert is_affirmative(text)
    assert not is_negative(text)


@pytest.mark.parametrize("text", ["ок", "Окей, давай", "да, всё верно", "iya, lanjut", "oke deh", "jap", "jo, klar"])
def test_everyday_yes_in_russian_indonesian_and_german(text):
    assert is_affirmative(text)
    assert not is_negative(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no",
        "yes but at 8pm instead",
        "ok wait",
        "yes? what time",
        "maybe",
        "what about tomorrow",
        "is it expensive?",
        "book a table at La Ola",
        "sure, but can you change it to 5 people",
        "not yet",
        "yes I want to book a different place for tomorrow night instead",
        "ja, aber um 20 Uhr",
        "да, но на завтра",
        "iya tapi besok",
    ],
)
def test_hedged_or_unrelated_replies_are_not_a_yes(text):
    assert not is_affirmative(text)


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "No thanks",
        "nope",
        "cancel",
        "don't book it",
        "never mind",
        "tidak",
        "nah",
        "actually cancel that, changed my mind",
        "sorry, I changed my mind",
        "oh never mind",
        "nggak jadi deh",
    ],
)
def test_negative_replies(text):
    assert is_negative(text)
    assert not is_affirmative(text)


@pytest.mark.parametrize("text", ["actually make it 9pm", "wait, make it Nonna Ayu instead", "ok then thursday"])
def test_a_change_is_not_a_no(text):
    assert not is_negative(text)


@pytest.fixture
def user(db, django_user_model):
    return django_user_model.objects.create_user(username="guest", password="x")


def test_pending_action_round_trip_and_ttl(user):
    from agnt.scheduling import redis_client

    action = pending_action_create(user=user, tool="create_booking", arguments={"venue": "x"}, summary="Table")
    assert action["id"].startswith("cf_")
    assert pending_action_get(user=user) == action
    ttl = redis_client().ttl(f"agnt:concierge:pending-action:{user.pk}")
    assert 0 < ttl <= confirmation.PENDING_ACTION_TTL_SECONDS
    pending_action_clear(user=user)
    assert pending_action_get(user=user) is None


def test_a_new_proposal_replaces_the_old_one(user):
    first = pending_action_create(user=user, tool="create_booking", arguments={}, summary="a")
    second = pending_action_create(user=user, tool="transport_book", arguments={}, summary="b")
    assert first["id"] != second["id"] and pending_action_get(user=user)["id"] == second["id"]


def test_pending_actions_are_per_user(user, django_user_model):
    other = django_user_model.objects.create_user(username="other", password="x")
    pending_action_create(user=user, tool="create_booking", arguments={}, summary="a")
    assert pending_action_get(user=other) is None


def test_a_confirmation_is_claimed_once(user):
    assert pending_action_claim(action_id="cf_1") is True
    assert pending_action_claim(action_id="cf_1") is False


def test_confirmed_action_must_match_id_and_tool(user):
    action = pending_action_create(user=user, tool="create_booking", arguments={"venue": "x"}, summary="a")
    ctx = ToolContext(user=user, platform="telegram", confirmed_action=action)
    assert confirmed_action_for(ctx, tool="create_booking", confirmation_id=action["id"]) == action
    assert confirmed_action_for(ctx, tool="create_booking", confirmation_id="cf_other") is None
    assert confirmed_action_for(ctx, tool="transport_book", confirmation_id=action["id"]) is None
    assert confirmed_action_for(ctx, tool="create_booking", confirmation_id=None) is None
    ctx.confirmed_action = None
    assert confirmed_action_for(ctx, tool="create_booking", confirmation_id=action["id"]) is None
