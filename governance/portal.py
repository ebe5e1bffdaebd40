"""Where « / » leads a committee member: the committee area (they have no participation to open)."""

from django.http import HttpRequest

from alliances.portal import landings


@landings.register
class CommitteeLanding:
    key = "committee"
    order = 30

    def destination(self, request: HttpRequest) -> str | None:
        user = request.user  # the landing asks only once the person is logged in
        return "committee:index" if user.is_authenticated and user.committee_seats.exists() else None
