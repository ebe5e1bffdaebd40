"""Demo answers to the pilot's questionnaires, on top of the fictional networks and their attendance.

Most participants answered: the feedback questionnaire of each session they attended, the
competency self-assessment before and after (scores that mostly rise), the final evaluation.
A few skipped one or the other, so the progression pairs only those who answered both.
Deterministic: a seeded random generator, natural keys, and answers dated inside each
questionnaire's 2018 window, so a second run creates and changes nothing.
"""

import datetime as dt
import random

from alliances.demo import at
from alliances.loaders import DemoLoader, DemoRun, demo_loaders
from alliances.pilot import upsert, upsert_many
from evaluation import pilot as evaluation_pilot
from evaluation.models import Answer, Competency, Question, Questionnaire, Response
from sessions.models import Registration

# Chance that a person of the audience answered, by kind of questionnaire.
ANSWER_RATES = {
    Questionnaire.Kind.SESSION_FEEDBACK: 0.85,
    Questionnaire.Kind.COMPETENCY_PRE: 0.9,
    Questionnaire.Kind.COMPETENCY_POST: 0.85,
    Questionnaire.Kind.FINAL: 0.8,
}
# Chance that an optional free-text question got an answer.
TEXT_RATE = 0.5
TEXTS = {
    "default": [
        "Des échanges très concrets entre réseaux, qui donnent envie d'essayer.",
        "Présenter notre inventaire des partenariats à notre conseil d'administration.",
        "Plus de temps pour travailler en binôme pendant la session.",
        "Partager les supports quelques jours avant la session.",
        "Associer un membre du bureau de notre réseau à la prochaine session.",
        "Organiser une rencontre avec la collectivité régionale sur nos freins.",
    ],
}


def load(programme, *, participants):
    """Load the demo responses of ``participants`` (in a stable order) to ``programme``'s published questionnaires."""
    rng = random.Random(2018_05)
    questionnaires = list(
        Questionnaire.objects.published()
        .filter(programme=programme)
        .prefetch_related("questions")
        .order_by("opens_at", "pk")
    )
    present = set(
        Registration.objects.filter(
            session__programme=programme, attendance=Registration.Attendance.PRESENT
        ).values_list("session_id", "participant_id")
    )
    # A baseline per participant and competency, so that « après » follows « avant ».
    baseline = {}
    response_rows, answer_specs = [], []
    for questionnaire in questionnaires:
        for participant in participants:
            if questionnaire.audience == Questionnaire.Audience.SESSION_ATTENDEES and (
                (questionnaire.session_id, participant.pk) not in present
            ):
                continue
            if rng.random() >= ANSWER_RATES[questionnaire.kind]:
                continue
            submitted_at = _moment(rng, questionnaire)
            response_rows.append(
                {
                    "questionnaire": questionnaire,
                    "participant": participant,
                    "submitted_at": submitted_at,
                    "updated_at": submitted_at,
                }
            )
            answer_specs.append(
                [(question, _value(rng, question, participant, baseline)) for question in questionnaire.questions.all()]
            )
    _upsert_responses(response_rows, answer_specs)


def _moment(rng, questionnaire):
    """A time inside the questionnaire's window, mostly in its first days."""
    window = (questionnaire.closes_at - questionnaire.opens_at) if questionnaire.closes_at else dt.timedelta(days=14)
    offset = min(dt.timedelta(hours=rng.randint(1, 24 * 6)), window - dt.timedelta(hours=1))
    return questionnaire.opens_at + offset


def _value(rng, question, participant, baseline):
    if question.kind == Question.Kind.SCALE:
        if question.competency_id is None:
            return rng.choices([2, 3, 4, 5], weights=[1, 3, 6, 4])[0]
        key = (participant.pk, question.competency_id)
        if key not in baseline:
            baseline[key] = rng.choices([1, 2, 3, 4], weights=[2, 5, 4, 1])[0]
            return baseline[key]
        return min(5, baseline[key] + rng.choices([0, 1, 2], weights=[2, 5, 2])[0])
    if question.kind == Question.Kind.SINGLE:
        choices = question.choice_list
        return [rng.choices(choices, weights=range(len(choices), 0, -1))[0]]
    if question.kind == Question.Kind.MULTIPLE:
        choices = question.choice_list
        picked = [choice for choice in choices if rng.random() < 0.45]
        return picked or [rng.choice(choices)]
    if question.required or rng.random() < TEXT_RATE:
        return rng.choice(TEXTS["default"])
    return None


# --- The current edition (alliances/demo.py) -------------------------------------------------

#: Share of S1's attendees who have answered its feedback questionnaire so far.
CURRENT_ANSWER_RATE = 0.5


def load_current(programme, *, anchor, participants, sessions):
    """The current edition's competencies and S1's feedback questionnaire, open until 10 days after
    the anchor, answered by about half of those present so far."""
    rng = random.Random(2026)
    upsert_many(
        Competency,
        [
            {"programme": programme, "name": name, "order": order}
            for order, name in enumerate(evaluation_pilot.COMPETENCIES, start=1)
        ],
        key=("programme", "name"),
    )
    s1 = sessions[1]
    questionnaire, _ = upsert(
        Questionnaire,
        {"programme": programme, "kind": Questionnaire.Kind.SESSION_FEEDBACK, "session": s1},
        {
            "audience": Questionnaire.Audience.SESSION_ATTENDEES,
            "title": f"Retour sur la session {s1.code} — {s1.title}",
            "introduction": "Quelques minutes pour nous dire comment s'est passée la session.",
            "opens_at": s1.ends_at,
            "closes_at": at(anchor, 10, 23, 59),
        },
    )
    specs = [*evaluation_pilot.FEEDBACK_HEAD, evaluation_pilot.FEEDBACK_INSPIRING, *evaluation_pilot.FEEDBACK_TAIL]
    questions = upsert_many(Question, evaluation_pilot._rows(questionnaire, specs), key=("questionnaire", "order"))
    present = set(
        Registration.objects.filter(session=s1, attendance=Registration.Attendance.PRESENT).values_list(
            "participant_id", flat=True
        )
    )
    response_rows, answer_specs = [], []
    for participant in participants:
        if participant.pk not in present or rng.random() >= CURRENT_ANSWER_RATE:
            continue
        submitted_at = s1.ends_at + dt.timedelta(hours=rng.randint(2, 24 * 5))
        response_rows.append(
            {
                "questionnaire": questionnaire,
                "participant": participant,
                "submitted_at": submitted_at,
                "updated_at": submitted_at,
            }
        )
        answer_specs.append([(question, _value(rng, question, participant, {})) for question in questions])
    _upsert_responses(response_rows, answer_specs)
    return questionnaire


def _upsert_responses(response_rows, answer_specs):
    """The responses (one per questionnaire and participant) and their answers, created or left as they are."""
    responses = upsert_many(
        Response, response_rows, key=("questionnaire", "participant"), initial=("submitted_at", "updated_at")
    )
    answer_rows = []
    for response, specs in zip(responses, answer_specs, strict=True):
        for question, value in specs:
            if value is None:
                continue
            row = {"response": response, "question": question, "value": None, "text": "", "selected": []}
            if question.kind == Question.Kind.SCALE:
                row["value"] = value
            elif question.kind == Question.Kind.TEXT:
                row["text"] = value
            else:
                row["selected"] = value
            answer_rows.append(row)
    upsert_many(Answer, answer_rows, key=("response", "question"))


@demo_loaders.register
class EvaluationDemo(DemoLoader):
    key = "evaluation"
    order = 30
    after = ("networks", "sessions")  # answers of the participants, to each session's questionnaire

    def load(self, run: DemoRun) -> None:
        load(run.pilot, participants=run.shared["participants"])

    def load_current(self, run: DemoRun) -> None:
        load_current(
            run.current,
            anchor=run.anchor,
            participants=run.shared["current_participants"],
            sessions=run.shared["current_sessions"],
        )
