"""The /api OpenAPI schema: the JWT bearer scheme and the error answers every operation can give."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import AllowAny, IsAuthenticated


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "agnt.auth.JWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


# --------------------------------------------------------------------------- error answers


# DRF's error bodies: {"detail": "..."} for most, {"field": ["..."]} or ["..."] for validation
_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "additionalProperties": True,
}
_VALIDATION = {
    "oneOf": [
        {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {"type": "string"}},
    ]
}


class AgntAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus the error answers DRF gives without a view saying so.

    Declared on every operation where they can happen (a view's own ``responses`` win):
    400 when it reads a body or query parameters, 401 when it needs a bearer token, 403
    when a permission beyond "signed in" applies, 404 when the path names an object or
    the list is paged (a page past the end is a 404), 413/415 when it reads a body, 429
    when a throttle applies.
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description, schema in self._implicit_errors():
            responses.setdefault(
                code, {"description": description, "content": {"application/json": {"schema": schema}}}
            )
        return responses

    def _implicit_errors(self) -> list[tuple[str, str, dict]]:
        reads_body = self.method in ("POST", "PUT", "PATCH")
        has_query = any(p.get("in") == "query" for p in self._get_parameters())
        paged = self._is_list_view() and self._get_paginator() is not None
        permissions = self.view.get_permissions()
        errors: list[tuple[str, str, dict]] = []
        if reads_body or has_query:
            errors.append(("400", "The request is not valid (the body names each field's problem)", _VALIDATION))
        if self.get_auth() and not all(isinstance(p, AllowAny) for p in permissions):
            errors.append(("401", "No valid bearer token (missing, expired or revoked)", _DETAIL))
        if any(not isinstance(p, (IsAuthenticated, AllowAny)) for p in permissions):
            errors.append(("403", "Signed in, but not allowed to do this", _DETAIL))
        if "{" in self.path or paged:
            errors.append(("404", "No such object for this user (or a page past the end)", _DETAIL))
        if reads_body:
            errors.append(("413", "The body is larger than the upload limit", _DETAIL))
            errors.append(("415", "The body is not JSON, form or multipart data", _DETAIL))
        if self._throttled():
            errors.append(("429", "Too many requests: retry after the Retry-After header's seconds", _DETAIL))
        return errors

    def _throttled(self) -> bool:
        try:
            return bool(self.view.get_throttles())
        except AttributeError:  # a view whose throttles depend on a real request
            return bool(getattr(self.view, "throttle_classes", None))
