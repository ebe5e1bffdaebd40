"""``manage.py render_report KIND --programme SLUG --output FILE.pdf``: the same code path as the workers."""

import pytest
from django.core.management import CommandError, call_command

from alliances.models import Report
from tests.factories_documents import known_edition, pdf_text


@pytest.fixture
def edition(db):
    return known_edition()


def run(*args):
    call_command("render_report", *args)


def test_renders_the_dashboard_to_the_output_file(edition, tmp_path, capsys):
    output = tmp_path / "tableau.pdf"
    run("dashboard", "--programme", edition.programme.slug, "--output", str(output))
    text = pdf_text(output.read_bytes())
    assert "Tableau de bord du programme" in text
    assert "4 réseaux pilotes en accord pour un objectif de 5" in text
    report = Report.objects.get()
    assert report.status == Report.Status.READY and report.requested_by is None
    assert output.read_bytes() == report.file.open("rb").read()
    assert f"pages écrites dans {output}" in capsys.readouterr().out


def test_attendance_sheet_of_a_session(edition, tmp_path):
    output = tmp_path / "s1.pdf"
    run("attendance_sheet", "--programme", edition.programme.slug, "--session", "1", "--output", str(output))
    assert "S1 — Comprendre" in pdf_text(output.read_bytes())


def test_certificate_of_a_participant(edition, tmp_path):
    output = tmp_path / "attestation.pdf"
    email = edition.participants["D1"].user.email
    run(
        "attendance_certificate", "--programme", edition.programme.slug, "--participant", email, "--output", str(output)
    )
    assert "a assisté à 1 session collective sur 3" in pdf_text(output.read_bytes())


def test_committee_pack(edition, tmp_path):
    output = tmp_path / "dossier.pdf"
    run("committee_pack", "--programme", edition.programme.slug, "--committee", "pilotage", "--output", str(output))
    assert "Dossier de séance — Comité de pilotage" in pdf_text(output.read_bytes())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["inconnu", "--programme", "{slug}"], "Type de document inconnu"),
        (["dashboard", "--programme", "nulle-part"], "Aucune édition"),
        (["attendance_sheet", "--programme", "{slug}"], "Ce document demande : session"),
        (["attendance_sheet", "--programme", "{slug}", "--session", "8"], "pas de session « 8 »"),
        (["dashboard", "--programme", "{slug}", "--session", "1"], "ne prend pas ces options : --session"),
        (["committee_pack", "--programme", "{slug}", "--committee", "technique"], "pas de comité technique"),
    ],
)
def test_errors_are_clear(edition, tmp_path, args, message):
    args = [a.replace("{slug}", edition.programme.slug) for a in args]
    with pytest.raises(CommandError, match=message):
        run(*args, "--output", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


def test_a_failed_render_is_reported(edition, tmp_path, monkeypatch):
    import alliances.management.commands.render_report as command

    real_request = command.report_request

    def request_then_lose_the_session(**kwargs):
        # The session exists when the document is asked for, and is gone when it is rendered.
        report = real_request(**kwargs)
        edition.sessions[1].delete()
        return report

    monkeypatch.setattr(command, "report_request", request_then_lose_the_session)
    output = tmp_path / "x.pdf"
    slug = edition.programme.slug
    with pytest.raises(CommandError, match="Échec de la production du document .* n'existe plus"):
        run("attendance_sheet", "--programme", slug, "--session", "2", "--output", str(output))
    assert Report.objects.get().status == Report.Status.FAILED
    assert not output.exists()


def test_output_folder_must_exist(edition, tmp_path):
    with pytest.raises(CommandError, match="n'existe pas"):
        run("dashboard", "--programme", edition.programme.slug, "--output", str(tmp_path / "absent" / "x.pdf"))
    assert not Report.objects.exists()
