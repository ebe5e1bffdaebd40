"""What the documents need from governance: who sits on which committee, to read its edition's documents.

The document kinds built for the committees (evaluation's dashboard, evaluation report and
meeting pack) declare :func:`committee_readers` as their ``readers``: the core's document views
ask it instead of knowing what a committee is. :class:`CommitteeSeats` serves the pages that list
what a member reads (the dashboard page), one query per request.
"""

from __future__ import annotations

from alliances.documents import committee_may_read
from alliances.models import Report, User
from governance.models import CommitteeMember


def committee_readers(user: User, report: Report) -> bool:
    """Whether ``user`` reads ``report`` as a committee member (one query).

    A seat with their account on one of the committees of the report's edition: every
    edition-wide committee document; one that belongs to a committee (a meeting pack), only
    for that committee's members.
    """
    if not user.is_active:
        return False
    committees = set(
        CommitteeMember.objects.filter(user=user, committee__programme_id=report.programme_id)
        .order_by()
        .values_list("committee__kind", flat=True)
    )
    return bool(committees) and committee_may_read(report, committees)


class CommitteeSeats:
    """The committees one user sits on, by edition: one query, the first time it is asked."""

    def __init__(self, user: User) -> None:
        self.user = user
        self._seats: dict[int, frozenset[str]] | None = None

    def by_edition(self) -> dict[int, frozenset[str]]:
        """{edition id: the codes (kinds) of the committees the user sits on in it}."""
        if self._seats is None:
            seats: dict[int, set[str]] = {}
            if self.user.is_active:
                rows = CommitteeMember.objects.filter(user=self.user).order_by()
                for programme_id, committee in rows.values_list("committee__programme_id", "committee__kind"):
                    seats.setdefault(programme_id, set()).add(committee)
            self._seats = {programme_id: frozenset(codes) for programme_id, codes in seats.items()}
        return self._seats

    def any(self) -> bool:
        return bool(self.by_edition())

    def sits_in(self, programme_id: int) -> bool:
        return programme_id in self.by_edition()

    def committees_in(self, programme_id: int) -> frozenset[str]:
        return self.by_edition().get(programme_id, frozenset())
