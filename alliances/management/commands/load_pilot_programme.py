"""``manage.py load_pilot_programme``: the 2018 pilot edition as the note describes it (DESIGN §5).

Idempotent: a second run creates no row and changes no value. Each app loads its own part in its
``pilot.py`` (registered in :data:`alliances.loaders.pilot_loaders`); this command runs them in
their declared order inside one transaction, then prints their summary.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from alliances.loaders import PilotRun, figures_line, pilot_loaders

PROJECT_APPS = ("alliances", "networks", "programme_sessions", "governance", "evaluation")


def project_row_count():
    """Rows in the project's tables (many-to-many links included): tells what a run created."""
    return sum(
        model.objects.count()
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    )


def load_pilot_programme():
    """Load the whole pilot edition, every app's part in order; return its Programme. Call inside a transaction."""
    run = PilotRun()
    for loader in pilot_loaders.ordered():
        loader.load(run)
    return run.programme


def pilot_summary(programme):
    """A short French description of the edition as it stands in the database, every app's lines."""
    loaders = pilot_loaders.ordered()
    lines = [line for loader in loaders for line in loader.summary(programme)]
    return "\n".join([*lines, figures_line([figure for loader in loaders for figure in loader.figures(programme)])])


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
