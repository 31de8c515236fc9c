"""Content-Security-Policy (django-csp): one policy for every page, and the admin's one exception.

The policy (CONTENT_SECURITY_POLICY in settings) allows scripts from our own origin and
inline scripts that carry the response's nonce (``{{ request.csp_nonce }}``) — never
inline script or event handlers otherwise. Styles may be inline (Unfold and Swagger UI
set style attributes). The admin additionally allows ``'unsafe-eval'``: Unfold ships the
standard Alpine.js build, which compiles its ``x-*`` attributes with ``Function()``; the
admin is staff-only and still loads no script from anywhere but our origin.
"""

from __future__ import annotations

from csp.constants import UNSAFE_EVAL
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase

ADMIN_PREFIX = "/admin/"


class AgntCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(ADMIN_PREFIX) and parts.update is None and parts.replace is None:
            parts.update = {"script-src": [UNSAFE_EVAL]}
        return parts
