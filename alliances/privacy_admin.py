"""The users' admin action that anonymises people (RGPD), and who may use it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from alliances.access import AuthenticatedHttpRequest
from alliances.admin_scoping import coordinated_programme_ids, is_superuser
from alliances.models import User
from alliances.privacy import editions_of, is_anonymised, user_anonymise


def can_anonymise(request: AuthenticatedHttpRequest, user: User) -> bool:
    """Superusers, and the coordinators of one of the person's editions (never for staff).

    Anonymising closes the account in every edition: when the person also takes part in an
    edition this coordinator does not coordinate, only the person's own deletion request lets
    them act (as they may not change that person's address or password either).
    """
    if user.pk == request.user.pk:
        return False
    if is_superuser(request):
        return True
    if user.is_staff or user.is_superuser:
        return False
    ids = sorted(coordinated_programme_ids(request))
    editions = editions_of(user)
    if not ids or not editions.filter(pk__in=ids).exists():
        return False
    return user.deletion_requested_at is not None or not editions.exclude(pk__in=ids).exists()


@admin.action(description=gettext_lazy("Anonymiser (suite à une demande de suppression)"), permissions=["change"])
def anonymise_users(
    modeladmin: admin.ModelAdmin[Any], request: AuthenticatedHttpRequest, queryset: QuerySet[User]
) -> HttpResponse | None:
    """Admin action of the users' admin: a confirmation page, then the anonymisation."""
    targets = [user for user in queryset.order_by("pk") if not is_anonymised(user) and can_anonymise(request, user)]
    refused = queryset.count() - len(targets)
    if request.POST.get("confirm") == "yes":
        for user in targets:
            user_anonymise(user=user, by=request.user)
        if targets:
            modeladmin.message_user(
                request,
                ngettext("%(count)d personne anonymisée.", "%(count)d personnes anonymisées.", len(targets))
                % {"count": len(targets)},
                messages.SUCCESS,
            )
        if refused:
            modeladmin.message_user(
                request,
                ngettext(
                    "%(count)d personne non anonymisée (déjà anonymisée ou hors de vos éditions).",
                    "%(count)d personnes non anonymisées (déjà anonymisées ou hors de vos éditions).",
                    refused,
                )
                % {"count": refused},
                messages.WARNING,
            )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Anonymiser des personnes"),
        "opts": modeladmin.model._meta,
        "targets": targets,
        "refused": refused,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "selected_ids": [str(pk) for pk in queryset.values_list("pk", flat=True)],
    }
    return render(request, "privacy/anonymise_confirm.html", context)
