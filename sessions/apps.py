from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsConfig(AppConfig):
    name = "sessions"
    # The default label "sessions" clashes with django.contrib.sessions.
    label = "programme_sessions"
    verbose_name = _("Sessions")
