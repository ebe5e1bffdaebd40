"""Results of the questionnaires: distributions, means, satisfaction, progression, response rates.

Everything here reads; nothing writes. Each function costs a fixed number of queries whatever
the number of respondents (answers are counted in the database, grouped by question and value;
only the choice questions' ticks and the paired competency scores come back row by row).

Disclosure. Coordinators see everything. Anyone else (committee members, documents sent to
them, participants) sees aggregates only, and an aggregate computed over fewer than
``MIN_RESPONDENTS_FOR_AGGREGATE`` respondents is withheld: :func:`disclose` is the one place
where that rule is applied, and every entry of the structures below goes through it.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NotRequired, TypedDict, TypeVar, cast

from django.db.models import Count, F, Max, Q, Sum, Window
from django.db.models.functions import RowNumber

from alliances.models import Programme
from evaluation.models import MIN_RESPONDENTS_FOR_AGGREGATE, Answer, Competency, Question, Questionnaire
from networks.models import Enrolment, Participant
from sessions.models import Registration, Session

SCALE_VALUES = (1, 2, 3, 4, 5)
# Free-text answers a coordinator reads on the results page of a questionnaire (the export has them all).
TEXT_ANSWERS_SHOWN = 20
# What an entry says about the answers: blanked when the entry is withheld.
FIGURES = ("mean", "distribution", "mean_pre", "mean_post", "delta", "answers")


# --- The shapes of the results ------------------------------------------------------------------
# Plain dicts at run time (templates, documents and tests read them by key), typed here. Every
# entry that carries figures has ``withheld``: see :func:`disclose`.


class ProgrammeRef(TypedDict):
    id: int
    name: str
    slug: str


class SessionRef(TypedDict):
    id: int
    number: int
    code: str
    title: str


class CompetencyRef(TypedDict):
    id: int
    order: int
    name: str


class DistributionRow(TypedDict):
    """One value of a scale (1–5) or one choice, in their order."""

    value: int | str
    label: str
    count: int
    share: float | None  # count / respondents (a multiple choice's shares may add up to more than 1)


class TextAnswer(TypedDict):
    participant: str  # full name, else e-mail
    network: str
    text: str


class QuestionResult(TypedDict):
    id: int
    questionnaire_id: int
    order: int
    text: str
    kind: str  # "scale" | "single" | "multiple" | "text"
    kind_label: str
    required: bool
    competency_id: int | None
    respondents: int  # people who answered this question
    withheld: bool
    mean: float | None  # scale questions: mean score, 2 decimals
    distribution: list[DistributionRow] | None  # scale and choices; None for text
    # Text questions only: None, except in questionnaire_results for coordinators
    # (the latest TEXT_ANSWERS_SHOWN answers).
    answers: NotRequired[list[TextAnswer] | None]


class QuestionnaireResult(TypedDict):
    id: int
    title: str
    kind: str
    kind_label: str
    status: str  # "upcoming" | "open" | "closed"
    status_label: str
    session: SessionRef | None
    audience: str  # "all" | "session_attendees"
    audience_label: str
    opens_at: datetime | None  # None for a draft (questionnaire_results only: programme_results has none)
    closes_at: datetime | None
    respondents: int  # responses received
    audience_size: int  # people the questionnaire is for
    response_rate: float | None  # respondents / audience_size, 0–1 (3 decimals)
    questions: list[QuestionResult]  # by order
    withheld: bool


class ResponseRate(TypedDict):
    """The same figures as a questionnaire's entry, one line per questionnaire: never withheld."""

    questionnaire_id: int
    title: str
    respondents: int
    audience_size: int
    response_rate: float | None


class SessionSatisfaction(TypedDict):
    session: SessionRef
    questionnaire_id: int | None  # the session's feedback questionnaire, if any
    respondents: int
    mean: float | None
    withheld: bool


class CompetencyProgression(TypedDict):
    competency: CompetencyRef
    n: int  # participants who answered pré AND post
    mean_pre: float | None
    mean_post: float | None
    delta: float | None
    withheld: bool


class ProgrammeResults(TypedDict):
    programme: ProgrammeRef
    for_coordinator: bool
    min_respondents: int
    questionnaires: list[QuestionnaireResult]  # by opening date
    response_rates: list[ResponseRate]
    satisfaction: list[SessionSatisfaction]  # one per session of the edition, by number
    progression: list[CompetencyProgression]  # one per competency of the edition, in order


Entry = TypeVar("Entry")


# --- The rule of disclosure -----------------------------------------------------------------


def is_withheld(respondents: int, *, for_coordinator: bool) -> bool:
    """True when an aggregate over ``respondents`` people may not be shown to this reader."""
    return not for_coordinator and respondents < MIN_RESPONDENTS_FOR_AGGREGATE


def disclose(entry: Entry, *, respondents: int, for_coordinator: bool) -> Entry:
    """Apply the rule of disclosure to one result entry (a dict), in place; return it.

    ``entry["withheld"]`` tells whether it is withheld. A withheld entry keeps its identity
    (question, session, competency…) and its number of respondents, but each of its figures
    (:data:`FIGURES`: means, distribution, deltas, free-text answers) becomes ``None``.
    Free-text answers are shown to coordinators only, whatever the number of respondents.
    """
    withheld = is_withheld(respondents, for_coordinator=for_coordinator)
    figures = cast(dict[str, Any], entry)  # any entry: the figures are named by FIGURES
    figures["withheld"] = withheld
    for key in FIGURES:
        if key in figures and (withheld or (key == "answers" and not for_coordinator)):
            figures[key] = None
    return entry


# --- Helpers ----------------------------------------------------------------------------------


def _mean(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _session_data(session: Session) -> SessionRef:
    return {"id": session.pk, "number": session.number, "code": session.code, "title": session.title}


def audience_sizes(questionnaires: Iterable[Questionnaire]) -> dict[int, int]:
    """Questionnaire id → number of people it is for. Two queries at most, whatever the edition's size."""
    questionnaires = list(questionnaires)
    sizes: dict[int, int] = {}
    per_programme: dict[int, int] = {}
    per_session: dict[int | None, int] = {}
    programme_ids = {q.programme_id for q in questionnaires if q.audience == Questionnaire.Audience.ALL}
    if programme_ids:
        per_programme = dict(
            Participant.objects.filter(
                enrolment__programme_id__in=programme_ids, enrolment__status=Enrolment.Status.AGREED
            )
            .values("enrolment__programme_id")
            .annotate(n=Count("pk"))
            .values_list("enrolment__programme_id", "n")
        )
    session_ids = {
        q.session_id
        for q in questionnaires
        if q.audience == Questionnaire.Audience.SESSION_ATTENDEES and q.session_id is not None
    }
    if session_ids:
        per_session = dict(
            Registration.objects.filter(
                session_id__in=session_ids,
                attendance=Registration.Attendance.PRESENT,
                participant__enrolment__status=Enrolment.Status.AGREED,
            )
            .values("session_id")
            .annotate(n=Count("pk"))
            .values_list("session_id", "n")
        )
    for questionnaire in questionnaires:
        if questionnaire.audience == Questionnaire.Audience.ALL:
            sizes[questionnaire.pk] = per_programme.get(questionnaire.programme_id, 0)
        else:
            sizes[questionnaire.pk] = per_session.get(questionnaire.session_id, 0)
    return sizes


def _answer_counts(question_ids: list[int]) -> dict[int, dict[int | None, int]]:
    """Question id → {value → number of answers}; value is None for choice and text answers. One query."""
    counts: dict[int, dict[int | None, int]] = defaultdict(dict)
    for question_id, value, n in (
        Answer.objects.filter(question_id__in=question_ids)
        .values("question_id", "value")
        .annotate(n=Count("pk"))
        .values_list("question_id", "value", "n")
        .order_by()
    ):
        counts[question_id][value] = n
    return counts


def _choice_ticks(questions: list[Question]) -> dict[int, dict[str, int]]:
    """Question id → {choice → number of answers ticking it}, for the choice questions. One query, if any."""
    choice_ids = [q.pk for q in questions if q.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE)]
    ticks: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if choice_ids:
        for question_id, selected in Answer.objects.filter(question_id__in=choice_ids).values_list(
            "question_id", "selected"
        ):
            for choice in selected or ():
                ticks[question_id][choice] += 1
    return ticks


def _latest_text_answers(questions: list[Question]) -> dict[int, list[TextAnswer]]:
    """Question id → its latest TEXT_ANSWERS_SHOWN free-text answers, for the text questions. One query, if any."""
    texts: dict[int, list[TextAnswer]] = defaultdict(list)
    text_ids = [q.pk for q in questions if q.kind == Question.Kind.TEXT]
    if not text_ids:
        return texts
    latest = (
        Answer.objects.filter(question_id__in=text_ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("question_id"),
                order_by=[F("response__updated_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=TEXT_ANSWERS_SHOWN)
        .values_list(
            "question_id",
            "text",
            "response__participant__user__first_name",
            "response__participant__user__last_name",
            "response__participant__user__email",
            "response__participant__enrolment__network__name",
        )
        .order_by("question_id", "rank")
    )
    for question_id, text, first_name, last_name, email, network in latest:
        name = f"{first_name} {last_name}".strip() or email
        texts[question_id].append({"participant": name, "network": network, "text": text})
    return texts


def _scale_distribution(by_value: dict[int | None, int]) -> tuple[float | None, list[DistributionRow]]:
    """The mean and the distribution over 1–5 of a scale question's answers."""
    scored = sum(by_value.get(v, 0) for v in SCALE_VALUES)
    mean = _mean(sum(v * by_value.get(v, 0) for v in SCALE_VALUES), scored)
    distribution: list[DistributionRow] = [
        {"value": v, "label": str(v), "count": by_value.get(v, 0), "share": _rate(by_value.get(v, 0), scored)}
        for v in SCALE_VALUES
    ]
    return mean, distribution


def _choice_distribution(question: Question, ticks: dict[str, int], respondents: int) -> list[DistributionRow]:
    # Shares are of the respondents: a multiple choice's shares may add up to more than 100 %.
    return [
        {
            "value": choice,
            "label": choice,
            "count": ticks.get(choice, 0),
            "share": _rate(ticks.get(choice, 0), respondents),
        }
        for choice in question.choice_list
    ]


def _question_entry(
    question: Question,
    *,
    by_value: dict[int | None, int],
    ticks: dict[str, int],
    answers: list[TextAnswer] | None,
) -> QuestionResult:
    """One question's entry before the rule of disclosure: ``answers`` only counts for text questions."""
    respondents = sum(by_value.values())
    entry: QuestionResult = {
        "id": question.pk,
        "questionnaire_id": question.questionnaire_id,
        "order": question.order,
        "text": question.text,
        "kind": question.kind,
        "kind_label": str(question.get_kind_display()),
        "required": question.required,
        "competency_id": question.competency_id,
        "respondents": respondents,
        "withheld": False,  # set by disclose()
        "mean": None,
        "distribution": None,
    }
    if question.kind == Question.Kind.SCALE:
        entry["mean"], entry["distribution"] = _scale_distribution(by_value)
    elif question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        entry["distribution"] = _choice_distribution(question, ticks, respondents)
    else:
        entry["answers"] = answers
    return entry


def _question_entries(
    questions: Iterable[Question], *, for_coordinator: bool, with_text_answers: bool = False
) -> dict[int, QuestionResult]:
    """Per-question aggregates of ``questions`` (of one or several questionnaires), keyed by question id.

    Two queries (grouped counts of every question; the ticks of the choice questions), plus one
    for the latest free-text answers when ``with_text_answers`` (coordinators' questionnaire page).
    """
    questions = list(questions)
    counts = _answer_counts([q.pk for q in questions])
    ticks = _choice_ticks(questions)
    texts = _latest_text_answers(questions) if with_text_answers and for_coordinator else {}
    entries = {}
    for question in questions:
        entry = _question_entry(
            question,
            by_value=counts.get(question.pk, {}),
            ticks=ticks.get(question.pk, {}),
            answers=texts.get(question.pk, []) if with_text_answers else None,
        )
        entries[question.pk] = disclose(entry, respondents=entry["respondents"], for_coordinator=for_coordinator)
    return entries


def _questionnaire_entry(
    questionnaire: Questionnaire,
    *,
    respondents: int,
    audience_size: int,
    questions: list[QuestionResult],
    for_coordinator: bool,
    now: datetime | None = None,
) -> QuestionnaireResult:
    session = questionnaire.session  # no query when there is none
    entry: QuestionnaireResult = {
        "id": questionnaire.pk,
        "title": questionnaire.title,
        "kind": questionnaire.kind,
        "kind_label": str(questionnaire.get_kind_display()),
        "status": str(questionnaire.status(now)),
        "status_label": str(Questionnaire.Status(questionnaire.status(now)).label),
        "session": _session_data(session) if session is not None else None,
        "audience": questionnaire.audience,
        "audience_label": str(questionnaire.get_audience_display()),
        "opens_at": questionnaire.opens_at,
        "closes_at": questionnaire.closes_at,
        "respondents": respondents,
        "audience_size": audience_size,
        "response_rate": _rate(respondents, audience_size),
        "questions": questions,
        "withheld": False,  # set by disclose()
    }
    return disclose(entry, respondents=respondents, for_coordinator=for_coordinator)


# --- Satisfaction and progression ---------------------------------------------------------------


def satisfaction_by_session(programme: Programme, *, for_coordinator: bool) -> list[SessionSatisfaction]:
    """One entry per session of the edition, in order: the mean of every 1–5 score given to the
    scale questions of the session's feedback questionnaire (all its scores pooled).

    ``respondents`` counts the people who gave at least one such score. Two queries.
    """
    feedback_scores = (
        Answer.objects.filter(
            question__questionnaire__programme=programme,
            question__questionnaire__kind=Questionnaire.Kind.SESSION_FEEDBACK,
            question__questionnaire__opens_at__isnull=False,
            question__kind=Question.Kind.SCALE,
            value__isnull=False,
        )
        .values("question__questionnaire__session_id", "question__questionnaire_id")
        .annotate(people=Count("response_id", distinct=True), scores=Count("pk"), total=Sum("value"))
        .order_by()
    )
    stats = {row["question__questionnaire__session_id"]: row for row in feedback_scores}
    entries: list[SessionSatisfaction] = []
    for session in Session.objects.filter(programme=programme).order_by("number"):
        row = stats.get(session.pk)
        respondents = row["people"] if row else 0
        entry: SessionSatisfaction = {
            "session": _session_data(session),
            "questionnaire_id": row["question__questionnaire_id"] if row else None,
            "respondents": respondents,
            "mean": _mean(row["total"], row["scores"]) if row else None,
            "withheld": False,  # set by disclose()
        }
        entries.append(disclose(entry, respondents=respondents, for_coordinator=for_coordinator))
    return entries


def competency_progression(programme: Programme, *, for_coordinator: bool) -> list[CompetencyProgression]:
    """Self-assessed competencies before (pré) and after (post), per competency of the edition.

    Computed ONLY over the participants who scored the competency in both questionnaires:
    someone who answered only one of them counts in neither mean. ``n`` is that number of pairs;
    ``delta`` is ``mean_post - mean_pre`` (rounded after the subtraction). Two queries: the
    competencies, and one row per (participant, competency) holding both scores.
    """
    pre, post = Questionnaire.Kind.COMPETENCY_PRE, Questionnaire.Kind.COMPETENCY_POST
    pairs = (
        Answer.objects.filter(
            question__questionnaire__programme=programme,
            question__questionnaire__kind__in=[pre, post],
            question__competency__isnull=False,
            value__isnull=False,
        )
        .values("response__participant_id", "question__competency_id")
        .annotate(
            pre=Max("value", filter=Q(question__questionnaire__kind=pre)),
            post=Max("value", filter=Q(question__questionnaire__kind=post)),
        )
        .filter(pre__isnull=False, post__isnull=False)
        .values_list("question__competency_id", "pre", "post")
        .order_by()
    )
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # competency id → [n, sum pre, sum post]
    for competency_id, pre_value, post_value in pairs:
        row = sums[competency_id]
        row[0] += 1
        row[1] += pre_value
        row[2] += post_value
    entries: list[CompetencyProgression] = []
    for competency in Competency.objects.filter(programme=programme).order_by("order", "name"):
        n, total_pre, total_post = sums.get(competency.pk, (0, 0, 0))
        entry: CompetencyProgression = {
            "competency": {"id": competency.pk, "order": competency.order, "name": competency.name},
            "n": n,
            "mean_pre": _mean(total_pre, n),
            "mean_post": _mean(total_post, n),
            "delta": round((total_post - total_pre) / n, 2) if n else None,
            "withheld": False,  # set by disclose()
        }
        entries.append(disclose(entry, respondents=n, for_coordinator=for_coordinator))
    return entries


# --- What the pages and the documents read --------------------------------------------------------


def _published(programme: Programme):  # a queryset of Questionnaire annotated with ``respondents``
    return (
        Questionnaire.objects.published()
        .filter(programme=programme)
        .select_related("session")
        .annotate(respondents=Count("responses"))
        .order_by("opens_at", "title", "pk")
    )


def programme_results(programme: Programme, *, for_coordinator: bool) -> ProgrammeResults:
    """Every result of an edition, as plain data (:class:`ProgrammeResults`: dicts, lists, numbers,
    strings, datetimes).

    ``for_coordinator=False`` gives what anyone but a coordinator may see (committee area,
    documents): aggregates only, and every aggregate over fewer than
    ``MIN_RESPONDENTS_FOR_AGGREGATE`` respondents withheld (see :func:`disclose`). Only
    published questionnaires (with an opening date) are included. Ten queries at most,
    whatever the number of respondents.

    A withheld entry keeps its identity and its count of respondents, but its figures (mean,
    distribution, mean_pre, mean_post, delta, answers) are ``None``. Response rates are never
    withheld: they tell how many answered, not what they answered.
    """
    questionnaires = list(_published(programme))
    sizes = audience_sizes(questionnaires)
    questions = list(
        Question.objects.filter(questionnaire__in=[q.pk for q in questionnaires]).order_by("questionnaire_id", "order")
    )
    question_entries = _question_entries(questions, for_coordinator=for_coordinator)
    by_questionnaire: dict[int, list[QuestionResult]] = defaultdict(list)
    for question in questions:
        by_questionnaire[question.questionnaire_id].append(question_entries[question.pk])
    entries = [
        _questionnaire_entry(
            questionnaire,
            respondents=questionnaire.respondents,
            audience_size=sizes[questionnaire.pk],
            questions=by_questionnaire[questionnaire.pk],
            for_coordinator=for_coordinator,
        )
        for questionnaire in questionnaires
    ]
    return {
        "programme": {"id": programme.pk, "name": programme.name, "slug": programme.slug},
        "for_coordinator": for_coordinator,
        "min_respondents": MIN_RESPONDENTS_FOR_AGGREGATE,
        "questionnaires": entries,
        "response_rates": [
            {
                "questionnaire_id": entry["id"],
                "title": entry["title"],
                "respondents": entry["respondents"],
                "audience_size": entry["audience_size"],
                "response_rate": entry["response_rate"],
            }
            for entry in entries
        ],
        "satisfaction": satisfaction_by_session(programme, for_coordinator=for_coordinator),
        "progression": competency_progression(programme, for_coordinator=for_coordinator),
    }


def questionnaire_results(questionnaire: Questionnaire, *, for_coordinator: bool) -> QuestionnaireResult:
    """The results of one questionnaire: the entry of :func:`programme_results`'s
    ``questionnaires`` list, plus, for coordinators, the latest free-text answers of each text
    question (``answers``: :class:`TextAnswer` rows, at most TEXT_ANSWERS_SHOWN).

    Five queries at most, whatever the number of respondents.
    """
    respondents = questionnaire.responses.count()
    questions = list(questionnaire.questions.order_by("order"))
    question_entries = _question_entries(questions, for_coordinator=for_coordinator, with_text_answers=True)
    return _questionnaire_entry(
        questionnaire,
        respondents=respondents,
        audience_size=audience_sizes([questionnaire])[questionnaire.pk],
        questions=[question_entries[q.pk] for q in questions],
        for_coordinator=for_coordinator,
    )
