"""The networks' part of a generated edition (``generate_scale_data``, plan in ``alliances/scale.py``).

15 networks (9 accord, 4 en attente, 2 refus with a reason) in two regions each, 50 participants
of the 9 agreed networks in binômes, their partnership inventories, obstacles and roadmaps with
actions. Leaves ``shared["agreed"]`` (the agreed enrolments) and ``shared["participants"]`` for the
later builders.
"""

import datetime as dt

from django.contrib.auth import get_user_model

from alliances.loaders import SCALE_EMAIL_DOMAIN, ScaleBuilder, ScaleEdition, ScaleRun, scale_builders
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

NETWORKS_PER_EDITION = 15
STATUSES = [Enrolment.Status.AGREED] * 9 + [Enrolment.Status.PENDING] * 4 + [Enrolment.Status.REFUSED] * 2
# Participants per agreed network: 5 × 6 + 4 × 5 = 50.
PARTICIPANTS_PER_NETWORK = [6, 6, 6, 6, 6, 5, 5, 5, 5]
REFUSAL_REASON = "Temporalité non appropriée au projet associatif."
FIELDS_OF_ACTION = ["Solidarité", "Environnement", "Éducation", "Santé", "Sport", "Culture"]
JOB_TITLES = ["Délégué·e général·e", "Président·e", "Chargé·e de partenariats"]


def scale_regions():
    return list(Region.objects.order_by("code"))


def build_networks(edition, rng, regions):
    """The 15 networks, their regions and their enrolments; return the agreed enrolments."""
    networks = edition.add(
        Network,
        [
            Network(
                name=f"Réseau d'échelle {edition.run.seed}-{edition.index}-{k:02d}",
                acronym=f"RE{k:02d}",
                field_of_action=rng.choice(FIELDS_OF_ACTION),
                member_associations=rng.randint(10, 200),
                website=f"https://reseau{k:02d}.{edition.slug}.{SCALE_EMAIL_DOMAIN}/",
                contact_name=f"Contact {k:02d}",
                contact_email=edition.email(f"contact{k:02d}"),
            )
            for k in range(1, NETWORKS_PER_EDITION + 1)
        ],
    )
    through = Network.regions.through
    edition.add(
        through,
        [
            through(network=network, region=region)
            for network in networks
            for region in rng.sample(regions, min(2, len(regions)))
        ],
    )
    enrolments = edition.add(
        Enrolment,
        [
            _enrolment(edition.programme, k, network, status)
            for k, (network, status) in enumerate(zip(networks, STATUSES, strict=True))
        ],
    )
    return [e for e in enrolments if e.status == Enrolment.Status.AGREED]


def _enrolment(programme, k, network, status):
    agreed = status == Enrolment.Status.AGREED
    return Enrolment(
        programme=programme,
        network=network,
        status=status,
        refusal_reason=REFUSAL_REASON if status == Enrolment.Status.REFUSED else "",
        solicited_on=dt.date(2025, 10, 1) + dt.timedelta(days=k),
        decided_on=None if status == Enrolment.Status.PENDING else dt.date(2025, 11, 3) + dt.timedelta(days=k),
        launch_meeting_on=dt.date(2025, 12, 1) + dt.timedelta(days=k) if agreed else None,
        share_inventory=agreed and k % 2 == 0,
    )


def build_participants(edition, rng, agreed):
    """The agreed networks' participants, two by two in binômes; return them."""
    people = []  # (enrolment, position in the network)
    for enrolment, size in zip(agreed, PARTICIPANTS_PER_NETWORK, strict=True):
        people += [(enrolment, k) for k in range(size)]
    User = get_user_model()
    users = edition.add(
        User,
        [
            User(
                email=edition.email(f"p{n:03d}"),
                password=edition.run.password_hash,
                first_name=f"Prénom{n:03d}",
                last_name=f"Nom {edition.slug} {n:03d}",
            )
            for n in range(len(people))
        ],
    )
    binomes = edition.add(
        Binome,
        [
            Binome(enrolment=enrolment, name=f"Binôme {k // 2 + 1}")
            for enrolment, size in zip(agreed, PARTICIPANTS_PER_NETWORK, strict=True)
            for k in range(0, size, 2)
        ],
    )
    binome_of = {(b.enrolment_id, int(b.name.rsplit(" ", 1)[1]) - 1): b for b in binomes}
    return edition.add(
        Participant,
        [
            Participant(
                user=user,
                enrolment=enrolment,
                programme=edition.programme,  # the enrolment's edition (held by the database, see Participant)
                job_title=rng.choice(JOB_TITLES),
                binome=binome_of[(enrolment.pk, k // 2)],
                binome_slot=k % 2 + 1,  # the binôme of positions 2n and 2n+1: slots 1 and 2
            )
            for user, (enrolment, k) in zip(users, people, strict=True)
        ],
    )


def _partnership(rng, enrolment, k):
    family = rng.choice(Partnership.Family.values)
    return Partnership(
        enrolment=enrolment,
        partner_name=f"Partenaire {k + 1:02d}",
        family=family,
        partner_type={
            "peer": Partnership.PartnerType.ASSOCIATION,
            "public": rng.choice([Partnership.PartnerType.LOCAL_AUTHORITY, Partnership.PartnerType.STATE]),
            "private": Partnership.PartnerType.COMPANY,
        }[family],
        company_form=rng.choice(Partnership.CompanyForm.values) if family == "private" else "",
        scale=rng.choice(Partnership.Scale.values),
        objective_human_resources=rng.random() < 0.5,
        objective_stakeholders=rng.random() < 0.5,
        objective_innovation=rng.random() < 0.5,
        objective_economic=rng.random() < 0.5,
        depth=rng.randint(1, 3),
        evaluated=rng.random() < 0.3,
        start_year=rng.randint(2010, 2026),
        status=rng.choice(Partnership.Status.values),
    )


def build_inventories(edition, rng, agreed):
    """Each agreed network's partnership inventory (4 to 8) and obstacles (2 or 3)."""
    partnerships, obstacles = [], []
    for enrolment in agreed:
        partnerships += [_partnership(rng, enrolment, k) for k in range(rng.randint(4, 8))]
        obstacles += [
            Obstacle(
                enrolment=enrolment,
                category=category,
                description="Frein rencontré dans les partenariats.",
                severity=rng.randint(1, 3),
            )
            for category in rng.sample(Obstacle.Category.values, rng.randint(2, 3))
        ]
    edition.add(Partnership, partnerships)
    edition.add(Obstacle, obstacles)


def build_roadmaps(edition, rng, agreed, participants):
    """Each agreed network's roadmap, with 3 to 5 actions owned by its participants."""
    by_enrolment = {}
    for participant in participants:
        by_enrolment.setdefault(participant.enrolment_id, []).append(participant)
    roadmaps = edition.add(
        Roadmap,
        [
            Roadmap(enrolment=e, title=f"Feuille de route {e.network.acronym}", ambition="Ambition partenariale.")
            for e in agreed
        ],
    )
    actions = []
    for roadmap in roadmaps:
        owners = by_enrolment[roadmap.enrolment_id]
        for k in range(rng.randint(3, 5)):
            status = rng.choice(RoadmapAction.Status.values)
            due_on = dt.date(2026, 3, 1) + dt.timedelta(days=30 * k + rng.randint(0, 20))
            actions.append(
                RoadmapAction(
                    roadmap=roadmap,
                    title=f"Action {k + 1}",
                    owner=rng.choice(owners),
                    due_on=due_on,
                    status=status,
                    done_on=due_on if status == RoadmapAction.Status.DONE else None,
                )
            )
    edition.add(RoadmapAction, actions)


@scale_builders.register
class NetworksScale(ScaleBuilder):
    key = "networks"
    order = 10
    after = ("alliances",)

    def prepare(self, run: ScaleRun) -> None:
        run.shared["regions"] = scale_regions()

    def build(self, edition: ScaleEdition) -> None:
        rng = edition.rng(self.key)
        agreed = build_networks(edition, rng, edition.run.shared["regions"])
        participants = build_participants(edition, rng, agreed)
        build_inventories(edition, rng, agreed)
        build_roadmaps(edition, rng, agreed, participants)
        edition.shared["agreed"] = agreed
        edition.shared["participants"] = participants
