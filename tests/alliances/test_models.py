"""The domain rules of DESIGN §3, enforced by the database and by clean()."""

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from alliances.models import Step, User
from evaluation.models import Answer
from networks.models import Enrolment, Partnership, RoadmapAction
from sessions.models import Registration, TopicVote
from tests import factories

pytestmark = pytest.mark.django_db


def assert_db_refuses(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


# --- Enrolments ---------------------------------------------------------------------


def test_duplicate_enrolment_is_refused_by_the_database_and_by_validation():
    enrolment = factories.EnrolmentFactory()
    duplicate = Enrolment(programme=enrolment.programme, network=enrolment.network)
    with pytest.raises(ValidationError, match="déjà inscrit"):
        duplicate.full_clean()
    assert_db_refuses(duplicate.save)


def test_same_network_may_enrol_in_another_edition():
    enrolment = factories.EnrolmentFactory()
    other = factories.EnrolmentFactory(network=enrolment.network)
    assert other.network == enrolment.network
    assert other.programme != enrolment.programme


def test_refusal_needs_a_reason():
    enrolment = factories.EnrolmentFactory.build(
        programme=factories.ProgrammeFactory(), network=factories.NetworkFactory(), status=Enrolment.Status.REFUSED
    )
    with pytest.raises(ValidationError, match="motif"):
        enrolment.full_clean()
    assert_db_refuses(enrolment.save)
    enrolment.refusal_reason = "Temporalité non appropriée au projet associatif."
    enrolment.full_clean()
    enrolment.save()


def test_decision_cannot_precede_solicitation():
    enrolment = factories.EnrolmentFactory.build(
        programme=factories.ProgrammeFactory(),
        network=factories.NetworkFactory(),
        solicited_on=dt.date(2018, 2, 1),
        decided_on=dt.date(2018, 1, 1),
    )
    assert_db_refuses(enrolment.save)


def test_pilot_networks_are_the_enrolments_in_accord():
    programme = factories.ProgrammeFactory()
    factories.EnrolmentFactory.create_batch(2, programme=programme, status=Enrolment.Status.AGREED)
    factories.EnrolmentFactory(programme=programme, status=Enrolment.Status.PENDING)
    assert programme.enrolments.pilots().count() == 2


# --- Participants and binômes --------------------------------------------------------


def test_a_binome_holds_at_most_two_participants():
    binome = factories.BinomeFactory()
    factories.ParticipantFactory.create_batch(2, enrolment=binome.enrolment, binome=binome)
    third = factories.ParticipantFactory(enrolment=binome.enrolment)
    third.binome = binome
    with pytest.raises(ValidationError, match="déjà deux participants"):
        third.full_clean()


def test_a_member_of_the_binome_may_be_saved_again():
    binome = factories.BinomeFactory()
    first, second = factories.ParticipantFactory.create_batch(2, enrolment=binome.enrolment, binome=binome)
    second.job_title = "Déléguée générale"
    second.full_clean()
    assert binome.is_complete


def test_a_binome_groups_participants_of_one_enrolment():
    binome = factories.BinomeFactory()
    outsider = factories.ParticipantFactory(enrolment__programme=binome.enrolment.programme)
    outsider.binome = binome
    with pytest.raises(ValidationError, match="même réseau"):
        outsider.full_clean()


def test_a_person_takes_part_once_per_enrolment():
    participant = factories.ParticipantFactory()
    assert_db_refuses(lambda: factories.ParticipantFactory(user=participant.user, enrolment=participant.enrolment))


def test_a_person_takes_part_for_one_network_per_edition_but_may_join_another_edition():
    participant = factories.ParticipantFactory()
    other_network = factories.EnrolmentFactory(programme=participant.enrolment.programme)
    twice = factories.ParticipantFactory.build(user=participant.user, enrolment=other_network)
    with pytest.raises(ValidationError, match="autre réseau"):
        twice.full_clean()
    next_edition = factories.ParticipantFactory.build(user=participant.user, enrolment=factories.EnrolmentFactory())
    next_edition.full_clean()


# --- Sessions, registrations, the S3 vote ---------------------------------------------


def test_second_registration_to_a_session_is_refused():
    registration = factories.RegistrationFactory()
    duplicate = Registration(session=registration.session, participant=registration.participant)
    with pytest.raises(ValidationError, match="déjà inscrit"):
        duplicate.full_clean()
    assert_db_refuses(duplicate.save)


def test_registration_of_a_participant_of_another_edition_is_refused():
    session = factories.SessionFactory()
    outsider = factories.ParticipantFactory()
    with pytest.raises(ValidationError, match="ne fait pas partie"):
        Registration(session=session, participant=outsider).full_clean()


def test_session_number_is_unique_per_programme():
    session = factories.SessionFactory(number=1, code="S1")
    assert_db_refuses(lambda: factories.SessionFactory(programme=session.programme, number=1, code="S1bis"))
    assert_db_refuses(lambda: factories.SessionFactory(programme=session.programme, number=5, code="S1"))
    factories.SessionFactory(number=1, code="S1")  # another edition


def test_session_ends_after_it_starts():
    start = timezone.now()
    assert_db_refuses(lambda: factories.SessionFactory(starts_at=start, ends_at=start - dt.timedelta(hours=1)))


def test_second_vote_per_programme_is_refused():
    vote = factories.TopicVoteFactory()
    other_topic = factories.TopicProposalFactory(session=vote.proposal.session)
    assert_db_refuses(lambda: TopicVote.objects.create(proposal=other_topic, participant=vote.participant))


def test_changing_ones_vote_replaces_it():
    vote = factories.TopicVoteFactory()
    other_topic = factories.TopicProposalFactory(session=vote.proposal.session)
    TopicVote.objects.update_or_create(participant=vote.participant, defaults={"proposal": other_topic})
    assert TopicVote.objects.get(participant=vote.participant).proposal == other_topic
    assert TopicVote.objects.count() == 1


def test_no_vote_after_closing():
    proposal = factories.TopicProposalFactory(
        session__topic_vote_open=False, session__topic_vote_closed_at=timezone.now()
    )
    voter = factories.ParticipantFactory(enrolment__programme=proposal.session.programme)
    with pytest.raises(ValidationError, match="clos"):
        TopicVote(proposal=proposal, participant=voter).full_clean()


def test_vote_from_another_edition_is_refused():
    proposal = factories.TopicProposalFactory()
    with pytest.raises(ValidationError, match="ne fait pas partie"):
        TopicVote(proposal=proposal, participant=factories.ParticipantFactory()).full_clean()


def test_resource_is_a_link_or_a_file():
    assert_db_refuses(lambda: factories.ResourceFactory(url=""))


# --- Phases, steps and derived progress ------------------------------------------------


def test_phase_progress_is_derived_from_its_steps():
    phase = factories.PhaseFactory()
    factories.StepFactory(phase=phase, status=Step.Status.DONE, done_on=dt.date(2018, 5, 1))
    factories.StepFactory(phase=phase, status=Step.Status.IN_PROGRESS)
    factories.StepFactory(phase=phase)
    assert phase.progress() == 33
    assert factories.PhaseFactory().progress() == 0


def test_a_done_step_has_a_done_date_and_only_it():
    phase = factories.PhaseFactory()
    assert_db_refuses(lambda: factories.StepFactory(phase=phase, status=Step.Status.DONE))
    assert_db_refuses(lambda: factories.StepFactory(phase=phase, done_on=dt.date(2018, 5, 1)))
    step = factories.StepFactory.build(phase=phase, status=Step.Status.DONE)
    with pytest.raises(ValidationError, match="date de réalisation"):
        step.full_clean()


def test_step_letter_is_unique_per_phase():
    step = factories.StepFactory(letter="a")
    assert_db_refuses(lambda: factories.StepFactory(phase=step.phase, letter="a"))


def test_phase_number_is_unique_per_programme():
    phase = factories.PhaseFactory(number=1)
    assert_db_refuses(lambda: factories.PhaseFactory(programme=phase.programme, number=1))


def test_current_phase_follows_the_dates():
    programme = factories.ProgrammeFactory()
    first = factories.PhaseFactory(
        programme=programme, number=1, starts_on=dt.date(2017, 7, 1), ends_on=dt.date(2018, 3, 31)
    )
    second = factories.PhaseFactory(
        programme=programme, number=2, starts_on=dt.date(2018, 4, 1), ends_on=dt.date(2018, 11, 30)
    )
    assert programme.current_phase(dt.date(2017, 1, 1)) == first
    assert programme.current_phase(dt.date(2018, 1, 1)) == first
    assert programme.current_phase(dt.date(2018, 6, 1)) == second
    assert programme.current_phase(dt.date(2026, 1, 1)) == second


def test_programme_dates_are_ordered():
    assert_db_refuses(lambda: factories.ProgrammeFactory(starts_on=dt.date(2018, 1, 1), ends_on=dt.date(2017, 1, 1)))


# --- Networks' work --------------------------------------------------------------------


def test_company_form_only_for_private_partners():
    enrolment = factories.EnrolmentFactory()
    public = factories.PartnershipFactory.build(
        enrolment=enrolment, family=Partnership.Family.PUBLIC, company_form=Partnership.CompanyForm.SKILLS_PATRONAGE
    )
    with pytest.raises(ValidationError, match="acteurs privés"):
        public.full_clean()
    assert_db_refuses(public.save)
    private = factories.PartnershipFactory(
        enrolment=enrolment,
        family=Partnership.Family.PRIVATE,
        partner_type=Partnership.PartnerType.COMPANY,
        company_form=Partnership.CompanyForm.SKILLS_PATRONAGE,
        objective_innovation=True,
    )
    private.full_clean()
    assert [str(o) for o in private.objectives] == ["innovation"]


def test_one_roadmap_per_enrolment():
    roadmap = factories.RoadmapFactory()
    assert_db_refuses(lambda: factories.RoadmapFactory(enrolment=roadmap.enrolment))


def test_roadmap_action_owner_belongs_to_the_network():
    action = factories.RoadmapActionFactory()
    action.owner = factories.ParticipantFactory(enrolment__programme=action.roadmap.enrolment.programme)
    with pytest.raises(ValidationError, match="participant de ce réseau"):
        action.full_clean()
    assert_db_refuses(
        lambda: factories.RoadmapActionFactory(status=RoadmapAction.Status.TODO, done_on=dt.date(2018, 5, 1))
    )


def test_obstacle_severity_range():
    assert_db_refuses(lambda: factories.ObstacleFactory(severity=4))


# --- Governance --------------------------------------------------------------------------


def test_committee_kind_is_unique_per_programme():
    committee = factories.CommitteeFactory()
    assert_db_refuses(lambda: factories.CommitteeFactory(programme=committee.programme, kind=committee.kind))


def test_committee_member_is_an_organisation_or_a_named_person():
    committee = factories.CommitteeFactory()
    assert_db_refuses(lambda: factories.CommitteeMemberFactory(committee=committee, organisation=None, person_name=""))
    person = factories.CommitteeMemberFactory(committee=committee, organisation=None, person_name="Valérie Leray")
    person.full_clean()


def test_organisation_sits_once_per_committee():
    member = factories.CommitteeMemberFactory()
    assert_db_refuses(
        lambda: factories.CommitteeMemberFactory(committee=member.committee, organisation=member.organisation)
    )


def test_attendance_only_for_members_of_the_meetings_committee():
    meeting = factories.MeetingFactory()
    outsider = factories.CommitteeMemberFactory(
        committee__programme=meeting.committee.programme, committee__kind="technical"
    )
    with pytest.raises(ValidationError, match="ne siège pas"):
        factories.MeetingAttendanceFactory.build(meeting=meeting, member=outsider).full_clean()
    attendance = factories.MeetingAttendanceFactory(meeting=meeting)
    assert_db_refuses(lambda: factories.MeetingAttendanceFactory(meeting=meeting, member=attendance.member))


# --- Evaluation ---------------------------------------------------------------------------


def test_one_response_per_questionnaire_and_participant():
    response = factories.ResponseFactory()
    assert_db_refuses(
        lambda: factories.ResponseFactory(questionnaire=response.questionnaire, participant=response.participant)
    )


def test_scale_answers_go_from_1_to_5():
    answer = factories.AnswerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.filter(pk=answer.pk).update(value=6)


def test_session_feedback_questionnaire_names_its_session():
    assert_db_refuses(lambda: factories.QuestionnaireFactory(kind="session_feedback", session=None))


def test_choice_questions_need_choices():
    question = factories.QuestionFactory.build(
        questionnaire=factories.QuestionnaireFactory(), kind="single", choices="Oui"
    )
    with pytest.raises(ValidationError, match="deux choix"):
        question.full_clean()
    assert_db_refuses(lambda: factories.QuestionFactory(kind="scale", choices="Oui\nNon"))


# --- Users ----------------------------------------------------------------------------------


def test_users_log_in_by_email_case_insensitively(rf):
    User.objects.create_user("Camille.Martin@Example.org", password="un-mot-de-passe-solide")
    user = User.objects.get_by_natural_key("camille.martin@example.org")
    assert user.email == "camille.martin@example.org"
    request = rf.post("/compte/connexion/", REMOTE_ADDR="127.0.0.1")
    assert authenticate(request, email="CAMILLE.MARTIN@example.org", password="un-mot-de-passe-solide") == user
    assert_db_refuses(lambda: User.objects.create_user("camille.martin@example.org"))


def test_a_counted_vote_stays_valid_after_closing_but_cannot_move():
    vote = factories.TopicVoteFactory()
    other = factories.TopicProposalFactory(session=vote.proposal.session)
    session = vote.proposal.session
    session.topic_vote_open = False
    session.topic_vote_closed_at = timezone.now()
    session.save()
    vote.refresh_from_db()
    vote.full_clean()
    vote.proposal = other
    with pytest.raises(ValidationError, match="clos"):
        vote.full_clean()


def test_the_database_holds_stored_addresses_normalised():
    # A bulk load bypasses User.clean and the manager: the check constraint still refuses it.
    assert_db_refuses(lambda: User.objects.bulk_create([User(email="Camille.Martin@example.org")]))
    assert_db_refuses(lambda: User.objects.bulk_create([User(email=" camille.martin@example.org")]))
    User.objects.bulk_create([User(email="camille.martin@example.org")])
    assert User.objects.get_by_natural_key("  CAMILLE.Martin@Example.org ").email == "camille.martin@example.org"
