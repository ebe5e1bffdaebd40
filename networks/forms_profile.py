"""The participant's part of the profile page: job title and presence in the directory."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from networks.models import Participant


class ParticipantProfileForm(forms.ModelForm):
    """Edits the current participation (one edition, one network) of the logged-in person."""

    prefix = "participation"

    class Meta:
        model = Participant
        fields = ["job_title", "listed_in_directory"]
        labels = {"job_title": _("Fonction"), "listed_in_directory": _("Visible dans l'annuaire")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job_title"].widget.attrs["autocomplete"] = "organization-title"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page's single form carries the token
        enrolment = self.instance.enrolment
        self.helper.layout = Layout(
            Fieldset(
                _("Ma participation : %(network)s, %(programme)s")
                % {"network": enrolment.network, "programme": enrolment.programme},
                "job_title",
                "listed_in_directory",
            )
        )
