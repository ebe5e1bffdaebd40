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

from django.db.models import Count, F, Max, Q, Sum, Window
from django.db.models.functions import RowNumber

from evaluation.models import MIN_RESPONDENTS_FOR_AGGREGATE, Answer, Competency, Question, Questionnaire
from networks.models import Enrolment, Participant
from sessions.models import Registration, Session

SCALE_VALUES = (1, 2, 3, 4, 5)
# Free-text answers a coordinator reads on the results page of a questionnaire (the export has them all).
TEXT_ANSWERS_SHOWN = 20
# What an entry says about the answers: blanked when the entry is withheld.
FIGURES = ("mean", "distribution", "mean_pre", "mean_post", "delta", "answers")


# --- The rule of disclosure -----------------------------------------------------------------


def is_withheld(respondents, *, for_coordinator):
    """True when an aggregate over ``respondents`` people may not be shown to this reader."""
    return not for_coordinator and respondents < MIN_RESPONDENTS_FOR_AGGREGATE


def disclose(entry, *, respondents, for_coordinator):
    """Apply the rule of disclosure to one result entry (a dict), in place; return it.

    ``entry["withheld"]`` tells whether it is withheld. A withheld entry keeps its identity
    (question, session, competency…) and its number of respondents, but each of its figures
    (:data:`FIGURES`: means, distribution, deltas, free-text answers) becomes ``None``.
    Free-text answers are shown to coordinators only, whatever the number of respondents.
    """
    withheld = is_withheld(respondents, for_coordinator=for_coordinator)
    entry["withheld"] = withheld
    for key in FIGURES:
        if key in entry and (withheld or (key == "answers" and not for_coordinator)):
            entry[key] = None
    return entry


# --- Helpers ----------------------------------------------------------------------------------


def _mean(total, count):
    return round(total / count, 2) if count else None


def _rate(part, whole):
    return round(part / whole, 3) if whole else None


def _session_data(session):
    if session is None:
        return None
    return {"id": session.pk, "number": session.number, "code": session.code, "title": session.title}


def audience_sizes(questionnaires):
    """Questionnaire id → number of people it is for. Two queries at most, whatever the edition's size."""
    questionnaires = list(questionnaires)
    sizes, per_programme, per_session = {}, {}, {}
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
    session_ids = {q.session_id for q in questionnaires if q.audience == Questionnaire.Audience.SESSION_ATTENDEES}
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


def _question_entries(questions, *, for_coordinator, with_text_answers=False):
    """Per-question aggregates of ``questions`` (of one or several questionnaires), keyed by question id.

    Two queries (grouped counts of every question; the ticks of the choice questions), plus one
    for the latest free-text answers when ``with_text_answers`` (coordinators' questionnaire page).
    """
    questions = list(questions)
    ids = [q.pk for q in questions]
    # (question, value) → number of answers; value is None for choice and text answers.
    counts = defaultdict(dict)
    for question_id, value, n in (
        Answer.objects.filter(question_id__in=ids)
        .values("question_id", "value")
        .annotate(n=Count("pk"))
        .values_list("question_id", "value", "n")
        .order_by()
    ):
        counts[question_id][value] = n
    choice_ids = [q.pk for q in questions if q.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE)]
    ticks = defaultdict(lambda: defaultdict(int))
    if choice_ids:
        for question_id, selected in Answer.objects.filter(question_id__in=choice_ids).values_list(
            "question_id", "selected"
        ):
            for choice in selected or ():
                ticks[question_id][choice] += 1
    texts = defaultdict(list)
    if with_text_answers and for_coordinator:
        text_ids = [q.pk for q in questions if q.kind == Question.Kind.TEXT]
        if text_ids:
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

    entries = {}
    for question in questions:
        by_value = counts.get(question.pk, {})
        respondents = sum(by_value.values())
        entry = {
            "id": question.pk,
            "questionnaire_id": question.questionnaire_id,
            "order": question.order,
            "text": question.text,
            "kind": question.kind,
            "kind_label": str(question.get_kind_display()),
            "required": question.required,
            "competency_id": question.competency_id,
            "respondents": respondents,
            "mean": None,
            "distribution": None,
        }
        if question.kind == Question.Kind.SCALE:
            scored = sum(by_value.get(v, 0) for v in SCALE_VALUES)
            entry["mean"] = _mean(sum(v * by_value.get(v, 0) for v in SCALE_VALUES), scored)
            entry["distribution"] = [
                {"value": v, "label": str(v), "count": by_value.get(v, 0), "share": _rate(by_value.get(v, 0), scored)}
                for v in SCALE_VALUES
            ]
        elif question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            # Shares are of the respondents: a multiple choice's shares may add up to more than 100 %.
            entry["distribution"] = [
                {
                    "value": choice,
                    "label": choice,
                    "count": ticks[question.pk].get(choice, 0),
                    "share": _rate(ticks[question.pk].get(choice, 0), respondents),
                }
                for choice in question.choice_list
            ]
        else:
            entry["answers"] = texts.get(question.pk, []) if with_text_answers else None
        entries[question.pk] = disclose(entry, respondents=respondents, for_coordinator=for_coordinator)
    return entries


def _questionnaire_entry(questionnaire, *, respondents, audience_size, questions, for_coordinator, now=None):
    entry = {
        "id": questionnaire.pk,
        "title": questionnaire.title,
        "kind": questionnaire.kind,
        "kind_label": str(questionnaire.get_kind_display()),
        "status": str(questionnaire.status(now)),
        "status_label": str(Questionnaire.Status(questionnaire.status(now)).label),
        "session": _session_data(questionnaire.session),
        "audience": questionnaire.audience,
        "audience_label": str(questionnaire.get_audience_display()),
        "opens_at": questionnaire.opens_at,
        "closes_at": questionnaire.closes_at,
        "respondents": respondents,
        "audience_size": audience_size,
        "response_rate": _rate(respondents, audience_size),
        "questions": questions,
    }
    return disclose(entry, respondents=respondents, for_coordinator=for_coordinator)


# --- Satisfaction and progression ---------------------------------------------------------------


def satisfaction_by_session(programme, *, for_coordinator):
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
    entries = []
    for session in Session.objects.filter(programme=programme).order_by("number"):
        row = stats.get(session.pk)
        respondents = row["people"] if row else 0
        entry = {
            "session": _session_data(session),
            "questionnaire_id": row["question__questionnaire_id"] if row else None,
            "respondents": respondents,
            "mean": _mean(row["total"], row["scores"]) if row else None,
        }
        entries.append(disclose(entry, respondents=respondents, for_coordinator=for_coordinator))
    return entries


def competency_progression(programme, *, for_coordinator):
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
    sums = defaultdict(lambda: [0, 0, 0])  # competency id → [n, sum pre, sum post]
    for competency_id, pre_value, post_value in pairs:
        row = sums[competency_id]
        row[0] += 1
        row[1] += pre_value
        row[2] += post_value
    entries = []
    for competency in Competency.objects.filter(programme=programme).order_by("order", "name"):
        n, total_pre, total_post = sums.get(competency.pk, (0, 0, 0))
        entry = {
            "competency": {"id": competency.pk, "order": competency.order, "name": competency.name},
            "n": n,
            "mean_pre": _mean(total_pre, n),
            "mean_post": _mean(total_post, n),
            "delta": round((total_post - total_pre) / n, 2) if n else None,
        }
        entries.append(disclose(entry, respondents=n, for_coordinator=for_coordinator))
    return entries


# --- What the pages and the documents read --------------------------------------------------------


def _published(programme):
    return (
        Questionnaire.objects.published()
        .filter(programme=programme)
        .select_related("session")
        .annotate(respondents=Count("responses"))
        .order_by("opens_at", "title", "pk")
    )


def programme_results(programme, *, for_coordinator: bool) -> dict:
    """Every result of an edition, as plain data (dicts, lists, numbers, strings, datetimes).

    ``for_coordinator=False`` gives what anyone but a coordinator may see (committee area,
    documents): aggregates only, and every aggregate over fewer than
    ``MIN_RESPONDENTS_FOR_AGGREGATE`` respondents withheld (see :func:`disclose`). Only
    published questionnaires (with an opening date) are included. Ten queries at most,
    whatever the number of respondents.

    Shape::

        {
          "programme": {"id": int, "name": str, "slug": str},
          "for_coordinator": bool,
          "min_respondents": 5,
          "questionnaires": [            # by opening date
            {
              "id": int, "title": str, "kind": str, "kind_label": str,
              "status": "upcoming" | "open" | "closed", "status_label": str,
              "session": {"id", "number", "code", "title"} | None,
              "audience": "all" | "session_attendees", "audience_label": str,
              "opens_at": datetime, "closes_at": datetime | None,
              "respondents": int,        # responses received
              "audience_size": int,      # people the questionnaire is for
              "response_rate": float | None,   # respondents / audience_size, 0–1 (3 decimals)
              "withheld": bool,
              "questions": [             # by order
                {
                  "id": int, "questionnaire_id": int, "order": int, "text": str,
                  "kind": "scale" | "single" | "multiple" | "text", "kind_label": str,
                  "required": bool, "competency_id": int | None,
                  "respondents": int,    # people who answered this question
                  "withheld": bool,
                  "mean": float | None,  # scale questions: mean score, 2 decimals
                  "distribution": [      # scale: values 1–5; choices: in their order; text: None
                    {"value": int | str, "label": str, "count": int, "share": float | None}
                  ] | None,              # share = count / respondents (multiple choices may add up to > 1)
                  "answers": None,       # text questions (free text only in questionnaire_results)
                }
              ],
            }
          ],
          "response_rates": [            # the same figures, one line per questionnaire
            {"questionnaire_id": int, "title": str, "respondents": int, "audience_size": int,
             "response_rate": float | None}
          ],
          "satisfaction": [              # one per session of the edition, by number
            {"session": {"id", "number", "code", "title"}, "questionnaire_id": int | None,
             "respondents": int, "mean": float | None, "withheld": bool}
          ],
          "progression": [               # one per competency of the edition, in order
            {"competency": {"id", "order", "name"}, "n": int,   # participants who answered pré AND post
             "mean_pre": float | None, "mean_post": float | None, "delta": float | None,
             "withheld": bool}
          ],
        }

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
    by_questionnaire = defaultdict(list)
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


def questionnaire_results(questionnaire, *, for_coordinator: bool) -> dict:
    """The results of one questionnaire: the entry of :func:`programme_results`'s
    ``questionnaires`` list, plus, for coordinators, the latest free-text answers of each text
    question (``answers``: ``[{"participant", "network", "text"}]``, at most TEXT_ANSWERS_SHOWN).

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
