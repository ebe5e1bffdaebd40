"""A participant answers a session invitation in a real (headless) browser (see tests/browser.py)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.models import Registration
from tests import factories
from tests.browser import PHONE, browser_marks, log_in, new_page

PASSWORD = "Un-mot-de-passe-solide-2018"

pytestmark = browser_marks


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

    page = new_page(chromium, viewport=PHONE)
    log_in(page, live_server.url, "camille.martin@example.org", PASSWORD, then=reverse("portal:home"))

    page.goto(live_server.url + reverse("sessions:detail", args=[session.pk]))
    page.get_by_role("heading", name="S2 — Mettre en œuvre").wait_for()
    page.get_by_label("Commentaire (facultatif)").fill("J'arriverai vers 10 h.")
    page.get_by_role("button", name="Je participe", exact=True).click()

    page.get_by_text("Votre participation à S2 — Mettre en œuvre est confirmée.").wait_for()
    assert page.locator("#etat-reponse").inner_text().strip().startswith("confirmé")
    registration = Registration.objects.get(session=session, participant=participant)
    assert registration.rsvp == Registration.Rsvp.CONFIRMED
    assert registration.rsvp_comment == "J'arriverai vers 10 h."
