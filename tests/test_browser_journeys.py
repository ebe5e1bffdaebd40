"""The whole journey through the real UI, in a headless Chromium (issue 9, see tests/browser.py).

Four journeys, each with its own data built by the factories, against the live server:

1. a coordinator sets up a session in the admin and invites two participants by CSV import;
2. a participant accepts the invitation, answers the RSVP, downloads the session's calendar file,
   adds a partnership and a roadmap action, proposes and votes an S3 topic, answers a questionnaire;
3. the coordinator marks attendance, closes the S3 vote, produces the dashboard PDF and downloads it;
4. a committee member logs in and downloads the meeting pack from the committee area.

Each step asserts what the page shows and what the database holds; each main page is saved as a
screenshot under test-artifacts/screenshots/<journey>/ (kept out of git).
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from alliances.documents import report_request
from alliances.invitations import user_invite
from alliances.models import Report
from evaluation.models import Question, Response
from governance.models import Committee
from networks.models import Participant, Partnership, RoadmapAction
from sessions.models import Registration, Session, TopicProposal, TopicVote
from tests import factories
from tests.browser import DESKTOP, browser_marks, log_in, new_page, screenshot
from tests.factories_evaluation import open_questionnaire, question

PASSWORD = "Un-mot-de-passe-solide-2018"

pytestmark = [*browser_marks, pytest.mark.django_db(transaction=True)]


def _message(page, text):
    """Wait for a flash message (Django's messages, in the portal or in the admin) containing ``text``."""
    page.locator(".alert, .messagelist li").filter(has_text=text).first.wait_for()


def _coordinator(programme, email):
    user = factories.UserFactory(email=email, password=PASSWORD, is_staff=True, first_name="Claire")
    programme.coordinators.add(user)
    return user


def _pdf_download(page, click):
    with page.expect_download() as info:
        click()
    download = info.value
    data = Path(download.path()).read_bytes()
    return download, data


def _current_edition():
    """« Alliances 2026 », running around today: its sessions fall within its dates, as Session.clean() requires."""
    today = timezone.localdate()
    return factories.ProgrammeFactory(
        name="Alliances 2026",
        slug="alliances-2026",
        starts_on=today - dt.timedelta(days=90),
        ends_on=today + dt.timedelta(days=365),
    )


# --- 1. The coordinator sets up a session and invites two participants ---------------------------


def test_coordinator_sets_up_a_session_and_imports_participants(live_server, chromium):
    journey = "1-coordination-preparation"
    programme = _current_edition()
    _coordinator(programme, "claire.coordination@example.org")
    factories.EnrolmentFactory(programme=programme, network__name="Réseau des tiers-lieux", network__acronym="RTL")
    factories.EnrolmentFactory(programme=programme, network__name="Fédération des jardins", network__acronym="FDJ")

    page = new_page(chromium)
    log_in(page, live_server.url, "claire.coordination@example.org", PASSWORD, then=reverse("admin:index"))
    screenshot(page, journey, "01-admin-accueil")

    # A session, through the admin's add form.
    page.goto(live_server.url + reverse("admin:programme_sessions_session_changelist"))
    page.locator(".object-tools a.addlink").click()
    page.wait_for_url(re.compile(r".*/add/$"))
    page.select_option("#id_programme", label=programme.name)
    page.fill("#id_number", "3")
    page.fill("#id_code", "S3")
    page.fill("#id_title", "Approfondir ensemble")
    page.fill("#id_theory", "Le changement d'échelle des alliances.")
    page.check("#id_topic_vote_open")
    starts = timezone.localtime() + dt.timedelta(days=30)
    page.fill("#id_starts_at_0", starts.strftime("%d/%m/%Y"))
    page.fill("#id_starts_at_1", "09:30:00")
    page.fill("#id_ends_at_0", starts.strftime("%d/%m/%Y"))
    page.fill("#id_ends_at_1", "17:00:00")
    page.fill("#id_venue", "Maison des associations, Lyon")
    screenshot(page, journey, "02-session-formulaire")
    page.locator("input[name=_save]").click()
    _message(page, "S3 — Approfondir ensemble")
    screenshot(page, journey, "03-sessions-liste")
    session = Session.objects.get(programme=programme, code="S3")
    assert session.title == "Approfondir ensemble"
    assert session.topic_vote_open is True
    assert timezone.localtime(session.starts_at).strftime("%d/%m/%Y %H:%M") == starts.strftime("%d/%m/%Y 09:30")
    assert session.venue == "Maison des associations, Lyon"

    # The CSV import: a file with an unknown network first (nothing imported, the line is named).
    page.goto(live_server.url + reverse("admin:networks_participant_changelist"))
    page.get_by_role("link", name="Importer un fichier CSV").click()
    page.get_by_role("heading", name="Fichier à importer").wait_for()
    bad = "nom,email,réseau,fonction\nCamille Martin,camille.martin@example.org,Réseau inconnu,Déléguée\n"
    page.set_input_files("#id_file", {"name": "participants.csv", "mimeType": "text/csv", "buffer": bad.encode()})
    page.get_by_role("button", name="Importer").click()
    page.get_by_text("Rien n'a été importé.").wait_for()
    assert (
        "réseau inconnu dans cette édition : « Réseau inconnu »"
        in page.get_by_role("table", name="Erreurs du fichier").inner_text()
    )
    # The page names what the « réseau » column accepts.
    page.get_by_text("Fédération des jardins (FDJ), Réseau des tiers-lieux (RTL)").wait_for()
    screenshot(page, journey, "04-import-erreur")
    assert not Participant.objects.filter(enrolment__programme=programme).exists()
    assert mail.outbox == []

    good = (
        "nom,email,réseau,fonction\n"
        "Camille Martin,camille.martin@example.org,RTL,Déléguée générale\n"
        "MOREAU Lucas,lucas.moreau@example.org,Fédération des jardins,Responsable des partenariats\n"
    )
    page.set_input_files("#id_file", {"name": "participants.csv", "mimeType": "text/csv", "buffer": good.encode()})
    assert page.is_checked("#id_send_invitations")
    page.get_by_role("button", name="Importer").click()
    _message(page, "Import terminé : 2 participants ajoutés, dont 2 nouveaux comptes")
    screenshot(page, journey, "05-participants-importes")
    assert page.locator("#result_list").get_by_text("camille.martin@example.org").is_visible()

    camille = Participant.objects.select_related("user", "enrolment__network").get(
        user__email="camille.martin@example.org"
    )
    assert (camille.user.first_name, camille.user.last_name) == ("Camille", "Martin")
    assert camille.enrolment.network.acronym == "RTL"
    assert camille.job_title == "Déléguée générale"
    assert not camille.user.has_usable_password()
    lucas = Participant.objects.select_related("user", "enrolment__network").get(user__email="lucas.moreau@example.org")
    assert (lucas.user.first_name, lucas.user.last_name) == ("Lucas", "MOREAU")
    assert lucas.enrolment.network.acronym == "FDJ"
    # One invitation each, with a link to this server's set-password page.
    assert sorted(message.to[0] for message in mail.outbox) == [
        "camille.martin@example.org",
        "lucas.moreau@example.org",
    ]
    for message in mail.outbox:
        assert live_server.url + "/compte/invitation/" in message.body

    # From the admin's header to the committee area, and back.
    page.locator("#user-tools").get_by_role("link", name="Espace des comités").click()
    page.wait_for_url(live_server.url + reverse("committee:index"))
    page.get_by_role("link", name="Administration").click()
    page.wait_for_url(live_server.url + reverse("admin:index"))


# --- 2. A participant accepts the invitation and works in the portal ----------------------------


def test_participant_accepts_the_invitation_and_works_in_the_portal(live_server, chromium):
    journey = "2-participant"
    programme = _current_edition()
    enrolment = factories.EnrolmentFactory(
        programme=programme, network__name="Réseau des tiers-lieux", network__acronym="RTL"
    )
    participant = factories.ParticipantFactory(
        enrolment=enrolment,
        user__email="camille.martin@example.org",
        user__first_name="Camille",
        user__last_name="Martin",
    )
    user = participant.user
    user.set_unusable_password()
    user.save()
    now = timezone.now()
    session = factories.SessionFactory(
        programme=programme,
        number=2,
        code="S2",
        title="Mettre en oeuvre",
        starts_at=now + dt.timedelta(days=10),
        ends_at=now + dt.timedelta(days=10, hours=7),
    )
    s3 = factories.SessionFactory(
        programme=programme,
        number=3,
        code="S3",
        title="Approfondir ensemble",
        starts_at=now + dt.timedelta(days=40),
        topic_vote_open=True,
    )
    questionnaire = open_questionnaire(programme, title="Votre regard sur le parcours")
    usefulness = question(questionnaire, 1, text="Le parcours vous est-il utile ?")
    remark = question(questionnaire, 2, Question.Kind.TEXT, text="Une remarque ?", required=False)

    user_invite(user=user, base_url=live_server.url, programme=programme)
    (invitation,) = mail.outbox
    link = re.search(r"https?://\S+/compte/invitation/\S+/", invitation.body).group(0)
    assert link.startswith(live_server.url)

    # The invitation: choose a password, land on the portal's home.
    page = new_page(chromium, accept_downloads=True)
    page.goto(link)
    page.fill("input[name=new_password1]", PASSWORD)
    page.fill("input[name=new_password2]", PASSWORD + "x")
    page.locator("main form button[type=submit]").click()
    page.get_by_text("Les deux mots de passe ne correspondent pas.").wait_for()
    user.refresh_from_db()
    assert not user.has_usable_password()
    page.fill("input[name=new_password1]", PASSWORD)
    page.fill("input[name=new_password2]", PASSWORD)
    screenshot(page, journey, "01-invitation")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + reverse("portal:home"))
    _message(page, "Bienvenue ! Votre compte est activé.")
    screenshot(page, journey, "02-accueil")
    # The navigation fits every common desktop width (it collapses into its menu button below 1200 px).
    for width in (1024, 1280, 1366, 1440, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the portal home scrolls sideways by {overflow} px at {width} px"
    page.set_viewport_size(DESKTOP)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert user.last_login is not None

    # RSVP to S2, from the sessions list.
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Sessions").click()
    page.get_by_role("link", name=re.compile("Mettre en oeuvre")).first.click()
    page.get_by_role("heading", name="S2 — Mettre en oeuvre").wait_for()
    page.get_by_role("button", name="Je participe", exact=True).click()
    _message(page, "Votre participation à S2 — Mettre en oeuvre est confirmée.")
    screenshot(page, journey, "03-session-confirmee")
    registration = Registration.objects.get(session=session, participant=participant)
    assert registration.rsvp == Registration.Rsvp.CONFIRMED

    # The session's calendar file.
    with page.expect_download() as info:
        page.get_by_role("link", name="Ajouter à mon agenda (.ics)").click()
    ics = Path(info.value.path()).read_bytes().decode("utf-8")
    assert info.value.suggested_filename == "alliances-2026-s2.ics"
    assert ics.startswith("BEGIN:VCALENDAR")
    assert "BEGIN:VEVENT" in ics
    assert "SUMMARY:S2 — Mettre en oeuvre" in ics.replace("\r\n ", "")  # long lines are folded

    # A partnership in the inventory.
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Mon réseau").click()
    screenshot(page, journey, "04-mon-reseau")
    page.goto(live_server.url + reverse("networks:partnerships"))
    page.get_by_role("link", name="Ajouter un partenariat").first.click()
    page.fill("#id_partner_name", "Ville de Lyon")
    page.select_option("#id_family", label="acteur public")
    page.select_option("#id_partner_type", label="collectivité territoriale")
    page.select_option("#id_scale", label="local")
    screenshot(page, journey, "05-partenariat-formulaire")
    page.get_by_role("button", name="Ajouter le partenariat").click()
    _message(page, "Partenariat ajouté.")
    assert page.get_by_text("Ville de Lyon").first.is_visible()
    screenshot(page, journey, "06-inventaire")
    partnership = Partnership.objects.get(enrolment=enrolment)
    assert (partnership.partner_name, partnership.family) == ("Ville de Lyon", Partnership.Family.PUBLIC)
    # Deleting asks first; « Non » keeps the line.
    page.get_by_role("link", name="Supprimer Ville de Lyon").click()
    page.get_by_role("heading", name="Supprimer le partenariat « Ville de Lyon » ?").wait_for()
    page.get_by_role("link", name="Non, revenir à la liste").click()
    page.wait_for_url(live_server.url + reverse("networks:partnerships"))
    assert Partnership.objects.filter(pk=partnership.pk).exists()

    # An action of the roadmap.
    page.goto(live_server.url + reverse("networks:roadmap"))
    page.get_by_role("link", name="Ajouter une action").first.click()
    page.fill("#id_title", "Rencontrer la direction de la vie associative")
    page.select_option("#id_owner", label=str(participant))
    due_on = timezone.localdate() + dt.timedelta(days=45)
    page.fill("#id_due_on", due_on.isoformat())
    page.get_by_role("button", name="Ajouter l'action").click()
    _message(page, "Action ajoutée.")
    assert page.get_by_text("Rencontrer la direction de la vie associative").first.is_visible()
    screenshot(page, journey, "07-feuille-de-route")
    action = RoadmapAction.objects.get(roadmap__enrolment=enrolment)
    assert action.title == "Rencontrer la direction de la vie associative"
    assert action.owner == participant
    assert action.due_on == due_on

    # The S3 topic: propose one, then vote for it.
    navigation = page.get_by_role("navigation", name="Navigation principale")
    navigation.get_by_role("button", name="Communauté").click()  # the community's pages share one menu
    navigation.get_by_role("link", name="Sujet S3").click()
    page.get_by_label("Sujet proposé").fill("Changer d'échelle avec les collectivités")
    page.get_by_role("button", name="Proposer ce sujet").click()
    _message(page, "Sujet proposé. Merci !")
    page.get_by_role("button", name="Voter pour « Changer d'échelle avec les collectivités »").click()
    _message(page, "Vote enregistré pour « Changer d'échelle avec les collectivités ».")
    assert page.get_by_text("Votre vote", exact=True).is_visible()
    screenshot(page, journey, "08-sujet-s3")
    proposal = TopicProposal.objects.get(session=s3)
    assert proposal.proposed_by == participant
    assert TopicVote.objects.get(participant=participant).proposal == proposal

    # The open questionnaire.
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Questionnaires").click()
    page.get_by_role("link", name=re.compile("Votre regard sur le parcours")).first.click()
    page.get_by_role("group", name=re.compile("Le parcours vous est-il utile")).get_by_label("4").check()
    page.get_by_label("Une remarque ?").fill("Des échanges très concrets.")
    screenshot(page, journey, "09-questionnaire")
    page.locator("main form button[type=submit]").click()
    _message(page, "Merci ! Vos réponses sont enregistrées.")
    screenshot(page, journey, "10-mes-reponses")
    response = Response.objects.get(questionnaire=questionnaire, participant=participant)
    answers = {answer.question_id: answer for answer in response.answers.all()}
    assert answers[usefulness.pk].value == 4
    assert answers[remark.pk].text == "Des échanges très concrets."


# --- 3. The coordinator closes the session: attendance, vote, dashboard PDF ---------------------


def test_coordinator_marks_attendance_closes_the_vote_and_downloads_the_dashboard(live_server, chromium):
    journey = "3-coordination-cloture"
    programme = _current_edition()
    _coordinator(programme, "claire.coordination@example.org")
    camille = factories.ParticipantFactory(
        enrolment__programme=programme, user__first_name="Camille", user__last_name="Martin"
    )
    lucas = factories.ParticipantFactory(
        enrolment__programme=programme, user__first_name="Lucas", user__last_name="Moreau"
    )
    now = timezone.now()
    session = factories.SessionFactory(
        programme=programme,
        number=3,
        code="S3",
        title="Approfondir ensemble",
        starts_at=now - dt.timedelta(hours=3),
        ends_at=now + dt.timedelta(hours=4),
        topic_vote_open=True,
    )
    winner = factories.TopicProposalFactory(session=session, title="Changer d'échelle")
    other = factories.TopicProposalFactory(session=session, title="Mesurer l'impact")
    factories.TopicVoteFactory(proposal=winner, participant=camille)
    factories.TopicVoteFactory(proposal=other, participant=lucas)
    factories.TopicVoteFactory(proposal=winner, participant__enrolment=camille.enrolment)

    page = new_page(chromium, accept_downloads=True)
    log_in(page, live_server.url, "claire.coordination@example.org", PASSWORD, then=reverse("admin:index"))

    # Attendance, from the sessions list of the admin.
    page.goto(live_server.url + reverse("admin:programme_sessions_session_changelist"))
    page.get_by_role("link", name="Noter les présences").click()
    page.get_by_role("heading", name=re.compile("Présences — S3")).wait_for()
    page.get_by_label(str(camille), exact=True).select_option(label="présent")
    page.get_by_label(str(lucas), exact=True).select_option(label="excusé")
    page.get_by_role("button", name="Enregistrer les présences").click()
    _message(page, "Présences enregistrées.")
    screenshot(page, journey, "01-presences")
    marks = dict(Registration.objects.filter(session=session).values_list("participant_id", "attendance"))
    assert marks[camille.pk] == Registration.Attendance.PRESENT
    assert marks[lucas.pk] == Registration.Attendance.EXCUSED

    # Close the S3 vote with the admin action: back to the admin's sessions through the breadcrumb.
    page.get_by_role("navigation", name="Fil d’Ariane").get_by_role("link", name="Sessions").click()
    page.wait_for_url(
        live_server.url
        + reverse("admin:programme_sessions_session_changelist")
        + f"?programme__id__exact={programme.pk}"
    )
    page.locator(f"#result_list input[name=_selected_action][value='{session.pk}']").check()
    page.select_option("select[name=action]", "close_topic_vote")
    page.locator("button[name=index]").click()
    _message(page, "S3 : vote clos, le sujet retenu est « Changer d'échelle » (2 voix).")
    screenshot(page, journey, "02-vote-clos")
    session.refresh_from_db()
    assert session.topic == "Changer d'échelle"
    assert session.topic_vote_open is False
    assert session.topic_vote_closed_at is not None

    # The dashboard, from the list of editions: produce the PDF, wait for it, download it.
    page.goto(live_server.url + reverse("admin:alliances_programme_changelist"))
    page.locator("#result_list").get_by_role("link", name="Tableau de bord").click()
    page.get_by_role("heading", name="Tableau de bord du programme").wait_for()
    screenshot(page, journey, "03-tableau-de-bord")
    page.get_by_role("button", name="Produire le PDF").click()
    page.get_by_text("Le document est prêt").wait_for(timeout=90_000)
    screenshot(page, journey, "04-document-pret")
    report = Report.objects.get(programme=programme, kind="dashboard")
    assert report.status == Report.Status.READY
    assert report.pages >= 1
    _message(page, "« Tableau de bord du programme — Alliances 2026 » est prêt")
    download, data = _pdf_download(page, page.get_by_role("link", name="Télécharger le PDF").click)
    assert data.startswith(b"%PDF")
    assert download.suggested_filename.endswith(".pdf")

    # Back to the admin from the portal's header.
    page.get_by_role("link", name="Administration").click()
    page.wait_for_url(live_server.url + reverse("admin:index"))


# --- 4. A committee member downloads the meeting pack -------------------------------------------


def test_committee_member_downloads_the_meeting_pack(live_server, chromium):
    journey = "4-comite"
    programme = _current_edition()
    committee = factories.CommitteeFactory(
        programme=programme, kind=Committee.Kind.STEERING, name="Comité de pilotage 2026"
    )
    member = factories.CommitteeMemberFactory(
        committee=committee,
        user=factories.UserFactory(email="dominique.comite@example.org", password=PASSWORD, first_name="Dominique"),
    )
    meeting = factories.MeetingFactory(
        committee=committee, title="Comité de rentrée", held_on=timezone.localdate() + dt.timedelta(days=12)
    )
    factories.ParticipantFactory(enrolment__programme=programme)
    pack = report_request(
        kind="committee_pack", programme=programme, parameters={"committee": "pilotage", "meeting": str(meeting.pk)}
    )
    pack.refresh_from_db()
    assert pack.status == Report.Status.READY

    page = new_page(chromium, accept_downloads=True)
    log_in(page, live_server.url, member.user.email, PASSWORD, then=reverse("committee:index"))
    screenshot(page, journey, "01-mes-comites")
    page.get_by_role("link", name="Comité de pilotage 2026").first.click()
    page.get_by_role("heading", name=re.compile("Comité de pilotage 2026")).first.wait_for()
    screenshot(page, journey, "02-comite")

    # The meeting's page offers its own pack...
    page.get_by_role("link", name="Comité de rentrée").click()
    page.get_by_role("heading", name="Comité de rentrée").wait_for()
    screenshot(page, journey, "03-reunion")
    download, data = _pdf_download(page, page.get_by_role("link", name="Télécharger le dossier de séance (PDF)").click)
    assert data.startswith(b"%PDF")

    # ...and so does the list of the edition's documents.
    page.get_by_role("link", name="Documents").first.click()
    page.get_by_role("heading", name="Documents de l'édition").wait_for()
    screenshot(page, journey, "04-documents")
    row = page.locator("li.list-group-item").filter(has_text="Dossier de séance")
    download, data = _pdf_download(page, row.get_by_role("link", name="Télécharger (PDF)").click)
    assert data.startswith(b"%PDF")
    assert download.suggested_filename.endswith(".pdf")
    assert get_user_model().objects.get(email="dominique.comite@example.org").last_login is not None
