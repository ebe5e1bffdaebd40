"""Collective sessions, RSVP and attendance, resources, the S3 vote, follow-ups and news.

Depends on the core and on networks.
"""

import secrets
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alliances.fields import LONG_TEXT, SHORT_TEXT, TEXT, LimitedTextField
from alliances.models import Programme, Theme
from alliances.uploads import FileValidator, RandomUploadTo
from networks.models import Enrolment, Participant


class Session(models.Model):
    """A collective session of an edition (S1–S4 in the pilot)."""

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("édition")
    )
    number = models.PositiveSmallIntegerField(_("numéro"))
    code = models.CharField(_("code"), max_length=10, help_text=_("Par exemple : S1."))
    title = models.CharField(_("intitulé"), max_length=200)
    theory = LimitedTextField(_("apports théoriques"), blank=True, max_length=LONG_TEXT)
    applied_work = LimitedTextField(_("travail applicatif"), blank=True, max_length=LONG_TEXT)
    topic = models.CharField(
        _("sujet d'approfondissement"),
        max_length=250,
        blank=True,
        help_text=_("Pour une session dont le sujet est choisi collectivement (S3)."),
    )
    topic_vote_open = models.BooleanField(
        _("vote du sujet ouvert"), default=False, help_text=_("Les participants proposent et votent le sujet.")
    )
    topic_vote_closed_at = models.DateTimeField(_("vote clos le"), null=True, blank=True)
    themes = models.ManyToManyField(Theme, verbose_name=_("thématiques"), blank=True, related_name="sessions")
    starts_at = models.DateTimeField(_("début"), null=True, blank=True)
    ends_at = models.DateTimeField(_("fin"), null=True, blank=True)
    venue = models.CharField(_("lieu"), max_length=300, blank=True)
    online_url = models.URLField(_("lien de connexion"), blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["programme", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "number"],
                name="session_unique_number",
                violation_error_message=_("Cette édition a déjà une session portant ce numéro."),
            ),
            models.UniqueConstraint(
                fields=["programme", "code"],
                name="session_unique_code",
                violation_error_message=_("Cette édition a déjà une session portant ce code."),
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
                violation_error_message=_("La fin de la session doit suivre son début."),
            ),
            models.CheckConstraint(
                condition=Q(topic_vote_closed_at__isnull=True) | Q(topic_vote_open=False),
                name="session_closed_vote_not_open",
            ),
        ]
        indexes = [
            # Session reminders: the sessions of every edition starting within the horizon.
            models.Index(fields=["starts_at"], name="session_starts_at_idx"),
            # A participant's upcoming sessions and the calendars: one edition's sessions by start.
            models.Index(fields=["programme", "starts_at"], name="session_programme_starts_idx"),
        ]

    def __str__(self):
        return f"{self.code} — {self.title}"

    def clean(self):
        super().clean()
        if not self.programme_id:
            return
        programme = self.programme
        errors = {}
        for name in ("starts_at", "ends_at"):
            moment = getattr(self, name)
            if moment is None:
                continue
            day = timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
            if not programme.starts_on <= day <= programme.ends_on:
                errors[name] = ValidationError(
                    _(
                        "Une session se tient pendant son édition : « %(edition)s » va du %(starts)s au %(ends)s, "
                        "et cette date (%(day)s) en sort."
                    ),
                    code="outside_edition",
                    params={
                        "edition": programme.name,
                        "starts": date_format(programme.starts_on),
                        "ends": date_format(programme.ends_on),
                        "day": date_format(day),
                    },
                )
        if errors:
            raise ValidationError(errors)

    @property
    def is_past(self):
        return self.ends_at is not None and self.ends_at < timezone.now()


class InspiringMeeting(models.Model):
    """The « rencontre inspirante » of a session."""

    class SpeakerKind(models.TextChoices):
        PRIVATE_PARTNER = "private_partner", _("partenaire privé")
        ASSOCIATIVE_PEER = "associative_peer", _("pair associatif")
        INSTITUTIONAL = "institutional", _("décideur institutionnel")

    session = models.OneToOneField(
        Session, on_delete=models.CASCADE, related_name="inspiring_meeting", verbose_name=_("session")
    )
    speaker_kind = models.CharField(_("type d'intervenant"), max_length=30, choices=SpeakerKind.choices)
    speaker = models.CharField(_("intervenant"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    description = LimitedTextField(_("description"), blank=True, max_length=TEXT)

    class Meta:
        verbose_name = _("rencontre inspirante")
        verbose_name_plural = _("rencontres inspirantes")

    def __str__(self):
        return f"{self.session.code} — {self.get_speaker_kind_display()}"


class Registration(models.Model):
    """A participant's invitation to a session: RSVP, then attendance."""

    class Rsvp(models.TextChoices):
        INVITED = "invited", _("invité")
        CONFIRMED = "confirmed", _("confirmé")
        DECLINED = "declined", _("décliné")

    class Attendance(models.TextChoices):
        PRESENT = "present", _("présent")
        ABSENT = "absent", _("absent")
        EXCUSED = "excused", _("excusé")

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("session")
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("participant")
    )
    rsvp = models.CharField(_("réponse"), max_length=20, choices=Rsvp.choices, default=Rsvp.INVITED)
    rsvp_comment = LimitedTextField(_("commentaire"), blank=True, max_length=SHORT_TEXT)
    responded_at = models.DateTimeField(_("répondu le"), null=True, blank=True)
    attendance = models.CharField(_("présence"), max_length=20, choices=Attendance.choices, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["session", "participant"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "participant"],
                name="registration_unique_participant",
                violation_error_message=_("Ce participant est déjà inscrit à cette session."),
            ),
        ]

    def __str__(self):
        return f"{self.participant} — {self.session.code}"

    def clean(self):
        super().clean()
        if (
            self.session_id
            and self.participant_id
            and self.participant.enrolment.programme_id != self.session.programme_id
        ):
            raise ValidationError({"participant": _("Ce participant ne fait pas partie de cette édition.")})


class Resource(models.Model):
    """An item of the resource library: a file or a link, per session or per theme."""

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="resources", verbose_name=_("édition")
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="resources",
        verbose_name=_("session"),
    )
    theme = models.ForeignKey(
        Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="resources", verbose_name=_("thématique")
    )
    title = models.CharField(_("titre"), max_length=250)
    description = LimitedTextField(_("description"), blank=True, max_length=TEXT)
    url = models.URLField(_("lien"), blank=True)
    file = models.FileField(
        _("fichier"),
        upload_to=RandomUploadTo("resources"),
        validators=[FileValidator()],
        blank=True,
        help_text=_("PDF, image, document Office ou OpenDocument, texte ou CSV ; 10 Mo au plus."),
    )
    created_at = models.DateTimeField(_("ajouté le"), auto_now_add=True)

    class Meta:
        verbose_name = _("ressource")
        verbose_name_plural = _("ressources")
        ordering = ["programme", "title"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(url="") | ~Q(file=""),
                name="resource_has_url_or_file",
                violation_error_message=_("Une ressource est un lien ou un fichier."),
            ),
            models.UniqueConstraint(
                fields=["programme", "title"],
                name="resource_unique_title",
                violation_error_message=_("Cette édition a déjà une ressource portant ce titre."),
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if not self.url and not self.file:
            raise ValidationError(_("Indiquez un lien ou joignez un fichier."))
        if self.session_id and self.programme_id and self.session.programme_id != self.programme_id:
            raise ValidationError({"session": _("Cette session appartient à une autre édition.")})
        if self.theme_id and self.programme_id and self.theme.programme_id != self.programme_id:
            raise ValidationError({"theme": _("Cette thématique appartient à une autre édition.")})


class TopicProposal(models.Model):
    """A topic proposed by a participant for a session chosen collectively (S3)."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="topic_proposals", verbose_name=_("session")
    )
    title = models.CharField(_("sujet"), max_length=250)
    description = LimitedTextField(_("description"), blank=True, max_length=TEXT)
    proposed_by = models.ForeignKey(
        Participant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="topic_proposals",
        verbose_name=_("proposé par"),
    )
    created_at = models.DateTimeField(_("proposé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("proposition de sujet")
        verbose_name_plural = _("propositions de sujet")
        ordering = ["session", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "title"],
                name="topic_proposal_unique_title",
                violation_error_message=_("Ce sujet a déjà été proposé."),
            ),
        ]

    def __str__(self):
        return self.title


class TopicVote(models.Model):
    """A participant's vote: one per participant, hence one per programme.

    A participant belongs to exactly one enrolment, so one edition: the unique
    participant column is the database's guarantee of one vote per programme.
    Changing one's vote updates this row.
    """

    proposal = models.ForeignKey(
        TopicProposal, on_delete=models.CASCADE, related_name="votes", verbose_name=_("proposition")
    )
    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="topic_vote", verbose_name=_("participant")
    )
    voted_at = models.DateTimeField(_("voté le"), auto_now=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["proposal", "participant"]

    def __str__(self):
        return f"{self.participant} → {self.proposal}"

    def clean(self):
        super().clean()
        if self.proposal_id and self.participant_id:
            session = self.proposal.session
            if session.programme_id != self.participant.enrolment.programme_id:
                raise ValidationError(_("Ce participant ne fait pas partie de cette édition."))
            if session.topic_vote_closed_at is not None and self._casts_a_new_ballot():
                raise ValidationError(_("Le vote est clos."))

    def _casts_a_new_ballot(self):
        """A new vote, or a vote moved to another proposal: what a closed vote refuses.

        A vote already counted stays valid after closing (it can be saved again
        unchanged, in the admin for instance).
        """
        if self._state.adding:
            return True
        return not TopicVote.objects.filter(pk=self.pk, proposal_id=self.proposal_id).exists()


class NetworkContact(models.Model):
    """What a follow-up and a field visit share: a contact of the programme team with one network.

    The coordinator who held it, private notes for coordinators only and a summary shared
    with the network (the portal reads ``SHARED_FIELDS`` only, never the notes). Each
    concrete model names its enrolment link (its reverse name differs), its date field
    (``date_field``) and the field that describes it (``detail_field``).
    """

    date_field: ClassVar[str]
    detail_field: ClassVar[str]

    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("coordinateur"),
    )
    private_notes = LimitedTextField(
        _("notes internes"), blank=True, max_length=LONG_TEXT, help_text=_("Visibles des seuls coordinateurs.")
    )
    shared_summary = LimitedTextField(
        _("synthèse partagée"), blank=True, max_length=LONG_TEXT, help_text=_("Visible du réseau.")
    )

    class Meta:
        abstract = True

    @classmethod
    def shared_fields(cls) -> tuple[str, ...]:
        """What the network may read of a record: never the private notes."""
        return ("pk", cls.date_field, cls.detail_field, "shared_summary")


class FollowUp(NetworkContact):
    """An individual follow-up of a network by the programme team (phase 2a)."""

    date_field = "held_on"
    detail_field = "kind"

    class Kind(models.TextChoices):
        CALL = "call", _("entretien téléphonique")
        VISIO = "visio", _("visioconférence")
        MEETING = "meeting", _("rendez-vous")

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("candidature")
    )
    held_on = models.DateField(_("date"))
    kind = models.CharField(_("forme"), max_length=20, choices=Kind.choices, default=Kind.CALL)

    class Meta:
        verbose_name = _("suivi individuel")
        verbose_name_plural = _("suivis individuels")
        ordering = ["-held_on"]
        indexes = [
            # A network's follow-ups, newest first (portal and admin inline).
            models.Index(fields=["enrolment", "-held_on"], name="followup_enrolment_held_idx"),
        ]

    def __str__(self):
        return f"{self.enrolment.network} — {self.held_on:%d/%m/%Y}"


class FieldVisit(NetworkContact):
    """A field visit (« visite terrain ») to a network (phase 2a)."""

    date_field = "visited_on"
    detail_field = "place"

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="field_visits", verbose_name=_("candidature")
    )
    visited_on = models.DateField(_("date"))
    place = models.CharField(_("lieu"), max_length=250)

    class Meta:
        verbose_name = _("visite terrain")
        verbose_name_plural = _("visites terrain")
        ordering = ["-visited_on"]
        indexes = [
            # A network's field visits, newest first (portal and admin inline).
            models.Index(fields=["enrolment", "-visited_on"], name="fieldvisit_enrolment_visit_idx"),
        ]

    def __str__(self):
        return f"{self.enrolment.network} — {self.place}"


class Announcement(models.Model):
    """Community news posted by coordinators to an edition's participants (phase 2b)."""

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="announcements", verbose_name=_("édition")
    )
    title = models.CharField(_("titre"), max_length=200)
    body = LimitedTextField(_("texte"), max_length=LONG_TEXT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur"),
    )
    published_at = models.DateTimeField(_("publiée le"), default=timezone.now)

    class Meta:
        verbose_name = _("annonce")
        verbose_name_plural = _("annonces")
        ordering = ["-published_at"]
        indexes = [
            # The portal's announcements: one edition's, newest first (Meta.ordering).
            models.Index(fields=["programme", "-published_at"], name="announcement_programme_pub_idx"),
            # The announcement digest: announcements of every edition published in the last window.
            models.Index(fields=["published_at"], name="announcement_published_idx"),
        ]

    def __str__(self):
        return self.title


def new_calendar_token():
    """A secret for a personal calendar feed URL: 32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A person's subscribable calendar feed: its URL carries a secret token instead of a login.

    Calendar applications cannot log in, so whoever holds the URL reads the feed;
    regenerating the token makes the old URL stop working.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("personne"),
    )
    token = models.CharField(_("jeton"), max_length=64, unique=True, default=new_calendar_token, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    regenerated_at = models.DateTimeField(_("renouvelé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("agenda personnel")
        verbose_name_plural = _("agendas personnels")

    def __str__(self):
        return str(self.user)
