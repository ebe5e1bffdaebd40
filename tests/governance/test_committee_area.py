"""The committee area (/comite/): access of every role, content, filters, documents, query counts; the meeting admin."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from alliances.models import Report
from evaluation.documents import DASHBOARD, EVALUATION_REPORT
from governance import views as governance_views
from governance.models import Decision, MeetingAttendance
from tests import factories
from tests.factories_committee import fill_committee, seated_user
from tests.factories_community import assert_login_redirect, count_queries, participant_in

PRESENT = MeetingAttendance.Status.PRESENT
ABSENT = MeetingAttendance.Status.ABSENT
EXCUSED = MeetingAttendance.Status.EXCUSED


@pytest.fixture
def steering(programme):
    return factories.CommitteeFactory(programme=programme, kind="steering", name="Comité de pilotage")


@pytest.fixture
def orientation(programme):
    return factories.CommitteeFactory(programme=programme, kind="orientation", name="Comité d'orientation")


@pytest.fixture
def meeting(steering):
    return factories.MeetingFactory(
        committee=steering,
        title="Réunion de lancement",
        held_on=dt.date(2018, 3, 20),
        location="Paris, DJEPVA",
        agenda="1. Calendrier du parcours",
        minutes="Le comité valide le calendrier.",
    )


@pytest.fixture
def member(steering):
    return seated_user(steering, organisation__name="DJEPVA", role="Direction")


def committee_urls(committee, meeting):
    return [
        reverse("committee:detail", args=[committee.pk]),
        reverse("committee:meeting", args=[meeting.pk]),
        reverse("committee:decisions", args=[committee.pk]),
        reverse("committee:documents", args=[committee.pk]),
    ]


def all_urls(committee, meeting):
    return [reverse("committee:index"), *committee_urls(committee, meeting)]


# --- Access --------------------------------------------------------------------------------


def test_logged_out_is_sent_to_login(client, steering, meeting):
    for url in all_urls(steering, meeting):
        assert_login_redirect(client.get(url))


def test_participant_without_seat_gets_403(client, programme, steering, meeting):
    participant = participant_in(programme)
    client.force_login(participant.user)
    for url in all_urls(steering, meeting):
        assert client.get(url).status_code == 403, url


def test_staff_user_coordinating_nothing_gets_403(client, steering, meeting):
    client.force_login(factories.UserFactory(is_staff=True))
    for url in all_urls(steering, meeting):
        assert client.get(url).status_code == 403, url


def test_member_sees_the_pages_of_their_committee(client, member, steering, meeting):
    client.force_login(member)
    for url in all_urls(steering, meeting):
        assert client.get(url).status_code == 200, url


def test_member_of_another_committee_of_the_same_edition_gets_404(client, member, orientation):
    other_meeting = factories.MeetingFactory(committee=orientation)
    client.force_login(member)
    for url in committee_urls(orientation, other_meeting):
        assert client.get(url).status_code == 404, url


def test_member_of_a_committee_of_another_edition_gets_404(client, steering, meeting):
    elsewhere = factories.CommitteeFactory(programme=factories.ProgrammeFactory())
    stranger = seated_user(elsewhere)
    client.force_login(stranger)
    for url in committee_urls(steering, meeting):
        assert client.get(url).status_code == 404, url
    # Their own area works, and does not list the other edition's committee.
    response = client.get(reverse("committee:index"))
    assert response.status_code == 200
    assert [c.pk for c in response.context["page"].object_list] == [elsewhere.pk]


def test_coordinator_of_the_edition_sees_its_committees_without_a_seat(client, coordinator, steering, meeting):
    client.force_login(coordinator)
    for url in all_urls(steering, meeting):
        assert client.get(url).status_code == 200, url
    assert "en tant que coordinateur" in client.get(committee_urls(steering, meeting)[0]).content.decode()


def test_coordinator_of_another_edition_gets_404(client, steering, meeting):
    outsider = factories.UserFactory(is_staff=True)
    factories.ProgrammeFactory().coordinators.add(outsider)
    client.force_login(outsider)
    for url in committee_urls(steering, meeting):
        assert client.get(url).status_code == 404, url


def test_superuser_sees_every_committee(client, superuser, steering, meeting):
    client.force_login(superuser)
    for url in all_urls(steering, meeting):
        assert client.get(url).status_code == 200, url


def test_unknown_committee_and_meeting_are_404(client, member):
    client.force_login(member)
    assert client.get(reverse("committee:detail", args=[999999])).status_code == 404
    assert client.get(reverse("committee:meeting", args=[999999])).status_code == 404


# --- Index -----------------------------------------------------------------------------------


def test_index_lists_the_committees_i_sit_on_in_every_edition(client, programme, member, steering, orientation):
    later = factories.ProgrammeFactory(name="Édition 2019", starts_on=dt.date(2019, 7, 1), ends_on=dt.date(2020, 6, 30))
    later_committee = factories.CommitteeFactory(programme=later, kind="technical", name="Comité technique 2019")
    factories.CommitteeMemberFactory(committee=later_committee, user=member, person_name="Dominique")
    factories.MeetingFactory(committee=steering, held_on=timezone.localdate() + dt.timedelta(days=10))
    factories.DecisionFactory(meeting__committee=steering, due_on=dt.date(2018, 1, 1))
    client.force_login(member)
    response = client.get(reverse("committee:index"))
    content = response.content.decode()
    assert "Comité de pilotage" in content and "Comité technique 2019" in content
    assert "Comité d'orientation" not in content  # I do not sit on it
    assert "Vous siégez au titre de : DJEPVA" in content
    committees = {c.name: c for c in response.context["page"].object_list}
    assert committees["Comité de pilotage"].meeting_total == 2
    assert committees["Comité de pilotage"].open_decision_total == 1
    assert committees["Comité de pilotage"].overdue_decision_total == 1
    assert committees["Comité de pilotage"].next_meeting_on == timezone.localdate() + dt.timedelta(days=10)
    # The most recent edition first.
    assert [c.name for c in response.context["page"].object_list][0] == "Comité technique 2019"


def test_index_search(client, coordinator, steering, orientation):
    client.force_login(coordinator)
    response = client.get(reverse("committee:index"), {"q": "orientation"})
    assert [c.name for c in response.context["page"].object_list] == ["Comité d'orientation"]
    response = client.get(reverse("committee:index"), {"q": "introuvable"})
    assert "Aucun comité ne correspond" in response.content.decode()


# --- Committee and meeting pages ----------------------------------------------------------------


def test_committee_page_lists_members_and_meetings_with_attendance_counts(client, member, steering, meeting):
    other = factories.CommitteeMemberFactory(committee=steering, organisation=None, person_name="Valérie Leray")
    pending = factories.CommitteeMemberFactory(
        committee=steering, organisation=None, person_name="Partenaire privé", pending_validation=True
    )
    seat = member.committee_seats.get()
    factories.MeetingAttendanceFactory(meeting=meeting, member=seat, status=PRESENT)
    factories.MeetingAttendanceFactory(meeting=meeting, member=other, status=EXCUSED)
    factories.MeetingAttendanceFactory(meeting=meeting, member=pending, status=ABSENT)
    factories.DecisionFactory(meeting=meeting)
    client.force_login(member)
    response = client.get(reverse("committee:detail", args=[steering.pk]))
    content = response.content.decode()
    assert "Valérie Leray" in content and "en cours de validation" in content
    row = response.context["page"].object_list[0]
    assert (row.present_total, row.absent_total, row.excused_total, row.decision_total) == (1, 1, 1, 1)
    assert "Réunion de lancement" in content


def test_meeting_page_shows_agenda_minutes_attendance_and_decisions(client, member, steering, meeting):
    seat = member.committee_seats.get()
    excused = factories.CommitteeMemberFactory(committee=steering, organisation__name="Le RAMEAU")
    absent = factories.CommitteeMemberFactory(committee=steering, organisation__name="Opus 3")
    not_recorded = factories.CommitteeMemberFactory(committee=steering, organisation__name="Avise")
    factories.MeetingAttendanceFactory(meeting=meeting, member=seat, status=PRESENT)
    factories.MeetingAttendanceFactory(meeting=meeting, member=excused, status=EXCUSED)
    factories.MeetingAttendanceFactory(meeting=meeting, member=absent, status=ABSENT)
    factories.DecisionFactory(meeting=meeting, title="Valider le questionnaire", owner="Le RAMEAU")
    client.force_login(member)
    response = client.get(reverse("committee:meeting", args=[meeting.pk]))
    content = response.content.decode()
    assert "1. Calendrier du parcours" in content
    assert "Le comité valide le calendrier." in content
    statuses = {m.pk: status for m, status, _label in response.context["attendance"]}
    assert statuses == {seat.pk: PRESENT, excused.pk: EXCUSED, absent.pk: ABSENT, not_recorded.pk: ""}
    assert response.context["totals"] == {"present": 1, "absent": 1, "excused": 1, "not_recorded": 1}
    for label in ("1 présent,", "1 absent,", "1 excusé", "1 présence non renseignée"):
        assert label in content
    assert "Valider le questionnaire" in content


def test_meeting_without_minutes_says_they_will_come(client, member, steering):
    meeting = factories.MeetingFactory(committee=steering, minutes="")
    client.force_login(member)
    assert (
        "Le compte rendu sera publié ici"
        in client.get(reverse("committee:meeting", args=[meeting.pk])).content.decode()
    )


# --- Decisions log ------------------------------------------------------------------------------


@pytest.fixture
def decisions(steering, meeting):
    today = timezone.localdate()
    later_meeting = factories.MeetingFactory(committee=steering, title="Mi-parcours", held_on=dt.date(2018, 9, 18))
    return {
        "overdue": factories.DecisionFactory(
            meeting=meeting, title="Compléter le groupe", owner="DJEPVA", due_on=today - dt.timedelta(days=3)
        ),
        "in_progress": factories.DecisionFactory(
            meeting=later_meeting,
            title="Note de déploiement",
            owner="Le RAMEAU",
            due_on=today + dt.timedelta(days=30),
            status=Decision.Status.IN_PROGRESS,
        ),
        "done_late": factories.DecisionFactory(
            meeting=meeting,
            title="Questionnaire pré",
            owner="Le RAMEAU",
            due_on=today - dt.timedelta(days=60),
            status=Decision.Status.DONE,
        ),
        "undated": factories.DecisionFactory(meeting=later_meeting, title="Financement", owner="DJEPVA"),
    }


def log_titles(client, committee, **params):
    response = client.get(reverse("committee:decisions", args=[committee.pk]), params)
    assert response.status_code == 200
    return [d.title for d in response.context["page"].object_list]


def test_decision_log_across_meetings_soonest_due_first(client, member, steering, decisions):
    client.force_login(member)
    assert log_titles(client, steering) == [
        "Questionnaire pré",
        "Compléter le groupe",
        "Note de déploiement",
        "Financement",
    ]


def test_decision_log_filters(client, member, steering, decisions):
    client.force_login(member)
    assert log_titles(client, steering, statut="en-retard") == ["Compléter le groupe"]
    assert log_titles(client, steering, statut="ouvertes") == [
        "Compléter le groupe",
        "Note de déploiement",
        "Financement",
    ]
    assert log_titles(client, steering, statut="done") == ["Questionnaire pré"]
    assert log_titles(client, steering, q="rameau") == ["Questionnaire pré", "Note de déploiement"]
    assert log_titles(client, steering, statut="dropped") == []


def test_decision_log_highlights_overdue_decisions_only(client, member, steering, decisions):
    client.force_login(member)
    content = client.get(reverse("committee:decisions", args=[steering.pk])).content.decode()
    assert content.count("decision-overdue") == 1
    assert content.count("en retard</span>") == 1
    overdue_row = content.split("decision-overdue")[1].split("</li>")[0]
    assert "Compléter le groupe" in overdue_row


def test_decision_log_empty_states(client, member, steering):
    client.force_login(member)
    url = reverse("committee:decisions", args=[steering.pk])
    assert "Aucune décision enregistrée" in client.get(url).content.decode()
    assert "Aucune décision ne correspond" in client.get(url, {"statut": "done"}).content.decode()


# --- Documents ------------------------------------------------------------------------------------


def _report(programme, status=Report.Status.READY, kind=DASHBOARD, title=""):
    parameters = {"title": title} if title else {}
    report = factories.ReportFactory(
        programme=programme, kind=kind, status=Report.Status.PENDING, parameters=parameters
    )
    report.file.name = "reports/2018/12/x.pdf"
    report.status = status
    report.finished_at = timezone.now()
    report.save()
    return report


def test_documents_lists_the_ready_committee_documents_of_the_edition(client, programme, member, steering, monkeypatch):
    ready = _report(programme, kind=EVALUATION_REPORT, title="Rapport d'évaluation — édition test")
    _report(programme, status=Report.Status.FAILED, title="failed_kind")
    factories.ReportFactory(programme=programme, kind=DASHBOARD, parameters={"title": "pending_kind"})
    _report(programme, kind="coordinators_only_kind")  # not registered as committee-visible
    _report(factories.ProgrammeFactory(), title="other_edition_kind")
    # While documents:download does not exist, the list shows the documents without links.
    monkeypatch.setattr(governance_views, "DOWNLOAD_URL_NAME", "documents:no-such-route")
    client.force_login(member)
    response = client.get(reverse("committee:documents", args=[steering.pk]))
    content = response.content.decode()
    assert [r.pk for r in response.context["page"].object_list] == [ready.pk]
    assert "Rapport d&#x27;évaluation — édition test" in content
    for absent in ("failed_kind", "pending_kind", "other_edition_kind", "coordinators_only_kind"):
        assert absent not in content
    assert "Télécharger" not in content
    assert "bientôt disponible" in content


def test_documents_link_to_the_download_view(client, programme, member, steering):
    ready = _report(programme)
    client.force_login(member)
    content = client.get(reverse("committee:documents", args=[steering.pk])).content.decode()
    assert f'href="{reverse("documents:download", args=[ready.pk])}"' in content
    assert "Télécharger" in content and "bientôt disponible" not in content


def test_documents_empty_state(client, member, steering):
    client.force_login(member)
    assert "Aucun document prêt" in client.get(reverse("committee:documents", args=[steering.pk])).content.decode()


# --- Query counts: the same with 5 and with 50 meetings, decisions and members ------------------------


def test_committee_pages_run_a_constant_number_of_queries(client, programme, member, steering):
    small = factories.CommitteeFactory(programme=programme, kind="technical", name="Petit comité")
    factories.CommitteeMemberFactory(committee=small, user=member)
    fill_committee(small, members=5, meetings=5, decisions=5)
    fill_committee(steering, members=50, meetings=50, decisions=50)
    for report_programme in (programme,):
        for _ in range(3):
            _report(report_programme)
    client.force_login(member)

    def counts(committee):
        meeting = committee.meetings.order_by("pk").first()
        return [
            count_queries(client, reverse("committee:detail", args=[committee.pk])),
            count_queries(client, reverse("committee:meeting", args=[meeting.pk])),
            count_queries(client, reverse("committee:decisions", args=[committee.pk])),
            count_queries(client, reverse("committee:decisions", args=[committee.pk]) + "?statut=en-retard"),
            count_queries(client, reverse("committee:documents", args=[committee.pk])),
        ]

    assert counts(small) == counts(steering)


def test_index_runs_a_constant_number_of_queries(client, member, steering):
    client.force_login(member)
    fill_committee(steering, members=5, meetings=5, decisions=5)
    few = count_queries(client, reverse("committee:index"))
    for i in range(30):
        committee = factories.CommitteeFactory(
            programme=factories.ProgrammeFactory(), kind="orientation", name=f"Comité {i}"
        )
        factories.CommitteeMemberFactory(committee=committee, user=member)
        fill_committee(committee, members=2, meetings=2, decisions=2)
    many = count_queries(client, reverse("committee:index"))
    assert few == many


def test_documents_page_query_count_does_not_grow_with_reports(client, programme, member, steering):
    client.force_login(member)
    _report(programme)
    few = count_queries(client, reverse("committee:documents", args=[steering.pk]))
    for _ in range(40):
        _report(programme)
    assert count_queries(client, reverse("committee:documents", args=[steering.pk])) == few


# --- The meeting admin: attendance rows ready for every member -----------------------------------------


def test_meeting_admin_offers_a_blank_attendance_row_per_member_not_recorded(client, coordinator, steering, meeting):
    recorded = factories.CommitteeMemberFactory(committee=steering, organisation__name="DJEPVA")
    first = factories.CommitteeMemberFactory(committee=steering, organisation__name="Avise")
    second = factories.CommitteeMemberFactory(committee=steering, organisation__name="CFF")
    factories.CommitteeMemberFactory(committee=factories.CommitteeFactory(kind="technical"))  # another committee
    factories.MeetingAttendanceFactory(meeting=meeting, member=recorded, status=PRESENT)
    client.force_login(coordinator)
    url = reverse("admin:governance_meeting_change", args=[meeting.pk])
    response = client.get(url)
    assert response.status_code == 200
    formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is MeetingAttendance)
    assert [form.initial.get("member") for form in formset.forms] == [recorded.pk, first.pk, second.pk]

    prefix = formset.prefix
    decisions_prefix = next(
        f.formset.prefix for f in response.context["inline_admin_formsets"] if f.formset.model is Decision
    )
    attendance_id = MeetingAttendance.objects.get(meeting=meeting).pk
    data = {
        "committee": steering.pk,
        "title": meeting.title,
        "held_on": "20/03/2018",
        "starts_at": "",
        "location": meeting.location,
        "agenda": meeting.agenda,
        "minutes": meeting.minutes,
        f"{prefix}-TOTAL_FORMS": "3",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-0-id": attendance_id,
        f"{prefix}-0-meeting": meeting.pk,
        f"{prefix}-0-member": recorded.pk,
        f"{prefix}-0-status": PRESENT,
        f"{prefix}-1-member": first.pk,
        f"{prefix}-1-status": EXCUSED,
        f"{prefix}-2-member": second.pk,
        f"{prefix}-2-status": "",  # left blank: not saved, no error
        f"{decisions_prefix}-TOTAL_FORMS": "0",
        f"{decisions_prefix}-INITIAL_FORMS": "0",
        "_save": "Enregistrer",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert dict(MeetingAttendance.objects.filter(meeting=meeting).values_list("member_id", "status")) == {
        recorded.pk: PRESENT,
        first.pk: EXCUSED,
    }


def test_meeting_admin_links_to_the_committee_area(client, coordinator, meeting):
    client.force_login(coordinator)
    content = client.get(reverse("admin:governance_meeting_change", args=[meeting.pk])).content.decode()
    assert reverse("admin:view_on_site", args=[_content_type_id(meeting), meeting.pk]) in content


def _content_type_id(obj):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(obj).pk


def test_decision_admin_overdue_filter(client, coordinator, decisions):
    client.force_login(coordinator)
    response = client.get(reverse("admin:governance_decision_changelist"), {"suivi": "en-retard"})
    assert response.status_code == 200
    assert [d.title for d in response.context["cl"].result_list] == ["Compléter le groupe"]
