"""The member portal's home (/portail/) and the edition switcher."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from networks.access import SESSION_KEY
from networks.models import Enrolment, RoadmapAction
from sessions.models import Registration
from tests import factories
from tests.factories_community import assert_login_redirect, committee_user, count_queries
from tests.factories_portal import edition_sessions, network_with_data

HOME = "/portail/"


@pytest.fixture
def participant(programme):
    return factories.ParticipantFactory(
        enrolment__programme=programme,
        enrolment__network__name="Réseau des jardins partagés",
        user__first_name="Camille",
        user__last_name="Martin",
    )


# --- Access ------------------------------------------------------------------------------


def test_home_is_at_portail():
    assert reverse("portal:home") == HOME


@pytest.mark.django_db
def test_logged_out_is_sent_to_login(client):
    assert_login_redirect(client.get(HOME))
    assert_login_redirect(client.post(reverse("portal:switch_edition"), {"participant": 1}))


def test_committee_member_without_participation_is_refused(client, programme):
    client.force_login(committee_user(programme))
    assert client.get(HOME).status_code == 403
    assert client.post(reverse("portal:switch_edition"), {"participant": 1}).status_code == 403


def test_coordinator_without_participation_is_offered_the_preview(client, coordinator):
    """No bare 403: the page that explains the portal and offers its read-only preview (issue 14)."""
    client.force_login(coordinator)
    response = client.get(HOME)
    assert (response.status_code, response.url) == (302, reverse("preview:choose"))


def test_switch_edition_is_post_only(logged_in):
    assert logged_in.get(reverse("portal:switch_edition")).status_code == 405


# --- Content -----------------------------------------------------------------------------


def test_home_shows_programme_phases_and_progress(logged_in, programme):
    today = timezone.localdate()
    done = factories.PhaseFactory(
        programme=programme,
        number=1,
        title="Lancement",
        starts_on=today - dt.timedelta(days=200),
        ends_on=today - dt.timedelta(days=100),
    )
    current = factories.PhaseFactory(
        programme=programme,
        number=2,
        title="Réalisation du test",
        starts_on=today - dt.timedelta(days=99),
        ends_on=today + dt.timedelta(days=50),
    )
    factories.PhaseFactory(
        programme=programme,
        number=3,
        title="Évaluation",
        starts_on=today + dt.timedelta(days=51),
        ends_on=today + dt.timedelta(days=100),
    )
    factories.StepFactory(phase=done, letter="a", status="done", done_on=today - dt.timedelta(days=150))
    factories.StepFactory(phase=current, letter="a", status="done", done_on=today - dt.timedelta(days=10))
    factories.StepFactory(phase=current, letter="b")
    factories.StepFactory(phase=current, letter="c")
    factories.StepFactory(phase=current, letter="d")

    response = logged_in.get(HOME)

    assert response.status_code == 200
    assert response.context["current_phase"] == current
    assert response.context["current_phase_progress"] == 25
    assert [(phase.number, progress) for phase, progress in response.context["phases"]] == [(1, 100), (2, 25), (3, 0)]
    content = response.content.decode()
    assert programme.name in content
    assert "Réalisation du test" in content
    assert "25 % des étapes réalisées" in content


def test_home_shows_network_and_binome_mate(logged_in, participant):
    binome = factories.BinomeFactory(enrolment=participant.enrolment)
    participant.binome = binome
    participant.save()
    factories.ParticipantFactory(
        enrolment=participant.enrolment, binome=binome, user__first_name="Dominique", user__last_name="Leroy"
    )
    # Someone of the same network outside the binôme is not shown as the mate.
    factories.ParticipantFactory(enrolment=participant.enrolment, user__first_name="Hors", user__last_name="Binôme")

    content = logged_in.get(HOME).content.decode()

    assert "Réseau des jardins partagés" in content
    assert "Dominique Leroy" in content
    assert "Hors Binôme" not in content


def test_home_without_binome_says_to_ask_the_coordinator(logged_in):
    content = logged_in.get(HOME).content.decode()
    assert "Vous n'avez pas encore de binôme" in content
    assert "demandez à votre coordinateur" in content


def test_home_shows_next_session_with_rsvp_buttons(logged_in, programme):
    now = timezone.now()
    factories.SessionFactory(
        programme=programme, number=9, code="S9", title="Plus tard", starts_at=now + dt.timedelta(days=60)
    )
    next_one = factories.SessionFactory(
        programme=programme, number=2, code="S2", title="Mettre en œuvre", starts_at=now + dt.timedelta(days=3)
    )
    factories.SessionFactory(programme=programme, number=1, code="S1", starts_at=now - dt.timedelta(days=3))

    response = logged_in.get(HOME)

    assert response.context["next_session"] == next_one
    content = response.content.decode()
    assert "S2 — Mettre en œuvre" in content
    assert reverse("sessions:rsvp", args=[next_one.pk]) in content
    assert 'value="confirmed"' in content and 'value="declined"' in content
    assert "Je participe" in content


def test_home_rsvp_returns_to_home(logged_in, programme, participant):
    session = factories.SessionFactory(programme=programme, starts_at=timezone.now() + dt.timedelta(days=3))
    response = logged_in.post(
        reverse("sessions:rsvp", args=[session.pk]), {"rsvp": "confirmed", "comment": "", "next": HOME}
    )
    assert response.status_code == 302
    assert response.url == HOME
    assert Registration.objects.get(session=session, participant=participant).rsvp == Registration.Rsvp.CONFIRMED


def test_home_rsvp_ignores_an_outside_next_url(logged_in, programme):
    session = factories.SessionFactory(programme=programme, starts_at=timezone.now() + dt.timedelta(days=3))
    response = logged_in.post(
        reverse("sessions:rsvp", args=[session.pk]), {"rsvp": "confirmed", "next": "https://evil.example.com/"}
    )
    assert response.url == reverse("sessions:detail", args=[session.pk])


def test_home_without_session_says_what_happens_next(logged_in):
    response = logged_in.get(HOME)
    assert response.context["next_session"] is None
    assert "Aucune session n'est programmée pour l'instant" in response.content.decode()


def test_home_gathers_pending_items(logged_in, programme, participant):
    today = timezone.localdate()
    roadmap = factories.RoadmapFactory(enrolment=participant.enrolment)
    factories.RoadmapActionFactory(roadmap=roadmap, title="Rencontrer la région", due_on=today + dt.timedelta(days=5))
    factories.RoadmapActionFactory(roadmap=roadmap, title="Action lointaine", due_on=today + dt.timedelta(days=90))
    factories.RoadmapActionFactory(
        roadmap=roadmap, title="Action abandonnée", due_on=today, status=RoadmapAction.Status.DROPPED
    )
    session = factories.SessionFactory(programme=programme, code="S2", title="Mettre en œuvre")

    response = logged_in.get(HOME)

    labels = [item.label for item in response.context["pending_items"]]
    assert labels == ["Feuille de route : Rencontrer la région", "Répondre à l'invitation : S2 — Mettre en œuvre"]
    content = response.content.decode()
    assert "Rencontrer la région" in content
    assert "Action lointaine" not in content
    assert reverse("sessions:detail", args=[session.pk]) in content


def test_home_with_nothing_to_do_says_so(logged_in):
    response = logged_in.get(HOME)
    assert response.context["pending_items"] == []
    assert "Rien à faire pour l'instant" in response.content.decode()


def test_home_lists_the_five_latest_announcements_newest_first(logged_in, programme):
    now = timezone.now()
    for days in range(7):
        factories.AnnouncementFactory(
            programme=programme, title=f"Annonce J-{days}", published_at=now - dt.timedelta(days=days)
        )
    factories.AnnouncementFactory(programme=programme, title="Annonce future", published_at=now + dt.timedelta(days=2))
    factories.AnnouncementFactory(title="Annonce d'une autre édition")

    response = logged_in.get(HOME)

    assert [a.title for a in response.context["announcements"]] == [f"Annonce J-{d}" for d in range(5)]
    content = response.content.decode()
    assert "Annonce d'une autre édition" not in content
    assert "Annonce future" not in content
    assert content.index("Annonce J-0") < content.index("Annonce J-1")


def test_home_without_announcement_has_no_see_all_link(logged_in):
    response = logged_in.get(HOME)
    assert response.context["announcements_url"] is None
    assert "Voir toutes les annonces" not in response.content.decode()


def test_home_shows_only_own_edition_data(logged_in, programme):
    other = factories.ProgrammeFactory(name="Autre édition")
    factories.SessionFactory(programme=other, code="X1", title="Session étrangère")
    factories.AnnouncementFactory(programme=other, title="Nouvelle étrangère")
    content = logged_in.get(HOME).content.decode()
    assert "Session étrangère" not in content
    assert "Nouvelle étrangère" not in content


# --- Edition switcher --------------------------------------------------------------------


def test_switcher_hidden_with_a_single_participation(logged_in):
    response = logged_in.get(HOME)
    assert response.context["switch_form"] is None
    assert reverse("portal:switch_edition") not in response.content.decode()


@pytest.fixture
def second_participation(participant):
    later = factories.ProgrammeFactory(
        name="Édition 2019", starts_on=dt.date(2019, 1, 1), ends_on=dt.date(2019, 12, 31)
    )
    return factories.ParticipantFactory(user=participant.user, enrolment__programme=later)


def test_switcher_shown_and_switches_edition(logged_in, participant, second_participation):
    response = logged_in.get(HOME)
    # The most recent edition is the current one by default.
    assert response.context["participant"] == second_participation
    assert reverse("portal:switch_edition") in response.content.decode()

    response = logged_in.post(reverse("portal:switch_edition"), {"participant": participant.pk})

    assert response.status_code == 302
    assert response.url == HOME
    assert logged_in.session[SESSION_KEY] == participant.pk
    response = logged_in.get(HOME)
    assert response.context["participant"] == participant
    assert response.context["programme"] == participant.enrolment.programme


def test_switcher_refuses_someone_elses_participation(logged_in, participant, second_participation):
    stranger = factories.ParticipantFactory(enrolment__programme=participant.enrolment.programme)
    response = logged_in.post(reverse("portal:switch_edition"), {"participant": stranger.pk}, follow=True)
    assert SESSION_KEY not in logged_in.session
    assert "Choisissez une de vos éditions" in response.content.decode()
    assert response.context["participant"] == second_participation


def test_switcher_ignores_participations_not_agreed(logged_in, participant):
    refused = factories.ProgrammeFactory(starts_on=dt.date(2019, 1, 1), ends_on=dt.date(2019, 12, 31))
    factories.ParticipantFactory(
        user=participant.user,
        enrolment__programme=refused,
        enrolment__status=Enrolment.Status.REFUSED,
        enrolment__refusal_reason="Calendrier",
    )
    assert logged_in.get(HOME).context["switch_form"] is None


# --- Bounded queries ---------------------------------------------------------------------


def test_home_query_count_does_not_grow_with_the_edition(client, programme):
    today = timezone.localdate()
    for number in (1, 2, 3):
        phase = factories.PhaseFactory(
            programme=programme,
            number=number,
            starts_on=today + dt.timedelta(days=100 * (number - 2)),
            ends_on=today + dt.timedelta(days=100 * (number - 2) + 99),
        )
        factories.StepFactory(phase=phase, letter="a")
        factories.StepFactory(phase=phase, letter="b", status="done", done_on=today)
    sessions = edition_sessions(programme)
    factories.SessionFactory(programme=programme, number=4, code="S4", starts_at=timezone.now() + dt.timedelta(days=40))
    factories.AnnouncementFactory(programme=programme)
    me = network_with_data(programme, sessions[:1])
    client.force_login(me.user)

    with_one_network = count_queries(client, HOME)
    for _ in range(19):
        network_with_data(programme, sessions)
        factories.AnnouncementFactory(programme=programme)
    with_twenty_networks = count_queries(client, HOME)

    response = client.get(HOME)
    assert len(response.context["pending_items"]) == 4  # 2 roadmap actions, 2 sessions to answer
    assert response.context["binome_mates"]
    # session, user, the user's participations (the current one and the switcher's), phases with their
    # steps counted, upcoming sessions (the next one and those to answer), my registrations to them,
    # roadmap actions, questionnaires to answer, announcements, binôme mate
    assert with_one_network == with_twenty_networks == 10


# --- Landing: « / » and the page after login lead each role to its space -----------------


@pytest.mark.django_db
class TestLanding:
    def test_logged_out_goes_to_login(self, client):
        assert client.get("/").url == reverse("accounts:login")

    def test_participant_goes_to_the_portal(self, client):
        participant = factories.ParticipantFactory()
        client.force_login(participant.user)
        assert client.get("/").url == reverse("portal:home")

    def test_coordinator_goes_to_the_admin(self, client, coordinator):
        client.force_login(coordinator)
        assert client.get("/").url == reverse("admin:index")

    def test_committee_member_goes_to_the_committee_area_not_a_403(self, client):
        member = factories.CommitteeMemberFactory(user=factories.UserFactory())
        client.force_login(member.user)
        assert client.get("/").url == reverse("committee:index")

    def test_anyone_else_goes_to_their_profile(self, client):
        client.force_login(factories.UserFactory())
        assert client.get("/").url == reverse("accounts:profile")


@pytest.mark.django_db
def test_the_portal_navigation_shows_only_to_participants(client):
    member = factories.CommitteeMemberFactory(user=factories.UserFactory())
    client.force_login(member.user)
    committee_page = client.get(reverse("committee:index")).content.decode()
    assert reverse("sessions:list") not in committee_page
    assert reverse("committee:index") in committee_page

    participant = factories.ParticipantFactory()
    client.force_login(participant.user)
    for url in (reverse("portal:home"), reverse("accounts:profile")):
        assert reverse("sessions:list") in client.get(url).content.decode()
