"""What the browser journeys revealed (issue 9, item 4): navigation between the areas, messages."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from alliances.models import Report
from tests import factories


@pytest.fixture
def session(programme):
    return factories.SessionFactory(programme=programme, code="S3", title="Approfondir")


def test_the_admin_header_links_to_the_committee_area_not_back_to_itself(client, coordinator):
    client.force_login(coordinator)
    page = client.get(reverse("admin:index")).content.decode()
    assert f'<a href="{reverse("committee:index")}">Espace des comités</a>' in page
    # « Voir le site » led to « / », which sends a coordinator straight back to the admin.
    assert "Voir le site" not in page


def test_the_list_of_editions_links_to_each_dashboard(client, coordinator, programme):
    client.force_login(coordinator)
    page = client.get(reverse("admin:alliances_programme_changelist")).content.decode()
    assert f'<a href="{reverse("documents:dashboard", args=[programme.slug])}">Tableau de bord</a>' in page


def test_the_attendance_page_leads_back_to_the_session_in_the_admin(client, coordinator, session):
    client.force_login(coordinator)
    page = client.get(reverse("community:attendance", args=[session.pk])).content.decode()
    assert reverse("admin:programme_sessions_session_change", args=[session.pk]) in page
    assert reverse("admin:programme_sessions_session_changelist") + f"?programme__id__exact={session.programme_id}" in (
        page
    )
    # the filtered list is a valid admin URL (not « ?e=1 »), even with one edition only
    sessions = client.get(
        reverse("admin:programme_sessions_session_changelist") + f"?programme__id__exact={session.programme_id}"
    )
    assert sessions.status_code == 200
    # and to the committee area, like the admin's header
    assert f'href="{reverse("committee:index")}">Comités</a>' in page


def test_participants_see_no_committee_link_in_the_portal(client, programme):
    participant = factories.ParticipantFactory(enrolment__programme=programme)
    client.force_login(participant.user)
    page = client.get(reverse("portal:home")).content.decode()
    assert f'href="{reverse("committee:index")}"' not in page


@pytest.mark.django_db(transaction=True)
def test_a_document_already_rendered_is_announced_as_ready(client):
    """With in-process tasks the PDF is ready when the status page opens: the message must not say « en cours »."""
    programme = factories.ProgrammeFactory()
    coordinator = factories.UserFactory(is_staff=True)
    programme.coordinators.add(coordinator)
    client.force_login(coordinator)
    response = client.post(reverse("documents:launch"), {"kind": "dashboard", "programme": programme.pk})
    report = Report.objects.get()
    assert response.url == reverse("documents:status", args=[report.pk])
    assert report.status == Report.Status.READY
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert "est prêt : vous pouvez le télécharger" in message
    assert "en cours" not in message


def test_a_missing_page_says_so_in_french_and_leads_back(client, programme):
    participant = factories.ParticipantFactory(enrolment__programme=programme)
    client.force_login(participant.user)
    response = client.get("/portail/cette-page-n-existe-pas/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page introuvable" in page
    assert f'href="{reverse("landing")}">Revenir à mon espace</a>' in page
    # The portal's page frame, with its navigation
    assert "Se déconnecter" in page


def test_a_refused_page_says_so_in_french_and_leads_back(client, programme):
    participant = factories.ParticipantFactory(enrolment__programme=programme)
    client.force_login(participant.user)
    response = client.get(reverse("committee:index"))  # a participant sits on no committee
    assert response.status_code == 403
    page = response.content.decode()
    assert "Accès refusé" in page
    assert "Revenir à mon espace" in page


def test_the_server_error_page_needs_no_request():
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "Une erreur est survenue" in page
    assert 'href="/"' in page


def test_a_meeting_page_offers_its_own_pack(client, programme):
    committee = factories.CommitteeFactory(programme=programme)
    member = factories.CommitteeMemberFactory(committee=committee, user=factories.UserFactory())
    meeting = factories.MeetingFactory(committee=committee)
    other_meeting = factories.MeetingFactory(committee=committee)
    pack = factories.ReportFactory(
        kind="committee_pack",
        programme=programme,
        status=Report.Status.READY,
        file="reports/pack.pdf",
        parameters={"committee": committee.kind, "meeting": meeting.pk, "title": "Dossier de séance"},
    )
    factories.ReportFactory(kind="committee_pack", programme=programme, parameters={"meeting": other_meeting.pk})
    client.force_login(member.user)

    page = client.get(reverse("committee:meeting", args=[meeting.pk])).content.decode()
    assert f'href="{reverse("documents:download", args=[pack.pk])}">Télécharger le dossier de séance (PDF)' in page
    # Another meeting's pack is not ready: no link there.
    other = client.get(reverse("committee:meeting", args=[other_meeting.pk])).content.decode()
    assert "Télécharger le dossier de séance" not in other


def test_the_dashboard_page_leads_coordinators_to_the_other_documents(client, coordinator, programme):
    client.force_login(coordinator)
    page = client.get(reverse("documents:dashboard", args=[programme.slug])).content.decode()
    launch = reverse("admin:alliances_report_launch") + f"?programme={programme.pk}"
    assert f'href="{launch}">Produire un autre document</a>' in page
    # and the admin's launch form opens on that edition
    assert client.get(launch).status_code == 200


def test_a_refused_csv_import_lists_the_networks_of_the_edition(client, coordinator, programme):
    from django.core.files.uploadedfile import SimpleUploadedFile

    factories.EnrolmentFactory(programme=programme, network__name="Réseau des tiers-lieux", network__acronym="RTL")
    factories.EnrolmentFactory(programme=programme, network__name="Fédération des jardins", network__acronym="FDJ")
    factories.EnrolmentFactory(network__name="Réseau d'une autre édition", network__acronym="RAE")
    client.force_login(coordinator)
    csv = "nom,email,réseau\nCamille Martin,camille@example.org,Tiers-lieux\n".encode()
    response = client.post(
        reverse("admin:networks_participant_import_csv"),
        {"programme": programme.pk, "file": SimpleUploadedFile("p.csv", csv, "text/csv"), "send_invitations": "on"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "réseau inconnu dans cette édition" in page
    assert "Fédération des jardins (FDJ), Réseau des tiers-lieux (RTL)</p>" in page
    assert "RAE" not in page
