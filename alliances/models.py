"""The programme core: users, editions, phases, steps and themes.

This module is the bottom of the dependency graph: every app imports it, it
imports no app.
"""

import secrets

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import AbstractUser, Permission
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliances.fields import LONG_TEXT, TEXT, LimitedTextField


def normalise_email(address):
    """The one spelling of an account's address: stripped and lower-cased.

    Every way in uses it: the stored address (``User.clean`` and the manager), the
    login lookup (``get_by_natural_key``), the login throttle's key (django-axes,
    ``alliances.throttling.axes_username``) and the password reset's, so that
    ``Coordination@…`` and ``coordination@…`` are one account everywhere.
    """
    return (address or "").strip().lower()


#: The permission of a programme manager: create and duplicate editions, see them all (DESIGN §1).
MANAGE_PROGRAMMES = "manage_programmes"


def activated_accounts(path=""):
    """A ``Q`` of the accounts that are in use: active, with a password chosen.

    A person invited (or imported) who never followed their link has no usable password:
    they never activated their account, and the places that show people to their peers
    (the cohort directory) leave them out. ``path`` leads to the user, e.g. ``"user__"``.
    """
    return (
        Q(**{f"{path}is_active": True})
        & ~Q(**{f"{path}password__startswith": UNUSABLE_PASSWORD_PREFIX})
        & ~Q(**{f"{path}password": ""})
    )


class UserManager(BaseUserManager):
    """Users log in with their email address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("The email address is required.")
        user = self.model(email=normalise_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        # Logins are case-insensitive on the email address: the stored address is normalised
        # (a check constraint holds it), so an exact lookup on the normalised spelling finds the
        # one account, through the unique index.
        return self.get(**{self.model.USERNAME_FIELD: normalise_email(username)})


class User(AbstractUser):
    username = None
    email = models.EmailField(_("adresse e-mail"), unique=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    invited_at = models.DateTimeField(_("invité le"), null=True, blank=True, editable=False)
    invitation_accepted_at = models.DateTimeField(_("invitation acceptée le"), null=True, blank=True, editable=False)
    notify_session_reminders = models.BooleanField(
        _("rappels des sessions"), default=True, help_text=_("Recevoir un rappel avant chaque session.")
    )
    notify_meeting_reminders = models.BooleanField(
        _("rappels des réunions de comité"), default=True, help_text=_("Recevoir un rappel avant chaque réunion.")
    )
    notify_questionnaires = models.BooleanField(
        _("questionnaires"), default=True, help_text=_("Être prévenu(e) quand un questionnaire attend une réponse.")
    )
    notify_announcements = models.BooleanField(
        _("actualités de la communauté"), default=True, help_text=_("Recevoir les annonces de la promotion.")
    )
    deletion_requested_at = models.DateTimeField(_("suppression demandée le"), null=True, blank=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["last_name", "first_name", "email"]
        indexes = [
            # The admin's users changelist and the people lists sort by name (Meta.ordering).
            models.Index(fields=["last_name", "first_name"], name="user_name_idx"),
        ]
        constraints = [
            # Stored addresses are normalised (normalise_email), whoever writes them (forms, the
            # CSV import, bulk loads): with the unique constraint on email, no two accounts differ
            # by case only, and the login lookup is one exact match on the unique index.
            models.CheckConstraint(
                condition=Q(email=Lower(Trim("email"))),
                name="user_email_normalised",
                violation_error_message=_("L'adresse e-mail doit être enregistrée en minuscules, sans espaces."),
            ),
        ]

    def __str__(self):
        full_name = self.get_full_name()
        return f"{full_name} <{self.email}>" if full_name else self.email

    def clean(self):
        super().clean()
        self.email = normalise_email(self.email)

    @property
    def is_programme_manager(self):
        """A superuser, or an active staff user holding « manage_programmes » (directly or through a group).

        A programme manager creates and duplicates editions and sees them all, without being a
        superuser. One query, cached on the instance (the request's user asks several times).
        """
        if not (self.is_active and self.is_staff):
            return False
        if self.is_superuser:
            return True
        cached = self.__dict__.get("_is_programme_manager")
        if cached is None:
            cached = (
                Permission.objects.filter(content_type__app_label="alliances", codename=MANAGE_PROGRAMMES)
                .filter(Q(user=self) | Q(group__user=self))
                .exists()
            )
            self.__dict__["_is_programme_manager"] = cached
        return cached

    def coordinated_programmes(self):
        """The editions this user may manage: all for a superuser or a programme manager, none
        without staff status.

        Being listed among an edition's coordinators is not enough, as for the admin: the
        coordination pages, the committee area and the documents all ask here, so an account
        whose staff status was withdrawn (or never given) loses every coordinator right at once.
        """
        if not (self.is_active and self.is_staff):
            return Programme.objects.none()
        if self.is_programme_manager:
            return Programme.objects.all()
        return self.programmes_coordinated.all()

    @property
    def is_coordinator(self):
        return self.is_active and self.is_staff and (self.is_programme_manager or self.programmes_coordinated.exists())


def parse_day_offsets(value: str | None) -> list[int]:
    """« 7,1 » → [7, 1]: distinct whole numbers of days, largest first."""
    days = set()
    for item in (value or "").split(","):
        item = item.strip()
        if not item:
            continue
        if not item.isdigit() or not 0 <= int(item) <= 365:
            raise ValidationError(
                _("« %(item)s » n'est pas un nombre de jours entre 0 et 365."), params={"item": item}, code="invalid"
            )
        days.add(int(item))
    return sorted(days, reverse=True)


def validate_day_offsets(value):
    parse_day_offsets(value)


class ProgrammeQuerySet(models.QuerySet):
    def coordinated_by(self, user):
        """The editions ``user`` manages: all for a superuser or a programme manager."""
        if user.is_superuser or getattr(user, "is_programme_manager", False):
            return self
        return self.filter(coordinators=user)


class Programme(models.Model):
    """An edition of the « Parcours d'expérience Alliances innovantes »."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    description = LimitedTextField(_("description"), blank=True, max_length=LONG_TEXT)
    sponsors = models.CharField(
        _("porteurs"), max_length=300, blank=True, help_text=_("Par exemple : Ministère, Le RAMEAU.")
    )
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))
    target_networks = models.PositiveSmallIntegerField(
        _("nombre de réseaux visé"), default=12, help_text=_("Nombre de réseaux pilotes attendus.")
    )
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("coordinateurs"),
        related_name="programmes_coordinated",
        blank=True,
    )
    session_reminder_days = models.CharField(
        _("rappels de session (jours avant)"),
        max_length=50,
        default="7,1",
        validators=[validate_day_offsets],
        help_text=_("Nombre de jours avant chaque session où partent les rappels, séparés par des virgules (ex. 7,1)."),
    )
    meeting_reminder_days = models.CharField(
        _("rappels de réunion de comité (jours avant)"),
        max_length=50,
        default="7",
        validators=[validate_day_offsets],
        help_text=_("Nombre de jours avant chaque réunion de comité, séparés par des virgules."),
    )
    email_introduction = LimitedTextField(
        _("introduction des e-mails"),
        blank=True,
        max_length=TEXT,
        help_text=_("Texte placé en tête des e-mails envoyés aux participants de cette édition."),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("édition du programme")
        verbose_name_plural = _("éditions du programme")
        ordering = ["-starts_on", "name"]
        permissions = [(MANAGE_PROGRAMMES, _("Peut créer et dupliquer des éditions"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="programme_ends_after_start",
                violation_error_message=_("La fin de l'édition doit suivre son début."),
            ),
            models.CheckConstraint(condition=Q(target_networks__gte=1), name="programme_target_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def session_reminder_offsets(self) -> list[int]:
        return parse_day_offsets(self.session_reminder_days)

    @property
    def meeting_reminder_offsets(self) -> list[int]:
        return parse_day_offsets(self.meeting_reminder_days)

    def current_phase(self, today=None, phases=None):
        """The phase whose dates contain ``today``, else the last started one.

        ``phases``: this edition's phases in order, when the caller has already fetched them.
        """
        today = today or timezone.localdate()
        phases = list(self.phases.all() if phases is None else phases)
        started = [p for p in phases if p.starts_on <= today]
        for phase in started:
            if phase.ends_on >= today:
                return phase
        return started[-1] if started else (phases[0] if phases else None)


def programme_creator_coordinates(programme, user):
    """The person who creates an edition (or its duplicate) becomes one of its coordinators.

    Not a superuser who named coordinators: they see every edition anyway, and set up the
    edition for others. A superuser who named nobody is recorded, so the edition has a team.
    """
    if user.is_superuser and programme.coordinators.exists():
        return
    programme.coordinators.add(user)


class Phase(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="phases", verbose_name=_("édition"))
    number = models.PositiveSmallIntegerField(_("numéro"))
    title = models.CharField(_("intitulé"), max_length=200)
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["programme", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "number"],
                name="phase_unique_number",
                violation_error_message=_("Cette édition a déjà une phase portant ce numéro."),
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="phase_number_positive"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="phase_ends_after_start",
                violation_error_message=_("La fin de la phase doit suivre son début."),
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"

    def progress(self):
        """Share of steps done, from 0 to 100 (derived, never stored).

        Uses the step counts annotated by the caller (``step_total``, ``step_done``: see
        alliances.portal) or the prefetched steps when present, so a list of phases costs one
        query for all their steps.
        """
        if hasattr(self, "step_total") and hasattr(self, "step_done"):
            total, done = self.step_total, self.step_done
        else:
            steps = list(self.steps.all())
            total, done = len(steps), sum(1 for step in steps if step.status == Step.Status.DONE)
        if not total:
            return 0
        return round(100 * done / total)


class Step(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("à venir")
        IN_PROGRESS = "in_progress", _("en cours")
        DONE = "done", _("réalisée")

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="steps", verbose_name=_("phase"))
    letter = models.CharField(_("lettre"), max_length=2)
    title = models.CharField(_("intitulé"), max_length=250)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    due_on = models.DateField(_("échéance"), null=True, blank=True)
    done_on = models.DateField(_("réalisée le"), null=True, blank=True)
    # Not a field: set by the cockpit's phase panel (alliances/cockpit.py) on the steps it shows.
    is_late_today: bool

    class Meta:
        verbose_name = _("étape")
        verbose_name_plural = _("étapes")
        ordering = ["phase", "letter"]
        constraints = [
            models.UniqueConstraint(
                fields=["phase", "letter"],
                name="step_unique_letter",
                violation_error_message=_("Cette phase a déjà une étape portant cette lettre."),
            ),
            models.CheckConstraint(
                condition=Q(status="done", done_on__isnull=False) | (~Q(status="done") & Q(done_on__isnull=True)),
                name="step_done_date_iff_done",
                violation_error_message=_("Une étape réalisée a une date de réalisation, et seulement elle."),
            ),
        ]

    def __str__(self):
        return f"{self.phase.number}{self.letter}. {self.title}"

    @property
    def is_late(self):
        return self.is_late_on(timezone.localdate())

    def is_late_on(self, today):
        return self.status != self.Status.DONE and self.due_on is not None and self.due_on < today

    def clean(self):
        super().clean()
        if self.status == self.Status.DONE and not self.done_on:
            raise ValidationError({"done_on": _("Indiquez la date de réalisation de l'étape.")})
        if self.status != self.Status.DONE and self.done_on:
            raise ValidationError({"done_on": _("Seule une étape réalisée a une date de réalisation.")})


class Theme(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="themes", verbose_name=_("édition"))
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    title = models.CharField(_("intitulé"), max_length=250)
    description = LimitedTextField(_("description"), blank=True, max_length=TEXT)

    class Meta:
        verbose_name = _("thématique")
        verbose_name_plural = _("thématiques")
        ordering = ["programme", "order", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "title"],
                name="theme_unique_title",
                violation_error_message=_("Cette édition a déjà une thématique portant cet intitulé."),
            ),
        ]

    def __str__(self):
        return self.title


class Notification(models.Model):
    """One message of one kind, about one object, to one recipient: recorded, claimed once, sent once.

    The unique constraint on (kind, content type, object, recipient) is what makes
    a second send impossible, whichever job, worker or retry tries it. Every
    app's reminders and announcements go through this table (see
    ``alliances/notifications/__init__.py``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("à envoyer")
        SENDING = "sending", _("en cours d'envoi")
        SENT = "sent", _("envoyé")
        FAILED = "failed", _("échec")
        CANCELLED = "cancelled", _("annulé")

    kind = models.CharField(_("type"), max_length=60)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+", verbose_name=_("type d'objet")
    )
    object_id = models.PositiveBigIntegerField(_("objet"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("destinataire")
    )
    programme = models.ForeignKey(
        Programme,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("édition"),
    )
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField(_("à envoyer à partir de"), default=timezone.now)
    claimed_at = models.DateTimeField(_("pris en charge le"), null=True, blank=True)
    claim_token = models.UUIDField(_("jeton de prise en charge"), null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("journal des e-mails")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "content_type", "object_id", "recipient"],
                name="notification_once_per_kind_object_recipient",
                violation_error_message=_("Cette notification existe déjà pour ce destinataire."),
            ),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="notification_sent_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="notification_due_idx"),
            models.Index(fields=["content_type", "object_id"], name="notification_object_idx"),
            # Claims left by a dead worker: SENDING rows claimed before the cutoff (alliances.notifications.queue).
            models.Index(fields=["status", "claimed_at"], name="notification_stale_claim_idx"),
            # The e-mail log (admin changelist), newest first over every edition (Meta.ordering).
            models.Index(fields=["-created_at"], name="notification_created_idx"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}"


def report_upload_to(instance, filename):
    """An unguessable stored name: documents are served only through a view that checks access."""
    return f"reports/{timezone.now():%Y/%m}/{secrets.token_urlsafe(24)}.pdf"


class Report(models.Model):
    """A document rendered to PDF by a worker: what was asked, its state and its file."""

    class Status(models.TextChoices):
        PENDING = "pending", _("en attente")
        RUNNING = "running", _("en cours")
        READY = "ready", _("prêt")
        FAILED = "failed", _("échec")

    kind = models.CharField(_("document"), max_length=60)
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="reports", verbose_name=_("édition")
    )
    parameters = models.JSONField(_("paramètres"), default=dict, blank=True)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(_("erreur"), blank=True)
    file = models.FileField(_("fichier"), upload_to=report_upload_to, blank=True)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    # The claim (see alliances.documents.report_claim): which Celery task renders it, and how many times it was
    # claimed since it was last asked for. A redelivery of the same message carries the same task id, so it may
    # take its own claim over at once (its worker died) — a bounded number of times.
    task_id = models.CharField(_("tâche de production"), max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    # When the watchdog (alliances.documents.report_recover_stale) queued it again by itself: once per request.
    requeued_at = models.DateTimeField(_("relancé automatiquement le"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ready") | ~Q(file=""),
                name="report_ready_has_file",
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "kind", "-created_at"], name="report_programme_kind_idx"),
            # The watchdog's scan: reports still pending or running, oldest first (a handful among thousands).
            models.Index(
                fields=["status", "started_at"],
                name="report_unfinished_idx",
                condition=Q(status__in=["pending", "running"]),
            ),
        ]

    def __str__(self):
        return f"{self.kind} — {self.programme}"


class Relance(models.Model):
    """One « relance »: a message a coordinator sent to everyone who had not answered a target yet.

    The target is a session (its RSVP) or a questionnaire (its response), named by its
    content type and id, plus the key of its kind in the registry of
    :mod:`alliances.relances` (``target``). The subject and body are stored as sent:
    each recipient's e-mail is built from them at send time, through the notifications
    (one :class:`Notification` of kind ``relance`` per recipient, about this relance: once
    per person per relance, never twice). ``request_token`` comes from the preview's form:
    a second POST of the same form finds this relance instead of sending another.
    """

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="relances", verbose_name=_("édition")
    )
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+", verbose_name=_("type d'objet")
    )
    object_id = models.PositiveBigIntegerField(_("objet"))
    target = models.CharField(_("cible"), max_length=40)
    subject = models.CharField(_("objet de l'e-mail"), max_length=200)
    body = LimitedTextField(_("texte de l'e-mail"), max_length=TEXT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("envoyée par"),
    )
    created_at = models.DateTimeField(_("envoyée le"), default=timezone.now)
    recipient_count = models.PositiveIntegerField(_("destinataires"))
    request_token = models.UUIDField(_("jeton du formulaire"), unique=True, editable=False)

    class Meta:
        verbose_name = _("relance")
        verbose_name_plural = _("relances")
        ordering = ["-created_at"]
        indexes = [
            # The latest relance of each object of the cockpit (relances.latest_for) and « déjà relancé aujourd'hui ».
            models.Index(fields=["content_type", "object_id", "-created_at"], name="relance_object_created_idx"),
            # The admin's list of an edition's relances, newest first.
            models.Index(fields=["programme", "-created_at"], name="relance_programme_created_idx"),
        ]

    def __str__(self):
        return self.subject
