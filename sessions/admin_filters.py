"""The admin's « sans réponse » filter: the participants who have not answered for a session.

A registration exists only once someone answers (or is marked present), so the
registrations' « réponse » filter cannot list who has not answered. This filter, added to
the participants' changelist (:func:`networks.admin.register_participant_filter`), lists
:func:`sessions.selectors.non_respondents` of one upcoming session of the coordinator's
editions: the same people as the cockpit and the answers' export.
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliances.admin_scoping import scope_to_programmes
from networks.admin import register_participant_filter
from sessions import selectors
from sessions.models import Session

#: The filter's GET parameter (the cockpit links to ``?sans_reponse=<session pk>``).
NO_ANSWER_PARAMETER = "sans_reponse"


@register_participant_filter
class NoAnswerForSessionFilter(admin.SimpleListFilter):
    title = _("absence de réponse à la session")  # « Par absence de réponse à la session »
    parameter_name = NO_ANSWER_PARAMETER

    def _sessions(self, request):
        sessions = selectors.upcoming_sessions(timezone.now()).select_related("programme")
        return scope_to_programmes(request, sessions, "programme")

    def lookups(self, request, model_admin):
        return [(str(session.pk), f"{session.code} — {session.programme.name}") for session in self._sessions(request)]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        session = None
        if value.isdigit() and int(value) < 2**31:
            # The choices are the upcoming sessions; a past one given in the URL (the registrations'
            # list links here) lists those who never answered it.
            sessions = scope_to_programmes(request, Session.objects.all(), "programme")
            session = sessions.filter(pk=int(value)).first()
        if session is None:
            # Not a number, another edition's session: the admin's « wrong filter », no 500.
            raise IncorrectLookupParameters(value)
        return queryset.filter(pk__in=selectors.non_respondents(session).values("pk"))
