"""Benchmark of the PDF dashboard: the 2018 pilot and an edition of 200 networks.

    .venv/bin/python bench/pdf.py [--networks 200] [--runs 3] [--editions 100 [--seed 0]] [--keep]

Builds a throwaway SQLite database in a temporary DATA_DIR (migrations, the pilot with its
fictional demo data, with ``--editions N`` N complete editions loaded by ``generate_scale_data``
beside them — the database of a national rollout — then an edition of ``--networks`` networks
generated with bulk_create),
then measures, for each edition, in a fresh process (so that peak memory is the document's):

* total: the whole rendering path of a dashboard (``report_render``: claim, data gathering,
  template, WeasyPrint, storing the file), median of ``--runs`` runs;
* data: gathering the data alone (``build_context``) and its number of queries;
* weasyprint: HTML → PDF alone, on the same HTML;
* data share = data / total (target: ≤ 20 %), pages, peak memory (process peak RSS, and the
  peak of Python allocations traced by tracemalloc during one render).

Nothing is written outside the temporary folder (deleted at the end unless ``--keep``).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_SLUG = "bench-200-reseaux"


def setup_django(data_dir):
    os.environ["DATA_DIR"] = str(data_dir)
    os.environ["MEDIA_ROOT"] = str(Path(data_dir) / "media")
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"):
        os.environ.pop(name, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliances.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- Data ---------------------------------------------------------------------------------------


def build_database(networks, editions=0, seed=0):
    import datetime as dt
    import random

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from alliances.models import Phase, Programme, Step, User
    from evaluation.models import Answer, Competency, Question, Questionnaire, Response
    from governance.models import Committee, Decision, Meeting
    from networks.models import (
        Binome,
        Enrolment,
        Network,
        Obstacle,
        Participant,
        Partnership,
        Roadmap,
        RoadmapAction,
    )
    from sessions.models import Registration, Session, TopicProposal, TopicVote

    call_command("migrate", verbosity=0)
    with transaction.atomic():
        from alliances.management.commands.load_demo import load_demo

        load_demo()
    if editions:
        import io

        call_command("generate_scale_data", editions=editions, seed=seed, stdout=io.StringIO())

    rng = random.Random(2018)
    today = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        programme = Programme.objects.create(
            name=f"Édition de démonstration — {networks} réseaux",
            slug=BENCH_SLUG,
            starts_on=dt.date(2019, 1, 1),
            ends_on=dt.date(2019, 12, 31),
            target_networks=networks,
            sponsors="Banc d'essai",
        )
        for number, title in enumerate(["Lancement", "Réalisation", "Évaluation"], start=1):
            phase = Phase.objects.create(
                programme=programme,
                number=number,
                title=title,
                starts_on=dt.date(2019, 1 + 4 * (number - 1), 1),
                ends_on=dt.date(2019, 4 * number, 28),
            )
            for letter in "abc":
                done = rng.random() < 0.6
                Step.objects.create(
                    phase=phase,
                    letter=letter,
                    title=f"Étape {number}{letter}",
                    status=Step.Status.DONE if done else Step.Status.PLANNED,
                    due_on=dt.date(2019, 4 * number, 15),
                    done_on=dt.date(2019, 4 * number, 10) if done else None,
                )
        sessions = [
            Session.objects.create(
                programme=programme,
                number=n,
                code=f"S{n}",
                title=f"Session {n}",
                starts_at=now - dt.timedelta(days=200 - 40 * n),
                ends_at=now - dt.timedelta(days=200 - 40 * n) + dt.timedelta(hours=7),
                topic_vote_closed_at=now - dt.timedelta(days=90) if n == 3 else None,
                topic="La co-construction territoriale" if n == 3 else "",
            )
            for n in range(1, 5)
        ]
        network_rows = Network.objects.bulk_create(
            [Network(name=f"Réseau de démonstration n° {i:03d}", acronym=f"RD{i:03d}") for i in range(networks)]
        )
        statuses = [Enrolment.Status.PENDING, Enrolment.Status.SOLICITED]
        extra = Network.objects.bulk_create(
            [Network(name=f"Réseau sollicité n° {i:03d}") for i in range(networks // 4)]
        )
        enrolments = Enrolment.objects.bulk_create(
            [Enrolment(programme=programme, network=n, status=Enrolment.Status.AGREED) for n in network_rows]
            + [Enrolment(programme=programme, network=n, status=rng.choice(statuses)) for n in extra]
        )
        agreed = enrolments[:networks]
        password = make_password(None)
        users = User.objects.bulk_create(
            [
                User(email=f"bench{i}@example.org", first_name=f"Prénom{i}", last_name=f"Nom{i}", password=password)
                for i in range(2 * networks)
            ]
        )
        binomes = Binome.objects.bulk_create([Binome(enrolment=e) for e in agreed])
        participants = Participant.objects.bulk_create(
            [
                Participant(user=users[2 * i + k], enrolment=e, binome=binomes[i] if (k == 0 or i % 3) else None)
                for i, e in enumerate(agreed)
                for k in range(2)
            ]
        )
        Registration.objects.bulk_create(
            [
                Registration(
                    session=s,
                    participant=p,
                    rsvp=Registration.Rsvp.CONFIRMED,
                    attendance=rng.choice(["present", "present", "present", "absent", "excused"])
                    if s.number <= 3
                    else "",
                )
                for s in sessions
                for p in participants
            ]
        )
        types = Partnership.PartnerType.values
        forms = Partnership.CompanyForm.values
        rows = []
        for e in agreed:
            for k in range(rng.randint(2, 9)):
                private = rng.random() < 0.35
                rows.append(
                    Partnership(
                        enrolment=e,
                        partner_name=f"Partenaire {e.pk}-{k}",
                        family=Partnership.Family.PRIVATE if private else rng.choice(["peer", "public"]),
                        partner_type=Partnership.PartnerType.COMPANY if private else rng.choice(types),
                        company_form=rng.choice(forms) if private else "",
                        scale=rng.choice(Partnership.Scale.values),
                        depth=rng.randint(1, 3),
                    )
                )
        Partnership.objects.bulk_create(rows)
        Obstacle.objects.bulk_create(
            [
                Obstacle(
                    enrolment=e,
                    category=rng.choice(Obstacle.Category.values),
                    description="Frein de démonstration",
                    severity=rng.randint(1, 3),
                )
                for e in agreed
                for _ in range(3)
            ]
        )
        proposals = TopicProposal.objects.bulk_create(
            [TopicProposal(session=sessions[2], title=f"Sujet proposé {k}") for k in range(5)]
        )
        TopicVote.objects.bulk_create(
            [TopicVote(proposal=rng.choice(proposals), participant=p) for p in participants if rng.random() < 0.8]
        )
        roadmaps = Roadmap.objects.bulk_create([Roadmap(enrolment=e, title="Feuille de route") for e in agreed])
        action_statuses = RoadmapAction.Status.values
        actions = []
        for r in roadmaps:
            for k in range(5):
                status = rng.choice(action_statuses)
                actions.append(
                    RoadmapAction(
                        roadmap=r,
                        title=f"Action {k}",
                        status=status,
                        due_on=today + dt.timedelta(days=rng.randint(-60, 120)),
                        done_on=today if status == RoadmapAction.Status.DONE else None,
                    )
                )
        RoadmapAction.objects.bulk_create(actions)
        committee = Committee.objects.create(programme=programme, kind="steering", name="Comité de pilotage")
        meeting = Meeting.objects.create(committee=committee, title="Réunion de mi-parcours", held_on=today)
        Decision.objects.bulk_create(
            [Decision(meeting=meeting, title=f"Décision {k}", due_on=today + dt.timedelta(days=k)) for k in range(10)]
        )
        # Questionnaires: feedback on S1..S3, competencies before and after.
        competencies = Competency.objects.bulk_create(
            [Competency(programme=programme, order=k, name=f"Compétence {k}") for k in range(1, 7)]
        )
        opened = now - dt.timedelta(days=150)
        answers = []
        for session in sessions[:3]:
            questionnaire = Questionnaire.objects.create(
                programme=programme,
                kind=Questionnaire.Kind.SESSION_FEEDBACK,
                session=session,
                title=f"Retour {session.code}",
                opens_at=opened,
            )
            question = Question.objects.create(questionnaire=questionnaire, order=1, text="Satisfaction ?")
            responses = Response.objects.bulk_create(
                [Response(questionnaire=questionnaire, participant=p) for p in participants if rng.random() < 0.7]
            )
            answers += [Answer(response=r, question=question, value=rng.randint(2, 5)) for r in responses]
        for kind in (Questionnaire.Kind.COMPETENCY_PRE, Questionnaire.Kind.COMPETENCY_POST):
            questionnaire = Questionnaire.objects.create(programme=programme, kind=kind, title=kind, opens_at=opened)
            questions = [
                Question.objects.create(questionnaire=questionnaire, order=c.order, text=c.name, competency=c)
                for c in competencies
            ]
            responses = Response.objects.bulk_create(
                [Response(questionnaire=questionnaire, participant=p) for p in participants[: int(1.6 * networks)]]
            )
            answers += [
                Answer(response=r, question=q, value=rng.randint(1, 3) + (2 if kind.endswith("post") else 0))
                for r in responses
                for q in questions
            ]
        Answer.objects.bulk_create(answers, batch_size=2000)


# --- Measures ----------------------------------------------------------------------------------


def measure(slug, runs):
    """One edition's figures, in this (fresh) process."""
    import resource
    import tracemalloc

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from alliances import documents
    from alliances.models import Programme
    from networks.models import Participant

    programme = Programme.objects.get(slug=slug)
    kind = documents.get_kind("dashboard")

    def fresh_report():
        return documents.report_request(kind="dashboard", programme=programme, parameters={}, enqueue=False)

    documents.report_render(fresh_report().pk)  # warm-up: fonts, templates, imports

    totals, datas, templates, weasy, pages = [], [], [], [], None
    for _ in range(runs):
        report = fresh_report()
        start = time.perf_counter()
        report = documents.report_render(report.pk)
        totals.append(time.perf_counter() - start)
        assert report.status == "ready", report.error
        pages = report.pages

        start = time.perf_counter()
        context = kind.build_context(programme, report.parameters)
        datas.append(time.perf_counter() - start)
        start = time.perf_counter()
        html = documents.render_html(kind.template_name, context, programme=programme)
        templates.append(time.perf_counter() - start)
        start = time.perf_counter()
        documents.html_to_pdf(html)
        weasy.append(time.perf_counter() - start)

    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        kind.build_context(programme, {})

    tracemalloc.start()
    documents.report_render(fresh_report().pk)
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    total, data, template, pdf = (statistics.median(v) for v in (totals, datas, templates, weasy))
    return {
        "edition": programme.name,
        "networks": programme.enrolments.filter(status="agreed").count(),
        "participants": Participant.objects.filter(enrolment__programme=programme, enrolment__status="agreed").count(),
        "total_s": round(total, 3),
        "data_s": round(data, 3),
        "template_s": round(template, 3),
        "weasyprint_s": round(pdf, 3),
        "data_share": round(data / total, 3),
        "weasyprint_share": round(pdf / total, 3),
        "queries": len(queries),
        "pages": pages,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "traced_peak_mb": round(traced_peak / 1024 / 1024, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--editions", type=int, default=0, help="also load N generate_scale_data editions in the database (e.g. 100)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of generate_scale_data (with --editions)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one edition, in a fresh process
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:
        setup_django(args.data_dir)
        print(json.dumps(measure(args.measure, args.runs)))
        return

    data_dir = Path(tempfile.mkdtemp(prefix="alliances-bench-pdf-"))
    try:
        setup_django(data_dir)
        start = time.perf_counter()
        build_database(args.networks, args.editions, args.seed)
        scale = f", avec {args.editions} éditions de generate_scale_data" if args.editions else ""
        print(f"Base de test construite en {time.perf_counter() - start:.1f} s dans {data_dir}{scale}")
        from alliances.pilot import PILOT_SLUG

        results = []
        for slug in (PILOT_SLUG, BENCH_SLUG):
            completed = subprocess.run(
                [sys.executable, __file__, "--measure", slug, "--data-dir", str(data_dir), "--runs", str(args.runs)],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            results.append(json.loads(completed.stdout.strip().splitlines()[-1]))
        print_table(results)
    finally:
        if args.keep:
            print(f"Dossier conservé : {data_dir}")
        else:
            import shutil

            shutil.rmtree(data_dir, ignore_errors=True)


def print_table(results):
    rows = [
        ("réseaux en accord / participants", lambda r: f"{r['networks']} / {r['participants']}"),
        ("total (report_render)", lambda r: f"{r['total_s']:.2f} s"),
        ("collecte des données (build_context)", lambda r: f"{r['data_s']:.3f} s ({r['queries']} requêtes)"),
        ("gabarit HTML", lambda r: f"{r['template_s']:.3f} s"),
        ("WeasyPrint seul (même HTML)", lambda r: f"{r['weasyprint_s']:.2f} s"),
        ("part des données / total", lambda r: f"{100 * r['data_share']:.1f} % (objectif ≤ 20 %)"),
        ("part de WeasyPrint / total", lambda r: f"{100 * r['weasyprint_share']:.1f} %"),
        ("pages", lambda r: str(r["pages"])),
        ("mémoire : pic RSS du processus", lambda r: f"{r['peak_rss_mb']} Mo"),
        ("mémoire : pic des allocations Python", lambda r: f"{r['traced_peak_mb']} Mo"),
    ]
    width = max(len(label) for label, _ in rows) + 2
    header = "".join(f"{r['edition'][:38]:>40}" for r in results)
    print(f"{'':<{width}}{header}")
    for label, value in rows:
        print(f"{label:<{width}}" + "".join(f"{value(r):>40}" for r in results))
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
