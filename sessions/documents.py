"""The sessions' documents, registered with the core's pipeline (alliances.documents).

* « Feuille d'émargement » (``attendance_sheet``) of a session: every participant expected
  (the edition's networks in accord), their network, their answer to the invitation, and a
  column to sign; a few blank lines for people who come unannounced.
* « Attestation de participation » (``attendance_certificate``) of a participant: the sessions
  they were marked present at, with dates and duration.

Both carry personal data: coordinators only (not committee-visible). Registered from
``SessionsConfig.ready()``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliances.documents import DocumentError, DocumentKind, DocumentParameter, register
from alliances.models import Programme, Report, normalise_email
from networks.models import Enrolment, Participant
from sessions.attendance import session_participants
from sessions.models import Registration, Session

ATTENDANCE_SHEET = "attendance_sheet"
ATTENDANCE_CERTIFICATE = "attendance_certificate"
BLANK_LINES = 4


# --- Parameters --------------------------------------------------------------------------------


def _clean_session(programme: Programme, raw: Any) -> int:
    """A session number (« 3 ») or code (« S3 ») of the edition → its number."""
    value = str(raw).strip()
    sessions = Session.objects.filter(programme=programme)
    session = sessions.filter(number=int(value)).first() if value.isdigit() else None
    if session is None:
        session = sessions.filter(code__iexact=value).first()
    if session is None:
        raise ValidationError(_("Cette édition n'a pas de session « %(value)s ».") % {"value": value}, code="invalid")
    return session.number


def _describe_session(programme: Programme, number: int) -> str:
    session = Session.objects.filter(programme=programme, number=number).first()
    return str(session) if session else ""


def _session_choices(programme: Programme) -> list[tuple[str, str]]:
    return [(str(s.number), str(s)) for s in Session.objects.filter(programme=programme).order_by("number")]


def _participant_queryset(programme: Programme) -> QuerySet[Participant]:
    return Participant.objects.filter(enrolment__programme=programme, enrolment__status=Enrolment.Status.AGREED)


def _clean_participant(programme: Programme, raw: Any) -> int:
    """An e-mail address of a participant of the edition → the participant's id."""
    email = str(raw).strip()
    participant = _participant_queryset(programme).filter(user__email=normalise_email(email)).first()
    if participant is None:
        raise ValidationError(
            _("Aucun participant de cette édition n'a l'adresse « %(email)s ».") % {"email": email}, code="invalid"
        )
    if not Registration.objects.filter(participant=participant, attendance=Registration.Attendance.PRESENT).exists():
        raise ValidationError(
            _("%(name)s n'a été noté(e) présent(e) à aucune session : pas d'attestation possible.")
            % {"name": participant},
            code="no_attendance",
        )
    return participant.pk


def _describe_participant(programme: Programme, pk: int) -> str:
    participant = Participant.objects.filter(pk=pk).select_related("user").first()
    return str(participant) if participant else ""


SESSION = DocumentParameter(
    name="session",
    label=gettext_lazy("session"),
    clean=_clean_session,
    describe=_describe_session,
    choices=_session_choices,
    help_text=gettext_lazy("Numéro (3) ou code (S3) de la session."),
)
PARTICIPANT = DocumentParameter(
    name="participant",
    label=gettext_lazy("participant"),
    clean=_clean_participant,
    describe=_describe_participant,
    help_text=gettext_lazy("Adresse e-mail du participant."),
)


# --- Builders ------------------------------------------------------------------------------------


def build_attendance_sheet(
    programme: Programme, parameters: dict[str, Any], report: Report | None = None
) -> dict[str, Any]:
    number = parameters.get("session")
    session = (
        Session.objects.filter(programme=programme, number=number).select_related("inspiring_meeting").first()
        if number is not None
        else None
    )
    if session is None:
        raise DocumentError(_("La session de cette feuille d'émargement n'existe plus."))
    participants = list(session_participants(session))
    answers = dict(Registration.objects.filter(session=session).order_by().values_list("participant_id", "rsvp"))
    labels = dict(Registration.Rsvp.choices)
    rows = [
        {
            "participant": participant,
            "network": participant.enrolment.network,
            "rsvp": labels.get(answers[participant.pk], "—") if participant.pk in answers else _("non invité"),
        }
        for participant in participants
    ]
    try:
        inspiring = session.inspiring_meeting
    except Session.inspiring_meeting.RelatedObjectDoesNotExist:
        inspiring = None
    return {
        "document_title": _("Feuille d'émargement — %(code)s") % {"code": session.code},
        "session": session,
        "inspiring": inspiring,
        "rows": rows,
        "networks": len({row["network"].pk for row in rows}),
        "blank_lines": range(BLANK_LINES),
    }


def build_attendance_certificate(
    programme: Programme, parameters: dict[str, Any], report: Report | None = None
) -> dict[str, Any]:
    participant_id = parameters.get("participant")
    participant = (
        _participant_queryset(programme).filter(pk=participant_id).select_related("user", "enrolment__network").first()
        if participant_id is not None
        else None
    )
    if participant is None:
        raise DocumentError(_("Le participant de cette attestation ne fait plus partie de l'édition."))
    registrations = list(
        Registration.objects.filter(participant=participant, attendance=Registration.Attendance.PRESENT)
        .select_related("session")
        .order_by("session__number")
    )
    if not registrations:
        raise DocumentError(
            _("%(name)s n'a été noté(e) présent(e) à aucune session : pas d'attestation possible.")
            % {"name": participant}
        )
    sessions = [r.session for r in registrations]
    seconds = sum(
        (s.ends_at - s.starts_at).total_seconds() for s in sessions if s.starts_at is not None and s.ends_at is not None
    )
    total_sessions = Session.objects.filter(programme=programme).count()
    return {
        "document_title": _("Attestation de participation"),
        "participant": participant,
        "network": participant.enrolment.network,
        "sessions": sessions,
        "total_sessions": total_sessions,
        "hours": round(seconds / 3600, 1) if seconds else None,
    }


def register_documents() -> None:
    register(
        DocumentKind(
            code=ATTENDANCE_SHEET,
            label=gettext_lazy("Feuille d'émargement"),
            template_name="documents/attendance_sheet.html",
            build_context=build_attendance_sheet,
            committee_visible=False,
            parameters=(SESSION,),
            description=gettext_lazy("Participants attendus d'une session, leur réseau et une colonne de signature."),
        )
    )
    register(
        DocumentKind(
            code=ATTENDANCE_CERTIFICATE,
            label=gettext_lazy("Attestation de participation"),
            template_name="documents/attendance_certificate.html",
            build_context=build_attendance_certificate,
            committee_visible=False,
            parameters=(PARTICIPANT,),
            description=gettext_lazy("Sessions auxquelles un participant a été présent."),
        )
    )
