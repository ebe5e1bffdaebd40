"""Helpers to build whole networks with their work, for the « Mon réseau » and cohort tests."""

import itertools

from networks.models import Partnership, Region
from tests import factories

_TYPES = itertools.cycle(
    [
        (Partnership.Family.PUBLIC, Partnership.PartnerType.LOCAL_AUTHORITY, ""),
        (Partnership.Family.PEER, Partnership.PartnerType.ASSOCIATION, ""),
        (Partnership.Family.PRIVATE, Partnership.PartnerType.COMPANY, Partnership.CompanyForm.SKILLS_PATRONAGE),
        (Partnership.Family.PUBLIC, Partnership.PartnerType.STATE, ""),
    ]
)


def add_partnerships(enrolment, count):
    created = []
    for _ in range(count):
        family, partner_type, company_form = next(_TYPES)
        created.append(
            factories.PartnershipFactory(
                enrolment=enrolment, family=family, partner_type=partner_type, company_form=company_form
            )
        )
    return created


def network_with_work(programme, *, participants=2, partnerships=1, obstacles=1, actions=1, **enrolment_fields):
    """An agreed enrolment of ``programme`` with participants (as a binôme), inventory, obstacles and roadmap."""
    enrolment = factories.EnrolmentFactory(programme=programme, **enrolment_fields)
    binome = factories.BinomeFactory(enrolment=enrolment)
    people = [
        factories.ParticipantFactory(enrolment=enrolment, binome=binome if index < 2 else None)
        for index in range(participants)
    ]
    add_partnerships(enrolment, partnerships)
    for _ in range(obstacles):
        factories.ObstacleFactory(enrolment=enrolment)
    roadmap = factories.RoadmapFactory(enrolment=enrolment)
    for index in range(actions):
        factories.RoadmapActionFactory(roadmap=roadmap, owner=people[index % len(people)] if people else None)
    return enrolment, people


def a_region():
    """A French region (reference data loaded by a migration; created if the table is empty)."""
    return Region.objects.order_by("pk").first() or Region.objects.create(code="ZZ", name="Région de test")
