"""Throttles of the ways into an account: the login (django-axes) and the password-reset request.

Both key their counts on the *normalised* address (:func:`alliances.models.normalise_email`),
so that ``Coordination@…`` and ``coordination@…`` are one account whatever the page.

Login: django-axes records each failure and checks the lockout before every
``authenticate()`` (its backend comes first in ``AUTHENTICATION_BACKENDS``): the portal's
login, the admin's and any future one. Axes reads the account from the credentials, or
from the POSTed form when there are none; :func:`axes_username` (``AXES_USERNAME_CALLABLE``)
gives it the normalised address in every case — the ``username`` field of Django's login
forms, or the ``email`` keyword of ``authenticate(request, email=…, password=…)`` — so the
check and the record always use the same key.

Password reset: :func:`password_reset_allowed` counts requests per address and per client
address in fixed windows, in the cache: Redis in production (one count shared by every
gunicorn process and machine), local memory in the embedded default (one process).
"""

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from alliances.models import normalise_email

# --- Who asks -----------------------------------------------------------------------------------


def client_ip(request):
    """The client's address: ``REMOTE_ADDR``, or behind N reverse proxies the Nth from the right of X-Forwarded-For.

    N is ``AXES_IPWARE_PROXY_COUNT``. Each proxy appends the address it received the request
    from, so only the last N entries are trustworthy: anything further left may be written by
    the client itself. A header with fewer entries than expected (a request that bypassed the
    proxy) falls back to ``REMOTE_ADDR``. Axes uses it too (``AXES_CLIENT_IP_CALLABLE``):
    django-ipware, which it would otherwise read the setting with, is not installed.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None) or 0
    if not count:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


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


# --- Password reset ------------------------------------------------------------------------------


def _window_count(scope, value, window):
    """Count one more request of ``scope``/``value`` in the current window; return the count.

    ``add`` then ``incr`` are atomic on Redis and on the local-memory cache, so concurrent
    requests in several processes each get their own number. The value is hashed: no
    address sits in the cache in clear.
    """
    bucket = int(time.time() // window)
    digest = salted_hmac("alliances.throttling", f"{scope}:{value}").hexdigest()[:32]
    key = f"throttle:{scope}:{digest}:{bucket}"
    cache.add(key, 0, timeout=window + 60)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this request opens the window
        cache.add(key, 1, timeout=window + 60)
        return 1


def password_reset_allowed(*, email, client_ip):
    """Whether a password-reset request for ``email`` from ``client_ip`` may go out now.

    Counts every request, whether an account has this address or not (so the answer
    reveals nothing about the address), and refuses beyond
    ``PASSWORD_RESET_LIMIT_PER_ADDRESS`` for one address or ``PASSWORD_RESET_LIMIT_PER_CLIENT``
    from one client address within ``PASSWORD_RESET_THROTTLE_WINDOW`` seconds.
    """
    window = settings.PASSWORD_RESET_THROTTLE_WINDOW
    per_address = _window_count("password-reset:address", normalise_email(email), window)
    per_client = _window_count("password-reset:client", client_ip or "unknown", window)
    return (
        per_address <= settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
        and per_client <= settings.PASSWORD_RESET_LIMIT_PER_CLIENT
    )
