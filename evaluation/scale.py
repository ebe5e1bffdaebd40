"""The evaluation's part of a generated edition (``generate_scale_data``, plan in ``alliances/scale.py``).

Six competencies, a feedback questionnaire per session (for those present) and the pré/post
self-assessments, with their questions, responses and answers (« après » follows « avant »), and
the findings for deployment. Reads the networks' ``shared["participants"]``, the sessions'
``shared["sessions"]`` and ``shared["present"]`` and the governance's ``shared["meetings"]``.
"""

import datetime as dt

from django.utils import timezone

from alliances.loaders import ScaleBuilder, ScaleEdition, scale_builders
from evaluation.models import Answer, Competency, Finding, Question, Questionnaire, Response

COMPETENCIES = [
    "Cartographier son écosystème de partenaires",
    "Qualifier la maturité d'une relation partenariale",
    "Identifier les leviers de co-construction avec les acteurs publics",
    "Dialoguer avec les entreprises",
    "Construire une feuille de route partenariale",
    "Évaluer la valeur créée par une alliance",
]
FEEDBACK_CHOICES = "Très utile\nUtile\nPeu utile"


def _aware(value):
    return timezone.make_aware(value, timezone.get_default_timezone())


def build_questionnaires(edition, sessions):
    """The competencies, a feedback questionnaire per session and the pré/post self-assessments; return the latter."""
    programme = edition.programme
    competencies = edition.add(
        Competency, [Competency(programme=programme, order=k, name=name) for k, name in enumerate(COMPETENCIES, 1)]
    )
    questionnaires = edition.add(
        Questionnaire,
        [
            *[
                Questionnaire(
                    programme=programme,
                    kind=Questionnaire.Kind.SESSION_FEEDBACK,
                    title=f"Retour sur la session {session.code}",
                    session=session,
                    audience=Questionnaire.Audience.SESSION_ATTENDEES,
                    opens_at=session.ends_at,
                    closes_at=session.ends_at + dt.timedelta(days=14),
                )
                for session in sessions
            ],
            Questionnaire(
                programme=programme,
                kind=Questionnaire.Kind.COMPETENCY_PRE,
                title="Auto-évaluation des compétences (avant)",
                opens_at=_aware(dt.datetime(2026, 1, 12, 9)),
                closes_at=_aware(dt.datetime(2026, 2, 9, 18)),
            ),
            Questionnaire(
                programme=programme,
                kind=Questionnaire.Kind.COMPETENCY_POST,
                title="Auto-évaluation des compétences (après)",
                opens_at=_aware(dt.datetime(2026, 9, 16, 9)),
                closes_at=_aware(dt.datetime(2026, 10, 16, 18)),
            ),
        ],
    )
    return competencies, questionnaires


def _feedback_questions(questionnaire):
    return [
        Question(questionnaire=questionnaire, order=1, text="Votre satisfaction globale"),
        Question(
            questionnaire=questionnaire,
            order=2,
            text="Utilité pour votre réseau",
            kind=Question.Kind.SINGLE,
            choices=FEEDBACK_CHOICES,
        ),
        Question(questionnaire=questionnaire, order=3, text="Un commentaire", kind=Question.Kind.TEXT, required=False),
    ]


def build_questions(edition, questionnaires, competencies):
    """Three questions per feedback questionnaire, one per competency in a self-assessment; return them by questionnaire pk."""
    questions = []
    for questionnaire in questionnaires:
        if questionnaire.kind == Questionnaire.Kind.SESSION_FEEDBACK:
            questions += _feedback_questions(questionnaire)
        else:
            questions += [
                Question(questionnaire=questionnaire, order=k, text=competency.name, competency=competency)
                for k, competency in enumerate(competencies, start=1)
            ]
    questions_of = {}
    for question in edition.add(Question, questions):
        questions_of.setdefault(question.questionnaire_id, []).append(question)
    return questions_of


def build_responses(edition, rng, questionnaires, participants, present):
    """Most of each audience answered (80 % of those present, 90 % for a self-assessment); return (response, participant).

    Each network's first participant answered every questionnaire of their audience: a page shown
    as them (tests/test_scale_query_counts.py) always has their answers to show, whatever the seed.
    """
    first = {}
    for participant in participants:
        first.setdefault(participant.enrolment_id, participant)
    firsts = set(first.values())
    respondents = []  # (questionnaire, participant)
    for questionnaire in questionnaires:
        audience = present[questionnaire.session_id] if questionnaire.session_id else participants
        share = 0.8 if questionnaire.kind == Questionnaire.Kind.SESSION_FEEDBACK else 0.9
        respondents += [(questionnaire, p) for p in audience if rng.random() < share or p in firsts]
    responses = edition.add(
        Response,
        [
            Response(
                questionnaire=questionnaire,
                participant=participant,
                submitted_at=questionnaire.opens_at + dt.timedelta(days=2),
                updated_at=questionnaire.opens_at + dt.timedelta(days=2),
            )
            for questionnaire, participant in respondents
        ],
    )
    return [
        (response, participant) for response, (_questionnaire, participant) in zip(responses, respondents, strict=True)
    ]


def _answer(rng, response, question, participant, baseline):
    """The answer of ``participant`` to ``question``, or None (a text left blank)."""
    if question.kind == Question.Kind.SCALE and question.competency_id:
        key = (participant.pk, question.competency_id)
        if response.questionnaire.kind == Questionnaire.Kind.COMPETENCY_PRE:
            value = baseline[key] = rng.randint(1, 4)
        else:
            value = min(5, baseline.get(key, rng.randint(1, 4)) + rng.randint(0, 2))
        return Answer(response=response, question=question, value=value)
    if question.kind == Question.Kind.SCALE:
        return Answer(response=response, question=question, value=rng.randint(3, 5))
    if question.kind == Question.Kind.SINGLE:
        return Answer(response=response, question=question, selected=[rng.choice(question.choice_list)])
    if rng.random() < 0.3:
        return Answer(response=response, question=question, text="Session riche en échanges.")
    return None


def build_answers(edition, rng, responses, questions_of):
    """Every response's answers: self-assessment scores that follow the pré score, feedback, a few comments."""
    baseline = {}  # (participant, competency) → pré score, so that « après » follows « avant »
    answers = [
        _answer(rng, response, question, participant, baseline)
        for response, participant in responses
        for question in questions_of[response.questionnaire_id]
    ]
    edition.add(Answer, [answer for answer in answers if answer is not None])


def build_findings(edition, sessions, meetings):
    """One finding of each kind for deployment (phase 3b), with its evidence."""
    edition.add(
        Finding,
        [
            Finding(
                programme=edition.programme,
                kind=kind,
                title=f"{label} de l'édition",
                body="Développement.",
                order=1,
                evidence_session=sessions[0],
                evidence_meeting=meetings[0],
            )
            for kind, label in Finding.Kind.choices
        ],
    )


@scale_builders.register
class EvaluationScale(ScaleBuilder):
    key = "evaluation"
    order = 40
    after = ("networks", "sessions", "governance")

    def build(self, edition: ScaleEdition) -> None:
        rng = edition.rng(self.key)
        shared = edition.shared
        sessions = shared["sessions"]
        competencies, questionnaires = build_questionnaires(edition, sessions)
        questions_of = build_questions(edition, questionnaires, competencies)
        responses = build_responses(edition, rng, questionnaires, shared["participants"], shared["present"])
        build_answers(edition, rng, responses, questions_of)
        build_findings(edition, sessions, shared["meetings"])
