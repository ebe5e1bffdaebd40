"""Sessions in the member portal: list, detail, RSVP, and what the home asks of sessions and networks."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from networks import portal as networks_portal
from networks.models import RoadmapAction
from sessions import portal as sessions_portal
from sessions.models import InspiringMeeting, Registration
from sessions.services import registration_respond
from tests import factories
from tests.factories_community import assert_login_redirect, committee_user, count_queries
from tests.factories_portal import edition_sessions, network_with_data

CONFIRMED = Registration.Rsvp.CONFIRMED
DECLINED = Registration.Rsvp.DECLINED
INVITED = Registration.Rsvp.INVITED


@pytest.fixture
def session(programme):
    return factories.SessionFactory(
        programme=programme,
        number=2,
        code="S2",
        title="Mettre en œuvre",
        starts_at=timezone.now() + dt.timedelta(days=7),
    )


@pytest.fixture
def foreign_session(db):
    """A session of another edition."""
    return factories.SessionFactory(code="X1", title="Session d'une autre édition")


def rsvp(client, session, answer, comment="", **extra):
    return client.post(reverse("sessions:rsvp", args=[session.pk]), {"rsvp": answer, "comment": comment, **extra})


# --- Access ------------------------------------------------------------------------------


def portal_urls(session):
    return [
        ("get", reverse("sessions:list")),
        ("get", reverse("sessions:detail", args=[session.pk])),
        ("post", reverse("sessions:rsvp", args=[session.pk])),
        ("get", reverse("sessions:ics", args=[session.pk])),
        ("get", reverse("sessions:calendar")),
        ("post", reverse("sessions:calendar_regenerate")),
    ]


def test_logged_out_is_sent_to_login_everywhere(client, session):
    for method, url in portal_urls(session):
        assert_login_redirect(getattr(client, method)(url, {"rsvp": "confirmed"} if method == "post" else None))


def test_committee_member_without_participation_is_refused_everywhere(client, programme, session):
    client.force_login(committee_user(programme))
    for method, url in portal_urls(session):
        response = getattr(client, method)(url, {"rsvp": "confirmed"} if method == "post" else None)
        assert response.status_code == 403, url


def test_session_of_another_edition_is_not_found(logged_in, participant, foreign_session):
    assert logged_in.get(reverse("sessions:detail", args=[foreign_session.pk])).status_code == 404
    assert logged_in.get(reverse("sessions:ics", args=[foreign_session.pk])).status_code == 404
    assert rsvp(logged_in, foreign_session, "confirmed").status_code == 404
    assert not Registration.objects.filter(participant=participant).exists()


def test_participant_of_another_edition_gets_404_on_this_editions_session(client, session):
    outsider = factories.ParticipantFactory()  # a network of another edition
    client.force_login(outsider.user)
    assert client.get(reverse("sessions:detail", args=[session.pk])).status_code == 404
    assert rsvp(client, session, "confirmed").status_code == 404
    assert not Registration.objects.exists()


def test_rsvp_is_post_only(logged_in, session):
    assert logged_in.get(reverse("sessions:rsvp", args=[session.pk])).status_code == 405


# --- List --------------------------------------------------------------------------------


def test_list_shows_my_editions_sessions_with_my_answer_past_apart(logged_in, programme, participant, foreign_session):
    past, upcoming, undated = edition_sessions(programme)
    factories.RegistrationFactory(session=past, participant=participant, rsvp=CONFIRMED)
    factories.RegistrationFactory(session=upcoming, participant=participant, rsvp=DECLINED)
    # Another participant's answer is not mine.
    factories.RegistrationFactory(session=undated, rsvp=CONFIRMED)

    response = logged_in.get(reverse("sessions:list"))

    assert response.status_code == 200
    assert [s.code for s in response.context["upcoming"]] == ["S2", "S3"]
    assert [s.code for s in response.context["past"]] == ["S1"]
    answers = {s.code: s.my_rsvp for s in response.context["upcoming"] + response.context["past"]}
    assert answers == {"S1": CONFIRMED, "S2": DECLINED, "S3": None}
    content = response.content.decode()
    assert "Session d'une autre édition" not in content
    assert "Sessions passées" in content
    assert content.index("S2 — Mettre en œuvre") < content.index("Sessions passées") < content.index("S1 — Comprendre")
    assert "Paris" in content  # the venue
    assert "Date à venir" in content  # the undated S3


def test_list_empty_state(logged_in):
    content = logged_in.get(reverse("sessions:list")).content.decode()
    assert "Aucune session à venir n'est encore programmée" in content


def test_list_query_count_does_not_grow_with_the_edition(client, programme):
    sessions = edition_sessions(programme)
    me = network_with_data(programme, sessions)
    client.force_login(me.user)
    url = reverse("sessions:list")

    with_one_network = count_queries(client, url)
    for _ in range(19):
        network_with_data(programme, sessions)
    with_twenty_networks = count_queries(client, url)

    # session, user, current participation, sessions with my answer (a subquery)
    assert with_one_network == with_twenty_networks == 4


# --- Detail ------------------------------------------------------------------------------


def test_detail_shows_the_session(logged_in, programme, session):
    session.theory = "Identifier les enjeux d'une alliance."
    session.applied_work = "Bilan des actions de partenariat."
    session.topic = "Co-construction territoriale"
    session.online_url = "https://visio.example.org/s2"
    session.save()
    theme = factories.ThemeFactory(programme=programme, title="Modèles socio-économiques associatifs")
    session.themes.add(theme)
    factories.InspiringMeetingFactory(
        session=session,
        speaker="Claire Dupont",
        organisation="Fondation fictive",
        speaker_kind=InspiringMeeting.SpeakerKind.ASSOCIATIVE_PEER,
    )
    factories.ResourceFactory(
        programme=programme, session=session, title="Kit partenariats", url="https://kit.example.org/"
    )
    with_file = factories.ResourceFactory(
        programme=programme,
        session=session,
        title="Support S2",
        url="",
        file=ContentFile(b"%PDF-1.4", "support-s2.pdf"),
    )
    factories.ResourceFactory(programme=programme, title="Ressource d'une autre session")

    response = logged_in.get(reverse("sessions:detail", args=[session.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    for text in (
        "S2 — Mettre en œuvre",
        "Identifier les enjeux d&#x27;une alliance.",
        "Bilan des actions de partenariat.",
        "Co-construction territoriale",
        "Claire Dupont",
        "Fondation fictive",
        "pair associatif",
        "Paris",
        "https://visio.example.org/s2",
        "Modèles socio-économiques associatifs",
        "https://kit.example.org/",
        reverse("community:resource_download", args=[with_file.pk]),  # served by a view that checks access
        reverse("sessions:ics", args=[session.pk]),
        "Je participe",
    ):
        assert text in content, text
    assert "Ressource d&#x27;une autre session" not in content


def test_detail_of_a_started_session_has_no_form(logged_in, programme):
    started = factories.SessionFactory(programme=programme, starts_at=timezone.now() - dt.timedelta(hours=1))
    response = logged_in.get(reverse("sessions:detail", args=[started.pk]))
    content = response.content.decode()
    assert "les réponses sont closes" in content
    assert reverse("sessions:rsvp", args=[started.pk]) not in content


# --- RSVP --------------------------------------------------------------------------------


def test_confirm_creates_the_registration(logged_in, participant, session):
    response = rsvp(logged_in, session, "confirmed")

    assert response.status_code == 302
    assert response.url == reverse("sessions:detail", args=[session.pk])
    registration = Registration.objects.get(session=session, participant=participant)
    assert registration.rsvp == CONFIRMED
    assert registration.responded_at is not None
    page = logged_in.get(response.url).content.decode()
    assert "Votre participation à S2 — Mettre en œuvre est confirmée." in page


def test_decline_with_comment_updates_the_invitation(logged_in, participant, session):
    factories.RegistrationFactory(session=session, participant=participant)  # invited by the coordinators

    rsvp(logged_in, session, "declined", "  Conseil d'administration ce jour-là.  ")

    registration = Registration.objects.get(session=session, participant=participant)
    assert registration.rsvp == DECLINED
    assert registration.rsvp_comment == "Conseil d'administration ce jour-là."
    assert Registration.objects.count() == 1


def test_answer_can_change_until_the_session_starts(logged_in, participant, session):
    rsvp(logged_in, session, "declined", "Pas disponible")
    rsvp(logged_in, session, "confirmed", "Finalement disponible")

    registration = Registration.objects.get(session=session, participant=participant)
    assert registration.rsvp == CONFIRMED
    assert registration.rsvp_comment == "Finalement disponible"


def test_answer_refused_after_the_start(logged_in, participant, programme):
    started = factories.SessionFactory(programme=programme, starts_at=timezone.now() - dt.timedelta(minutes=5))
    factories.RegistrationFactory(session=started, participant=participant, rsvp=CONFIRMED, rsvp_comment="Présent")

    response = logged_in.post(
        reverse("sessions:rsvp", args=[started.pk]), {"rsvp": "declined", "comment": "Empêché"}, follow=True
    )

    registration = Registration.objects.get(session=started, participant=participant)
    assert registration.rsvp == CONFIRMED
    assert registration.rsvp_comment == "Présent"
    assert "Cette session a déjà commencé" in response.content.decode()


def test_unknown_answer_is_refused(logged_in, participant, session):
    response = rsvp(logged_in, session, "maybe")
    assert response.status_code == 302
    assert not Registration.objects.exists()
    assert "Réponse inconnue" in logged_in.get(response.url).content.decode()


def test_service_refuses_a_participant_of_another_edition(session):
    outsider = factories.ParticipantFactory()
    with pytest.raises(ValidationError):
        registration_respond(participant=outsider, session=session, rsvp=CONFIRMED, comment="")
    assert not Registration.objects.exists()


def test_service_refuses_after_start(participant, programme):
    started = factories.SessionFactory(programme=programme, starts_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationError, match="déjà commencé"):
        registration_respond(participant=participant, session=started, rsvp=CONFIRMED, comment="")


def test_service_answers_twice_leave_one_row(participant, session):
    registration_respond(participant=participant, session=session, rsvp=CONFIRMED, comment="")
    registration_respond(participant=participant, session=session, rsvp=DECLINED, comment="Désolé")
    assert Registration.objects.get().rsvp == DECLINED


@pytest.mark.skipif(connection.vendor == "sqlite", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_clicks_leave_one_row():
    participant = factories.ParticipantFactory()
    session = factories.SessionFactory(programme=participant.enrolment.programme)
    errors = []

    def click(answer):
        try:
            registration_respond(participant=participant, session=session, rsvp=answer, comment="")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(CONFIRMED if i % 2 else DECLINED,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Registration.objects.filter(session=session, participant=participant).count() == 1


# --- What the home asks of sessions and networks -----------------------------------------


def test_sessions_pending_items_are_unanswered_sessions_not_started(participant, programme):
    now = timezone.now()
    invited = factories.SessionFactory(
        programme=programme, code="S2", title="Invitée", starts_at=now + dt.timedelta(days=2)
    )
    factories.RegistrationFactory(session=invited, participant=participant, rsvp=INVITED)
    no_row = factories.SessionFactory(
        programme=programme, code="S3", title="Sans ligne", starts_at=now + dt.timedelta(days=9)
    )
    answered = factories.SessionFactory(programme=programme, code="S4", starts_at=now + dt.timedelta(days=20))
    factories.RegistrationFactory(session=answered, participant=participant, rsvp=DECLINED)
    factories.SessionFactory(programme=programme, code="S1", starts_at=now - dt.timedelta(days=2))
    factories.SessionFactory(programme=programme, code="S5", starts_at=None, ends_at=None)
    factories.SessionFactory(code="X1", starts_at=now + dt.timedelta(days=2))  # another edition

    items = sessions_portal.pending_items(participant)

    assert [item.label for item in items] == [
        "Répondre à l'invitation : S2 — Invitée",
        "Répondre à l'invitation : S3 — Sans ligne",
    ]
    assert items[0].url == reverse("sessions:detail", args=[invited.pk])
    assert items[0].due == timezone.localdate(invited.starts_at)
    assert {item.kind for item in items} == {"rsvp"}
    assert no_row.pk


def test_sessions_pending_items_cost_one_query(participant, programme, django_assert_num_queries):
    for number in range(1, 6):
        factories.SessionFactory(programme=programme, number=number)
    with django_assert_num_queries(1):
        assert len(sessions_portal.pending_items(participant)) == 5


def test_next_session_carries_my_registration(participant, programme, django_assert_num_queries):
    now = timezone.now()
    later = factories.SessionFactory(programme=programme, number=3, starts_at=now + dt.timedelta(days=30))
    soon = factories.SessionFactory(programme=programme, number=2, starts_at=now + dt.timedelta(days=3))
    factories.SessionFactory(programme=programme, number=1, starts_at=now - dt.timedelta(days=3))
    mine = factories.RegistrationFactory(session=soon, participant=participant, rsvp=CONFIRMED)
    factories.RegistrationFactory(session=soon, rsvp=DECLINED)

    with django_assert_num_queries(2):
        session = sessions_portal.next_session(participant)

    assert session == soon
    assert session.my_registration == mine
    assert later.pk


def test_next_session_is_none_without_upcoming_session(participant):
    assert sessions_portal.next_session(participant) is None


def test_networks_pending_items_are_roadmap_actions_due_soon_or_late(participant, django_assert_num_queries):
    today = timezone.localdate()
    roadmap = factories.RoadmapFactory(enrolment=participant.enrolment)
    make = factories.RoadmapActionFactory
    make(roadmap=roadmap, title="En retard", due_on=today - dt.timedelta(days=40))
    make(
        roadmap=roadmap,
        title="Dans 30 jours",
        due_on=today + dt.timedelta(days=30),
        status=RoadmapAction.Status.IN_PROGRESS,
    )
    make(roadmap=roadmap, title="Dans 31 jours", due_on=today + dt.timedelta(days=31))
    make(roadmap=roadmap, title="Sans échéance", due_on=None)
    make(roadmap=roadmap, title="Réalisée", due_on=today, status=RoadmapAction.Status.DONE, done_on=today)
    make(roadmap=roadmap, title="Abandonnée", due_on=today, status=RoadmapAction.Status.DROPPED)
    make(title="Autre réseau", due_on=today)

    with django_assert_num_queries(1):
        items = networks_portal.pending_items(participant)

    assert [item.label for item in items] == ["Feuille de route : En retard", "Feuille de route : Dans 30 jours"]
    assert items[0].is_late and not items[1].is_late
    assert items[0].url == reverse("networks:roadmap")
    assert items[0].kind == "roadmap_action"
