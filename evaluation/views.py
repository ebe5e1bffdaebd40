"""Questionnaires in the member portal, and their results for coordinators.

Portal pages (``participant_required``): a questionnaire outside the participant's edition or
audience — another edition's, a draft, or one for the present at a session they did not
attend — is a 404, as the portal treats every object that is not theirs: it does not exist
for them, and a 403 would confirm that it does.

Coordinator pages (``coordinator_required``): 403 for anyone who coordinates no edition, 404
for a questionnaire or an edition they do not coordinate.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from alliances.access import coordinator_required
from alliances.models import Programme
from alliances.pagination import paginate
from evaluation import exports, results, services
from evaluation.forms import QuestionnaireForm, initial_from
from evaluation.models import Answer, Questionnaire, Response
from networks.access import participant_required

PROGRAMMES_PER_PAGE = 25
AGGREGATES_VIEW = "agregats"


# --- Member portal -----------------------------------------------------------------------------


def _my_questionnaire(request, pk):
    """A published questionnaire of the participant's edition and audience, else 404."""
    queryset = Questionnaire.objects.for_participant(request.participant).published().select_related("session")
    return get_object_or_404(queryset, pk=pk)


def _my_response(questionnaire, participant):
    answers = Answer.objects.select_related("question").order_by("question__order")
    return (
        Response.objects.filter(questionnaire=questionnaire, participant=participant)
        .prefetch_related(Prefetch("answers", queryset=answers))
        .first()
    )


def _local(value):
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


@participant_required
def questionnaire_list(request):
    """The participant's questionnaires: to answer, answered (editable while open), upcoming, closed. One query."""
    participant = request.participant
    now = timezone.now()
    mine = Response.objects.filter(questionnaire=OuterRef("pk"), participant_id=participant.pk)
    questionnaires = (
        Questionnaire.objects.for_participant(participant)
        .published()
        .select_related("session")
        .annotate(answered_at=Subquery(mine.values("updated_at")[:1]))
        .order_by("opens_at", "title", "pk")
    )
    to_answer, answered, upcoming, missed = [], [], [], []
    for questionnaire in questionnaires:
        status = questionnaire.status(now)
        questionnaire.is_open_now = status == Questionnaire.Status.OPEN
        if questionnaire.answered_at is not None:
            answered.append(questionnaire)
        elif status == Questionnaire.Status.OPEN:
            to_answer.append(questionnaire)
        elif status == Questionnaire.Status.UPCOMING:
            upcoming.append(questionnaire)
        else:
            missed.append(questionnaire)
    to_answer.sort(key=lambda q: (q.closes_at is None, q.closes_at or now))
    answered.reverse()  # most recent first
    missed.reverse()
    context = {"to_answer": to_answer, "answered": answered, "upcoming": upcoming, "missed": missed}
    return render(request, "evaluation/questionnaire_list.html", context)


@participant_required
def questionnaire_answer(request, pk):
    """Answer a questionnaire, or change one's answers, until it closes."""
    participant = request.participant
    questionnaire = _my_questionnaire(request, pk)
    now = timezone.now()
    status = questionnaire.status(now)
    if status == Questionnaire.Status.CLOSED:
        # Refused after the closing date: nothing changes; the answers stay readable.
        notify = messages.error if request.method == "POST" else messages.info
        notify(request, services.closed_message(questionnaire))
        return redirect("questionnaires:my_answers", pk=questionnaire.pk)
    if status != Questionnaire.Status.OPEN:
        messages.info(request, services.not_open_message(questionnaire))
        return redirect("questionnaires:list")

    response = _my_response(questionnaire, participant)
    questions = list(questionnaire.questions.order_by("order"))
    form = QuestionnaireForm(request.POST or None, questions=questions, initial=initial_from(response))
    if request.method == "POST" and form.is_valid():
        try:
            _response, created = services.response_submit(
                questionnaire=questionnaire, participant=participant, answers=form.answers(), now=now
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            if questionnaire.closes_at:
                until = _("Vous pouvez les modifier jusqu'au %(date)s.") % {"date": _local(questionnaire.closes_at)}
            else:
                until = _("Vous pouvez les modifier tant que le questionnaire reste ouvert.")
            saved = _("Merci ! Vos réponses sont enregistrées.") if created else _("Vos réponses sont modifiées.")
            messages.success(request, f"{saved} {until}")
            return redirect("questionnaires:my_answers", pk=questionnaire.pk)
    context = {"questionnaire": questionnaire, "form": form, "response": response}
    return render(request, "evaluation/questionnaire_form.html", context)


@participant_required
def my_answers(request, pk):
    """The participant's own answers, read-only, with a link to change them while the questionnaire is open."""
    questionnaire = _my_questionnaire(request, pk)
    response = _my_response(questionnaire, request.participant)
    context = {
        "questionnaire": questionnaire,
        "response": response,
        "answers": list(response.answers.select_related("question")) if response else [],
        "is_open": questionnaire.is_open(),
    }
    return render(request, "evaluation/my_answers.html", context)


# --- Coordinators: results and exports ------------------------------------------------------------


def _coordinated_questionnaire(request, pk):
    queryset = Questionnaire.objects.select_related("programme", "session")
    return get_object_or_404(queryset, pk=pk, programme__in=request.coordinated_programmes)


def _for_coordinator(request):
    """Coordinators may preview what committees see (aggregates only, small groups withheld)."""
    return request.GET.get("vue") != AGGREGATES_VIEW


@coordinator_required
def results_index(request):
    """The editions the coordinator coordinates, with their questionnaires and responses, searchable."""
    query = request.GET.get("q", "").strip()
    programmes = Programme.objects.filter(pk__in=request.coordinated_programmes.values("pk")).annotate(
        questionnaire_count=Count("questionnaires", distinct=True),
        response_count=Count("questionnaires__responses", distinct=True),
    )
    if query:
        programmes = programmes.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    page = paginate(request, programmes.order_by("-starts_on", "name"), PROGRAMMES_PER_PAGE)
    return render(request, "evaluation/results_index.html", {"page_obj": page, "query": query})


@coordinator_required
def programme_results(request, slug):
    programme = get_object_or_404(request.coordinated_programmes, slug=slug)
    for_coordinator = _for_coordinator(request)
    data = results.programme_results(programme, for_coordinator=for_coordinator)
    drafts = list(
        Questionnaire.objects.filter(programme=programme, opens_at__isnull=True).order_by("title").only("pk", "title")
    )
    context = {
        "programme": programme,
        "results": data,
        "drafts": drafts,
        "for_coordinator": for_coordinator,
        "aggregates_view": AGGREGATES_VIEW,
    }
    return render(request, "evaluation/programme_results.html", context)


@coordinator_required
def questionnaire_results(request, pk):
    questionnaire = _coordinated_questionnaire(request, pk)
    for_coordinator = _for_coordinator(request)
    data = results.questionnaire_results(questionnaire, for_coordinator=for_coordinator)
    context = {
        "questionnaire": questionnaire,
        "programme": questionnaire.programme,
        "result": data,
        "for_coordinator": for_coordinator,
        "aggregates_view": AGGREGATES_VIEW,
        "min_respondents": results.MIN_RESPONDENTS_FOR_AGGREGATE,
        "text_answers_shown": results.TEXT_ANSWERS_SHOWN,
    }
    return render(request, "evaluation/questionnaire_results.html", context)


@coordinator_required
def export_csv(request, pk):
    return exports.csv_response(_coordinated_questionnaire(request, pk))


@coordinator_required
def export_xlsx(request, pk):
    questionnaire = _coordinated_questionnaire(request, pk)
    return exports.xlsx_response([questionnaire], exports.filename(questionnaire, "xlsx"))
