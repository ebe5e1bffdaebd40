from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "alliances"
    label = "alliances"
    verbose_name = _("Programme")
