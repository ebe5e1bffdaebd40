"""Access to the coordinators' pages outside the admin (attendance, results, funnel, documents)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase

from alliances.models import Programme, User


class AuthenticatedHttpRequest(HttpRequest):
    """For type annotations only: the request of a view behind ``login_required``, whose user is an account.

    (django-stubs types ``request.user`` as the user model or ``AnonymousUser``; past the login check
    it is the former, which no decorator can tell the type checker.)
    """

    user: User


class CoordinatorHttpRequest(AuthenticatedHttpRequest):
    """For type annotations only: the request of a view behind :func:`coordinator_required`."""

    coordinated_programmes: QuerySet[Programme]


View = Callable[..., HttpResponseBase]


def coordinator_required(view: View) -> View:
    """Coordinator pages: login redirect when anonymous, 403 for anyone who coordinates no edition.

    Coordinating requires staff status, as the admin does (``User.coordinated_programmes``).

    Sets ``request.coordinated_programmes``; the view then fetches its object among them,
    so an object of an edition the user does not coordinate is a 404 (no leak).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        programmes = request.user.coordinated_programmes()
        if not (request.user.is_active and request.user.is_staff) or not programmes.exists():
            raise PermissionDenied
        # From here on the request is a coordinator's: the attribute the views read is set on it.
        coordinator_request = cast(CoordinatorHttpRequest, request)
        coordinator_request.coordinated_programmes = programmes
        return view(coordinator_request, *args, **kwargs)

    return wrapper
