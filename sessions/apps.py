from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsConfig(AppConfig):
    name = "sessions"
    # The default label "sessions" clashes with django.contrib.sessions.
    label = "programme_sessions"
    verbose_name = _("Sessions")

    def ready(self):
        # The attendance sheet and certificate join the core's document registry.
        from sessions.documents import register_documents

        register_documents()
