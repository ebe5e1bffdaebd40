"""The core's part of the demo: the demo accounts, and a fictional *current* edition beside the 2018 pilot.

The accounts: a superuser, a coordinator of both editions (staff, not a superuser) and a programme
manager (in the group « Responsables de programme »), all with the password ``load_demo`` prints.

So that a newcomer sees a living edition on ``make run``: it started two months before the day it
was created, its first session is past, the second is in 6 days with answers missing, a
questionnaire is open and a committee meeting is 10 days ahead. Each app's ``demo.py`` has a
``load_current`` that adds its part, registered in :data:`alliances.loaders.demo_loaders`;
``load_demo`` runs them in their declared order (this module's loader first).

Every date is relative to the edition's *anchor day*, the day ``load_demo`` first created it,
read back from the edition afterwards (its start is the anchor minus :data:`STARTED_DAYS_AGO`).
So a second run, the same day or any later day, computes the same rows and changes nothing: the
edition ages like a real one (its session in 6 days is past a week later). To get a fresh one,
delete the edition in the admin (or start from an empty data folder) and run ``load_demo`` again.
"""

import datetime as dt

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from alliances.loaders import DemoLoader, DemoRun, demo_loaders
from alliances.models import MANAGE_PROGRAMMES, Phase, Programme, Step, Theme
from alliances.pilot import THEMES, upsert, upsert_many, upsert_user

DEMO_PASSWORD = "alliances-demo-2018"
SUPERUSER_EMAIL = "admin@alliances.localhost"
COORDINATOR_EMAIL = "coordination@alliances.localhost"
MANAGER_EMAIL = "responsable@alliances.localhost"
# The group that gives « Peut créer et dupliquer des éditions » (a name shown in the admin, not a msgid).
PROGRAMME_MANAGERS_GROUP = "Responsables de programme"

CURRENT_SLUG = "alliances-innovantes-edition-en-cours"
STARTED_DAYS_AGO = 60

PROGRAMME = {
    "name": "Parcours Alliances innovantes — édition en cours (démonstration)",
    "description": (
        "Édition fictive de démonstration, en cours : elle a commencé il y a deux mois, sa deuxième session "
        "approche et toutes les réponses ne sont pas arrivées. Ses dates suivent le jour où la démonstration "
        "a été chargée."
    ),
    "sponsors": "Ministère en charge de la Vie Associative, Le RAMEAU",
    "target_networks": 6,
    "session_reminder_days": "7,1",
    "meeting_reminder_days": "7",
}

# (number, title, first day, last day, steps); days count from the anchor; a step is
# (letter, title, status, due day, done day). Step c of phase 1 is late: due, not done.
Status = Step.Status
PHASES = [
    (
        1,
        "Lancement de l'édition",
        -60,
        -15,
        [
            ("a", "Constitution du comité de pilotage", Status.DONE, -45, -47),
            ("b", "Adaptation du programme et du contenu pédagogique", Status.DONE, -30, -31),
            ("c", "Bilatérales de lancement avec chaque réseau", Status.IN_PROGRESS, -5, None),
        ],
    ),
    (
        2,
        "Réalisation du parcours",
        -14,
        150,
        [
            ("a", "Sessions collectives, suivi individuel et visites terrain", Status.IN_PROGRESS, 150, None),
            ("b", "Animation de la communauté des réseaux", Status.IN_PROGRESS, 150, None),
            ("c", "Information et suivi auprès du comité de pilotage", Status.PLANNED, 150, None),
        ],
    ),
    (
        3,
        "Évaluation de l'édition",
        151,
        200,
        [
            ("a", "Évaluation de l'édition", Status.PLANNED, 185, None),
            ("b", "Bilan et suites", Status.PLANNED, 200, None),
        ],
    ),
]


def anchor_day(today=None):
    """The current edition's anchor: the day it was created, or ``today`` when it does not exist yet."""
    starts_on = Programme.objects.filter(slug=CURRENT_SLUG).values_list("starts_on", flat=True).first()
    if starts_on is not None:
        return starts_on + dt.timedelta(days=STARTED_DAYS_AGO)
    return today or timezone.localdate()


def on(anchor, days):
    return None if days is None else anchor + dt.timedelta(days=days)


def at(anchor, days, hour, minute=0):
    """An aware datetime ``days`` after the anchor at that local time."""
    return timezone.make_aware(dt.datetime.combine(on(anchor, days), dt.time(hour, minute)))


def load_current(anchor):
    """Create or update the current edition with its phases, steps and themes; return it."""
    programme, _ = upsert(
        Programme,
        {"slug": CURRENT_SLUG},
        {**PROGRAMME, "starts_on": on(anchor, -STARTED_DAYS_AGO), "ends_on": on(anchor, PHASES[-1][3])},
    )
    for number, title, first, last, steps in PHASES:
        phase, _ = upsert(
            Phase,
            {"programme": programme, "number": number},
            {"title": title, "starts_on": on(anchor, first), "ends_on": on(anchor, last)},
        )
        upsert_many(
            Step,
            [
                {
                    "phase": phase,
                    "letter": letter,
                    "title": step_title,
                    "status": status,
                    "due_on": on(anchor, due),
                    "done_on": on(anchor, done),
                }
                for letter, step_title, status, due, done in steps
            ],
            key=("phase", "letter"),
            initial=("status", "due_on", "done_on"),
        )
    upsert_many(
        Theme,
        [{"programme": programme, "title": title, "order": order} for order, title in enumerate(THEMES, start=1)],
        key=("programme", "title"),
    )
    return programme


def programme_managers_group():
    """The group « Responsables de programme », holding the programme managers' permission (idempotent)."""
    group, _created = Group.objects.get_or_create(name=PROGRAMME_MANAGERS_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="alliances", codename=MANAGE_PROGRAMMES))
    return group


def load_accounts(programme, *, password, password_hash):
    """The superuser, the coordinator (of ``programme``) and the programme manager; return the coordinator."""
    credentials = {"password": password, "password_hash": password_hash}
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
    return coordinator


@demo_loaders.register
class CoreDemo(DemoLoader):
    """The accounts, then the current edition (its phases, steps and themes) that every other app fills."""

    key = "alliances"
    order = 0

    def load(self, run: DemoRun) -> None:
        run.coordinator = load_accounts(run.pilot, **run.credentials)

    def load_current(self, run: DemoRun) -> None:
        run.anchor = anchor_day()
        run.current = load_current(run.anchor)
        run.current.coordinators.add(run.coordinator)

    def accounts(self, run: DemoRun) -> list[tuple[str, str]]:
        return [
            ("Super-administrateur", SUPERUSER_EMAIL),
            ("Coordination (pilote 2018 et édition en cours)", COORDINATOR_EMAIL),
            ("Responsable de programme (crée et duplique les éditions, les voit toutes)", MANAGER_EMAIL),
        ]

    def current_summary(self, current: Programme) -> list[str]:
        return [
            f"Édition en cours « {current.name} » ({current.slug}), du {current.starts_on:%d/%m/%Y} "
            f"au {current.ends_on:%d/%m/%Y} (dates fixées le jour de sa création)."
        ]

    def viewers(self, current: Programme) -> list[str]:
        return [f"{COORDINATOR_EMAIL} (coordination, cockpit /coordination/editions/{current.slug}/)"]
