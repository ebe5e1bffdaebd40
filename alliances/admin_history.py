"""Change history (django-simple-history) in the admin, within the coordinator's scope.

``SimpleHistoryAdmin`` alone would show the history of an object a coordinator
cannot reach: when the object is missing from ``get_queryset`` it falls back to
the last historical row, and its version page reads the historical table
directly. Here both pages first require the object to be in the admin's scoped
queryset (otherwise the admin's "does not exist" redirect, as for the change page), and only superusers may
revert an object to an earlier version: coordinators read the history.
"""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from simple_history.admin import SimpleHistoryAdmin

from alliances.admin_scoping import ProgrammeScopedAdminMixin, is_superuser


class ScopedHistoryMixin:
    """History pages only for objects of the editions the user coordinates."""

    def _out_of_scope(self, request, object_id):
        """Django's "does not exist" redirect for an object the user cannot reach, else None."""
        if is_superuser(request):
            return None
        try:
            reachable = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            reachable = False
        if reachable:
            return None
        return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)

    def history_view(self, request, object_id, extra_context=None):
        return self._out_of_scope(request, object_id) or super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        refused = self._out_of_scope(request, object_id)
        if refused:
            return refused
        if request.method == "POST" and not is_superuser(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return not is_superuser(request) or super().revert_disabled(request, obj)


class ProgrammeScopedHistoryAdmin(ScopedHistoryMixin, ProgrammeScopedAdminMixin, SimpleHistoryAdmin):
    """A ``ProgrammeScopedAdmin`` whose objects keep a history of their changes."""
