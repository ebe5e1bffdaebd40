"""The governance of the 2018 pilot (DESIGN §5): organisations, the three committees, their seats
and the orientation committee's three meetings.

Organisations are shared between editions (found by name). Seats are found by organisation, or
by the person's name for a member in their own name (Valérie Leray). The private partner « en
cours de validation » is found by its role, so that the coordinators can name it in the admin
once confirmed (set the organisation, untick « en cours de validation ») without a re-run
bringing the placeholder back.
"""

import datetime as dt

from alliances.loaders import PilotLoader, PilotRun, pilot_loaders
from alliances.pilot import upsert, upsert_many
from governance.models import Committee, CommitteeMember, Meeting, Organisation

Kind = Organisation.Kind

# name: (kind, full name — blank where the short name is the usual one)
ORGANISATIONS = {
    "DJEPVA": (Kind.PUBLIC, "Direction de la jeunesse, de l'éducation populaire et de la vie associative"),
    "Le RAMEAU": (Kind.ASSOCIATIVE, ""),
    "ADASI": (
        Kind.ASSOCIATIVE,
        "Association pour le développement de l'accompagnement à la stratégie et à l'innovation de l'intérêt général",
    ),
    "AFF": (Kind.ASSOCIATIVE, "Association française des fundraisers"),
    "Avise": (Kind.ASSOCIATIVE, "Agence de valorisation des initiatives socio-économiques"),
    "Caisse des Dépôts": (Kind.PUBLIC, "Caisse des dépôts et consignations"),
    "CFF": (Kind.ASSOCIATIVE, "Centre français des fonds et fondations"),
    "CGET": (Kind.PUBLIC, "Commissariat général à l'égalité des territoires"),
    "Direction des Sports": (Kind.PUBLIC, "Direction des sports (ministère des Sports)"),
    "MEDEF": (Kind.PRIVATE, "Mouvement des entreprises de France"),
    "Mouvement Associatif": (Kind.ASSOCIATIVE, "Le Mouvement associatif"),
    "Opus 3": (Kind.CONSULTANCY, ""),
    "RNMA": (Kind.ASSOCIATIVE, "Réseau national des maisons des associations"),
    "RTES": (Kind.PUBLIC, "Réseau des collectivités territoriales pour une économie solidaire"),
    "Consult'In France": (Kind.CONSULTANCY, ""),
    "DLA": (Kind.CONSULTANCY, "Dispositif local d'accompagnement"),
}

PRIVATE_PARTNER_ROLE = "Partenaire privé"
PRIVATE_PARTNER_NAME = "Partenaire privé (en cours de validation)"
STEERING_ORGANISATIONS = ["DJEPVA", "Le RAMEAU"]

# kind: (name, mission, organisations, named persons as (name, role), with the pending private partner?)
COMMITTEES = {
    Committee.Kind.STEERING: (
        "Comité de pilotage et de suivi",
        "Pilote le programme : DJEPVA, Le RAMEAU et un partenaire privé (en cours de validation).",
        STEERING_ORGANISATIONS,
        [],
        True,
    ),
    Committee.Kind.ORIENTATION: (
        "Comité d'orientation",
        "Débat des orientations et des résultats du programme. Se réunit 3 fois : au lancement de "
        "l'initiative (mars 2018), à mi-chemin de l'expérimentation (septembre 2018) et à l'issue de la "
        "phase d'expérimentation (décembre 2018).",
        STEERING_ORGANISATIONS
        + [
            "ADASI",
            "AFF",
            "Avise",
            "Caisse des Dépôts",
            "CFF",
            "CGET",
            "Direction des Sports",
            "MEDEF",
            "Mouvement Associatif",
            "Opus 3",
            "RNMA",
            "RTES",
        ],
        [],
        True,
    ),
    Committee.Kind.TECHNICAL: (
        "Comité technique",
        "Débat des modalités pratiques et des choix méthodologiques du programme.",
        ["ADASI", "Consult'In France", "DLA", "Le RAMEAU", "Opus 3"],
        [("Valérie Leray", "consultante indépendante")],
        False,
    ),
}

# The orientation committee's meetings: the months are the note's; the days, hour, place and
# agendas are plausible planning data, written on creation only.
ORIENTATION_MEETINGS = [
    (
        "Réunion de lancement",
        dt.date(2018, 3, 20),
        "1. Présentation du parcours d'expérience « Alliances innovantes » et de son calendrier\n"
        "2. Présentation des réseaux associatifs pilotes\n"
        "3. Modalités d'évaluation du programme\n"
        "4. Rôle et fonctionnement du Comité d'orientation",
    ),
    (
        "Réunion de mi-parcours",
        dt.date(2018, 9, 18),
        "1. Bilan des sessions S1 et S2 et du suivi individuel des réseaux\n"
        "2. Sujet d'approfondissement retenu pour la session S3\n"
        "3. Premiers enseignements de l'expérimentation\n"
        "4. Premières pistes pour le déploiement",
    ),
    (
        "Réunion de clôture",
        dt.date(2018, 12, 18),
        "1. Résultats de l'évaluation du programme\n"
        "2. Feuilles de route des réseaux pilotes\n"
        "3. Recommandations pour un déploiement à grande échelle\n"
        "4. Suites à donner",
    ),
]


def load_organisations():
    """The shared organisations, by name; return them keyed by name."""
    rows = [{"name": name, "kind": kind, "full_name": full_name} for name, (kind, full_name) in ORGANISATIONS.items()]
    return {org.name: org for org in upsert_many(Organisation, rows, key=("name",))}


def load(programme):
    """Create or update the pilot's committees, their seats and the orientation meetings."""
    organisations = load_organisations()
    committees = {}
    for kind, (name, mission, org_names, persons, with_private_partner) in COMMITTEES.items():
        committee, _ = upsert(Committee, {"programme": programme, "kind": kind}, {"name": name, "mission": mission})
        committees[kind] = committee
        upsert_many(
            CommitteeMember,
            [{"committee": committee, "organisation": organisations[org_name]} for org_name in org_names],
            key=("committee", "organisation"),
        )
        for person_name, role in persons:
            upsert(
                CommitteeMember,
                {"committee": committee, "organisation": None, "person_name": person_name},
                {"role": role},
            )
        if with_private_partner:
            upsert(
                CommitteeMember,
                {"committee": committee, "role": PRIVATE_PARTNER_ROLE},
                initial={"person_name": PRIVATE_PARTNER_NAME, "pending_validation": True},
            )
    upsert_many(
        Meeting,
        [
            {
                "committee": committees[Committee.Kind.ORIENTATION],
                "title": title,
                "held_on": held_on,
                "starts_at": dt.time(14, 0),
                "location": "Paris",
                "agenda": agenda,
            }
            for title, held_on, agenda in ORIENTATION_MEETINGS
        ],
        key=("committee", "title"),
        initial=("held_on", "starts_at", "location", "agenda"),
    )
    return committees


def committees_in_order(programme):
    """The edition's committees: steering, orientation, technical."""
    order = list(Committee.Kind.values)
    return sorted(programme.committees.all(), key=lambda committee: order.index(committee.kind))


@pilot_loaders.register
class GovernancePilot(PilotLoader):
    key = "governance"
    order = 30
    after = ("alliances",)

    def load(self, run: PilotRun) -> None:
        load(run.programme)

    def summary(self, programme) -> list[str]:
        seats = ", ".join(
            f"{c.get_kind_display()} : {c.members.count()} membres" for c in committees_in_order(programme)
        )
        return [f"  Comités — {seats}."]

    def figures(self, programme) -> list[tuple[int, str]]:
        meetings = sum(committee.meetings.count() for committee in programme.committees.all())
        return [(10, f"{meetings} réunions de comité")]
