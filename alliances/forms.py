"""Forms of the accounts: login by email, the person's profile."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from alliances.models import User


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form, whose ``username`` field holds the email address.

    The field keeps the name ``username`` (Django's views, the admin login and
    django-axes' ``AXES_USERNAME_FORM_FIELD`` all rely on it); the address is
    lower-cased so that throttling counts one account whatever its spelling.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Adresse e-mail ou mot de passe incorrect. Les deux champs peuvent être sensibles à la casse."
        ),
        "inactive": _("Ce compte est désactivé."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Adresse e-mail")
        self.fields["username"].widget.input_type = "email"
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "autofocus": True})
        self.fields["password"].label = _("Mot de passe")

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class ProfileForm(forms.ModelForm):
    """What a person may change about themselves: names, phone and notifications."""

    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "phone",
            "notify_session_reminders",
            "notify_meeting_reminders",
            "notify_questionnaires",
            "notify_announcements",
        ]
        labels = {"first_name": _("Prénom"), "last_name": _("Nom"), "phone": _("Téléphone")}
        widgets = {"phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page's single form carries the token
        self.helper.layout = Layout(
            Fieldset(_("Identité"), "first_name", "last_name", "phone"),
            Fieldset(
                _("Notifications par e-mail"),
                "notify_session_reminders",
                "notify_meeting_reminders",
                "notify_questionnaires",
                "notify_announcements",
            ),
        )
