"""The core's part of the demo's *current* edition: a fictional edition under way, beside the 2018 pilot.

So that a newcomer sees a living edition on ``make run``: it started two months before the day it
was created, its first session is past, the second is in 6 days with answers missing, a
questionnaire is open and a committee meeting is 10 days ahead. Each app's ``demo.py`` has a
``load_current`` that adds its part; ``load_demo`` calls them in dependency order.

Every date is relative to the edition's *anchor day*, the day ``load_demo`` first created it,
read back from the edition afterwards (its start is the anchor minus :data:`STARTED_DAYS_AGO`).
So a second run, the same day or any later day, computes the same rows and changes nothing: the
edition ages like a real one (its session in 6 days is past a week later). To get a fresh one,
delete the edition in the admin (or start from an empty data folder) and run ``load_demo`` again.
"""

import datetime as dt

from django.utils import timezone

from alliances.models import Phase, Programme, Step, Theme
from alliances.pilot import THEMES, upsert, upsert_many

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
