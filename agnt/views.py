"""Operational endpoints: /health and /metrics."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from agnt import metrics as agnt_metrics
from agnt.selectors import health_report


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    body, content_type = agnt_metrics.render()
    return HttpResponse(body, content_type=content_type)
