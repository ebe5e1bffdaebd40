"""Admin actions for the sessions app, kept apart from admin.py (wired into SessionAdmin separately).

Usage in sessions/admin.py: ``actions = [close_topic_vote]`` on the Session admin.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions.vote import topic_vote_close


@admin.action(description=gettext_lazy("Clore le vote du sujet et retenir le sujet gagnant"))
def close_topic_vote(modeladmin, request, queryset):
    """Close the topic vote of each selected session; one message per session (winner or reason for refusal)."""
    for session in queryset.order_by("programme_id", "number"):
        try:
            winner = topic_vote_close(session=session, closed_by=request.user)
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            modeladmin.message_user(request, f"{session.code} : {text}", level=messages.ERROR)
        else:
            modeladmin.message_user(
                request,
                _("%(code)s : vote clos, le sujet retenu est « %(title)s » (%(votes)s voix).")
                % {"code": session.code, "title": winner.title, "votes": winner.num_votes},
                level=messages.SUCCESS,
            )
