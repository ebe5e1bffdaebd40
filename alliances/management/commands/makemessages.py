"""``makemessages`` that leaves ``locale_overrides/`` alone.

Django's command writes the strings of files outside any app's ``locale/`` folder (the templates,
the settings) into the first folder of ``LOCALE_PATHS``: the overrides of the libraries' French,
which are edited by hand. It runs here with that folder left out, so the project's catalogues go
to ``locale/`` as before (``make messages``).
"""

from django.conf import settings
from django.core.management.commands import makemessages
from django.test.utils import override_settings


class Command(makemessages.Command):
    def handle(self, *args, **options):
        paths = [path for path in settings.LOCALE_PATHS if path != settings.LOCALE_OVERRIDES]
        with override_settings(LOCALE_PATHS=paths):
            return super().handle(*args, **options)
