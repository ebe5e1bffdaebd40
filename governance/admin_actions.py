"""Admin tools of committee members: the « Inviter par e-mail » action.

Wire it on the CommitteeMember admin (``governance/admin.py``)::

    from governance.admin_actions import invite_committee_members

    class CommitteeMemberAdmin(ProgrammeScopedAdmin):
        actions = [invite_committee_members]

Only members with a linked account can be invited; the others are skipped and
the message says how many. Coordinators invite members of the committees of the
editions they coordinate (superusers: all).
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy, ngettext

from alliances.invitations import users_invite


@admin.action(description=gettext_lazy("Inviter par e-mail"))
def invite_committee_members(modeladmin, request, queryset):
    """Email an invitation to the selected members who have a linked account."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        raise PermissionDenied
    allowed = None if user.is_superuser else set(user.coordinated_programmes().values_list("pk", flat=True))
    invitations, refused, without_account = [], 0, 0
    for member in queryset.select_related("user", "committee__programme").order_by("pk"):
        if allowed is not None and member.committee.programme_id not in allowed:
            refused += 1
        elif member.user is None:
            without_account += 1
        else:
            invitations.append((member.user, member.committee.programme))
    batch = users_invite(invitations=invitations, invited_by=user, request=request)
    skipped = [
        (
            without_account,
            ngettext(
                "%(count)d membre sans compte lié n'a pas été invité : liez-lui d'abord un compte.",
                "%(count)d membres sans compte lié n'ont pas été invités : liez-leur d'abord un compte.",
                without_account,
            ),
        ),
        (
            refused,
            ngettext(
                "%(count)d membre d'un comité d'une édition que vous ne coordonnez pas n'a pas été invité.",
                "%(count)d membres de comités d'éditions que vous ne coordonnez pas n'ont pas été invités.",
                refused,
            ),
        ),
    ]
    batch.report(modeladmin, request, skipped=skipped)
