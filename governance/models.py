"""Committees of an edition, their members, meetings and decisions.

Depends on the core only (never on networks or sessions).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alliances.fields import LONG_TEXT, MINUTES_TEXT, TEXT, LimitedTextField
from alliances.models import Programme


class Organisation(models.Model):
    """An organisation sitting on committees (ministry, foundation, federation, company…)."""

    class Kind(models.TextChoices):
        PUBLIC = "public", _("acteur public")
        ASSOCIATIVE = "associative", _("acteur associatif")
        PRIVATE = "private", _("acteur privé")
        CONSULTANCY = "consultancy", _("conseil et accompagnement")
        OTHER = "other", _("autre")

    name = models.CharField(_("nom"), max_length=200, unique=True)
    full_name = models.CharField(_("nom développé"), max_length=300, blank=True)
    kind = models.CharField(_("nature"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    website = models.URLField(_("site web"), blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Committee(models.Model):
    class Kind(models.TextChoices):
        STEERING = "steering", _("comité de pilotage")
        ORIENTATION = "orientation", _("comité d'orientation")
        TECHNICAL = "technical", _("comité technique")

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="committees", verbose_name=_("édition")
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("nom"), max_length=200)
    mission = LimitedTextField(_("mission"), blank=True, max_length=TEXT)

    class Meta:
        verbose_name = _("comité")
        verbose_name_plural = _("comités")
        ordering = ["programme", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "kind"],
                name="committee_unique_kind",
                violation_error_message=_("Cette édition a déjà un comité de ce type."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("committee:detail", args=[self.pk])


class CommitteeMember(models.Model):
    """A seat on a committee: an organisation or a named person, optionally a user account."""

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="members", verbose_name=_("comité"))
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="seats",
        verbose_name=_("organisation"),
    )
    person_name = models.CharField(
        _("personne"), max_length=200, blank=True, help_text=_("Pour un membre à titre personnel, ou le représentant.")
    )
    role = models.CharField(_("qualité"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="committee_seats",
        verbose_name=_("compte"),
    )
    pending_validation = models.BooleanField(_("en cours de validation"), default=False)

    class Meta:
        verbose_name = _("membre de comité")
        verbose_name_plural = _("membres de comité")
        ordering = ["committee", "organisation__name", "person_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | ~Q(person_name=""),
                name="committee_member_has_identity",
                violation_error_message=_("Un membre est une organisation ou une personne nommée."),
            ),
            models.UniqueConstraint(
                fields=["committee", "organisation"],
                condition=Q(organisation__isnull=False),
                name="committee_member_unique_organisation",
                violation_error_message=_("Cette organisation siège déjà à ce comité."),
            ),
            models.UniqueConstraint(
                fields=["committee", "user"],
                condition=Q(user__isnull=False),
                name="committee_member_unique_user",
                violation_error_message=_("Cette personne siège déjà à ce comité."),
            ),
        ]

    def __str__(self):
        if self.organisation_id and self.person_name:
            return f"{self.organisation} ({self.person_name})"
        return str(self.organisation) if self.organisation_id else self.person_name

    def clean(self):
        super().clean()
        if not self.organisation_id and not self.person_name.strip():
            raise ValidationError(_("Indiquez une organisation ou le nom d'une personne."))


class Meeting(models.Model):
    committee = models.ForeignKey(
        Committee, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("comité")
    )
    title = models.CharField(_("intitulé"), max_length=200)
    held_on = models.DateField(_("date"))
    starts_at = models.TimeField(_("heure"), null=True, blank=True)
    location = models.CharField(_("lieu"), max_length=250, blank=True)
    agenda = LimitedTextField(_("ordre du jour"), blank=True, max_length=LONG_TEXT)
    minutes = LimitedTextField(_("compte rendu"), blank=True, max_length=MINUTES_TEXT)

    class Meta:
        verbose_name = _("réunion")
        verbose_name_plural = _("réunions")
        ordering = ["committee", "held_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "title"],
                name="meeting_unique_title",
                violation_error_message=_("Ce comité a déjà une réunion portant cet intitulé."),
            ),
        ]
        indexes = [
            # Meeting reminders and committee packs: the meetings of every edition within the horizon.
            models.Index(fields=["held_on"], name="meeting_held_on_idx"),
            # A committee's meetings by date: next meeting, the committee area's lists (Meta.ordering).
            models.Index(fields=["committee", "held_on"], name="meeting_committee_held_idx"),
        ]

    def __str__(self):
        return f"{self.committee} — {self.title}"

    def get_absolute_url(self):
        return reverse("committee:meeting", args=[self.pk])


class MeetingAttendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("présent")
        ABSENT = "absent", _("absent")
        EXCUSED = "excused", _("excusé")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("réunion")
    )
    member = models.ForeignKey(
        CommitteeMember, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("membre")
    )
    status = models.CharField(_("présence"), max_length=20, choices=Status.choices)

    class Meta:
        verbose_name = _("présence en réunion")
        verbose_name_plural = _("présences en réunion")
        ordering = ["meeting", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"],
                name="meeting_attendance_unique_member",
                violation_error_message=_("La présence de ce membre est déjà notée."),
            ),
        ]

    def __str__(self):
        return f"{self.member} — {self.get_status_display()}"

    def clean(self):
        super().clean()
        if self.meeting_id and self.member_id and self.member.committee_id != self.meeting.committee_id:
            raise ValidationError({"member": _("Ce membre ne siège pas à ce comité.")})


class Decision(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("à engager")
        IN_PROGRESS = "in_progress", _("en cours")
        DONE = "done", _("réalisée")
        DROPPED = "dropped", _("abandonnée")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("réunion"))
    title = models.CharField(_("décision"), max_length=250)
    description = LimitedTextField(_("précisions"), blank=True, max_length=TEXT)
    owner = models.CharField(_("responsable"), max_length=200, blank=True)
    due_on = models.DateField(_("échéance"), null=True, blank=True)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.OPEN)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("décision")
        verbose_name_plural = _("décisions")
        ordering = ["meeting", "pk"]
        indexes = [
            # Overdue decisions: open statuses with a due date passed (admin filter, dashboards).
            models.Index(fields=["status", "due_on"], name="decision_status_due_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self):
        return self.status in (self.Status.OPEN, self.Status.IN_PROGRESS)

    @property
    def is_overdue(self):
        """Still open and past its due date."""
        return self.is_open and self.due_on is not None and self.due_on < timezone.localdate()
