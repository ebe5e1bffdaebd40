"""The document pipeline: registry, rendering, failures, idempotency, the documents' figures, packs and e-mails."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliances import documents, notifications
from alliances.documents import DocumentError, report_claim, report_render, report_request
from alliances.models import Notification, Report
from evaluation.dashboard import programme_dashboard
from governance import committee_packs
from governance.models import Meeting
from tests import factories
from tests.factories_documents import add_networks, known_edition, pdf_pages, pdf_text, render_pngs, report_pdf


def render(kind, programme, **parameters):
    """Request and render a document in this process (as the worker does); the report, READY or FAILED."""
    report = report_request(kind=kind, programme=programme, parameters=parameters, enqueue=False)
    return report_render(report.pk)


@pytest.fixture
def edition(db):
    return known_edition()


# --- Registry -----------------------------------------------------------------------------------


def test_every_app_registered_its_documents():
    codes = {kind.code: kind for kind in documents.kinds()}
    assert set(codes) == {
        "dashboard",
        "evaluation_report",
        "committee_pack",
        "attendance_sheet",
        "attendance_certificate",
    }
    assert documents.committee_visible_codes() == ["committee_pack", "dashboard", "evaluation_report"]
    assert not codes["attendance_sheet"].committee_visible
    assert not codes["attendance_certificate"].committee_visible


def test_unknown_kind_is_refused(programme):
    with pytest.raises(DocumentError, match="inconnu"):
        report_request(kind="nope", programme=programme, parameters={})


def test_parameters_are_cleaned_and_titled(edition):
    report = report_request(
        kind="attendance_sheet", programme=edition.programme, parameters={"session": "S2"}, enqueue=False
    )
    assert report.parameters["session"] == 2
    assert report.parameters["title"] == f"Feuille d'émargement — {edition.programme.name} — S2 — Mettre en œuvre"
    assert report.status == Report.Status.PENDING


@pytest.mark.parametrize(
    ("kind", "parameters", "field", "message"),
    [
        ("attendance_sheet", {}, "session", "Ce document demande : session"),
        ("attendance_sheet", {"session": "9"}, "session", "pas de session « 9 »"),
        ("attendance_certificate", {"participant": "personne@nulle.part"}, "participant", "Aucun participant"),
        ("committee_pack", {"committee": "technique"}, "committee", "pas de comité technique"),
        ("committee_pack", {"committee": "inconnu"}, "committee", "Comité inconnu"),
    ],
)
def test_bad_parameters_say_what_is_wrong(edition, kind, parameters, field, message):
    with pytest.raises(ValidationError) as caught:
        report_request(kind=kind, programme=edition.programme, parameters=parameters)
    assert message in " ".join(caught.value.message_dict[field])
    assert not Report.objects.exists()


def test_certificate_needs_a_session_attended(edition):
    absent_everywhere = edition.participants["B2"]
    with pytest.raises(ValidationError, match="aucune session"):
        report_request(
            kind="attendance_certificate",
            programme=edition.programme,
            parameters={"participant": absent_everywhere.user.email},
        )


def test_request_queues_the_render_after_commit(edition, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = report_request(kind="dashboard", programme=edition.programme, parameters={})
    assert len(callbacks) == 1
    assert Report.objects.get(pk=report.pk).status == Report.Status.PENDING
    callbacks[0]()  # the eager Celery task, as after the commit
    report.refresh_from_db()
    assert report.status == Report.Status.READY


# --- Rendering, storage, idempotency ---------------------------------------------------------------


def test_render_stores_the_pdf_under_an_unguessable_name(edition):
    report = render("dashboard", edition.programme)
    assert report.status == Report.Status.READY
    assert report.error == ""
    assert re.fullmatch(r"reports/\d{4}/\d{2}/[A-Za-z0-9_-]{32}\.pdf", report.file.name)
    data = report_pdf(report)
    assert data.startswith(b"%PDF")
    assert report.pages == pdf_pages(data) >= 2
    assert report.started_at <= report.finished_at
    # The key figures are kept with the document (the next committee pack compares with them).
    assert report.parameters["snapshot"]["figures"]["networks_agreed"] == 4


def test_rendering_a_ready_report_again_does_nothing_unless_forced(edition):
    report = render("dashboard", edition.programme)
    first_file, first_finished = report.file.name, report.finished_at
    again = report_render(report.pk)
    assert (again.file.name, again.finished_at) == (first_file, first_finished)
    forced = report_render(report.pk, force=True)
    assert forced.status == Report.Status.READY
    assert forced.file.name != first_file
    assert not forced.file.storage.exists(first_file)  # the old file does not linger


def test_only_one_worker_claims_a_report(edition):
    report = report_request(kind="dashboard", programme=edition.programme, parameters={}, enqueue=False)
    assert report_claim(report.pk) is not None
    assert report_claim(report.pk) is None  # a second worker (or a redelivered task) backs off
    assert report_render(report.pk).status == Report.Status.RUNNING  # and leaves it to the first


def test_a_running_report_whose_worker_died_can_be_claimed_again(edition, settings):
    report = report_request(kind="dashboard", programme=edition.programme, parameters={}, enqueue=False)
    long_ago = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.RUNNING, started_at=long_ago)
    assert report_render(report.pk).status == Report.Status.READY


def test_a_failed_render_ends_in_echec_with_its_message(edition, monkeypatch):
    kind = documents.get_kind("dashboard")

    def broken(programme, parameters, report=None):
        raise RuntimeError("le serveur de données ne répond pas")

    monkeypatch.setitem(
        documents._kinds, "dashboard", documents.DocumentKind(**{**kind.__dict__, "build_context": broken})
    )
    report = render("dashboard", edition.programme)
    assert report.status == Report.Status.FAILED
    assert report.get_status_display() == "échec"
    assert report.error == "RuntimeError: le serveur de données ne répond pas"
    assert not report.file
    assert report.finished_at is not None


def test_a_render_over_the_time_limit_says_so(edition, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    kind = documents.get_kind("dashboard")

    def too_slow(programme, parameters, report=None):
        raise SoftTimeLimitExceeded()

    monkeypatch.setitem(
        documents._kinds, "dashboard", documents.DocumentKind(**{**kind.__dict__, "build_context": too_slow})
    )
    report = render("dashboard", edition.programme)
    assert report.status == Report.Status.FAILED
    assert report.error.startswith("Délai dépassé : le document a mis plus de 300 secondes")


def test_a_document_error_keeps_its_french_message(edition):
    report = report_request(
        kind="attendance_sheet", programme=edition.programme, parameters={"session": "1"}, enqueue=False
    )
    edition.sessions[0].delete()
    report = report_render(report.pk)
    assert report.status == Report.Status.FAILED
    assert report.error == "La session de cette feuille d'émargement n'existe plus."


def test_a_failed_report_can_be_rendered_again(edition, monkeypatch):
    report = report_request(kind="dashboard", programme=edition.programme, parameters={}, enqueue=False)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.FAILED, error="avant")
    assert report_render(report.pk).status == Report.Status.READY


def test_the_renderer_never_fetches_a_remote_url(monkeypatch):
    from weasyprint.urls import URLFetcher

    fetched = []
    real_fetch = URLFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(URLFetcher, "fetch", spy)
    html = '<html><body><img src="https://example.org/tracker.png"><p>Bonjour</p></body></html>'
    pdf, pages = documents.html_to_pdf(html)
    assert pdf.startswith(b"%PDF") and pages == 1
    assert "https://example.org/tracker.png" not in fetched  # refused before any network access
    fetcher = documents.local_url_fetcher()
    with pytest.raises(ValueError, match="refused"):
        fetcher.fetch("https://example.org/tracker.png")
    with pytest.raises(ValueError, match="refused"):
        fetcher.fetch("file:///etc/passwd")


# --- The dashboard's figures, from the PDF's text ----------------------------------------------------


def pct(part, whole):
    return f"{round(100 * part / whole)} %"


def test_dashboard_pdf_shows_the_figures_of_the_known_edition(edition):
    text = pdf_text(report_pdf(render("dashboard", edition.programme)))
    # Header and footer of every page.
    assert f"Page 1 / {pdf_pages(report_pdf(Report.objects.get()))}" in text
    assert edition.programme.name in text
    # Recruitment: 4 agreed of 7 solicited, target 5.
    assert (
        f"4 réseaux pilotes en accord pour un objectif de 5 ({pct(4, 5)} de l'objectif), sur 7 réseaux sollicités"
        in text
    )
    assert "Il manque 1 réseau." in text
    assert "Calendrier trop chargé" in text
    # Phases: one step of two done, the other late.
    assert "Constituer le comité" in text and "en retard" in text and pct(1, 2) in text
    # Sessions: S1 4/6 present, 3/4 networks; S2 2/6, 2/4; S3 not recorded.
    assert f"4 / 6 {pct(4, 6)} 3 / 4 {pct(3, 4)}" in text
    assert f"2 / 6 {pct(2, 6)} 2 / 4 {pct(2, 4)}" in text
    assert "présence non saisie" in text
    average_rate = (round(100 * 4 / 6) + round(100 * 2 / 6)) / 2  # 50.0
    average_networks = (75 + 50) / 2  # 62.5
    assert f"{average_rate:.1f}".replace(".", ",").replace(",0", "") + " % des participants" in text
    assert f"{average_networks:.1f}".replace(".", ",") + " % des réseaux" in text
    # Per network: A attended both recorded sessions, B one.
    assert f"Réseau A {edition.programme.slug} ✓ ✓ · 2 / 2 100 %" in text
    assert f"Réseau B {edition.programme.slug} ✓ ✗ · 1 / 2 50 %" in text
    # Binômes: A and B complete, C has one member.
    assert "2 binômes complets (deux participants) sur 3 binômes constitués ; 2 réseaux sur 4" in text
    # Partnerships: 8 rows by 3 networks; types 3, 1, 3 → 7/3 = 2,33 against 2,5.
    assert "8 partenariats inventoriés par 3 réseaux sur 4" in text
    assert "Moyenne de la cohorte : 2,33 types de partenaires par réseau" in text
    assert "2 réseaux sur 3 atteignent ou dépassent ce repère" in text
    # PHARE 2015: private networks A and B; patronage 2/2, responsible practices 1/2.
    assert f"Mécénat 2 / 2 {pct(2, 2)} 67 %" in text
    assert f"Pratiques responsables 1 / 2 {pct(1, 2)} 29 %" in text
    assert "Coopération économique 0 / 2 0 % 26 %" in text
    assert "Innovation sociétale 0 / 2 0 % 25 %" in text
    # Obstacles: resources cited by 2 networks, 2 mentions, 1 high.
    assert "Moyens humains et financiers 2 2 1" in text
    # S3 vote: 4 voters of 6 participants, 3 votes for the winner.
    assert "sujet retenu « Co-construction territoriale »" in text
    assert f"4 votants sur 6 participants ({pct(4, 6)})" in text
    assert "Co-construction territoriale 3" in text and "Engagement des salariés 1" in text
    # Roadmaps: 2 of 4 networks; 2 done of 4 counted (one dropped), 1 overdue.
    assert "réseaux ayant une feuille de route 50 %" in text
    assert f"actions réalisées {pct(2, 4)}" in text
    assert "1 action en retard." in text
    # Satisfaction of S1 from 5 respondents: (4+4+5+3+5)/5 = 4,2; S2 without answers.
    assert "S1 — Comprendre 5 4,2" in text
    assert "Données non disponibles : aucun participant n'a encore répondu aux deux auto-évaluations" in text
    # Open decisions: only the open one, flagged late.
    assert "Relancer les réseaux en attente" in text and "Décision close" not in text


def test_sections_without_data_say_so(programme):
    text = pdf_text(report_pdf(render("dashboard", programme)))
    for sentence in (
        "Aucun réseau n'a encore été sollicité pour cette édition.",
        "Les phases de l'édition ne sont pas encore définies",
        "Aucune session n'est encore programmée pour cette édition.",
        "Aucun binôme n'est encore constitué.",
        "Aucun réseau n'a encore renseigné son inventaire des partenariats",
        "Aucun frein n'a encore été décrit par les réseaux.",
        "Aucun vote de sujet n'est encore ouvert",
        "Aucun réseau n'a encore commencé sa feuille de route.",
        "Données non disponibles",
        "Aucune décision ouverte",
    ):
        assert sentence in text


def test_results_section_says_data_unavailable_without_the_results_module(programme, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "evaluation.results", None)  # import fails as if not written yet
    data = programme_dashboard(programme)
    assert data["results"] is None
    text = pdf_text(report_pdf(render("dashboard", programme)))
    assert "Données non disponibles : les résultats des questionnaires ne sont pas encore disponibles" in text


def test_results_under_five_respondents_are_withheld_in_committee_documents(edition):
    edition_results = programme_dashboard(edition.programme)["results"]
    s1 = next(s for s in edition_results["satisfaction"] if s["session"]["code"] == "S1")
    assert (s1["respondents"], s1["mean"], s1["withheld"]) == (5, 4.2, False)
    # One answer fewer: the mean is no longer shown to the committee.
    from evaluation.models import Response

    Response.objects.filter(participant=edition.participants["C1"]).delete()
    text = pdf_text(report_pdf(render("dashboard", edition.programme)))
    assert "S1 — Comprendre 4 non communiqué (moins de 5 répondants)" in text


def test_attendance_sheet_lists_participants_networks_and_a_signature_column(edition):
    report = render("attendance_sheet", edition.programme, session="2")
    text = pdf_text(report_pdf(report))
    assert "Feuille d'émargement" in text and "S2 — Mettre en œuvre" in text
    assert "Signature" in text
    assert "6 participants attendus, 4 réseaux." in text
    for key, letter in (("A1", "A"), ("B2", "B"), ("D1", "D")):
        assert f"Prénom{key} Nom{key}" in text
        assert f"Réseau {letter} {edition.programme.slug}" in text


def test_attendance_certificate_lists_the_sessions_attended(edition):
    a1 = edition.participants["A1"]
    report = render("attendance_certificate", edition.programme, participant=a1.user.email.upper())
    text = pdf_text(report_pdf(report))
    assert "Attestation de participation" in text
    assert f"PrénomA1 NomA1, au titre du réseau Réseau A {edition.programme.slug}" in text
    assert "a assisté à 2 sessions collectives sur 3" in text
    assert "S1 — Comprendre" in text and "S2 — Mettre en œuvre" in text and "S3 — Approfondir" not in text
    assert "Durée totale des sessions suivies : 14 heures." in text


def test_evaluation_report_has_findings_grouped_and_recommendations(edition):
    from evaluation.models import Finding

    factories.FindingFactory(
        programme=edition.programme, kind=Finding.Kind.OBSERVATION, title="Les réseaux manquent de temps"
    )
    factories.FindingFactory(
        programme=edition.programme,
        kind=Finding.Kind.RECOMMENDATION,
        title="Prévoir un binôme par réseau",
        body="Deux personnes portent mieux la démarche.",
        evidence_session=edition.sessions[0],
    )
    text = pdf_text(report_pdf(render("evaluation_report", edition.programme)))
    assert "Rapport d'évaluation" in text
    assert "Constats 1. Les réseaux manquent de temps" in text
    assert "Recommandations pour le déploiement 1. Prévoir un binôme par réseau" in text
    assert "À l'appui : session S1" in text
    assert "Réseaux pilotes (accord) 4" in text  # key figures
    assert "Annexe : tableau de bord complet" in text


def test_each_document_renders_to_png_pages(edition, tmp_path):
    cases = [
        ("dashboard", {}),
        ("evaluation_report", {}),
        ("committee_pack", {"committee": "pilotage"}),
        ("attendance_sheet", {"session": "1"}),
        ("attendance_certificate", {"participant": edition.participants["A1"].user.email}),
    ]
    for kind, parameters in cases:
        report = render(kind, edition.programme, **parameters)
        assert report.status == Report.Status.READY, report.error
        pngs = render_pngs(Path(report.file.path), tmp_path / kind)
        assert len(pngs) == report.pages
        assert all(png.stat().st_size > 1000 for png in pngs)


# --- Bounded queries ------------------------------------------------------------------------------


def count_dashboard_queries(programme):
    with CaptureQueriesContext(connection) as queries:
        programme_dashboard(programme)
    return len(queries)


def test_dashboard_query_count_does_not_grow(edition):
    small = count_dashboard_queries(edition.programme)
    add_networks(edition.programme, 25, sessions=edition.sessions[:2])
    large = count_dashboard_queries(edition.programme)
    assert small == large
    assert small <= 30  # about twenty: one per section, aggregated by the database


# --- Committee packs ------------------------------------------------------------------------------


def test_committee_pack_compares_with_the_previous_pack_of_that_committee(edition):
    first = render("committee_pack", edition.programme, committee="steering", meeting=str(edition.meeting.pk))
    text = pdf_text(report_pdf(first))
    assert "Ordre du jour" in text and "1. Tour de table" in text
    assert "C'est le premier dossier de séance de ce comité" in text
    assert "Relancer les réseaux en attente" in text
    assert first.parameters["snapshot"]["figures"]["partnerships"] == 8

    # Between two meetings: two more partnerships, one more decision closed.
    factories.PartnershipFactory(enrolment=edition.networks["D"])
    factories.PartnershipFactory(enrolment=edition.networks["D"])
    edition.meeting.decisions.filter(title="Relancer les réseaux en attente").update(status="done")
    # Another committee's pack in between is not « the previous pack » of this one.
    orientation = factories.CommitteeFactory(programme=edition.programme, kind="orientation", name="Orientation")
    render("committee_pack", edition.programme, committee=orientation.kind)

    second = render("committee_pack", edition.programme, committee="pilotage")
    text = pdf_text(report_pdf(second))
    assert "Ce qui a changé depuis le dossier précédent" in text
    assert "Partenariats inventoriés 8 10 +2" in text
    assert "Décisions ouvertes 1 0 −1" in text
    assert "Réseaux pilotes (accord) 4 4 =" in text


def test_pack_meeting_must_belong_to_the_committee(edition):
    other = factories.CommitteeFactory(programme=edition.programme, kind="technical", name="Technique")
    meeting = factories.MeetingFactory(committee=other)
    with pytest.raises(ValidationError, match="pas une réunion du comité choisi"):
        report_request(
            kind="committee_pack",
            programme=edition.programme,
            parameters={"committee": "steering", "meeting": str(meeting.pk)},
        )


@pytest.fixture
def upcoming(edition):
    """A steering meeting in 5 days (the edition's packs leave 7 days before), two members with accounts,
    one member « en cours de validation », one without an account."""
    today = timezone.localdate()
    meeting = factories.MeetingFactory(
        committee=edition.committee, title="Réunion de mi-parcours", held_on=today + dt.timedelta(days=5)
    )
    members = [
        factories.CommitteeMemberFactory(committee=edition.committee, user=factories.UserFactory()) for _ in range(2)
    ]
    factories.CommitteeMemberFactory(committee=edition.committee, user=factories.UserFactory(), pending_validation=True)
    factories.CommitteeMemberFactory(committee=edition.committee, user=None)
    edition.member_users = [m.user for m in members]
    return meeting


def send_due_now(now=None):
    """The periodic job at ``now``, with its batches sent in this process."""
    now = now or timezone.now()
    return notifications.run(dispatch=lambda ids: notifications.send_batch(ids, now=now), now=now)


def pack_emails():
    """The e-mails carrying a pack (the meeting reminders of the committee area go out too)."""
    return [m for m in mail.outbox if m.subject.startswith("Dossier de séance")]


def test_pack_is_generated_and_emailed_once_per_meeting(edition, upcoming, django_capture_on_commit_callbacks):
    # First run: the pack is requested; its e-mails wait while a worker renders it (after commit).
    with django_capture_on_commit_callbacks(execute=True):
        send_due_now()
    assert not pack_emails()
    packs = Report.objects.filter(kind="committee_pack", parameters__meeting=upcoming.pk)
    assert packs.count() == 1
    pack = packs.get()
    assert pack.status == Report.Status.READY and pack.parameters["automatic"] is True

    # A later run (the job runs every 15 minutes) sends it, attached, to each member with an account.
    later = timezone.now() + committee_packs.WAIT_FOR_RENDER + dt.timedelta(minutes=10)
    with django_capture_on_commit_callbacks(execute=True):
        send_due_now(later)
    assert sorted(m.to[0] for m in pack_emails()) == sorted(u.email for u in edition.member_users)
    message = pack_emails()[0]
    assert "Dossier de séance" in message.subject
    filename, content, mimetype = message.attachments[0]
    assert mimetype == "application/pdf" and filename.endswith(".pdf")
    assert "Réunion de mi-parcours" in pdf_text(content)
    assert f"/documents/{pack.pk}/telecharger/" in message.body

    # The job runs again, and again: nothing more, still one pack.
    with django_capture_on_commit_callbacks(execute=True):
        send_due_now(later + dt.timedelta(minutes=15))
        send_due_now(later + dt.timedelta(minutes=30))
    assert len(pack_emails()) == 2
    assert packs.count() == 1
    meeting_type = ContentType.objects.get_for_model(Meeting)
    sent = Notification.objects.filter(kind="committee_pack", content_type=meeting_type, object_id=upcoming.pk)
    assert sent.count() == 2 and set(sent.values_list("status", flat=True)) == {Notification.Status.SENT}


def test_no_pack_before_the_lead_time_nor_after_the_meeting(edition):
    today = timezone.localdate()
    factories.CommitteeMemberFactory(committee=edition.committee, user=factories.UserFactory())
    factories.MeetingFactory(committee=edition.committee, title="Trop tôt", held_on=today + dt.timedelta(days=9))
    factories.MeetingFactory(committee=edition.committee, title="Passée", held_on=today - dt.timedelta(days=1))
    send_due_now()
    assert not Report.objects.exists()
    assert not pack_emails()


def test_lead_time_follows_the_edition_setting(edition):
    edition.programme.meeting_reminder_days = "14,2"
    edition.programme.save()
    today = timezone.localdate()
    meeting = factories.MeetingFactory(
        committee=edition.committee, title="Dans 10 jours", held_on=today + dt.timedelta(days=10)
    )
    factories.CommitteeMemberFactory(committee=edition.committee, user=factories.UserFactory())
    found = committee_packs.CommitteePackSource().find_due(now=timezone.now())
    assert [n.object_id for n in found] == [meeting.pk]


def test_dry_run_creates_no_pack(edition, upcoming):
    planned, _released, errors = notifications.plan()
    assert not errors
    assert [p.kind for p in planned].count("committee_pack") == 2
    assert not Report.objects.exists()


def test_two_workers_building_the_same_meeting_make_one_pack(edition, upcoming, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = committee_packs.pack_for_meeting(upcoming)
        second = committee_packs.pack_for_meeting(upcoming)
    assert first.pk == second.pk
    assert Report.objects.count() == 1


def test_email_waits_while_the_pack_renders_and_after_a_failure(edition, upcoming):
    now = timezone.now()
    source = committee_packs.CommitteePackSource()
    candidates = source.find_due(now=now)
    notifications.create_due(now=now, candidates=candidates)
    pending = list(Notification.objects.filter(kind="committee_pack").select_related("recipient", "programme"))
    # Rendering is queued after commit: not rendered yet while the e-mails are built.
    outcomes = source.build(pending, now=now)
    assert all(isinstance(o, notifications.Defer) for o in outcomes.values())
    pack = Report.objects.get()
    Report.objects.filter(pk=pack.pk).update(status=Report.Status.FAILED, error="boom")
    outcomes = source.build(pending, now=now)
    assert all(o.until == now + committee_packs.WAIT_AFTER_FAILURE for o in outcomes.values())
    # A member who left the committee gets nothing.
    edition.committee.members.filter(user=edition.member_users[0]).delete()
    report_render(pack.pk)
    outcomes = source.build(pending, now=now)
    by_recipient = {n.recipient_id: outcomes[n.pk] for n in pending}
    assert by_recipient[edition.member_users[0].pk] is notifications.CANCEL
    assert by_recipient[edition.member_users[1].pk].attachments


def test_on_demand_pack_with_sending_emails_the_members(edition, upcoming, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(
            kind="committee_pack",
            programme=edition.programme,
            parameters={"committee": "pilotage", "send": "1"},
        )
    report.refresh_from_db()
    assert report.status == Report.Status.READY and report.parameters["send"] is True
    assert sorted(m.to[0] for m in pack_emails()) == sorted(u.email for u in edition.member_users)
    assert pack_emails()[0].attachments[0][2] == "application/pdf"


def test_on_demand_pack_without_sending_emails_nobody(edition, upcoming, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report_request(kind="committee_pack", programme=edition.programme, parameters={"committee": "pilotage"})
    assert not pack_emails()
