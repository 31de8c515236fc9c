"""Hostile JSON at every door: 1,000 nested ``[`` (2 KB) is a clean refusal, never a 500.

Each entry point that parses a client's JSON is sent the same body, correctly signed or
authenticated where the door asks for it, so the request reaches the parser.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest
from django.contrib.auth import get_user_model

from agents.services import api_key_create
from agents.tests.live_asgi import asgi_server  # noqa: F401 - fixture
from agnt.jsonbody import MalformedJson, json_parse, json_too_deep
from billing.models import StripeEvent
from billing.tests.fake_stripe import WEBHOOK_SECRET
from messaging.models import Interaction

NESTED = b"[" * 1000 + b"]" * 1000  # 2 KB, deeper than Python's recursion limit allows json.loads to go
UNCLOSED = b"[" * 2000  # the body from the report: never closed


@pytest.fixture(params=[NESTED, UNCLOSED], ids=["nested", "unclosed"])
def hostile(request) -> bytes:
    return request.param


# --------------------------------------------------------------------------- the helper


def test_the_depth_limit_counts_arrays_and_objects_but_not_brackets_inside_strings():
    assert json_parse(b'{"a": [1, {"b": "[[[[[[[[[[[[[[[[[[[[[[[["}]}', limit=3) == {"a": [1, {"b": "[" * 24}]}
    assert json_parse(b'["\\"[[[[[["]', limit=1) == ['"[[[[[[']
    assert not json_too_deep(b"[[[]]]", limit=3)
    assert json_too_deep(b"[[[[]]]]", limit=3)
    assert json_too_deep(b'[{"a": [{}]}]', limit=3)
    with pytest.raises(MalformedJson, match="nested deeper than 3"):
        json_parse(b"[{}, [[[1]]]]", limit=3)


@pytest.mark.parametrize("raw", [NESTED, UNCLOSED, b"[" * 100_000, b"\xff\xfe", b"{", b""])
def test_anything_a_client_sends_is_a_value_or_malformed_json_never_a_recursion_error(raw):
    with pytest.raises(MalformedJson):
        json_parse(raw)


def test_a_deep_body_of_several_megabytes_is_judged_quickly():
    import time

    body = b"[" * 1_500_000 + b"]" * 1_500_000
    started = time.perf_counter()
    assert json_too_deep(body)
    assert time.perf_counter() - started < 1.0  # a C-speed scan, not a Python loop per byte


# --------------------------------------------------------------------------- DRF (/api)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/auth/token", "/api/auth/refresh"])
def test_the_token_endpoints_answer_400_to_deeply_nested_json(client, path, hostile):
    response = client.post(path, data=hostile, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "Recursion" not in response.content.decode()


@pytest.mark.django_db
def test_an_authenticated_api_call_answers_400_to_deeply_nested_json(client, hostile):
    from agnt import services

    user = get_user_model().objects.create_user(username="nest", password="x")
    access = services.session_login(user=user).access
    response = client.post(
        "/api/memories", data=hostile, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {access}"
    )
    assert response.status_code == 400, response.content


# --------------------------------------------------------------------------- provider webhooks


@pytest.mark.django_db
def test_the_telegram_webhook_answers_400_to_deeply_nested_json(client, settings, hostile):
    settings.TELEGRAM_WEBHOOK_SECRET = "tg-secret"
    response = client.post(
        "/webhooks/telegram",
        data=hostile,
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="tg-secret",
    )
    assert response.status_code == 400
    assert not Interaction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/webhooks/whatsapp", "/webhooks/instagram"])
def test_the_meta_webhooks_answer_400_to_signed_deeply_nested_json(client, settings, path, hostile):
    settings.META_APP_SECRET = "meta-secret"
    signature = "sha256=" + hmac.new(b"meta-secret", hostile, hashlib.sha256).hexdigest()
    response = client.post(path, data=hostile, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature)
    assert response.status_code == 400
    assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_the_stripe_webhook_answers_400_to_signed_deeply_nested_json(client, settings, hostile):
    import stripe

    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    header = stripe.WebhookSignature.generate_signature_header(hostile.decode(), WEBHOOK_SECRET)
    response = client.post(
        "/webhooks/stripe", data=hostile, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


# --------------------------------------------------------------------------- the open network


@pytest.fixture
def pro_key(db):
    owner = get_user_model().objects.create_user(username="nest-dev", password="x")
    return api_key_create(owner=owner, name="nest", tier="pro")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/a2a/v1/envelope", "/a2a/v1/bookings"])
def test_the_network_api_answers_a_400_problem_to_deeply_nested_json(client, pro_key, path, hostile):
    response = client.post(
        path, data=hostile, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {pro_key[1]}"
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert "Recursion" not in response.content.decode()


@pytest.mark.django_db
def test_the_builtin_gateway_answers_400_to_deeply_nested_json(client, hostile):
    response = client.post(
        "/gateway/api/agents/message", data=hostile, content_type="application/json", HTTP_X_API_KEY="k"
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "malformed_json"


@pytest.mark.django_db(transaction=True)
def test_the_a2a_jsonrpc_endpoint_answers_a_parse_error_without_the_exception_text(asgi_server, pro_key):  # noqa: F811
    headers = {"Authorization": f"Bearer {pro_key[1]}", "Content-Type": "application/json"}
    for body in (NESTED, UNCLOSED):
        response = httpx.post(f"{asgi_server}/a2a/jsonrpc", content=body, headers=headers, timeout=10)
        assert response.status_code < 500, response.text
        error = response.json()["error"]
        assert error["code"] == -32700
        assert "recursion" not in json.dumps(error).lower()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/mcp", f"/mcp/messages/?session_id={'0' * 32}"])
def test_the_mcp_endpoints_answer_a_parse_error_to_deeply_nested_json(asgi_server, pro_key, path):  # noqa: F811
    headers = {
        "Authorization": f"Bearer {pro_key[1]}",
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
    }
    for body in (NESTED, UNCLOSED):
        response = httpx.post(f"{asgi_server}{path}", content=body, headers=headers, timeout=10)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == -32700


@pytest.mark.django_db
def test_an_api_body_over_the_upload_limit_is_a_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = b'{"username": "' + b"a" * 2000 + b'", "password": "x"}'
    response = client.post("/api/auth/token", data=body, content_type="application/json")
    assert response.status_code == 413, response.content
