"""RGPD pages: the privacy notice, « télécharger mes données », the deletion request."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from alliances.access import AuthenticatedHttpRequest
from alliances.privacy import deletion_request_record, user_data_export


def privacy_policy(request: HttpRequest) -> HttpResponse:
    return render(
        request, "privacy/policy.html", {"login_records_retention_days": settings.LOGIN_RECORDS_RETENTION_DAYS}
    )


@login_required
def my_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    """« Télécharger mes données »: the person's own data as a JSON attachment."""
    payload = json.dumps(user_data_export(request.user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(payload, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mes-donnees-alliances.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def deletion_request(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A confirmation page; its POST records the request and tells the coordinators."""
    if request.method == "POST":
        deletion_request_record(request.user, request=request)
        messages.success(
            request,
            _(
                "Votre demande de suppression est enregistrée. L'équipe de coordination anonymisera "
                "vos données et fermera votre compte."
            ),
        )
        return redirect("accounts:profile")
    return render(request, "privacy/deletion_request.html")
