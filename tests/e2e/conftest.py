"""Browser tests: Debian's Chromium driven by Playwright against a live Clientela server.

They never skip: without Chromium they fail and say how to install it.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CLIENTELA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it (creating users) are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"Browser tests need Chromium at {CHROMIUM}: `apt-get install chromium` "
            "(or point CLIENTELA_CHROMIUM at another Chromium)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab in English with its own cookies, pointed at the live server."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    # The database is emptied after the test: let the page's requests end first, then
    # leave it, so that none it still holds back (a count 400 ms after typing) starts then.
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.goto("about:blank")
    context.close()
