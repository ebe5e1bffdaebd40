"""The programme team's day through the real UI (issue 14), in a headless Chromium at 1366×768.

A programme manager who is not superuser creates an edition, enrols a network from the
cockpit, invites two people with the one-step form; the cockpit shows them under « sans
réponse » for the next session; « Relancer » sends exactly those two one e-mail each, and
sending the same form again sends nothing more; the network, flagged « à suivre » because
nobody answered a session starting within 7 days, gets its follow-up in one click.

Every step asserts what the page shows and what the database and the outbox hold; the main
pages are saved under test-artifacts/screenshots/5-cockpit/.
"""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from alliances.models import Programme, Relance
from networks.models import Enrolment, Participant
from sessions.models import FollowUp
from tests import factories
from tests.browser import browser_marks, log_in, new_page, screenshot

PASSWORD = "Un-mot-de-passe-solide-2026"
LAPTOP = {"width": 1366, "height": 768}
JOURNEY = "5-cockpit"

pytestmark = [*browser_marks, pytest.mark.django_db(transaction=True)]


def _message(page, text):
    page.locator(".alert, .messagelist li").filter(has_text=text).first.wait_for()


def _no_horizontal_scroll(page):
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url}: {width} px wide in a {inner} px window"


def _invite(page, first_name, last_name, email, network_label):
    page.fill("#id_first_name", first_name)
    page.fill("#id_last_name", last_name)
    page.fill("#id_email", email)
    page.select_option("#id_enrolment", label=network_label)
    page.fill("#id_job_title", "Chargé·e de partenariats")
    page.locator("main form button[type=submit]").click()
    _message(page, f"Invitation envoyée à {first_name} {last_name}")


def test_programme_manager_runs_an_edition_from_the_cockpit(live_server, chromium):
    manager = factories.UserFactory(
        email="ines.roux@example.org", password=PASSWORD, is_staff=True, first_name="Inès", last_name="Roux"
    )
    manager.user_permissions.add(
        Permission.objects.get(content_type__app_label="alliances", codename="manage_programmes")
    )
    assert not manager.is_superuser
    factories.NetworkFactory(name="Réseau des ressourceries", acronym="RDR")
    today = timezone.localdate()

    page = new_page(chromium, viewport=LAPTOP)
    log_in(page, live_server.url, manager.email, PASSWORD, then=reverse("admin:index"))

    # 1. The edition, through the admin's add form: its creator becomes its coordinator.
    page.goto(live_server.url + reverse("admin:alliances_programme_add"))
    page.fill("#id_name", "Alliances Occitanie")
    page.locator("#id_name").press("Tab")
    assert page.locator("#id_slug").input_value() == "alliances-occitanie"  # prepopulated from the name
    page.fill("#id_starts_on", (today - dt.timedelta(days=30)).strftime("%d/%m/%Y"))
    page.fill("#id_ends_on", (today + dt.timedelta(days=300)).strftime("%d/%m/%Y"))
    screenshot(page, JOURNEY, "01-edition-formulaire")
    page.locator("input[name=_save]").click()
    _message(page, "Alliances Occitanie")
    programme = Programme.objects.get(slug="alliances-occitanie")
    assert list(programme.coordinators.all()) == [manager]

    # The edition's first session, in 5 days (prepared beforehand: the admin's session form is journey 1's).
    session = factories.SessionFactory(
        programme=programme,
        number=1,
        code="S1",
        title="Comprendre",
        starts_at=timezone.now() + dt.timedelta(days=5),
        ends_at=timezone.now() + dt.timedelta(days=5, hours=7),
    )

    # 2. The cockpit, from the edition's row; then « + réseau (candidature) » with the edition preselected.
    page.goto(live_server.url + reverse("admin:alliances_programme_changelist"))
    page.get_by_role("link", name="Cockpit").first.click()
    page.wait_for_url(live_server.url + reverse("cockpit:edition", args=[programme.slug]))
    page.get_by_role("link", name="+ réseau (candidature)").click()
    page.wait_for_url(re.compile(r".*/networks/enrolment/add/\?programme=\d+$"))
    assert page.locator("#id_programme").input_value() == str(programme.pk)
    page.locator(".field-network .select2-selection").first.click()
    page.locator(".select2-search__field").fill("ressourc")
    page.locator(".select2-results__option", has_text="Réseau des ressourceries").click()
    page.select_option("#id_status", value=Enrolment.Status.AGREED)
    page.fill("#id_solicited_on", (today - dt.timedelta(days=20)).strftime("%d/%m/%Y"))
    page.fill("#id_decided_on", (today - dt.timedelta(days=10)).strftime("%d/%m/%Y"))
    screenshot(page, JOURNEY, "02-candidature")
    page.locator("input[name=_save]").click()
    _message(page, "Réseau des ressourceries")
    enrolment = Enrolment.objects.get(programme=programme, network__acronym="RDR")
    assert enrolment.status == Enrolment.Status.AGREED

    # 3. Two people invited with the one-step form, from the cockpit.
    page.goto(live_server.url + reverse("cockpit:edition", args=[programme.slug]))
    page.get_by_role("link", name="Inviter une personne").click()
    page.wait_for_url(re.compile(r".*/inviter/"))
    network_label = page.locator("#id_enrolment option", has_text="Réseau des ressourceries").first.inner_text()
    _no_horizontal_scroll(page)
    screenshot(page, JOURNEY, "03-inviter")
    _invite(page, "Camille", "Martin", "camille.martin@example.org", network_label)
    page.get_by_role("link", name="Inviter une autre personne").click()
    page.wait_for_url(re.compile(r".*/inviter/.*"))
    _invite(page, "Louis", "Bernard", "louis.bernard@example.org", network_label)
    invited = {"camille.martin@example.org", "louis.bernard@example.org"}
    assert set(Participant.objects.filter(enrolment=enrolment).values_list("user__email", flat=True)) == invited
    assert sorted(message.to[0] for message in mail.outbox) == sorted(invited)  # the two invitations

    # 4. The cockpit: both under « sans réponse » for S1, and the network « à suivre » with its reason.
    page.goto(live_server.url + reverse("cockpit:edition", args=[programme.slug]))
    answers = page.locator("#sessions")
    answers.locator("summary", has_text="Réseau des ressourceries").first.click()
    answers.get_by_text("Camille Martin").wait_for()
    answers.get_by_text("Louis Bernard").wait_for()
    engagement = page.locator("#engagement")
    assert "à suivre" in engagement.inner_text()
    assert "Personne n'a répondu pour S1" in engagement.inner_text()
    _no_horizontal_scroll(page)
    screenshot(page, JOURNEY, "04-cockpit-sans-reponse")

    # 5. « Relancer »: the preview names the two, then one e-mail to each of them.
    answers.get_by_role("link", name="Relancer").first.click()
    page.wait_for_url(re.compile(r".*/relances/session/\d+/$"))
    page.get_by_text("Camille Martin").first.wait_for()
    screenshot(page, JOURNEY, "05-relance-apercu")
    before = len(mail.outbox)
    form = page.locator("main form[method=post]")
    sent_form = form.evaluate("f => Object.fromEntries(new FormData(f))")  # its token included
    preview_url = page.url
    page.get_by_role("button", name="Envoyer la relance à 2 personnes").click()
    _message(page, "Relance envoyée à 2 personnes")
    relanced = mail.outbox[before:]
    assert sorted(message.to[0] for message in relanced) == sorted(invited)
    assert all("S1" in message.subject for message in relanced)
    assert Relance.objects.filter(object_id=session.pk).count() == 1
    page.locator("#sessions").get_by_text(re.compile(r"relancé le .*, 2 personnes")).wait_for()
    screenshot(page, JOURNEY, "06-cockpit-relance")

    # The same form sent a second time (a double click, a resent page): it says so and sends nothing.
    again = page.request.post(preview_url, form=sent_form, headers={"Referer": preview_url})
    assert again.ok and "déjà été envoyée" in again.text()
    # A new relance the same day: the preview says so and asks for a confirmation first.
    page.goto(preview_url)
    page.locator("#deja-relance").wait_for()
    page.get_by_role("button", name=re.compile("Envoyer la relance")).click()
    page.locator(".invalid-feedback, .alert-danger").first.wait_for()
    assert len(mail.outbox) == before + 2
    assert Relance.objects.filter(object_id=session.pk).count() == 1

    # 6. The network « à suivre » gets its follow-up: the prefilled form, saved as it is.
    page.goto(live_server.url + reverse("cockpit:edition", args=[programme.slug]))
    page.get_by_role("link", name="Planifier un suivi de RDR").click()
    page.wait_for_url(re.compile(r".*/followup/add/\?.*"))
    screenshot(page, JOURNEY, "07-suivi-prerempli")
    page.locator("input[name=_save]").click()
    page.locator(".messagelist li").first.wait_for()
    follow_up = FollowUp.objects.get(enrolment=enrolment)
    assert follow_up.held_on == today
    assert follow_up.coordinator == manager
