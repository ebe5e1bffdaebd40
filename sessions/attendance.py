"""Attendance at a collective session: recorded by a coordinator, read per participant and per network.

A network attended a session when at least one of its participants was present.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from networks.models import Enrolment, Participant
from sessions.models import Registration, Session

PRESENT = Registration.Attendance.PRESENT


def session_participants(session: Session):
    """Everyone expected at the session: the participants of the edition's agreed enrolments, by network."""
    return (
        Participant.objects.filter(
            enrolment__programme_id=session.programme_id, enrolment__status=Enrolment.Status.AGREED
        )
        .select_related("user", "enrolment__network")
        .order_by("enrolment__network__name", "user__last_name", "user__first_name", "pk")
    )


def attendance_marks(session: Session) -> dict[int, str]:
    """The recorded attendance of the session: participant id → mark ('' when not recorded)."""
    return dict(Registration.objects.filter(session=session).order_by().values_list("participant_id", "attendance"))


def attendance_record(*, session: Session, marks: dict[int, str], recorded_by) -> dict[str, int]:
    """Record the attendance of several participants at once (participant id → mark, '' to clear).

    Existing registrations are updated in one bulk query; participants of agreed enrolments
    without a registration get one (only when a mark is given). Returns the counts
    ``{"updated": n, "created": m}``.
    """
    if not recorded_by.coordinated_programmes().filter(pk=session.programme_id).exists():
        raise PermissionDenied(_("Vous ne coordonnez pas cette édition."))
    allowed_marks = {"", *Registration.Attendance.values}
    wrong = {value for value in marks.values() if value not in allowed_marks}
    if wrong:
        raise ValidationError(_("Présence inconnue : %(values)s.") % {"values": ", ".join(sorted(wrong))})

    with transaction.atomic():
        participants = {p.pk: p for p in session_participants(session).filter(pk__in=list(marks))}
        strangers = set(marks) - set(participants)
        if strangers:
            raise ValidationError(_("Certains participants ne font pas partie des réseaux de cette édition."))
        registrations = {
            r.participant_id: r
            for r in Registration.objects.select_for_update().filter(session=session, participant_id__in=list(marks))
        }
        to_update, to_create = [], []
        for participant_id, mark in marks.items():
            registration = registrations.get(participant_id)
            if registration is None:
                if not mark:
                    continue
                registration = Registration(session=session, participant=participants[participant_id], attendance=mark)
                to_create.append(registration)
            elif registration.attendance != mark:
                registration.attendance = mark
                # The related objects are already loaded: clean() costs no query.
                registration.session = session
                registration.participant = participants[participant_id]
                to_update.append(registration)
            else:
                continue
            # Validate the row without a query per participant: the related objects were checked
            # above (same edition, agreed network) and uniqueness is held by the database (and the upsert below).
            registration.full_clean(
                exclude=["session", "participant"], validate_unique=False, validate_constraints=False
            )
        if to_update:
            Registration.objects.bulk_update(to_update, ["attendance"])
        if to_create:
            # A participant answering the invitation at the same moment may create the row first:
            # then this becomes an update of the attendance.
            Registration.objects.bulk_create(
                to_create,
                update_conflicts=True,
                unique_fields=["session", "participant"],
                update_fields=["attendance"],
            )
    return {"updated": len(to_update), "created": len(to_create)}


@dataclass(frozen=True)
class NetworkAttendance:
    network: object
    participants: int
    present: int

    @property
    def is_present(self) -> bool:
        return self.present > 0


@dataclass(frozen=True)
class AttendanceTotals:
    networks: int
    networks_present: int
    participants: int
    present: int
    absent: int
    excused: int

    @property
    def not_recorded(self) -> int:
        return self.participants - self.present - self.absent - self.excused


def network_attendance(session: Session) -> list[NetworkAttendance]:
    """Per agreed network of the edition: its participants, how many were present (one query)."""
    enrolments = (
        Enrolment.objects.pilots()
        .filter(programme_id=session.programme_id)
        .select_related("network")
        .annotate(
            num_participants=Count("participants", distinct=True),
            num_present=Count(
                "participants__registrations",
                filter=Q(participants__registrations__session=session, participants__registrations__attendance=PRESENT),
                distinct=True,
            ),
        )
        .order_by("network__name")
    )
    return [NetworkAttendance(e.network, e.num_participants, e.num_present) for e in enrolments]


def attendance_totals(session: Session, per_network: list[NetworkAttendance] | None = None) -> AttendanceTotals:
    """Totals for the session: networks present, participants present / absent / excused."""
    if per_network is None:
        per_network = network_attendance(session)
    counts = (
        Registration.objects.filter(
            session=session,
            participant__enrolment__programme_id=session.programme_id,
            participant__enrolment__status=Enrolment.Status.AGREED,
        )
        .values("attendance")
        .annotate(n=Count("pk"))
    )
    by_mark = {row["attendance"]: row["n"] for row in counts}
    return AttendanceTotals(
        networks=len(per_network),
        networks_present=sum(1 for n in per_network if n.is_present),
        participants=sum(n.participants for n in per_network),
        present=by_mark.get(Registration.Attendance.PRESENT, 0),
        absent=by_mark.get(Registration.Attendance.ABSENT, 0),
        excused=by_mark.get(Registration.Attendance.EXCUSED, 0),
    )
