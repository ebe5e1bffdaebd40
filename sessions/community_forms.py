"""Forms of the community pages: S3 topic proposals, attendance, resource and news search."""

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from alliances.models import Theme
from sessions.models import Registration, Session, TopicProposal


class TopicProposalForm(forms.Form):
    title = forms.CharField(
        label=_("Sujet proposé"),
        max_length=TopicProposal._meta.get_field("title").max_length,
        help_text=_("Par exemple : changement d'échelle de l'innovation sociétale."),
    )
    description = forms.CharField(
        label=_("Pourquoi ce sujet ?"),
        required=False,
        max_length=TopicProposal._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class AttendanceForm(forms.Form):
    """One select per expected participant (field ``p<participant id>``), for the whole session."""

    CHOICES = [("", _("— non renseigné —")), *Registration.Attendance.choices]

    def __init__(self, *args, participants, marks, **kwargs):
        super().__init__(*args, **kwargs)
        self.participants = list(participants)
        for participant in self.participants:
            self.fields[self.field_name(participant)] = forms.ChoiceField(
                label=str(participant),
                choices=self.CHOICES,
                required=False,
                initial=marks.get(participant.pk, ""),
                help_text=participant.job_title,
            )

    @staticmethod
    def field_name(participant):
        return f"p{participant.pk}"

    def marks(self):
        """Participant id → mark, from the cleaned data."""
        return {p.pk: self.cleaned_data.get(self.field_name(p), "") for p in self.participants}

    def groups(self):
        """[(network, [(participant, bound field), …]), …] in network order, for the template."""
        groups = []
        for participant in self.participants:
            network = participant.enrolment.network
            if not groups or groups[-1][0] != network:
                groups.append((network, []))
            groups[-1][1].append((participant, self[self.field_name(participant)]))
        return groups


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Rechercher"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column("q", css_class="col-12 col-md-8"),
                Column(
                    StrictButton(_("Rechercher"), type="submit", css_class="btn-primary mt-md-4 mb-3"),
                    css_class="col-12 col-md-4",
                ),
            )
        )


class ResourceFilterForm(forms.Form):
    GROUP_CHOICES = [("theme", _("par thématique")), ("session", _("par session"))]

    q = forms.CharField(label=_("Rechercher"), required=False, max_length=100)
    theme = forms.ModelChoiceField(label=_("Thématique"), queryset=Theme.objects.none(), required=False)
    session = forms.ModelChoiceField(label=_("Session"), queryset=Session.objects.none(), required=False)
    group = forms.ChoiceField(label=_("Regrouper"), choices=GROUP_CHOICES, required=False)

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = Theme.objects.filter(programme=programme).order_by("order", "title")
        self.fields["theme"].empty_label = _("Toutes les thématiques")
        self.fields["session"].queryset = Session.objects.filter(programme=programme).order_by("number")
        self.fields["session"].empty_label = _("Toutes les sessions")
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column("q", css_class="col-12 col-lg-4"),
                Column("theme", css_class="col-12 col-sm-6 col-lg-3"),
                Column("session", css_class="col-12 col-sm-6 col-lg-2"),
                Column("group", css_class="col-12 col-sm-6 col-lg-2"),
                Column(
                    StrictButton(_("Filtrer"), type="submit", css_class="btn-primary mt-lg-4 mb-3"),
                    css_class="col-12 col-sm-6 col-lg-1",
                ),
            )
        )
