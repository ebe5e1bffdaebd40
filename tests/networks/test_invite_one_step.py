"""The one-step invitation (issue 14, item 3): account, participation and e-mail in one transaction.

/coordination/editions/<slug>/inviter/ : every refusal is a French form error, and a refusal
creates nothing and sends nothing.
"""

import email
import email.policy
import re
from unittest import mock

import pytest
from django.core import mail
from django.db import IntegrityError
from django.urls import reverse
from django.utils.html import escape

from alliances.invitations import invitation_token_generator
from alliances.models import User
from networks import services
from networks.models import Binome, Enrolment, Participant
from tests import factories


@pytest.fixture
def agreed(programme):
    return factories.EnrolmentFactory(programme=programme, network__name="Réseau Alpha", network__acronym="RA")


@pytest.fixture
def pending(programme):
    return factories.EnrolmentFactory(
        programme=programme, network__name="Réseau Bêta", network__acronym="RB", status=Enrolment.Status.PENDING
    )


@pytest.fixture
def url(programme):
    return reverse("invitations:invite", kwargs={"slug": programme.slug})


def form_data(network, **changes):
    data = {
        "first_name": "Camille",
        "last_name": "Martin",
        "email": "Camille.Martin@Example.org ",
        "enrolment": network.pk,
        "job_title": "Déléguée aux partenariats",
        "binome": "",
    }
    return data | changes


def post(client, url, data, capture):
    with capture(execute=True):
        return client.post(url, data)


def parsed_outbox():
    """Each sent e-mail as Python's ``email`` package reads it from the wire."""
    return [email.message_from_bytes(m.message().as_bytes(), policy=email.policy.default) for m in mail.outbox]


def test_a_new_person_gets_an_account_a_participation_and_one_email(
    coordinator_client, url, programme, agreed, coordinator, django_capture_on_commit_callbacks
):
    response = post(coordinator_client, url, form_data(agreed), django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response.url == reverse("cockpit:edition", kwargs={"slug": programme.slug}) + "#invitations"

    user = User.objects.get(email="camille.martin@example.org")  # normalised
    assert (user.first_name, user.last_name) == ("Camille", "Martin")
    assert not user.has_usable_password()
    assert user.invited_at is not None
    participant = Participant.objects.get(user=user)
    assert participant.enrolment == agreed and participant.programme == programme
    assert participant.job_title == "Déléguée aux partenariats"

    [message] = parsed_outbox()
    assert message["To"] == "camille.martin@example.org"
    assert message["Reply-To"] == coordinator.email
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = re.search(r"http://testserver(/compte/invitation/(\S+)/(\S+)/)", text)
    assert link, text
    assert link.group(1) in html
    assert invitation_token_generator.check_token(user, link.group(3))

    page = coordinator_client.get(response.url).content.decode()
    assert escape("Invitation envoyée à Camille Martin (camille.martin@example.org).") in page
    assert f'href="{url}?enrolment={agreed.pk}"' in page  # « Inviter une autre personne », same network


def test_an_existing_account_is_reused_and_keeps_its_name(
    coordinator_client, url, programme, agreed, django_capture_on_commit_callbacks
):
    existing = factories.UserFactory(email="camille.martin@example.org", first_name="Camille-Anne", last_name="")
    response = post(
        coordinator_client, url, form_data(agreed, first_name="Camille"), django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    existing.refresh_from_db()
    assert User.objects.filter(email="camille.martin@example.org").count() == 1
    assert (existing.first_name, existing.last_name) == ("Camille-Anne", "Martin")  # only the empty name completed
    assert existing.has_usable_password()  # the factory's: untouched
    assert Participant.objects.get(user=existing).enrolment == agreed
    assert len(mail.outbox) == 1


def test_a_person_of_an_earlier_edition_joins_this_one(
    coordinator_client, url, programme, agreed, django_capture_on_commit_callbacks
):
    earlier = factories.ParticipantFactory(user__email="camille.martin@example.org")
    response = post(coordinator_client, url, form_data(agreed), django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert earlier.user.participations.count() == 2


def test_a_binome_with_a_free_place(coordinator_client, url, agreed, django_capture_on_commit_callbacks):
    binome = factories.BinomeFactory(enrolment=agreed)
    first = factories.ParticipantFactory(enrolment=agreed, binome=binome)
    page = coordinator_client.get(url).content.decode()
    assert escape(f"{agreed.network} — {first}") in page
    response = post(coordinator_client, url, form_data(agreed, binome=binome.pk), django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert sorted(binome.members.values_list("binome_slot", flat=True)) == [1, 2]


def test_the_network_choices_put_agreed_networks_first_with_their_status(coordinator_client, url, agreed, pending):
    factories.EnrolmentFactory(network__name="Autre édition")  # another edition: not offered
    page = coordinator_client.get(url).content.decode()
    assert page.index(escape(f"{agreed.network} (accord)")) < page.index(escape(f"{pending.network} (en attente)"))
    assert "Autre édition" not in page
    assert reverse("admin:networks_participant_import_csv") in page


def test_the_network_is_prefilled_from_the_link(coordinator_client, url, agreed, pending):
    page = coordinator_client.get(f"{url}?enrolment={pending.pk}").content.decode()
    assert f'<option value="{pending.pk}" selected>' in page
    other = factories.EnrolmentFactory()
    for query in (f"?enrolment={other.pk}", "?enrolment=abc", "?enrolment="):
        response = coordinator_client.get(url + query)
        assert response.status_code == 200
        assert not re.search(r'<option value="\d+" selected>', enrolment_select(response.content.decode()))


def enrolment_select(page):
    return page.split('name="enrolment"')[1].split("</select>")[0]


def binome_select(page):
    return page.split('name="binome"')[1].split("</select>")[0]


# --- Refusals: a French form error, nothing created, nothing sent --------------------------------


def refused(client, url, data, capture, field_error):
    users, participants = User.objects.count(), Participant.objects.count()
    response = post(client, url, data, capture)
    assert response.status_code == 200, response
    assert escape(field_error) in response.content.decode()
    assert (User.objects.count(), Participant.objects.count()) == (users, participants)
    assert mail.outbox == []
    return response


def test_a_person_already_in_this_edition_for_another_network(
    coordinator_client, url, agreed, pending, django_capture_on_commit_callbacks
):
    already = factories.ParticipantFactory(
        enrolment=pending, user__email="camille.martin@example.org", user__first_name="Camille", user__last_name="M."
    )
    response = refused(
        coordinator_client,
        url,
        form_data(agreed),
        django_capture_on_commit_callbacks,
        f"Camille M. participe déjà à cette édition au titre du réseau {pending.network}.",
    )
    assert already.user.participations.count() == 1
    assert 'id="id_email"' in response.content.decode()


def test_a_second_identical_post_says_the_invitation_was_already_sent(
    coordinator_client, url, agreed, django_capture_on_commit_callbacks
):
    assert post(coordinator_client, url, form_data(agreed), django_capture_on_commit_callbacks).status_code == 302
    mail.outbox.clear()
    response = refused(
        coordinator_client, url, form_data(agreed), django_capture_on_commit_callbacks, "participe déjà à cette édition"
    )
    page = response.content.decode()
    assert "a été invité(e) le" in page and escape("« Renvoyer l'invitation »") in page


def test_a_full_binome(coordinator_client, url, agreed, django_capture_on_commit_callbacks):
    binome = factories.BinomeFactory(enrolment=agreed)
    factories.ParticipantFactory.create_batch(2, enrolment=agreed, binome=binome)
    # Not offered (no free place); posted anyway (a stale page): refused.
    assert f'value="{binome.pk}"' not in binome_select(coordinator_client.get(url).content.decode())
    refused(
        coordinator_client,
        url,
        form_data(agreed, binome=binome.pk),
        django_capture_on_commit_callbacks,
        "Sélectionnez un choix valide",
    )


def test_a_binome_that_fills_up_after_the_page_was_read(agreed, coordinator, programme):
    """The form offered it; it is full when the service runs: the model's French message."""
    binome = factories.BinomeFactory(enrolment=agreed)
    factories.ParticipantFactory.create_batch(2, enrolment=agreed, binome=binome)
    with pytest.raises(Exception) as error:
        services.participant_invite(
            programme=programme,
            enrolment=agreed,
            email="nouvelle@example.org",
            first_name="Nouvelle",
            last_name="Personne",
            binome=binome,
        )
    assert error.value.message_dict["binome"] == [str(Binome.FULL_MESSAGE)]
    assert not User.objects.filter(email="nouvelle@example.org").exists()


def test_a_binome_of_another_network(coordinator_client, url, agreed, pending, django_capture_on_commit_callbacks):
    binome = factories.BinomeFactory(enrolment=pending)
    refused(
        coordinator_client,
        url,
        form_data(agreed, binome=binome.pk),
        django_capture_on_commit_callbacks,
        f"Ce binôme est celui d'un autre réseau : choisissez un binôme de {agreed.network}.",
    )


def test_an_inactive_account(coordinator_client, url, agreed, django_capture_on_commit_callbacks):
    factories.UserFactory(email="camille.martin@example.org", is_active=False)
    refused(
        coordinator_client,
        url,
        form_data(agreed),
        django_capture_on_commit_callbacks,
        "Le compte de cette adresse est désactivé : réactivez-le dans l'administration avant de l'inviter.",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "camille.martin@"}, "Saisissez une adresse de courriel valide."),
        ({"email": ""}, "Ce champ est obligatoire."),
        ({"last_name": ""}, "Ce champ est obligatoire."),
        ({"first_name": "x" * 151}, "au plus 150 caractères"),
        ({"job_title": "x" * 201}, "au plus 200 caractères"),
        ({"enrolment": ""}, "Ce champ est obligatoire."),
        ({"enrolment": "abc"}, "Sélectionnez un choix valide"),
        ({"binome": "abc"}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_input(coordinator_client, url, agreed, changes, message, django_capture_on_commit_callbacks):
    refused(coordinator_client, url, form_data(agreed, **changes), django_capture_on_commit_callbacks, message)


def test_a_network_of_another_edition(coordinator_client, url, agreed, django_capture_on_commit_callbacks):
    other = factories.EnrolmentFactory()
    refused(
        coordinator_client, url, form_data(other), django_capture_on_commit_callbacks, "Sélectionnez un choix valide"
    )


def test_a_race_lost_to_the_database_is_a_form_error(
    coordinator_client, url, agreed, django_capture_on_commit_callbacks
):
    """Another writer inserted the same row between our checks and our insert: IntegrityError, then undone."""
    with mock.patch.object(Participant, "save", side_effect=IntegrityError("participant_unique_user_programme")):
        refused(
            coordinator_client,
            url,
            form_data(agreed),
            django_capture_on_commit_callbacks,
            "vient d'être modifié par une autre opération : rien n'a été enregistré ni envoyé.",
        )


def test_a_late_failure_rolls_the_account_back(agreed, programme, django_capture_on_commit_callbacks):
    """Atomicity: the account is created before the participation; a failure of the latter leaves neither."""
    with (
        mock.patch.object(services, "participant_create", side_effect=RuntimeError("boom")),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        services.participant_invite(
            programme=programme, enrolment=agreed, email="x@example.org", first_name="X", last_name="Y"
        )
    assert callbacks == []
    assert not User.objects.filter(email="x@example.org").exists()
    assert mail.outbox == []


def test_the_email_leaves_only_after_the_commit(agreed, programme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = services.participant_invite(
            programme=programme, enrolment=agreed, email="x@example.org", first_name="X", last_name="Y"
        )
    assert mail.outbox == [] and invitation.sent is None
    callbacks[0]()
    assert len(mail.outbox) == 1 and invitation.sent is True


@pytest.mark.django_db(transaction=True)  # the e-mail leaves at the real commit, before the view answers
def test_an_email_that_cannot_leave_is_reported_and_can_be_sent_again(coordinator_client, url, programme, agreed):
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=OSError("down")):
        response = coordinator_client.post(url, form_data(agreed))
    assert response.status_code == 302
    page = coordinator_client.get(response.url).content.decode()
    assert "l&#x27;e-mail d&#x27;invitation n&#x27;a pas pu partir" in page
    participant = Participant.objects.get(user__email="camille.martin@example.org")
    # Listed among the invitations not accepted, with its « Renvoyer » button.
    assert reverse("invitations:resend", kwargs={"slug": programme.slug, "participant_pk": participant.pk}) in page


# --- Access --------------------------------------------------------------------------------------


def test_another_editions_coordinator_gets_a_404(client, programme, agreed, url):
    other = factories.UserFactory(is_staff=True)
    factories.ProgrammeFactory().coordinators.add(other)
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.post(url, form_data(agreed)).status_code == 404
    assert not Participant.objects.exists()


def test_a_participant_gets_a_403_and_anonymous_the_login(client, url, agreed):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    client.force_login(factories.ParticipantFactory(enrolment=agreed).user)
    assert client.get(url).status_code == 403
    assert client.post(url, form_data(agreed)).status_code == 403


def test_the_participants_changelist_links_to_the_form(coordinator_client, programme):
    page = coordinator_client.get(reverse("admin:networks_participant_changelist")).content.decode()
    assert reverse("invitations:invite", kwargs={"slug": programme.slug}) in page
