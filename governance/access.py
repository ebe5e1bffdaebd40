"""Who may use the committee area (/comite/), and which committees they see.

A person sees the committees they sit on (a ``CommitteeMember`` linked to their
account), in every edition; the coordinators of an edition see its committees
too (superusers: all). The rules the tests hold every committee page to:

- logged out → redirect to the login page;
- logged in, sitting on no committee and coordinating no edition (a participant,
  say) → 403;
- a committee, meeting or document of a committee the person may not see → 404
  (no leak: the page does not say that it exists).

Other apps (the findings page of evaluation) reuse :func:`committee_area_required`
and :class:`CommitteeViewer`; governance itself imports neither sessions nor networks.
"""

from functools import cached_property, wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from alliances.models import Programme
from governance.models import Committee, CommitteeMember


class CommitteeViewer:
    """What one user may see of the committees: computed once per request (two small queries)."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def is_superuser(self):
        return self.user.is_active and self.user.is_superuser

    @cached_property
    def seat_committee_ids(self) -> frozenset:
        """The committees the user sits on."""
        return frozenset(
            CommitteeMember.objects.filter(user=self.user).order_by().values_list("committee_id", flat=True)
        )

    @cached_property
    def coordinated_programme_ids(self) -> frozenset:
        """The editions the user coordinates (empty for a superuser, who sees everything anyway)."""
        if self.is_superuser:
            return frozenset()
        return frozenset(self.user.coordinated_programmes().order_by().values_list("pk", flat=True))

    @property
    def may_enter(self) -> bool:
        """May use the committee area at all: sits somewhere, or coordinates an edition."""
        return bool(self.is_superuser or self.seat_committee_ids or self.coordinated_programme_ids)

    def committees(self):
        """The committees this user may see, in every edition."""
        if self.is_superuser:
            return Committee.objects.all()
        return Committee.objects.filter(
            Q(pk__in=sorted(self.seat_committee_ids)) | Q(programme_id__in=sorted(self.coordinated_programme_ids))
        )

    def programmes(self):
        """The editions of which the user sees committees (sits on one, or coordinates the edition)."""
        if self.is_superuser:
            return Programme.objects.all()
        seat_programmes = Committee.objects.filter(pk__in=sorted(self.seat_committee_ids)).values("programme_id")
        return Programme.objects.filter(Q(pk__in=seat_programmes) | Q(pk__in=sorted(self.coordinated_programme_ids)))

    def sits_on(self, committee_id) -> bool:
        return committee_id in self.seat_committee_ids

    def may_view_committee(self, committee_id, programme_id) -> bool:
        """Without a query: the ids are those of the committee and of its edition."""
        return (
            self.is_superuser
            or committee_id in self.seat_committee_ids
            or programme_id in self.coordinated_programme_ids
        )

    def get_committee(self, pk):
        """A committee the user may see, with its edition, else 404."""
        committee = self.committees().filter(pk=pk).select_related("programme").first()
        if committee is None:
            raise Http404
        return committee


def committee_area_required(view):
    """Resolve ``request.committee_viewer`` or refuse: login redirect when anonymous, 403 without any seat."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        viewer = CommitteeViewer(request.user)
        if not request.user.is_active or not viewer.may_enter:
            raise PermissionDenied
        request.committee_viewer = viewer
        return view(request, *args, **kwargs)

    return wrapper
