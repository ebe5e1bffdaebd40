"""factory_boy factories for every model, usable from any test module."""

import datetime as dt
import uuid

import factory
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from alliances.models import Notification, Phase, Programme, Relance, Report, Step, Theme, User
from evaluation.models import Answer, Competency, Finding, Question, Questionnaire, Response
from governance.models import (
    Committee,
    CommitteeMember,
    Decision,
    Meeting,
    MeetingAttendance,
    Organisation,
)
from networks.models import Binome, Enrolment, Network, Obstacle, Participant, Partnership, Roadmap, RoadmapAction
from sessions.models import (
    Announcement,
    FieldVisit,
    FollowUp,
    InspiringMeeting,
    Registration,
    Resource,
    Session,
    TopicProposal,
    TopicVote,
)

PASSWORD = "mot-de-passe-de-test-2018"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@example.org")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.django.Password(PASSWORD)


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"Édition de test {n}")
    slug = factory.Sequence(lambda n: f"edition-{n}")
    starts_on = dt.date(2017, 7, 1)
    ends_on = dt.date(2018, 12, 31)
    target_networks = 12


class PhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phase

    programme = factory.SubFactory(ProgrammeFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Phase {n}")
    starts_on = dt.date(2018, 4, 1)
    ends_on = dt.date(2018, 11, 30)


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Step

    phase = factory.SubFactory(PhaseFactory)
    # Two characters at most (the field's length), unique for 676 steps.
    letter = factory.Sequence(
        lambda n: (
            "abcdefghijklmnopqrstuvwxyz"[n % 26] + ("" if n < 26 else "abcdefghijklmnopqrstuvwxyz"[(n // 26) % 26])
        )
    )
    title = factory.Sequence(lambda n: f"Étape {n}")


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Thématique {n}")


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network

    name = factory.Sequence(lambda n: f"Réseau fictif {n}")
    acronym = factory.Sequence(lambda n: f"RF{n}")
    field_of_action = "Solidarité"
    member_associations = 40


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    programme = factory.SubFactory(ProgrammeFactory)
    network = factory.SubFactory(NetworkFactory)
    status = Enrolment.Status.AGREED
    solicited_on = dt.date(2017, 11, 1)
    decided_on = dt.date(2018, 1, 15)


class BinomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Binome

    enrolment = factory.SubFactory(EnrolmentFactory)


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    user = factory.SubFactory(UserFactory)
    enrolment = factory.SubFactory(EnrolmentFactory)
    job_title = "Responsable des partenariats"


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership

    enrolment = factory.SubFactory(EnrolmentFactory)
    partner_name = factory.Sequence(lambda n: f"Partenaire {n}")
    family = Partnership.Family.PUBLIC
    partner_type = Partnership.PartnerType.LOCAL_AUTHORITY
    scale = Partnership.Scale.REGIONAL


class ObstacleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Obstacle

    enrolment = factory.SubFactory(EnrolmentFactory)
    category = Obstacle.Category.RESOURCES
    description = "Manque de temps bénévole pour suivre les partenaires."


class RoadmapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Roadmap

    enrolment = factory.SubFactory(EnrolmentFactory)
    title = "Feuille de route"


class RoadmapActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoadmapAction

    roadmap = factory.SubFactory(RoadmapFactory)
    title = factory.Sequence(lambda n: f"Action {n}")
    due_on = dt.date(2018, 10, 1)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    # An edition of its own runs around today, so that the default session (in two weeks) lies within it.
    programme = factory.SubFactory(
        ProgrammeFactory,
        starts_on=factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=60)),
        ends_on=factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=300)),
    )
    number = factory.Sequence(lambda n: n + 1)
    code = factory.LazyAttribute(lambda o: f"S{o.number}")
    title = factory.Sequence(lambda n: f"Session {n}")
    # In two weeks, whatever the edition's dates: fine for pages and reminders, which do not validate the
    # session; a test that has it validated (admin, services) asks for ``within_edition=True``.
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=14))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=7))
    venue = "Paris"

    class Params:
        # A month after the edition starts, at 9:00: within its dates, as Session.clean() requires.
        within_edition = factory.Trait(
            starts_at=factory.LazyAttribute(
                lambda o: timezone.make_aware(
                    dt.datetime.combine(o.programme.starts_on + dt.timedelta(days=30), dt.time(9))
                )
            )
        )


class InspiringMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InspiringMeeting

    session = factory.SubFactory(SessionFactory)
    speaker_kind = InspiringMeeting.SpeakerKind.PRIVATE_PARTNER


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    session = factory.SubFactory(SessionFactory)
    participant = factory.SubFactory(
        ParticipantFactory, enrolment__programme=factory.SelfAttribute("...session.programme")
    )


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Ressource {n}")
    url = "https://example.org/ressource"


class TopicProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TopicProposal

    session = factory.SubFactory(SessionFactory, topic_vote_open=True)
    title = factory.Sequence(lambda n: f"Sujet {n}")


class TopicVoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TopicVote

    proposal = factory.SubFactory(TopicProposalFactory)
    participant = factory.SubFactory(
        ParticipantFactory, enrolment__programme=factory.SelfAttribute("...proposal.session.programme")
    )


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    enrolment = factory.SubFactory(EnrolmentFactory)
    held_on = dt.date(2018, 6, 1)


class FieldVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FieldVisit

    enrolment = factory.SubFactory(EnrolmentFactory)
    visited_on = dt.date(2018, 6, 15)
    place = "Lyon"


class AnnouncementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Announcement

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Annonce {n}")
    body = "Bienvenue dans la communauté."


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Organisation {n}")


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee

    programme = factory.SubFactory(ProgrammeFactory)
    kind = Committee.Kind.STEERING
    name = factory.LazyAttribute(lambda o: f"Comité {o.kind}")


class CommitteeMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeMember

    committee = factory.SubFactory(CommitteeFactory)
    organisation = factory.SubFactory(OrganisationFactory)


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    committee = factory.SubFactory(CommitteeFactory)
    title = factory.Sequence(lambda n: f"Réunion {n}")
    held_on = dt.date(2018, 9, 20)


class MeetingAttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeetingAttendance

    meeting = factory.SubFactory(MeetingFactory)
    member = factory.SubFactory(CommitteeMemberFactory, committee=factory.SelfAttribute("..meeting.committee"))
    status = MeetingAttendance.Status.PRESENT


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Decision

    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"Décision {n}")


class CompetencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competency

    programme = factory.SubFactory(ProgrammeFactory)
    name = factory.Sequence(lambda n: f"Compétence {n}")


class QuestionnaireFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Questionnaire

    programme = factory.SubFactory(ProgrammeFactory)
    kind = Questionnaire.Kind.FINAL
    title = factory.Sequence(lambda n: f"Questionnaire {n}")


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    questionnaire = factory.SubFactory(QuestionnaireFactory)
    order = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Question {n} ?")
    kind = Question.Kind.SCALE


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    questionnaire = factory.SubFactory(QuestionnaireFactory)
    participant = factory.SubFactory(
        ParticipantFactory, enrolment__programme=factory.SelfAttribute("...questionnaire.programme")
    )


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    response = factory.SubFactory(ResponseFactory)
    question = factory.SubFactory(QuestionFactory, questionnaire=factory.SelfAttribute("..response.questionnaire"))
    value = 4


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Finding

    programme = factory.SubFactory(ProgrammeFactory)
    kind = Finding.Kind.OBSERVATION
    title = factory.Sequence(lambda n: f"Constat {n}")


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    kind = "announcement"
    recipient = factory.SubFactory(UserFactory)
    programme = factory.SubFactory(ProgrammeFactory)
    content_type = factory.LazyFunction(lambda: ContentType.objects.get_for_model(Programme))
    object_id = factory.LazyAttribute(lambda o: o.programme.pk)


class RelanceFactory(factory.django.DjangoModelFactory):
    """A relance already sent (its notifications are not made: see alliances.relances.relance_send)."""

    class Meta:
        model = Relance

    programme = factory.SubFactory(ProgrammeFactory)
    content_type = factory.LazyFunction(lambda: ContentType.objects.get_for_model(Session))
    object_id = factory.LazyAttribute(lambda o: (o.session or SessionFactory(programme=o.programme)).pk)
    target = "session"
    subject = "Votre réponse pour la session"
    body = "Nous n'avons pas encore votre réponse."
    recipient_count = 3
    request_token = factory.LazyFunction(uuid.uuid4)

    class Params:
        session = None  # the relancé object; a new session of the relance's edition by default


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    kind = "dashboard"
    programme = factory.SubFactory(ProgrammeFactory)
