"""Content-Security-Policy (django-csp): one policy for every page, and the admin's one exception.

The policy (CONTENT_SECURITY_POLICY in settings) allows scripts from our own origin and
inline scripts that carry the response's nonce (``{{ request.csp_nonce }}``) — never
inline script or event handlers otherwise. Styles may be inline (Unfold and Swagger UI
set style attributes). The admin additionally allows ``'unsafe-eval'``: Unfold ships the
standard Alpine.js build, which compiles its ``x-*`` attributes with ``Function()``; the
admin is staff-only and still loads no script from anywhere but our origin.

Most answers (every API call, every page without an inline script) use no nonce and no
per-view policy: their header is the same every time, so it is built once per process
instead of on every response (django-csp rebuilds it from the settings each time, a
tenth of an API request's CPU).
"""

from __future__ import annotations

import http.client
from dataclasses import asdict
from functools import lru_cache

from csp.constants import HEADER, HEADER_REPORT_ONLY, UNSAFE_EVAL
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

ADMIN_PREFIX = "/admin/"
ADMIN_UPDATE = {"script-src": [UNSAFE_EVAL]}

# what a view may set on its response to change the policy (django-csp's decorators)
_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


@lru_cache(maxsize=4)
def _constant_policies(admin: bool) -> tuple[str, str]:
    """(policy, report-only policy) of a response without a nonce or a per-view policy."""
    update = ADMIN_UPDATE if admin else None
    return (
        build_policy(**asdict(PolicyParts(update=update))),
        build_policy(**asdict(PolicyParts(update=update)), report_only=True),
    )


@receiver(setting_changed)
def _policy_settings_changed(*, setting: str, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _constant_policies.cache_clear()


def _excluded(request: HttpRequest, setting: str) -> bool:
    prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
    return request.path_info.startswith(tuple(prefixes))


class AgntCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(ADMIN_PREFIX) and parts.update is None and parts.replace is None:
            parts.update = dict(ADMIN_UPDATE)
        return parts

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        nonce_used = getattr(request, "_csp_nonce", None) is not None
        debug_page = settings.DEBUG and response.status_code in (
            http.client.INTERNAL_SERVER_ERROR,
            http.client.NOT_FOUND,
        )
        if nonce_used or debug_page or any(hasattr(response, name) for name in _PER_RESPONSE):
            return super().process_response(request, response)
        # the same decisions as CSPMiddleware.process_response, with the policies built once
        policy, policy_ro = _constant_policies(request.path_info.startswith(ADMIN_PREFIX))
        if (
            policy
            and HEADER not in response
            and not getattr(response, "_csp_exempt", False)
            and not _excluded(request, "CONTENT_SECURITY_POLICY")
        ):
            response[HEADER] = policy
        if (
            policy_ro
            and HEADER_REPORT_ONLY not in response
            and not getattr(response, "_csp_exempt_ro", False)
            and not _excluded(request, "CONTENT_SECURITY_POLICY_REPORT_ONLY")
        ):
            response[HEADER_REPORT_ONLY] = policy_ro
        # as the base class: a nonce asked for after the header is written is an error
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
