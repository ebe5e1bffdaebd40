"""The answers and attendance of a session as a CSV file (French Excel), for its coordinators.

One row per participant the session expects (:func:`sessions.selectors.expected_participants`)
and per other participant of the edition with a registration (an account deactivated since,
a network no longer in accord), by network and name. Whoever is expected and has neither
confirmed nor declined reads « sans réponse »: the same people as the cockpit and the
admin's filter.

UTF-8 with a byte order mark and « ; » as delimiter; a cell a spreadsheet would run as a
formula is prefixed with an apostrophe. Two queries: the participants, the registrations.
"""

import csv
import io

from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from networks.models import Participant
from sessions import selectors
from sessions.models import Registration

BOM = "\ufeff"
DELIMITER = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATETIME_FORMAT = "%Y-%m-%d %H:%M"


def rsvp_label(registration, *, expected):
    """The answer as the export and the cockpit name it: « sans réponse » for an expected participant who has not answered."""
    if registration is not None and registration.rsvp in selectors.ANSWERED:
        return registration.get_rsvp_display()
    if expected:
        return str(selectors.NO_ANSWER)
    return registration.get_rsvp_display() if registration is not None else ""


def header():
    return [
        _("Réseau"),
        _("Nom"),
        _("Prénom"),
        _("E-mail"),
        _("Réponse"),
        _("Répondu le"),
        _("Commentaire"),
        _("Présence"),
    ]


def rows(session):
    """The export's rows (after the header), as plain values."""
    expected = selectors.expected_participants(session.programme_id).filter(pk=OuterRef("pk"))
    registered = Registration.objects.filter(session=session, participant=OuterRef("pk"))
    participants = (
        Participant.objects.filter(programme_id=session.programme_id)
        .annotate(is_expected=Exists(expected))
        .filter(Q(is_expected=True) | Exists(registered))
        .select_related("user", "enrolment__network")
        .order_by("enrolment__network__name", "user__last_name", "user__first_name", "pk")
    )
    registrations = {r.participant_id: r for r in Registration.objects.filter(session=session)}
    for participant in participants:
        registration = registrations.get(participant.pk)
        user = participant.user
        responded_at = registration.responded_at if registration else None
        yield [
            participant.enrolment.network.name,
            user.last_name,
            user.first_name,
            user.email,
            rsvp_label(registration, expected=participant.is_expected),
            timezone.localtime(responded_at).strftime(DATETIME_FORMAT) if responded_at else "",
            registration.rsvp_comment if registration else "",
            registration.get_attendance_display() if registration and registration.attendance else "",
        ]


def _safe(value):
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_response(session):
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=DELIMITER)
    writer.writerow(header())
    for row in rows(session):
        writer.writerow([_safe(value) for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = slugify(f"{session.programme.slug}-{session.code}-reponses") or "reponses"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
