"""The cockpit's invitations panel and « Renvoyer l'invitation » (issue 14, item 1).

Participants of the edition whose invitation is not accepted: pending, or expired after
``INVITATION_VALIDITY``; a fixed number of queries whatever their number.
"""

import datetime as dt
import email
import email.policy
import re
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from alliances import cockpit
from alliances.invitations import INVITATION_VALIDITY, invitation_token_generator
from networks.cockpit import InvitationsPanel
from tests import factories


@pytest.fixture
def enrolment(programme):
    return factories.EnrolmentFactory(programme=programme, network__name="Réseau Alpha")


def invited(enrolment, *, ago, accepted=False, **user):
    now = timezone.now().replace(microsecond=0)
    return factories.ParticipantFactory(
        enrolment=enrolment,
        user__invited_at=now - ago,
        user__invitation_accepted_at=now if accepted else None,
        **{f"user__{key}": value for key, value in user.items()},
    )


def cockpit_url(programme):
    return reverse("cockpit:edition", kwargs={"slug": programme.slug})


def resend_url(participant):
    return reverse("invitations:resend", kwargs={"slug": participant.programme.slug, "participant_pk": participant.pk})


def panel_data(programme):
    now = timezone.now()
    return InvitationsPanel().get_data(programme, request=None, today=timezone.localdate(now), now=now)


def test_the_panel_is_registered_at_its_order():
    panel = next(p for p in cockpit.panels() if p.key == "invitations")
    assert isinstance(panel, InvitationsPanel) and panel.order == 40


def test_pending_and_expired_invitations_with_names_network_and_date(client, coordinator, programme, enrolment):
    fresh = invited(enrolment, ago=dt.timedelta(days=1), first_name="Alice", last_name="Fraîche")
    old = invited(enrolment, ago=INVITATION_VALIDITY + dt.timedelta(hours=1), first_name="Bruno", last_name="Ancien")
    invited(enrolment, ago=dt.timedelta(days=2), accepted=True, last_name="Acceptée")
    invited(enrolment, ago=dt.timedelta(days=2), is_active=False, last_name="Désactivé")
    factories.ParticipantFactory(enrolment=enrolment, user__last_name="Jamais-invité")
    invited(factories.EnrolmentFactory(), ago=dt.timedelta(days=1), last_name="Autre-édition")

    data = panel_data(programme)
    assert (data["pending"], data["expired"], data["total"]) == (1, 1, 2)
    assert data["participants"] == [old, fresh]  # the oldest (expired) first
    assert [p.invitation_expired for p in data["participants"]] == [True, False]

    client.force_login(coordinator)
    page = client.get(cockpit_url(programme)).content.decode()
    section = page.split('id="invitations"')[1].split("</section>")[0]
    assert "1 en attente" in section and "1 expirée" in section
    for name in ("Alice Fraîche", "Bruno Ancien"):
        assert escape(name) in section
    for name in ("Acceptée", "Désactivé", "Jamais-invité", "Autre-édition"):
        assert escape(name) not in section
    assert "Réseau Alpha" in section
    assert old.user.invited_at.strftime("%Y") in section
    assert resend_url(fresh) in section and resend_url(old) in section
    assert section.count("csrfmiddlewaretoken") == 2
    assert reverse("invitations:invite", kwargs={"slug": programme.slug}) in section
    assert reverse("admin:networks_participant_import_csv") in section


def test_nothing_pending(client, coordinator, programme, enrolment):
    client.force_login(coordinator)
    page = client.get(cockpit_url(programme)).content.decode()
    assert escape("Toutes les invitations envoyées ont été acceptées.") in page


@pytest.mark.parametrize("people", [1, 10])
def test_the_panel_costs_two_queries_whatever_the_number(programme, enrolment, people, django_assert_num_queries):
    for index in range(people):
        invited(enrolment, ago=dt.timedelta(days=index))
        invited(factories.EnrolmentFactory(), ago=dt.timedelta(days=index))  # other editions grow too
    with django_assert_num_queries(2):  # the counts (one aggregate), the listed participants with user and network
        data = panel_data(programme)
        [str(p.enrolment.network) + p.user.email for p in data["participants"]]
    assert data["total"] == people


def test_the_cockpit_page_costs_the_same_with_1_and_10_invitations(client, coordinator, programme, enrolment):
    client.force_login(coordinator)
    counts = []
    for people in (1, 10):
        while enrolment.participants.count() < people:
            invited(enrolment, ago=dt.timedelta(days=enrolment.participants.count() * 2))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(cockpit_url(programme)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- « Renvoyer l'invitation » -------------------------------------------------------------------


def test_resending_sends_a_fresh_link_and_says_so(client, coordinator, programme, enrolment):
    participant = invited(enrolment, ago=INVITATION_VALIDITY * 2, first_name="Bruno", last_name="Ancien")
    before = participant.user.invited_at
    client.force_login(coordinator)
    response = client.post(resend_url(participant))
    assert response.status_code == 302 and response.url == cockpit_url(programme) + "#invitations"
    participant.user.refresh_from_db()
    assert participant.user.invited_at > before

    [message] = [email.message_from_bytes(m.message().as_bytes(), policy=email.policy.default) for m in mail.outbox]
    assert message["To"] == participant.user.email
    text = message.get_body(preferencelist=("plain",)).get_content()
    token = re.search(r"/compte/invitation/\S+/(\S+)/", text).group(1)
    assert invitation_token_generator.check_token(participant.user, token)

    page = client.get(response.url).content.decode()
    assert escape(f"Invitation renvoyée à Bruno Ancien ({participant.user.email}).") in page
    assert "0 expirée" in page  # no longer expired


def test_a_double_click_sends_one_email(client, coordinator, enrolment):
    participant = invited(enrolment, ago=dt.timedelta(days=3), first_name="Bruno", last_name="Ancien")
    client.force_login(coordinator)
    client.post(resend_url(participant))
    response = client.post(resend_url(participant), follow=True)
    assert len(mail.outbox) == 1
    assert "Une invitation vient d&#x27;être envoyée à Bruno Ancien" in response.content.decode()


def test_an_accepted_invitation_is_not_sent_again(client, coordinator, enrolment):
    participant = invited(enrolment, ago=dt.timedelta(days=3), accepted=True, first_name="Alice", last_name="Vue")
    client.force_login(coordinator)
    response = client.post(resend_url(participant), follow=True)
    assert mail.outbox == []
    assert "Alice Vue a déjà accepté son invitation le" in response.content.decode()
    assert "rien n&#x27;a été envoyé" in response.content.decode()


def test_an_inactive_account_is_not_invited(client, coordinator, enrolment):
    participant = invited(enrolment, ago=dt.timedelta(days=3), is_active=False)
    client.force_login(coordinator)
    response = client.post(resend_url(participant), follow=True)
    assert mail.outbox == []
    assert "est désactivé" in response.content.decode()


def test_a_mail_failure_is_an_error_message_and_changes_nothing(client, coordinator, enrolment):
    participant = invited(enrolment, ago=dt.timedelta(days=3), first_name="Bruno", last_name="Ancien")
    before = participant.user.invited_at
    client.force_login(coordinator)
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=OSError("down")):
        response = client.post(resend_url(participant), follow=True)
    assert "n&#x27;a pas pu partir : réessayez plus tard." in response.content.decode()
    participant.user.refresh_from_db()
    assert participant.user.invited_at == before


def test_resend_is_post_only_and_scoped(client, coordinator, programme, enrolment):
    participant = invited(enrolment, ago=dt.timedelta(days=3))
    client.force_login(coordinator)
    assert client.get(resend_url(participant)).status_code == 405
    elsewhere = invited(factories.EnrolmentFactory(), ago=dt.timedelta(days=3))
    # Another edition's participant under this edition's URL, and another edition's URL: 404.
    wrong = reverse("invitations:resend", kwargs={"slug": programme.slug, "participant_pk": elsewhere.pk})
    assert client.post(wrong).status_code == 404
    assert client.post(resend_url(elsewhere)).status_code == 404
    assert mail.outbox == []


def test_resend_needs_the_csrf_token(coordinator, enrolment):
    from django.test import Client

    participant = invited(enrolment, ago=dt.timedelta(days=3))
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    assert client.post(resend_url(participant)).status_code == 403
    assert mail.outbox == []


def test_resend_refuses_participants_and_anonymous(client, enrolment):
    participant = invited(enrolment, ago=dt.timedelta(days=3))
    response = client.post(resend_url(participant))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    client.force_login(factories.ParticipantFactory(enrolment=enrolment).user)
    assert client.post(resend_url(participant)).status_code == 403
    assert mail.outbox == []
