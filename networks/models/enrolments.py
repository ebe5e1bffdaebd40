"""Regions and networks, a network's enrolment in an edition, its binômes and its participants."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alliances.fields import LONG_TEXT, SHORT_TEXT, LimitedTextField
from alliances.models import Programme, activated_accounts


class Region(models.Model):
    """A French region (2016 map): reference data loaded by a migration."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("région")
        verbose_name_plural = _("régions")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Network(models.Model):
    name = models.CharField(_("nom"), max_length=200, unique=True)
    acronym = models.CharField(_("sigle"), max_length=30, blank=True)
    field_of_action = models.CharField(_("champ d'action"), max_length=200, blank=True)
    regions = models.ManyToManyField(Region, verbose_name=_("régions d'action"), blank=True, related_name="networks")
    member_associations = models.PositiveIntegerField(_("nombre d'associations membres"), null=True, blank=True)
    website = models.URLField(_("site web"), blank=True)
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    contact_email = models.EmailField(_("e-mail du contact"), blank=True)
    contact_phone = models.CharField(_("téléphone du contact"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("réseau")
        verbose_name_plural = _("réseaux")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.acronym})" if self.acronym else self.name


class EnrolmentQuerySet(models.QuerySet["Enrolment"]):
    def pilots(self) -> "EnrolmentQuerySet":
        """The pilot networks of an edition are its enrolments in accord."""
        return self.filter(status=Enrolment.Status.AGREED)


class Enrolment(models.Model):
    """A network's candidacy to an edition."""

    class Status(models.TextChoices):
        SOLICITED = "solicited", _("sollicité")
        AGREED = "agreed", _("accord")
        PENDING = "pending", _("en attente")
        REFUSED = "refused", _("refus")

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("édition")
    )
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("réseau"))
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.SOLICITED)
    refusal_reason = LimitedTextField(_("motif du refus"), blank=True, max_length=SHORT_TEXT)
    solicited_on = models.DateField(_("sollicité le"), null=True, blank=True)
    decided_on = models.DateField(_("décision le"), null=True, blank=True)
    launch_meeting_on = models.DateField(_("bilatérale de lancement le"), null=True, blank=True)
    launch_meeting_notes = LimitedTextField(_("notes de la bilatérale de lancement"), blank=True, max_length=LONG_TEXT)
    share_inventory = models.BooleanField(
        _("inventaire partagé avec la promotion"),
        default=False,
        help_text=_("Les autres réseaux de l'édition peuvent consulter l'inventaire des partenariats."),
    )

    objects = EnrolmentQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("candidature")
        verbose_name_plural = _("candidatures")
        ordering = ["programme", "network__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "network"],
                name="enrolment_unique_network",
                violation_error_message=_("Ce réseau est déjà inscrit à cette édition."),
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(refusal_reason=""),
                name="enrolment_refusal_has_reason",
                violation_error_message=_("Un refus doit être motivé."),
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True)
                | Q(solicited_on__isnull=True)
                | Q(decided_on__gte=models.F("solicited_on")),
                name="enrolment_decision_after_solicitation",
                violation_error_message=_("La décision ne peut précéder la sollicitation."),
            ),
            # Redundant as a key (id is unique), but the target of the participants' composite
            # foreign key (enrolment_id, programme_id): see Participant.programme.
            models.UniqueConstraint(fields=["id", "programme"], name="enrolment_unique_id_programme"),
        ]
        indexes = [
            # An edition's enrolments of one status: the recruitment funnel, the agreed networks'
            # participants (audiences of questionnaires, reminders, dashboard).
            models.Index(fields=["programme", "status"], name="enrolment_programme_status_idx"),
        ]

    def __str__(self):
        return f"{self.network} — {self.programme}"

    def clean(self):
        super().clean()
        if self.status == self.Status.REFUSED and not self.refusal_reason.strip():
            raise ValidationError({"refusal_reason": _("Indiquez le motif du refus.")})
        if self.pk and self.programme_id:
            # Its participants follow an enrolment moved to another edition (see db_guards): none
            # of them may already take part in that one.
            elsewhere = Participant.objects.filter(programme_id=self.programme_id).exclude(enrolment_id=self.pk)
            if elsewhere.filter(user__participations__enrolment_id=self.pk).exists():
                raise ValidationError(
                    {
                        "programme": _(
                            "Un participant de ce réseau participe déjà à cette édition au titre d'un autre réseau."
                        )
                    }
                )


class Binome(models.Model):
    """A pair of participants of one enrolment (« binôme »): at most two.

    « At most two » is held by the database: each member holds a slot (Participant.binome_slot,
    1 or 2), unique per binôme. A member takes the free slot with the binôme's row locked.
    """

    MAX_MEMBERS = 2
    SLOTS = (1, 2)
    FULL_MESSAGE = _("Ce binôme compte déjà deux participants.")

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="binomes", verbose_name=_("candidature")
    )
    name = models.CharField(_("nom"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("binôme")
        verbose_name_plural = _("binômes")
        ordering = ["enrolment", "pk"]

    def __str__(self):
        return self.name or _("Binôme %(network)s") % {"network": self.enrolment.network}

    @property
    def is_complete(self):
        return self.members.count() == self.MAX_MEMBERS


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def of_programme(self, programme):
        return self.filter(programme=programme)

    def bulk_create(self, objs, *args, **kwargs):
        """Fill the derived columns every writer must give: the edition, then free binôme slots.

        The database refuses a wrong value anyway (see Participant.programme); this spares the
        bulk writers (scale, demo, benches) from computing them. Slots are taken in the order of
        ``objs`` after the binômes' current members, with the binômes locked.
        """
        objs = list(objs)
        missing = [obj for obj in objs if obj.programme_id is None and obj.enrolment_id is not None]
        uncached = {obj.enrolment_id for obj in missing if not Participant.enrolment.is_cached(obj)}
        programmes = dict(Enrolment.objects.filter(pk__in=uncached).values_list("pk", "programme_id"))
        for obj in missing:
            if obj.enrolment_id in uncached:
                obj.programme_id = programmes.get(obj.enrolment_id)
            else:
                obj.programme_id = obj.enrolment.programme_id
        with transaction.atomic(using=self.db, savepoint=False):
            unslotted = [obj for obj in objs if obj.binome_id is not None and obj.binome_slot is None]
            if unslotted:
                binome_ids = sorted({obj.binome_id for obj in unslotted})
                list(Binome.objects.using(self.db).select_for_update().filter(pk__in=binome_ids).values_list("pk"))
                taken = {}
                for binome_id, slot in (
                    self.model.objects.using(self.db)
                    .filter(binome_id__in=binome_ids)
                    .values_list("binome_id", "binome_slot")
                ):
                    taken.setdefault(binome_id, set()).add(slot)
                for obj in objs:
                    if obj.binome_id is not None:
                        used = taken.setdefault(obj.binome_id, set())
                        if obj.binome_slot is None:
                            # None left: the check constraint refuses the row (a binôme of three).
                            obj.binome_slot = next((slot for slot in Binome.SLOTS if slot not in used), None)
                        used.add(obj.binome_slot)
            return super().bulk_create(objs, *args, **kwargs)

    def in_directory(self) -> "ParticipantQuerySet":
        """The participants the cohort directory shows: listed, with an activated account (no pending invitee)."""
        return self.filter(activated_accounts("user__"), listed_in_directory=True)


class Participant(models.Model):
    """One person (User) in one enrolment."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="participations",
        verbose_name=_("personne"),
    )
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="participants", verbose_name=_("candidature")
    )
    # The enrolment's edition, copied so that the database can hold « one participation per
    # person and edition » (participant_unique_user_programme). A copy can drift, so the database
    # also holds the copy: Django 5.2 has no composite foreign key, so migration 0007 adds one by
    # hand on PostgreSQL, (enrolment_id, programme_id) → enrolment (id, programme_id) (hence
    # enrolment_unique_id_programme), ON UPDATE CASCADE so that moving an enrolment to another
    # edition moves its participants; on SQLite, triggers do the same (networks/db_guards.py).
    # A trigger would do on PostgreSQL too, but a foreign key is declarative, visible in the
    # schema and cannot be forgotten by a bulk write or a raw UPDATE. Writers need not set it:
    # save() and bulk_create() fill it from the enrolment.
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="participants", verbose_name=_("édition"), editable=False
    )
    job_title = models.CharField(_("fonction"), max_length=200, blank=True)
    binome = models.ForeignKey(
        Binome,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("binôme"),
    )
    # 1 or 2 when in a binôme (unique per binôme), empty otherwise: « at most two » for the database.
    binome_slot = models.PositiveSmallIntegerField(_("place dans le binôme"), null=True, blank=True, editable=False)
    listed_in_directory = models.BooleanField(
        _("visible dans l'annuaire"), default=True, help_text=_("Apparaître dans l'annuaire de la promotion.")
    )
    joined_at = models.DateTimeField(_("inscrit le"), auto_now_add=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["enrolment", "user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "enrolment"],
                name="participant_unique_user_enrolment",
                violation_error_message=_("Cette personne participe déjà au titre de ce réseau."),
            ),
            models.UniqueConstraint(
                fields=["user", "programme"],
                name="participant_unique_user_programme",
                violation_error_message=_("Cette personne participe déjà à cette édition."),
            ),
            models.CheckConstraint(
                # binome_slot__isnull=False too: « NULL IN (1, 2) » is unknown, which a CHECK accepts.
                # Without a binôme the slot is left free: deleting a binôme nulls its members'
                # binome_id (SET_NULL) in one statement, and a second one for the slot would come
                # too late for a non-deferrable check. A stale slot is harmless: save() takes a
                # free one again whenever the binôme changes.
                condition=Q(binome__isnull=True)
                | Q(binome__isnull=False, binome_slot__isnull=False, binome_slot__in=Binome.SLOTS),
                name="participant_binome_slot_1_or_2",
                violation_error_message=Binome.FULL_MESSAGE,
            ),
            models.UniqueConstraint(
                fields=["binome", "binome_slot"],
                name="participant_unique_binome_slot",
                violation_error_message=Binome.FULL_MESSAGE,
            ),
        ]

    def __str__(self):
        return str(self.user.get_full_name() or self.user.email)

    def save(self, *args, **kwargs):
        """Save, keeping the two derived columns right: the enrolment's edition and the binôme slot."""
        update_fields = kwargs.get("update_fields")
        updates = set(update_fields) if update_fields is not None else None
        if self.enrolment_id is not None and (updates is None or "enrolment" in updates):
            if self.programme_id is None or self._changed("enrolment_id") or Participant.enrolment.is_cached(self):
                self.programme_id = self.enrolment.programme_id
            if updates is not None:
                updates.add("programme")
        writes_binome = updates is None or "binome" in updates
        takes_slot = (
            writes_binome and self.binome_id is not None and (self.binome_slot is None or self._changed("binome_id"))
        )
        if writes_binome and self.binome_id is None:
            self.binome_slot = None
        if updates is not None:
            kwargs["update_fields"] = updates | ({"binome_slot"} if writes_binome else set())
        if takes_slot:
            using = kwargs.get("using") or router.db_for_write(Participant, instance=self)
            with transaction.atomic(using=using):
                self.binome_slot = self._free_binome_slot(using)
                super().save(*args, **kwargs)
        else:
            super().save(*args, **kwargs)
        self._stored = {name: getattr(self, name) for name in ("user_id", "enrolment_id", "binome_id")}

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # What the row held, to tell in clean() and save() whether the person or binôme changed.
        instance._stored = {name: instance.__dict__.get(name) for name in ("user_id", "enrolment_id", "binome_id")}
        return instance

    def _changed(self, name):
        stored = getattr(self, "_stored", None)
        return stored is None or stored[name] != getattr(self, name)

    def _lock_rows_for_validation(self):
        """Inside a transaction (every admin form, the CSV import), lock the rows the checks below read.

        Two coordinators saving at once then validate one after the other: the second waits for
        the first's commit, then its checks read the committed row and answer with the French
        message instead of a database error (or a binôme of three, before the slot column).
        """
        if not transaction.get_connection(router.db_for_write(Participant)).in_atomic_block:
            return
        if self.user_id and (self._changed("user_id") or self._changed("enrolment_id")):
            list(get_user_model().objects.select_for_update().filter(pk=self.user_id).values_list("pk"))
        if self.binome_id and self._changed("binome_id"):
            list(Binome.objects.select_for_update().filter(pk=self.binome_id).values_list("pk"))

    def clean(self):
        super().clean()
        if self.enrolment_id:
            self.programme_id = self.enrolment.programme_id
        self._lock_rows_for_validation()
        errors = {}
        if self.enrolment_id and self.user_id:
            same_edition = (
                Participant.objects.filter(user_id=self.user_id, programme_id=self.programme_id)
                .exclude(enrolment_id=self.enrolment_id)
                .exclude(pk=self.pk)
            )
            if same_edition.exists():
                errors["user"] = _("Cette personne participe déjà à cette édition au titre d'un autre réseau.")
        if self.binome_id:
            binome = self.binome
            if binome.enrolment_id != self.enrolment_id:
                errors["binome"] = _("Un binôme réunit des participants d'un même réseau.")
            elif binome.members.exclude(pk=self.pk).count() >= Binome.MAX_MEMBERS:
                errors["binome"] = Binome.FULL_MESSAGE
        if errors:
            raise ValidationError(errors)

    def _free_binome_slot(self, using):
        """The binôme's free slot, its row locked until the caller's transaction ends (ValidationError if none)."""
        list(Binome.objects.using(using).select_for_update().filter(pk=self.binome_id).values_list("pk"))
        taken = set(
            Participant.objects.using(using)
            .filter(binome_id=self.binome_id)
            .exclude(pk=self.pk)
            .values_list("binome_slot", flat=True)
        )
        free = [slot for slot in Binome.SLOTS if slot not in taken]
        if not free:
            raise ValidationError({"binome": Binome.FULL_MESSAGE})
        return free[0]
