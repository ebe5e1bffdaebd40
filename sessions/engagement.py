"""Each agreed network's engagement in an edition, and the rules that make it « à suivre ».

A network is « à suivre » (to be followed up) when at least one of these rules holds,
each shown to the coordinator as a French sentence (DESIGN §7):

(a) nobody of the network was present at the last two past sessions whose attendance was
    taken (:data:`ABSENT_SESSIONS_IN_A_ROW`);
(b) during the realisation phase (phase number :data:`REALISATION_PHASE_NUMBER`, the phase
    whose dates contain today), no follow-up nor field visit for
    :data:`NO_CONTACT_DAYS` days, counted from the last one or from the phase's start;
(c) nobody of the network has answered for a session that starts within
    :data:`SILENT_BEFORE_SESSION_DAYS` days;
(d) :data:`LATE_ACTIONS_THRESHOLD` or more roadmap actions are late (open and past due).

A past session whose attendance nobody recorded counts neither as presence nor as
absence: a coordinator who has not yet typed the attendance sheet does not make every
network « absent ».

:func:`network_engagement` costs four queries whatever the number of networks, sessions and
participants: the sessions, the phases, the enrolments (each figure a subquery), the
registrations grouped by network and session, and nothing per row.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alliances.models import Phase, Programme
from networks.models import Enrolment, Participant, Partnership, RoadmapAction
from networks.selectors import OPEN_ACTION_STATUSES
from sessions.models import FieldVisit, FollowUp, Registration, Session
from sessions.selectors import ANSWERED

#: Rule (a): absent (nobody present) from this many past sessions in a row.
ABSENT_SESSIONS_IN_A_ROW = 2
#: Rule (b): the edition's phase during which networks are followed individually.
REALISATION_PHASE_NUMBER = 2
#: Rule (b): days without a follow-up or a field visit (six weeks).
NO_CONTACT_DAYS = 42
#: Rule (c): a session starting within this many days must have an answer from the network.
SILENT_BEFORE_SESSION_DAYS = 7
#: Rule (d): this many late roadmap actions.
LATE_ACTIONS_THRESHOLD = 2


def rules():
    """The four rules as the cockpit states them, in French."""
    return [
        ngettext(
            "Personne du réseau n'était présent à la dernière session dont les présences ont été notées.",
            "Personne du réseau n'était présent aux %(count)d dernières sessions dont les présences ont été notées.",
            ABSENT_SESSIONS_IN_A_ROW,
        )
        % {"count": ABSENT_SESSIONS_IN_A_ROW},
        _("En phase %(number)d, aucun suivi ni visite depuis %(days)d jours.")
        % {"number": REALISATION_PHASE_NUMBER, "days": NO_CONTACT_DAYS},
        _("Personne du réseau n'a répondu pour une session qui commence dans %(days)d jours ou moins.")
        % {"days": SILENT_BEFORE_SESSION_DAYS},
        ngettext(
            "%(count)d action de la feuille de route en retard ou plus.",
            "%(count)d actions de la feuille de route en retard ou plus.",
            LATE_ACTIONS_THRESHOLD,
        )
        % {"count": LATE_ACTIONS_THRESHOLD},
    ]


@dataclass(frozen=True)
class Reason:
    rule: str  # "absent", "no_contact", "silent", "late_actions"
    text: str


@dataclass
class NetworkEngagement:
    enrolment: Enrolment
    participants: int
    present: int  # past sessions: registrations marked present
    recorded: int  # past sessions: registrations with attendance recorded
    absences_in_a_row: int
    answers_pending: int
    inventory_updated_at: dt.datetime | None
    roadmap_updated_at: dt.datetime | None
    late_actions: int
    last_follow_up: dt.date | None
    last_visit: dt.date | None
    reasons: list[Reason] = field(default_factory=list)
    follow_up_url: str = ""  # the cockpit's prefilled follow-up form, for a network « à suivre »

    @property
    def network(self):
        return self.enrolment.network

    @property
    def attendance_rate(self):
        """Percentage of present among recorded attendances of past sessions, or None."""
        return round(100 * self.present / self.recorded) if self.recorded else None

    @property
    def last_contact(self):
        dates = [d for d in (self.last_follow_up, self.last_visit) if d is not None]
        return max(dates) if dates else None

    @property
    def to_follow(self):
        return bool(self.reasons)

    @property
    def follow_up_notes(self):
        """The notes a follow-up planned from the cockpit starts with: why the network is « à suivre »."""
        return _("À suivre : %(reasons)s") % {"reasons": " ".join(reason.text for reason in self.reasons)}


def realisation_phase(phases, today):
    """The realisation phase if it is running today, else None."""
    for phase in phases:
        if phase.number == REALISATION_PHASE_NUMBER and phase.starts_on <= today <= phase.ends_on:
            return phase
    return None


def _latest(queryset, column):
    return Subquery(queryset.order_by(f"-{column}").values(column)[:1])


def _count(queryset, group_by):
    return Coalesce(
        Subquery(queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")[:1]),
        0,
        output_field=IntegerField(),
    )


def _enrolments(programme, today):
    """The agreed enrolments with every figure of the panel as a subquery: one query."""
    enrolment = OuterRef("pk")
    roadmap_history = RoadmapAction.history.model.objects.filter(roadmap__enrolment=enrolment)
    return list(
        Enrolment.objects.pilots()
        .filter(programme=programme)
        .select_related("network", "roadmap")
        .annotate(
            num_participants=_count(Participant.objects.filter(enrolment=enrolment, user__is_active=True), "enrolment"),
            inventory_updated_at=_latest(Partnership.objects.filter(enrolment=enrolment), "updated_at"),
            actions_changed_at=_latest(roadmap_history, "history_date"),
            late_actions=_count(
                RoadmapAction.objects.filter(
                    roadmap__enrolment=enrolment, due_on__lt=today, status__in=OPEN_ACTION_STATUSES
                ),
                "roadmap",
            ),
            last_follow_up=_latest(FollowUp.objects.filter(enrolment=enrolment), "held_on"),
            last_visit=_latest(FieldVisit.objects.filter(enrolment=enrolment), "visited_on"),
        )
        .order_by("network__name")
    )


def _registration_figures(programme):
    """``{(enrolment_id, session_id): {"present", "recorded", "answered"}}``: one query."""
    rows = (
        Registration.objects.filter(
            session__programme=programme,
            participant__enrolment__programme=programme,
            participant__enrolment__status=Enrolment.Status.AGREED,
        )
        .values("participant__enrolment_id", "session_id")
        .annotate(
            present=Count("pk", filter=Q(attendance=Registration.Attendance.PRESENT)),
            recorded=Count("pk", filter=~Q(attendance="")),
            # As sessions.selectors: only the answers of the expected (active) participants count.
            answered=Count("pk", filter=Q(rsvp__in=ANSWERED, participant__user__is_active=True)),
        )
        .order_by()
    )
    return {(row.pop("participant__enrolment_id"), row.pop("session_id")): row for row in rows}


def _over_at(session):
    return session.ends_at or session.starts_at


@dataclass(frozen=True)
class _SessionGroups:
    """An edition's sessions as the rules read them, at ``now``."""

    past: list  # over, latest first
    past_taken: list  # over and with attendance taken, latest first
    upcoming: list  # not over yet
    soon: list  # starting within SILENT_BEFORE_SESSION_DAYS days


def _session_groups(sessions, figures, now):
    past = sorted(
        (s for s in sessions if _over_at(s) is not None and _over_at(s) <= now),
        key=lambda s: (_over_at(s), s.number),
        reverse=True,
    )
    taken = {session_id for (_e, session_id), row in figures.items() if row["recorded"]}
    upcoming = [s for s in sessions if _over_at(s) is None or _over_at(s) > now]
    horizon = now + dt.timedelta(days=SILENT_BEFORE_SESSION_DAYS)
    return _SessionGroups(
        past=past,
        past_taken=[s for s in past if s.pk in taken],
        upcoming=upcoming,
        soon=[s for s in upcoming if s.starts_at is not None and now < s.starts_at <= horizon],
    )


_NO_REGISTRATION = {"present": 0, "recorded": 0, "answered": 0}


def _engagement(enrolment, figures, groups):
    """One enrolment's figures (no reasons yet), read from the annotations and the registrations' figures."""

    def row(session):
        return figures.get((enrolment.pk, session.pk), _NO_REGISTRATION)

    absences = 0
    for session in groups.past_taken:
        if row(session)["present"]:
            break
        absences += 1
    roadmap = getattr(enrolment, "roadmap", None)
    roadmap_dates = [d for d in (roadmap.updated_at if roadmap else None, enrolment.actions_changed_at) if d]
    return NetworkEngagement(
        enrolment=enrolment,
        participants=enrolment.num_participants,
        present=sum(row(s)["present"] for s in groups.past),
        recorded=sum(row(s)["recorded"] for s in groups.past),
        absences_in_a_row=absences,
        answers_pending=sum(max(0, enrolment.num_participants - row(s)["answered"]) for s in groups.upcoming),
        inventory_updated_at=enrolment.inventory_updated_at,
        roadmap_updated_at=max(roadmap_dates) if roadmap_dates else None,
        late_actions=enrolment.late_actions,
        last_follow_up=enrolment.last_follow_up,
        last_visit=enrolment.last_visit,
    )


def network_engagement(programme: Programme, *, today: dt.date, now: dt.datetime) -> list[NetworkEngagement]:
    """Every agreed network of ``programme`` with its figures and reasons, « à suivre » first."""
    sessions = list(Session.objects.filter(programme=programme).order_by("number"))
    phases = list(Phase.objects.filter(programme=programme).order_by("number"))
    enrolments = _enrolments(programme, today)
    figures = _registration_figures(programme)
    groups = _session_groups(sessions, figures, now)
    phase = realisation_phase(phases, today)

    result = []
    for enrolment in enrolments:
        item = _engagement(enrolment, figures, groups)
        unanswered = [s for s in groups.soon if not figures.get((enrolment.pk, s.pk), _NO_REGISTRATION)["answered"]]
        item.reasons = reasons(item, past_taken=groups.past_taken, soon=unanswered, phase=phase, today=today)
        result.append(item)
    result.sort(key=lambda item: not item.to_follow)  # stable: by network name within each group
    return result


def reasons(item, *, past_taken, soon, phase, today):
    """The rules ``item`` meets, as French sentences.

    ``past_taken``: past sessions whose attendance was taken, latest first; ``soon``: the
    sessions starting within :data:`SILENT_BEFORE_SESSION_DAYS` days for which the network
    has no answer; ``phase``: the running realisation phase or None.
    """
    found = []
    if item.absences_in_a_row >= ABSENT_SESSIONS_IN_A_ROW:
        codes = ", ".join(s.code for s in past_taken[: item.absences_in_a_row])
        found.append(
            Reason(
                "absent",
                ngettext(
                    "Personne du réseau n'était présent à la dernière session (%(codes)s).",
                    "Personne du réseau n'était présent aux %(count)d dernières sessions (%(codes)s).",
                    item.absences_in_a_row,
                )
                % {"count": item.absences_in_a_row, "codes": codes},
            )
        )
    if phase is not None:
        last = item.last_contact
        since = max(last, phase.starts_on) if last else phase.starts_on
        days = (today - since).days
        if days >= NO_CONTACT_DAYS:
            if last and last >= phase.starts_on:
                text = _("Aucun suivi ni visite depuis le %(date)s (%(days)d jours), en phase de réalisation.")
            else:
                text = _(
                    "Aucun suivi ni visite depuis le début de la phase de réalisation, le %(date)s (%(days)d jours)."
                )
            found.append(Reason("no_contact", text % {"date": date_format(since), "days": days}))
    if item.participants:
        for session in soon:
            found.append(
                Reason(
                    "silent",
                    _("Personne n'a répondu pour %(code)s, le %(date)s.")
                    % {"code": session.code, "date": date_format(timezone.localtime(session.starts_at).date())},
                )
            )
    if item.late_actions >= LATE_ACTIONS_THRESHOLD:
        found.append(
            Reason(
                "late_actions",
                ngettext(
                    "%(count)d action de la feuille de route en retard.",
                    "%(count)d actions de la feuille de route en retard.",
                    item.late_actions,
                )
                % {"count": item.late_actions},
            )
        )
    return found
