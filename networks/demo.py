"""Demo data of the networks app: 15 clearly fictional networks solicited for the pilot.

As in the note: 9 accords, 4 en attente, 2 refus (temporalité). Each agreed network has its
participants (a binôme, or a single person for two of them), a partnership inventory, its
obstacles and a roadmap with dated actions. Every name is invented and every address is under
example.org. The data are deterministic (a seeded random generator, natural keys), so a second
run changes nothing.
"""

import datetime as dt
import random
import unicodedata

from alliances.loaders import DemoLoader, DemoRun, demo_loaders
from alliances.pilot import upsert, upsert_many, upsert_user
from networks.models import (
    Binome,
    Enrolment,
    Network,
    Obstacle,
    Participant,
    Partnership,
    Region,
    Roadmap,
    RoadmapAction,
)

AGREED, PENDING, REFUSED = Enrolment.Status.AGREED, Enrolment.Status.PENDING, Enrolment.Status.REFUSED
REFUSAL_REASON = "Temporalité non appropriée au projet associatif."

# (name, acronym, field of action, region codes, member associations, status)
NETWORKS = [
    ("Réseau fictif des épiceries solidaires", "RFES", "Solidarité alimentaire", ["IDF", "HDF", "GES"], 48, AGREED),
    ("Fédération fictive des jardins partagés", "FFJP", "Environnement et lien social", ["ARA", "OCC"], 120, AGREED),
    (
        "Union fictive des centres sociaux ruraux",
        "UFCSR",
        "Animation de la vie sociale",
        ["NAQ", "OCC", "CVL"],
        85,
        AGREED,
    ),
    ("Réseau fictif de l'insertion par le sport", "RFIS", "Sport et insertion", ["PAC", "ARA"], 36, AGREED),
    ("Fédération fictive des ressourceries", "FFR", "Économie circulaire", ["BRE", "PDL", "NOR"], 64, AGREED),
    (
        "Réseau fictif d'éducation populaire numérique",
        "RFEPN",
        "Éducation populaire et numérique",
        ["IDF", "BFC"],
        27,
        AGREED,
    ),
    (
        "Union fictive des associations de santé mentale",
        "UFASM",
        "Santé et prévention",
        ["GES", "HDF", "IDF"],
        52,
        AGREED,
    ),
    ("Réseau fictif des fab labs solidaires", "RFFLS", "Innovation sociale", ["OCC", "NAQ"], 19, AGREED),
    ("Réseau fictif de l'habitat inclusif", "RFHI", "Logement et habitat", ["ARA", "BFC", "LRE"], 41, AGREED),
    ("Fédération fictive des cultures de quartier", "FFCQ", "Culture", ["IDF", "PAC"], 73, PENDING),
    ("Réseau fictif de la mobilité solidaire", "RFMS", "Mobilité et emploi", ["CVL", "NOR"], 22, PENDING),
    ("Union fictive de l'aide à domicile", "UFAD", "Aide à domicile", ["BRE", "PDL"], 140, PENDING),
    ("Réseau fictif des repair cafés", "RFRC", "Environnement et réemploi", ["GES"], 31, PENDING),
    ("Fédération fictive des clubs de lecture", "FFCL", "Culture et lecture", ["NAQ"], 58, REFUSED),
    ("Réseau fictif de l'accès au droit", "RFAD", "Accès au droit", ["HDF", "MTQ"], 26, REFUSED),
]

# The agreed networks' participants, by acronym: (first name, last name, job title). Two of them
# take part alone; the others as a binôme.
PARTICIPANTS = {
    "RFES": [("Claire", "Moreau", "Déléguée générale"), ("Julien", "Lefèvre", "Responsable des partenariats")],
    "FFJP": [("Sophie", "Garnier", "Directrice"), ("Thomas", "Rousseau", "Chargé de mission partenariats")],
    "UFCSR": [("Nadia", "Benali", "Directrice générale"), ("Pierre", "Fontaine", "Administrateur bénévole")],
    "RFIS": [("Karim", "Haddad", "Directeur du développement"), ("Émilie", "Chevalier", "Chargée de mécénat")],
    "FFR": [("Hélène", "Marchand", "Présidente"), ("Antoine", "Giraud", "Responsable des partenariats")],
    "RFEPN": [("Lucie", "Perrin", "Coordinatrice nationale")],
    "UFASM": [("Mathieu", "Blanchard", "Délégué général"), ("Aurélie", "Lemoine", "Chargée de développement")],
    "RFFLS": [("Yann", "Le Gall", "Directeur")],
    "RFHI": [("Isabelle", "Roux", "Directrice"), ("Olivier", "Mercier", "Responsable des relations institutionnelles")],
}

# The two participants whose logins load_demo prints (two different networks).
DEMO_PARTICIPANT_EMAILS = ["claire.moreau@rfes.example.org", "sophie.garnier@ffjp.example.org"]

# (partner name, family, partner type); company forms are drawn for private partners only.
Family, PartnerType = Partnership.Family, Partnership.PartnerType
PARTNERS = [
    ("Fondation fictive Horizon solidaire", Family.PEER, PartnerType.ASSOCIATION),
    ("Association fictive Les Passerelles", Family.PEER, PartnerType.ASSOCIATION),
    ("Collectif fictif des acteurs de l'ESS", Family.PEER, PartnerType.ASSOCIATION),
    ("Chantier d'insertion fictif Les Ateliers du Val", Family.PEER, PartnerType.INSERTION),
    ("Ville fictive de Valbourg", Family.PUBLIC, PartnerType.LOCAL_AUTHORITY),
    ("Département fictif de la Haute-Vallée", Family.PUBLIC, PartnerType.LOCAL_AUTHORITY),
    ("Service fictif de l'État à la vie associative", Family.PUBLIC, PartnerType.STATE),
    ("Université fictive de Montclair", Family.PUBLIC, PartnerType.EDUCATION),
    ("Laboratoire fictif d'études sociales", Family.PUBLIC, PartnerType.RESEARCH),
    ("Entreprise fictive Solaris SA", Family.PRIVATE, PartnerType.COMPANY),
    ("Banque fictive du Littoral", Family.PRIVATE, PartnerType.COMPANY),
    ("Club d'entreprises fictif du Val", Family.PRIVATE, PartnerType.COMPANY),
    ("Fondation d'entreprise fictive Atlas", Family.PRIVATE, PartnerType.ASSOCIATION),
    ("Coopérative fictive Terres d'ici", Family.PRIVATE, PartnerType.COMPANY),
    ("Mutuelle fictive Prévoyance plus", Family.PRIVATE, PartnerType.OTHER),
    ("Groupe fictif Transports Azur", Family.PRIVATE, PartnerType.COMPANY),
]
# Roughly the forms' shares among associations partnering with companies (PHARE 2015).
Form = Partnership.CompanyForm
COMPANY_FORMS = [
    (Form.FINANCIAL_PATRONAGE, 30),
    (Form.IN_KIND_PATRONAGE, 15),
    (Form.SKILLS_PATRONAGE, 20),
    (Form.RESPONSIBLE_PRACTICES, 12),
    (Form.ECONOMIC_COOPERATION, 12),
    (Form.SOCIETAL_INNOVATION, 11),
]
Scale = Partnership.Scale
SCALES = [(Scale.LOCAL, 35), (Scale.REGIONAL, 30), (Scale.NATIONAL, 30), (Scale.INTERNATIONAL, 5)]

Category = Obstacle.Category
OBSTACLES = [
    (Category.RESOURCES, "Peu de temps salarié disponible pour prospecter et suivre les partenaires.", 3),
    (Category.RESOURCES, "Dépendance à quelques financeurs publics dont les crédits baissent.", 3),
    (Category.SKILLS, "Pas de méthode partagée pour évaluer la valeur créée par un partenariat.", 2),
    (Category.SKILLS, "Difficulté à formuler une proposition de valeur pour une entreprise.", 2),
    (Category.GOVERNANCE, "Les partenariats se négocient localement, sans stratégie de réseau.", 2),
    (Category.GOVERNANCE, "Crainte du conseil d'administration de perdre son indépendance.", 2),
    (Category.CULTURE, "Méfiance d'une partie des bénévoles envers le monde de l'entreprise.", 2),
    (Category.CULTURE, "Méconnaissance mutuelle des contraintes des collectivités.", 1),
    (Category.KNOWLEDGE, "Cartographie incomplète des acteurs économiques du territoire.", 1),
    (Category.TIME, "Calendriers budgétaires des partenaires publics peu compatibles avec les projets.", 2),
    (Category.LEGAL, "Incertitudes sur le cadre fiscal du mécénat de compétences.", 1),
    (Category.OTHER, "Changements fréquents d'interlocuteurs chez les partenaires.", 1),
]

AMBITIONS = [
    "Faire des alliances un levier assumé de notre modèle socio-économique d'ici 2021.",
    "Passer de partenariats ponctuels à deux ou trois alliances stratégiques par région.",
    "Co-construire avec les collectivités des réponses aux besoins des territoires fragiles.",
    "Outiller les associations membres pour qu'elles nouent leurs propres partenariats.",
]
# (title, due date)
ACTIONS = [
    ("Présenter la stratégie partenariale au conseil d'administration", dt.date(2018, 12, 14)),
    ("Formaliser une charte éthique des partenariats avec les entreprises", dt.date(2019, 2, 28)),
    ("Désigner un référent partenariats dans chaque région", dt.date(2019, 3, 29)),
    ("Organiser un séminaire inter-réseaux sur le mécénat de compétences", dt.date(2019, 5, 16)),
    ("Rencontrer trois collectivités pour co-construire un projet de territoire", dt.date(2019, 6, 28)),
    ("Mettre en place une évaluation annuelle des partenariats", dt.date(2019, 9, 30)),
    ("Cibler des PME du territoire pour diversifier les partenaires privés", dt.date(2019, 10, 31)),
    ("Capitaliser les bonnes pratiques dans un guide du réseau", dt.date(2019, 12, 13)),
]
Action = RoadmapAction.Status


def slug(text):
    """ASCII, lower case, words joined by hyphens: for e-mail addresses."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(ascii_text.lower().replace("'", " ").split())


def participant_email(first_name, last_name, acronym):
    return f"{slug(first_name)}.{slug(last_name)}@{acronym.lower()}.example.org"


def _weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def load(programme, *, password, password_hash):
    """Load the fictional networks and their work in ``programme``; return the participants.

    The participants come in a stable order (by network, then person) for the other apps' draws.
    """
    rng = random.Random(2018)
    regions = {region.code: region for region in Region.objects.all()}
    networks = upsert_many(
        Network,
        [
            {
                "name": name,
                "acronym": acronym,
                "field_of_action": field,
                "member_associations": members,
                "website": f"https://{acronym.lower()}.example.org/",
                "contact_name": "Accueil du réseau (fictif)",
                "contact_email": f"contact@{acronym.lower()}.example.org",
            }
            for name, acronym, field, _, members, _ in NETWORKS
        ],
        key=("name",),
    )
    for network, (_name, _acronym, _field, codes, _members, _status) in zip(networks, NETWORKS, strict=True):
        network.regions.set([regions[code] for code in codes])

    enrolment_rows = []
    for index, (network, spec) in enumerate(zip(networks, NETWORKS, strict=True)):
        status = spec[-1]
        solicited_on = dt.date(2017, 11, 6) + dt.timedelta(days=3 * index)
        row = {
            "programme": programme,
            "network": network,
            "status": status,
            "solicited_on": solicited_on,
            "decided_on": None,
            "refusal_reason": "",
            "launch_meeting_on": None,
            "launch_meeting_notes": "",
            "share_inventory": False,
        }
        if status == AGREED:
            decided_on = dt.date(2018, 1, 8) + dt.timedelta(days=6 * index)
            row |= {
                "decided_on": decided_on,
                "launch_meeting_on": decided_on + dt.timedelta(days=14),
                "launch_meeting_notes": (
                    "Bilatérale de lancement (données fictives) : présentation du parcours, attentes du réseau, "
                    "constitution du binôme et premiers partenariats à inventorier pour la session S1."
                ),
                "share_inventory": index % 3 != 2,
            }
        elif status == REFUSED:
            row |= {"decided_on": solicited_on + dt.timedelta(days=45), "refusal_reason": REFUSAL_REASON}
        enrolment_rows.append(row)
    enrolments = upsert_many(Enrolment, enrolment_rows, key=("programme", "network"))
    agreed = [e for e in enrolments if e.status == AGREED]

    participants = _load_participants(agreed, password=password, password_hash=password_hash)
    _load_partnerships(rng, agreed)
    _load_obstacles(rng, agreed)
    _load_roadmaps(rng, agreed, participants)
    return [participant for enrolment in agreed for participant in participants[enrolment.pk]]


def _load_participants(agreed, *, password, password_hash):
    """Users, binômes and participants of the agreed networks; return participants by enrolment id."""
    by_enrolment = {}
    for enrolment in agreed:
        acronym = enrolment.network.acronym
        people = PARTICIPANTS[acronym]
        binome = None
        if len(people) == 2:
            binome, _ = upsert(Binome, {"enrolment": enrolment, "name": f"Binôme {acronym}"})
        rows = []
        for slot, (first_name, last_name, job_title) in enumerate(people, start=1):
            user = upsert_user(
                participant_email(first_name, last_name, acronym),
                password=password,
                password_hash=password_hash,
                first_name=first_name,
                last_name=last_name,
            )
            rows.append(
                {
                    "user": user,
                    "enrolment": enrolment,
                    "programme": enrolment.programme,  # the enrolment's edition, as the database requires
                    "job_title": job_title,
                    "binome": binome,
                    "binome_slot": slot if binome else None,
                }
            )
        by_enrolment[enrolment.pk] = upsert_many(Participant, rows, key=("user", "enrolment"))
    return by_enrolment


def _load_partnerships(rng, agreed):
    rows = []
    for enrolment in agreed:
        for partner_name, family, partner_type in rng.sample(PARTNERS, rng.randint(4, 7)):
            start_year = rng.randint(2006, 2018)
            status = Partnership.Status.ACTIVE
            if start_year == 2018:
                status = Partnership.Status.PROJECT
            elif start_year < 2012 and rng.random() < 0.3:
                status = Partnership.Status.ENDED
            objectives = [rng.random() < 0.4 for _ in range(4)]
            if not any(objectives):
                objectives[1] = True  # every partnership serves at least its stakeholders
            rows.append(
                {
                    "enrolment": enrolment,
                    "partner_name": partner_name,
                    "family": family,
                    "partner_type": partner_type,
                    "company_form": _weighted(rng, COMPANY_FORMS) if family == Family.PRIVATE else "",
                    "scale": _weighted(rng, SCALES),
                    "objective_human_resources": objectives[0],
                    "objective_stakeholders": objectives[1],
                    "objective_innovation": objectives[2],
                    "objective_economic": objectives[3],
                    "depth": _weighted(rng, [(1, 45), (2, 40), (3, 15)]),
                    "evaluated": rng.random() < 0.3,
                    "start_year": start_year,
                    "status": status,
                }
            )
    upsert_many(Partnership, rows, key=("enrolment", "partner_name"))


def _load_obstacles(rng, agreed):
    rows = [
        {"enrolment": enrolment, "category": category, "description": description, "severity": severity}
        for enrolment in agreed
        for category, description, severity in rng.sample(OBSTACLES, rng.randint(2, 4))
    ]
    upsert_many(Obstacle, rows, key=("enrolment", "description"))


def _load_roadmaps(rng, agreed, participants):
    roadmaps = upsert_many(
        Roadmap,
        [
            {
                "enrolment": enrolment,
                "title": f"Feuille de route partenariale — {enrolment.network.acronym}",
                "ambition": rng.choice(AMBITIONS),
            }
            for enrolment in agreed
        ],
        key=("enrolment",),
    )
    rows = []
    for roadmap, enrolment in zip(roadmaps, agreed, strict=True):
        chosen = sorted(rng.sample(ACTIONS, rng.randint(3, 5)), key=lambda action: action[1])
        for title, due_on in chosen:
            if due_on.year == 2018:
                status = Action.DONE
            else:
                status = _weighted(
                    rng, [(Action.DONE, 50), (Action.IN_PROGRESS, 25), (Action.TODO, 15), (Action.DROPPED, 10)]
                )
            done_on = due_on - dt.timedelta(days=rng.randint(0, 20)) if status == Action.DONE else None
            rows.append(
                {
                    "roadmap": roadmap,
                    "title": title,
                    "owner": rng.choice(participants[enrolment.pk]),
                    "due_on": due_on,
                    "status": status,
                    "done_on": done_on,
                }
            )
    upsert_many(RoadmapAction, rows, key=("roadmap", "title"))


# --- The current edition (alliances/demo.py) -------------------------------------------------

# (acronym, status, days from the anchor to the decision, to the launch bilateral or None): four
# networks agreed (one still waits for its launch bilateral), one is still deciding.
CURRENT_NETWORKS = [
    ("RFES", AGREED, -75, -50),
    ("FFJP", AGREED, -72, -46),
    ("UFCSR", AGREED, -70, -40),
    ("RFIS", AGREED, -66, None),
    ("FFR", PENDING, None, None),
]
# RFES's roadmap: two actions late, one ahead (days from the anchor), so the network is « à suivre ».
CURRENT_ACTIONS = [
    ("Présenter la stratégie partenariale au conseil d'administration", -12, Action.IN_PROGRESS),
    ("Désigner un référent partenariats dans chaque région", -3, Action.TODO),
    ("Rencontrer trois collectivités pour co-construire un projet de territoire", 60, Action.TODO),
]


def load_current(programme, *, anchor, password, password_hash):
    """The current edition's enrolments, participants (the same people as in the pilot: one
    participation per edition), inventories and RFES's roadmap; return the participants."""
    rng = random.Random(2026)
    networks = {network.acronym: network for network in Network.objects.filter(acronym__in=PARTICIPANTS)}
    rows = []
    for index, (acronym, status, decided, launched) in enumerate(CURRENT_NETWORKS):
        rows.append(
            {
                "programme": programme,
                "network": networks[acronym],
                "status": status,
                "solicited_on": anchor + dt.timedelta(days=-90 + 2 * index),
                "decided_on": None if decided is None else anchor + dt.timedelta(days=decided),
                "refusal_reason": "",
                "launch_meeting_on": None if launched is None else anchor + dt.timedelta(days=launched),
                "launch_meeting_notes": "Bilatérale de lancement (données fictives)." if launched is not None else "",
                "share_inventory": True,
            }
        )
    enrolments = upsert_many(Enrolment, rows, key=("programme", "network"))
    agreed = [e for e in enrolments if e.status == AGREED]
    participants = _load_participants(agreed, password=password, password_hash=password_hash)
    _load_partnerships(rng, agreed)
    rfes = next(e for e in agreed if e.network.acronym == "RFES")
    (roadmap,) = upsert_many(
        Roadmap,
        [{"enrolment": rfes, "title": "Feuille de route partenariale — RFES", "ambition": AMBITIONS[1]}],
        key=("enrolment",),
    )
    upsert_many(
        RoadmapAction,
        [
            {
                "roadmap": roadmap,
                "title": title,
                "owner": participants[rfes.pk][0],
                "due_on": anchor + dt.timedelta(days=days),
                "status": status,
                "done_on": None,
            }
            for title, days, status in CURRENT_ACTIONS
        ],
        key=("roadmap", "title"),
    )
    return [participant for enrolment in agreed for participant in participants[enrolment.pk]]


@demo_loaders.register
class NetworksDemo(DemoLoader):
    """Leaves ``shared["participants"]`` (the pilot's) and ``shared["current_participants"]`` for the later loaders."""

    key = "networks"
    order = 10
    after = ("alliances",)

    def load(self, run: DemoRun) -> None:
        run.shared["participants"] = load(run.pilot, **run.credentials)

    def load_current(self, run: DemoRun) -> None:
        run.shared["current_participants"] = load_current(run.current, anchor=run.anchor, **run.credentials)

    def accounts(self, run: DemoRun) -> list[tuple[str, str]]:
        return [
            (f"Participant·e — {participant.enrolment.network.acronym}", participant.user.email)
            for participant in run.shared["participants"]
            if participant.user.email in DEMO_PARTICIPANT_EMAILS
        ]

    def summary(self, programme) -> list[str]:
        enrolments = programme.enrolments.all()
        counts = {status: enrolments.filter(status=status).count() for status in Enrolment.Status.values}
        pilots = programme.enrolments.pilots().filter(participants__isnull=False).distinct().count()
        return [
            f"  Réseaux fictifs sollicités : {enrolments.count()} "
            f"({counts[AGREED]} accords, {counts[PENDING]} en attente, {counts[REFUSED]} refus) ; "
            f"{pilots} réseaux pilotes avec leurs participants, partenariats, freins et feuille de route."
        ]

    def viewers(self, current) -> list[str]:
        logins = [email for email in DEMO_PARTICIPANT_EMAILS if current.participants.filter(user__email=email)]
        return [f"{', '.join(logins)} (participants)"]
