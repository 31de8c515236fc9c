"""Operational endpoints: /health and /metrics."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from agnt import metrics as agnt_metrics
from agnt import roles
from agnt.selectors import health_report


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text. With METRICS_TOKEN set it needs ``Authorization: Bearer <token>``;
    without one it is open only while DEBUG is on (it lists every route and job)."""
    token = settings.METRICS_TOKEN or ""
    if token or not settings.DEBUG:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if not (token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())):
            response = HttpResponse(
                "metrics need Authorization: Bearer <METRICS_TOKEN>\n", status=401, content_type="text/plain"
            )
            response["WWW-Authenticate"] = 'Bearer realm="agnt-metrics"'
            return response
    body, content_type = agnt_metrics.render()
    return HttpResponse(body, content_type=content_type)


def home(request):
    """``/``: staff go to the back office, venue owners to their console, everyone else to
    the public owner pages."""
    from django.shortcuts import redirect

    user = request.user
    if user.is_authenticated and roles.is_platform_staff(user):
        return redirect("admin:index")
    if user.is_authenticated and user.venue_links.filter(is_active=True).exists():
        return redirect("console:index")
    return redirect("owners:landing")
