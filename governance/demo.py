"""Demo data of the governance app, on top of the pilot's committees.

A demo account sits on the steering and orientation committees (the DJEPVA seats), and the
orientation committee's three meetings have fictional attendance, minutes and decisions.
Deterministic: a seeded random generator and natural keys, so a second run changes nothing.
"""

import datetime as dt
import random

from alliances.loaders import DemoLoader, DemoRun, demo_loaders
from alliances.pilot import update, upsert, upsert_many, upsert_user
from governance import pilot as governance_pilot
from governance.models import Committee, CommitteeMember, Decision, Meeting, MeetingAttendance

COMMITTEE_MEMBER_EMAIL = "comite@alliances.localhost"
COMMITTEE_MEMBER_SEAT = "DJEPVA"
COMMITTEE_MEMBER_COMMITTEES = [Committee.Kind.STEERING, Committee.Kind.ORIENTATION]

# meeting title: (minutes, decisions as (title, owner, due date, status))
DecisionStatus = Decision.Status
Presence = MeetingAttendance.Status
MEETINGS = {
    "Réunion de lancement": (
        "Compte rendu fictif (données de démonstration). Le comité a pris connaissance du calendrier du "
        "parcours et des réseaux pilotes retenus ; il souhaite un point d'étape à mi-parcours sur "
        "l'assiduité et les premiers enseignements.",
        [
            (
                "Valider le questionnaire d'auto-évaluation des compétences (pré)",
                "Le RAMEAU",
                dt.date(2018, 4, 13),
                DecisionStatus.DONE,
            ),
            ("Compléter le groupe jusqu'à 12 réseaux pilotes", "DJEPVA", dt.date(2018, 5, 31), DecisionStatus.DROPPED),
        ],
    ),
    "Réunion de mi-parcours": (
        "Compte rendu fictif (données de démonstration). Les sessions S1 et S2 ont réuni la plupart des "
        "binômes ; le sujet de S3 a été voté par les participants. Le comité demande de préparer les "
        "critères d'un déploiement à grande échelle.",
        [
            (
                "Rédiger une note sur les conditions du déploiement",
                "Le RAMEAU",
                dt.date(2018, 11, 30),
                DecisionStatus.DONE,
            ),
            (
                "Associer un décideur institutionnel à la session S4",
                "DJEPVA",
                dt.date(2018, 10, 31),
                DecisionStatus.DONE,
            ),
        ],
    ),
    "Réunion de clôture": (
        "Compte rendu fictif (données de démonstration). Chaque réseau pilote repart avec sa feuille de "
        "route ; le comité recommande un déploiement progressif par vagues régionales.",
        [
            (
                "Diffuser le rapport d'évaluation aux réseaux pilotes",
                "Le RAMEAU",
                dt.date(2019, 1, 31),
                DecisionStatus.DONE,
            ),
            (
                "Étudier le financement d'une deuxième édition",
                "DJEPVA",
                dt.date(2019, 6, 30),
                DecisionStatus.IN_PROGRESS,
            ),
        ],
    ),
}


def load(programme, *, password, password_hash):
    """Load the committee member's account and the orientation meetings' records; return the user."""
    rng = random.Random(2018)
    user = upsert_user(
        COMMITTEE_MEMBER_EMAIL,
        password=password,
        password_hash=password_hash,
        first_name="Dominique",
        last_name="Exemple",
    )
    seats = CommitteeMember.objects.filter(
        committee__programme=programme,
        committee__kind__in=COMMITTEE_MEMBER_COMMITTEES,
        organisation__name=COMMITTEE_MEMBER_SEAT,
    )
    for seat in seats:
        update(seat, user=user)

    orientation = programme.committees.get(kind=Committee.Kind.ORIENTATION)
    # A seat still « en cours de validation » has no one to attend yet.
    members = list(orientation.members.filter(pending_validation=False).order_by("organisation__name", "person_name"))
    meetings = {meeting.title: meeting for meeting in orientation.meetings.filter(title__in=MEETINGS)}
    attendance, decisions = [], []
    for title, (minutes, meeting_decisions) in MEETINGS.items():
        meeting = meetings[title]
        update(meeting, minutes=minutes)
        for member in members:
            draw = rng.random()
            status = Presence.PRESENT if draw < 0.75 else Presence.EXCUSED if draw < 0.95 else Presence.ABSENT
            attendance.append({"meeting": meeting, "member": member, "status": status})
        decisions += [
            {"meeting": meeting, "title": decision, "owner": owner, "due_on": due_on, "status": status}
            for decision, owner, due_on, status in meeting_decisions
        ]
    upsert_many(MeetingAttendance, attendance, key=("meeting", "member"))
    upsert_many(Decision, decisions, key=("meeting", "title"))
    return user


# --- The current edition (alliances/demo.py) -------------------------------------------------

CURRENT_MEETING = {
    "title": "Point d'étape du comité de pilotage",
    "days": 10,
    "agenda": (
        "1. Bilan de la session S1 et réponses à la session S2\n"
        "2. Réseaux à suivre et bilatérales restant à tenir\n"
        "3. Préparation de la session S3"
    ),
}


def load_current(programme, *, anchor, committee_member):
    """The current edition's steering committee (DJEPVA, Le RAMEAU; the demo committee member on the
    DJEPVA seat) and its next meeting, 10 days after the anchor."""
    organisations = governance_pilot.load_organisations()
    name, mission, org_names, _persons, _private = governance_pilot.COMMITTEES[Committee.Kind.STEERING]
    committee, _ = upsert(
        Committee, {"programme": programme, "kind": Committee.Kind.STEERING}, {"name": name, "mission": mission}
    )
    upsert_many(
        CommitteeMember,
        [
            {
                "committee": committee,
                "organisation": organisations[org_name],
                "user": committee_member if org_name == COMMITTEE_MEMBER_SEAT else None,
            }
            for org_name in org_names
        ],
        key=("committee", "organisation"),
    )
    upsert(
        Meeting,
        {"committee": committee, "title": CURRENT_MEETING["title"]},
        {
            "held_on": anchor + dt.timedelta(days=CURRENT_MEETING["days"]),
            "starts_at": dt.time(14, 0),
            "location": "Paris",
            "agenda": CURRENT_MEETING["agenda"],
        },
    )
    return committee


@demo_loaders.register
class GovernanceDemo(DemoLoader):
    key = "governance"
    order = 40
    after = ("alliances",)

    def load(self, run: DemoRun) -> None:
        run.shared["committee_member"] = load(run.pilot, **run.credentials)

    def load_current(self, run: DemoRun) -> None:
        load_current(run.current, anchor=run.anchor, committee_member=run.shared["committee_member"])

    def accounts(self, run: DemoRun) -> list[tuple[str, str]]:
        return [("Membre des comités de pilotage et d'orientation", run.shared["committee_member"].email)]

    def viewers(self, current) -> list[str]:
        return [f"{COMMITTEE_MEMBER_EMAIL} (comité de pilotage)"]
