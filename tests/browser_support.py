"""Driving Debian's Chromium from Playwright (Python, sync API) for the browser tests (tests/test_browser.py,
tests/test_browser_a11y.py, tests/test_mobile_browser.py), and their one `browser` fixture (tests/conftest.py
makes it every test module's).

Playwright's own browser download does not work here, so the tests use the distribution's Chromium,
which `.ci/run` installs. A missing browser is a failure, never a skip: a skipped browser test would
let the web application go untested without anyone noticing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (containers run as root), no GPU, and nothing that phones home during a test.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"


def launch(playwright: Playwright) -> Browser:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium, which .ci/run installs "
                    "(apt-get install chromium); Playwright's own browser download does not work here")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for a test module (`launch`: a missing one fails the module, never skips it).

    Playwright's sync API runs an asyncio event loop in the test thread for as long as the browser is open;
    Django sees a running loop and refuses ORM calls from this thread (SynchronousOnlyOperation), although
    the tests' ORM calls are plain synchronous setup made between browser steps. Allowed while the browser is
    open only, and put back as it was after."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = launch(playwright)
            yield chromium
            chromium.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


def new_context(browser: Browser, base_url: str, *, locale: str = "zh-CN") -> BrowserContext:
    """A fresh context (its own cookies) for one user. The locale is sent as Accept-Language, which Django's
    LocaleMiddleware follows until the user picks a language: zh-CN, as an official's browser sends it."""
    context = browser.new_context(base_url=base_url, locale=locale, viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    context.set_default_timeout(20_000)  # generous: CI machines are shared and busy
    return context


def shot(page: Page, name: str) -> None:
    """Keep a screenshot of this step as a test artifact (test-artifacts/screenshots/<name>.png)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"), full_page=True)


def log_in(page: Page, username: str, password: str) -> None:
    """Through the login form, as a person would."""
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")


def cells(page: Page, table: str) -> list[list[str]]:
    """The text of a table's body cells, row by row."""
    return [[c.strip() for c in row.locator("td").all_inner_texts()]
            for row in page.locator(f"{table} tbody tr").all()]
