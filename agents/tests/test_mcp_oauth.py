"""MCP authorization (spec 2025-11-25): the official Python client connects through OAuth —
discovery from the 401, dynamic registration, authorization code with PKCE and the consent
page, token, a tool call, refresh — against a live server; tokens act as the user's key."""

from __future__ import annotations

import asyncio
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import httpx2
import pytest
from django.test import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider, TokenStorage
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from oauth2_provider.models import AccessToken, Application

from agents.services import api_key_create
from agents.tests.live_asgi import asgi_server  # noqa: F401 - fixture
from agents.tests.test_venue_agent import make_test_venue
from bookings.models import VenueBooking

pytestmark = pytest.mark.django_db(transaction=True)

REDIRECT = "http://127.0.0.1:3999/callback"


@pytest.fixture
def server(asgi_server, settings):
    settings.PUBLIC_BASE_URL = asgi_server
    return asgi_server


class MemoryStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client

    async def set_client_info(self, client_info):
        self.client = client_info


def session_cookie(user) -> str:
    django_client = Client()
    django_client.force_login(user)
    return django_client.cookies["sessionid"].value


def logged_in_browser(server: str, cookie: str) -> httpx.AsyncClient:
    """An HTTP client carrying the user's Django session, as their browser would."""
    return httpx.AsyncClient(base_url=server, cookies={"sessionid": cookie}, timeout=30)


class Browser:
    """Plays the user: opens the authorization URL, reads the consent page, allows."""

    def __init__(self, server: str, user) -> None:
        self.server, self.cookie = server, session_cookie(user)
        self.consent_page = ""
        self.redirect = ""

    async def open(self, authorization_url: str) -> None:
        async with logged_in_browser(self.server, self.cookie) as browser:
            page = await browser.get(authorization_url)
            assert page.status_code == 200, page.text
            self.consent_page = page.text
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
            fields = {k: unescape(v) for k, v in fields.items()}
            answer = await browser.post(
                authorization_url,
                data={**fields, "allow": "Authorize"},
                headers={"Referer": authorization_url, "X-CSRFToken": browser.cookies.get("csrftoken", "")},
            )
            assert answer.status_code == 302, answer.text
            self.redirect = answer.headers["location"]

    async def callback(self) -> AuthorizationCodeResult:
        query = parse_qs(urlsplit(self.redirect).query)
        return AuthorizationCodeResult(code=query["code"][0], state=query["state"][0])


def test_the_official_client_connects_through_oauth_and_calls_a_tool_as_the_users_key(server, django_user_model):
    venue = make_test_venue(category="beach_club")
    user = django_user_model.objects.create_user(username="ayu", password="x")
    api_key, _ = api_key_create(owner=user, name="Ayu's key", tier="pro")
    storage, browser = MemoryStorage(), Browser(server, user)
    auth = OAuthClientProvider(
        server_url=f"{server}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="Test desktop client",
            redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=browser.open,
        callback_handler=browser.callback,
    )

    async def scenario():
        async with httpx2.AsyncClient(auth=auth, timeout=30) as http:
            async with streamable_http_client(f"{server}/mcp", http_client=http) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await session.call_tool("get_venue", {"venue": venue.slug})

    result = asyncio.run(asyncio.wait_for(scenario(), 60))

    assert not result.is_error and venue.slug in result.content[0].text
    application = Application.objects.get(client_id=storage.client.client_id)
    assert application.client_type == "public" and application.redirect_uris == REDIRECT
    assert "Test desktop client" in browser.consent_page and "book tables on your behalf" in browser.consent_page
    assert storage.tokens.refresh_token and storage.tokens.access_token
    token = AccessToken.objects.get(user=user)
    assert token.resource == [f"{server}/mcp"]  # RFC 8707: bound to the MCP endpoint
    # the token acts as the user's key: the pro tier's budget, counted on that key
    answer = httpx.post(
        f"{server}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        headers={
            "Authorization": f"Bearer {storage.tokens.access_token}",
            "Accept": "application/json, text/event-stream",
        },
        timeout=10,
    )
    assert answer.status_code == 200 and answer.headers["RateLimit-Limit"] == "600"
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None

    # refresh: a new access token for the refresh token (rotated)
    refreshed = httpx.post(
        f"{server}/oauth/token/",
        data={
            "grant_type": "refresh_token",
            "refresh_token": storage.tokens.refresh_token,
            "client_id": storage.client.client_id,
        },
        timeout=10,
    )
    assert refreshed.status_code == 200, refreshed.text
    fresh = refreshed.json()
    assert fresh["access_token"] != storage.tokens.access_token and fresh["refresh_token"]

    # revocation (RFC 7009), and deleting a token in the admin, lock the client out at once
    revoked = httpx.post(
        f"{server}/oauth/revoke/",
        data={"token": fresh["access_token"], "client_id": storage.client.client_id},
        timeout=10,
    )
    assert revoked.status_code == 200
    after = httpx.post(
        f"{server}/mcp",
        json={"jsonrpc": "2.0", "id": 2, "method": "ping"},
        headers={"Authorization": f"Bearer {fresh['access_token']}"},
        timeout=10,
    )
    assert after.status_code == 401 and after.json()["error"] == "invalid_api_key"
    assert not VenueBooking.objects.exists()


def test_a_user_without_a_key_gets_a_free_tier_key_on_consent(server, django_user_model):
    user = django_user_model.objects.create_user(username="wayan", password="x")
    registered = httpx.post(
        f"{server}/oauth/register",
        json={
            "client_name": "Chat app",
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "client_secret_post",
        },
        timeout=10,
    ).json()
    assert registered["token_endpoint_auth_method"] == "none" and "client_secret" not in registered

    browser = Browser(server, user)

    async def consent():
        verifier_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # S256 of the RFC 7636 example
        await browser.open(
            f"{server}/oauth/authorize/?response_type=code&client_id={registered['client_id']}"
            f"&redirect_uri={REDIRECT}&state=s1&code_challenge={verifier_challenge}&code_challenge_method=S256"
        )

    asyncio.run(consent())

    assert browser.redirect.startswith(REDIRECT + "?code=")
    assert user.api_keys.get().tier == "free"


def test_discovery_documents_and_the_401_challenge_point_to_the_authorization_server(server):
    challenge = httpx.post(f"{server}/mcp", json={}, timeout=10).headers["WWW-Authenticate"]
    resource = httpx.get(f"{server}/.well-known/oauth-protected-resource/mcp", timeout=10).json()
    bare = httpx.get(f"{server}/.well-known/oauth-protected-resource", timeout=10).json()
    issuer = httpx.get(f"{server}/.well-known/oauth-authorization-server", timeout=10).json()
    sse = httpx.get(f"{server}/mcp/sse", timeout=10)

    assert f'resource_metadata="{server}/.well-known/oauth-protected-resource/mcp"' in challenge
    assert 'resource_metadata="' in sse.headers["WWW-Authenticate"]
    assert resource == bare and resource["resource"] == f"{server}/mcp"
    assert resource["authorization_servers"] == [server]
    assert issuer["issuer"] == server
    assert issuer["code_challenge_methods_supported"] == ["S256"]
    assert issuer["registration_endpoint"] == f"{server}/oauth/register"
    assert issuer["token_endpoint"] == f"{server}/oauth/token/" and issuer["revocation_endpoint"]
    assert set(issuer["grant_types_supported"]) == {"authorization_code", "refresh_token"}


@pytest.mark.parametrize(
    "body,error",
    [
        ({"redirect_uris": ["http://evil.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://app.example/cb#frag"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_client_metadata"),
        (
            {"redirect_uris": ["https://app.example/cb"], "grant_types": ["client_credentials"]},
            "invalid_client_metadata",
        ),
        ("not an object", "invalid_client_metadata"),
    ],
)
def test_registration_refuses_unsafe_redirect_uris_and_other_grants(server, body, error):
    answer = httpx.post(f"{server}/oauth/register", json=body, timeout=10)

    assert answer.status_code == 400 and answer.json()["error"] == error
    assert not Application.objects.exists()


def test_authorization_without_pkce_s256_is_refused(server, django_user_model):
    user = django_user_model.objects.create_user(username="made", password="x")
    client_id = httpx.post(
        f"{server}/oauth/register", json={"redirect_uris": ["https://app.example/cb"]}, timeout=10
    ).json()["client_id"]

    cookie = session_cookie(user)

    async def attempt(extra: str):
        async with logged_in_browser(server, cookie) as browser:
            return await browser.get(
                f"/oauth/authorize/?response_type=code&client_id={client_id}"
                f"&redirect_uri=https://app.example/cb&state=x{extra}"
            )

    without = asyncio.run(attempt(""))
    plain = asyncio.run(
        attempt("&code_challenge=abcdefghijabcdefghijabcdefghijabcdefghij123&code_challenge_method=plain")
    )

    for answer in (without, plain):
        location = answer.headers.get("location", "")
        # an error redirect to the client (RFC 6749 §4.1.2.1) or our error page, never a consent form
        assert "code=" not in location and "authorizationForm" not in answer.text, (answer.status_code, answer.text)
        assert answer.status_code == 400 and "PKCE is required" in answer.text


def test_revoking_a_token_in_the_admin_locks_the_client_out_at_once(server, django_user_model, admin_client):
    from datetime import timedelta

    from django.utils import timezone

    user = django_user_model.objects.create_user(username="komang", password="x")
    api_key_create(owner=user, name="Komang", tier="free")
    application = Application.objects.create(
        name="Desk app", client_type="public", authorization_grant_type="authorization-code", redirect_uris=REDIRECT
    )
    token = AccessToken.objects.create(
        user=user,
        application=application,
        token="oauth-test-token-0123456789",  # noqa: S106 - a test token
        scope="mcp",
        expires=timezone.now() + timedelta(hours=1),
    )
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Authorization": "Bearer oauth-test-token-0123456789", "Accept": "application/json, text/event-stream"}

    before = httpx.post(f"{server}/mcp", json=ping, headers=headers, timeout=10)
    changelist = admin_client.get("/admin/oauth2_provider/accesstoken/")
    admin_client.post(
        "/admin/oauth2_provider/accesstoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]}
    )
    after = httpx.post(f"{server}/mcp", json=ping, headers=headers, timeout=10)

    assert before.status_code == 200 and before.headers["RateLimit-Limit"] == "60"  # the free tier
    assert changelist.status_code == 200
    assert after.status_code == 401 and not AccessToken.objects.filter(pk=token.pk).exists()


def test_registration_answers_400_to_a_body_that_is_not_json_or_too_deep(server):
    garbage = httpx.post(f"{server}/oauth/register", content=b"\xff{", timeout=10)
    deep = httpx.post(f"{server}/oauth/register", content=b"[" * 5000 + b"]" * 5000, timeout=10)

    assert garbage.status_code == 400 and deep.status_code == 400
    assert garbage.json()["error"] == deep.json()["error"] == "invalid_client_metadata"


def test_registration_past_the_per_ip_limit_within_the_hour_answers_429_with_retry_after(server, settings):
    settings.OAUTH_REGISTRATIONS_PER_IP_PER_HOUR = 3
    body = {"client_name": "Burst", "redirect_uris": ["https://app.example/cb"]}

    answers = [httpx.post(f"{server}/oauth/register", json=body, timeout=10) for _ in range(4)]

    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    refused = answers[-1]
    assert refused.json()["error"] == "too_many_requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    from oauth2_provider.models import get_application_model

    assert get_application_model().objects.filter(name="Burst").count() == 3
