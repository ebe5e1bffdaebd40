"""Admin of questionnaires, responses, competencies and findings.

The admin is the coordinators' tool: they build questionnaires (questions inline), see
individual responses, open the results page of each questionnaire and export the responses
(CSV for French Excel, XLSX). Anyone else only ever gets aggregates (see
MIN_RESPONDENTS_FOR_AGGREGATE and evaluation.results), never through the admin.
"""

from django import forms
from django.contrib import admin
from django.db.models import Case, Count, OuterRef, Subquery, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from alliances import admin_index
from alliances.admin_history import ProgrammeScopedHistoryAdmin
from alliances.admin_scoping import ProgrammeScopedAdmin, ScopedTabularInline
from evaluation import exports
from evaluation.models import Answer, Competency, Finding, Question, Questionnaire, Response
from networks.models import Enrolment, Participant
from sessions.models import Registration


@admin.register(Competency)
class CompetencyAdmin(ProgrammeScopedAdmin):
    programme_path = "programme"
    list_display = ("name", "programme", "order")
    list_filter = ("programme",)
    list_select_related = ("programme",)
    search_fields = ("name",)


class QuestionInlineForm(forms.ModelForm):
    """A question row; its kind is frozen once someone answered it (the answers would no longer fit)."""

    class Meta:
        model = Question
        fields = ("order", "text", "help_text", "kind", "choices", "required", "competency")
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2, "cols": 40}),
            "help_text": forms.Textarea(attrs={"rows": 2, "cols": 24}),
            "choices": forms.Textarea(attrs={"rows": 3, "cols": 24}),
        }

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "kind" in self.changed_data and self.instance.answers.exists():
            self.add_error(
                "kind",
                _(
                    "Des participants ont déjà répondu à cette question : son type ne peut plus changer. "
                    "Ajoutez plutôt une nouvelle question."
                ),
            )
        return cleaned


class QuestionInline(ScopedTabularInline):
    """Build the questionnaire on one page: order, wording, kind, choices (one per line), required, competency."""

    model = Question
    form = QuestionInlineForm
    fields = ("order", "text", "help_text", "kind", "choices", "required", "competency")
    parent_choice_filters = {"competency": ("programme", "programme_id")}
    ordering = ("order",)
    extra = 1


def _related_count(model, field):
    """The number of ``model`` rows whose ``field`` is the outer row: a subquery per listed row."""
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk"))
    return Coalesce(Subquery(rows.values("n")), 0)


class AudienceSizeMixin:
    """The number of people each questionnaire is for, computed by the database for the whole list."""

    @staticmethod
    def audience_size_annotation():
        everyone = (
            Participant.objects.filter(
                enrolment__programme=OuterRef("programme"), enrolment__status=Enrolment.Status.AGREED
            )
            .order_by()
            .values("enrolment__programme")
            .annotate(n=Count("pk"))
            .values("n")
        )
        present = (
            Registration.objects.filter(
                session=OuterRef("session"),
                attendance=Registration.Attendance.PRESENT,
                participant__enrolment__status=Enrolment.Status.AGREED,
            )
            .order_by()
            .values("session")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Case(
            When(audience=Questionnaire.Audience.ALL, then=Coalesce(Subquery(everyone), 0)),
            default=Coalesce(Subquery(present), 0),
        )


@admin.action(description=gettext_lazy("Exporter les réponses (CSV)"))
def export_responses_csv(modeladmin, request, queryset):
    questionnaires = list(queryset.order_by("programme_id", "opens_at", "title"))
    if len(questionnaires) == 1:
        return exports.csv_response(questionnaires[0])
    return exports.zip_of_csv_response(questionnaires, "questionnaires-csv.zip")


@admin.action(description=gettext_lazy("Exporter les réponses (XLSX, une feuille par questionnaire)"))
def export_responses_xlsx(modeladmin, request, queryset):
    questionnaires = list(queryset.order_by("programme_id", "opens_at", "title"))
    name = exports.filename(questionnaires[0], "xlsx") if len(questionnaires) == 1 else "questionnaires.xlsx"
    return exports.xlsx_response(questionnaires, name)


@admin.register(Questionnaire)
class QuestionnaireAdmin(AudienceSizeMixin, ProgrammeScopedAdmin):
    programme_path = "programme"
    label_with_edition = True  # reads alike in every edition: labelled with it in filters and choices
    list_display = (
        "title",
        "programme",
        "kind",
        "session",
        "audience",
        "closes_at",
        "status_display",
        "question_count",
        "response_rate",
        "results_link",
    )
    list_filter = ("programme", "kind", "audience")
    list_select_related = ("programme", "session")
    search_fields = ("title", "introduction")
    date_hierarchy = "opens_at"
    autocomplete_fields = ("session",)
    readonly_fields = ("results_link",)
    fieldsets = (
        (None, {"fields": ("programme", "kind", "title", "introduction")}),
        (
            _("Public"),
            {
                "fields": ("audience", "session"),
                "description": _(
                    "« Tous les participants de l'édition », ou « les présents à une session » : ceux dont la "
                    "présence a été notée à cette session. Un retour sur une session porte sur sa session."
                ),
            },
        ),
        (
            _("Dates"),
            {
                "fields": ("opens_at", "closes_at"),
                "description": _(
                    "Sans date d'ouverture, le questionnaire reste en préparation. Les participants répondent "
                    "et peuvent modifier leurs réponses de l'ouverture à la clôture."
                ),
            },
        ),
        (_("Résultats"), {"fields": ("results_link",)}),
    )
    inlines = (QuestionInline,)
    actions = (export_responses_csv, export_responses_xlsx)

    def annotate_queryset(self, request, queryset):
        # Counted by subqueries: two joined Counts would GROUP BY every column over questions ×
        # responses of the whole table (10 s at 50 editions on SQLite), before the page's LIMIT.
        return queryset.annotate(
            question_total=_related_count(Question, "questionnaire"),
            response_total=_related_count(Response, "questionnaire"),
            audience_total=self.audience_size_annotation(),
        )

    @admin.display(description=_("questions"), ordering="question_total")
    def question_count(self, obj):
        return obj.question_total

    @admin.display(description=_("réponses / public"), ordering="response_total")
    def response_rate(self, obj):
        if not obj.audience_total:
            return f"{obj.response_total} / 0"
        return f"{obj.response_total} / {obj.audience_total} ({round(100 * obj.response_total / obj.audience_total)} %)"

    @admin.display(description=_("état"))
    def status_display(self, obj):
        return Questionnaire.Status(obj.status()).label

    @admin.display(description=_("résultats"))
    def results_link(self, obj):
        if obj is None or not obj.pk:
            return _("Enregistrez le questionnaire pour voir ses résultats.")
        return format_html(
            '<a href="{}">{}</a>', reverse("evaluation_results:questionnaire", args=[obj.pk]), _("Résultats")
        )


@admin.register(Question)
class QuestionAdmin(ProgrammeScopedAdmin):
    programme_path = "questionnaire__programme"
    list_display = ("__str__", "questionnaire", "kind", "required", "competency")
    list_filter = ("questionnaire__programme", "kind", "required", "questionnaire")
    list_select_related = ("questionnaire", "competency")
    search_fields = ("text", "help_text", "questionnaire__title")
    autocomplete_fields = ("questionnaire", "competency")


class AnswerInline(ScopedTabularInline):
    model = Answer
    fields = ("question", "value", "text", "selected")
    queryset_select_related = ("question",)
    parent_choice_filters = {"question": ("questionnaire", "questionnaire_id")}


@admin.register(Response)
class ResponseAdmin(ProgrammeScopedHistoryAdmin):
    programme_path = "questionnaire__programme"
    list_display = ("participant", "network", "questionnaire", "submitted_at", "updated_at")
    list_filter = ("questionnaire__programme", "questionnaire")
    list_select_related = ("participant__user", "participant__enrolment__network", "questionnaire")
    search_fields = (
        "participant__user__email",
        "participant__user__last_name",
        "participant__enrolment__network__name",
        "questionnaire__title",
    )
    date_hierarchy = "submitted_at"
    autocomplete_fields = ("questionnaire", "participant")
    readonly_fields = ("submitted_at", "updated_at")
    inlines = (AnswerInline,)

    @admin.display(description=_("réseau"), ordering="participant__enrolment__network__name")
    def network(self, obj):
        return obj.participant.enrolment.network


@admin.register(Answer)
class AnswerAdmin(ProgrammeScopedHistoryAdmin):
    programme_path = "response__questionnaire__programme"
    list_display = ("question", "participant", "questionnaire", "display_value")
    list_filter = ("response__questionnaire__programme", "response__questionnaire")
    list_select_related = ("question", "response__participant__user", "response__questionnaire")
    search_fields = ("text", "question__text", "response__participant__user__email")
    autocomplete_fields = ("response", "question")

    @admin.display(description=_("participant"), ordering="response__participant__user__last_name")
    def participant(self, obj):
        return obj.response.participant

    @admin.display(description=_("questionnaire"), ordering="response__questionnaire__title")
    def questionnaire(self, obj):
        return obj.response.questionnaire

    @admin.display(description=_("réponse"))
    def display_value(self, obj):
        return obj.display_value


@admin.register(Finding)
class FindingAdmin(ProgrammeScopedAdmin):
    programme_path = "programme"
    list_display = ("title", "kind", "programme", "order")
    list_filter = ("programme", "kind")
    list_select_related = ("programme",)
    search_fields = ("title", "body")
    autocomplete_fields = ("evidence_questionnaire", "evidence_session", "evidence_meeting")


# The admin index by task (alliances/admin_index.py); questions and answers (inlines): « Autres ».
admin_index.place(admin_index.EVALUATE, Questionnaire, Response, Competency, Finding)
