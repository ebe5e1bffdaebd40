"""Writes of the « Mon réseau » area: the inventory, obstacles, roadmap and the two visibility flags.

Also the people of an edition: the account and the participation (shared by the CSV import and
the one-step invitation), and :func:`participant_invite`.

Every function takes keyword-only arguments, validates the object with ``full_clean()``
(the model's rules, the database constraints) and then saves it. Callers are responsible
for scoping: they pass objects they fetched within ``request.participant.enrolment``.
"""

import logging
import smtplib
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from alliances.invitations import user_invite
from alliances.models import Programme, User, normalise_email
from networks.models import Binome, Enrolment, Obstacle, Participant, Partnership, Roadmap, RoadmapAction

PARTNERSHIP_FIELDS = (
    "partner_name",
    "family",
    "partner_type",
    "company_form",
    "scale",
    "objective_human_resources",
    "objective_stakeholders",
    "objective_innovation",
    "objective_economic",
    "depth",
    "evaluated",
    "start_year",
    "status",
    "notes",
)
OBSTACLE_FIELDS = ("category", "description", "severity")
ROADMAP_FIELDS = ("title", "ambition")
ROADMAP_ACTION_FIELDS = ("title", "description", "owner", "due_on", "status", "done_on")

M = TypeVar("M", bound=models.Model)


def _assign(instance: models.Model, allowed: tuple[str, ...], fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"{type(instance).__name__} has no editable field(s) {sorted(unknown)}")
    for name, value in fields.items():
        setattr(instance, name, value)


def _validated_save(instance: M) -> M:
    instance.full_clean()
    instance.save()
    return instance


# --- People: the account and the participation (the CSV import, the one-step invitation) ----


logger = logging.getLogger(__name__)

ACCOUNT_DETAILS = ("first_name", "last_name", "phone")


def account_get_or_create(*, email: str, user: User | None = None, **details: str) -> tuple[User, bool]:
    """The account of ``email`` (already normalised), created with an unusable password when ``user`` is None.

    ``user`` is the existing account of that address when the caller looked it up (the CSV import
    looks up every row at once). An existing account only gets the details it lacks: what the
    person wrote themselves is never overwritten. Returns ``(user, created)``.
    """
    unknown = set(details) - set(ACCOUNT_DETAILS)
    if unknown:
        raise TypeError(f"accounts have no detail(s) {sorted(unknown)}")
    if user is None:
        user = get_user_model()(email=email, **details)
        user.set_unusable_password()
        user.full_clean()
        user.save()
        return user, True
    changed = [name for name, value in details.items() if value and not getattr(user, name)]
    for name in changed:
        setattr(user, name, details[name])
    if changed:
        user.full_clean(exclude=["password"])
        user.save(update_fields=changed)
    return user, False


def participant_create(
    *, user: User, enrolment: Enrolment, job_title: str = "", binome: Binome | None = None
) -> Participant:
    """Add ``user`` to ``enrolment`` (and to ``binome``, which takes its free slot with the binôme locked).

    ``full_clean()`` gives the French messages of the rules (one participation per edition, a
    binôme of two of the same network); the database holds them against a concurrent writer.
    """
    participant = Participant(user=user, enrolment=enrolment, job_title=job_title, binome=binome)
    # The slot is given by save(), with the binôme locked: its check would refuse the empty slot here.
    participant.full_clean(exclude=["binome_slot"])
    participant.save()
    return participant


@dataclass
class Invitation:
    """What :func:`participant_invite` did. ``sent`` is None until the commit, then whether the e-mail left."""

    participant: Participant
    created_account: bool
    sent: bool | None = None


def participant_invite(
    *,
    programme: Programme,
    enrolment: Enrolment,
    email: str,
    first_name: str,
    last_name: str,
    job_title: str = "",
    binome: Binome | None = None,
    invited_by: User | None = None,
    request: HttpRequest | None = None,
) -> Invitation:
    """Add one person to ``enrolment`` and invite them, in one transaction: the one-step invitation.

    The account of ``email`` is reused (its name completed only where empty) or created with an
    unusable password; the participation takes the CSV import's path (:func:`participant_create`);
    the invitation e-mail leaves once the transaction is committed, so a refusal sends nothing
    and leaves nothing. Every refusal is a ``ValidationError`` keyed by the form field it concerns
    (``email``, ``enrolment``, ``binome``), in French.

    Like the CSV import, the edition's row is locked first: two invitations of one person (a
    double click, two coordinators) run one after the other, and the second reads the first's
    participation and says so instead of failing on a unique index. A writer that takes no such
    lock (the admin) can still win a race: the database refuses, and ``IntegrityError`` reaches the
    caller, which turns it into its form's error.

    An e-mail that fails after the commit (SMTP down) is logged and reported by ``sent=False``; the
    invitation is recorded (``invited_at``), so the cockpit lists it with « Renvoyer l'invitation ».
    """
    email = normalise_email(email)
    if enrolment.programme_id != programme.pk:
        raise ValidationError({"enrolment": _("Ce réseau n'est pas inscrit à cette édition.")})
    if binome is not None and binome.enrolment_id != enrolment.pk:
        raise ValidationError({"binome": _("Un binôme réunit des participants d'un même réseau.")})
    with transaction.atomic():
        _lock_edition(programme)
        user = get_user_model().objects.filter(email=email).first()
        if user is not None:
            if not user.is_active:
                raise ValidationError(
                    {
                        "email": _(
                            "Le compte de cette adresse est désactivé : réactivez-le dans l'administration "
                            "avant de l'inviter."
                        )
                    }
                )
            existing = (
                Participant.objects.filter(user=user, programme=programme).select_related("enrolment__network").first()
            )
            if existing is not None:
                raise ValidationError({"email": _already_participates(user, existing)})
        user, created = account_get_or_create(email=email, user=user, first_name=first_name, last_name=last_name)
        participant = participant_create(user=user, enrolment=enrolment, job_title=job_title, binome=binome)
        invitation = Invitation(participant=participant, created_account=created)
        transaction.on_commit(
            lambda: _send_invitation(invitation, programme=programme, invited_by=invited_by, request=request)
        )
    return invitation


def _lock_edition(programme: Programme) -> None:
    """Invitations and CSV imports into one edition run one after the other (the edition's row locked)."""
    list(Programme.objects.select_for_update().filter(pk=programme.pk).values_list("pk"))


def _already_participates(user: User, participant: Participant) -> str:
    person = user.get_full_name() or user.email
    values = {"person": person, "network": participant.enrolment.network}
    if user.invited_at is not None and user.invitation_accepted_at is None:
        values["date"] = formats.date_format(timezone.localtime(user.invited_at), "j F Y à H:i")
        return (
            _(
                "%(person)s participe déjà à cette édition au titre du réseau %(network)s et a été invité(e) le "
                "%(date)s. Pour renvoyer l'invitation, utilisez « Renvoyer l'invitation » dans le cockpit."
            )
            % values
        )
    return _("%(person)s participe déjà à cette édition au titre du réseau %(network)s.") % values


def _send_invitation(
    invitation: Invitation, *, programme: Programme, invited_by: User | None, request: HttpRequest | None
) -> None:
    try:
        user_invite(user=invitation.participant.user, invited_by=invited_by, request=request, programme=programme)
    except (smtplib.SMTPException, OSError):
        logger.exception("Invitation of participant %s failed.", invitation.participant.pk)
        invitation.sent = False
    else:
        invitation.sent = True


# --- Partnerships ------------------------------------------------------------------


def partnership_create(*, enrolment: Enrolment, **fields: Any) -> Partnership:
    partnership = Partnership(enrolment=enrolment)
    _assign(partnership, PARTNERSHIP_FIELDS, fields)
    return _validated_save(partnership)


def partnership_update(*, partnership: Partnership, **fields: Any) -> Partnership:
    _assign(partnership, PARTNERSHIP_FIELDS, fields)
    return _validated_save(partnership)


def partnership_delete(*, partnership: Partnership) -> None:
    partnership.delete()


# --- Obstacles ---------------------------------------------------------------------


def obstacle_create(*, enrolment: Enrolment, **fields: Any) -> Obstacle:
    obstacle = Obstacle(enrolment=enrolment)
    _assign(obstacle, OBSTACLE_FIELDS, fields)
    return _validated_save(obstacle)


def obstacle_update(*, obstacle: Obstacle, **fields: Any) -> Obstacle:
    _assign(obstacle, OBSTACLE_FIELDS, fields)
    return _validated_save(obstacle)


def obstacle_delete(*, obstacle: Obstacle) -> None:
    obstacle.delete()


# --- Roadmap -----------------------------------------------------------------------


def roadmap_get_or_create(*, enrolment: Enrolment) -> Roadmap:
    """The enrolment's single roadmap, created empty on first use (the unique key makes a race harmless)."""
    roadmap, _created = Roadmap.objects.get_or_create(enrolment=enrolment)
    roadmap.enrolment = enrolment  # already loaded: spare a query to whoever reads roadmap.enrolment
    return roadmap


def roadmap_update(*, roadmap: Roadmap, **fields: Any) -> Roadmap:
    _assign(roadmap, ROADMAP_FIELDS, fields)
    return _validated_save(roadmap)


def _complete_done_date(action: RoadmapAction) -> None:
    # An action marked done without a date was done today; the model refuses a date on an undone action.
    if action.status == RoadmapAction.Status.DONE and action.done_on is None:
        action.done_on = timezone.localdate()


def roadmap_action_create(*, roadmap: Roadmap, **fields: Any) -> RoadmapAction:
    action = RoadmapAction(roadmap=roadmap)
    _assign(action, ROADMAP_ACTION_FIELDS, fields)
    _complete_done_date(action)
    return _validated_save(action)


def roadmap_action_update(*, action: RoadmapAction, **fields: Any) -> RoadmapAction:
    _assign(action, ROADMAP_ACTION_FIELDS, fields)
    _complete_done_date(action)
    return _validated_save(action)


def roadmap_action_delete(*, action: RoadmapAction) -> None:
    action.delete()


# --- Visibility flags --------------------------------------------------------------


def enrolment_set_inventory_sharing(*, enrolment: Enrolment, shared: bool) -> Enrolment:
    """Share (or stop sharing) the network's partnership inventory with the other networks of its edition."""
    enrolment.share_inventory = shared
    enrolment.full_clean()
    enrolment.save(update_fields=["share_inventory"])
    return enrolment


def participant_set_directory_listing(*, participant: Participant, listed: bool) -> Participant:
    """Show (or hide) the person in the edition's directory."""
    participant.listed_in_directory = listed
    participant.full_clean()
    participant.save(update_fields=["listed_in_directory"])
    return participant
