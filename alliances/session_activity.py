"""Session inactivity timeout: a sliding window that costs no write on most requests.

A session lasts ``SESSION_COOKIE_AGE`` seconds after the last request that renewed it.
This module is both the session engine (``SESSION_ENGINE``: the database store, stamping
the time of each save) and the middleware that renews. Django's ``SESSION_SAVE_EVERY_REQUEST`` would renew it by writing the session on every
request; here it is renewed (saved, hence a new expiry date and cookie) only when the
last renewal is older than ``SESSION_RENEWAL_INTERVAL`` seconds. The window therefore
slides with a resolution of that interval: a session idle for ``SESSION_COOKIE_AGE``
seconds has always expired, and one in use never does.
"""

import time

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DBSessionStore

RENEWED_AT = "_renewed_at"


class SessionRenewalMiddleware:
    """After SessionMiddleware: mark a non-empty session modified when its renewal is due."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if session.session_key is not None and not session.is_empty():
            renewed_at = session.get(RENEWED_AT)
            if not isinstance(renewed_at, int) or time.time() - renewed_at >= settings.SESSION_RENEWAL_INTERVAL:
                session.modified = True  # SessionMiddleware saves it (stamped): a new expiry and cookie
        return self.get_response(request)


class SessionStore(DBSessionStore):
    """The database session store, stamping each save: every save is a renewal of the expiry."""

    def save(self, must_create=False):
        self._get_session()[RENEWED_AT] = int(time.time())
        super().save(must_create=must_create)
