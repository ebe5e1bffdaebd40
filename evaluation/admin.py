"""Admin of questionnaires, responses, competencies and findings.

The admin is the coordinators' tool: they see individual responses. Anyone else
only ever gets aggregates (see MIN_RESPONDENTS_FOR_AGGREGATE), through the portal
and the documents, never through the admin.
"""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from alliances.admin_scoping import ProgrammeScopedAdmin, ScopedTabularInline
from evaluation.models import Answer, Competency, Finding, Question, Questionnaire, Response


@admin.register(Competency)
class CompetencyAdmin(ProgrammeScopedAdmin):
    programme_path = "programme"
    list_display = ("name", "programme", "order")
    list_filter = ("programme",)
    list_select_related = ("programme",)
    search_fields = ("name",)


class QuestionInline(ScopedTabularInline):
    model = Question
    fields = ("order", "text", "kind", "choices", "required", "competency")
    parent_choice_filters = {"competency": ("programme", "programme_id")}


@admin.register(Questionnaire)
class QuestionnaireAdmin(ProgrammeScopedAdmin):
    programme_path = "programme"
    list_display = (
        "title",
        "programme",
        "kind",
        "session",
        "audience",
        "opens_at",
        "closes_at",
        "question_count",
        "response_count",
    )
    list_filter = ("programme", "kind", "audience")
    list_select_related = ("programme", "session")
    search_fields = ("title", "introduction")
    date_hierarchy = "opens_at"
    autocomplete_fields = ("session",)
    inlines = (QuestionInline,)

    def annotate_queryset(self, request, queryset):
        return queryset.annotate(
            question_total=Count("questions", distinct=True), response_total=Count("responses", distinct=True)
        )

    @admin.display(description=_("questions"), ordering="question_total")
    def question_count(self, obj):
        return obj.question_total

    @admin.display(description=_("réponses"), ordering="response_total")
    def response_count(self, obj):
        return obj.response_total


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
class ResponseAdmin(ProgrammeScopedAdmin):
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
class AnswerAdmin(ProgrammeScopedAdmin):
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
