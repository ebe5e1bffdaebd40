"""What a network keeps in an edition: its partnership inventory, its obstacles, its roadmap and its actions."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alliances.fields import TEXT, LimitedTextField
from networks.models.enrolments import Enrolment, Participant


class Partnership(models.Model):
    """One line of a network's partnership inventory (the S1 applied work)."""

    class Family(models.TextChoices):
        PEER = "peer", _("pair associatif")
        PUBLIC = "public", _("acteur public")
        PRIVATE = "private", _("acteur privé")

    class PartnerType(models.TextChoices):
        LOCAL_AUTHORITY = "local_authority", _("collectivité territoriale")
        STATE = "state", _("État et services publics")
        ASSOCIATION = "association", _("association ou fondation")
        COMPANY = "company", _("entreprise ou club d'entreprises")
        EDUCATION = "education", _("établissement d'enseignement")
        INSERTION = "insertion", _("structure d'insertion")
        RESEARCH = "research", _("laboratoire de recherche")
        OTHER = "other", _("autre")

    class CompanyForm(models.TextChoices):
        FINANCIAL_PATRONAGE = "patronage_financial", _("mécénat financier")
        IN_KIND_PATRONAGE = "patronage_in_kind", _("mécénat en nature")
        SKILLS_PATRONAGE = "patronage_skills", _("mécénat de compétences")
        RESPONSIBLE_PRACTICES = "responsible_practices", _("pratiques responsables")
        ECONOMIC_COOPERATION = "economic_cooperation", _("coopération économique")
        SOCIETAL_INNOVATION = "societal_innovation", _("innovation sociétale")

    class Scale(models.TextChoices):
        LOCAL = "local", _("local")
        REGIONAL = "regional", _("régional")
        NATIONAL = "national", _("national")
        INTERNATIONAL = "international", _("international")

    class Depth(models.IntegerChoices):
        EXCHANGE = 1, _("échange ponctuel")
        COOPERATION = 2, _("coopération")
        STRATEGIC_ALLIANCE = 3, _("alliance stratégique")

    class Status(models.TextChoices):
        PROJECT = "project", _("en projet")
        ACTIVE = "active", _("en cours")
        ENDED = "ended", _("terminé")

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="partnerships", verbose_name=_("candidature")
    )
    partner_name = models.CharField(_("partenaire"), max_length=200)
    family = models.CharField(_("famille de partenaire"), max_length=20, choices=Family.choices)
    partner_type = models.CharField(_("type de partenaire"), max_length=30, choices=PartnerType.choices)
    company_form = models.CharField(
        _("forme du partenariat avec l'entreprise"),
        max_length=30,
        choices=CompanyForm.choices,
        blank=True,
        help_text=_("Seulement pour un partenaire privé."),
    )
    scale = models.CharField(_("échelle territoriale"), max_length=20, choices=Scale.choices)
    objective_human_resources = models.BooleanField(_("objectif : ressources humaines et compétences"), default=False)
    objective_stakeholders = models.BooleanField(_("objectif : parties prenantes"), default=False)
    objective_innovation = models.BooleanField(_("objectif : innovation"), default=False)
    objective_economic = models.BooleanField(_("objectif : performance économique"), default=False)
    depth = models.PositiveSmallIntegerField(_("degré de la relation"), choices=Depth.choices, default=Depth.EXCHANGE)
    evaluated = models.BooleanField(_("évalué"), default=False)
    start_year = models.PositiveSmallIntegerField(
        _("année de début"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    notes = LimitedTextField(_("notes"), blank=True, max_length=TEXT)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partenariat")
        verbose_name_plural = _("partenariats")
        ordering = ["enrolment", "partner_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(company_form="") | Q(family="private"),
                name="partnership_company_form_only_private",
                violation_error_message=_("La forme du partenariat ne concerne que les acteurs privés."),
            ),
            models.CheckConstraint(
                condition=Q(start_year__isnull=True) | Q(start_year__gte=1900, start_year__lte=2100),
                name="partnership_start_year_range",
            ),
            models.CheckConstraint(condition=Q(depth__gte=1, depth__lte=3), name="partnership_depth_range"),
        ]

    def __str__(self):
        return self.partner_name

    def clean(self):
        super().clean()
        if self.company_form and self.family != self.Family.PRIVATE:
            raise ValidationError({"company_form": _("La forme du partenariat ne concerne que les acteurs privés.")})

    @property
    def objectives(self):
        labels = [
            (self.objective_human_resources, _("ressources humaines et compétences")),
            (self.objective_stakeholders, _("parties prenantes")),
            (self.objective_innovation, _("innovation")),
            (self.objective_economic, _("performance économique")),
        ]
        return [label for on, label in labels if on]


class Obstacle(models.Model):
    """A « frein » met by a network in its partnerships."""

    class Category(models.TextChoices):
        RESOURCES = "resources", _("moyens humains et financiers")
        SKILLS = "skills", _("compétences et méthodes")
        GOVERNANCE = "governance", _("gouvernance et stratégie")
        CULTURE = "culture", _("culture et représentations")
        KNOWLEDGE = "knowledge", _("connaissance des partenaires")
        TIME = "time", _("temps et temporalités")
        LEGAL = "legal", _("cadre juridique et fiscal")
        OTHER = "other", _("autre")

    class Severity(models.IntegerChoices):
        LOW = 1, _("faible")
        MEDIUM = 2, _("moyenne")
        HIGH = 3, _("forte")

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="obstacles", verbose_name=_("candidature")
    )
    category = models.CharField(_("catégorie"), max_length=20, choices=Category.choices)
    description = LimitedTextField(_("description"), max_length=TEXT)
    severity = models.PositiveSmallIntegerField(_("importance"), choices=Severity.choices, default=Severity.MEDIUM)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("frein")
        verbose_name_plural = _("freins")
        ordering = ["enrolment", "-severity", "category"]
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=3), name="obstacle_severity_range"),
        ]

    def __str__(self):
        return f"{self.get_category_display()} — {self.description[:60]}"


class Roadmap(models.Model):
    """A network's « feuille de route »: the pilot's main output, one per enrolment."""

    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.CASCADE, related_name="roadmap", verbose_name=_("candidature")
    )
    title = models.CharField(_("titre"), max_length=200, blank=True)
    ambition = LimitedTextField(_("ambition"), blank=True, max_length=TEXT)
    updated_at = models.DateTimeField(_("mise à jour le"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("feuille de route")
        verbose_name_plural = _("feuilles de route")
        ordering = ["enrolment"]

    def __str__(self):
        return self.title or _("Feuille de route — %(network)s") % {"network": self.enrolment.network}


class RoadmapAction(models.Model):
    class Status(models.TextChoices):
        TODO = "todo", _("à faire")
        IN_PROGRESS = "in_progress", _("en cours")
        DONE = "done", _("réalisée")
        DROPPED = "dropped", _("abandonnée")

    roadmap = models.ForeignKey(
        Roadmap, on_delete=models.CASCADE, related_name="actions", verbose_name=_("feuille de route")
    )
    title = models.CharField(_("action"), max_length=250)
    description = LimitedTextField(_("description"), blank=True, max_length=TEXT)
    owner = models.ForeignKey(
        Participant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="roadmap_actions",
        verbose_name=_("responsable"),
    )
    due_on = models.DateField(_("échéance"), null=True, blank=True)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.TODO)
    done_on = models.DateField(_("réalisée le"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("action de la feuille de route")
        verbose_name_plural = _("actions de la feuille de route")
        ordering = ["roadmap", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | Q(status="done"),
                name="roadmap_action_done_date_only_when_done",
                violation_error_message=_("Seule une action réalisée a une date de réalisation."),
            ),
        ]
        indexes = [
            # A roadmap's actions by due date (Mon réseau, the dashboard), as Meta.ordering.
            models.Index(fields=["roadmap", "due_on"], name="roadmapaction_roadmap_due_idx"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.owner_id and self.roadmap_id and self.owner.enrolment_id != self.roadmap.enrolment_id:
            raise ValidationError({"owner": _("Le responsable doit être un participant de ce réseau.")})
        if self.done_on and self.status != self.Status.DONE:
            raise ValidationError({"done_on": _("Seule une action réalisée a une date de réalisation.")})
        if self.due_on and self.roadmap_id:
            programme = self.roadmap.enrolment.programme
            if self.due_on < programme.starts_on:
                raise ValidationError(
                    {
                        "due_on": ValidationError(
                            _(
                                "L'échéance (%(due)s) précède le début de l'édition « %(edition)s », le %(starts)s : "
                                "choisissez une date à partir de ce jour."
                            ),
                            code="due_before_edition",
                            params={
                                "due": date_format(self.due_on),
                                "edition": programme.name,
                                "starts": date_format(programme.starts_on),
                            },
                        )
                    }
                )
