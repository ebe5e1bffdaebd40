"""``manage.py generate_scale_data``: complete editions, valid rows, idempotence, queries that do not grow with N."""

import io
import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliances.models import Programme, User
from evaluation.models import Answer, Competency, Finding, Question, Questionnaire, Response
from governance.models import Committee, CommitteeMember, Decision, Meeting, MeetingAttendance
from networks.models import Binome, Enrolment, Network, Obstacle, Participant, Partnership, Roadmap, RoadmapAction
from sessions.models import (
    Announcement,
    FieldVisit,
    FollowUp,
    Registration,
    Resource,
    Session,
    TopicProposal,
    TopicVote,
)

pytestmark = pytest.mark.django_db


def generate(editions, seed=7):
    out = io.StringIO()
    call_command("generate_scale_data", editions=editions, seed=seed, stdout=out)
    return out.getvalue()


def test_two_complete_editions_with_the_expected_counts():
    output = generate(2)
    assert "2 édition(s) créée(s)" in output
    assert "networks.Participant" in output
    editions = Programme.objects.filter(slug__startswith="scale-7-").order_by("slug")
    assert [e.slug for e in editions] == ["scale-7-1", "scale-7-2"]
    for edition in editions:
        enrolments = Enrolment.objects.filter(programme=edition)
        assert enrolments.count() == 15
        assert enrolments.filter(status=Enrolment.Status.AGREED).count() == 9
        assert enrolments.filter(status=Enrolment.Status.PENDING).count() == 4
        refused = enrolments.filter(status=Enrolment.Status.REFUSED)
        assert refused.count() == 2 and all(e.refusal_reason for e in refused)
        participants = Participant.objects.filter(enrolment__programme=edition)
        assert 45 <= participants.count() <= 55
        assert not participants.exclude(enrolment__status=Enrolment.Status.AGREED).exists()
        assert not participants.filter(binome__isnull=True).exists()
        assert Binome.objects.filter(enrolment__programme=edition).count() >= participants.count() // 2
        assert Session.objects.filter(programme=edition).count() == 4
        registrations = Registration.objects.filter(session__programme=edition)
        assert registrations.count() == 4 * participants.count()
        assert registrations.filter(attendance=Registration.Attendance.PRESENT).exists()
        assert registrations.filter(rsvp=Registration.Rsvp.CONFIRMED).exists()
        assert Partnership.objects.filter(enrolment__programme=edition).count() >= 9 * 4
        assert Obstacle.objects.filter(enrolment__programme=edition).count() >= 9 * 2
        assert Roadmap.objects.filter(enrolment__programme=edition).count() == 9
        assert RoadmapAction.objects.filter(roadmap__enrolment__programme=edition).count() >= 9 * 3
        assert Competency.objects.filter(programme=edition).count() == 6
        questionnaires = Questionnaire.objects.filter(programme=edition)
        assert questionnaires.filter(kind=Questionnaire.Kind.SESSION_FEEDBACK).count() == 4
        for kind in (Questionnaire.Kind.COMPETENCY_PRE, Questionnaire.Kind.COMPETENCY_POST):
            assessment = questionnaires.get(kind=kind)
            assert assessment.questions.filter(competency__isnull=False).count() == 6
        assert Response.objects.filter(questionnaire__programme=edition).count() > 100
        assert Answer.objects.filter(response__questionnaire__programme=edition).exists()
        committees = Committee.objects.filter(programme=edition)
        assert committees.count() == 3
        assert CommitteeMember.objects.filter(committee__programme=edition, user__isnull=False).exists()
        meetings = Meeting.objects.filter(committee__programme=edition)
        assert meetings.count() == 6
        assert Decision.objects.filter(meeting__committee__programme=edition).count() == 12
        assert MeetingAttendance.objects.filter(meeting__committee__programme=edition).exists()
        assert edition.coordinators.exists()


def test_generated_rows_pass_the_model_validation():
    generate(1)
    rng = random.Random(0)
    models = [
        Programme,
        Enrolment,
        Participant,
        Binome,
        Registration,
        Partnership,
        Obstacle,
        Roadmap,
        RoadmapAction,
        Questionnaire,
        Question,
        Response,
        Answer,
        Committee,
        CommitteeMember,
        Meeting,
        MeetingAttendance,
        Decision,
        Resource,
        TopicProposal,
        TopicVote,
        Announcement,
        FollowUp,
        FieldVisit,
        Finding,
    ]
    for model in models:
        pks = list(model.objects.values_list("pk", flat=True))
        assert pks, model
        for pk in rng.sample(pks, min(5, len(pks))):
            model.objects.get(pk=pk).full_clean()  # fields, clean() and the constraints


def test_a_second_run_creates_nothing():
    generate(2)
    counts = {model: model.objects.count() for model in (Programme, Participant, Registration, Answer, Decision)}
    output = generate(2)
    assert "0 édition(s) créée(s), 2 déjà présente(s)" in output
    assert {model: model.objects.count() for model in counts} == counts
    # Another seed makes other editions.
    generate(1, seed=8)
    assert Programme.objects.filter(slug="scale-8-1").exists()


def test_the_same_seed_gives_the_same_data():
    generate(1)
    first = list(Answer.objects.order_by("pk").values_list("value", "selected"))
    Programme.objects.filter(slug__startswith="scale-").delete()
    Network.objects.filter(name__startswith="Réseau d'échelle").delete()
    User.objects.filter(email__endswith="@scale.example.org").delete()
    generate(1)
    assert list(Answer.objects.order_by("pk").values_list("value", "selected")) == first


def test_queries_grow_far_slower_than_the_data():
    with CaptureQueriesContext(connection) as one:
        generate(1, seed=1)
    with CaptureQueriesContext(connection) as three:
        generate(3, seed=2)
    # A constant number of queries per edition (about 35: a few per model), never one per row.
    assert len(three) <= 3 * len(one)
    assert len(one) <= 60
    rows_per_edition = sum(
        model.objects.filter(**{lookup: "scale-2-1"}).count()
        for model, lookup in [
            (Registration, "session__programme__slug"),
            (Answer, "response__questionnaire__programme__slug"),
            (Participant, "enrolment__programme__slug"),
        ]
    )
    assert rows_per_edition > 20 * len(one)
