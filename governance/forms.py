"""Search and filter forms of the committee area."""

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from governance.models import Decision
from governance.selectors import FILTER_OPEN, FILTER_OVERDUE


def _get_helper(*columns, button):
    helper = FormHelper()
    helper.form_method = "get"
    helper.disable_csrf = True
    helper.layout = Layout(
        Row(
            *columns,
            Column(
                StrictButton(button, type="submit", css_class="btn-primary mt-md-4 mb-3"),
                css_class="col-12 col-md-3 col-lg-2",
            ),
        )
    )
    return helper


class CommitteeSearchForm(forms.Form):
    q = forms.CharField(label=_("Rechercher un comité ou une édition"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _get_helper(Column("q", css_class="col-12 col-md-9 col-lg-10"), button=_("Rechercher"))

    def search(self):
        return self.cleaned_data.get("q", "").strip() if self.is_valid() else ""


class DecisionFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("", _("Toutes les décisions")),
        (FILTER_OPEN, _("Ouvertes (à engager ou en cours)")),
        (FILTER_OVERDUE, _("En retard")),
        *Decision.Status.choices,
    ]

    statut = forms.ChoiceField(label=_("Statut"), choices=STATUS_CHOICES, required=False)
    q = forms.CharField(label=_("Rechercher (décision, responsable)"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _get_helper(
            Column("statut", css_class="col-12 col-md-4"),
            Column("q", css_class="col-12 col-md-5 col-lg-6"),
            button=_("Filtrer"),
        )

    def values(self):
        """The valid filters (an unknown status is ignored, as if none were chosen)."""
        if not self.is_valid():
            return {"status": "", "search": ""}
        return {"status": self.cleaned_data.get("statut", ""), "search": self.cleaned_data.get("q", "").strip()}
