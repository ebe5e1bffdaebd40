"""Access to the coordinators' pages outside the admin (attendance, results, funnel, documents)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def coordinator_required(view):
    """Coordinator pages: login redirect when anonymous, 403 for anyone who coordinates no edition.

    Coordinating requires staff status, as the admin does (``User.coordinated_programmes``).

    Sets ``request.coordinated_programmes``; the view then fetches its object among them,
    so an object of an edition the user does not coordinate is a 404 (no leak).
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        programmes = request.user.coordinated_programmes()
        if not (request.user.is_active and request.user.is_staff) or not programmes.exists():
            raise PermissionDenied
        request.coordinated_programmes = programmes
        return view(request, *args, **kwargs)

    return wrapper
