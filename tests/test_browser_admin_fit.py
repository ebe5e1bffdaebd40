"""No horizontal scroll at 1366 × 768 on the coordinator's main pages (issue 14, item 5), in a headless
Chromium (see tests/browser.py).

The demo's data (``load_demo``: the 2018 pilot, its 15 networks, participants, sessions, committees)
make the pages as full as a real edition's; logged in as its coordinator (staff, not superuser),
each page's document must be no wider than the window, and is saved as a screenshot under
test-artifacts/screenshots/admin-fit/.
"""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from alliances.management.commands.load_demo import COORDINATOR_EMAIL, DEMO_PASSWORD, load_demo
from tests.browser import browser_marks, log_in, new_page, screenshot

pytestmark = [*browser_marks, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}


def _overflow(page):
    """The document's width against the window's, and the elements that stick out on the right."""
    return page.evaluate(
        """() => {
            const width = window.innerWidth;
            const wide = [];
            for (const el of document.querySelectorAll('body *')) {
                const box = el.getBoundingClientRect();
                if (box.width > 0 && box.right > width + 1) wide.push(`${el.tagName}#${el.id}.${el.className}`);
            }
            return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide: wide.slice(0, 8)};
        }"""
    )


def test_the_coordinators_pages_fit_a_1366_screen(live_server, chromium):
    # A transactional test that ran before this one flushed the reference data of the data migrations.
    importlib.import_module("networks.migrations.0002_regions").load_regions(apps, None)
    programme, _accounts = load_demo(DEMO_PASSWORD)
    pages = {
        "index": reverse("admin:index"),
        "edition-form": reverse("admin:alliances_programme_change", args=[programme.pk]),
        "participants": reverse("admin:networks_participant_changelist"),
        "cockpit": reverse("cockpit:edition", args=[programme.slug]),
    }
    page = new_page(chromium, viewport=LAPTOP)
    log_in(page, live_server.url, COORDINATOR_EMAIL, DEMO_PASSWORD)
    problems = []
    for name, path in pages.items():
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        screenshot(page, "admin-fit", name)
        measured = _overflow(page)
        if measured["scrollWidth"] > measured["innerWidth"]:
            problems.append(f"{name}: {measured}")
    assert not problems, "\n".join(problems)
    # The admin's navigation sidebar starts collapsed, and stays as the person leaves it.
    page.goto(live_server.url + pages["participants"])
    assert page.locator("#main.shifted").count() == 0
    page.click("#toggle-nav-sidebar")
    page.goto(live_server.url + pages["participants"])
    assert page.locator("#main.shifted").count() == 1
