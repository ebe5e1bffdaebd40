"""« Relancer » (issue 14, item 2): the preview, the sending through the notifications, exactly once.

A relance is an object of its own: one e-mail to each person who has not answered a
session (or a questionnaire), once per person per relance; a double-submitted form sends
once and says so; a second relance on the same day asks for a confirmation.
"""

import datetime as dt
import email
import uuid
from email import policy
from html import unescape

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliances import cockpit, notifications, relances
from alliances.models import Notification, Relance
from evaluation import selectors as evaluation_selectors
from evaluation.models import Questionnaire
from sessions.models import Registration
from tests import factories

pytestmark = pytest.mark.django_db


def person(enrolment, first, last):
    user = factories.UserFactory(first_name=first, last_name=last, email=f"{first}.{last}@example.org".lower())
    return factories.ParticipantFactory(enrolment=enrolment, user=user)


@pytest.fixture
def edition(programme, coordinator):
    """Networks A (three people) and B (two) in accord, a session in two weeks: one confirmed (A), one
    declined (B), three without an answer; a refused network's participant, who is expected by nobody."""
    a = factories.EnrolmentFactory(programme=programme, network__name="Réseau Alpha")
    b = factories.EnrolmentFactory(programme=programme, network__name="Réseau Bêta")
    people = {
        "alice": person(a, "Alice", "Martin"),
        "bruno": person(a, "Bruno", "Petit"),
        "chloe": person(a, "Chloé", "Durand"),
        "david": person(b, "David", "Leroy"),
        "emma": person(b, "Emma", "Moreau"),
    }
    refused = factories.EnrolmentFactory(
        programme=programme, status="refused", refusal_reason="Calendrier", network__name="Réseau Refusé"
    )
    people["refused"] = person(refused, "Rémi", "Refus")
    session = factories.SessionFactory(programme=programme, code="S2", title="Mettre en œuvre", venue="Lyon")
    factories.RegistrationFactory(session=session, participant=people["alice"], rsvp=Registration.Rsvp.CONFIRMED)
    factories.RegistrationFactory(session=session, participant=people["david"], rsvp=Registration.Rsvp.DECLINED)
    return {"programme": programme, "session": session, "people": people}


WAITING = {"bruno.petit@example.org", "chloé.durand@example.org", "emma.moreau@example.org"}


def url(obj, target="session", programme=None):
    programme = programme or obj.programme
    return reverse("cockpit:relance", args=[programme.slug, target, obj.pk])


def preview_form(client, obj, target="session"):
    """GET the preview; the form's fields as posted (the token made for this preview)."""
    response = client.get(url(obj, target))
    assert response.status_code == 200
    form = response.context["form"]
    return response, {name: form[name].value() for name in ("subject", "body", "token")}


def post(client, obj, data, target="session", *, capture):
    with capture(execute=True):
        return client.post(url(obj, target), data)


def parsed_outbox():
    return [email.message_from_bytes(m.message().as_bytes(), policy=policy.default) for m in mail.outbox]


def page_text(response):
    return unescape(response.content.decode())


# --- Preview --------------------------------------------------------------------------------


def test_preview_shows_the_recipients_by_network_and_the_prefilled_email(client, coordinator, edition):
    client.force_login(coordinator)
    response, data = preview_form(client, edition["session"])
    text = page_text(response)
    assert "3 destinataires" in text
    for name in ("Bruno Petit", "Chloé Durand", "Emma Moreau", "Réseau Alpha", "Réseau Bêta"):
        assert name in text
    for name in ("Alice Martin", "David Leroy", "Rémi Refus"):  # answered, or not expected
        assert name not in text
    assert "Envoyer la relance à 3 personnes" in text
    assert "S2 — Mettre en œuvre" in data["subject"]
    assert "Lyon" in data["body"] and "Nous n'avons pas encore votre réponse" in data["body"]
    uuid.UUID(str(data["token"]))
    assert "Déjà relancé" not in text and 'name="confirm"' not in text
    assert not Relance.objects.exists() and not mail.outbox  # a preview sends nothing


def test_preview_when_everyone_has_answered_has_no_button(client, coordinator, edition):
    session = edition["session"]
    for key in ("bruno", "chloe", "emma"):
        factories.RegistrationFactory(session=session, participant=edition["people"][key], rsvp="confirmed")
    client.force_login(coordinator)
    text = page_text(client.get(url(session)))
    assert "Tout le monde a répondu" in text
    assert "Envoyer la relance à" not in text and 'name="token"' not in text


def test_a_past_session_cannot_be_relancee(client, coordinator, edition, django_capture_on_commit_callbacks):
    session = edition["session"]
    session.starts_at = timezone.now() - dt.timedelta(hours=1)
    session.ends_at = session.starts_at + dt.timedelta(hours=7)
    session.save()
    client.force_login(coordinator)
    text = page_text(client.get(url(session)))
    assert "Cette session a déjà commencé : elle ne peut plus être relancée." in text
    assert "Envoyer la relance" not in text
    data = {"subject": "Relance", "body": "Texte", "token": str(uuid.uuid4())}
    response = post(client, session, data, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert not Relance.objects.exists() and not mail.outbox


# --- Sending --------------------------------------------------------------------------------


def test_send_emails_exactly_the_non_respondents_once_each(
    client, coordinator, edition, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    _response, data = preview_form(client, edition["session"])
    data["subject"] = "Votre réponse pour S2, s'il vous plaît"
    data["body"] = "Nous attendons votre réponse.\n\nMerci !"
    response = post(client, edition["session"], data, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response.url == reverse("cockpit:edition", args=[edition["programme"].slug]) + "#sessions"
    assert "Relance envoyée à 3 personnes." in page_text(client.get(response.url))

    messages = parsed_outbox()
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == sorted(WAITING)
    relance = Relance.objects.get()
    assert relance.recipient_count == 3 and relance.created_by == coordinator and relance.target == "session"
    assert relance.subject == data["subject"] and relance.body == data["body"]
    detail = reverse("sessions:detail", args=[edition["session"].pk])
    for message in messages:
        assert message["Subject"] == "Votre réponse pour S2, s'il vous plaît"
        text = message.get_body(("plain",)).get_content()
        first_name = message["To"].addresses[0].addr_spec.split(".")[0].capitalize()  # bruno.petit@… → Bruno
        assert f"Bonjour {first_name}," in text
        assert "Nous attendons votre réponse.\n\nMerci !" in text
        assert f"{detail}#ma-reponse" in text
        assert f"{detail}#ma-reponse" in message.get_body(("html",)).get_content()
    rows = Notification.objects.filter(kind=relances.KIND, object_id=relance.pk)
    assert rows.count() == 3 and set(rows.values_list("status", flat=True)) == {Notification.Status.SENT}
    assert set(rows.values_list("programme_id", flat=True)) == {edition["programme"].pk}


def test_the_same_form_posted_twice_sends_once_and_says_so(
    client, coordinator, edition, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    _response, data = preview_form(client, edition["session"])
    post(client, edition["session"], data, capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3
    response = post(client, edition["session"], data, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    relance = Relance.objects.get()
    day, time = relances.when(relance)
    assert f"Cette relance a déjà été envoyée le {day} à {time} à 3 personnes." in page_text(client.get(response.url))
    assert len(mail.outbox) == 3 and Relance.objects.count() == 1
    assert Notification.objects.filter(kind=relances.KIND).count() == 3


def test_a_second_relance_the_same_day_needs_a_confirmation(
    client, coordinator, edition, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    session = edition["session"]
    _response, first = preview_form(client, session)
    post(client, session, first, capture=django_capture_on_commit_callbacks)
    relance = Relance.objects.get()
    _day, time = relances.when(relance)

    response, second = preview_form(client, session)
    text = page_text(response)
    assert f"Déjà relancé aujourd'hui à {time} (3 personnes)." in text
    assert 'name="confirm"' in text
    assert second["token"] != first["token"]

    response = post(client, session, second, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "Cochez la case pour relancer à nouveau." in page_text(response)
    assert Relance.objects.count() == 1 and len(mail.outbox) == 3

    response = post(client, session, {**second, "confirm": "on"}, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert Relance.objects.count() == 2 and len(mail.outbox) == 6  # a new relance: each person once more


def test_someone_who_answered_between_preview_and_send_gets_nothing(
    client, coordinator, edition, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    _response, data = preview_form(client, edition["session"])
    factories.RegistrationFactory(session=edition["session"], participant=edition["people"]["bruno"], rsvp="declined")
    post(client, edition["session"], data, capture=django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(WAITING - {"bruno.petit@example.org"})
    assert Relance.objects.get().recipient_count == 2


def test_someone_who_answered_before_the_batch_left_is_cancelled(client, coordinator, edition):
    """The recipients are read again at send time, as the reminders do."""
    client.force_login(coordinator)
    _response, data = preview_form(client, edition["session"])
    client.post(url(edition["session"]), data)  # on-commit callbacks not run: the batch has not left yet
    assert not mail.outbox
    factories.RegistrationFactory(session=edition["session"], participant=edition["people"]["emma"], rsvp="confirmed")
    ids = list(Notification.objects.filter(kind=relances.KIND).values_list("pk", flat=True))
    report = notifications.send_batch(ids)
    assert len(report.sent) == 2 and len(report.cancelled) == 1
    assert "emma.moreau@example.org" not in {m.to[0] for m in mail.outbox}


def test_bad_input_is_a_french_form_error(client, coordinator, edition, django_capture_on_commit_callbacks):
    client.force_login(coordinator)
    data = {"subject": "", "body": "x" * 5001, "token": "pas-un-jeton"}
    response = post(client, edition["session"], data, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 200
    text = page_text(response)
    assert "Ce champ est obligatoire." in text
    assert "au plus 5000 caractères" in text
    assert "Ce formulaire n'est plus valable : rechargez la page de la relance." in text
    assert not Relance.objects.exists()


def test_a_subject_on_several_lines_becomes_one(client, coordinator, edition, django_capture_on_commit_callbacks):
    client.force_login(coordinator)
    _response, data = preview_form(client, edition["session"])
    post(
        client, edition["session"], {**data, "subject": "Votre\r\nréponse"}, capture=django_capture_on_commit_callbacks
    )
    assert Relance.objects.get().subject == "Votre réponse"
    assert {m.subject for m in mail.outbox} == {"Votre réponse"}


# --- Roles ----------------------------------------------------------------------------------


def test_roles(client, edition):
    session = edition["session"]
    assert client.get(url(session)).status_code == 302  # logged out: the login page
    assert client.get(url(session)).url.startswith(reverse("accounts:login"))
    client.force_login(edition["people"]["bruno"].user)
    assert client.get(url(session)).status_code == 403
    assert client.post(url(session), {"token": str(uuid.uuid4())}).status_code == 403

    elsewhere = factories.UserFactory(is_staff=True, email="ailleurs@example.org")
    factories.ProgrammeFactory(slug="ailleurs").coordinators.add(elsewhere)
    client.force_login(elsewhere)
    assert client.get(url(session)).status_code == 404
    data = {"subject": "S", "body": "B", "token": str(uuid.uuid4())}
    assert client.post(url(session), data).status_code == 404
    assert not Relance.objects.exists()


def test_an_object_of_another_edition_or_an_unknown_target_is_not_found(client, coordinator, edition):
    client.force_login(coordinator)
    other_session = factories.SessionFactory(programme=factories.ProgrammeFactory())
    assert client.get(url(other_session, programme=edition["programme"])).status_code == 404
    assert client.get(url(edition["session"], target="reunion")).status_code == 404
    # A session's id given as a questionnaire's: not a questionnaire of this edition.
    assert client.get(url(edition["session"], target="questionnaire")).status_code in (200, 404)


# --- The notifications' source --------------------------------------------------------------


def test_the_periodic_job_sends_a_lost_batch_once_and_never_again(client, coordinator, edition):
    client.force_login(coordinator)
    _response, data = preview_form(client, edition["session"])
    client.post(url(edition["session"]), data)  # the queued batch is lost (its callback never runs)
    assert not mail.outbox

    def dispatch(ids):
        notifications.send_batch(ids)

    first = notifications.run(dispatch=dispatch)
    assert first.created == 0 and first.errors == []  # the source finds nothing: the rows exist already
    assert sorted(m.to[0] for m in mail.outbox) == sorted(WAITING)
    notifications.run(dispatch=dispatch)
    notifications.run(dispatch=dispatch)
    assert len(mail.outbox) == 3
    assert notifications.source_for(relances.KIND).find_due(now=timezone.now()) == []


def test_the_notifications_are_unique_per_person_per_relance(coordinator, edition):
    session = edition["session"]
    target = relances.target_for("session")
    token = uuid.uuid4()
    kwargs = {"target": target, "obj": session, "subject": "S", "body": "B", "created_by": coordinator}
    relance, created = relances.relance_send(request_token=token, **kwargs)
    again, created_again = relances.relance_send(request_token=token, **kwargs)
    assert created and not created_again and again == relance
    # Recording the same rows again (the periodic job, a retry, a bulk insert) adds nothing.
    rows = [
        notifications.due(relance, kind=relances.KIND, recipient_id=user_id, due_at=timezone.now())
        for user_id in Notification.objects.filter(kind=relances.KIND).values_list("recipient_id", flat=True)
    ]
    assert len(rows) == 3
    assert notifications.create_due(now=timezone.now(), candidates=rows) == 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    assert Notification.objects.filter(kind=relances.KIND, object_id=relance.pk).count() == 3


# --- The cockpit's include and latest_for ----------------------------------------------------


def test_latest_for_is_one_query_per_call(edition):
    programme = edition["programme"]
    sessions = [edition["session"], *(factories.SessionFactory(programme=programme) for _ in range(3))]
    now = timezone.now()
    for index, session in enumerate(sessions[:3]):
        for hours in (3, 1):
            factories.RelanceFactory(
                programme=programme, session=session, created_at=now - dt.timedelta(hours=hours), recipient_count=index
            )
    with CaptureQueriesContext(connection) as queries:
        latest = relances.latest_for(sessions)
    assert len(queries) == 1
    assert set(latest) == {s.pk for s in sessions[:3]}
    assert all(latest[s.pk].created_at == now - dt.timedelta(hours=1) for s in sessions[:3])
    assert relances.latest_for([]) == {}


def test_the_include_shows_the_button_and_the_last_relance(edition):
    session = edition["session"]
    moment = timezone.make_aware(dt.datetime(2026, 12, 3, 10, 5))
    relance = factories.RelanceFactory(
        programme=edition["programme"], session=session, created_at=moment, recipient_count=12
    )
    html = render_to_string("cockpit/_relance.html", {"obj": session, "relance": relance})
    assert f'href="{url(session)}"' in html and "Relancer" in html
    assert "relancé le 3 décembre à 10 h 05, 12 personnes" in " ".join(html.split())
    html = render_to_string("cockpit/_relance.html", {"obj": session, "relance": None, "hide_button": True})
    assert "Relancer" not in html and "relancé" not in html


# --- Questionnaires -------------------------------------------------------------------------


@pytest.fixture
def questionnaire(edition):
    now = timezone.now()
    questionnaire = factories.QuestionnaireFactory(
        programme=edition["programme"],
        title="Bilan à mi-parcours",
        opens_at=now - dt.timedelta(days=2),
        closes_at=now + dt.timedelta(days=5),
    )
    for key in ("alice", "emma"):
        factories.ResponseFactory(questionnaire=questionnaire, participant=edition["people"][key])
    return questionnaire


def test_a_questionnaire_relance_goes_to_those_without_a_response(
    client, coordinator, edition, questionnaire, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    response, data = preview_form(client, questionnaire, "questionnaire")
    assert "Bilan à mi-parcours" in data["subject"]
    post(client, questionnaire, data, "questionnaire", capture=django_capture_on_commit_callbacks)
    expected = {"bruno.petit@example.org", "chloé.durand@example.org", "david.leroy@example.org"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(expected)
    assert set(evaluation_selectors.non_respondents(questionnaire).values_list("user__email", flat=True)) == expected
    answer = reverse("questionnaires:answer", args=[questionnaire.pk])
    assert all(answer in m.body for m in mail.outbox)


def test_a_closed_questionnaire_cannot_be_relance(client, coordinator, edition, questionnaire):
    questionnaire.closes_at = timezone.now() - dt.timedelta(minutes=1)
    questionnaire.save()
    client.force_login(coordinator)
    text = page_text(client.get(url(questionnaire, "questionnaire")))
    assert "il ne peut pas être relancé" in text and "Envoyer la relance" not in text


def panel(programme):
    now = timezone.now()
    (found,) = [p for p in cockpit.panels() if p.key == "questionnaires"]
    return found.get_data(programme, request=None, today=timezone.localdate(now), now=now)


def test_the_questionnaire_panel_rates_and_names_by_network(edition, questionnaire):
    session = edition["session"]
    attendees = factories.QuestionnaireFactory(
        programme=edition["programme"],
        kind=Questionnaire.Kind.SESSION_FEEDBACK,
        session=session,
        audience=Questionnaire.Audience.SESSION_ATTENDEES,
        title="Retour sur S2",
        opens_at=timezone.now() - dt.timedelta(days=1),
    )
    for key in ("alice", "bruno"):
        registration = Registration.objects.filter(session=session, participant=edition["people"][key]).first()
        if registration is None:
            registration = factories.RegistrationFactory(session=session, participant=edition["people"][key])
        registration.attendance = Registration.Attendance.PRESENT
        registration.save()
    factories.ResponseFactory(questionnaire=attendees, participant=edition["people"]["bruno"])
    factories.QuestionnaireFactory(programme=edition["programme"], title="En préparation")  # not shown
    factories.RelanceFactory(
        programme=edition["programme"],
        content_type=ContentType.objects.get_for_model(Questionnaire),
        object_id=questionnaire.pk,
        target="questionnaire",
        recipient_count=3,
    )
    rows = {row["questionnaire"].title: row for row in panel(edition["programme"])["questionnaires"]}
    assert set(rows) == {"Bilan à mi-parcours", "Retour sur S2"}
    bilan = rows["Bilan à mi-parcours"]
    assert (bilan["responded"], bilan["expected"], bilan["rate"]) == (2, 5, 40)
    assert bilan["non_respondents"] == [
        ("Réseau Alpha", ["Bruno Petit", "Chloé Durand"]),
        ("Réseau Bêta", ["David Leroy"]),
    ]
    assert bilan["relance"].recipient_count == 3 and not bilan["hide_relance_button"]
    feedback = rows["Retour sur S2"]
    assert (feedback["responded"], feedback["expected"], feedback["rate"]) == (1, 2, 50)
    assert feedback["non_respondents"] == [("Réseau Alpha", ["Alice Martin"])]
    for questionnaire_ in (questionnaire, attendees):  # the one definition: evaluation.selectors
        names = {p.user.get_full_name() for p in evaluation_selectors.non_respondents(questionnaire_)}
        shown = {n for _network, names_ in rows[questionnaire_.title]["non_respondents"] for n in names_}
        assert names == shown


def test_the_questionnaire_panel_costs_the_same_for_more_questionnaires_and_people(edition, questionnaire):
    programme = edition["programme"]
    with CaptureQueriesContext(connection) as small:
        panel(programme)
    now = timezone.now()
    enrolment = factories.EnrolmentFactory(programme=programme)
    for index in range(10):
        participant = person(enrolment, f"Prénom{index}", f"Nom{index}")
        extra = factories.QuestionnaireFactory(
            programme=programme,
            kind=Questionnaire.Kind.SESSION_FEEDBACK,
            session=factories.SessionFactory(programme=programme),
            audience=Questionnaire.Audience.SESSION_ATTENDEES if index % 2 else Questionnaire.Audience.ALL,
            opens_at=now - dt.timedelta(days=1),
            closes_at=now - dt.timedelta(hours=index) if index < 5 else None,  # some recently closed
        )
        factories.ResponseFactory(questionnaire=extra, participant=participant)
        factories.RelanceFactory(
            programme=programme,
            content_type=ContentType.objects.get_for_model(Questionnaire),
            object_id=extra.pk,
            target="questionnaire",
        )
    with CaptureQueriesContext(connection) as large:
        data = panel(programme)
    assert len(data["questionnaires"]) == 11
    assert len(small) == len(large) == 5, [q["sql"] for q in large.captured_queries]


def test_the_cockpit_shows_the_questionnaire_panel_with_its_relance(client, coordinator, edition, questionnaire):
    client.force_login(coordinator)
    response = client.get(reverse("cockpit:edition", args=[edition["programme"].slug]))
    text = page_text(response)
    assert 'id="questionnaires"' in text and "Bilan à mi-parcours" in text
    assert url(questionnaire, "questionnaire") in text
    assert "3 personnes sans réponse" in text and "2 / 5 (40 %)" in text


# --- Admin ----------------------------------------------------------------------------------


def test_the_admin_lists_the_relances_of_the_coordinated_editions_read_only(client, coordinator, edition):
    mine = factories.RelanceFactory(programme=edition["programme"], session=edition["session"], subject="À moi")
    factories.RelanceFactory(subject="D'une autre édition")
    client.force_login(coordinator)
    response = client.get(reverse("admin:alliances_relance_changelist"))
    assert response.status_code == 200
    text = page_text(response)
    assert "À moi" in text and "D'une autre édition" not in text
    change = client.get(reverse("admin:alliances_relance_change", args=[mine.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert "S2 — Mettre en œuvre" in page_text(change)
    assert client.get(reverse("admin:alliances_relance_add")).status_code == 403


# --- Concurrent clicks (PostgreSQL: SQLite serialises every write) ----------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL: set DATABASE_URL")
@pytest.mark.parametrize("same_form", [True, False], ids=["same-token", "new-tokens-unconfirmed"])
def test_ten_concurrent_posts_make_one_relance(programme, coordinator, same_form):
    from tests.sessions.test_concurrency import _race

    enrolment = factories.EnrolmentFactory(programme=programme)
    for index in range(3):
        person(enrolment, f"Prénom{index}", f"Nom{index}")
    session = factories.SessionFactory(programme=programme)
    token = str(uuid.uuid4())
    requests = [
        (url(session), {"subject": "S", "body": "B", "token": token if same_form else str(uuid.uuid4())})
        for _ in range(10)
    ]
    statuses = _race(coordinator, requests)
    assert Relance.objects.count() == 1
    assert Notification.objects.filter(kind=relances.KIND).count() == 3
    assert len(mail.outbox) == 3
    # The same form: every answer goes back to the cockpit; new forms: the others must confirm.
    assert sorted(statuses) == ([302] * 10 if same_form else [200] * 9 + [302])
