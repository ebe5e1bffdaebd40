"""Questionnaires, answers, competencies and findings.

May use every other app; nothing but the top layer imports it.
"""

import datetime as dt
from typing import Self

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alliances.fields import LONG_TEXT, TEXT, LimitedTextField
from alliances.models import Programme
from networks.models import Enrolment, Participant
from sessions.models import Registration, Session

# Results shown to anyone but coordinators are aggregates over at least this many respondents.
MIN_RESPONDENTS_FOR_AGGREGATE = 5


class Competency(models.Model):
    """A competency the parcours builds, self-assessed 1–5 before and after."""

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="competencies", verbose_name=_("édition")
    )
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    name = models.CharField(_("compétence"), max_length=250)

    class Meta:
        verbose_name = _("compétence")
        verbose_name_plural = _("compétences")
        ordering = ["programme", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "name"],
                name="competency_unique_name",
                violation_error_message=_("Cette édition a déjà cette compétence."),
            ),
        ]

    def __str__(self):
        return self.name


class QuestionnaireQuerySet(models.QuerySet["Questionnaire"]):
    def published(self) -> Self:
        """Questionnaires with an opening date: without one, a questionnaire is still being prepared."""
        return self.filter(opens_at__isnull=False)

    def open_at(self, now: dt.datetime) -> Self:
        """Open for answers at ``now``: opened, and not closed yet."""
        return self.filter(opens_at__lte=now).filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))

    def for_participant(self, participant: Participant) -> Self:
        """Questionnaires of the participant's edition whose audience includes them (published or not).

        « Les présents à une session » means: marked present at that session. One query (the
        attendance is a subquery), whatever the size of the edition.
        """
        present_at = Registration.objects.filter(
            participant_id=participant.pk, attendance=Registration.Attendance.PRESENT
        ).values("session_id")
        return self.filter(programme_id=participant.enrolment.programme_id).filter(
            Q(audience=Questionnaire.Audience.ALL)
            | Q(audience=Questionnaire.Audience.SESSION_ATTENDEES, session_id__in=present_at)
        )


class Questionnaire(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("en préparation")
        UPCOMING = "upcoming", _("à venir")
        OPEN = "open", _("ouvert")
        CLOSED = "closed", _("clos")

    class Kind(models.TextChoices):
        SESSION_FEEDBACK = "session_feedback", _("retour sur une session")
        COMPETENCY_PRE = "competency_pre", _("auto-évaluation des compétences (pré)")
        COMPETENCY_POST = "competency_post", _("auto-évaluation des compétences (post)")
        FINAL = "final", _("évaluation finale du programme")

    class Audience(models.TextChoices):
        ALL = "all", _("tous les participants de l'édition")
        SESSION_ATTENDEES = "session_attendees", _("les présents à une session")

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="questionnaires", verbose_name=_("édition")
    )
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("titre"), max_length=250)
    introduction = LimitedTextField(_("introduction"), blank=True, max_length=TEXT)
    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="questionnaires",
        verbose_name=_("session"),
    )
    audience = models.CharField(_("public"), max_length=30, choices=Audience.choices, default=Audience.ALL)
    opens_at = models.DateTimeField(
        _("ouverture"),
        null=True,
        blank=True,
        help_text=_(
            "Sans date d'ouverture, le questionnaire reste en préparation : les participants ne le voient pas."
        ),
    )
    closes_at = models.DateTimeField(
        _("clôture"),
        null=True,
        blank=True,
        help_text=_("Les participants peuvent répondre et modifier leurs réponses jusqu'à cette date."),
    )

    objects = QuestionnaireQuerySet.as_manager()

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["programme", "opens_at", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "title"],
                name="questionnaire_unique_title",
                violation_error_message=_("Cette édition a déjà un questionnaire portant ce titre."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="session_feedback") | Q(session__isnull=False),
                name="questionnaire_feedback_has_session",
                violation_error_message=_("Un retour sur une session porte sur une session."),
            ),
            models.CheckConstraint(
                condition=~Q(audience="session_attendees") | Q(session__isnull=False),
                name="questionnaire_attendee_audience_has_session",
                violation_error_message=_("Le public « présents à une session » suppose une session."),
            ),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True) | Q(closes_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="questionnaire_closes_after_opening",
                violation_error_message=_("La clôture doit suivre l'ouverture."),
            ),
            # The progression pré → post pairs one self-assessment before with one after.
            models.UniqueConstraint(
                fields=["programme"],
                condition=Q(kind="competency_pre"),
                name="questionnaire_one_competency_pre",
                violation_error_message=_("Cette édition a déjà une auto-évaluation des compétences (pré)."),
            ),
            models.UniqueConstraint(
                fields=["programme"],
                condition=Q(kind="competency_post"),
                name="questionnaire_one_competency_post",
                violation_error_message=_("Cette édition a déjà une auto-évaluation des compétences (post)."),
            ),
            # The satisfaction of a session is read from its one feedback questionnaire.
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(kind="session_feedback"),
                name="questionnaire_one_feedback_per_session",
                violation_error_message=_("Cette session a déjà un questionnaire de retour."),
            ),
        ]
        indexes = [
            # A participant's questionnaires and the results: one edition's, by opening date.
            models.Index(fields=["programme", "opens_at"], name="questionnaire_prog_opens_idx"),
            # Questionnaire reminders: the open questionnaires of every edition closing soon.
            models.Index(fields=["closes_at"], name="questionnaire_closes_at_idx"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.session_id and self.programme_id and self.session.programme_id != self.programme_id:
            raise ValidationError({"session": _("Cette session appartient à une autre édition.")})
        if self.audience == self.Audience.SESSION_ATTENDEES and not self.session_id:
            raise ValidationError({"session": _("Choisissez la session dont les présents répondent.")})
        if self.kind == self.Kind.SESSION_FEEDBACK and not self.session_id:
            raise ValidationError({"session": _("Choisissez la session sur laquelle porte ce retour.")})

    def status(self, now=None):
        """Where the questionnaire stands at ``now``: a :class:`Questionnaire.Status` value."""
        now = now or timezone.now()
        if self.opens_at is None:
            return self.Status.DRAFT
        if self.opens_at > now:
            return self.Status.UPCOMING
        if self.closes_at is not None and self.closes_at <= now:
            return self.Status.CLOSED
        return self.Status.OPEN

    def is_open(self, now: dt.datetime | None = None) -> bool:
        return self.status(now) == self.Status.OPEN

    def audience_participants(self) -> models.QuerySet[Participant]:
        """Everyone this questionnaire is for: the participants of the edition's networks in accord,
        or, for « les présents à une session », those marked present at that session."""
        participants = Participant.objects.filter(
            enrolment__programme_id=self.programme_id, enrolment__status=Enrolment.Status.AGREED
        )
        if self.audience == self.Audience.SESSION_ATTENDEES:
            present = Registration.objects.filter(
                session_id=self.session_id, attendance=Registration.Attendance.PRESENT
            ).values("participant_id")
            participants = participants.filter(pk__in=present)
        return participants


class Question(models.Model):
    class Kind(models.TextChoices):
        SCALE = "scale", _("échelle de 1 à 5")
        SINGLE = "single", _("choix unique")
        MULTIPLE = "multiple", _("choix multiple")
        TEXT = "text", _("texte libre")

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions", verbose_name=_("questionnaire")
    )
    order = models.PositiveSmallIntegerField(_("ordre"))
    text = models.CharField(_("question"), max_length=500)
    help_text = models.CharField(_("aide"), max_length=500, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.SCALE)
    choices = LimitedTextField(
        _("choix proposés"),
        blank=True,
        max_length=TEXT,
        help_text=_("Un choix par ligne, pour les questions à choix."),
    )
    required = models.BooleanField(_("obligatoire"), default=True)
    competency = models.ForeignKey(
        Competency,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("compétence évaluée"),
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["questionnaire", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "order"],
                name="question_unique_order",
                violation_error_message=_("Ce questionnaire a déjà une question à cette position."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["single", "multiple"]) | Q(choices=""),
                name="question_choices_only_for_choice_kinds",
                violation_error_message=_("Seules les questions à choix proposent des choix."),
            ),
            models.CheckConstraint(
                condition=Q(competency__isnull=True) | Q(kind="scale"),
                name="question_competency_is_scale",
                violation_error_message=_("Une compétence s'évalue sur une échelle de 1 à 5."),
            ),
            # Each competency is assessed once per questionnaire, so that pré and post pair up.
            models.UniqueConstraint(
                fields=["questionnaire", "competency"],
                condition=Q(competency__isnull=False),
                name="question_unique_competency",
                violation_error_message=_("Ce questionnaire évalue déjà cette compétence."),
            ),
        ]

    def __str__(self):
        return f"{self.order}. {self.text}"

    @property
    def choice_list(self):
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean(self):
        super().clean()
        if self.kind in (self.Kind.SINGLE, self.Kind.MULTIPLE) and len(self.choice_list) < 2:
            raise ValidationError({"choices": _("Proposez au moins deux choix, un par ligne.")})
        if self.kind not in (self.Kind.SINGLE, self.Kind.MULTIPLE) and self.choices.strip():
            raise ValidationError({"choices": _("Seules les questions à choix proposent des choix.")})
        if len(set(self.choice_list)) != len(self.choice_list):
            raise ValidationError({"choices": _("Chaque choix ne doit figurer qu'une fois.")})
        if self.competency_id and self.kind != self.Kind.SCALE:
            raise ValidationError({"competency": _("Une compétence s'évalue sur une échelle de 1 à 5.")})
        if (
            self.competency_id
            and self.questionnaire_id
            and self.competency.programme_id != self.questionnaire.programme_id
        ):
            raise ValidationError({"competency": _("Cette compétence appartient à une autre édition.")})


class Response(models.Model):
    """A participant's answers to a questionnaire: one per (questionnaire, participant)."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="responses", verbose_name=_("questionnaire")
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="responses", verbose_name=_("participant")
    )
    # Set by the services (not auto_now): the demo data can then carry its 2018 dates.
    submitted_at = models.DateTimeField(_("envoyée le"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("modifiée le"), default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("réponse")
        verbose_name_plural = _("réponses")
        ordering = ["questionnaire", "participant"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "participant"],
                name="response_unique_participant",
                violation_error_message=_("Ce participant a déjà répondu à ce questionnaire."),
            ),
        ]

    def __str__(self):
        return f"{self.participant} — {self.questionnaire}"

    def clean(self):
        super().clean()
        if (
            self.questionnaire_id
            and self.participant_id
            and self.questionnaire.programme_id != self.participant.enrolment.programme_id
        ):
            raise ValidationError({"participant": _("Ce participant ne fait pas partie de cette édition.")})


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers", verbose_name=_("réponse"))
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question"))
    value = models.PositiveSmallIntegerField(_("note"), null=True, blank=True)
    text = LimitedTextField(_("texte"), blank=True, max_length=TEXT)
    selected = models.JSONField(_("choix retenus"), default=list, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("réponse à une question")
        verbose_name_plural = _("réponses aux questions")
        ordering = ["response", "question__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"],
                name="answer_unique_question",
                violation_error_message=_("Cette question a déjà une réponse."),
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=1, value__lte=5),
                name="answer_value_1_to_5",
                violation_error_message=_("La note va de 1 à 5."),
            ),
        ]

    def __str__(self):
        return f"{self.question} — {self.display_value}"

    @property
    def display_value(self):
        if self.value is not None:
            return str(self.value)
        if self.selected:
            return ", ".join(self.selected)
        return self.text

    def clean(self):
        super().clean()
        if self.question_id and self.response_id and self.question.questionnaire_id != self.response.questionnaire_id:
            raise ValidationError({"question": _("Cette question appartient à un autre questionnaire.")})
        if self.question_id:
            self._clean_shape(self.question)

    def _clean_shape(self, question):
        """The answer holds what its question's kind asks for, and nothing else."""
        kind = Question.Kind
        selected = self.selected if isinstance(self.selected, list) else None
        if question.kind == kind.SCALE:
            if self.value not in (1, 2, 3, 4, 5) or self.text or self.selected:
                raise ValidationError({"value": _("Donnez une note de 1 à 5.")})
        elif question.kind == kind.TEXT:
            if not self.text.strip() or self.value is not None or self.selected:
                raise ValidationError({"text": _("Écrivez votre réponse.")})
        else:
            if self.value is not None or self.text or not selected:
                raise ValidationError({"selected": _("Choisissez parmi les choix proposés.")})
            if question.kind == kind.SINGLE and len(selected) != 1:
                raise ValidationError({"selected": _("Choisissez une seule réponse.")})
            if len(set(selected)) != len(selected) or not set(selected) <= set(question.choice_list):
                raise ValidationError({"selected": _("Choisissez parmi les choix proposés.")})


class Finding(models.Model):
    """What the edition teaches for deployment (phase 3b)."""

    class Kind(models.TextChoices):
        OBSERVATION = "observation", _("constat")
        LESSON = "lesson", _("enseignement")
        CONVICTION = "conviction", _("conviction")
        RECOMMENDATION = "recommendation", _("recommandation")

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="findings", verbose_name=_("édition")
    )
    kind = models.CharField(_("nature"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("intitulé"), max_length=250)
    body = LimitedTextField(_("développement"), blank=True, max_length=LONG_TEXT)
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    evidence_questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("questionnaire à l'appui"),
    )
    evidence_session = models.ForeignKey(
        Session,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("session à l'appui"),
    )
    evidence_meeting = models.ForeignKey(
        "governance.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("réunion à l'appui"),
    )

    class Meta:
        verbose_name = _("enseignement pour le déploiement")
        verbose_name_plural = _("enseignements pour le déploiement")
        ordering = ["programme", "kind", "order"]
        indexes = [
            # The findings page: one edition's findings by kind and order (Meta.ordering).
            models.Index(fields=["programme", "kind", "order"], name="finding_programme_order_idx"),
        ]

    def __str__(self):
        return self.title
