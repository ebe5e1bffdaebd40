"""The form a participant fills in: one field per question, built from the questionnaire (crispy, Bootstrap 5)."""

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from evaluation.models import Answer, Question

SCALE_CHOICES = [(value, str(value)) for value in range(1, 6)]
TEXT_MAX_LENGTH = Answer._meta.get_field("text").max_length  # the model and the database hold it too


def field_name(question):
    return f"q{question.pk}"


def _field_for(question):
    common = {
        "label": question.text,
        "required": question.required,
        "error_messages": {"required": _("Cette question est obligatoire.")},
    }
    if question.kind == Question.Kind.SCALE:
        help_text = question.help_text or _("De 1 (faible) à 5 (excellent).")
        return forms.TypedChoiceField(
            choices=SCALE_CHOICES, coerce=int, empty_value=None, widget=forms.RadioSelect, help_text=help_text, **common
        )
    choices = [(choice, choice) for choice in question.choice_list]
    if question.kind == Question.Kind.SINGLE:
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, help_text=question.help_text, **common)
    if question.kind == Question.Kind.MULTIPLE:
        help_text = question.help_text or _("Plusieurs réponses possibles.")
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, help_text=help_text, **common
        )
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=TEXT_MAX_LENGTH,
        help_text=question.help_text,
        **common,
    )


def initial_from(response):
    """The form's initial values from a response whose ``answers`` are loaded (with their questions)."""
    if response is None:
        return {}
    initial = {}
    for answer in response.answers.all():
        key = f"q{answer.question_id}"
        kind = answer.question.kind
        if kind == Question.Kind.SCALE:
            initial[key] = answer.value
        elif kind == Question.Kind.SINGLE:
            initial[key] = answer.selected[0] if answer.selected else None
        elif kind == Question.Kind.MULTIPLE:
            initial[key] = list(answer.selected)
        else:
            initial[key] = answer.text
    return initial


class QuestionnaireForm(forms.Form):
    """Scale 1–5 and single choice as radio buttons, multiple choice as checkboxes, free text as a text area."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        layout = []
        for question in self.questions:
            name = field_name(question)
            self.fields[name] = _field_for(question)
            layout.append(InlineRadios(name) if question.kind == Question.Kind.SCALE else Field(name))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(*layout)

    def answers(self):
        """Question id → cleaned value, as ``evaluation.services.response_submit`` takes them."""
        return {question.pk: self.cleaned_data.get(field_name(question)) for question in self.questions}
