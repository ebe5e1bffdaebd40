"""Every URL pattern of the project, and what each role gets from it (issue 7, item 1).

``RULES`` is the one table of the access rules. A pattern of the project without an
entry fails ``test_every_url_pattern_has_access_rules``: a new view cannot ship without
saying who may use it. The admin (its own permission system), Django's ``set_language``,
the DEBUG-only media route and the benchmark's page are outside the table.

Roles (see DESIGN §1 and the access modules of each area):

- ``anon``: logged out;
- ``owner``: participant of network A, the network the objects in the URLs belong to;
- ``peer``: participant of network B, in the same edition;
- ``other``: participant of a network of another edition;
- ``committee``: member of a committee of A's edition, no participation;
- ``coordinator``: coordinator of A's edition, no participation.

Outcomes: ``OK`` (200), ``LOGIN`` (302 to the login page), ``DENIED`` (403),
``MISSING`` (404), ``NOT_ALLOWED`` (405), or ``to("app:name")`` (302 to that page).
"""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from alliances.models import Report
from evaluation.models import Question, Questionnaire
from sessions import services as session_services
from tests import factories

OK, LOGIN, DENIED, MISSING, NOT_ALLOWED = 200, "login", 403, 404, 405
ROLES = ("anon", "owner", "peer", "other", "committee", "coordinator")
PDF = b"%PDF-1.4\n% test document\n"


def to(name):
    """A 302 to the named page (other than the login page)."""
    return ("redirect", name)


def rule(method="get", *, anon, owner, peer=None, other=None, committee, coordinator, data=None):
    """One row of the table; ``peer`` and ``other`` default to the owner's outcome."""
    return {
        "method": method,
        "data": data or {},
        "anon": anon,
        "owner": owner,
        "peer": owner if peer is None else peer,
        "other": owner if other is None else other,
        "committee": committee,
        "coordinator": coordinator,
    }


def everyone(outcome, method="get", data=None):
    return rule(method, anon=outcome, owner=outcome, committee=outcome, coordinator=outcome, data=data)


def logged_in(outcome, method="get"):
    """Any logged-in person; logged out → login."""
    return rule(method, anon=LOGIN, owner=outcome, committee=outcome, coordinator=outcome)


def portal(outcome=OK, method="get", *, peer=None, other=None, data=None):
    """Member portal: a participation is required (a committee member has none → 403; a coordinator,
    staff without one, is sent to the page that explains the portal and offers its preview)."""
    return rule(
        method,
        anon=LOGIN,
        owner=outcome,
        peer=peer,
        other=other,
        committee=DENIED,
        coordinator=to("preview:choose"),
        data=data,
    )


def own_network(outcome=OK, method="get", data=None):
    """An object of network A: only its participants; another network or edition → 404."""
    return portal(outcome, method, peer=MISSING, other=MISSING, data=data)


def own_edition(outcome=OK, method="get", data=None):
    """An object of A's edition: every participant of the edition; another edition → 404."""
    return portal(outcome, method, peer=outcome, other=MISSING, data=data)


def coordination(outcome=OK, method="get", data=None):
    """Coordinator pages: anyone who coordinates no edition → 403."""
    return rule(method, anon=LOGIN, owner=DENIED, committee=DENIED, coordinator=outcome, data=data)


def committee_area(outcome=OK):
    """The committee area: committee members and coordinators of the edition; participants → 403."""
    return rule(anon=LOGIN, owner=DENIED, committee=outcome, coordinator=outcome)


RULES = {
    # --- The top ----------------------------------------------------------------------------
    "landing": rule(
        anon=to("accounts:login"),
        owner=to("portal:home"),
        committee=to("committee:index"),
        coordinator=to("admin:index"),  # a coordinator is staff: the admin is their space
    ),
    "healthz": everyone(OK),
    "readyz": everyone(OK),
    # --- Accounts ---------------------------------------------------------------------------
    "accounts:login": rule(anon=OK, owner=to("landing"), committee=to("landing"), coordinator=to("landing")),
    "accounts:logout": everyone(NOT_ALLOWED),  # POST only: a link cannot log anyone out
    "accounts:profile": logged_in(OK),
    "accounts:password_change": logged_in(OK),
    "accounts:password_change_done": logged_in(OK),
    "accounts:password_reset": everyone(OK),
    "accounts:password_reset_done": everyone(OK),
    "accounts:password_reset_confirm": everyone(OK),  # a wrong link: the "invalid link" page
    "accounts:password_reset_complete": everyone(OK),
    "accounts:invitation_accept": everyone(OK),  # a wrong link: the "invalid link" page
    # --- RGPD -------------------------------------------------------------------------------
    "privacy:policy": everyone(OK),
    "privacy:my_data": logged_in(OK),  # the person's own data only: nothing of anyone else to reach
    "privacy:deletion_request": logged_in(OK),  # GET: the confirmation page
    # --- Portal home ------------------------------------------------------------------------
    "portal:home": portal(),
    "portal:switch_edition": portal(to("portal:home"), "post"),
    # --- The coordinators' read-only preview of the portal ------------------------------------
    "preview:choose": rule(anon=LOGIN, owner=DENIED, committee=DENIED, coordinator=OK),
    # GET: the page that asks; the POST that opens the preview: tests/networks/test_portal_preview.py.
    "preview:start": coordination(),
    # Nothing to leave outside a preview: back to the landing page.
    "preview:leave": rule("post", anon=LOGIN, owner=to("landing"), committee=to("landing"), coordinator=to("landing")),
    # --- Mon réseau -------------------------------------------------------------------------
    "networks:space": portal(),
    "networks:partnerships": portal(),
    "networks:partnership_add": portal(),
    "networks:partnership_edit": own_network(),
    "networks:partnership_delete": own_network(),
    "networks:share_inventory": portal(to("networks:partnerships"), "post"),
    "networks:obstacles": portal(),
    "networks:obstacle_add": portal(),
    "networks:obstacle_edit": own_network(),
    "networks:obstacle_delete": own_network(),
    "networks:roadmap": portal(),
    "networks:roadmap_edit": portal(),
    "networks:action_add": portal(),
    "networks:action_edit": own_network(),
    "networks:action_delete": own_network(),
    "networks:cohort": portal(),
    # Network A shares its inventory: its edition sees it, another edition does not.
    "networks:cohort_network": own_edition(),
    "networks:directory": portal(),
    "networks:directory_visibility": portal(to("networks:directory"), "post", data={"visible": "on"}),
    # --- Sessions ---------------------------------------------------------------------------
    "sessions:list": portal(),
    "sessions:detail": own_edition(),
    "sessions:rsvp": own_edition(to("sessions:detail"), "post", data={"rsvp": "confirmed"}),
    "sessions:ics": own_edition(),
    "sessions:calendar": portal(),
    "sessions:calendar_regenerate": portal(to("sessions:calendar"), "post"),
    # Token-authenticated: the owner's token works for whoever holds it (a wrong one: see below).
    "sessions:feed": everyone(OK),
    # --- Community --------------------------------------------------------------------------
    "community:topic_vote": portal(),
    "community:topic_propose": own_edition(to("community:topic_vote"), "post", data={"s{session}-title": "Mécénat"}),
    "community:topic_vote_cast": own_edition(to("community:topic_vote"), "post"),
    "community:resources": portal(),
    "community:resource_download": own_edition(),
    "community:announcements": portal(),
    "community:attendance": coordination(),
    # --- Questionnaires ---------------------------------------------------------------------
    "questionnaires:list": portal(),
    "questionnaires:answer": own_edition(),
    "questionnaires:my_answers": own_edition(),
    # --- Follow-ups (the network's own) -----------------------------------------------------
    "followups:list": portal(),
    "followups:followup": own_network(),
    "followups:visit": own_network(),
    # --- Coordination -----------------------------------------------------------------------
    "evaluation_results:index": coordination(),
    "evaluation_results:programme": coordination(),
    "evaluation_results:questionnaire": coordination(),
    "evaluation_results:export_csv": coordination(),
    "evaluation_results:export_xlsx": coordination(),
    "recruitment:funnel": coordination(),
    "cockpit:edition": coordination(),
    "cockpit:relance": coordination(),  # the preview; the sending (POST) is tested in tests/alliances/test_relances.py
    "invitations:invite": coordination(),
    # POST only (a GET is a 405 for everyone); the participant is A's owner, invitation accepted or not.
    "invitations:resend": coordination(to("cockpit:edition"), "post"),
    # --- Committee area ---------------------------------------------------------------------
    "findings:index": committee_area(),
    "committee:index": committee_area(),
    "committee:detail": committee_area(),
    "committee:decisions": committee_area(),
    "committee:documents": committee_area(),
    "committee:meeting": committee_area(),
    # --- Documents --------------------------------------------------------------------------
    # A report nobody else may read is a 404 (no leak), whatever the reason.
    "documents:status": rule(anon=LOGIN, owner=MISSING, committee=OK, coordinator=OK),
    "documents:download": rule(anon=LOGIN, owner=MISSING, committee=OK, coordinator=OK),
    # « Produire à nouveau »: a committee member reads the report but launches nothing (403).
    "documents:render_again": rule(
        "post", anon=LOGIN, owner=MISSING, committee=DENIED, coordinator=to("documents:status")
    ),
    # An unknown kind sends the coordinator back to the dashboard with an error (no rendering here).
    "documents:launch": coordination(to("documents:dashboard"), "post", data={"programme": "{programme}", "kind": ""}),
    "documents:dashboard": rule(anon=LOGIN, owner=DENIED, committee=OK, coordinator=OK),
}


# --- Enumeration ------------------------------------------------------------------------------


def _is_outside_table(pattern, namespace):
    """The admin, Django's language switcher and the DEBUG-only routes (media, the benchmark's page) are not the table's business."""
    if namespace == "admin":
        return True
    callback = getattr(pattern, "callback", None)
    module = getattr(callback, "__module__", "")
    if module == "django.views.i18n":
        return True
    # /bench-minimal/ is routed only with DEBUG or BENCH_MINIMAL_VIEW (tests/alliances/test_healthz.py checks both ways).
    return getattr(callback, "__name__", "") in {"debug_media", "bench_minimal"}


def project_patterns(resolver=None, namespace=None):
    """Every routed view as (full name or None, pattern), recursing into includes."""
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            if inner == "admin":
                continue
            if pattern.namespace and namespace:
                inner = f"{namespace}:{pattern.namespace}"
            found.extend(project_patterns(pattern, inner))
        elif isinstance(pattern, URLPattern):
            if _is_outside_table(pattern, namespace):
                continue
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            found.append((name, pattern))
    return found


def test_every_url_pattern_has_access_rules():
    patterns = project_patterns()
    unnamed = [str(p.pattern) for name, p in patterns if not name]
    assert not unnamed, f"URL patterns without a name cannot be checked: {unnamed}"
    names = {name for name, _p in patterns}
    missing = sorted(names - RULES.keys())
    assert not missing, f"URL patterns without access rules in tests/test_url_access.py: {missing}"
    stale = sorted(RULES.keys() - names)
    assert not stale, f"access rules for URL patterns that no longer exist: {stale}"
    for name, row in RULES.items():
        assert set(ROLES) <= row.keys(), name


def test_enumeration_sees_nested_patterns_and_skips_the_admin():
    names = {name for name, _p in project_patterns()}
    assert {"landing", "networks:partnership_edit", "committee:meeting", "documents:download"} <= names
    assert not any(name.startswith("admin:") for name in names)
    assert "set_language" not in names


# --- The data set -----------------------------------------------------------------------------


@pytest.fixture
def world(db, settings):
    """An edition with networks A and B (one participant each), everything of A that a URL names,
    another edition with its participant, a committee member and a coordinator of the edition."""
    settings.REDIS_URL = ""  # readyz checks the database only
    now = timezone.now()
    edition = factories.ProgrammeFactory()
    enrolment_a = factories.EnrolmentFactory(programme=edition, share_inventory=True)
    enrolment_b = factories.EnrolmentFactory(programme=edition)
    owner = factories.ParticipantFactory(enrolment=enrolment_a)
    peer = factories.ParticipantFactory(enrolment=enrolment_b)
    other = factories.ParticipantFactory(enrolment__programme=factories.ProgrammeFactory(slug="autre-edition"))
    coordinator = factories.UserFactory(is_staff=True)
    edition.coordinators.add(coordinator)
    committee = factories.CommitteeFactory(programme=edition)
    member = factories.CommitteeMemberFactory(committee=committee, user=factories.UserFactory())
    meeting = factories.MeetingFactory(committee=committee)
    session = factories.SessionFactory(programme=edition, topic_vote_open=True)
    resource = factories.ResourceFactory(programme=edition, session=session)
    resource.file.save("fiche.pdf", ContentFile(PDF))
    questionnaire = factories.QuestionnaireFactory(
        programme=edition, opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=10)
    )
    factories.QuestionFactory(questionnaire=questionnaire, kind=Question.Kind.SCALE)
    assert questionnaire.status(now) == Questionnaire.Status.OPEN
    report = factories.ReportFactory(programme=edition, kind="dashboard", parameters={"title": "TdB"})
    report.file.save("x.pdf", ContentFile(PDF), save=False)
    report.status = Report.Status.READY
    report.save()
    roadmap = factories.RoadmapFactory(enrolment=enrolment_a)
    objects = {
        "edition": edition,
        "participant": owner,
        "session": session,
        "partnership": factories.PartnershipFactory(enrolment=enrolment_a),
        "obstacle": factories.ObstacleFactory(enrolment=enrolment_a),
        "action": factories.RoadmapActionFactory(roadmap=roadmap),
        "enrolment": enrolment_a,
        "proposal": factories.TopicProposalFactory(session=session),
        "resource": resource,
        "announcement": factories.AnnouncementFactory(programme=edition, published_at=now),
        "questionnaire": questionnaire,
        "followup": factories.FollowUpFactory(enrolment=enrolment_a, shared_summary="Point d'étape."),
        "visit": factories.FieldVisitFactory(enrolment=enrolment_a, shared_summary="Visite."),
        "committee": committee,
        "meeting": meeting,
        "decision": factories.DecisionFactory(meeting=meeting),
        "report": report,
        "feed": session_services.calendar_feed_get_or_create(user=owner.user),
    }
    users = {
        "anon": None,
        "owner": owner.user,
        "peer": peer.user,
        "other": other.user,
        "committee": member.user,
        "coordinator": coordinator,
    }
    return users, objects


def url_kwargs(name, o):
    """The URL kwargs of each pattern, from the objects of network A and its edition."""
    return {
        "accounts:password_reset_confirm": {"uidb64": "MA", "token": "set-password"},
        "accounts:invitation_accept": {"uidb64": "MA", "token": "set-password"},
        "networks:partnership_edit": {"pk": o["partnership"].pk},
        "networks:partnership_delete": {"pk": o["partnership"].pk},
        "networks:obstacle_edit": {"pk": o["obstacle"].pk},
        "networks:obstacle_delete": {"pk": o["obstacle"].pk},
        "networks:action_edit": {"pk": o["action"].pk},
        "networks:action_delete": {"pk": o["action"].pk},
        "networks:cohort_network": {"pk": o["enrolment"].pk},
        "sessions:detail": {"pk": o["session"].pk},
        "sessions:rsvp": {"pk": o["session"].pk},
        "sessions:ics": {"pk": o["session"].pk},
        "sessions:feed": {"token": o["feed"].token},
        "community:topic_propose": {"session_pk": o["session"].pk},
        "community:topic_vote_cast": {"proposal_pk": o["proposal"].pk},
        "community:resource_download": {"pk": o["resource"].pk},
        "community:attendance": {"session_pk": o["session"].pk},
        "questionnaires:answer": {"pk": o["questionnaire"].pk},
        "questionnaires:my_answers": {"pk": o["questionnaire"].pk},
        "followups:followup": {"pk": o["followup"].pk},
        "followups:visit": {"pk": o["visit"].pk},
        "evaluation_results:programme": {"slug": o["edition"].slug},
        "evaluation_results:questionnaire": {"pk": o["questionnaire"].pk},
        "evaluation_results:export_csv": {"pk": o["questionnaire"].pk},
        "evaluation_results:export_xlsx": {"pk": o["questionnaire"].pk},
        "recruitment:funnel": {"slug": o["edition"].slug},
        "cockpit:edition": {"slug": o["edition"].slug},
        "cockpit:relance": {"slug": o["edition"].slug, "target": "questionnaire", "pk": o["questionnaire"].pk},
        "invitations:invite": {"slug": o["edition"].slug},
        "invitations:resend": {"slug": o["edition"].slug, "participant_pk": o["participant"].pk},
        "preview:start": {"slug": o["edition"].slug, "participant_pk": o["participant"].pk},
        "committee:detail": {"pk": o["committee"].pk},
        "committee:decisions": {"pk": o["committee"].pk},
        "committee:documents": {"pk": o["committee"].pk},
        "committee:meeting": {"pk": o["meeting"].pk},
        "documents:status": {"pk": o["report"].pk},
        "documents:download": {"pk": o["report"].pk},
        "documents:render_again": {"pk": o["report"].pk},
        "documents:dashboard": {"slug": o["edition"].slug},
    }.get(name, {})


def _post_data(data, o):
    fill = {"programme": o["edition"].pk, "session": o["session"].pk}
    return {key.format(**fill): str(value).format(**fill) for key, value in data.items()}


def _check(response, expected, name, role):
    where = f"{name} as {role}"
    if expected == LOGIN:
        assert response.status_code == 302, where
        assert response.url.startswith(reverse("accounts:login")), f"{where}: {response.url}"
    elif isinstance(expected, tuple):
        assert response.status_code == 302, f"{where}: {response.status_code}"
        path = response.url.split("#")[0].split("?")[0]  # a fragment (« #invitations ») or a query string
        assert resolve(path).view_name == expected[1], f"{where}: {response.url}"
    else:
        assert response.status_code == expected, f"{where}: {response.status_code}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(RULES))
def test_access(client, world, name, role):
    users, objects = world
    row = RULES[name]
    if users[role] is not None:
        client.force_login(users[role])
    url = reverse(name, kwargs=url_kwargs(name, objects))
    post = row["method"] == "post"
    response = client.post(url, _post_data(row["data"], objects)) if post else client.get(url)
    _check(response, row[role], name, role)


def _outcome(response):
    return response.status_code, response.get("Location", "")


def test_a_coordinator_without_staff_status_gets_no_more_than_someone_without_any_role(world):
    """Coordinating requires staff status, as the admin does (issue 13, item 9).

    A person listed among A's edition's coordinators but not staff is compared, page by page,
    with a person who has no role at all: every answer must be the same.
    """
    from django.test import Client

    users, objects = world
    edition = objects["edition"]
    listed = factories.UserFactory(email="ancien.coordinateur@example.org", is_staff=False)
    edition.coordinators.add(listed)
    nobody = factories.UserFactory(email="personne@example.org")
    differences = []
    for name, row in sorted(RULES.items()):
        url = reverse(name, kwargs=url_kwargs(name, objects))
        answers = []
        for user in (listed, nobody):
            client = Client()
            client.force_login(user)
            if row["method"] == "post":
                response = client.post(url, _post_data(row["data"], objects))
            else:
                response = client.get(url)
            answers.append(_outcome(response))
        if answers[0] != answers[1]:
            differences.append(f"{name}: {answers[0]} instead of {answers[1]}")
    assert not differences, "\n".join(differences)


def test_feed_with_a_wrong_token_is_not_found(client, world):
    users, objects = world
    good = objects["feed"].token
    wrong = ("b" if good[0] == "a" else "a") + good[1:]
    assert client.get(reverse("sessions:feed", args=[good])).status_code == 200
    assert client.get(reverse("sessions:feed", args=[wrong])).status_code == 404
    client.force_login(users["owner"])
    assert client.get(reverse("sessions:feed", args=[wrong])).status_code == 404
