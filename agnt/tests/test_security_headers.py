"""Browser-facing hardening: HSTS, a Content-Security-Policy the pages actually satisfy, and
a /metrics that is not public in production.

The CSP tests read each page the way a browser enforcing the header would: every script
must come from our own origin or carry the response's nonce, no inline event handlers,
no ``javascript:`` URLs — so a page that would be broken (or a policy that would allow
inline script) fails here.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- HSTS


def test_https_answers_carry_strict_transport_security_when_debug_is_off(client):
    assert not django_settings.DEBUG
    response = client.get("/health", secure=True)
    hsts = response["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 31_536_000 and "includeSubDomains" in hsts


def test_hsts_is_off_in_development():
    import subprocess
    import sys

    probe = (
        "import os; os.environ['DEBUG']='true'; os.environ['AGNT_TESTING']='true';"
        "from agnt import settings; print(settings.SECURE_HSTS_SECONDS)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "0"


# --------------------------------------------------------------------------- CSP


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_handlers: list[str] = []
        self.js_urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
        for name, value in attrs:
            if name.startswith("on"):
                self.inline_handlers.append(f"<{tag} {name}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.js_urls.append(f"<{tag} {name}={value}>")


def assert_page_runs_under_its_policy(response) -> dict[str, list[str]]:
    """Every script on the page is allowed by the page's own CSP, and the CSP allows no inline script."""
    assert response.status_code == 200, response.status_code
    policy = _policy(response)
    script_src = policy.get("script-src") or policy["default-src"]
    assert "'unsafe-inline'" not in script_src
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    nonces = {source[len("'nonce-") : -1] for source in script_src if source.startswith("'nonce-")}
    page = _Page()
    page.feed(response.content.decode())
    for script in page.scripts:
        if script.get("type") == "application/json":
            continue  # data, never executed
        src = script.get("src")
        if src is not None:
            assert src.startswith("/") and not src.startswith("//"), f"script from elsewhere: {src}"
        else:
            assert script.get("nonce") in nonces, f"inline script without the response's nonce: {script}"
    assert page.inline_handlers == []
    assert page.js_urls == []
    return policy


def test_the_admin_login_page_runs_under_the_policy(client):
    policy = assert_page_runs_under_its_policy(client.get("/admin/login/"))
    # Unfold's Alpine.js evaluates its x-* attributes with Function(): the admin allows eval, nothing inline
    assert "'unsafe-eval'" in policy["script-src"]
    assert "'self'" in policy["style-src"]


def test_an_admin_changelist_and_the_dashboard_run_under_the_policy(staff_client):
    assert_page_runs_under_its_policy(staff_client.get("/admin/venues/venue/"))
    assert_page_runs_under_its_policy(staff_client.get("/admin/"))


def test_the_staff_chat_page_runs_its_script_with_a_nonce(staff_client):
    response = staff_client.get("/chat/")
    policy = assert_page_runs_under_its_policy(response)
    assert "'unsafe-eval'" not in policy["script-src"]
    assert any(source.startswith("'nonce-") for source in policy["script-src"])


def test_the_api_docs_pages_run_under_the_policy(client):
    assert_page_runs_under_its_policy(client.get("/api/docs/"))
    assert_page_runs_under_its_policy(client.get("/a2a/v1/docs"))


def test_the_printable_document_runs_under_the_policy(staff_client):
    from billing.tests.conftest import draft_invoice
    from venues.tests.factories import make_venue

    document = draft_invoice(make_venue())
    assert_page_runs_under_its_policy(staff_client.get(f"/billing/documents/{document.pk}/print"))


def _directives(header: str) -> dict[str, set[str]]:
    return {words[0]: set(words[1:]) for part in header.split(";") if (words := part.split())}


@pytest.mark.parametrize("path", ["/health", "/a2a/v1/venues", "/admin/login/"])
def test_answers_without_a_nonce_carry_the_policy_django_csp_would_build(client, path):
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse
    from django.test import RequestFactory

    from agnt.csp import AgntCSPMiddleware

    class Unoptimised(AgntCSPMiddleware):
        process_response = CSPMiddleware.process_response  # the library's: built on every response

    request = RequestFactory().get(path)
    expected = Unoptimised(lambda r: HttpResponse()).process_response(request, HttpResponse())
    served = client.get(path)
    assert _directives(served["Content-Security-Policy"]) == _directives(expected["Content-Security-Policy"])
    assert ("'unsafe-eval'" in served["Content-Security-Policy"]) is path.startswith("/admin/")


def test_a_changed_policy_setting_is_served_at_once(client, settings):
    assert "https://cdn.example" not in client.get("/health")["Content-Security-Policy"]
    policy = {**settings.CONTENT_SECURITY_POLICY}
    policy["DIRECTIVES"] = {**policy["DIRECTIVES"], "img-src": ["'self'", "https://cdn.example"]}
    settings.CONTENT_SECURITY_POLICY = policy
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"]}}
    response = client.get("/health")
    assert "https://cdn.example" in response["Content-Security-Policy"]
    assert response["Content-Security-Policy-Report-Only"] == "default-src 'self'"


def test_a_view_policy_of_its_own_still_applies(client):
    """The owners' pages widen form-action for Stripe per response (``_csp_update``)."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from agnt.csp import AgntCSPMiddleware

    response = HttpResponse()
    response._csp_update = {"form-action": ["https://checkout.stripe.com"]}
    served = AgntCSPMiddleware(lambda r: response).process_response(RequestFactory().get("/for-venues/"), response)
    assert "https://checkout.stripe.com" in _directives(served["Content-Security-Policy"])["form-action"]


# --------------------------------------------------------------------------- /metrics


def test_metrics_needs_the_bearer_token_in_production(client, settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = "scrape-me-123"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    refused = client.get("/metrics", HTTP_AUTHORIZATION="scrape-me-123")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert b"agnt_http" not in refused.content
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-123")
    assert allowed.status_code == 200 and b"agnt_http_requests_total" in allowed.content


def test_metrics_without_a_configured_token_is_closed_in_production_and_open_in_development(client, settings):
    settings.METRICS_TOKEN = ""
    settings.DEBUG = False
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401
    settings.DEBUG = True
    assert client.get("/metrics").status_code == 200


def test_make_run_writes_a_metrics_token_into_an_existing_dotenv_once(tmp_path, monkeypatch, capsys):
    from agnt import devrun

    dotenv = tmp_path / ".env"
    dotenv.write_text("DEBUG=true\nSECRET_KEY=x")  # no trailing newline
    monkeypatch.setattr(devrun, "DOTENV_PATH", dotenv)
    for name in (*devrun.DEV_WEBHOOK_SECRETS, "METRICS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    devrun.ensure_dotenv()
    devrun.ensure_dotenv()
    tokens = [line for line in dotenv.read_text().splitlines() if line.startswith("METRICS_TOKEN=")]
    assert len(tokens) == 1 and len(tokens[0]) > len("METRICS_TOKEN=") + 20
    assert "SECRET_KEY=x" in dotenv.read_text().splitlines()
    assert "METRICS_TOKEN" in capsys.readouterr().out
