"""``manage.py load_demo``: clearly fictional demo data on top of the 2018 pilot, and demo accounts.

Loads the pilot first (so ``load_demo`` alone is enough), then each app's demo part, in one
transaction; then a fictional *current* edition (``alliances/demo.py``), dated relative to the day
it is first created, which the demo coordinator coordinates and two demo participants take part in.
Idempotent: deterministic data found by natural keys, so a second run creates no row and changes
no value — on a later day too (the current edition keeps the dates of the day it was created).
Prints the demo logins and their shared password, and which of them see the current edition.
"""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from alliances import demo as core_demo
from alliances.management.commands.load_pilot_programme import (
    created_message,
    load_pilot_programme,
    pilot_summary,
    project_row_count,
)
from alliances.models import MANAGE_PROGRAMMES, Programme
from alliances.pilot import demo_password_hash, upsert_user
from evaluation import demo as evaluation_demo
from governance import demo as governance_demo
from networks import demo as networks_demo
from networks.models import Enrolment
from sessions import demo as sessions_demo

DEMO_PASSWORD = "alliances-demo-2018"
SUPERUSER_EMAIL = "admin@alliances.localhost"
COORDINATOR_EMAIL = "coordination@alliances.localhost"
MANAGER_EMAIL = "responsable@alliances.localhost"
# The group that gives « Peut créer et dupliquer des éditions » (a name shown in the admin, not a msgid).
PROGRAMME_MANAGERS_GROUP = "Responsables de programme"


def programme_managers_group():
    """The group « Responsables de programme », holding the programme managers' permission (idempotent)."""
    group, _created = Group.objects.get_or_create(name=PROGRAMME_MANAGERS_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="alliances", codename=MANAGE_PROGRAMMES))
    return group


def load_demo(password=DEMO_PASSWORD):
    """Load the pilot, the demo accounts and every app's demo data; return the programme and the accounts.

    Call inside a transaction.
    """
    programme = load_pilot_programme()
    credentials = {"password": password, "password_hash": demo_password_hash(password)}
    upsert_user(SUPERUSER_EMAIL, **credentials, first_name="Admin", last_name="Démo", is_staff=True, is_superuser=True)
    # A coordinator manages the editions they coordinate: staff, but not a superuser.
    coordinator = upsert_user(
        COORDINATOR_EMAIL,
        **credentials,
        first_name="Camille",
        last_name="Coordination",
        is_staff=True,
        is_superuser=False,
    )
    programme.coordinators.add(coordinator)
    # A programme manager creates and duplicates editions and sees them all: staff, not a superuser.
    manager = upsert_user(
        MANAGER_EMAIL,
        **credentials,
        first_name="Dominique",
        last_name="Responsable",
        is_staff=True,
        is_superuser=False,
    )
    manager.groups.add(programme_managers_group())
    participants = networks_demo.load(programme, **credentials)
    sessions_demo.load(programme, participants=participants, coordinator=coordinator)
    evaluation_demo.load(programme, participants=participants)
    committee_member = governance_demo.load(programme, **credentials)
    load_current_edition(coordinator=coordinator, committee_member=committee_member, credentials=credentials)
    accounts = [
        ("Super-administrateur", SUPERUSER_EMAIL),
        ("Coordination (pilote 2018 et édition en cours)", COORDINATOR_EMAIL),
        ("Responsable de programme (crée et duplique les éditions, les voit toutes)", MANAGER_EMAIL),
        *[
            (f"Participant·e — {participant.enrolment.network.acronym}", participant.user.email)
            for participant in participants
            if participant.user.email in networks_demo.DEMO_PARTICIPANT_EMAILS
        ],
        ("Membre des comités de pilotage et d'orientation", committee_member.email),
    ]
    return programme, accounts


def load_current_edition(*, coordinator, committee_member, credentials):
    """The fictional edition under way, every app's part of it; return it. Call inside a transaction."""
    anchor = core_demo.anchor_day()
    current = core_demo.load_current(anchor)
    current.coordinators.add(coordinator)
    participants = networks_demo.load_current(current, anchor=anchor, **credentials)
    sessions = sessions_demo.load_current(current, anchor=anchor, participants=participants, coordinator=coordinator)
    evaluation_demo.load_current(current, anchor=anchor, participants=participants, sessions=sessions)
    governance_demo.load_current(current, anchor=anchor, committee_member=committee_member)
    return current


def current_edition_summary(current):
    """Who sees the current edition, and what is happening in it, in French."""
    next_session = current.sessions.filter(starts_at__gt=timezone.now()).order_by("starts_at").first()
    logins = [
        email for email in networks_demo.DEMO_PARTICIPANT_EMAILS if current.participants.filter(user__email=email)
    ]
    lines = [
        f"Édition en cours « {current.name} » ({current.slug}), du {current.starts_on:%d/%m/%Y} "
        f"au {current.ends_on:%d/%m/%Y} (dates fixées le jour de sa création).",
    ]
    if next_session:
        lines.append(
            f"  Prochaine session : {next_session.code} le {timezone.localtime(next_session.starts_at):%d/%m/%Y}, "
            "des réponses manquent ; son rappel part avec la tâche périodique (make run)."
        )
    lines += [
        f"  La voient : {COORDINATOR_EMAIL} (coordination, cockpit /coordination/editions/{current.slug}/), "
        f"{', '.join(logins)} (participants), {governance_demo.COMMITTEE_MEMBER_EMAIL} (comité de pilotage).",
    ]
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Charge le programme pilote puis des données de démonstration fictives (réseaux, participants, "
        "inscriptions, partenariats, feuilles de route) et des comptes de démonstration (idempotent)."
    )

    def handle(self, *args, **options):
        before = project_row_count()
        with transaction.atomic():
            programme, accounts = load_demo()
        enrolments = programme.enrolments.all()
        counts = {status: enrolments.filter(status=status).count() for status in Enrolment.Status.values}
        self.stdout.write(self.style.SUCCESS("Données de démonstration chargées."))
        self.stdout.write(pilot_summary(programme))
        self.stdout.write(
            f"  Réseaux fictifs sollicités : {enrolments.count()} "
            f"({counts[Enrolment.Status.AGREED]} accords, {counts[Enrolment.Status.PENDING]} en attente, "
            f"{counts[Enrolment.Status.REFUSED]} refus) ; "
            f"{programme.enrolments.pilots().filter(participants__isnull=False).distinct().count()} réseaux pilotes "
            "avec leurs participants, partenariats, freins et feuille de route."
        )
        self.stdout.write(current_edition_summary(Programme.objects.get(slug=core_demo.CURRENT_SLUG)))
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
