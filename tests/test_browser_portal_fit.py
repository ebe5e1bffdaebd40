"""The portal fits a phone and a 1366 px laptop (issue 14, item 9), measured in Chromium.

At 390×844, every GET page of the portal that a participant reads (the ``RULES`` table of
tests/test_url_access.py, with its data set) has no horizontal scroll; at 1366×768 the portal's
navigation shows its entries without the menu button, as a participant and as a coordinator in
the read-only preview (whose staff links join the account menu).
"""

import pytest
from django.urls import reverse

from tests import factories
from tests import test_url_access as table
from tests.browser import browser_marks, log_in, new_page, screenshot
from tests.factories import PASSWORD
from tests.test_url_access import OK, RULES, url_kwargs

pytestmark = [*browser_marks, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
# The portal's pages a participant reads: « portal » rows (a coordinator is sent to the preview).
PORTAL_PAGES = sorted(
    name
    for name, row in RULES.items()
    if row["method"] == "get" and row["owner"] == OK and row["coordinator"] == table.to("preview:choose")
)
# Files, not pages: nothing to lay out.
NOT_HTML = {"sessions:ics", "community:resource_download"}

world = table.world


def _overflow(page):
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def _nav_fits(page):
    """The bar is expanded (no menu button) and every top-level entry is on one line, inside the window."""
    assert not page.locator(".navbar-toggler").is_visible()
    entries = page.locator("#nav-principale > ul > li")
    assert entries.count() >= 6
    tops = set()
    for index in range(entries.count()):
        box = entries.nth(index).bounding_box()
        assert box is not None and box["x"] + box["width"] <= LAPTOP["width"], index
        tops.add(round(box["y"]))
    assert len(tops) == 1, f"the navigation wraps: {tops}"
    width, inner = _overflow(page)
    assert width <= inner


def _long_texts(objects):
    """What the demo has and the URL table's data set lacks: long titles in badges and tables."""
    theme = factories.ThemeFactory(
        programme=objects["edition"], title="État des lieux des partenariats en France et spécificités régionales"
    )
    objects["session"].themes.add(theme)
    objects["partnership"].partner_name = "Coopérative fictive des territoires solidaires et durables du Grand Ouest"
    objects["partnership"].save()


def test_every_portal_page_fits_a_phone(live_server, chromium, world):
    users, objects = world
    _long_texts(objects)
    users["owner"].set_password(PASSWORD)
    users["owner"].save()
    page = new_page(chromium, viewport=PHONE)
    log_in(page, live_server.url, users["owner"].email, PASSWORD, then=reverse("portal:home"))
    too_wide = []
    for name in PORTAL_PAGES:
        if name in NOT_HTML:
            continue
        response = page.goto(live_server.url + reverse(name, kwargs=url_kwargs(name, objects)))
        assert response.status == 200, name
        width, inner = _overflow(page)
        if width > inner:
            screenshot(page, "portal fit 390", name)
            too_wide.append(f"{name}: {width} px for {inner}")
    assert not too_wide, "\n".join(too_wide)
    assert len(PORTAL_PAGES) > 20


def test_the_portal_navigation_shows_its_entries_at_1366(live_server, chromium, world):
    users, objects = world
    users["owner"].set_password(PASSWORD)
    users["owner"].save()
    page = new_page(chromium, viewport=LAPTOP)
    log_in(page, live_server.url, users["owner"].email, PASSWORD, then=reverse("portal:home"))
    for name in ("portal:home", "networks:partnerships", "community:resources"):
        page.goto(live_server.url + reverse(name))
        _nav_fits(page)
    # The community's pages are in one menu.
    page.get_by_role("button", name="Communauté").click()
    page.get_by_role("link", name="Actualités").click()
    page.wait_for_url(live_server.url + reverse("community:announcements"))
    screenshot(page, "portal fit 1366", "participant")


def test_the_preview_fits_at_1366_and_on_a_phone(live_server, chromium, world):
    users, objects = world
    coordinator = users["coordinator"]
    coordinator.set_password(PASSWORD)
    coordinator.save()
    for viewport in (LAPTOP, PHONE):
        page = new_page(chromium, viewport=viewport)
        log_in(page, live_server.url, coordinator.email, PASSWORD)
        page.goto(live_server.url + reverse("portal:home"))
        page.wait_for_url(live_server.url + reverse("preview:choose"))
        width, inner = _overflow(page)
        assert width <= inner
        page.get_by_role("button", name=f"Aperçu — {objects['participant'].user.get_full_name()}").click()
        page.wait_for_url(live_server.url + reverse("portal:home"))
        assert page.get_by_text("— lecture seule").is_visible()
        if viewport is LAPTOP:
            _nav_fits(page)
        width, inner = _overflow(page)
        assert width <= inner
        screenshot(page, "portal fit preview", str(viewport["width"]))
        page.context.close()
