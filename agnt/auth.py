"""JWT bearer tokens for the first-party API, anchored on a Session row.

An access token names its Session (``sid``); every request checks that the session is
neither revoked nor expired, so revoking a session (logout, admin action, refresh-token
reuse) takes effect on the very next request. Identity comes only from the verified
token: headers such as ``X-User-Id`` are never read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt
from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions

ALGORITHM = "HS256"
ISSUER = "agnt"


class TokenError(Exception):
    """A token that is malformed, expired, of the wrong type or for a dead session."""


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    session_id: uuid.UUID


def encode(*, user_id: uuid.UUID, session_id: uuid.UUID, token_type: str, jti: str, expires_at: datetime) -> str:
    now = timezone.now()
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "sid": str(session_id),
        "typ": token_type,
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=ALGORITHM)


def decode(token: str, *, expected_type: str) -> dict:
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid", "typ", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError("invalid token") from exc
    if claims["typ"] != expected_type:
        raise TokenError(f"expected a {expected_type} token")
    return claims


class JWTAuthentication(authentication.BaseAuthentication):
    """DRF authentication: ``Authorization: Bearer <access token>``."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme != self.keyword or not token.strip():
            return None
        from agnt.models import Session

        try:
            claims = decode(token.strip(), expected_type="access")
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        session = (
            Session.objects.select_related("user")
            .filter(pk=claims["sid"], user_id=claims["sub"], revoked_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if session is None or not session.user.is_active:
            raise exceptions.AuthenticationFailed("session revoked or expired")
        return session.user, session

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
