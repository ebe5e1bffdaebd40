"""``manage.py load_pilot_programme``: the 2018 pilot edition as the note describes it (DESIGN §5).

Idempotent: a second run creates no row and changes no value. Each app loads its own part; this
command, the top layer, calls them in dependency order inside one transaction.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from alliances import pilot as core_pilot
from evaluation import pilot as evaluation_pilot
from governance import pilot as governance_pilot
from governance.models import Committee
from sessions import pilot as sessions_pilot

PROJECT_APPS = ("alliances", "networks", "programme_sessions", "governance", "evaluation")


def project_row_count():
    """Rows in the project's tables (many-to-many links included): tells what a run created."""
    return sum(
        model.objects.count()
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    )


def load_pilot_programme():
    """Load the whole pilot edition; return its Programme. Call inside a transaction."""
    programme = core_pilot.load()
    sessions_pilot.load(programme)
    governance_pilot.load(programme)
    evaluation_pilot.load(programme)
    return programme


def pilot_summary(programme):
    """A short French description of the edition as it stands in the database."""
    order = list(Committee.Kind.values)  # steering, orientation, technical
    committees = sorted(programme.committees.all(), key=lambda committee: order.index(committee.kind))
    sessions = programme.sessions.order_by("number")
    seats = ", ".join(f"{c.get_kind_display()} : {c.members.count()} membres" for c in committees)
    return "\n".join(
        [
            f"Édition « {programme.name} » ({programme.slug}), "
            f"du {programme.starts_on:%d/%m/%Y} au {programme.ends_on:%d/%m/%Y}, "
            f"{programme.target_networks} réseaux visés.",
            f"  {programme.phases.count()} phases, "
            f"{sum(phase.steps.count() for phase in programme.phases.all())} étapes, "
            f"{programme.themes.count()} thématiques.",
            "  Sessions : " + ", ".join(f"{s.code} {s.title}" for s in sessions) + ".",
            f"  Comités — {seats}.",
            f"  {sum(c.meetings.count() for c in committees)} réunions de comité, "
            f"{programme.competencies.count()} compétences, {programme.resources.count()} ressource(s).",
        ]
    )


def created_message(before, after):
    created = after - before
    if created == 0:
        return "Déjà à jour : aucun enregistrement créé."
    return f"{created} enregistrement(s) créé(s)."


class Command(BaseCommand):
    help = "Charge l'édition pilote 2018 du Parcours d'expérience Alliances innovantes (idempotent)."

    def handle(self, *args, **options):
        before = project_row_count()
        with transaction.atomic():
            programme = load_pilot_programme()
        self.stdout.write(self.style.SUCCESS("Programme pilote chargé."))
        self.stdout.write(pilot_summary(programme))
        self.stdout.write(created_message(before, project_row_count()))
