"""Playwright for Python driving Debian's chromium against pytest-django's live_server.

A machine without /usr/bin/chromium skips these tests with one line (`.ci/run` installs it).
Screenshots of the key pages go to .data/test/screenshots/ for a human to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = (
    Path(os.environ.get("AGNT_DATA_DIR") or Path(__file__).resolve().parents[3] / ".data" / "test") / "screenshots"
)


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"browser tests skipped: {CHROMIUM} is missing (apt-get install chromium)")
    for item in items:
        if "owners/tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture
def browser():
    # One browser per test: the sync API keeps an event loop running in this thread while
    # it is open, and the rest of the suite (async_to_sync, Channels) needs none running.
    from playwright.sync_api import sync_playwright

    # The sync API runs an event loop in this thread; Django's guard against ORM calls from
    # async code would then refuse the test's own (synchronous) database setup.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 420, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
