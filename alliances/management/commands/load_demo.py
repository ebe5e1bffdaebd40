"""``manage.py load_demo``: clearly fictional demo data on top of the 2018 pilot, and demo accounts.

Loads the pilot first (so ``load_demo`` alone is enough), then each app's demo part (its
``demo.py``, registered in :data:`alliances.loaders.demo_loaders`), in their declared order and in
one transaction; then, in the same order, each app's part of a fictional *current* edition
(``alliances/demo.py``), dated relative to the day it is first created, which the demo coordinator
coordinates and two demo participants take part in. Idempotent: deterministic data found by natural
keys, so a second run creates no row and changes no value — on a later day too (the current
edition keeps the dates of the day it was created). Prints the demo logins and their shared
password, and which of them see the current edition.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from alliances.demo import (  # noqa: F401 — the demo's accounts, named here too for the tests and bench scripts
    COORDINATOR_EMAIL,
    CURRENT_SLUG,
    DEMO_PASSWORD,
    MANAGER_EMAIL,
    PROGRAMME_MANAGERS_GROUP,
    SUPERUSER_EMAIL,
    programme_managers_group,
)
from alliances.loaders import DemoRun, demo_loaders
from alliances.management.commands.load_pilot_programme import (
    created_message,
    load_pilot_programme,
    pilot_summary,
    project_row_count,
)
from alliances.models import Programme
from alliances.pilot import demo_password_hash


def load_demo(password=DEMO_PASSWORD):
    """Load the pilot, then every app's demo data and its part of the current edition, in order.

    Return the pilot programme and the demo accounts as (role, email). Call inside a transaction.
    """
    loaders = demo_loaders.ordered()  # a loader missing its prerequisite is refused before anything is written
    programme = load_pilot_programme()
    run = DemoRun(pilot=programme, password=password, password_hash=demo_password_hash(password))
    for loader in loaders:
        loader.load(run)
    for loader in loaders:
        loader.load_current(run)
    return programme, [account for loader in loaders for account in loader.accounts(run)]


def demo_summary(programme):
    """Every app's lines about its demo data of the pilot, in French."""
    return "\n".join(line for loader in demo_loaders.ordered() for line in loader.summary(programme))


def current_edition_summary(current):
    """Who sees the current edition, and what is happening in it, in French."""
    loaders = demo_loaders.ordered()
    lines = [line for loader in loaders for line in loader.current_summary(current)]
    viewers = [viewer for loader in loaders for viewer in loader.viewers(current)]
    return "\n".join([*lines, f"  La voient : {', '.join(viewers)}."])


class Command(BaseCommand):
    help = (
        "Charge le programme pilote puis des données de démonstration fictives (réseaux, participants, "
        "inscriptions, partenariats, feuilles de route) et des comptes de démonstration (idempotent)."
    )

    def handle(self, *args, **options):
        before = project_row_count()
        with transaction.atomic():
            programme, accounts = load_demo()
        self.stdout.write(self.style.SUCCESS("Données de démonstration chargées."))
        self.stdout.write(pilot_summary(programme))
        self.stdout.write(demo_summary(programme))
        self.stdout.write(current_edition_summary(Programme.objects.get(slug=CURRENT_SLUG)))
        self.stdout.write(created_message(before, project_row_count()))
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Comptes de démonstration"))
        width = max(len(email) for _, email in accounts)
        for role, email in accounts:
            self.stdout.write(f"  {email:<{width}}  {role}")
        self.stdout.write(f"  Mot de passe commun : {DEMO_PASSWORD}")
        self.stdout.write("  (Les autres participants fictifs ont le même mot de passe.)")
        if not settings.DEBUG:
            self.stdout.write(
                self.style.WARNING(
                    "Attention : DEBUG est désactivé. Ces comptes ont un mot de passe public : "
                    "ne chargez pas la démonstration sur une plateforme en production."
                )
            )
