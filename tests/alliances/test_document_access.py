"""Who may download, follow, launch and read documents: every view, every role (and the media URL)."""

import importlib

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import clear_url_caches, reverse

from alliances.models import Report
from tests import factories
from tests.factories_community import assert_login_redirect
from tests.factories_documents import add_networks, known_edition

PDF = b"%PDF-1.4\n% test document\n"


def ready_report(programme, kind, title="Tableau de bord — test"):
    report = factories.ReportFactory(programme=programme, kind=kind, parameters={"title": title})
    report.file.save("x.pdf", ContentFile(PDF), save=False)
    report.status = Report.Status.READY
    report.pages = 1
    report.save()
    return report


@pytest.fixture
def people(db, programme, coordinator, superuser):
    other_programme = factories.ProgrammeFactory()
    other_coordinator = factories.UserFactory(is_staff=True)
    other_programme.coordinators.add(other_coordinator)
    member = factories.CommitteeMemberFactory(committee__programme=programme, user=factories.UserFactory()).user
    other_member = factories.CommitteeMemberFactory(
        committee__programme=other_programme, user=factories.UserFactory()
    ).user
    participant = factories.ParticipantFactory(enrolment__programme=programme).user
    outsider = factories.UserFactory()
    return {
        "coordinator": coordinator,
        "superuser": superuser,
        "member": member,
        "other_coordinator": other_coordinator,
        "other_member": other_member,
        "participant": participant,
        "outsider": outsider,
        "other_programme": other_programme,
    }


@pytest.fixture
def reports(programme):
    return {
        "dashboard": ready_report(programme, "dashboard"),
        "sheet": ready_report(programme, "attendance_sheet", "Feuille d'émargement — S1"),
    }


def download(report):
    return reverse("documents:download", args=[report.pk])


# --- Download --------------------------------------------------------------------------------


def test_download_logged_out_goes_to_login(client, reports):
    assert_login_redirect(client.get(download(reports["dashboard"])))


@pytest.mark.parametrize("role", ["coordinator", "superuser"])
def test_coordinators_download_every_document_of_their_edition(client, people, reports, role):
    client.force_login(people[role])
    for report in reports.values():
        response = client.get(download(report))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "private" in response["Cache-Control"]


def test_attachment_name_is_safe_and_readable(client, people, programme):
    report = ready_report(programme, "dashboard", title='Tableau de bord — "Édition" ../../etc/passwd')
    client.force_login(people["coordinator"])
    disposition = client.get(download(report))["Content-Disposition"]
    assert 'filename="tableau-de-bord-edition-etcpasswd-' in disposition
    assert ".." not in disposition and "/" not in disposition.split("filename=")[1]


def test_committee_members_download_committee_documents_only(client, people, reports):
    client.force_login(people["member"])
    assert client.get(download(reports["dashboard"])).status_code == 200
    assert client.get(download(reports["sheet"])).status_code == 404  # personal data: coordinators only


@pytest.mark.parametrize("role", ["participant", "outsider", "other_coordinator", "other_member"])
def test_anyone_else_gets_404(client, people, reports, role):
    client.force_login(people[role])
    for report in reports.values():
        assert client.get(download(report)).status_code == 404
        assert client.get(reverse("documents:status", args=[report.pk])).status_code == 404


def test_a_document_not_ready_cannot_be_downloaded(client, people, programme):
    pending = factories.ReportFactory(programme=programme, kind="dashboard")
    client.force_login(people["coordinator"])
    assert client.get(download(pending)).status_code == 404


def test_unknown_document_is_404(client, people):
    client.force_login(people["coordinator"])
    assert client.get(reverse("documents:download", args=[999999])).status_code == 404


# --- By file URL ---------------------------------------------------------------------------------


@pytest.fixture
def debug_media_urls(settings):
    """The URLconf as in DEBUG (the embedded default), where uploaded media are served."""
    import alliances.urls

    settings.DEBUG = True
    importlib.reload(alliances.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(alliances.urls)
    clear_url_caches()


@pytest.mark.parametrize("role", ["participant", "outsider", "member", "coordinator"])
def test_documents_are_never_served_by_their_file_url(client, people, reports, role):
    """Without DEBUG no media route exists at all: the file URL is a 404 for everyone."""
    client.force_login(people[role])
    for report in reports.values():
        assert client.get(f"/media/{report.file.name}").status_code == 404


@pytest.mark.parametrize("role", ["participant", "outsider", "member"])
def test_documents_are_not_served_by_the_debug_media_route(client, people, reports, debug_media_urls, role):
    client.force_login(people[role])
    for report in reports.values():
        assert client.get(f"/media/{report.file.name}").status_code == 404
        assert client.get(f"/media/resources/../{report.file.name}").status_code == 404
        assert client.get(f"/media/./{report.file.name}").status_code == 404
    client.logout()
    assert client.get(f"/media/{reports['dashboard'].file.name}").status_code == 404


def test_debug_media_route_still_serves_uploads(client, settings, debug_media_urls):
    folder = settings.MEDIA_ROOT / "resources" / "2018"
    folder.mkdir(parents=True)
    (folder / "kit.txt").write_text("kit partenariats")
    response = client.get("/media/resources/2018/kit.txt")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"kit partenariats"


# --- Status -------------------------------------------------------------------------------------


def test_status_page_and_json(client, people, programme, reports):
    client.force_login(people["coordinator"])
    pending = factories.ReportFactory(programme=programme, kind="dashboard", parameters={"title": "TdB"})
    response = client.get(reverse("documents:status", args=[pending.pk]))
    assert response.status_code == 200
    assert response["Refresh"] == "3"  # reloads itself while pending
    assert "En attente de production" in response.content.decode()
    data = client.get(reverse("documents:status", args=[pending.pk]), {"format": "json"}).json()
    assert data == {
        "id": pending.pk,
        "kind": "dashboard",
        "title": "TdB",
        "status": "pending",
        "status_label": "en attente",
        "error": "",
        "pages": None,
        "download_url": None,
        "refresh_seconds": 3,
    }
    ready = client.get(reverse("documents:status", args=[reports["dashboard"].pk]))
    assert "Refresh" not in ready
    assert download(reports["dashboard"]) in ready.content.decode()


def test_status_page_shows_the_failure_message(client, people, programme):
    failed = factories.ReportFactory(
        programme=programme, kind="dashboard", status=Report.Status.FAILED, error="La session n'existe plus."
    )
    client.force_login(people["coordinator"])
    content = client.get(reverse("documents:status", args=[failed.pk])).content.decode()
    assert "Échec" in content and "La session n&#x27;existe plus." in content


def test_status_for_committee_members(client, people, reports):
    client.force_login(people["member"])
    assert client.get(reverse("documents:status", args=[reports["dashboard"].pk])).status_code == 200
    assert client.get(reverse("documents:status", args=[reports["sheet"].pk])).status_code == 404


def test_status_logged_out(client, reports):
    assert_login_redirect(client.get(reverse("documents:status", args=[reports["dashboard"].pk])))


# --- Launch --------------------------------------------------------------------------------------


def launch(client, programme, kind="dashboard", **extra):
    return client.post(reverse("documents:launch"), {"kind": kind, "programme": programme.pk, **extra})


def test_coordinator_launches_a_document(client, people, programme, django_capture_on_commit_callbacks):
    client.force_login(people["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = launch(client, programme)
    report = Report.objects.get()
    assert response.status_code == 302 and response.url == reverse("documents:status", args=[report.pk])
    assert report.requested_by == people["coordinator"]
    report.refresh_from_db()
    assert report.status == Report.Status.READY  # the (eager) task ran after the commit
    assert "en cours de production" in [str(m) for m in get_messages(response.wsgi_request)][0]


def test_launch_with_bad_parameters_says_why(client, people, programme):
    client.force_login(people["coordinator"])
    response = launch(client, programme, kind="attendance_sheet", session="12")
    assert response.status_code == 302
    assert not Report.objects.exists()
    assert "pas de session « 12 »" in str(list(get_messages(response.wsgi_request))[0])


def test_launch_logged_out(client, programme):
    assert_login_redirect(launch(client, programme))


@pytest.mark.parametrize("role", ["participant", "outsider", "member"])
def test_launch_is_for_coordinators(client, people, programme, role):
    client.force_login(people[role])
    assert launch(client, programme).status_code == 403
    assert not Report.objects.exists()


def test_launch_for_another_edition_is_404(client, people, programme):
    client.force_login(people["other_coordinator"])
    assert launch(client, programme).status_code == 404


def test_launch_needs_post(client, people):
    client.force_login(people["coordinator"])
    assert client.get(reverse("documents:launch")).status_code == 405


# --- The dashboard page --------------------------------------------------------------------------


def dashboard_url(programme):
    return reverse("documents:dashboard", args=[programme.slug])


@pytest.mark.parametrize("role", ["coordinator", "superuser", "member"])
def test_dashboard_page_for_coordinators_and_committee_members(client, people, programme, reports, role):
    client.force_login(people[role])
    response = client.get(dashboard_url(programme))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Tableau de bord du programme" in content
    assert "Chiffres clés" in content and "Inventaire des partenariats" in content
    produce = "Produire le PDF" in content
    assert produce == (role != "member")
    # Committee members see the committee documents only.
    assert ("Feuille d&#x27;émargement — S1" in content) == (role != "member")


def test_dashboard_page_has_the_same_charts_as_the_pdf(client, people):
    edition = known_edition()
    edition.programme.coordinators.add(people["coordinator"])
    client.force_login(people["coordinator"])
    content = client.get(dashboard_url(edition.programme)).content.decode()
    assert content.count("<svg") >= 6
    assert "moyenne nationale : 2,5" in content and "repère national PHARE 2015" in content


def test_dashboard_page_logged_out(client, programme):
    assert_login_redirect(client.get(dashboard_url(programme)))


@pytest.mark.parametrize("role", ["participant", "outsider"])
def test_dashboard_page_refuses_people_without_a_seat(client, people, programme, role):
    client.force_login(people[role])
    assert client.get(dashboard_url(programme)).status_code == 403


@pytest.mark.parametrize("role", ["other_coordinator", "other_member"])
def test_dashboard_page_of_another_edition_is_404(client, people, programme, role):
    client.force_login(people[role])
    assert client.get(dashboard_url(programme)).status_code == 404


def test_dashboard_page_query_count_does_not_grow(client, people):
    edition = known_edition()
    programme = edition.programme
    programme.coordinators.add(people["coordinator"])
    client.force_login(people["coordinator"])
    for _ in range(3):
        ready_report(programme, "dashboard")
    client.get(dashboard_url(programme))
    with CaptureQueriesContext(connection) as small:
        assert client.get(dashboard_url(programme)).status_code == 200
    add_networks(programme, 20, sessions=edition.sessions[:2])
    for _ in range(15):
        ready_report(programme, "dashboard")
    with CaptureQueriesContext(connection) as large:
        assert client.get(dashboard_url(programme)).status_code == 200
    assert len(small) == len(large)


# --- Committee packs belong to their committee ---------------------------------------------------------
#
# Seated only on the technical committee, a member reads the edition-wide documents (dashboard, evaluation
# report) and the technical committee's packs, never the steering or orientation packs (their agenda,
# members and open decisions): in the lists (committee page, meeting page, dashboard page) as by id.


@pytest.fixture
def committees(db, programme, coordinator, superuser):
    steering = factories.CommitteeFactory(programme=programme, kind="steering", name="Comité de pilotage")
    orientation = factories.CommitteeFactory(programme=programme, kind="orientation", name="Comité d'orientation")
    technical = factories.CommitteeFactory(programme=programme, kind="technical", name="Comité technique")
    meetings = {
        committee.kind: factories.MeetingFactory(committee=committee, title=f"Séance {committee.kind}")
        for committee in (steering, orientation, technical)
    }
    other_programme = factories.ProgrammeFactory()
    other_technical = factories.CommitteeFactory(programme=other_programme, kind="technical")
    other_coordinator = factories.UserFactory(is_staff=True)
    other_programme.coordinators.add(other_coordinator)

    def seat(committee):
        return factories.CommitteeMemberFactory(committee=committee, user=factories.UserFactory()).user

    return {
        "committees": {c.kind: c for c in (steering, orientation, technical)},
        "meetings": meetings,
        "roles": {
            "technical_member": seat(technical),
            "steering_member": seat(steering),  # another committee of the same edition
            "other_edition_member": seat(other_technical),  # the same committee kind, another edition
            "coordinator": coordinator,
            "other_coordinator": other_coordinator,
            "superuser": superuser,
        },
    }


@pytest.fixture
def committee_reports(programme, committees):
    def pack(kind):
        report = ready_report(programme, "committee_pack", f"Dossier de séance — pack_{kind}")
        report.parameters.update(committee=kind, meeting=committees["meetings"][kind].pk)
        report.save()
        return report

    return {
        "dashboard": ready_report(programme, "dashboard", "Tableau de bord — edition_wide_dashboard"),
        "evaluation_report": ready_report(programme, "evaluation_report", "Rapport — edition_wide_report"),
        "pack_steering": pack("steering"),
        "pack_orientation": pack("orientation"),
        "pack_technical": pack("technical"),
    }


# What each role may download (and follow at /documents/<id>/); anything else is a 404.
READABLE = {
    "technical_member": {"dashboard", "evaluation_report", "pack_technical"},
    "steering_member": {"dashboard", "evaluation_report", "pack_steering"},
    "other_edition_member": set(),
    "coordinator": {"dashboard", "evaluation_report", "pack_steering", "pack_orientation", "pack_technical"},
    "other_coordinator": set(),
    "superuser": {"dashboard", "evaluation_report", "pack_steering", "pack_orientation", "pack_technical"},
}


@pytest.mark.parametrize("role", sorted(READABLE))
def test_committee_packs_are_downloaded_by_their_committee_only(client, committees, committee_reports, role):
    client.force_login(committees["roles"][role])
    for name, report in committee_reports.items():
        expected = 200 if name in READABLE[role] else 404
        assert client.get(download(report)).status_code == expected, (role, name)
        assert client.get(reverse("documents:status", args=[report.pk])).status_code == expected, (role, name)


def test_committee_packs_logged_out(client, committee_reports):
    for report in committee_reports.values():
        assert_login_redirect(client.get(download(report)))
        assert_login_redirect(client.get(reverse("documents:status", args=[report.pk])))


def listed(response):
    return {name for name in ("pack_steering", "pack_orientation", "pack_technical") if name in response} | {
        name
        for name, marker in (("dashboard", "edition_wide_dashboard"), ("evaluation_report", "edition_wide_report"))
        if marker in response
    }


# The technical committee's documents page: who reaches it, and what it lists there.
TECHNICAL_PAGE = {
    "technical_member": {"dashboard", "evaluation_report", "pack_technical"},
    "steering_member": None,  # 404: not their committee
    "other_edition_member": None,
    "coordinator": {"dashboard", "evaluation_report", "pack_technical"},  # the other packs are on their own pages
    "other_coordinator": None,
    "superuser": {"dashboard", "evaluation_report", "pack_technical"},
}


@pytest.mark.parametrize("role", sorted(TECHNICAL_PAGE))
def test_a_committee_documents_page_lists_its_own_packs_and_the_edition_wide_documents(
    client, committees, committee_reports, role
):
    client.force_login(committees["roles"][role])
    response = client.get(reverse("committee:documents", args=[committees["committees"]["technical"].pk]))
    if TECHNICAL_PAGE[role] is None:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    content = response.content.decode()
    assert listed(content) == TECHNICAL_PAGE[role]
    for name in TECHNICAL_PAGE[role]:
        assert download(committee_reports[name]) in content


def test_a_committee_documents_page_logged_out(client, committees):
    assert_login_redirect(client.get(reverse("committee:documents", args=[committees["committees"]["technical"].pk])))


@pytest.mark.parametrize("role", ["technical_member", "steering_member", "coordinator", "superuser"])
def test_the_dashboard_page_lists_what_the_reader_may_download(client, programme, committees, committee_reports, role):
    client.force_login(committees["roles"][role])
    content = client.get(reverse("documents:dashboard", args=[programme.slug])).content.decode()
    assert listed(content) == READABLE[role]


@pytest.mark.parametrize("role", ["other_edition_member", "other_coordinator"])
def test_the_dashboard_page_of_another_edition_is_404_for_members_and_coordinators(client, programme, committees, role):
    client.force_login(committees["roles"][role])
    assert client.get(reverse("documents:dashboard", args=[programme.slug])).status_code == 404


def test_a_meeting_page_links_its_own_pack(client, committees, committee_reports):
    client.force_login(committees["roles"]["coordinator"])
    content = client.get(reverse("committee:meeting", args=[committees["meetings"]["technical"].pk])).content.decode()
    assert download(committee_reports["pack_technical"]) in content
    assert download(committee_reports["pack_steering"]) not in content


def test_a_committee_scoped_kind_must_name_one_of_its_parameters():
    from alliances.documents import DocumentKind, register

    with pytest.raises(ValueError, match="committee_parameter"):
        register(
            DocumentKind(
                code="broken",
                label="Cassé",
                template_name="documents/dashboard.html",
                build_context=lambda programme, parameters, report=None: {},
                committee_visible=True,
                committee_parameter="committee",
            )
        )
