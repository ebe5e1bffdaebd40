"""Throttles of the ways into an account: the login (django-axes).

They key their counts on the *normalised* address (:func:`alliances.models.normalise_email`),
so that ``Coordination@…`` and ``coordination@…`` are one account whatever the page.

Login: django-axes records each failure and checks the lockout before every
``authenticate()`` (its backend comes first in ``AUTHENTICATION_BACKENDS``): the portal's
login, the admin's and any future one. Axes reads the account from the credentials, or
from the POSTed form when there are none; :func:`axes_username` (``AXES_USERNAME_CALLABLE``)
gives it the normalised address in every case — the ``username`` field of Django's login
forms, or the ``email`` keyword of ``authenticate(request, email=…, password=…)`` — so the
check and the record always use the same key.
"""

from django.conf import settings

from alliances.models import normalise_email

# --- Login (django-axes) ------------------------------------------------------------------------


def axes_username(request, credentials=None):
    """The account a login attempt is about, normalised: the key of every axes record and check.

    From the credentials given to ``authenticate()`` when there are some (``username``, or
    the ``email`` keyword), else from the POSTed form (the lockout page, the middleware).
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    address = None
    if credentials:
        address = credentials.get(field) or credentials.get("email")
    if address is None:
        data = getattr(request, "POST", None) or {}
        address = data.get(field) or data.get("email")
    return normalise_email(address) if isinstance(address, str) else None
