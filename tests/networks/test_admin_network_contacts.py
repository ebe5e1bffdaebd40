"""Networks are shared by every edition, their contact person is not everyone's to change (issue 13, item 9)."""

from html import unescape

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def ours(programme):
    return factories.EnrolmentFactory(programme=programme).network


@pytest.fixture
def theirs(db):
    return factories.EnrolmentFactory(programme=factories.ProgrammeFactory()).network


def change_url(network):
    return reverse("admin:networks_network_change", args=[network.pk])


def post_data(network, **extra):
    data = {
        "name": network.name,
        "acronym": "NOUV",
        "field_of_action": network.field_of_action,
        "member_associations": "",
        "website": "",
        "contact_name": "Nouveau Contact",
        "contact_email": "nouveau.contact@example.org",
        "contact_phone": "01 02 03 04 05",
    }
    data.update(extra)
    return data


def test_a_coordinator_changes_the_contact_of_a_network_of_their_edition(client, coordinator, ours):
    client.force_login(coordinator)
    form = client.get(change_url(ours)).context["adminform"].form
    assert {"contact_name", "contact_email", "contact_phone"} <= form.fields.keys()
    response = client.post(change_url(ours), post_data(ours))
    assert response.status_code == 302
    ours.refresh_from_db()
    assert (ours.contact_name, ours.contact_email, ours.acronym) == (
        "Nouveau Contact",
        "nouveau.contact@example.org",
        "NOUV",
    )


def test_another_editions_network_keeps_its_contact_but_its_description_is_shared(client, coordinator, theirs):
    before = (theirs.contact_name, theirs.contact_email, theirs.contact_phone)
    client.force_login(coordinator)
    page = client.get(change_url(theirs))
    assert page.status_code == 200
    assert not {"contact_name", "contact_email", "contact_phone"} & page.context["adminform"].form.fields.keys()
    assert "seule l'équipe d'une de ses éditions peut modifier" in unescape(page.content.decode())

    response = client.post(change_url(theirs), post_data(theirs))
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert (theirs.contact_name, theirs.contact_email, theirs.contact_phone) == before
    assert theirs.acronym == "NOUV"  # the shared description is still everyone's


def test_a_network_in_no_edition_keeps_its_contact_too(client, coordinator):
    lonely = factories.NetworkFactory(contact_name="Contact d'origine")
    client.force_login(coordinator)
    client.post(change_url(lonely), post_data(lonely))
    lonely.refresh_from_db()
    assert lonely.contact_name == "Contact d'origine"


def test_a_coordinator_sets_the_contact_of_a_network_they_create(client, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("admin:networks_network_add"), post_data(factories.NetworkFactory.build()))
    assert response.status_code == 302
    from networks.models import Network

    assert Network.objects.get(contact_email="nouveau.contact@example.org").contact_name == "Nouveau Contact"


def test_a_superuser_changes_any_contact(client, superuser, theirs):
    client.force_login(superuser)
    assert client.post(change_url(theirs), post_data(theirs)).status_code == 302
    theirs.refresh_from_db()
    assert theirs.contact_email == "nouveau.contact@example.org"


def test_participants_and_committee_members_have_no_network_admin(client, ours, programme):
    participant = factories.ParticipantFactory(enrolment__programme=programme).user
    member = factories.CommitteeMemberFactory(user=factories.UserFactory(), committee__programme=programme).user
    for user in (participant, member):
        client.force_login(user)
        response = client.post(change_url(ours), post_data(ours))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    ours.refresh_from_db()
    assert ours.contact_email != "nouveau.contact@example.org"
