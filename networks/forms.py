"""Forms of the « Mon réseau » area (crispy-forms, Bootstrap 5).

The edit forms are ModelForms used for validation and rendering only: the views hand
``cleaned_data`` to ``networks.services``, which validate again and save. Every form
that takes a choice among people or objects restricts its queryset to the participant's
own enrolment.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row
from django import forms
from django.db.models import Case, Count, Prefetch, Value, When
from django.utils.translation import gettext_lazy as _

from networks.models import Binome, Enrolment, Obstacle, Participant, Partnership, Roadmap, RoadmapAction
from networks.services import OBSTACLE_FIELDS, PARTNERSHIP_FIELDS, ROADMAP_ACTION_FIELDS, ROADMAP_FIELDS


def _helper(layout=None):
    """A helper that renders the fields only: templates write the <form> tag, CSRF and buttons."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    if layout is not None:
        helper.layout = layout
    return helper


def _blank_first(label, choices):
    return [("", label), *choices]


class PartnershipForm(forms.ModelForm):
    """One line of the inventory. The company form is checked by the model's clean() (acteur privé only)."""

    class Meta:
        model = Partnership
        fields = PARTNERSHIP_FIELDS
        help_texts = {
            "company_form": _(
                "À renseigner seulement pour un partenaire de la famille « acteur privé » : mécénat (financier, "
                "en nature, de compétences), pratiques responsables, coopération économique ou innovation "
                "sociétale. Laissez vide pour un pair associatif ou un acteur public."
            ),
            "depth": _("De l'échange ponctuel à l'alliance stratégique."),
            "evaluated": _("Cochez si le partenariat a fait l'objet d'une évaluation."),
        }
        labels = {
            "objective_human_resources": _("Ressources humaines et compétences"),
            "objective_stakeholders": _("Parties prenantes"),
            "objective_innovation": _("Innovation"),
            "objective_economic": _("Performance économique"),
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company_form"].choices = _blank_first(
            _("— Sans objet (partenaire non privé) —"), Partnership.CompanyForm.choices
        )
        self.helper = _helper(
            Layout(
                "partner_name",
                Row(Column("family", css_class="col-md-6"), Column("partner_type", css_class="col-md-6")),
                "company_form",
                Row(
                    Column("scale", css_class="col-md-4"),
                    Column("depth", css_class="col-md-4"),
                    Column("start_year", css_class="col-md-4"),
                ),
                Fieldset(
                    _("Objectifs du partenariat"),
                    "objective_human_resources",
                    "objective_stakeholders",
                    "objective_innovation",
                    "objective_economic",
                ),
                Row(Column("status", css_class="col-md-6"), Column(Field("evaluated"), css_class="col-md-6")),
                "notes",
            )
        )


class ObstacleForm(forms.ModelForm):
    class Meta:
        model = Obstacle
        fields = OBSTACLE_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"description": _("Décrivez concrètement ce qui freine vos partenariats.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class RoadmapForm(forms.ModelForm):
    class Meta:
        model = Roadmap
        fields = ROADMAP_FIELDS
        widgets = {"ambition": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "title": _("Par exemple : « Construire trois alliances territoriales d'ici 2020 »."),
            "ambition": _("Ce que votre réseau veut atteindre grâce à ses partenariats, et pourquoi."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, participant):
        return participant.user.get_full_name() or participant.user.email


class RoadmapActionForm(forms.ModelForm):
    """An action of the roadmap: its owner can only be a participant of the same network."""

    owner = OwnerChoiceField(
        queryset=Participant.objects.none(),
        required=False,
        label=_("Responsable"),
        empty_label=_("— Personne pour l'instant —"),
        help_text=_("Un participant de votre réseau."),
    )

    class Meta:
        model = RoadmapAction
        fields = ROADMAP_ACTION_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "due_on": DateInput(),
            "done_on": DateInput(),
        }
        help_texts = {"done_on": _("Seulement pour une action réalisée ; laissée vide, c'est la date du jour.")}

    def __init__(self, *args, roadmap, **kwargs):
        super().__init__(*args, **kwargs)
        # Set before validation so that the model's clean() checks the owner against this roadmap's network.
        self.instance.roadmap = roadmap
        self.fields["owner"].queryset = (
            Participant.objects.filter(enrolment_id=roadmap.enrolment_id)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "pk")
        )
        self.helper = _helper(
            Layout(
                "title",
                "description",
                Row(Column("owner", css_class="col-md-6"), Column("due_on", css_class="col-md-6")),
                Row(Column("status", css_class="col-md-6"), Column("done_on", css_class="col-md-6")),
            )
        )


# --- Search and filter forms (GET) ---------------------------------------------------


class _FilterForm(forms.Form):
    """A GET form: invalid values are ignored rather than reported."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def values(self):
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}


class PartnershipFilterForm(_FilterForm):
    q = forms.CharField(label=_("Rechercher un partenaire"), required=False, max_length=100)
    family = forms.ChoiceField(
        label=_("Famille"), required=False, choices=_blank_first(_("Toutes"), Partnership.Family.choices)
    )
    partner_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=_blank_first(_("Tous"), Partnership.PartnerType.choices)
    )
    scale = forms.ChoiceField(
        label=_("Échelle"), required=False, choices=_blank_first(_("Toutes"), Partnership.Scale.choices)
    )
    status = forms.ChoiceField(
        label=_("Statut"), required=False, choices=_blank_first(_("Tous"), Partnership.Status.choices)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            Row(
                Column("q", css_class="col-12 col-lg-4"),
                Column("family", css_class="col-6 col-lg-2"),
                Column("partner_type", css_class="col-6 col-lg-2"),
                Column("scale", css_class="col-6 col-lg-2"),
                Column("status", css_class="col-6 col-lg-2"),
            )
        )


class ObstacleFilterForm(_FilterForm):
    q = forms.CharField(label=_("Rechercher dans les descriptions"), required=False, max_length=100)
    category = forms.ChoiceField(
        label=_("Catégorie"), required=False, choices=_blank_first(_("Toutes"), Obstacle.Category.choices)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            Row(Column("q", css_class="col-12 col-md-8"), Column("category", css_class="col-12 col-md-4"))
        )


class RoadmapActionFilterForm(_FilterForm):
    q = forms.CharField(label=_("Rechercher une action"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Statut"), required=False, choices=_blank_first(_("Tous"), RoadmapAction.Status.choices)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            Row(Column("q", css_class="col-12 col-md-8"), Column("status", css_class="col-12 col-md-4"))
        )


class DirectorySearchForm(_FilterForm):
    q = forms.CharField(
        label=_("Rechercher une personne ou un réseau"),
        required=False,
        max_length=100,
        help_text=_("Nom, prénom, fonction, nom ou sigle du réseau."),
    )


class NetworkSearchForm(_FilterForm):
    q = forms.CharField(
        label=_("Rechercher un réseau"), required=False, max_length=100, help_text=_("Nom ou sigle du réseau.")
    )


# --- Coordination: the one-step invitation ------------------------------------------------


class OneStepInvitationForm(forms.Form):
    """A person, their network among the edition's enrolments, and optionally a binôme with a free place.

    Validation and rendering only: the view hands ``cleaned_data`` to
    ``networks.services.participant_invite``, which checks the rest (the person's other
    participations, the binôme's free place) with the rows locked.
    """

    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    email = forms.EmailField(label=_("Adresse e-mail"), max_length=254)
    enrolment = forms.ModelChoiceField(
        label=_("Réseau"), queryset=Enrolment.objects.none(), empty_label=_("— Choisissez le réseau —")
    )
    job_title = forms.CharField(label=_("Fonction"), max_length=200, required=False)
    binome = forms.ModelChoiceField(
        label=_("Binôme"),
        queryset=Binome.objects.none(),
        required=False,
        empty_label=_("— Aucun binôme —"),
        help_text=_("Un binôme existant du même réseau, qui n'a encore qu'un membre."),
    )

    # Agreed networks first: those are the ones whose people are invited during the edition.
    STATUS_ORDER = (Enrolment.Status.AGREED, Enrolment.Status.PENDING, Enrolment.Status.SOLICITED)

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme = programme
        order = Case(
            *(When(status=status, then=Value(index)) for index, status in enumerate(self.STATUS_ORDER)),
            default=Value(len(self.STATUS_ORDER)),
        )
        enrolments = self.fields["enrolment"]
        enrolments.queryset = (
            Enrolment.objects.filter(programme=programme).select_related("network").order_by(order, "network__name")
        )
        enrolments.label_from_instance = lambda e: f"{e.network} ({e.get_status_display()})"
        binomes = self.fields["binome"]
        binomes.queryset = (
            Binome.objects.filter(enrolment__programme=programme)
            .annotate(member_total=Count("members"))
            .filter(member_total__lt=Binome.MAX_MEMBERS)
            .select_related("enrolment__network")
            .prefetch_related(Prefetch("members", queryset=Participant.objects.select_related("user")))
            .order_by("enrolment__network__name", "pk")
        )
        binomes.label_from_instance = _binome_label
        self.helper = _helper(
            Layout(
                Row(Column("first_name", css_class="col-md-6"), Column("last_name", css_class="col-md-6")),
                Row(Column("email", css_class="col-md-6"), Column("job_title", css_class="col-md-6")),
                Row(Column("enrolment", css_class="col-md-6"), Column("binome", css_class="col-md-6")),
            )
        )

    def clean(self):
        cleaned = super().clean()
        enrolment, binome = cleaned.get("enrolment"), cleaned.get("binome")
        if enrolment is not None and binome is not None and binome.enrolment_id != enrolment.pk:
            self.add_error(
                "binome",
                _("Ce binôme est celui d'un autre réseau : choisissez un binôme de %(network)s.")
                % {"network": enrolment.network},
            )
        return cleaned


def _binome_label(binome):
    members = ", ".join(str(member) for member in binome.members.all()) or _("aucun membre")
    return f"{binome.enrolment.network} — {members}"
