"""The users' admin: a coordinator does not take over the login of someone shared with other editions (issue 13, item 9)."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from alliances.models import User
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "une-phrase-de-passe-2018"


@pytest.fixture
def elsewhere(db):
    return factories.ProgrammeFactory(name="Édition voisine")


@pytest.fixture
def shared(programme, elsewhere):
    """A participant of the coordinator's edition who also takes part in an edition they do not coordinate."""
    person = factories.ParticipantFactory(enrolment__programme=programme, user__email="camille@example.org").user
    factories.ParticipantFactory(user=person, enrolment__programme=elsewhere)
    return person


@pytest.fixture
def seated_elsewhere(programme, elsewhere):
    """A participant here who sits on a committee of another edition."""
    person = factories.ParticipantFactory(enrolment__programme=programme, user__email="dominique@example.org").user
    factories.CommitteeMemberFactory(user=person, committee__programme=elsewhere)
    return person


@pytest.fixture
def own(programme):
    return factories.ParticipantFactory(enrolment__programme=programme, user__email="elise@example.org").user


def change_url(user):
    return reverse("admin:alliances_user_change", args=[user.pk])


def password_url(user):
    return reverse("admin:auth_user_password_change", args=[user.pk])


def post_data(user, **extra):
    return {"email": user.email, "first_name": user.first_name, "last_name": "Nouveau-Nom", "is_active": "on", **extra}


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("person", ["shared", "seated_elsewhere"])
def test_the_coordinator_cannot_change_the_email_of_someone_shared_with_another_edition(
    client, coordinator, request, person
):
    person = request.getfixturevalue(person)
    client.force_login(coordinator)
    page = client.get(change_url(person))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "email" not in form.fields
    content = page.content.decode()
    assert "participe aussi à une édition que vous ne coordonnez pas" in content
    assert "password/" not in content  # no link to the password form

    response = client.post(change_url(person), post_data(person, email="pirate@example.org"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.email in {"camille@example.org", "dominique@example.org"}
    assert person.last_name == "Nouveau-Nom"  # the rest of the form still works


@pytest.mark.parametrize("person", ["shared", "seated_elsewhere"])
def test_the_coordinator_cannot_set_the_password_of_someone_shared_with_another_edition(
    client, coordinator, request, person
):
    person = request.getfixturevalue(person)
    client.force_login(coordinator)
    page = client.get(password_url(person))
    assert page.status_code == 302
    assert page["Location"] == change_url(person)
    assert any("Vous ne pouvez pas changer le mot de passe" in m for m in messages_of(page))

    response = client.post(password_url(person), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert not person.check_password(NEW_PASSWORD)


def test_the_coordinator_changes_the_login_of_someone_of_their_editions_only(client, coordinator, own):
    client.force_login(coordinator)
    page = client.get(change_url(own))
    assert "email" in page.context["adminform"].form.fields
    assert "password/" in page.content.decode()  # the password widget's link to its form
    assert client.post(change_url(own), post_data(own, email="Elise.Nouvelle@example.org")).status_code == 302
    assert client.get(password_url(own)).status_code == 200
    response = client.post(password_url(own), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.email == "elise.nouvelle@example.org"
    assert own.check_password(NEW_PASSWORD)


def test_a_coordinator_of_both_editions_changes_the_login(client, coordinator, shared, elsewhere):
    elsewhere.coordinators.add(coordinator)
    client.force_login(coordinator)
    assert client.post(change_url(shared), post_data(shared, email="camille.b@example.org")).status_code == 302
    assert client.get(password_url(shared)).status_code == 200
    shared.refresh_from_db()
    assert shared.email == "camille.b@example.org"


def test_a_superuser_changes_the_login_of_anyone(client, superuser, shared):
    client.force_login(superuser)
    assert client.post(change_url(shared), post_data(shared, email="camille.c@example.org")).status_code == 302
    response = client.post(password_url(shared), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.email == "camille.c@example.org"
    assert shared.check_password(NEW_PASSWORD)


def test_another_editions_coordinator_reaches_neither_page(client, shared, elsewhere, programme):
    stranger = factories.UserFactory(is_staff=True)
    factories.ProgrammeFactory().coordinators.add(stranger)
    client.force_login(stranger)
    own_only = factories.ParticipantFactory(enrolment__programme=programme).user
    assert client.get(change_url(own_only)).status_code == 302  # « does not exist »: back to the list
    assert client.get(password_url(own_only)).status_code == 404


def test_the_coordinator_sends_a_reset_link_instead(
    client, coordinator, shared, programme, django_capture_on_commit_callbacks
):
    invited = factories.ParticipantFactory(enrolment__programme=programme, user__email="invite@example.org").user
    invited.set_unusable_password()
    invited.save()
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:alliances_user_changelist"),
            {"action": "send_password_reset_link", "_selected_action": [shared.pk, invited.pk]},
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["camille@example.org"]]
    assert re.search(r"/compte/mot-de-passe/nouveau/\S+/\S+/", mail.outbox[0].body)
    texts = messages_of(response)
    assert any("part vers 1 personne" in m for m in texts)
    assert any("envoyez-lui plutôt une invitation" in m for m in texts)
    shared.refresh_from_db()
    assert shared.check_password(PASSWORD)  # nothing changed until the person follows the link


def test_a_participant_or_committee_member_has_no_user_admin(client, shared):
    client.force_login(shared)
    assert client.get(change_url(shared)).status_code == 302  # non-staff: the admin's login page
    assert User.objects.get(pk=shared.pk).check_password(PASSWORD)
