"""The cockpit page itself: its « À traiter » summary, composed from what each panel says needs doing."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from alliances import cockpit
from alliances.models import Notification, Step
from tests import factories
from tests.sessions.test_cockpit_sessions import make_edition

pytestmark = pytest.mark.django_db


def summary(client, edition, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("cockpit:edition", args=[edition.slug]))
    assert response.status_code == 200
    return response.context["alerts"], response.content.decode()


def test_nothing_to_do_says_so(client):
    edition = factories.ProgrammeFactory()
    coordinator = factories.UserFactory(is_staff=True)
    edition.coordinators.add(coordinator)
    alerts, html = summary(client, edition, coordinator)
    assert alerts == []
    assert "Rien d'urgent" in html


def test_the_summary_names_what_is_late_and_links_to_its_panel(client):
    edition, coordinator, (enrolment,), (person,), (session,), _past = make_edition()
    phase = factories.PhaseFactory(programme=edition, number=1)
    factories.StepFactory(
        phase=phase, letter="a", status=Step.Status.PLANNED, due_on=timezone.localdate() - dt.timedelta(days=1)
    )
    factories.NotificationFactory(programme=edition, recipient=person.user, status=Notification.Status.FAILED)
    alerts, html = summary(client, edition, coordinator)
    texts = {alert.anchor: alert.text for alert in alerts}
    assert alerts[0].level == "danger" and alerts[0].anchor == "emails"  # failures first
    assert texts["emails"] == "1 e-mail en échec"
    assert texts["phases"] == "1 étape en retard"
    assert texts["sessions"] == f"{session.code} : 1 personne sans réponse"
    assert texts["engagement"] == "1 réseau à suivre"  # nobody answered a session within 7 days
    assert 'href="#sessions"' in html and 'id="sessions"' in html


def test_every_panel_shown_has_its_anchor_and_an_empty_one_is_left_out(client):
    edition, coordinator, *_ = make_edition()
    client.force_login(coordinator)
    response = client.get(reverse("cockpit:edition", args=[edition.slug]))
    shown = {panel.key for panel in response.context["panels"]}
    assert shown == {panel.key for panel in cockpit.panels()} - {"questionnaires", "committees"}  # none yet
    for key in shown:
        assert f'id="{key}"' in response.content.decode(), key
