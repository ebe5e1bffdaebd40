"""What the browser tests share: Debian's Chromium driven by Playwright, logging in, screenshots.

Chromium comes from Debian (/usr/bin/chromium, installed by .ci/run); Playwright drives it.
Without Chromium the browser tests are skipped on a developer's machine, but in CI (CI set)
they run and fail, so a missing browser never hides a broken page.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

# Playwright's sync API runs an event loop in this thread: let Django's ORM run beside it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots of the journeys: kept out of git (.gitignore), kept by the CI run's folder.
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}  # the navigation is expanded from 1200 px

browser_marks = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="Chromium is not installed (/usr/bin/chromium): apt-get install chromium",
    ),
]


@pytest.fixture
def chromium():  # registered for the whole suite by tests/conftest.py (pytest_plugins)
    """A headless Chromium for one test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, *, viewport=None, accept_downloads=False):
    """A page in its own context (own cookies), in French, with a 15 s default timeout."""
    context = browser.new_context(locale="fr-FR", viewport=viewport or DESKTOP, accept_downloads=accept_downloads)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def log_in(page, base_url, email, password, *, then=None):
    """Log in through the login form and wait for the page the platform sends this person to."""
    page.goto(base_url + reverse("accounts:login"))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    if then:
        page.wait_for_url(base_url + then)
    else:
        page.wait_for_load_state()


def _slug(text):
    return re.sub(r"[^\w-]+", "-", text).strip("-")


def screenshot(page, journey, name):
    """Save a full-page screenshot under test-artifacts/screenshots/<journey>/<name>.png."""
    folder = SCREENSHOTS / _slug(journey)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (_slug(name) + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path
