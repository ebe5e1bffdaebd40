"""The governance's part of a person's data (RGPD): their committee seats, attendance, decisions owned."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from alliances.models import User
from alliances.privacy import Anonymisation, PrivacyContributor, export_choice, export_day, privacy_registry
from governance.models import CommitteeMember, Decision, MeetingAttendance


@privacy_registry.register
class GovernancePrivacy(PrivacyContributor):
    key = "governance"
    order = 30
    models = ("governance.CommitteeMember", "governance.MeetingAttendance", "governance.Decision")
    # A seat may be a person's (its person_name, its account): what links to it is about them.
    person_models = ("governance.CommitteeMember",)
    exempt = {"governance.Organisation": "its full_name is the organisation's expanded name, not a person's"}
    positions = {"committee_seats": 70, "meeting_attendance": 110}

    def export(self, user: User) -> dict[str, Any]:
        seats = CommitteeMember.objects.filter(user=user).select_related("committee__programme", "organisation")
        attendances = MeetingAttendance.objects.filter(member__user=user).select_related(
            "meeting__committee__programme", "member__organisation"
        )
        return {
            "committee_seats": [
                {
                    "edition": s.committee.programme.name,
                    "committee": s.committee.name,
                    **export_choice(s.committee, "kind", "committee_kind"),
                    "organisation": s.organisation.name if s.organisation is not None else None,
                    "person_name": s.person_name,
                    "role": s.role,
                }
                for s in seats
            ],
            "meeting_attendance": [
                {
                    "edition": a.meeting.committee.programme.name,
                    "committee": a.meeting.committee.name,
                    "meeting": a.meeting.title,
                    "held_on": export_day(a.meeting.held_on),
                    "seat": str(a.member),
                    **export_choice(a, "status"),
                }
                for a in attendances
            ],
        }

    def anonymise(self, anonymisation: Anonymisation) -> list[Model | QuerySet[Any]]:
        """Seats unlinked from the account (a seat's person is this person: their name goes); attendance kept."""
        seats = list(CommitteeMember.objects.filter(user=anonymisation.user))
        for seat in seats:
            seat.user = None
            seat.person_name = "" if seat.organisation_id else _("Membre anonymisé")
            seat.save(update_fields=["user", "person_name"])
        full_name = anonymisation.full_name
        if full_name:
            decisions = Decision.objects.filter(owner__iexact=full_name)
            decision_ids = list(decisions.values_list("pk", flat=True))
            decisions.update(owner="")
            # The change history of those rows, scrubbed of the same field.
            Decision.history.filter(Q(id__in=decision_ids) | Q(owner__iexact=full_name)).update(owner="")
        return [CommitteeMember.objects.filter(pk__in=[s.pk for s in seats]).select_related("organisation")]

    def editions(self, user: User) -> Q | None:
        return Q(committees__members__user=user)
