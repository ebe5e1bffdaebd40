"""Query counts at 1 edition and at 50 (issue 8, item 2): no page costs more with more data.

The scale generator (``evaluation.scale``, ``manage.py generate_scale_data``) builds one complete
edition; every GET page of the project (the ``RULES`` table of ``tests/test_url_access.py``) is
requested as the role that may see it, with the people and objects of that first edition, and every
admin changelist as a superuser and as the edition's coordinator. Each page answers 200, shows data,
and its number of queries is recorded. Then 49 more editions are generated and everything is
requested again: each page must cost exactly the same number of queries.

The data are generated once per scale, in the module-scoped ``measures`` fixture (inside a
transaction rolled back at the end); the tests then compare the recorded figures per role group.
The last test checks the indexes of the migrations on the database itself.
"""

import datetime as dt
from typing import NamedTuple

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from alliances.management.commands.generate_scale_data import generate_scale_data
from alliances.models import Notification, Programme, Report, User
from alliances.scale import edition_slug
from evaluation.models import Finding, Question, Questionnaire
from governance.models import CommitteeMember, Decision, Meeting
from networks.models import Enrolment, Participant, RoadmapAction
from sessions import services as session_services
from sessions.models import Announcement, FieldVisit, FollowUp, Session, TopicProposal
from tests import factories
from tests.test_url_access import OK, RULES, url_kwargs

SEED = 3
SMALL, LARGE = 1, 50
PDF = b"%PDF-1.4\n% test document\n"

# pytest-django sets the test database up for the module-scoped fixture only when a test needs it.
pytestmark = pytest.mark.django_db

# The role that sees each group of pages (the RULES role names).
GROUPS = {"participant": "owner", "committee": "committee", "coordinator": "coordinator"}


def _first_edition_world():
    """The people and objects of the first generated edition that the URLs name, completed with
    what the generator does not make: an open questionnaire, a file resource, a ready report, a
    notification and a calendar feed."""
    edition = Programme.objects.get(slug=edition_slug(SEED, 1))
    shared = Enrolment.objects.filter(programme=edition, status=Enrolment.Status.AGREED, share_inventory=True)
    own, peer = shared.select_related("network").order_by("network__name")[:2]  # the peer's inventory is shared
    participant = Participant.objects.select_related("user").filter(enrolment=own).order_by("pk").first()
    coordinator = edition.coordinators.get()
    member = CommitteeMember.objects.select_related("committee", "user").filter(
        committee__programme=edition, user__isnull=False
    )[0]
    vote_session = Session.objects.get(programme=edition, topic_vote_open=True)
    now = timezone.now()
    questionnaire = factories.QuestionnaireFactory(
        programme=edition,
        title="Questionnaire ouvert",
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=10),
    )
    factories.QuestionFactory(questionnaire=questionnaire, kind=Question.Kind.SCALE, text="Votre avis du moment")
    assert questionnaire.status(now) == Questionnaire.Status.OPEN
    resource = factories.ResourceFactory.build(
        programme=edition, session=vote_session, title="Fiche à télécharger", url=""
    )
    resource.file.save("fiche.pdf", ContentFile(PDF))
    report = factories.ReportFactory(programme=edition, kind="dashboard", parameters={"title": "TdB"})
    report.file.save("tableau.pdf", ContentFile(PDF), save=False)
    report.status = Report.Status.READY
    report.save()
    factories.NotificationFactory(recipient=participant.user, programme=edition)
    factories.RelanceFactory(programme=edition, session=vote_session)
    objects = {
        "edition": edition,
        "own_network": own.network,
        "session": vote_session,
        "partnership": own.partnerships.order_by("pk").first(),
        "obstacle": own.obstacles.order_by("pk").first(),
        "roadmap": own.roadmap,
        "action": RoadmapAction.objects.filter(roadmap__enrolment=own).order_by("pk").first(),
        "enrolment": peer,
        "peer_partnership": peer.partnerships.order_by("partner_name").first(),
        "proposal": TopicProposal.objects.filter(session=vote_session).order_by("pk").first(),
        "resource": resource,
        "announcement": Announcement.objects.filter(programme=edition).order_by("-published_at").first(),
        "questionnaire": questionnaire,
        # The self-assessment the participant answered: their answers, and results with responses.
        "answered": Questionnaire.objects.get(
            programme=edition, kind=Questionnaire.Kind.COMPETENCY_PRE, responses__participant=participant
        ),
        "competency": edition.competencies.order_by("order").first(),
        "followup": FollowUp.objects.filter(enrolment=own).first(),
        "visit": FieldVisit.objects.filter(enrolment=own).first(),
        "committee": member.committee,
        "member": member,
        "meeting": Meeting.objects.filter(committee=member.committee).order_by("held_on").first(),
        "decision": Decision.objects.filter(meeting__committee=member.committee).order_by("pk").first(),
        "finding": Finding.objects.filter(programme=edition).order_by("pk").first(),
        "report": report,
        "feed": session_services.calendar_feed_get_or_create(user=participant.user),
        "participant": participant,
    }
    users = {"owner": participant.user, "committee": member.user, "coordinator": coordinator}
    return users, objects


# Pages whose figures come from responses: measured on the self-assessment with its answers.
ANSWERED_PAGES = {
    "questionnaires:my_answers",
    "evaluation_results:questionnaire",
    "evaluation_results:export_csv",
    "evaluation_results:export_xlsx",
}


def _url(name, objects):
    if name in ANSWERED_PAGES:
        return reverse(name, kwargs={"pk": objects["answered"].pk})
    return reverse(name, kwargs=url_kwargs(name, objects))


# What each page must show of the first edition (``o``: the objects above, ``u``: the users). Pages
# with nothing of the edition to show (forms, password and RGPD texts, health check) are in NO_DATA;
# a page in neither set fails the test, so a new page gets its marker.
MARKERS = {
    "portal:home": lambda o, u: o["own_network"].name,
    "networks:space": lambda o, u: o["own_network"].name,
    "networks:partnerships": lambda o, u: o["partnership"].partner_name,
    "networks:partnership_edit": lambda o, u: o["partnership"].partner_name,
    "networks:partnership_delete": lambda o, u: o["partnership"].partner_name,
    "networks:obstacles": lambda o, u: o["obstacle"].description,
    "networks:obstacle_edit": lambda o, u: o["obstacle"].description,
    "networks:obstacle_delete": lambda o, u: o["obstacle"].get_category_display(),
    "networks:roadmap": lambda o, u: o["action"].title,
    "networks:roadmap_edit": lambda o, u: o["roadmap"].ambition,
    "networks:action_add": lambda o, u: o["participant"].user.last_name,  # the owner choices
    "networks:action_edit": lambda o, u: o["action"].title,
    "networks:action_delete": lambda o, u: o["action"].title,
    "networks:cohort": lambda o, u: o["enrolment"].network.name,
    "networks:cohort_network": lambda o, u: o["peer_partnership"].partner_name,
    "networks:directory": lambda o, u: o["enrolment"].network.name,
    "sessions:list": lambda o, u: o["session"].title,
    "sessions:detail": lambda o, u: o["session"].title,
    "sessions:ics": lambda o, u: "BEGIN:VCALENDAR",
    "sessions:feed": lambda o, u: "BEGIN:VEVENT",
    "sessions:calendar": lambda o, u: o["feed"].token,
    "community:topic_vote": lambda o, u: o["proposal"].title,
    "community:resources": lambda o, u: o["resource"].title,
    "community:resource_download": lambda o, u: PDF,
    "community:announcements": lambda o, u: o["announcement"].title,
    "community:attendance": lambda o, u: o["participant"].user.last_name,
    "questionnaires:list": lambda o, u: o["answered"].title,
    "questionnaires:answer": lambda o, u: "Votre avis du moment",
    "questionnaires:my_answers": lambda o, u: o["competency"].name,
    "followups:list": lambda o, u: o["followup"].shared_summary,
    "followups:followup": lambda o, u: o["followup"].shared_summary,
    "followups:visit": lambda o, u: o["visit"].shared_summary,
    "evaluation_results:index": lambda o, u: o["edition"].name,
    "evaluation_results:programme": lambda o, u: o["competency"].name,
    "evaluation_results:questionnaire": lambda o, u: o["competency"].name,
    "evaluation_results:export_csv": lambda o, u: o["competency"].name,
    "evaluation_results:export_xlsx": lambda o, u: b"PK",  # a zip (xlsx) of the answers
    "recruitment:funnel": lambda o, u: o["enrolment"].network.name,
    "cockpit:edition": lambda o, u: o["edition"].name,
    "cockpit:relance": lambda o, u: o["questionnaire"].title,  # in the subject; the recipients listed too
    "invitations:invite": lambda o, u: o["enrolment"].network.name,  # the network choices
    "preview:choose": lambda o, u: o["edition"].name,  # the link to its cockpit
    "preview:start": lambda o, u: o["participant"].user.last_name,
    "findings:index": lambda o, u: o["finding"].title,
    "committee:index": lambda o, u: o["committee"].name,
    "committee:detail": lambda o, u: o["member"].person_name,
    "committee:decisions": lambda o, u: o["decision"].title,
    "committee:documents": lambda o, u: reverse("documents:download", kwargs={"pk": o["report"].pk}),
    "committee:meeting": lambda o, u: o["meeting"].title,
    "documents:dashboard": lambda o, u: o["edition"].name,
    "documents:status": lambda o, u: o["edition"].name,
    "documents:download": lambda o, u: PDF,
    "accounts:profile": lambda o, u: u.email,
    "privacy:my_data": lambda o, u: u.email,
}
NO_DATA = {
    "healthz",
    "readyz",
    "accounts:invitation_accept",
    "accounts:password_change",
    "accounts:password_change_done",
    "accounts:password_reset",
    "accounts:password_reset_complete",
    "accounts:password_reset_confirm",
    "accounts:password_reset_done",
    "privacy:policy",
    "privacy:deletion_request",
    "networks:partnership_add",
    "networks:obstacle_add",
}


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def _shows(name, response, objects, user):
    """Whether the page shows its marker (HTML-escaped in HTML pages)."""
    marker = MARKERS[name](objects, user)
    body = _body(response)
    if isinstance(marker, bytes):
        return marker in body
    text = body.decode()
    return marker in text or escape(marker) in text


def _third_party_rows():
    """A row in the changelists of the libraries' admins (groups, Celery beat, axes)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    Group.objects.create(name="Groupe d'échelle")
    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(name="Tâche d'échelle", task="alliances.tasks.noop", interval=interval)
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    CrontabSchedule.objects.create(minute="0", hour="6")
    SolarSchedule.objects.create(event="sunrise", latitude=48.85, longitude=2.35)
    AccessAttempt.objects.create(username="x@example.org", ip_address="127.0.0.1", failures_since_start=1)
    AccessLog.objects.create(username="x@example.org", ip_address="127.0.0.1")
    AccessFailureLog.objects.create(username="x@example.org", ip_address="127.0.0.1")


# Every GET page that each role group may see (200 in RULES).
PAGES = {
    group: sorted(name for name, row in RULES.items() if row["method"] == "get" and row[role] == OK)
    for group, role in GROUPS.items()
}
PROJECT_APPS = {"alliances", "networks", "programme_sessions", "governance", "evaluation"}


class Measure(NamedTuple):
    status: int
    queries: int
    shows_data: bool
    rows: int | None  # admin changelists: the number of rows listed


def _measure(client, url):
    # The content types' process-wide cache would make the second pass cheaper: every request
    # starts with it cold, so both scales pay the same. (The project caches nothing else.)
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


def _measure_all(users, objects, superuser):
    """{(group, page): Measure} for every page of each role group and every admin changelist."""
    results = {}
    for group, role in GROUPS.items():
        client = Client()
        client.force_login(users[role])
        for name in PAGES[group]:
            response, count = _measure(client, _url(name, objects))
            shows = response.status_code == 200 and (name in NO_DATA or _shows(name, response, objects, users[role]))
            results[(group, name)] = Measure(response.status_code, count, shows, None)
    for group, user in (("admin (superuser)", superuser), ("admin (coordinator)", users["coordinator"])):
        client = Client()
        client.force_login(user)
        # The index: « Mes éditions » (the newest editions, a capped list) and the models by task.
        response, count = _measure(client, reverse("admin:index"))
        shows = response.status_code == 200 and "Mes éditions" in response.content.decode()
        results[(group, "admin:index")] = Measure(response.status_code, count, shows, None)
        for model in admin.site._registry:
            if group == "admin (coordinator)" and model._meta.app_label not in PROJECT_APPS:
                continue  # coordinators get a 403 from the libraries' admins (tests/alliances/test_admin.py)
            name = _changelist(model)
            response, count = _measure(client, reverse(name))
            rows = response.context["cl"].result_count if response.status_code == 200 else 0
            results[(group, name)] = Measure(response.status_code, count, rows > 0, rows)
    return results


@pytest.fixture(scope="module")
def measures(django_db_setup, django_db_blocker, tmp_path_factory):
    """Both scales' figures: generated, measured and rolled back once for the whole module.

    Module-scoped, hence its own copy of tests/conftest.py's settings (function-scoped there)."""
    overrides = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        REDIS_URL="",  # readyz checks the database only
    )
    with django_db_blocker.unblock(), overrides, transaction.atomic():
        generate_scale_data(SMALL, SEED)
        users, objects = _first_edition_world()
        _third_party_rows()
        superuser = factories.UserFactory(is_staff=True, is_superuser=True, email="admin@example.org")
        small = _measure_all(users, objects, superuser)
        generate_scale_data(LARGE, SEED)
        assert Programme.objects.count() == LARGE
        large = _measure_all(users, objects, superuser)
        transaction.set_rollback(True)
    return small, large


def _check_group(measures, group):
    small, large = measures
    keys = [key for key in small if key[0] == group]
    assert keys, group
    problems = []
    for key in keys:
        for scale, measure in ((SMALL, small[key]), (LARGE, large[key])):
            if measure.status != 200:
                problems.append(f"{key[1]}: status {measure.status} at {scale} edition(s)")
            elif not measure.shows_data:
                problems.append(f"{key[1]}: shows none of the first edition's data at {scale} edition(s)")
    assert not problems, f"{group}:\n" + "\n".join(problems)
    grew = [
        f"{key[1]}: {small[key].queries} queries at {SMALL} edition → {large[key].queries} at {LARGE}"
        for key in keys
        if small[key].queries != large[key].queries
    ]
    assert not grew, f"{group}: query counts that change with the data:\n" + "\n".join(grew)
    return keys


def test_every_page_has_a_data_marker():
    pages = {name for names in PAGES.values() for name in names}
    assert not pages - MARKERS.keys() - NO_DATA, "pages without a marker (MARKERS) nor a place in NO_DATA"
    assert not (MARKERS.keys() | NO_DATA) - pages, "markers of pages that no role group requests"
    assert "community:attendance" in PAGES["coordinator"] and "committee:index" in PAGES["committee"]


@pytest.mark.parametrize("group", list(GROUPS))
def test_pages_cost_the_same_at_1_and_50_editions(measures, group):
    keys = _check_group(measures, group)
    assert len(keys) == len(PAGES[group])


# Changelists whose rows the generator does not make for every edition: reference lists and the
# rows this module adds to the first edition only.
NOT_PER_EDITION = {"networks.Region", "governance.Organisation", "alliances.Report", "alliances.Notification"}
NOT_PER_EDITION |= {"alliances.Relance"}
NOT_PER_EDITION |= {"programme_sessions.CalendarFeed"}


def _changelist(model):
    return f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"


@pytest.mark.parametrize("group", ["admin (superuser)", "admin (coordinator)"])
def test_admin_changelists_cost_the_same_at_1_and_50_editions(measures, group):
    small, large = measures
    keys = _check_group(measures, group)
    models = [m for m in admin.site._registry if group.endswith("(superuser)") or m._meta.app_label in PROJECT_APPS]
    assert len(keys) == len(models) + 1  # and the index
    if group == "admin (superuser)":
        # The superuser sees every edition: the generated rows are more numerous at 50 editions,
        # so a query per row (or per filter choice) would show.
        generated = [m for m in models if m._meta.app_label in PROJECT_APPS and m._meta.label not in NOT_PER_EDITION]
        flat = [
            m._meta.label
            for m in generated
            if large[(group, _changelist(m))].rows <= small[(group, _changelist(m))].rows
        ]
        assert not flat, f"changelists with no more rows at {LARGE} editions: {flat}"
    else:
        # A coordinator of the first edition sees the same rows at both scales, but for the
        # directories shared by every edition.
        shared = {_changelist(m) for m in models if getattr(admin.site._registry[m], "shared_directory", False)}
        changed = {k[1]: (small[k].rows, large[k].rows) for k in keys if large[k].rows != small[k].rows}
        assert not changed.keys() - shared, changed


# --- Indexes -------------------------------------------------------------------------------------

# The indexes of issue 8 (each model's Meta says which query it serves), with their columns and
# sort orders on the database: the migrations must have created them as declared.
ADDED_INDEXES = {
    (User, "user_name_idx"): [("last_name", "ASC"), ("first_name", "ASC")],
    (Notification, "notification_stale_claim_idx"): [("status", "ASC"), ("claimed_at", "ASC")],
    (Notification, "notification_created_idx"): [("created_at", "DESC")],
    (Enrolment, "enrolment_programme_status_idx"): [("programme_id", "ASC"), ("status", "ASC")],
    (RoadmapAction, "roadmapaction_roadmap_due_idx"): [("roadmap_id", "ASC"), ("due_on", "ASC")],
    (Session, "session_starts_at_idx"): [("starts_at", "ASC")],
    (Session, "session_programme_starts_idx"): [("programme_id", "ASC"), ("starts_at", "ASC")],
    (Announcement, "announcement_programme_pub_idx"): [("programme_id", "ASC"), ("published_at", "DESC")],
    (Announcement, "announcement_published_idx"): [("published_at", "ASC")],
    (FollowUp, "followup_enrolment_held_idx"): [("enrolment_id", "ASC"), ("held_on", "DESC")],
    (FieldVisit, "fieldvisit_enrolment_visit_idx"): [("enrolment_id", "ASC"), ("visited_on", "DESC")],
    (Meeting, "meeting_held_on_idx"): [("held_on", "ASC")],
    (Meeting, "meeting_committee_held_idx"): [("committee_id", "ASC"), ("held_on", "ASC")],
    (Decision, "decision_status_due_idx"): [("status", "ASC"), ("due_on", "ASC")],
    (Questionnaire, "questionnaire_prog_opens_idx"): [("programme_id", "ASC"), ("opens_at", "ASC")],
    (Questionnaire, "questionnaire_closes_at_idx"): [("closes_at", "ASC")],
    (Finding, "finding_programme_order_idx"): [("programme_id", "ASC"), ("kind", "ASC"), ("order", "ASC")],
}


def test_the_added_indexes_exist_with_their_columns():
    with connection.cursor() as cursor:
        for (model, name), expected in ADDED_INDEXES.items():
            assert name in {index.name for index in model._meta.indexes}, name
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            assert name in constraints, f"{name} is missing from {model._meta.db_table}"
            index = constraints[name]
            assert index["index"] and not index["unique"] and not index["primary_key"], name
            columns = [column for column, _order in expected]
            assert index["columns"] == columns, name
            assert [order.upper() for order in index["orders"]] == [order for _c, order in expected], name


def test_every_declared_index_is_on_the_database():
    """Every ``Meta.indexes`` entry of the project's models, the older ones included."""
    declared = 0
    with connection.cursor() as cursor:
        for app_label in PROJECT_APPS:
            for model in apps.get_app_config(app_label).get_models():
                if not model._meta.indexes:
                    continue
                constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
                for index in model._meta.indexes:
                    declared += 1
                    columns = [model._meta.get_field(f.lstrip("-")).column for f in index.fields]
                    assert constraints.get(index.name, {}).get("columns") == columns, index.name
    assert declared >= len(ADDED_INDEXES) + 3
