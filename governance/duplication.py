"""Governance's part of « dupliquer l'édition » (see alliances/duplication.py).

Copied:

- committees and their seats: an organisation's seat keeps its organisation and role, without a
  linked account or representative's name; **a named person's seat becomes « À désigner »** with
  the same role (« consultante indépendante ») and « en cours de validation », so the committee
  keeps its shape and no person is carried over;
- committee meetings as **dated shells**: title, shifted date, time, place and agenda (a draft to
  adapt), **no minutes, no attendance, no decisions**. No seat has an account, so no meeting
  reminder goes out, whatever the shifted date.

Left out: minutes, attendance and decisions.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliances.duplication import DuplicationContext, DuplicationContribution, clean_copies, duplications
from alliances.models import Programme
from governance.models import Committee, CommitteeMember, Meeting


def _seat(member: CommitteeMember, committee: Committee, to_designate: str) -> CommitteeMember:
    if member.organisation_id:
        # The organisation keeps its seat; who represents it is decided again.
        return CommitteeMember(
            committee=committee,
            organisation_id=member.organisation_id,
            role=member.role,
            pending_validation=member.pending_validation,
        )
    # A seat held in one's own name: the seat stays, the person is not carried over.
    return CommitteeMember(committee=committee, person_name=to_designate, role=member.role, pending_validation=True)


def _meeting_shell(meeting: Meeting, committee: Committee, context: DuplicationContext) -> Meeting:
    return Meeting(
        committee=committee,
        title=meeting.title,
        held_on=context.shift_date(meeting.held_on),
        starts_at=meeting.starts_at,
        location=meeting.location,
        agenda=meeting.agenda,
        minutes="",
    )


@duplications.register
class GovernanceDuplication(DuplicationContribution):
    key = "governance"
    order = 20
    copied_note = gettext_lazy(
        "Les comités gardent leurs organisations et leurs qualités, sans compte ni représentant nommé ; un siège "
        "tenu à titre personnel devient « À désigner » (en cours de validation). Les réunions sont recopiées à "
        "leurs nouvelles dates avec leur ordre du jour, sans compte rendu, présences ni décisions."
    )
    left_out = (gettext_lazy("comptes rendus, présences et décisions des réunions"),)

    def summary(self, source: Programme) -> list[tuple[str, int]]:
        committees = Committee.objects.filter(programme=source)
        return [
            (_("comités"), committees.count()),
            (_("sièges de comité"), CommitteeMember.objects.filter(committee__in=committees).count()),
            (_("réunions de comité (sans compte rendu)"), Meeting.objects.filter(committee__in=committees).count()),
        ]

    def copy(self, context: DuplicationContext) -> None:
        committees = list(
            Committee.objects.filter(programme=context.source).prefetch_related("members", "meetings").order_by("kind")
        )
        copies = [
            Committee(programme=context.programme, kind=c.kind, name=c.name, mission=c.mission) for c in committees
        ]
        clean_copies(copies, exclude=["programme"])
        copies = Committee.objects.bulk_create(copies)
        context.record(Committee, committees, copies)

        to_designate = _("À désigner")
        seats: list[CommitteeMember] = []
        meetings: list[Meeting] = []
        for committee, copy in zip(committees, copies, strict=True):
            seats.extend(_seat(member, copy, to_designate) for member in committee.members.all())
            meetings.extend(_meeting_shell(meeting, copy, context) for meeting in committee.meetings.all())
        clean_copies(seats, exclude=["committee", "organisation"])
        CommitteeMember.objects.bulk_create(seats)
        clean_copies(meetings, exclude=["committee"])
        Meeting.objects.bulk_create(meetings)
