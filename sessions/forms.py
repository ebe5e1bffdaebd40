"""Forms of the sessions portal."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sessions.models import Registration


class RsvpForm(forms.Form):
    """The answer to a session invitation.

    Templates render only ``comment``: the two submit buttons, named ``rsvp``, carry the answer.
    """

    rsvp = forms.ChoiceField(
        label=_("Réponse"),
        choices=[
            (Registration.Rsvp.CONFIRMED, _("Je participe")),
            (Registration.Rsvp.DECLINED, _("Je ne participe pas")),
        ],
        error_messages={
            "required": _("Choisissez « Je participe » ou « Je ne participe pas »."),
            "invalid_choice": _("Réponse inconnue : choisissez « Je participe » ou « Je ne participe pas »."),
        },
    )
    comment = forms.CharField(
        label=_("Commentaire (facultatif)"),
        required=False,
        max_length=Registration._meta.get_field("rsvp_comment").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Par exemple : arrivée en retard, besoin d'accessibilité, remplacement par votre binôme."),
    )
