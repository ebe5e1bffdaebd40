"""Helpers that build a participant's world for the portal home, sessions and calendar tests."""

import datetime as dt

from django.utils import timezone

from networks.models import RoadmapAction
from sessions.models import Registration
from tests import factories


def network_with_data(programme, sessions, *, today=None):
    """One network of an edition with everything the portal reads about it.

    Two participants in a binôme, a roadmap with an action due soon, one overdue and
    one done, an answered registration to every session, a partnership and an obstacle.
    Returns the first participant.
    """
    today = today or timezone.localdate()
    enrolment = factories.EnrolmentFactory(programme=programme)
    binome = factories.BinomeFactory(enrolment=enrolment)
    first = factories.ParticipantFactory(enrolment=enrolment, binome=binome)
    second = factories.ParticipantFactory(enrolment=enrolment, binome=binome)
    roadmap = factories.RoadmapFactory(enrolment=enrolment)
    factories.RoadmapActionFactory(roadmap=roadmap, owner=first, due_on=today + dt.timedelta(days=10))
    factories.RoadmapActionFactory(roadmap=roadmap, owner=second, due_on=today - dt.timedelta(days=3))
    factories.RoadmapActionFactory(
        roadmap=roadmap, due_on=today, status=RoadmapAction.Status.DONE, done_on=today - dt.timedelta(days=1)
    )
    factories.PartnershipFactory(enrolment=enrolment)
    factories.ObstacleFactory(enrolment=enrolment)
    for session in sessions:
        factories.RegistrationFactory(
            session=session, participant=first, rsvp=Registration.Rsvp.CONFIRMED, responded_at=timezone.now()
        )
        factories.RegistrationFactory(session=session, participant=second, rsvp=Registration.Rsvp.DECLINED)
    return first


def edition_sessions(programme):
    """A past session (S1), an upcoming one (S2) and an undated one (S3)."""
    now = timezone.now()
    past = factories.SessionFactory(
        programme=programme,
        number=1,
        code="S1",
        title="Comprendre",
        starts_at=now - dt.timedelta(days=30),
        ends_at=now - dt.timedelta(days=30) + dt.timedelta(hours=7),
    )
    upcoming = factories.SessionFactory(
        programme=programme,
        number=2,
        code="S2",
        title="Mettre en œuvre",
        starts_at=now + dt.timedelta(days=14),
        ends_at=now + dt.timedelta(days=14, hours=7),
    )
    undated = factories.SessionFactory(
        programme=programme, number=3, code="S3", title="Approfondir", starts_at=None, ends_at=None
    )
    return past, upcoming, undated
