"""The OAuth 2.1 authorization server MCP clients connect through (MCP spec 2025-11-25).

django-oauth-toolkit does the protocol; this module fits it to AGNT:

- ``/.well-known/oauth-protected-resource`` (and ``…/mcp``, RFC 9728): the MCP endpoint is
  the protected resource, this server its authorization server. The 401 on /mcp points
  here (``resource_metadata`` in WWW-Authenticate, agents.api.asgi_auth).
- ``/.well-known/oauth-authorization-server`` (RFC 8414): the endpoints below, PKCE S256.
- ``/oauth/register`` (RFC 7591): open registration of *public* clients only (no secret;
  PKCE protects the code), with redirect URIs limited to https or a loopback http address,
  at most ``OAUTH_REGISTRATIONS_PER_IP_PER_HOUR`` requests per IP address and hour.
- ``/oauth/authorize``: logs the user in (``/oauth/login``) and asks for consent on a page
  that says what the client may do; ``/oauth/token`` (code and refresh token, rotated),
  ``/oauth/revoke`` (RFC 7009).

An access token acts as its user's API key (agents.platform.api_auth): same tier, same
rate-limit budget. Tokens are looked up on every request, so deleting one in the admin
(Django OAuth Toolkit › Access tokens) locks the client out at once.
"""

from __future__ import annotations

import ipaddress
import json
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import path, reverse_lazy
from oauth2_provider import views as dot_views
from oauth2_provider.views.dynamic_client_registration import DynamicClientRegistrationView

from agents.platform.api_auth import mcp_resource

CAPABILITIES = (
    "search venues and read their details",
    "book tables on your behalf (they count against your API tier)",
    "check and cancel the bookings it made",
)


def base_url() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/")


class ProtectedResourceMetadataView(dot_views.OAuthProtectedResourceMetadataView):
    """RFC 9728 metadata for the MCP endpoint (served bare and with the /mcp suffix)."""

    def get_resource(self, request):
        return mcp_resource()

    def get_authorization_servers(self, request):
        return [base_url()]

    def get_resource_name(self):
        return "AGNT venue network (MCP)"

    def get_resource_documentation(self):
        return f"{base_url()}/a2a/v1/docs"


class AuthorizationServerMetadataView(dot_views.OAuthServerMetadataView):
    """RFC 8414 metadata; the issuer is the public base URL the resource metadata names."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data["issuer"] = base_url()
        here = request.build_absolute_uri("/").rstrip("/")
        for key, value in data.items():
            if key.endswith("_endpoint") and isinstance(value, str) and value.startswith(here):
                data[key] = base_url() + value[len(here) :]
        data["service_documentation"] = f"{base_url()}/a2a/v1/docs"
        answer = JsonResponse(data)
        answer["Access-Control-Allow-Origin"] = "*"
        return answer


def _redirect_uri_problem(uri: str) -> str | None:
    """Why a client may not use ``uri`` as a redirect URI (None when it may)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return f"{uri!r} is not a URL"
    if parts.fragment:
        return f"{uri!r}: a redirect URI must not have a fragment"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if loopback:
            return None
        return f"{uri!r}: plain http is allowed only for a loopback address (localhost, 127.0.0.1, [::1])"
    return f"{uri!r}: a redirect URI must be https (or http on a loopback address)"


def _error(description: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": "invalid_client_metadata", "error_description": description}, status=status)


class ClientRegistrationView(DynamicClientRegistrationView):
    """RFC 7591 open registration, for public clients using the authorization code grant."""

    def post(self, request, *args, **kwargs):
        from agnt.jsonbody import json_parse
        from agnt.ratelimit import rate_limit_allow, rate_limit_retry_after

        # REMOTE_ADDR only: X-Forwarded-For is whatever the client wrote unless a proxy we trust sets it
        limit_key = f"oauth-register:{request.META.get('REMOTE_ADDR') or 'unknown'}"
        if not rate_limit_allow(key=limit_key, limit=settings.OAUTH_REGISTRATIONS_PER_IP_PER_HOUR, window_seconds=3600):
            answer = JsonResponse(
                {
                    "error": "too_many_requests",
                    "error_description": "too many client registrations from this address; try again later",
                },
                status=429,
            )
            answer["Retry-After"] = str(rate_limit_retry_after(key=limit_key))
            return answer
        try:
            data = json_parse(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):  # MalformedJson is a ValueError
            return _error("the body must be a JSON object")
        if not isinstance(data, dict):
            return _error("the body must be a JSON object")
        uris = data.get("redirect_uris")
        if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
            return _error("redirect_uris must be a non-empty array of URLs")
        if len(uris) > 10 or any(len(u) > 500 for u in uris):
            return _error("at most 10 redirect_uris of at most 500 characters")
        for uri in uris:
            problem = _redirect_uri_problem(uri)
            if problem:
                return JsonResponse({"error": "invalid_redirect_uri", "error_description": problem}, status=400)
        grants = data.get("grant_types") or ["authorization_code", "refresh_token"]
        if not isinstance(grants, list) or set(grants) - {"authorization_code", "refresh_token"}:
            return _error("only the authorization_code and refresh_token grants are offered")
        if data.get("response_types", ["code"]) != ["code"]:
            return _error('response_types must be ["code"]')
        name = data.get("client_name")
        # Public clients only: whatever method was asked for, no secret is issued (RFC 7591
        # §3.2.1 lets the server replace a requested value; the answer says "none").
        data = {
            **data,
            "client_name": (name if isinstance(name, str) else "")[:200] or "MCP client",
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
        }
        request._body = json.dumps(data).encode()
        return super().post(request, *args, **kwargs)


class ConsentView(dot_views.AuthorizationView):
    """Log in, then the consent page in our look (templates/oauth/authorize.html)."""

    template_name = "oauth/authorize.html"
    login_url = reverse_lazy("oauth2_provider:oauth-login")

    def dispatch(self, request, *args, **kwargs):
        # OAuth 2.1 / MCP: PKCE with S256 on every authorization request, whatever the client
        params = request.POST if request.method == "POST" else request.GET
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            from django.shortcuts import render

            error = {"error": "invalid_request", "description": "PKCE is required: send a code_challenge (S256)"}
            return render(request, self.template_name, {"error": error}, status=400)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["capabilities"] = CAPABILITIES
        return context

    def form_valid(self, form):
        if form.cleaned_data.get("allow"):
            # the client acts as the user's API key: give a user without one a free-tier key
            from agents.selectors import api_key_for_user
            from agents.services import api_key_create

            if api_key_for_user(user_id=self.request.user.pk) is None:
                api_key_create(owner=self.request.user, name="Connected apps (OAuth)")
        return super().form_valid(form)


class OAuthLoginView(auth_views.LoginView):
    template_name = "oauth/login.html"
    redirect_authenticated_user = True


urlpatterns = [
    path("login/", OAuthLoginView.as_view(), name="oauth-login"),
    path("authorize/", ConsentView.as_view(), name="authorize"),
    path("token/", dot_views.TokenView.as_view(), name="token"),
    path("revoke/", dot_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("register", ClientRegistrationView.as_view(), name="dcr-register"),
    # RFC 7592: the client reads, updates or deletes its registration with its registration token
    path(
        "register/<str:client_id>",
        dot_views.DynamicClientRegistrationManagementView.as_view(),
        name="dcr-register-management",
    ),
]

well_known_urlpatterns = [
    path(".well-known/oauth-protected-resource", ProtectedResourceMetadataView.as_view(), name="oauth-resource"),
    path(
        ".well-known/oauth-protected-resource/mcp",
        ProtectedResourceMetadataView.as_view(),
        name="oauth-resource-mcp",
    ),
    path(
        ".well-known/oauth-authorization-server",
        AuthorizationServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
]
