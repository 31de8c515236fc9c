"""The SSRF-guarded fetch, against a real local HTTP server."""

import socket

import pytest

from knowledge import fetch
from knowledge.fetch import FetchError, blocked_reason, fetch_url
from knowledge.tests.fixtures.web import MENU_PAGE, Route, local_site


@pytest.fixture
def site():
    with local_site() as running:
        yield running


@pytest.fixture
def private_allowed(settings):
    settings.KNOWLEDGE_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def only_loopback_allowed(monkeypatch, settings):
    """The guard is on, but our test server's 127.0.0.1 counts as public: lets a test
    reach the local server and still see the guard refuse the next hop."""
    settings.KNOWLEDGE_ALLOW_PRIVATE_URLS = False
    real = fetch.blocked_reason
    monkeypatch.setattr(fetch, "blocked_reason", lambda address: None if address == "127.0.0.1" else real(address))


def _resolve_to(monkeypatch, mapping: dict[str, list[str]]):
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in mapping:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in mapping[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(fetch.socket, "getaddrinfo", fake)


def test_it_fetches_an_html_page_with_its_type_and_final_url(site, private_allowed):
    site.routes["/menu"] = Route(body=MENU_PAGE.encode())
    page = fetch_url(site.url("/menu"))
    assert page.content_type == "text/html" and page.charset == "utf-8"
    assert b"Grilled snapper" in page.body and page.url == site.url("/menu")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "a loopback address 127.0.0.1"),
        ("http://10.0.0.5/menu", "a private address 10.0.0.5"),
        ("http://169.254.169.254/latest/meta-data/", "a link-local address 169.254.169.254"),
        ("http://[::1]/", "a loopback address ::1"),
        ("http://0.0.0.0/", "an unspecified address 0.0.0.0"),
        ("http://100.64.0.1/", "a non-public address 100.64.0.1"),
    ],
)
def test_it_refuses_private_addresses_when_the_setting_is_off(settings, url, reason):
    settings.KNOWLEDGE_ALLOW_PRIVATE_URLS = False
    with pytest.raises(FetchError, match=f"refusing to fetch {reason}"):
        fetch_url(url)


def test_it_refuses_a_name_that_resolves_to_a_private_address(settings, monkeypatch):
    settings.KNOWLEDGE_ALLOW_PRIVATE_URLS = False
    _resolve_to(monkeypatch, {"intranet.example": ["93.184.216.34", "10.1.2.3"]})
    with pytest.raises(FetchError, match="refusing to fetch a private address 10.1.2.3"):
        fetch_url("https://intranet.example/menu")


def test_an_ipv4_mapped_ipv6_address_is_judged_as_ipv4():
    assert blocked_reason("::ffff:10.0.0.5") == "a private address"
    assert blocked_reason("93.184.216.34") is None


@pytest.mark.parametrize("url", ["ftp://menu.example/menu.pdf", "file:///etc/passwd", "gopher://x/", "menu.example"])
def test_it_fetches_only_http_and_https(url):
    with pytest.raises(FetchError, match="only http and https"):
        fetch_url(url)


def test_a_redirect_to_a_private_address_is_refused(site, only_loopback_allowed):
    site.routes["/go"] = Route(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    with pytest.raises(FetchError, match="refusing to fetch a link-local address 169.254.169.254"):
        fetch_url(site.url("/go"))
    assert [r["path"] for r in site.requests] == ["/go"]


def test_relative_redirects_are_followed_and_each_hop_rechecked(site, only_loopback_allowed):
    site.routes["/old"] = Route(status=301, headers={"Location": "/new"})
    site.routes["/new"] = Route(body=MENU_PAGE.encode())
    page = fetch_url(site.url("/old"))
    assert page.url == site.url("/new") and [r["path"] for r in site.requests] == ["/old", "/new"]


def test_it_gives_up_after_five_redirects(site, private_allowed):
    site.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="redirected more than 5 times"):
        fetch_url(site.url("/loop"))
    assert len(site.requests) == 6


def test_it_connects_to_the_vetted_ip_and_keeps_the_real_host_name(site, private_allowed, monkeypatch):
    # The HTTP client never resolves the name itself (no second DNS answer to rebind);
    # the server still sees the name the owner typed.
    _resolve_to(monkeypatch, {"menu.labrisa.test": ["127.0.0.1"]})
    site.routes["/menu"] = Route(body=MENU_PAGE.encode())
    fetch_url(f"http://menu.labrisa.test:{site.port}/menu")
    assert site.requests[-1]["host"] == f"menu.labrisa.test:{site.port}"


def test_a_404_is_a_clear_error(site, private_allowed):
    with pytest.raises(FetchError, match="the page returned 404 Not Found"):
        fetch_url(site.url("/missing"))


def test_a_500_is_a_clear_error(site, private_allowed):
    site.routes["/boom"] = Route(status=500, body=b"oops")
    with pytest.raises(FetchError, match="the page returned 500 Internal Server Error"):
        fetch_url(site.url("/boom"))


def test_an_unsupported_content_type_is_refused(site, private_allowed):
    site.routes["/logo.png"] = Route(body=b"\x89PNG....", content_type="image/png")
    with pytest.raises(FetchError, match="the page is image/png; only HTML pages, PDFs and plain text"):
        fetch_url(site.url("/logo.png"))


def test_a_page_over_the_size_cap_is_refused_by_its_declared_length(site, private_allowed, settings):
    settings.KNOWLEDGE_MAX_FETCH_BYTES = 1000
    site.routes["/big"] = Route(body=b"<p>" + b"a" * 5000 + b"</p>")
    with pytest.raises(FetchError, match=r"the page is 4.9 KB; the limit is 1000 bytes"):
        fetch_url(site.url("/big"))


def test_a_page_over_the_size_cap_is_refused_while_streaming(site, private_allowed, settings):
    settings.KNOWLEDGE_MAX_FETCH_BYTES = 1000
    site.routes["/big"] = Route(body=b"<p>" + b"a" * 50_000 + b"</p>", send_length=False)
    with pytest.raises(FetchError, match="the page is larger than the limit of 1000 bytes"):
        fetch_url(site.url("/big"))


def test_a_slow_page_times_out(site, private_allowed, settings):
    settings.KNOWLEDGE_FETCH_TIMEOUT = 1
    site.routes["/slow"] = Route(body=MENU_PAGE.encode(), delay=2)
    with pytest.raises(FetchError, match="did not answer within 1 seconds"):
        fetch_url(site.url("/slow"))


def test_an_unknown_host_is_a_clear_error(settings):
    with pytest.raises(FetchError, match="could not be found"):
        fetch_url("http://no-such-host.invalid/menu")
