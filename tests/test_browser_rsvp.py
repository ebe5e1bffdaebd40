"""A participant answers a session invitation in a real (headless) browser.

Chromium comes from Debian (/usr/bin/chromium, installed by .ci/run); Playwright drives
it. Without Chromium the test is skipped on a developer's machine, but in CI (CI set)
it runs and fails, so a missing browser never hides a broken page.
"""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.models import Registration
from tests import factories

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
PASSWORD = "Un-mot-de-passe-solide-2018"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="Chromium is not installed (/usr/bin/chromium): apt-get install chromium",
    ),
]


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.django_db(transaction=True)
def test_participant_confirms_a_session_in_the_browser(live_server, chromium):
    participant = factories.ParticipantFactory(
        user__email="camille.martin@example.org", user__password=PASSWORD, user__first_name="Camille"
    )
    session = factories.SessionFactory(
        programme=participant.enrolment.programme,
        number=2,
        code="S2",
        title="Mettre en œuvre",
        starts_at=timezone.now() + dt.timedelta(days=10),
    )

    page = chromium.new_page(locale="fr-FR", viewport={"width": 390, "height": 844})
    page.set_default_timeout(15_000)

    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", "camille.martin@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}{reverse('portal:home')}")

    page.goto(live_server.url + reverse("sessions:detail", args=[session.pk]))
    page.get_by_role("heading", name="S2 — Mettre en œuvre").wait_for()
    page.get_by_label("Commentaire (facultatif)").fill("J'arriverai vers 10 h.")
    page.get_by_role("button", name="Je participe", exact=True).click()

    page.get_by_text("Votre participation à S2 — Mettre en œuvre est confirmée.").wait_for()
    assert page.locator("#etat-reponse").inner_text().strip().startswith("confirmé")
    registration = Registration.objects.get(session=session, participant=participant)
    assert registration.rsvp == Registration.Rsvp.CONFIRMED
    assert registration.rsvp_comment == "J'arriverai vers 10 h."
