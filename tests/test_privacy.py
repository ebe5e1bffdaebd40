"""RGPD (issue 7, item 5): privacy page, « télécharger mes données », deletion request, anonymisation."""

import json
from html import unescape

import pytest
from django.apps import apps
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.db import models
from django.urls import reverse

from alliances.models import User
from evaluation.models import Answer, Question
from governance.models import CommitteeMember
from networks.models import Participant
from sessions.models import CalendarFeed, Registration, TopicVote
from tests import factories
from tests.factories import PASSWORD
from tests.factories_portal import assert_login_redirect

pytestmark = pytest.mark.django_db

EMAIL = "camille.zebulonne@example.org"
LAST_NAME = "Zébulonne"
FULL_NAME = f"Camille {LAST_NAME}"
PHONE = "06 11 22 33 44"
JOB = "Chargée de mission Zébulonne"
PERSONAL = (EMAIL, LAST_NAME, PHONE, "Zebulonne")


@pytest.fixture
def person(programme):
    """A participant with data in every app, and a committee seat in her own name."""
    user = factories.UserFactory(email=EMAIL, first_name="Camille", last_name=LAST_NAME, phone=PHONE)
    participant = factories.ParticipantFactory(
        user=user, enrolment__programme=programme, enrolment__network__name="Réseau des Zèbres", job_title=JOB
    )
    session = factories.SessionFactory(programme=programme, code="S1", title="Diagnostic")
    registration = factories.RegistrationFactory(session=session, participant=participant)
    registration.rsvp = Registration.Rsvp.CONFIRMED
    registration.rsvp_comment = f"{FULL_NAME} arrivera en retard, appeler le {PHONE}"
    registration.save()
    proposal = factories.TopicProposalFactory(session__programme=programme, title="Mécénat de compétences")
    factories.TopicVoteFactory(proposal=proposal, participant=participant)
    questionnaire = factories.QuestionnaireFactory(programme=programme, title="Bilan final")
    scale = factories.QuestionFactory(questionnaire=questionnaire, text="Satisfaction ?")
    text = factories.QuestionFactory(questionnaire=questionnaire, text="Remarques ?", kind=Question.Kind.TEXT)
    response = factories.ResponseFactory(questionnaire=questionnaire, participant=participant)
    factories.AnswerFactory(response=response, question=scale, value=4)
    answer = factories.AnswerFactory(response=response, question=text, value=None, text="Bravo")
    answer.text = f"Merci, {FULL_NAME} ({EMAIL})"
    answer.save()
    committee = factories.CommitteeFactory(programme=programme)
    factories.CommitteeMemberFactory(
        committee=committee, organisation=None, person_name=FULL_NAME, role="Experte", user=user
    )
    factories.DecisionFactory(meeting__committee=committee, title="Relancer", owner=FULL_NAME)
    factories.NotificationFactory(recipient=user, programme=programme, kind="session_reminder")
    CalendarFeed.objects.create(user=user)
    return participant


@pytest.fixture
def stranger(programme):
    """Another participant of the same edition, with data of her own."""
    participant = factories.ParticipantFactory(
        user__email="dominique.autre@example.org", user__last_name="Autrui", enrolment__programme=programme
    )
    factories.RegistrationFactory(
        session__programme=programme, participant=participant, rsvp_comment="Commentaire d'Autrui"
    )
    return participant


def export_of(client, user):
    client.force_login(user)
    response = client.get(reverse("privacy:my_data"))
    assert response.status_code == 200
    return response, json.loads(response.content)


# --- Pages -----------------------------------------------------------------------------------


def test_the_privacy_page_is_public_and_linked_from_every_page(client):
    response = client.get("/confidentialite/")
    assert response.status_code == 200
    assert "RGPD" in response.content.decode()
    assert 'href="/confidentialite/"' in client.get(reverse("accounts:login")).content.decode()


def test_the_privacy_page_says_who_sees_what(client):
    content = unescape(client.get("/confidentialite/").content.decode())
    assert "Qui voit quoi" in content
    # The directory: what peers see, and only of activated accounts that chose to appear.
    assert "votre adresse e-mail, seulement si vous avez activé votre compte et choisi d'y apparaître" in content
    assert "jamais qui a voté pour quoi" in content
    assert "moins de 5 répondants" in content
    assert "Le contact d'un réseau (nom, e-mail, téléphone)" in content


def test_the_profile_links_to_the_account_pages(client, person):
    client.force_login(person.user)
    content = client.get(reverse("accounts:profile")).content.decode()
    assert 'href="/compte/mes-donnees/"' in content
    assert 'href="/compte/suppression/"' in content


@pytest.mark.parametrize("url", ["/compte/mes-donnees/", "/compte/suppression/"])
def test_logged_out_visitors_are_sent_to_login(client, url):
    assert_login_redirect(client.get(url))
    assert_login_redirect(client.post(url))


# --- Export ----------------------------------------------------------------------------------


def test_the_export_holds_the_person_s_data(client, person, stranger, programme):
    response, data = export_of(client, person.user)

    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert data["account"]["email"] == EMAIL
    assert (data["account"]["first_name"], data["account"]["last_name"]) == ("Camille", LAST_NAME)
    assert data["account"]["phone"] == PHONE
    assert data["participations"] == [
        {
            "edition": programme.name,
            "network": "Réseau des Zèbres",
            "job_title": JOB,
            "binome": None,
            "listed_in_directory": True,
            "joined_at": data["participations"][0]["joined_at"],
        }
    ]
    [registration] = data["registrations"]
    assert (registration["session"], registration["rsvp"]) == ("S1 — Diagnostic", "confirmed")
    assert PHONE in registration["rsvp_comment"]
    assert [vote["proposal"] for vote in data["votes"]] == ["Mécénat de compétences"]
    [answers] = [r["answers"] for r in data["responses"] if r["questionnaire"] == "Bilan final"]
    assert {(a["question"], a["value"], a["text"]) for a in answers} == {
        ("Satisfaction ?", 4, ""),
        ("Remarques ?", None, f"Merci, {FULL_NAME} ({EMAIL})"),
    }
    [seat] = data["committee_seats"]
    assert (seat["person_name"], seat["role"], seat["organisation"]) == (FULL_NAME, "Experte", None)
    assert [n["kind"] for n in data["notifications"]] == ["session_reminder"]
    assert data["calendar_feed"] is not None
    # Nothing of anybody else.
    raw = response.content.decode()
    assert "Autrui" not in raw and "dominique.autre@example.org" not in raw


def test_the_export_of_someone_else_holds_only_their_data(client, person, stranger):
    _, data = export_of(client, stranger.user)
    raw = json.dumps(data, ensure_ascii=False)
    assert data["account"]["email"] == "dominique.autre@example.org"
    assert [r["rsvp_comment"] for r in data["registrations"]] == ["Commentaire d'Autrui"]
    assert data["votes"] == [] and data["responses"] == [] and data["committee_seats"] == []
    assert all(value not in raw for value in PERSONAL)


# --- Deletion request -------------------------------------------------------------------------


def test_a_deletion_request_is_confirmed_recorded_and_sent_to_coordinators(client, person, coordinator):
    client.force_login(person.user)

    page = client.get("/compte/suppression/")
    assert page.status_code == 200
    person.user.refresh_from_db()
    assert person.user.deletion_requested_at is None and mail.outbox == []

    response = client.post("/compte/suppression/")

    assert response.status_code == 302
    person.user.refresh_from_db()
    assert person.user.deletion_requested_at is not None
    [message] = mail.outbox
    assert message.to == [coordinator.email]
    assert EMAIL in message.body
    assert "deletion_requested_at__isnull=False" in message.body


def test_the_admin_lists_the_people_who_asked_for_deletion(client, person, stranger, coordinator):
    User.objects.filter(pk=person.user_id).update(deletion_requested_at="2018-09-01T10:00:00Z")
    client.force_login(coordinator)

    response = client.get(reverse("admin:alliances_user_changelist") + "?deletion_requested_at__isnull=False")

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [person.user]


# --- Anonymisation ----------------------------------------------------------------------------


def text_columns(model):
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.EmailField | models.JSONField)
    ]


def leftovers():
    """Every row of every table of the project (history and admin log included) still holding a personal value."""
    found = []
    labels = {"alliances", "networks", "programme_sessions", "governance", "evaluation"}
    for model in [*(m for m in apps.get_models() if m._meta.app_label in labels), LogEntry]:
        for column in text_columns(model):
            for value in PERSONAL:
                lookup = {f"{column}__icontains": value}
                if model._meta.get_field(column).get_internal_type() == "JSONField":
                    continue  # searched through the text columns around it (choices only here)
                if model._default_manager.filter(**lookup).exists():
                    found.append((model.__name__, column, value))
    return found


def anonymise(client, actor, *users):
    client.force_login(actor)
    url = reverse("admin:alliances_user_changelist")
    data = {"action": "anonymise_users", ACTION_CHECKBOX_NAME: [u.pk for u in users]}
    confirmation = client.post(url, data)
    assert confirmation.status_code == 200
    return confirmation, client.post(url, {**data, "confirm": "yes"})


def test_the_scan_finds_the_personal_data_before_anonymisation(person):
    found = leftovers()
    for where in [
        ("User", "email", EMAIL),
        ("Participant", "job_title", LAST_NAME),
        ("Registration", "rsvp_comment", PHONE),
        ("HistoricalRegistration", "rsvp_comment", PHONE),
        ("Answer", "text", EMAIL),
        ("HistoricalAnswer", "text", EMAIL),
        ("CommitteeMember", "person_name", LAST_NAME),
        ("HistoricalDecision", "owner", LAST_NAME),
    ]:
        assert where in found


def test_anonymisation_leaves_no_personal_field_and_keeps_the_aggregates(client, person, stranger, coordinator):
    user = person.user
    other_client = client.__class__()
    other_client.force_login(user)  # a session open elsewhere
    votes_before = TopicVote.objects.count()

    confirmation, done = anonymise(client, coordinator, user)

    assert EMAIL in confirmation.content.decode()  # the confirmation page names the person
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.email == f"anonyme-{user.pk}@anonymise.invalid"
    assert (user.first_name, user.last_name, user.phone) == ("", "", "")
    assert not user.is_active and not user.has_usable_password()
    assert user.invited_at is None and user.invitation_accepted_at is None
    assert leftovers() == []

    participant = Participant.objects.get(pk=person.pk)
    assert participant.job_title == "" and not participant.listed_in_directory
    seat = CommitteeMember.objects.get(role="Experte")
    assert seat.user_id is None and seat.person_name == "Membre anonymisé"
    assert not CalendarFeed.objects.filter(user=user).exists()
    # Aggregates kept: the participation, the RSVP, the vote and the answer values still count.
    assert Registration.objects.get(participant=person).rsvp == Registration.Rsvp.CONFIRMED
    assert TopicVote.objects.count() == votes_before
    assert list(Answer.objects.filter(question__text="Satisfaction ?").values_list("value", flat=True)) == [4]
    assert Answer.objects.filter(response__participant=person).count() == 2
    # The other person is untouched.
    stranger.refresh_from_db()
    assert stranger.user.email == "dominique.autre@example.org"
    assert Registration.objects.get(participant=stranger).rsvp_comment == "Commentaire d'Autrui"
    # Closed: no login with the old or new address, and the open session is over.
    for address in (EMAIL, user.email):
        attempt = client.__class__()
        response = attempt.post(reverse("accounts:login"), {"username": address, "password": PASSWORD})
        assert response.status_code == 200  # the form again, with its error
        assert "_auth_user_id" not in attempt.session
    assert_login_redirect(other_client.get(reverse("accounts:profile")))


def test_a_coordinator_of_another_edition_cannot_anonymise(client, person):
    outsider = factories.UserFactory(is_staff=True, email="ailleurs@example.org")
    factories.ProgrammeFactory().coordinators.add(outsider)
    client.force_login(outsider)
    url = reverse("admin:alliances_user_changelist")

    client.post(url, {"action": "anonymise_users", ACTION_CHECKBOX_NAME: [person.user_id], "confirm": "yes"})

    person.user.refresh_from_db()
    assert person.user.email == EMAIL and person.user.is_active


def test_a_coordinator_cannot_anonymise_a_staff_account(client, programme, coordinator):
    colleague = factories.UserFactory(is_staff=True, email="collegue@example.org")
    factories.ParticipantFactory(user=colleague, enrolment__programme=programme)

    anonymise(client, coordinator, colleague)

    colleague.refresh_from_db()
    assert colleague.email == "collegue@example.org" and colleague.is_active


def test_a_superuser_may_anonymise_anyone(client, person, superuser):
    _, done = anonymise(client, superuser, person.user)
    assert done.status_code == 302
    person.user.refresh_from_db()
    assert person.user.email.endswith("@anonymise.invalid")
    assert leftovers() == []
