"""Shared pieces of the first-party DRF API: pagination and turning service errors into 400s."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """``?page=2&page_size=50``; the answer carries ``count``, ``next``, ``previous``, ``results``."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


@contextmanager
def service_errors(field: str = "non_field_errors", *errors: type[Exception]) -> Iterator[None]:
    """A service's ValueError / Django ValidationError (or one of ``errors``) becomes a DRF
    400 naming ``field``.

    Services raise exceptions whose message is meant for the caller; the API reports it
    under the input field it is about, like DRF's own validation errors.
    """
    try:
        yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError({field: exc.messages}) from exc
    except (ValueError, *errors) as exc:
        raise serializers.ValidationError({field: [str(exc)]}) from exc
