"""The admin a coordinator runs the programme from: pages, query counts and scoping."""

import pytest
from django.contrib import admin
from django.db import connection
from django.forms import HiddenInput
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliances.admin_scoping import ProgrammeScopedAdminMixin
from alliances.models import Notification, Phase, Programme, Relance, Report, Step, Theme, User
from evaluation.models import Answer, Competency, Finding, Question, Questionnaire, Response
from governance.models import Committee, CommitteeMember, Decision, Meeting, MeetingAttendance, Organisation
from networks.models import (
    Binome,
    Enrolment,
    Network,
    Obstacle,
    Participant,
    Partnership,
    Region,
    Roadmap,
    RoadmapAction,
)
from sessions.models import (
    Announcement,
    CalendarFeed,
    FieldVisit,
    FollowUp,
    InspiringMeeting,
    Registration,
    Resource,
    Session,
    TopicProposal,
    TopicVote,
)
from tests import factories

pytestmark = pytest.mark.django_db

# Measured with this data: a coordinator's changelists cost 8 to 13 queries, change pages
# 6 to 13, add pages 5 to 8 (superusers: about 3 fewer); 25 leaves room, not room for N+1.
QUERY_BOUND = 25

PROJECT_APPS = {"alliances", "networks", "programme_sessions", "governance", "evaluation"}
SHARED_MODELS = {Network, Region, Organisation}


def populate(programme):
    """One object of every model of the project, in ``programme``; returned by model."""
    phase = factories.PhaseFactory(programme=programme, number=1)
    step = factories.StepFactory(phase=phase, letter="a", status=Step.Status.DONE, done_on="2018-03-01")
    factories.StepFactory(phase=phase, letter="b")
    theme = factories.ThemeFactory(programme=programme)
    enrolment = factories.EnrolmentFactory(programme=programme)
    binome = factories.BinomeFactory(enrolment=enrolment)
    participant = factories.ParticipantFactory(enrolment=enrolment, binome=binome)
    roadmap = factories.RoadmapFactory(enrolment=enrolment)
    session = factories.SessionFactory(programme=programme, number=1, topic_vote_open=True, within_edition=True)
    session.themes.add(theme)
    proposal = factories.TopicProposalFactory(session=session, proposed_by=participant)
    committee = factories.CommitteeFactory(programme=programme)
    member = factories.CommitteeMemberFactory(committee=committee, user=factories.UserFactory())
    meeting = factories.MeetingFactory(committee=committee)
    competency = factories.CompetencyFactory(programme=programme)
    questionnaire = factories.QuestionnaireFactory(programme=programme)
    question = factories.QuestionFactory(questionnaire=questionnaire, competency=competency)
    response = factories.ResponseFactory(questionnaire=questionnaire, participant=participant)
    return {
        Programme: programme,
        Notification: factories.NotificationFactory(programme=programme, recipient=participant.user),
        Relance: factories.RelanceFactory(programme=programme, session=session),
        Report: factories.ReportFactory(programme=programme),
        Phase: phase,
        Step: step,
        Theme: theme,
        User: participant.user,
        Region: Region.objects.order_by("pk").first(),
        Network: enrolment.network,
        Enrolment: enrolment,
        Binome: binome,
        Participant: participant,
        Partnership: factories.PartnershipFactory(enrolment=enrolment),
        Obstacle: factories.ObstacleFactory(enrolment=enrolment),
        Roadmap: roadmap,
        RoadmapAction: factories.RoadmapActionFactory(roadmap=roadmap, owner=participant),
        Session: session,
        InspiringMeeting: factories.InspiringMeetingFactory(session=session),
        Registration: factories.RegistrationFactory(session=session, participant=participant),
        Resource: factories.ResourceFactory(programme=programme, session=session, theme=theme),
        TopicProposal: proposal,
        TopicVote: factories.TopicVoteFactory(proposal=proposal, participant=participant),
        FollowUp: factories.FollowUpFactory(enrolment=enrolment),
        FieldVisit: factories.FieldVisitFactory(enrolment=enrolment),
        Announcement: factories.AnnouncementFactory(programme=programme),
        CalendarFeed: CalendarFeed.objects.create(user=participant.user),
        Organisation: member.organisation,
        Committee: committee,
        CommitteeMember: member,
        Meeting: meeting,
        MeetingAttendance: factories.MeetingAttendanceFactory(meeting=meeting, member=member),
        Decision: factories.DecisionFactory(meeting=meeting),
        Competency: competency,
        Questionnaire: questionnaire,
        Question: question,
        Response: response,
        Answer: factories.AnswerFactory(response=response, question=question),
        Finding: factories.FindingFactory(
            programme=programme,
            evidence_questionnaire=questionnaire,
            evidence_session=session,
            evidence_meeting=meeting,
        ),
    }


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def project_registry():
    return {
        model: model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS
    }


def scoped_models():
    """Models that belong to an edition (everything but the shared directories and users)."""
    return [model for model in project_registry() if model not in SHARED_MODELS and model is not User]


@pytest.fixture
def other_programme(db):
    return factories.ProgrammeFactory(name="Édition B")


@pytest.fixture
def objects(programme):
    return populate(programme)


@pytest.fixture
def other_objects(other_programme):
    return populate(other_programme)


# --- Every page, bounded ---------------------------------------------------------------------


def test_every_model_of_the_project_is_registered():
    from django.apps import apps

    for app_label in PROJECT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if getattr(model, "instance_type", None) is not None:
                continue  # a django-simple-history table: shown on its object's history page
            assert admin.site.is_registered(model), model


def test_coordinator_opens_every_page_with_bounded_queries(
    client, coordinator, objects, other_objects, django_assert_max_num_queries
):
    client.force_login(coordinator)
    request = admin_request(coordinator)
    seen = set()
    for model, model_admin in admin.site._registry.items():
        in_project = model._meta.app_label in PROJECT_APPS
        may_view = model_admin.has_view_permission(request)
        # Coordinators need no Django permission rows for the project's models, and get
        # nothing from the others (auth groups, Celery beat schedules).
        assert may_view is in_project, model
        with django_assert_max_num_queries(QUERY_BOUND):
            response = client.get(admin_url(model, "changelist"))
        assert response.status_code == (200 if may_view else 403), model
        if may_view:
            seen.add(model)

        may_add = model_admin.has_add_permission(request)
        with django_assert_max_num_queries(QUERY_BOUND):
            response = client.get(admin_url(model, "add"))
        assert response.status_code == (200 if may_add else 403), model

        if in_project:
            with django_assert_max_num_queries(QUERY_BOUND):
                response = client.get(admin_url(model, "change", objects[model].pk))
            assert response.status_code == 200, model
            assert response.context["original"] == objects[model]
    assert seen == set(project_registry())
    # Only superusers create editions; regions are read-only reference data.
    assert not admin.site._registry[Programme].has_add_permission(request)
    assert not admin.site._registry[Region].has_add_permission(request)


def test_superuser_opens_every_page(client, superuser, objects, django_assert_max_num_queries):
    client.force_login(superuser)
    request = admin_request(superuser)
    for model, model_admin in admin.site._registry.items():
        with django_assert_max_num_queries(QUERY_BOUND):
            assert client.get(admin_url(model, "changelist")).status_code == 200, model
        with django_assert_max_num_queries(QUERY_BOUND):
            response = client.get(admin_url(model, "add"))
        assert response.status_code == (200 if model_admin.has_add_permission(request) else 403), model
        if model in objects:
            with django_assert_max_num_queries(QUERY_BOUND):
                assert client.get(admin_url(model, "change", objects[model].pk)).status_code == 200, model


def test_index_lists_the_apps_for_a_coordinator(client, coordinator, objects, django_assert_max_num_queries):
    client.force_login(coordinator)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    labels = {app["app_label"] for app in response.context["app_list"]}
    assert labels == PROJECT_APPS


def test_site_header_is_french(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("admin:index"))
    assert "Alliances innovantes — administration" in response.content.decode()
    assert response.context["site_title"] == "Alliances innovantes"


# --- Changelists cost the same whatever their length ------------------------------------------


def _programme_row(programme, coordinator):
    other = factories.ProgrammeFactory()
    other.coordinators.add(coordinator)
    factories.EnrolmentFactory(programme=other)


def _session_row(programme, coordinator):
    factories.SessionFactory(programme=programme)


def _enrolment_row(programme, coordinator):
    factories.ParticipantFactory(enrolment=factories.EnrolmentFactory(programme=programme))


def _participant_row(programme, coordinator):
    enrolment = factories.EnrolmentFactory(programme=programme)
    factories.ParticipantFactory(enrolment=enrolment, binome=factories.BinomeFactory(enrolment=enrolment))


def _registration_row(programme, coordinator):
    factories.RegistrationFactory(session__programme=programme)


def _partnership_row(programme, coordinator):
    factories.PartnershipFactory(enrolment__programme=programme)


def _committee(programme):
    return Committee.objects.filter(programme=programme).first() or factories.CommitteeFactory(programme=programme)


def _committee_member_row(programme, coordinator):
    factories.CommitteeMemberFactory(committee=_committee(programme), user=factories.UserFactory())


def _decision_row(programme, coordinator):
    factories.DecisionFactory(meeting=factories.MeetingFactory(committee=_committee(programme)))


def _response_row(programme, coordinator):
    factories.ResponseFactory(questionnaire__programme=programme)


CHANGELIST_ROWS = {
    Programme: _programme_row,
    Enrolment: _enrolment_row,
    Participant: _participant_row,
    Session: _session_row,
    Registration: _registration_row,
    Partnership: _partnership_row,
    CommitteeMember: _committee_member_row,
    Decision: _decision_row,
    Response: _response_row,
}


def _changelist_queries(client, model):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    return response.context["cl"].result_count, len(queries)


@pytest.mark.parametrize("model", list(CHANGELIST_ROWS), ids=lambda model: model.__name__)
@pytest.mark.parametrize("role", ["coordinator", "superuser"])
def test_changelist_query_count_does_not_grow_with_rows(client, request, coordinator, programme, model, role):
    client.force_login(request.getfixturevalue(role))
    make_row = CHANGELIST_ROWS[model]
    make_row(programme, coordinator)
    client.get(admin_url(model, "changelist"))  # warm the process-wide caches (content types…)
    rows_before, queries_with_few_rows = _changelist_queries(client, model)
    for _ in range(9):
        make_row(programme, coordinator)
    rows_after, queries_with_many_rows = _changelist_queries(client, model)
    assert rows_after == rows_before + 9
    assert queries_with_few_rows == queries_with_many_rows
    assert queries_with_many_rows <= QUERY_BOUND


def _session_rows(objects):
    factories.RegistrationFactory(session=objects[Session])


def _meeting_rows(objects):
    meeting = objects[Meeting]
    member = factories.CommitteeMemberFactory(committee=meeting.committee, user=factories.UserFactory())
    factories.MeetingAttendanceFactory(meeting=meeting, member=member)
    factories.DecisionFactory(meeting=meeting)


def _committee_rows(objects):
    # Seats without an account: an autocomplete (the account) fetches its row's label.
    factories.CommitteeMemberFactory(committee=objects[Committee])


def _roadmap_rows(objects):
    roadmap = objects[Roadmap]
    owner = factories.ParticipantFactory(enrolment=roadmap.enrolment)
    factories.RoadmapActionFactory(roadmap=roadmap, owner=owner)


def _questionnaire_rows(objects):
    questionnaire = objects[Questionnaire]
    competency = factories.CompetencyFactory(programme=questionnaire.programme)
    factories.QuestionFactory(questionnaire=questionnaire, competency=competency)


def _phase_rows(objects):
    factories.StepFactory(phase=objects[Phase])


CHANGE_PAGE_ROWS = {
    Session: _session_rows,
    Meeting: _meeting_rows,
    Committee: _committee_rows,
    Roadmap: _roadmap_rows,
    Questionnaire: _questionnaire_rows,
    Phase: _phase_rows,
}


@pytest.mark.parametrize("model", list(CHANGE_PAGE_ROWS), ids=lambda model: model.__name__)
def test_inline_rows_cost_no_query_each(client, coordinator, objects, model):
    """Rows of an inline get their parent and share the choices of their selects."""
    client.force_login(coordinator)
    url = admin_url(model, "change", objects[model].pk)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(8):
        CHANGE_PAGE_ROWS[model](objects)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(few) == len(many)


# --- Scoping ------------------------------------------------------------------------------------


def test_coordinator_changelists_show_only_their_editions(client, coordinator, objects, other_objects):
    client.force_login(coordinator)
    for model in scoped_models():
        response = client.get(admin_url(model, "changelist"))
        rows = list(response.context["cl"].result_list)
        assert objects[model] in rows, model
        assert other_objects[model] not in rows, model


def test_coordinator_cannot_open_objects_of_other_editions(client, coordinator, objects, other_objects):
    client.force_login(coordinator)
    for model in [*scoped_models(), User]:
        obj = other_objects[model]
        for view in ("change", "delete", "history"):
            response = client.get(admin_url(model, view, obj.pk))
            # Django's admin answers "does not exist" and goes back to the index (or
            # refuses outright where the coordinator may not delete that kind of object).
            assert response.status_code in (302, 403), (model, view)
            if response.status_code == 302:
                assert response.url == reverse("admin:index"), (model, view)
    enrolment = other_objects[Enrolment]
    response = client.post(
        admin_url(Enrolment, "change", enrolment.pk),
        {"programme": enrolment.programme_id, "network": enrolment.network_id, "status": "refused"},
    )
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.AGREED
    response = client.get(admin_url(Enrolment, "change", other_objects[Enrolment].pk), follow=True)
    assert str(other_objects[Enrolment].network) not in response.content.decode()
    assert "n’existe pas" in response.content.decode()


def test_shared_directories_are_visible_to_every_coordinator(client, coordinator, objects, other_objects):
    client.force_login(coordinator)
    for model in (Network, Organisation):
        response = client.get(admin_url(model, "change", other_objects[model].pk))
        assert response.status_code == 200, model
        rows = list(client.get(admin_url(model, "changelist")).context["cl"].result_list)
        assert other_objects[model] in rows


def test_region_is_read_only_for_coordinators(client, coordinator):
    client.force_login(coordinator)
    region = Region.objects.order_by("pk").first()
    response = client.get(admin_url(Region, "change", region.pk))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    response = client.post(admin_url(Region, "change", region.pk), {"code": region.code, "name": "Autre nom"})
    assert response.status_code == 403
    assert client.get(admin_url(Region, "add")).status_code == 403
    region.refresh_from_db()
    assert region.name != "Autre nom"


def test_add_forms_offer_no_object_of_other_editions(client, coordinator, objects, other_objects):
    """Every relation field of every add form (selects and autocompletes) excludes edition B."""
    client.force_login(coordinator)
    request = admin_request(coordinator)
    checked = 0
    for model, model_admin in project_registry().items():
        if not model_admin.has_add_permission(request):
            continue
        context = client.get(admin_url(model, "add")).context
        forms = [context["adminform"].form]
        forms += [inline.formset.empty_form for inline in context["inline_admin_formsets"]]
        fields = [(f"{form.prefix}-{name}", field) for form in forms for name, field in form.fields.items()]
        for name, field in fields:
            if isinstance(field.widget, HiddenInput):
                continue  # the primary key of an inline row, looked up in the inline's own queryset
            queryset = getattr(field, "queryset", None)
            related = getattr(queryset, "model", None)
            if related is None or related in SHARED_MODELS or related not in other_objects:
                continue
            assert not queryset.filter(pk=other_objects[related].pk).exists(), (model, name)
            if related is not User:
                assert queryset.filter(pk=objects[related].pk).exists(), (model, name)
            checked += 1
    assert checked > 30


def test_enrolment_add_form_offers_only_coordinated_editions(client, coordinator, programme, other_programme):
    client.force_login(coordinator)
    form = client.get(admin_url(Enrolment, "add")).context["adminform"].form
    assert list(form.fields["programme"].queryset) == [programme]
    # A coordinator of a single edition gets it preselected.
    assert form.initial["programme"] == programme.pk


def test_autocomplete_is_scoped(client, coordinator, objects, other_objects):
    client.force_login(coordinator)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "programme_sessions", "model_name": "registration", "field_name": "session", "term": ""},
    )
    ids = {int(result["id"]) for result in response.json()["results"]}
    assert ids == {objects[Session].pk}
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "networks", "model_name": "participant", "field_name": "enrolment", "term": ""},
    )
    ids = {int(result["id"]) for result in response.json()["results"]}
    assert ids == {objects[Enrolment].pk}


def test_posting_an_object_into_another_edition_fails(client, coordinator, objects, other_objects, other_programme):
    client.force_login(coordinator)
    network = factories.NetworkFactory()
    response = client.post(
        admin_url(Enrolment, "add"),
        {
            "programme": other_programme.pk,
            "network": network.pk,
            "status": Enrolment.Status.SOLICITED,
            "participants-TOTAL_FORMS": "0",
            "participants-INITIAL_FORMS": "0",
            "binomes-TOTAL_FORMS": "0",
            "binomes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "programme" in response.context["adminform"].form.errors
    assert not Enrolment.objects.filter(network=network).exists()

    participant = factories.ParticipantFactory(enrolment=objects[Enrolment])
    response = client.post(
        admin_url(Registration, "add"),
        {"session": other_objects[Session].pk, "participant": participant.pk, "rsvp": "invited", "attendance": ""},
    )
    assert response.status_code == 200
    assert "session" in response.context["adminform"].form.errors
    assert not Registration.objects.filter(participant=participant).exists()


def test_coordinator_cannot_move_an_object_to_another_edition(client, coordinator, objects, other_programme):
    client.force_login(coordinator)
    theme = objects[Theme]
    response = client.post(
        admin_url(Theme, "change", theme.pk),
        {"programme": other_programme.pk, "order": 0, "title": theme.title, "description": ""},
    )
    assert response.status_code == 200
    assert "programme" in response.context["adminform"].form.errors
    theme.refresh_from_db()
    assert theme.programme == objects[Programme]


def test_coordinator_adds_an_object_to_their_edition(client, coordinator, programme):
    client.force_login(coordinator)
    network = factories.NetworkFactory()
    response = client.post(
        admin_url(Enrolment, "add"),
        {
            "programme": programme.pk,
            "network": network.pk,
            "status": Enrolment.Status.AGREED,
            "participants-TOTAL_FORMS": "0",
            "participants-INITIAL_FORMS": "0",
            "binomes-TOTAL_FORMS": "0",
            "binomes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assert Enrolment.objects.get(network=network).programme == programme


def test_superuser_sees_every_edition(client, superuser, objects, other_objects):
    client.force_login(superuser)
    for model in scoped_models():
        rows = list(client.get(admin_url(model, "changelist")).context["cl"].result_list)
        assert objects[model] in rows, model
        assert other_objects[model] in rows, model
        assert client.get(admin_url(model, "change", other_objects[model].pk)).status_code == 200


def test_staff_user_coordinating_nothing_gets_nothing(client, objects):
    staff = factories.UserFactory(is_staff=True)
    client.force_login(staff)
    for model in admin.site._registry:
        assert client.get(admin_url(model, "changelist")).status_code == 403, model
        assert client.get(admin_url(model, "add")).status_code == 403, model
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert response.context["app_list"] == []


def test_logged_out_user_is_sent_to_login(client, objects):
    url = admin_url(Enrolment, "changelist")
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert client.get(admin_url(Enrolment, "change", objects[Enrolment].pk)).status_code == 302


def test_only_superusers_add_or_delete_editions(client, coordinator, superuser, programme):
    client.force_login(coordinator)
    assert client.get(admin_url(Programme, "add")).status_code == 403
    assert client.get(admin_url(Programme, "delete", programme.pk)).status_code == 403
    response = client.get(admin_url(Programme, "change", programme.pk))
    assert "coordinators" not in response.context["adminform"].form.fields
    client.force_login(superuser)
    assert client.get(admin_url(Programme, "add")).status_code == 200
    assert client.get(admin_url(Programme, "delete", programme.pk)).status_code == 200


# --- Users ----------------------------------------------------------------------------------------


def _user_post_data(user, **extra):
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": "Nouveau-Nom",
        "phone": "",
        "is_active": "on",
        **extra,
    }


def test_coordinator_cannot_grant_rights(client, coordinator, objects):
    client.force_login(coordinator)
    user = objects[Participant].user
    url = admin_url(User, "change", user.pk)
    form = client.get(url).context["adminform"].form
    for name in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert name not in form.fields
    response = client.post(url, _user_post_data(user, is_superuser="on", is_staff="on"))
    assert response.status_code == 302, getattr(response, "context", None) and response.context["adminform"].errors
    user.refresh_from_db()
    assert user.last_name == "Nouveau-Nom"
    assert not user.is_superuser and not user.is_staff

    # Not even on their own account.
    response = client.post(admin_url(User, "change", coordinator.pk), _user_post_data(coordinator, is_superuser="on"))
    assert response.status_code == 302
    coordinator.refresh_from_db()
    assert not coordinator.is_superuser


def test_superuser_grants_rights(client, superuser, objects):
    client.force_login(superuser)
    user = objects[Participant].user
    response = client.post(admin_url(User, "change", user.pk), _user_post_data(user, is_staff="on"))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_staff


def test_coordinator_user_list_is_scoped(client, coordinator, superuser, objects, other_objects):
    newcomer = factories.UserFactory()
    other_staff = factories.UserFactory(is_staff=True)
    client.force_login(coordinator)
    rows = set(client.get(admin_url(User, "changelist")).context["cl"].result_list)
    assert {objects[Participant].user, objects[CommitteeMember].user, newcomer, coordinator} <= rows
    assert not rows & {other_objects[Participant].user, other_objects[CommitteeMember].user, superuser, other_staff}
    assert client.get(admin_url(User, "change", superuser.pk)).status_code == 302
    password_url = reverse("admin:auth_user_password_change", args=(superuser.pk,))
    assert client.get(password_url).status_code == 404


def test_coordinator_creates_a_user_with_email_login(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        admin_url(User, "add"),
        {
            "email": "Nouvelle.Personne@Example.org",
            "first_name": "Nouvelle",
            "last_name": "Personne",
            "usable_password": "false",
            "is_staff": "on",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle.personne@example.org")
    assert not user.is_staff
    assert not user.has_usable_password()


def test_follow_up_coordinator_choices_are_coordinators(client, coordinator, objects):
    client.force_login(coordinator)
    form = client.get(admin_url(FollowUp, "add")).context["adminform"].form
    assert list(form.fields["coordinator"].queryset) == [coordinator]
    assert form.initial["coordinator"] == coordinator.pk


# --- Useful columns ---------------------------------------------------------------------------------


def test_programme_changelist_shows_pilot_networks_against_target(client, coordinator, programme):
    factories.EnrolmentFactory(programme=programme, status=Enrolment.Status.AGREED)
    factories.EnrolmentFactory(programme=programme, status=Enrolment.Status.AGREED)
    factories.EnrolmentFactory(programme=programme, status=Enrolment.Status.PENDING)
    client.force_login(coordinator)
    response = client.get(admin_url(Programme, "changelist"))
    assert "2 / 12" in response.content.decode()


def test_phase_changelist_shows_derived_progress(client, coordinator, objects):
    client.force_login(coordinator)
    response = client.get(admin_url(Phase, "changelist"))
    assert "50 %" in response.content.decode()


def test_registration_changelist_filters(client, coordinator, objects):
    client.force_login(coordinator)
    response = client.get(admin_url(Registration, "changelist"), {"attendance": "present"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    registration = objects[Registration]
    response = client.post(
        admin_url(Registration, "changelist"),
        {"action": "mark_present", "_selected_action": [registration.pk], "index": 0},
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.attendance == Registration.Attendance.PRESENT


def test_scoping_mixin_is_used_by_every_project_admin():
    for model, model_admin in project_registry().items():
        assert isinstance(model_admin, ProgrammeScopedAdminMixin), model


# --- Tools wired into the admin ---------------------------------------------------------------------


def test_coordinator_invites_users_from_the_user_list(client, coordinator, objects, mailoutbox):
    client.force_login(coordinator)
    user = objects[Participant].user
    response = client.post(admin_url(User, "changelist"), {"action": "send_invitation", "_selected_action": [user.pk]})
    assert response.status_code == 302
    assert [message.to for message in mailoutbox] == [[user.email]]
    user.refresh_from_db()
    assert user.invited_at is not None


def test_participant_list_offers_invitations_and_csv_import(client, coordinator, objects):
    client.force_login(coordinator)
    response = client.get(admin_url(Participant, "changelist"))
    assert reverse("admin:networks_participant_import_csv") in response.content.decode()
    actions = {name for name, _label in response.context["action_form"].fields["action"].choices}
    assert "invite_participants" in actions
    assert client.get(reverse("admin:networks_participant_import_csv")).status_code == 200


def test_coordinator_closes_the_topic_vote_from_the_session_list(client, coordinator, objects):
    client.force_login(coordinator)
    session = objects[Session]
    response = client.post(
        admin_url(Session, "changelist"), {"action": "close_topic_vote", "_selected_action": [session.pk]}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.topic == objects[TopicProposal].title
    assert session.topic_vote_closed_at is not None


def test_coordinator_invites_committee_members(client, coordinator, objects, mailoutbox):
    client.force_login(coordinator)
    member = objects[CommitteeMember]
    response = client.post(
        admin_url(CommitteeMember, "changelist"),
        {"action": "invite_committee_members", "_selected_action": [member.pk]},
    )
    assert response.status_code == 302
    assert [message.to for message in mailoutbox] == [[member.user.email]]


def test_session_changelist_links_to_the_attendance_page(client, coordinator, programme):
    session = factories.SessionFactory(programme=programme)
    client.force_login(coordinator)
    response = client.get(admin_url(Session, "changelist"))
    assert reverse("community:attendance", args=[session.pk]) in response.content.decode()
