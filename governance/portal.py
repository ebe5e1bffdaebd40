"""Where « / » leads a committee member: the committee area (they have no participation to open)."""

from django.http import HttpRequest

from alliances.portal import landings


@landings.register
class CommitteeLanding:
    key = "committee"
    order = 30

    def destination(self, request: HttpRequest) -> str | None:
        return "committee:index" if request.user.committee_seats.exists() else None
