"""Documents in the admin: the launch form, the status column that updates, producing again, deleting."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliances.models import Report
from tests import factories
from tests.factories_documents import known_edition

LAUNCH = "admin:alliances_report_launch"
CHANGELIST = "admin:alliances_report_changelist"


@pytest.fixture
def edition(db, coordinator):
    edition = known_edition()
    edition.programme.coordinators.add(coordinator)
    return edition


def ready(programme, title="Tableau de bord"):
    report = factories.ReportFactory(programme=programme, parameters={"title": title})
    report.file.save("x.pdf", ContentFile(b"%PDF-1.4"), save=False)
    report.status = Report.Status.READY
    report.save()
    return report


def test_launch_a_document_without_parameters(client, coordinator, edition, django_capture_on_commit_callbacks):
    client.force_login(coordinator)
    page = client.get(reverse(LAUNCH))
    assert page.status_code == 200
    assert "Feuille d&#x27;émargement" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(LAUNCH), {"kind": "dashboard", "programme": edition.programme.pk})
    assert response.status_code == 302 and response.url == reverse(CHANGELIST)
    report = Report.objects.get()
    assert report.requested_by == coordinator
    report.refresh_from_db()
    assert report.status == Report.Status.READY


def test_launch_asks_the_parameters_of_the_kind_for_that_edition(client, coordinator, edition):
    client.force_login(coordinator)
    step2 = client.post(reverse(LAUNCH), {"kind": "attendance_sheet", "programme": edition.programme.pk})
    assert step2.status_code == 200
    form = step2.context["form"]
    assert [value for value, _label in form.fields["session"].choices] == ["1", "2", "3"]
    assert not Report.objects.exists()
    response = client.post(
        reverse(LAUNCH),
        {"kind": "attendance_sheet", "programme": edition.programme.pk, "session": "2", "confirm": "1"},
    )
    assert response.status_code == 302
    assert Report.objects.get().parameters["session"] == 2


def test_launch_shows_parameter_errors_on_the_form(client, coordinator, edition):
    client.force_login(coordinator)
    response = client.post(
        reverse(LAUNCH),
        {
            "kind": "attendance_certificate",
            "programme": edition.programme.pk,
            "participant": "inconnu@example.org",
            "confirm": "1",
        },
    )
    assert response.status_code == 200
    assert "Aucun participant de cette édition" in str(response.context["form"].errors["participant"])
    assert not Report.objects.exists()


def test_launch_offers_only_coordinated_editions(client, coordinator, programme, edition):
    other = factories.ProgrammeFactory()
    client.force_login(coordinator)
    offered = set(client.get(reverse(LAUNCH)).context["form"].fields["programme"].queryset)
    assert offered == {programme, edition.programme}
    response = client.post(reverse(LAUNCH), {"kind": "dashboard", "programme": other.pk})
    assert response.status_code == 200 and "programme" in response.context["form"].errors
    assert not Report.objects.exists()


def test_launch_is_refused_to_staff_coordinating_nothing(client, db):
    client.force_login(factories.UserFactory(is_staff=True))
    assert client.get(reverse(LAUNCH)).status_code == 403


def test_list_refreshes_while_documents_are_pending(client, coordinator, edition):
    client.force_login(coordinator)
    ready(edition.programme)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200 and "Refresh" not in response
    assert "Télécharger" in response.content.decode() and "Produire un document" in response.content.decode()
    pending = factories.ReportFactory(programme=edition.programme)
    response = client.get(reverse(CHANGELIST))
    assert response["Refresh"] == "5"
    assert client.get(reverse("admin:alliances_report_change", args=[pending.pk]))["Refresh"] == "5"


def test_list_shows_failures_with_their_message(client, coordinator, edition):
    factories.ReportFactory(programme=edition.programme, status=Report.Status.FAILED, error="Session supprimée")
    client.force_login(coordinator)
    content = client.get(reverse(CHANGELIST)).content.decode()
    assert "échec" in content and "Session supprimée" in content


def test_list_is_scoped_and_its_query_count_does_not_grow(client, coordinator, edition):
    other = factories.ProgrammeFactory()
    ready(other, "Autre édition")
    client.force_login(coordinator)
    ready(edition.programme)
    client.get(reverse(CHANGELIST))
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse(CHANGELIST))
    assert "Autre édition" not in response.content.decode()
    for index in range(20):
        ready(edition.programme, f"Tableau {index}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(CHANGELIST))
    assert len(few) == len(many)


def test_produce_again_renders_with_current_data(client, coordinator, edition, django_capture_on_commit_callbacks):
    report = ready(edition.programme)
    old_name = report.file.name
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(CHANGELIST), {"action": "render_again", "_selected_action": [report.pk]}, follow=True
        )
    assert "relancé" in response.content.decode()
    report.refresh_from_db()
    assert report.status == Report.Status.READY and report.file.name != old_name and report.pages >= 2


def test_deleting_a_report_deletes_its_file(client, coordinator, edition):
    report = ready(edition.programme)
    storage, name = report.file.storage, report.file.name
    client.force_login(coordinator)
    response = client.post(reverse("admin:alliances_report_delete", args=[report.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Report.objects.filter(pk=report.pk).exists()
    assert not storage.exists(name)
