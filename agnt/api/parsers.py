"""The first-party API's JSON parser: agnt.jsonbody's size and depth limits behind DRF.

DRF's own JSONParser reads any size and catches only ValueError, so 1,000 nested ``[``
escaped as a 500 RecursionError. This one reads at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes
(413 beyond) and refuses JSON nested deeper than JSON_MAX_DEPTH with DRF's ParseError (400).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

from agnt.jsonbody import MalformedJson, json_parse


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


class BoundedJSONParser(JSONParser):
    """JSONParser with a size cap (413) and a nesting limit (400); never a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(raw) > limit:
            raise PayloadTooLarge(f"Request bodies are limited to {limit} bytes.")
        try:
            return json_parse(raw)
        except MalformedJson as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
